package main

import (
	"fmt"
	"strings"
)

func rate(x run) float64 { return x.Rate }

// hsValues returns handshakes/s and handshakes per server core per target.
func (w *renderer) hsValues(fig string) (rates, cores map[string]float64) {
	rates, cores = map[string]float64{}, map[string]float64{}
	for _, t := range targets {
		if rs := w.runs(fig, t); len(rs) > 0 {
			rates[t] = median(rs, rate)
			cores[t] = median(rs, perCore)
		}
	}
	return rates, cores
}

func (w *renderer) handshakes(fig string, resumed bool) {
	title := "Full handshakes per second (TCP connect + TLS 1.3 + WebSocket upgrade + close)"
	if resumed {
		title = "Handshakes per second with session resumption (TLS 1.3 session ticket, PSK with X25519)"
	}
	w.line("### %s", title)
	w.line("")
	p := w.r.params
	lim := w.limit(resumed)
	rates, pcs := w.hsValues(fig)
	rr, _ := ratios(rates, true)
	pr, best := ratios(pcs, true)
	head := []string{"target", "handshakes/s", "× best peer", "server CPU (cores)", "CPU µs per handshake",
		"handshakes per server core", "× best peer", "× Go limit", "handshake p50 / p99 (ms)"}
	if resumed {
		head = append(head, "resumed")
	}
	tb := &table{head: head}
	for _, t := range targets {
		rs := w.runs(fig, t)
		if len(rs) == 0 {
			tb.add(names[t], w.missing(fig, t))
			continue
		}
		pc := pcs[t]
		row := []string{names[t], fmt.Sprintf("%s ±%.0f%%", num(rates[t], 0), spread(rs, rate)*50), or(rr[t], "—"),
			num(median(rs, serverCores), 2), num(1e6/pc, 0), num(pc, 0), or(pr[t], "—")}
		if t == "direct" || lim == 0 {
			row = append(row, "—")
		} else {
			row = append(row, fmt.Sprintf("%.2f", pc/lim))
		}
		row = append(row, fmt.Sprintf("%s / %s", num(median(rs, p50), 2), num(median(rs, p99), 2)))
		if resumed {
			row = append(row, resumedCell(rs))
		}
		tb.add(row...)
	}
	if c := w.r.cost; c != nil {
		lc := c.Full
		what := "full"
		if resumed {
			lc, what = c.Resumed, "resumed"
		}
		tb.add("**Go limit:** crypto/tls server side of a "+what+" handshake alone (`bench/datapath/handshakecost`)", "—", "—", "1.00",
			num(lc.NsPerOp/1000, 0), num(lc.PerSecond, 0), "—", "1.00", "—")
		if !resumed && len(w.r.goTLSNs) > 0 {
			ns := medianOf(w.r.goTLSNs)
			tb.add("crypto/tls `BenchmarkHandshakeServer/ECDHE-X25519-ECDSA-P256/TLSv13` (cross-check)", "—", "—", "1.00",
				num(ns/1000, 0), num(1e9/ns, 0), "—", fmt.Sprintf("%.2f", 1e9/ns/lim), "—")
		}
	}
	w.b.WriteString(tb.String())
	w.line("")
	w.line("Handshakes/s: median, ± half the spread across runs. Server CPU and per-core figures count the server process only "+
		"(nginx: master + worker); the echo backend beside it on CPU %d is measured separately.", p.ServerCPU)
	w.line("")
	w.hsNotes(fig, resumed, pcs, best)
	w.line("")
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func p50(x run) float64 {
	if x.Latency == nil {
		return 0
	}
	return x.Latency.P50Ms
}

func p99(x run) float64 {
	if x.Latency == nil {
		return 0
	}
	return x.Latency.P99Ms
}

func p999(x run) float64 {
	if x.Latency == nil {
		return 0
	}
	return x.Latency.P999Ms
}

func resumedCell(rs []run) string {
	if rs[0].ResumedFraction == nil {
		return "—"
	}
	return pct(median(rs, func(x run) float64 {
		if x.ResumedFraction == nil {
			return 0
		}
		return *x.ResumedFraction
	}))
}

// bound names what saturated during a target's runs.
func (w *renderer) bound(rs []run) string {
	p := w.r.params
	cb, sb := busy(rs, p.ClientCPU), busy(rs, p.ServerCPU)
	switch {
	case cb >= 0.9 && cb >= sb:
		return fmt.Sprintf("load-generator CPU (%s busy; server CPU %s)", pct(cb), pct(sb))
	case sb >= 0.9:
		return fmt.Sprintf("server CPU (%s busy; load-generator CPU %s)", pct(sb), pct(cb))
	default:
		return fmt.Sprintf("neither CPU saturated (load generator %s, server %s busy): latency-bound", pct(cb), pct(sb))
	}
}

func (w *renderer) hsNotes(fig string, resumed bool, pcs map[string]float64, best string) {
	var bounds []string
	clientBound := false
	for _, t := range peers {
		if rs := w.runs(fig, t); len(rs) > 0 {
			b := w.bound(rs)
			clientBound = clientBound || strings.HasPrefix(b, "load-generator")
			bounds = append(bounds, names[t]+": "+b)
		}
	}
	c := w.r.cost
	why := ""
	if clientBound {
		verify := ""
		if c != nil {
			verify = fmt.Sprintf(" (it verifies the server's ECDSA signature, %s µs in Go, where the server signs in %s µs)",
				num(c.ECDSAP256Verify.NsPerOp/1000, 0), num(c.ECDSAP256Sign.NsPerOp/1000, 0))
		}
		why = fmt.Sprintf(" A Go client spends more CPU per handshake than a server%s, so one load-generator core can hardly "+
			"keep one server core busy, and where the client saturates, the raw rate says more about the client than the server.", verify)
	}
	w.line("**What limits it.** Handshakes/s is bounded by: %s.%s Both cores also carry the kernel's loopback TCP work and "+
		"whatever else runs on this machine (see the conditions above). *Handshakes per server core* divides by each server's own "+
		"CPU time (/proc/PID/stat) and is the comparison that counts.", strings.Join(bounds, "; "), why)
	w.line("")
	ours, okOurs := pcs["proxy"]
	if okOurs && best != "" {
		if best == "proxy" {
			second, sv := "", 0.0
			for _, t := range peers[1:] {
				if v, ok := pcs[t]; ok && v > sv {
					second, sv = t, v
				}
			}
			if second != "" {
				w.line("**wss-operator proxy does the most handshakes per core:** %s against %s for %s (%.2f×).", num(ours, 0), num(sv, 0), names[second], ours/sv)
			}
		} else if noise := max(spread(w.runs(fig, "proxy"), perCore), spread(w.runs(fig, best), perCore)) / 2; even(ours, pcs[best], noise) {
			w.line("**Even with %s:** %s handshakes per core against wss-operator proxy's %s (%.1f%% more), inside the ±%.0f%% run-to-run spread.",
				names[best], num(pcs[best], 0), num(ours, 0), (pcs[best]/ours-1)*100, noise*100)
		} else {
			w.line("**Where we lose:** %s does %s handshakes per core, %.0f%% more than wss-operator proxy's %s: %s µs of CPU per handshake against our %s µs.",
				names[best], num(pcs[best], 0), (pcs[best]/ours-1)*100, num(ours, 0), num(1e6/pcs[best], 0), num(1e6/ours, 0))
		}
		w.line("")
	}
	if lim := w.limit(resumed); lim > 0 && okOurs {
		var fr []string
		for _, t := range peers {
			if v, ok := pcs[t]; ok {
				fr = append(fr, fmt.Sprintf("%s %.2f", names[t], v/lim))
			}
		}
		w.line("**Against the Go limit** (%s handshakes per core, %s µs each): %s. The limit is crypto/tls's server handshake alone, in memory; "+
			"a proxy also accepts and closes a TCP connection, reads the upgrade request, dials the backend, relays the 101, and tears both "+
			"connections down — and on loopback the kernel's TCP work for both ends of both connections runs on these two CPUs. "+
			"wss-operator proxy spends %s µs per handshake beyond the limit's %s µs.",
			num(lim, 0), num(1e6/lim, 0), joinAnd(fr), num(1e6/ours-1e6/lim, 0), num(1e6/lim, 0))
		w.line("")
	}
	if !resumed {
		w.profileTable(pcs["proxy"])
		if c != nil && w.r.openssl != nil {
			o := w.r.openssl
			w.line("**Crypto primitives on the server CPU** (`openssl speed` against Go, same core): X25519 key generation + shared secret "+
				"%s µs in Go, about %s µs in OpenSSL (two X25519 operations); ECDSA P-256 sign %s µs in Go, %s µs in OpenSSL; verify %s µs "+
				"against %s µs.%s",
				num(c.X25519.NsPerOp/1000, 0), num(2e6/o.X25519PerSec, 0), num(c.ECDSAP256Sign.NsPerOp/1000, 0), num(1e6/o.SignPerSec, 0),
				num(c.ECDSAP256Verify.NsPerOp/1000, 0), num(1e6/o.VerifyPerSec, 0), w.opensslShare(pcs))
			w.line("")
		}
	} else {
		_, full := w.hsValues("handshake")
		var gains []string
		for _, t := range peers {
			if a, b := pcs[t], full[t]; a > 0 && b > 0 {
				gains = append(gains, fmt.Sprintf("%s %s", names[t], signed((a/b-1)*100, 0)+"%"))
			}
		}
		if len(gains) > 0 {
			w.line("**Resumption gains little** (per core: %s): TLS 1.3 resumption skips the certificate and its signature but keeps "+
				"the X25519 exchange (Go's client offers only PSK with (EC)DHE), and the TCP, HTTP and backend work is unchanged.", joinAnd(gains))
			w.line("")
		}
	}
}

// profileTable shows where the proxy's CPU went during a profiled run of
// the full-handshake figure, when run.sh could record one.
func (w *renderer) profileTable(perCore float64) {
	if len(w.r.profile) == 0 {
		return
	}
	w.line("**Where wss-operator proxy's CPU goes** during full handshakes (`perf record -g` on the proxy for 4 s of an extra run of this figure, " +
		"same code built with symbols; a row includes what it calls, kernel time of its system calls too, so rows overlap):")
	w.line("")
	tb := &table{head: []string{"part", "share of proxy CPU", "≈ µs per handshake"}}
	for _, l := range w.r.profile {
		label := l.Label
		if l.Indent {
			label = "   ↳ " + label
		}
		us := "—"
		if perCore > 0 {
			us = num(l.Pct/100*1e6/perCore, 0)
		}
		tb.add(label, fmt.Sprintf("%.1f%%", l.Pct), us)
	}
	w.b.WriteString(tb.String())
	w.line("")
}

// opensslShare compares the OpenSSL-based servers' CPU per handshake with
// what OpenSSL's primitives (one signature, two X25519 operations) cost.
func (w *renderer) opensslShare(pcs map[string]float64) string {
	o := w.r.openssl
	prim := 1e6/o.SignPerSec + 2e6/o.X25519PerSec
	var parts []string
	most := true
	for _, t := range openSSLServers {
		if v := pcs[t]; v > 0 {
			parts = append(parts, fmt.Sprintf("%s %s µs", names[t], num(1e6/v, 0)))
			most = most && prim < 0.5*1e6/v
		}
	}
	if len(parts) == 0 {
		return ""
	}
	s := fmt.Sprintf(" Per handshake the OpenSSL servers spend %s of CPU, of which these primitives are about %s µs", joinAnd(parts), num(prim, 0))
	if most {
		return s + ": for them too, most of the cost is outside the handshake's cryptography."
	}
	return s + "."
}
