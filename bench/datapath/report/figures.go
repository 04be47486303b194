package main

import (
	"fmt"
	"strings"
)

// latValues returns median p50 and p99 round-trip times in ms per target.
func (w *renderer) latValues(fig string) (p50s, p99s map[string]float64) {
	p50s, p99s = map[string]float64{}, map[string]float64{}
	for _, t := range targets {
		if rs := w.runs(fig, t); len(rs) > 0 {
			p50s[t], p99s[t] = median(rs, p50), median(rs, p99)
		}
	}
	return p50s, p99s
}

func (w *renderer) latency(fig, size string) {
	w.line("### Message round-trip latency, %s messages", size)
	w.line("")
	p50s, p99s := w.latValues(fig)
	rr, _ := ratios(p99s, false)
	tb := &table{head: []string{"target", "p50 (ms)", "p99 (ms)", "p99.9 (ms)", "added p50 (µs)", "added p99 (µs)", "× best peer (p99)", "round trips/s"}}
	_, haveDirect := p50s["direct"]
	for _, t := range targets {
		rs := w.runs(fig, t)
		if len(rs) == 0 {
			tb.add(names[t], w.missing(fig, t))
			continue
		}
		a50, a99 := "—", "—"
		if haveDirect && t != "direct" {
			a50, a99 = signed((p50s[t]-p50s["direct"])*1000, 0), signed((p99s[t]-p99s["direct"])*1000, 0)
		}
		tb.add(names[t], num(p50s[t], 3), fmt.Sprintf("%s ±%.0f%%", num(p99s[t], 3), spread(rs, p99)*50), num(median(rs, p999), 3),
			a50, a99, or(rr[t], "—"), num(median(rs, rate), 0))
	}
	w.b.WriteString(tb.String())
	w.line("")
	if !haveDirect {
		return
	}
	added := map[string]float64{}
	for _, t := range peers {
		if _, ok := p99s[t]; ok {
			added[t] = (p99s[t] - p99s["direct"]) * 1000
		}
	}
	records := "one TLS record each way"
	if strings.Contains(size, "KiB") {
		records = "two TLS records each way, for 16 KiB of payload plus the frame header"
	}
	w.line("**What limits it.** One connection with one message in flight, so this is path length, not capacity: through a proxy the "+
		"message makes two extra loopback TCP hops, is encrypted and decrypted once in each direction (%s), and wakes two "+
		"processes (proxy and backend) that share the server CPU, while the load generator waits on the other CPU. p99 is ± half its "+
		"spread across runs; on a shared machine it moves with the neighbours.", records)
	w.line("")
	if ours, ok := added["proxy"]; ok {
		bestT, bestV := "", 0.0
		for _, t := range peers[1:] {
			if v, ok := added[t]; ok && (bestT == "" || v < bestV) {
				bestT, bestV = t, v
			}
		}
		if bestT != "" {
			noise := max(spread(w.runs(fig, "proxy"), p99), spread(w.runs(fig, bestT), p99)) / 2
			if ours <= bestV {
				w.line("**wss-operator proxy adds the least at p99:** %s µs over direct, against %s µs for %s.", signed(ours, 0), signed(bestV, 0), names[bestT])
			} else if even(p99s[bestT], p99s["proxy"], noise) {
				w.line("**Even with %s at p99:** wss-operator proxy adds %s µs over direct, %s %s µs; the difference is inside the ±%.0f%% run-to-run spread.",
					names[bestT], signed(ours, 0), names[bestT], signed(bestV, 0), noise*100)
			} else {
				w.line("**Where we lose:** wss-operator proxy adds %s µs at p99 over direct, %s more than %s (%s µs).",
					signed(ours, 0), num(ours-bestV, 0)+" µs", names[bestT], signed(bestV, 0))
			}
			w.line("")
		}
		w.p50Note(fig, p50s)
	}
}

// p50Note says so when another proxy adds clearly less at the median.
func (w *renderer) p50Note(fig string, p50s map[string]float64) {
	d, ours := p50s["direct"], p50s["proxy"]
	bestT := ""
	for _, t := range peers[1:] {
		noise := max(spread(w.runs(fig, "proxy"), p50), spread(w.runs(fig, t), p50)) / 2
		if v, ok := p50s[t]; ok && v < ours && !even(v, ours, noise) && (bestT == "" || v < p50s[bestT]) {
			bestT = t
		}
	}
	if bestT != "" {
		w.line("**Where we lose (p50):** %s adds %s µs at the median, wss-operator proxy %s µs.",
			names[bestT], signed((p50s[bestT]-d)*1000, 0), signed((ours-d)*1000, 0))
		w.line("")
	}
}

func mbps(x run) float64 { return x.MBPerSec }

func (w *renderer) throughput() {
	w.line("### One-way throughput, backend to client (MB/s of WebSocket payload, 16 KiB messages)")
	w.line("")
	p := w.r.params
	v1, v64 := map[string]float64{}, map[string]float64{}
	for _, t := range targets {
		if rs := w.runs("throughput-1", t); len(rs) > 0 {
			v1[t] = median(rs, mbps)
		}
		if rs := w.runs("throughput-64", t); len(rs) > 0 {
			v64[t] = median(rs, mbps)
		}
	}
	r1, _ := ratios(v1, true)
	r64, _ := ratios(v64, true)
	tb := &table{head: []string{"target", "1 connection", "× best peer", "CPU busy: client / server", "64 connections", "× best peer",
		"CPU busy: client / server", "server process (cores)"}}
	for _, t := range targets {
		a, b := w.runs("throughput-1", t), w.runs("throughput-64", t)
		row := []string{names[t]}
		if len(a) > 0 {
			row = append(row, num(v1[t], 0), or(r1[t], "—"), pct(busy(a, p.ClientCPU))+" / "+pct(busy(a, p.ServerCPU)))
		} else {
			row = append(row, w.missing("throughput-1", t), "", "")
		}
		if len(b) > 0 {
			row = append(row, num(v64[t], 0), or(r64[t], "—"), pct(busy(b, p.ClientCPU))+" / "+pct(busy(b, p.ServerCPU)), num(median(b, serverCores), 2))
		} else {
			row = append(row, w.missing("throughput-64", t))
		}
		tb.add(row...)
	}
	w.b.WriteString(tb.String())
	w.line("")
	var bounds []string
	for _, t := range peers {
		if rs := w.runs("throughput-64", t); len(rs) > 0 {
			bounds = append(bounds, names[t]+": "+w.bound(rs))
		}
	}
	w.line("**What limits it.** At 64 connections: %s. Both sides do AES-GCM (the proxy encrypts, the load generator decrypts) and "+
		"copy every byte through loopback TCP twice (backend→proxy, proxy→client); on loopback the sender's write also runs the "+
		"receiver's TCP processing, so a figure can be bounded by whichever CPU saturates first. The backend itself shares the "+
		"server CPU and costs the same for every proxy. Direct ws:// has no TLS and one hop. Every server runs its packaged defaults: "+
		"nginx relays an upgraded connection through one `proxy_buffer_size` buffer per direction (one 4 KiB page by default), so it "+
		"reads and encrypts 4 KiB at a time (HAProxy's default buffer is 16 KiB).", strings.Join(bounds, "; "))
	w.line("")
	for _, c := range []struct {
		label string
		v     map[string]float64
	}{{"1 connection", v1}, {"64 connections", v64}} {
		ours, ok := c.v["proxy"]
		if !ok {
			continue
		}
		bestT, bestV := "", 0.0
		for _, t := range peers[1:] {
			if v := c.v[t]; v > bestV {
				bestT, bestV = t, v
			}
		}
		if bestT != "" && bestV > ours && !even(ours, bestV, 0) {
			w.line("**Where we lose (%s):** %s moves %s MB/s, %.0f%% more than wss-operator proxy's %s MB/s.",
				c.label, names[bestT], num(bestV, 0), (bestV/ours-1)*100, num(ours, 0))
			w.line("")
		}
	}
}

func (w *renderer) idleValues(n int) map[string]float64 {
	out := map[string]float64{}
	for _, t := range targets {
		if rs := w.runs(fmt.Sprintf("idle-%d", n), t); len(rs) > 0 && rs[0].Idle != nil && rs[0].Idle.Opened > 0 {
			out[t] = rs[0].Idle.ServerPerConnKiB
		}
	}
	return out
}

func (w *renderer) idle() {
	counts := w.r.params.IdleCounts
	if len(counts) == 0 {
		return
	}
	w.line("### Memory per idle WebSocket connection (RSS growth, KiB per connection)")
	w.line("")
	head := []string{"target"}
	vals := make([]map[string]float64, len(counts))
	rats := make([]map[string]string, len(counts))
	for i, n := range counts {
		head = append(head, fmt.Sprintf("at %s", num(float64(n), 0)), "× best peer")
		vals[i] = w.idleValues(n)
		rats[i], _ = ratios(vals[i], false)
	}
	last := counts[len(counts)-1]
	lastFig := fmt.Sprintf("idle-%d", last)
	head = append(head, fmt.Sprintf("server RSS at %s (MiB)", num(float64(last), 0)), fmt.Sprintf("backend KiB per connection at %s", num(float64(last), 0)))
	tb := &table{head: head}
	for _, t := range targets {
		row := []string{names[t]}
		for i, n := range counts {
			fig := fmt.Sprintf("idle-%d", n)
			v, ok := vals[i][t]
			if !ok {
				row = append(row, w.missing(fig, t), "")
				continue
			}
			cell := num(v, 1)
			if rs := w.runs(fig, t); rs[0].Idle.Opened < n {
				cell += fmt.Sprintf(" (%d opened)", rs[0].Idle.Opened)
			}
			row = append(row, cell, or(rats[i][t], "—"))
		}
		if rs := w.runs(lastFig, t); len(rs) > 0 && rs[0].Idle != nil {
			row = append(row, num(float64(rs[0].Idle.ServerAfterKiB)/1024, 1))
			if t == "direct" {
				row = append(row, "(is the server)")
			} else {
				row = append(row, num(rs[0].Idle.AuxPerConnKiB, 1))
			}
		}
		tb.add(row...)
	}
	w.b.WriteString(tb.String())
	w.line("")
	w.line("**How it is measured.** The server (and the backend) start fresh; the load generator opens the connections from " +
		"127.0.0.2–127.0.0.9, sends one 64-byte message on each and reads its echo, waits 5 s after the last one, and reads VmRSS " +
		"(nginx: master + worker). No garbage collection is forced: for the Go proxy the figure includes the heap's headroom " +
		"(with GOGC=100 the heap may grow to twice its live data before a collection) as a running sidecar carries it. " +
		"RSS is user-space memory only: the kernel's socket memory (two sockets per proxied connection) is not in it and is the " +
		"same for every proxy. Each point is one run: RSS growth is a steady quantity, unlike rates.")
	w.line("")
	if len(vals) > 0 {
		var parts []string
		for i, n := range counts {
			if v, ok := vals[i]["proxy"]; ok {
				parts = append(parts, fmt.Sprintf("%s KiB at %s", num(v, 1), num(float64(n), 0)))
			}
		}
		if len(parts) > 0 {
			w.line("**Target ≤ %d KiB at the largest point:** wss-operator proxy uses %s.", goalIdleKiB, joinAnd(parts))
			w.line("")
		}
		for i, n := range counts {
			ours, ok := vals[i]["proxy"]
			if !ok {
				continue
			}
			bestT, bestV := "", 0.0
			for _, t := range peers[1:] {
				if v, ok := vals[i][t]; ok && (bestT == "" || v < bestV) {
					bestT, bestV = t, v
				}
			}
			if bestT != "" && bestV < ours && !even(bestV, ours, 0) {
				w.line("**Where we lose (at %s):** %s needs %s KiB per connection, %s KiB less than wss-operator proxy.",
					num(float64(n), 0), names[bestT], num(bestV, 1), num(ours-bestV, 1))
				w.line("")
			}
		}
	}
}
