package main

import (
	"fmt"
	"strings"
)

// goals checks the targets against this run's figures.
func (w *renderer) goals() {
	w.line("### Targets")
	w.line("")
	tb := &table{head: []string{"target", "measured", "verdict"}}
	var closing []string
	for _, c := range []struct{ fig, label string }{{"handshake", "full"}, {"resume", "resumed"}} {
		_, pcs := w.hsValues(c.fig)
		ours, nginx := pcs["proxy"], pcs["nginx"]
		if ours == 0 || nginx == 0 {
			continue
		}
		verdict := "met"
		noise := max(spread(w.runs(c.fig, "proxy"), perCore), spread(w.runs(c.fig, "nginx"), perCore)) / 2
		switch {
		case ours >= nginx:
		case even(ours, nginx, noise):
			verdict = fmt.Sprintf("even: %.1f%% below, inside the ±%.0f%% run-to-run spread", (1-ours/nginx)*100, noise*100)
		default:
			verdict = fmt.Sprintf("**missed** by %.0f%%", (1-ours/nginx)*100)
			closing = append(closing, fmt.Sprintf("Handshakes per core against nginx (%s): wss-operator proxy needs %s µs less CPU per handshake "+
				"(%s → %s µs); the profile under the full-handshake table shows where its CPU goes.",
				c.label, num(1e6/ours-1e6/nginx, 0), num(1e6/ours, 0), num(1e6/nginx, 0)))
		}
		tb.add(fmt.Sprintf("%s handshakes per core ≥ nginx", c.label),
			fmt.Sprintf("%s vs %s (%.2f×)", num(ours, 0), num(nginx, 0), ours/nginx), verdict)
	}
	_, pcs := w.hsValues("handshake")
	if lim, ours := w.limit(false), pcs["proxy"]; lim > 0 && ours > 0 {
		x := ours / lim
		verdict := "met"
		if x < 0.7 {
			verdict = fmt.Sprintf("**missed**: %.2f, %.0f%% short of 0.70", x, (1-x/0.7)*100)
			var others []string
			for _, t := range peers[1:] {
				if v := pcs[t]; v > 0 {
					others = append(others, fmt.Sprintf("%s %.2f", names[t], v/lim))
				}
			}
			budget := 1e6 / (0.7 * lim)
			closing = append(closing, fmt.Sprintf("0.7 of the Go limit is %s handshakes per core, %s µs of CPU each, of which the handshake "+
				"alone takes %s µs: everything else a proxied WebSocket handshake needs (TCP accept and close, the request, the backend "+
				"dial and its TCP work on loopback) would have to fit in %s µs, where wss-operator proxy now spends %s µs. The OpenSSL "+
				"servers are as far from it (%s of the same limit): on this path the target is not reachable by trimming the proxy alone.",
				num(0.7*lim, 0), num(budget, 0), num(1e6/lim, 0), num(budget-1e6/lim, 0), num(1e6/ours-1e6/lim, 0), joinAnd(others)))
			if f := w.floor(lim, ours); f != "" {
				closing = append(closing, f)
			}
		}
		tb.add("full handshakes per core ≥ 0.7 × Go limit", fmt.Sprintf("%s of %s (%.2f×)", num(ours, 0), num(lim, 0), x), verdict)
	}
	for _, c := range []struct{ fig, size string }{{"latency-64", "64 B"}, {"latency-16384", "16 KiB"}} {
		_, p99s := w.latValues(c.fig)
		d, ok := p99s["direct"]
		if !ok || p99s["proxy"] == 0 || p99s["nginx"] == 0 {
			continue
		}
		ours, nginx := (p99s["proxy"]-d)*1000, (p99s["nginx"]-d)*1000
		verdict := "met"
		noise := max(spread(w.runs(c.fig, "proxy"), p99), spread(w.runs(c.fig, "nginx"), p99)) / 2
		switch {
		case ours <= nginx:
		case even(p99s["nginx"], p99s["proxy"], noise):
			verdict = fmt.Sprintf("even: %s µs more, inside the ±%.0f%% run-to-run spread of p99", num(ours-nginx, 0), noise*100)
		default:
			verdict = fmt.Sprintf("**missed** by %s µs", num(ours-nginx, 0))
			closing = append(closing, fmt.Sprintf("Added p99 latency, %s: wss-operator proxy adds %s µs more than nginx at p99.", c.size, num(ours-nginx, 0)))
		}
		tb.add(fmt.Sprintf("added p99 latency ≤ nginx (%s)", c.size), fmt.Sprintf("%s µs vs %s µs", signed(ours, 0), signed(nginx, 0)), verdict)
	}
	for _, n := range w.r.params.IdleCounts {
		v, ok := w.idleValues(n)["proxy"]
		if !ok {
			continue
		}
		verdict := "met; aim of 20 reached"
		switch {
		case v > 40:
			verdict = fmt.Sprintf("**missed** by %s KiB", num(v-40, 1))
			closing = append(closing, fmt.Sprintf("Idle memory at %s connections: %s KiB per connection over the 40 KiB target.", num(float64(n), 0), num(v-40, 1)))
		case v > 20:
			verdict = fmt.Sprintf("met; %s KiB above the aim of 20", num(v-20, 1))
		}
		tb.add(fmt.Sprintf("idle memory ≤ 40 KiB per connection (aim 20), %s connections", num(float64(n), 0)), num(v, 1)+" KiB", verdict)
	}
	w.b.WriteString(tb.String())
	w.line("")
	for _, c := range closing {
		w.line("- %s", c)
	}
	if len(closing) > 0 {
		w.line("")
	}
}

// even reports whether a shortfall of a against b is within noise: the
// larger half-spread of the two, and never less than 2%.
func even(a, b, halfSpread float64) bool {
	return b > 0 && a/b >= 1-max(0.02, halfSpread)
}

// floor bounds what trimming the proxy's own code could reach, from the
// profile: the handshake's computation (the limit itself, which makes no
// system call) and the kernel's work (none of which is in the limit) stay.
func (w *renderer) floor(lim, ours float64) string {
	kernelPct := 0.0
	for _, l := range w.r.profile {
		if strings.HasPrefix(l.Label, "all kernel time") {
			kernelPct = l.Pct
		}
	}
	if kernelPct == 0 {
		return ""
	}
	us := 1e6 / ours
	kernel := kernelPct / 100 * us
	fixed := 1e6/lim + kernel
	return fmt.Sprintf("By the profile under the handshake table, the kernel spends %s µs of wss-operator proxy's %s µs per handshake "+
		"(TCP on loopback for both connections, epoll, system calls). The limit's %s µs of handshake computation plus that makes %s µs: "+
		"with all its own work outside crypto/tls at zero, the proxy would reach at most %.2f of the limit on this path. 0.7 needs less "+
		"kernel work per connection too (a second TCP connection per WebSocket is inherent to a separate backend process) or a faster "+
		"X25519 than Go's.",
		num(kernel, 0), num(us, 0), num(1e6/lim, 0), num(fixed, 0), 1e6/fixed/lim)
}
