package main

import (
	"fmt"
	"slices"
)

// The round-2 targets.
const (
	goalHsVsPeer   = 1.3 // full handshakes per core against the best peer
	goalHsVsLimit  = 0.5 // full handshakes per core against the Go limit
	goalTputVsHAP  = 1.0 // single-connection throughput against HAProxy
	goalFanoutCPU  = 0.8 // fan-out CPU per message against the best peer, at equal p99
	goalIdleKiB    = 12  // idle memory per connection at the largest point
	equalP99Margin = 0.1 // p99s within 10% (or the run-to-run spread) count as equal
	// limitCrossCheckTolerance: a Go limit further than this from its
	// cross-check decides no goal.
	limitCrossCheckTolerance = 0.15
)

// goals checks the targets against this run's figures; where one
// is missed, a note under the table says by how much and what bounds it.
type goals struct {
	HsPeer, HsHTTP, HsLimit, Tput, Idle *goalRow
	HTTPPeers                           []string
	Fanout                              []goalRow

	HsBehind     *hsBehind
	LimitCeiling *limitCeiling
	TputBehind   *tputBehind
	FanoutBehind []fanoutBehind
	IdleBehind   *idleBehind
}

// goalRow is one target: ours against the other (a peer or the Go
// limit), their ratio X, and Measured (X, or for an absolute goal ours)
// against the Goal.
type goalRow struct {
	Goal, X     float64
	Measured    float64
	Met         bool
	Ours, Other float64
	OtherName   string
	Conns       int
	// Fan-out only: the delivery p99s, whether they count as equal, and
	// whether the figure is invalid.
	OursP99, OtherP99 float64
	P99Equal, Invalid bool
	// NotComparable says why no verdict is drawn: ours, or every peer,
	// fell behind (fanKeptUp).
	NotComparable string
}

func newGoalRow(goal, ours, other float64, otherName string, higher bool) *goalRow {
	x := ours / other
	return &goalRow{Goal: goal, X: x, Measured: x, Met: (higher && x >= goal) || (!higher && x <= goal), Ours: ours, Other: other,
		OtherName: otherName}
}

type hsBehind struct {
	Best                         string
	L4                           bool
	Want, WantUs, OursUs, BestUs float64
	LimitUs, KernelUs            float64
}

type limitCeiling struct {
	Want, WantUs, LimitUs, RestUs, OursRestUs, Ceiling, KernelUs float64
	Others                                                       []nameValue
}

type tputBehind struct {
	Ours, HAProxy, Ratio float64
	Bound                bound
	// PerRun are ours over HAProxy in each repetition (the targets take
	// turns within one) when one of them is under the goal, which asks for
	// every run.
	PerRun []float64
}

type fanoutBehind struct {
	Conns             int
	Best              string
	BestV, Want, Ours float64 // ms per 1,000 messages
	// From the fan-out profile at Conns (zero without one): the kernel's
	// and the record encryption's shares of the proxy's CPU (%), what they
	// cost per 1,000 messages (Floor, ms: the proxy's CPU with all its own
	// work at zero) and Floor over BestV (the ceiling of the ratio).
	KernelPct, CryptoPct, Floor, Ceiling float64
}

type idleBehind struct {
	Conns               int
	Ours, Direct, BestV float64
	Best                string
	// Floor is the Go floor at Conns (0: not measured); FloorAbove says
	// it is above the goal, which no Go proxy can then meet. Left is the
	// goal over the floor, Used ours over it.
	Floor, Left, Used float64
	FloorAbove        bool
}

func (d dp) goals() goals {
	var g goals
	_, pcs := d.hsValues("handshake")
	ours := pcs["proxy"]
	lim := d.limit(false)
	kernelUs := d.kernelUs(ours)
	if best := bestOther(pcs, true); ours > 0 && best != "" {
		g.HsPeer = newGoalRow(goalHsVsPeer, ours, pcs[best], names[best], true)
		if !g.HsPeer.Met {
			want := goalHsVsPeer * pcs[best]
			g.HsBehind = &hsBehind{Best: names[best], L4: best == "hitch" || best == "stunnel", Want: want, WantUs: 1e6 / want,
				OursUs: 1e6 / ours, BestUs: 1e6 / pcs[best], LimitUs: inv(lim), KernelUs: kernelUs}
		}
		if httpBest := bestOf(pcs, httpPeers, true); httpBest != "" && httpBest != best {
			g.HsHTTP = newGoalRow(goalHsVsPeer, ours, pcs[httpBest], names[httpBest], true)
			g.HTTPPeers = namesOf(httpPeers)
		}
	}
	if ours > 0 && lim > 0 {
		g.HsLimit = newGoalRow(goalHsVsLimit, ours, lim, "", true)
		// The limit is only as good as its agreement with crypto/tls's own
		// benchmark of the same handshake.
		if crossNs, diff, ok := d.limitCross(); ok && crossDisagrees(diff) {
			g.HsLimit.NotComparable = fmt.Sprintf("the limit (%s µs) and its cross-check (%s µs) disagree by %+.0f%%",
				num(1e6/lim, 0), num(crossNs/1000, 0), diff*100)
		}
		if !g.HsLimit.Met {
			want := goalHsVsLimit * lim
			c := &limitCeiling{Want: want, WantUs: 1e6 / want, LimitUs: 1e6 / lim, RestUs: 1e6/want - 1e6/lim, OursRestUs: 1e6/ours - 1e6/lim,
				KernelUs: kernelUs}
			for _, t := range peers[1:] {
				if v := pcs[t]; v > 0 {
					c.Others = append(c.Others, nameValue{names[t], v / lim})
				}
			}
			if kernelUs > 0 {
				c.Ceiling = 1e6 / (1e6/lim + kernelUs) / lim
			}
			g.LimitCeiling = c
		}
	}

	if rs, hs := d.runs("throughput-1", "proxy"), d.runs("throughput-1", "haproxy"); len(rs) > 0 && len(hs) > 0 {
		g.Tput = newGoalRow(goalTputVsHAP, median(rs, mbps), median(hs, mbps), names["haproxy"], true)
		// The goal holds in every run: each repetition's ratio counts (when
		// both have every repetition, so the i-th runs took turns together).
		var perRun []float64
		for i := range len(rs) {
			if len(rs) == len(hs) && hs[i].MBPerSec > 0 {
				perRun = append(perRun, rs[i].MBPerSec/hs[i].MBPerSec)
			}
		}
		if worst := slices.Min(append(perRun, g.Tput.X)); worst < goalTputVsHAP {
			g.Tput.Met, g.Tput.Measured = false, worst
			g.TputBehind = &tputBehind{Ours: g.Tput.Ours, HAProxy: g.Tput.Other, Ratio: g.Tput.X, Bound: d.bound("proxy", rs), PerRun: perRun}
		}
	}

	for _, n := range d.r.params.FanoutCounts {
		cpu, p99s := d.fanValues(n)
		kept, behind := d.fanComparable(n, cpu)
		if cpu["proxy"] == 0 || fanBest(cpu) == "" {
			continue
		}
		fig := fmt.Sprintf("fanout-%d", n)
		best := fanBest(kept)
		if why, ok := behind["proxy"]; ok || best == "" {
			// Not at equal p99: CPU per message of a target whose queues
			// grow is not comparable with one that keeps up.
			lowest := fanBest(cpu)
			r := newGoalRow(goalFanoutCPU, cpu["proxy"], cpu[lowest], names[lowest], false)
			r.Conns, r.OursP99, r.OtherP99 = n, p99s["proxy"], p99s[lowest]
			r.Met = false
			if ok {
				r.NotComparable = "wss-operator proxy did not keep up (" + why + ")"
			} else {
				r.NotComparable = "no other target kept up"
			}
			r.Invalid = len(d.fanInvalid(n)) > 0
			g.Fanout = append(g.Fanout, *r)
			continue
		}
		r := newGoalRow(goalFanoutCPU, cpu["proxy"], cpu[best], names[best], false)
		noise := max(equalP99Margin, max(spread(d.runs(fig, "proxy"), p99), spread(d.runs(fig, best), p99))/2)
		r.Conns, r.OursP99, r.OtherP99 = n, p99s["proxy"], p99s[best]
		r.P99Equal = p99s["proxy"] <= p99s[best]*(1+noise)
		r.Invalid = len(d.fanInvalid(n)) > 0
		g.Fanout = append(g.Fanout, *r)
		if !r.Met && !r.Invalid {
			fb := fanoutBehind{Conns: n, Best: names[best], BestV: cpu[best], Want: goalFanoutCPU * cpu[best], Ours: cpu["proxy"]}
			if kernel, crypto, ok := profileShares(d.r.fanProfile); ok && d.r.fanProfileN == n {
				fb.KernelPct, fb.CryptoPct = kernel, crypto
				fb.Floor = cpu["proxy"] * (kernel + crypto) / 100
				fb.Ceiling = fb.Floor / cpu[best]
			}
			g.FanoutBehind = append(g.FanoutBehind, fb)
		}
	}

	if counts := d.r.params.IdleCounts; len(counts) > 0 {
		n := counts[len(counts)-1]
		vals := d.idleValues(n)
		if v, ok := vals["proxy"]; ok {
			g.Idle = &goalRow{Goal: goalIdleKiB, X: v / goalIdleKiB, Measured: v, Met: v <= goalIdleKiB, Ours: v, Conns: n}
			if !g.Idle.Met {
				best := bestOther(vals, false)
				g.IdleBehind = &idleBehind{Conns: n, Ours: v, Direct: vals["direct"], Best: names[best], BestV: vals[best]}
				if floor, ok := d.idleFloor(n); ok {
					g.IdleBehind.Floor, g.IdleBehind.FloorAbove = floor, floor > goalIdleKiB
					g.IdleBehind.Left, g.IdleBehind.Used = goalIdleKiB-floor, v-floor
				}
			}
		}
	}
	return g
}

// kernelUs is the kernel's CPU µs per handshake of the proxy, from the
// profile (0 without one).
func (d dp) kernelUs(perCore float64) float64 {
	if perCore <= 0 {
		return 0
	}
	if kernel, _, ok := profileShares(d.r.profile); ok {
		return kernel / 100 * 1e6 / perCore
	}
	return 0
}
