package main

import (
	"fmt"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

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
	// Reps is the most runs any cell has.
	Reps int
}

// floorTarget is the Go floor's run name in the idle figures: a Go server
// keeping only crypto/tls's and net's state per connection.
const floorTarget = "gofloor"

// idleFloor is the Go floor's KiB per connection at n connections (the
// median of its runs).
func (d dp) idleFloor(n int) (float64, bool) {
	rs := idleRuns(d.runs(fmt.Sprintf("idle-%d", n), floorTarget))
	return median(rs, idleKiB), len(rs) > 0
}

// The idle figure's metrics.
var (
	idleOf     = func(x run) *benchresult.Idle { return x.Idle }
	idleKiB    = of(idleOf, func(i *benchresult.Idle) float64 { return i.ServerPerConnKiB })
	idleOpened = of(idleOf, func(i *benchresult.Idle) float64 { return float64(i.Opened) })
	idleRSSMiB = of(idleOf, func(i *benchresult.Idle) float64 { return float64(i.ServerAfterKiB) / 1024 })
	idleAuxKiB = of(idleOf, func(i *benchresult.Idle) float64 { return i.AuxPerConnKiB })
)

// idleRuns are the runs of an idle point that opened connections.
func idleRuns(rs []run) []run {
	var out []run
	for _, r := range rs {
		if r.Idle != nil && r.Idle.Opened > 0 {
			out = append(out, r)
		}
	}
	return out
}

// idleCell is a point's KiB per connection: the median, ± half the spread
// across runs, and how many connections opened when not all did.
func idleCell(rs []run, n int) string {
	cell := num(median(rs, idleKiB), 1)
	if len(rs) > 1 {
		cell += fmt.Sprintf(" ±%.0f%%", spread(rs, idleKiB)*50)
	}
	if o := median(rs, idleOpened); o < float64(n) {
		cell += fmt.Sprintf(" (%s opened)", num(o, 0))
	}
	return cell
}

type idleLoss struct {
	Conns         int
	Peer          string
	PeerKiB, Less float64
}

func (d dp) idleValues(n int) map[string]float64 {
	out := map[string]float64{}
	for _, t := range targets {
		if rs := idleRuns(d.runs(fmt.Sprintf("idle-%d", n), t)); len(rs) > 0 {
			out[t] = median(rs, idleKiB)
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
			if _, ok := vals[i][t]; !ok {
				cells = append(cells, d.missing(fig, t), "")
				continue
			}
			rs := idleRuns(d.runs(fig, t))
			f.Reps = max(f.Reps, len(rs))
			cells = append(cells, idleCell(rs, n), or(rats[i][t], "—"))
		}
		if rs := idleRuns(d.runs(lastFig, t)); len(rs) > 0 {
			cells = append(cells, num(median(rs, idleRSSMiB), 1))
			if t == "direct" {
				cells = append(cells, "(is the server)")
			} else {
				cells = append(cells, num(median(rs, idleAuxKiB), 1))
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
		rs := idleRuns(d.runs(fig, floorTarget))
		_, failed := d.r.failures[fig][floorTarget]
		seen = seen || len(rs) > 0 || failed
		if len(rs) == 0 {
			cells = append(cells, d.missing(fig, floorTarget), "")
			continue
		}
		cells = append(cells, idleCell(rs, n), "—")
	}
	if !seen {
		return nil
	}
	if rs := idleRuns(d.runs(fmt.Sprintf("idle-%d", d.r.params.IdleCounts[len(d.r.params.IdleCounts)-1]), floorTarget)); len(rs) > 0 {
		cells = append(cells, num(median(rs, idleRSSMiB), 1), "(own echo process)")
	}
	return row(width, cells...)
}
