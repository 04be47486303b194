package main

import "fmt"

// idleFig is the idle-memory figure: one column pair per point.
type idleFig struct {
	Counts []int
	Last   int
	Rows   [][]string
	Goal   int
	// Ours is the proxy's KiB per connection at each point it was measured.
	Ours []nameValue
	// Losses are the points where a peer needs clearly less.
	Losses []idleLoss
}

type idleLoss struct {
	Conns         int
	Peer          string
	PeerKiB, Less float64
}

func (d dp) idleValues(n int) map[string]float64 {
	out := map[string]float64{}
	for _, t := range targets {
		if rs := d.runs(fmt.Sprintf("idle-%d", n), t); len(rs) > 0 && rs[0].Idle != nil && rs[0].Idle.Opened > 0 {
			out[t] = rs[0].Idle.ServerPerConnKiB
		}
	}
	return out
}

func (d dp) idle() *idleFig {
	counts := d.r.params.IdleCounts
	if len(counts) == 0 {
		return nil
	}
	f := &idleFig{Counts: counts, Last: counts[len(counts)-1], Goal: goalIdleKiB}
	width := 1 + 2*len(counts) + 2
	vals := make([]map[string]float64, len(counts))
	rats := make([]map[string]string, len(counts))
	for i, n := range counts {
		vals[i] = d.idleValues(n)
		rats[i], _ = ratios(vals[i], false)
	}
	lastFig := fmt.Sprintf("idle-%d", f.Last)
	for _, t := range targets {
		cells := []string{names[t]}
		for i, n := range counts {
			fig := fmt.Sprintf("idle-%d", n)
			v, ok := vals[i][t]
			if !ok {
				cells = append(cells, d.missing(fig, t), "")
				continue
			}
			cell := num(v, 1)
			if rs := d.runs(fig, t); rs[0].Idle.Opened < n {
				cell += fmt.Sprintf(" (%d opened)", rs[0].Idle.Opened)
			}
			cells = append(cells, cell, or(rats[i][t], "—"))
		}
		if rs := d.runs(lastFig, t); len(rs) > 0 && rs[0].Idle != nil {
			cells = append(cells, num(float64(rs[0].Idle.ServerAfterKiB)/1024, 1))
			if t == "direct" {
				cells = append(cells, "(is the server)")
			} else {
				cells = append(cells, num(rs[0].Idle.AuxPerConnKiB, 1))
			}
		}
		f.Rows = append(f.Rows, row(width, cells...))
	}
	for i, n := range counts {
		ours, ok := vals[i]["proxy"]
		if !ok {
			continue
		}
		f.Ours = append(f.Ours, nameValue{num(float64(n), 0), ours})
		bestT, bestV := "", 0.0
		for _, t := range peers[1:] {
			if v, ok := vals[i][t]; ok && (bestT == "" || v < bestV) {
				bestT, bestV = t, v
			}
		}
		if bestT != "" && bestV < ours && !even(bestV, ours, 0) {
			f.Losses = append(f.Losses, idleLoss{Conns: n, Peer: names[bestT], PeerKiB: bestV, Less: ours - bestV})
		}
	}
	return f
}
