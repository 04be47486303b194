package main

import (
	"fmt"
	"strings"
)

// The round-2 targets.
const (
	goalHsVsPeer    = 1.3 // full handshakes per core against the best peer
	goalHsVsLimit   = 0.5 // full handshakes per core against the Go limit
	goalTputVsHAP   = 1.0 // single-connection throughput against HAProxy
	goalFanoutCPU   = 0.8 // fan-out CPU per message against the best peer, at equal p99
	goalIdleKiB     = 12  // idle memory per connection at the largest point
	equalP99Margin  = 0.1 // p99s within 10% (or the run-to-run spread) count as equal
	fanoutPeerLabel = "fan-out CPU per 1,000 messages ≤ 0.8 × best peer at equal p99"
)

// goals checks the targets against this run's figures; where one
// is missed, a note under the table says by how much and what bounds it.
func (w *renderer) goals() {
	w.line("### Targets")
	w.line("")
	tb := &table{head: []string{"target", "measured", "ratio", "verdict"}}
	var notes []string
	missed := func(x, goal float64, higher bool) string {
		if (higher && x >= goal) || (!higher && x <= goal) {
			return "met"
		}
		return fmt.Sprintf("**missed** (%.2f against %.2f)", x, goal)
	}

	_, pcs := w.hsValues("handshake")
	ours := pcs["proxy"]
	lim := w.limit(false)
	kernelUs := w.kernelUs(ours)
	if best := bestOther(pcs, true); ours > 0 && best != "" {
		x := ours / pcs[best]
		tb.add(fmt.Sprintf("full handshakes per core ≥ %.1f × best peer", goalHsVsPeer),
			fmt.Sprintf("%s vs %s (%s)", num(ours, 0), num(pcs[best], 0), names[best]), fmt.Sprintf("%.2f×", x), missed(x, goalHsVsPeer, true))
		if x < goalHsVsPeer {
			want := goalHsVsPeer * pcs[best]
			notes = append(notes, tmpl("hsBehind", map[string]any{"Best": names[best], "Want": want, "WantUs": 1e6 / want,
				"OursUs": 1e6 / ours, "BestUs": 1e6 / pcs[best], "LimitUs": safeInv(lim), "KernelUs": kernelUs,
				"L4": best == "hitch" || best == "stunnel"}))
		}
		if httpBest := bestOf(pcs, httpPeers, true); httpBest != "" && httpBest != best {
			x := ours / pcs[httpBest]
			tb.add(fmt.Sprintf("(the same against the HTTP proxies only: %s)", joinAnd(namesOf(httpPeers))),
				fmt.Sprintf("%s vs %s (%s)", num(ours, 0), num(pcs[httpBest], 0), names[httpBest]), fmt.Sprintf("%.2f×", x), missed(x, goalHsVsPeer, true))
		}
	}
	if ours > 0 && lim > 0 {
		x := ours / lim
		tb.add(fmt.Sprintf("full handshakes per core ≥ %.1f × Go limit", goalHsVsLimit),
			fmt.Sprintf("%s of %s", num(ours, 0), num(lim, 0)), fmt.Sprintf("%.2f×", x), missed(x, goalHsVsLimit, true))
		if x < goalHsVsLimit {
			want := goalHsVsLimit * lim
			var others []string
			for _, t := range peers[1:] {
				if v := pcs[t]; v > 0 {
					others = append(others, fmt.Sprintf("%s %.2f", names[t], v/lim))
				}
			}
			ceiling := 0.0
			if kernelUs > 0 {
				ceiling = 1e6 / (1e6/lim + kernelUs) / lim
			}
			notes = append(notes, tmpl("limitCeiling", map[string]any{"Want": want, "WantUs": 1e6 / want, "LimitUs": 1e6 / lim,
				"RestUs": 1e6/want - 1e6/lim, "OursRestUs": 1e6/ours - 1e6/lim, "Others": others, "Ceiling": ceiling, "KernelUs": kernelUs}))
		}
	}

	if rs, hs := w.runs("throughput-1", "proxy"), w.runs("throughput-1", "haproxy"); len(rs) > 0 && len(hs) > 0 {
		o, h := median(rs, mbps), median(hs, mbps)
		x := o / h
		tb.add(fmt.Sprintf("single-connection throughput ≥ %.1f × HAProxy", goalTputVsHAP),
			fmt.Sprintf("%s vs %s MB/s", num(o, 0), num(h, 0)), fmt.Sprintf("%.2f×", x), missed(x, goalTputVsHAP, true))
		if x < goalTputVsHAP {
			notes = append(notes, tmpl("tputBehind", map[string]any{"Ours": o, "HAProxy": h, "Ratio": x, "Bound": w.bound(rs)}))
		}
	}

	for _, n := range w.r.params.FanoutCounts {
		cpu, p99s := w.fanValues(n)
		best := fanBest(cpu)
		if cpu["proxy"] == 0 || best == "" {
			continue
		}
		fig := fmt.Sprintf("fanout-%d", n)
		x := cpu["proxy"] / cpu[best]
		noise := max(equalP99Margin, max(spread(w.runs(fig, "proxy"), p99), spread(w.runs(fig, best), p99))/2)
		p99Equal := p99s["proxy"] <= p99s[best]*(1+noise)
		verdict := missed(x, goalFanoutCPU, false)
		switch {
		case verdict == "met" && p99Equal:
			verdict = fmt.Sprintf("met (p99 %s vs %s ms)", num(p99s["proxy"], 2), num(p99s[best], 2))
		case verdict == "met":
			verdict = fmt.Sprintf("**not at equal p99**: CPU met, but p99 %s ms against %s ms", num(p99s["proxy"], 2), num(p99s[best], 2))
		case p99Equal:
			verdict += fmt.Sprintf("; p99 %s vs %s ms", num(p99s["proxy"], 2), num(p99s[best], 2))
		default:
			verdict += fmt.Sprintf("; p99 also higher, %s vs %s ms", num(p99s["proxy"], 2), num(p99s[best], 2))
		}
		tb.add(fmt.Sprintf("%s, %s connections", fanoutPeerLabel, num(float64(n), 0)),
			fmt.Sprintf("%s vs %s ms (%s)", num(cpu["proxy"], 1), num(cpu[best], 1), names[best]), fmt.Sprintf("%.2f×", x), verdict)
		if x > goalFanoutCPU {
			want := goalFanoutCPU * cpu[best]
			notes = append(notes, tmpl("fanoutBehind", map[string]any{"Conns": float64(n), "Best": names[best], "BestV": cpu[best],
				"Want": want, "WantUs": want, "Ours": cpu["proxy"], "Parked": true}))
		}
	}

	if counts := w.r.params.IdleCounts; len(counts) > 0 {
		n := counts[len(counts)-1]
		vals := w.idleValues(n)
		if v, ok := vals["proxy"]; ok {
			tb.add(fmt.Sprintf("idle memory ≤ %d KiB per connection at %s", goalIdleKiB, num(float64(n), 0)),
				num(v, 1)+" KiB", fmt.Sprintf("%.2f×", v/goalIdleKiB), missed(v, goalIdleKiB, false))
			if v > goalIdleKiB {
				best := bestOther(vals, false)
				notes = append(notes, tmpl("idleBehind", map[string]any{"Conns": float64(n), "Ours": v, "Direct": vals["direct"],
					"Best": names[best], "BestV": vals[best]}))
			}
		}
	}
	w.b.WriteString(tb.String())
	w.line("")
	w.line("Ratios are this run's medians; *best peer* is the best of the other TLS terminators measured in the same run. " +
		"The fan-out ratio divides CPU per 1,000 messages (lower is better; its per-message µs equal the table's ms per 1,000).")
	w.line("")
	for _, c := range notes {
		w.line("- %s", c)
	}
	if len(notes) > 0 {
		w.line("")
	}
}

// httpPeers are the peers that parse the request and relay the upgrade,
// as wss-operator proxy does (hitch and stunnel only relay bytes).
var httpPeers = []string{"nginx", "haproxy", "caddy"}

func namesOf(ts []string) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = names[t]
	}
	return out
}

// bestOther is the peer other than ours with the highest (or lowest) value.
func bestOther(v map[string]float64, higher bool) string { return bestOf(v, peers[1:], higher) }

// bestOf is the one of ts with the highest (or lowest) positive value.
func bestOf(v map[string]float64, ts []string, higher bool) string {
	best := ""
	for _, t := range ts {
		x, ok := v[t]
		if !ok || x <= 0 {
			continue
		}
		if best == "" || (higher && x > v[best]) || (!higher && x < v[best]) {
			best = t
		}
	}
	return best
}

func safeInv(v float64) float64 {
	if v <= 0 {
		return 0
	}
	return 1e6 / v
}

// even reports whether a shortfall of a against b is within noise: the
// larger half-spread of the two, and never less than 2%.
func even(a, b, halfSpread float64) bool {
	return b > 0 && a/b >= 1-max(0.02, halfSpread)
}

// kernelUs is the kernel's CPU µs per handshake of the proxy, from the
// profile (0 without one).
func (w *renderer) kernelUs(perCore float64) float64 {
	if perCore <= 0 {
		return 0
	}
	for _, l := range w.r.profile {
		if strings.HasPrefix(l.Label, "all kernel time") {
			return l.Pct / 100 * 1e6 / perCore
		}
	}
	return 0
}
