package main

import (
	"fmt"
	"strings"
)

// latencyFig is a message round-trip latency figure.
type latencyFig struct {
	Size       string
	KiB        bool // two TLS records each way
	Rows       [][]string
	HaveDirect bool
	// Verdict compares the p99 ours adds over direct with the peer that
	// adds the least: Kind "least" (ours), "even" or "lose".
	Verdict *latVerdict
	// P50 names a peer that adds clearly less at the median.
	P50 *latP50
}

type latVerdict struct {
	Kind, Best          string
	Ours, BestV, MoreUs float64 // µs added at p99
	NoisePct            float64
}

type latP50 struct {
	Peer              string
	PeerAdds, OursAdd float64 // µs
}

// throughputFig is the one-way throughput figure.
type throughputFig struct {
	Rows   [][]string
	Bounds []bound // at 64 connections
	Losses []tputLoss
}

// tputLoss is a peer moving clearly more than ours.
type tputLoss struct {
	Label, Peer    string
	PeerMBps, Ours float64
	MorePct        float64
}

// latValues returns median p50 and p99 round-trip times in ms per target.
func (d dp) latValues(fig string) (p50s, p99s map[string]float64) {
	p50s, p99s = map[string]float64{}, map[string]float64{}
	for _, t := range targets {
		if rs := d.runs(fig, t); len(rs) > 0 {
			p50s[t], p99s[t] = median(rs, p50), median(rs, p99)
		}
	}
	return p50s, p99s
}

func (d dp) latency(fig, size string) latencyFig {
	p50s, p99s := d.latValues(fig)
	rr, _ := ratios(p99s, false)
	_, haveDirect := p50s["direct"]
	l := latencyFig{Size: size, KiB: strings.Contains(size, "KiB"), HaveDirect: haveDirect}
	for _, t := range targets {
		rs := d.runs(fig, t)
		if len(rs) == 0 {
			l.Rows = append(l.Rows, row(8, names[t], d.missing(fig, t)))
			continue
		}
		a50, a99 := "—", "—"
		if haveDirect && t != "direct" {
			a50, a99 = signed((p50s[t]-p50s["direct"])*1000, 0), signed((p99s[t]-p99s["direct"])*1000, 0)
		}
		l.Rows = append(l.Rows, []string{names[t], num(p50s[t], 3), fmt.Sprintf("%s ±%.0f%%", num(p99s[t], 3), spread(rs, p99)*50),
			num(median(rs, p999), 3), a50, a99, or(rr[t], "—"), num(median(rs, rate), 0)})
	}
	if !haveDirect {
		return l
	}
	added := map[string]float64{}
	for _, t := range peers {
		if _, ok := p99s[t]; ok {
			added[t] = (p99s[t] - p99s["direct"]) * 1000
		}
	}
	ours, ok := added["proxy"]
	if !ok {
		return l
	}
	bestT, bestV := "", 0.0
	for _, t := range peers[1:] {
		if v, ok := added[t]; ok && (bestT == "" || v < bestV) {
			bestT, bestV = t, v
		}
	}
	if bestT != "" {
		v := &latVerdict{Kind: "lose", Best: names[bestT], Ours: ours, BestV: bestV, MoreUs: ours - bestV}
		noise := max(spread(d.runs(fig, "proxy"), p99), spread(d.runs(fig, bestT), p99)) / 2
		switch {
		case ours <= bestV:
			v.Kind = "least"
		case even(p99s[bestT], p99s["proxy"], noise):
			v.Kind, v.NoisePct = "even", noise*100
		}
		l.Verdict = v
	}
	l.P50 = d.p50Note(fig, p50s)
	return l
}

// p50Note names the peer that adds clearly less than ours at the median.
func (d dp) p50Note(fig string, p50s map[string]float64) *latP50 {
	dir, ours := p50s["direct"], p50s["proxy"]
	bestT := ""
	for _, t := range peers[1:] {
		noise := max(spread(d.runs(fig, "proxy"), p50), spread(d.runs(fig, t), p50)) / 2
		if v, ok := p50s[t]; ok && v < ours && !even(v, ours, noise) && (bestT == "" || v < p50s[bestT]) {
			bestT = t
		}
	}
	if bestT == "" {
		return nil
	}
	return &latP50{Peer: names[bestT], PeerAdds: (p50s[bestT] - dir) * 1000, OursAdd: (ours - dir) * 1000}
}

func (d dp) throughput() throughputFig {
	p := d.r.params
	v1, v64 := map[string]float64{}, map[string]float64{}
	for _, t := range targets {
		if rs := d.runs("throughput-1", t); len(rs) > 0 {
			v1[t] = median(rs, mbps)
		}
		if rs := d.runs("throughput-64", t); len(rs) > 0 {
			v64[t] = median(rs, mbps)
		}
	}
	r1, _ := ratios(v1, true)
	r64, _ := ratios(v64, true)
	var f throughputFig
	for _, t := range targets {
		a, b := d.runs("throughput-1", t), d.runs("throughput-64", t)
		cells := []string{names[t]}
		if len(a) > 0 {
			cells = append(cells, num(v1[t], 0), or(r1[t], "—"), pct(busy(a, p.ClientCPU))+" / "+pct(busy(a, p.ServerCPU)))
		} else {
			cells = append(cells, d.missing("throughput-1", t), "", "")
		}
		if len(b) > 0 {
			cells = append(cells, num(v64[t], 0), or(r64[t], "—"), pct(busy(b, p.ClientCPU))+" / "+pct(busy(b, p.ServerCPU)), num(median(b, serverCores), 2))
		} else {
			cells = append(cells, d.missing("throughput-64", t))
		}
		f.Rows = append(f.Rows, row(8, cells...))
	}
	f.Bounds = d.bounds("throughput-64")
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
			f.Losses = append(f.Losses, tputLoss{Label: c.label, Peer: names[bestT], PeerMBps: bestV, Ours: ours, MorePct: (bestV/ours - 1) * 100})
		}
	}
	return f
}
