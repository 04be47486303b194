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
	// Floor is the Go floor at each point it was measured
	// (bench/datapath/idlefloor); FloorLast the one at the largest point,
	// 0 when it was not measured there.
	Floor     []nameValue
	FloorLast float64
	// At the largest point, with the floor measured there: ours, ours
	// over the floor, the goal over the floor, and whether the floor is
	// above the goal.
	OursLast, OverFloor, Headroom float64
	FloorAbove                    bool
}

// floorTarget is the Go floor's run name in the idle figures: a Go server
// keeping only crypto/tls's and net's state per connection.
const floorTarget = "gofloor"

// idleFloor is the Go floor's KiB per connection at n connections.
func (d dp) idleFloor(n int) (float64, bool) {
	if rs := d.runs(fmt.Sprintf("idle-%d", n), floorTarget); len(rs) > 0 && rs[0].Idle != nil && rs[0].Idle.Opened > 0 {
		return rs[0].Idle.ServerPerConnKiB, true
	}
	return 0, false
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
	if floor := d.floorRow(width); floor != nil {
		f.Rows = append(f.Rows, floor)
		for _, n := range counts {
			if v, ok := d.idleFloor(n); ok {
				f.Floor = append(f.Floor, nameValue{num(float64(n), 0), v})
			}
		}
		f.FloorLast, _ = d.idleFloor(f.Last)
		if ours, ok := vals[len(vals)-1]["proxy"]; ok && f.FloorLast > 0 {
			f.OursLast, f.OverFloor = ours, ours-f.FloorLast
			f.Headroom, f.FloorAbove = float64(f.Goal)-f.FloorLast, f.FloorLast > float64(f.Goal)
		}
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

// floorRow is the Go floor's row of the idle table, nil when no point has
// it (runs from before it was measured).
func (d dp) floorRow(width int) []string {
	cells := []string{"**Go floor:** crypto/tls and net alone (`bench/datapath/idlefloor`)"}
	seen := false
	for _, n := range d.r.params.IdleCounts {
		fig := fmt.Sprintf("idle-%d", n)
		v, ok := d.idleFloor(n)
		_, failed := d.r.failures[fig][floorTarget]
		seen = seen || ok || failed
		if !ok {
			cells = append(cells, d.missing(fig, floorTarget), "")
			continue
		}
		cell := num(v, 1)
		if rs := d.runs(fig, floorTarget); rs[0].Idle.Opened < n {
			cell += fmt.Sprintf(" (%d opened)", rs[0].Idle.Opened)
		}
		cells = append(cells, cell, "—")
	}
	if !seen {
		return nil
	}
	if rs := d.runs(fmt.Sprintf("idle-%d", d.r.params.IdleCounts[len(d.r.params.IdleCounts)-1]), floorTarget); len(rs) > 0 && rs[0].Idle != nil {
		cells = append(cells, num(float64(rs[0].Idle.ServerAfterKiB)/1024, 1), "(own echo process)")
	}
	return row(width, cells...)
}
