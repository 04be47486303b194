package main

import (
	"fmt"
	"strings"
)

func fanCPU(x run) float64 {
	if x.Fanout == nil {
		return 0
	}
	return x.Fanout.ServerCPUMsPer1000
}

func fanAuxCPU(x run) float64 {
	if x.Fanout == nil {
		return 0
	}
	return x.Fanout.AuxCPUMsPer1000
}

func fanDelivered(x run) float64 {
	if x.Fanout == nil {
		return 0
	}
	return x.Fanout.DeliveredFraction
}

func fanEchoP99(x run) float64 {
	if x.Fanout == nil || x.Fanout.EchoLatency == nil {
		return 0
	}
	return x.Fanout.EchoLatency.P99Ms
}

// fanValues returns the median server CPU ms per 1,000 messages and the
// median delivery p99 (ms) per target, for the fan-out figure at n.
func (w *renderer) fanValues(n int) (cpu, p99s map[string]float64) {
	cpu, p99s = map[string]float64{}, map[string]float64{}
	fig := fmt.Sprintf("fanout-%d", n)
	for _, t := range targets {
		if rs := w.runs(fig, t); len(rs) > 0 {
			cpu[t], p99s[t] = median(rs, fanCPU), median(rs, p99)
		}
	}
	return cpu, p99s
}

// fanBest is the peer other than ours with the least CPU per message.
func fanBest(cpu map[string]float64) string {
	best := ""
	for _, t := range peers[1:] {
		if v, ok := cpu[t]; ok && v > 0 && (best == "" || v < cpu[best]) {
			best = t
		}
	}
	return best
}

func (w *renderer) fanout(n int) {
	p := w.r.params
	fig := fmt.Sprintf("fanout-%d", n)
	w.line("### Fan-out: %s connections, a %d B message to every one every %s ms, %s of the clients sending",
		num(float64(n), 0), p.FanoutSize, num(p.FanoutIntervalMs, 0), pct(p.FanoutSenders))
	w.line("")
	cpu, p99s := w.fanValues(n)
	cr, _ := ratios(cpu, false)
	pr, _ := ratios(p99s, false)
	tb := &table{head: []string{"target", "messages/s received", "delivered", "server CPU ms per 1,000 messages", "× best peer",
		"delivery p50 / p99 / p99.9 (ms)", "× best peer (p99)", "echo p99 (ms)", "backend CPU ms per 1,000", "CPU busy: client / server"}}
	for _, t := range targets {
		rs := w.runs(fig, t)
		if len(rs) == 0 {
			tb.add(names[t], w.missing(fig, t))
			continue
		}
		conns := ""
		if o := rs[0].Fanout; o != nil && o.Opened < n {
			conns = fmt.Sprintf(" (%d opened)", o.Opened)
		}
		backend := "(is the server)"
		if t != "direct" {
			backend = num(median(rs, fanAuxCPU), 1)
		}
		tb.add(names[t]+conns, num(median(rs, rate), 0), pct(median(rs, fanDelivered)),
			fmt.Sprintf("%s ±%.0f%%", num(cpu[t], 1), spread(rs, fanCPU)*50), or(cr[t], "—"),
			fmt.Sprintf("%s / %s ±%.0f%% / %s", num(median(rs, p50), 2), num(p99s[t], 2), spread(rs, p99)*50, num(median(rs, p999), 2)),
			or(pr[t], "—"), num(median(rs, fanEchoP99), 2), backend,
			pct(busy(rs, p.ClientCPU))+" / "+pct(busy(rs, p.ServerCPU)))
	}
	w.b.WriteString(tb.String())
	w.line("")
	w.line("%s", tmpl("fanoutHow", map[string]any{"IntervalMs": num(p.FanoutIntervalMs, 0), "Size": p.FanoutSize,
		"Senders": p.FanoutSenders, "Conns": float64(n)}))
	w.line("")
	var bounds []string
	for _, t := range peers {
		if rs := w.runs(fig, t); len(rs) > 0 {
			b := strings.Replace(w.bound(rs), "latency-bound", "the offered load is fixed", 1)
			bounds = append(bounds, names[t]+": "+b)
		}
	}
	if len(bounds) > 0 {
		w.line("**What limits it.** %s. The backend shares the server CPU and does the same work for every target.", joinAnd(bounds))
		w.line("")
	}
	if best := fanBest(cpu); best != "" && cpu["proxy"] > 0 {
		w.line("%s", tmpl("fanoutVerdict", map[string]any{"Best": names[best], "Conns": float64(n), "Ours": cpu["proxy"],
			"BestV": cpu[best], "Ratio": cpu["proxy"] / cpu[best], "OursP99": p99s["proxy"], "BestP99": p99s[best]}))
		w.line("")
	}
}
