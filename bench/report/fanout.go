package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// fanoutFig is the fan-out figure at one connection count.
type fanoutFig struct {
	Conns, Size         int
	IntervalMs, Senders float64
	Rows                [][]string
	// ByRound is set when every run counted deliveries by the round
	// stamped on each push (the current load generator); older runs
	// counted them by arrival.
	ByRound  bool
	GraceSec float64
	Bounds   []bound
	Verdict  *fanVerdict
	// Behind lists the targets that did not keep up (fanKeptUp) and why;
	// the verdict compares only those that did.
	Behind string
	// Invalid are the runs that counted more pushes delivered than the
	// backend can have sent: the figure draws no verdict then.
	Invalid []invalidRun
	// Note is a remark added to the run by hand (notes.json).
	Note string
	// Profile is where the proxy's CPU went during an extra, profiled run
	// at this count (part, share, µs per message), when run.sh recorded one.
	Profile [][]string
}

// fanVerdict compares our server CPU per message with the best peer's.
type fanVerdict struct {
	Conns              int
	Best               string
	Ours, BestV, Ratio float64 // ms per 1,000 messages
	OursP99, BestP99   float64
}

// invalidRun is a run whose delivery count breaks delivered ≤ sent.
type invalidRun struct {
	Target  string
	Rep     int
	ByRound bool
	// Counted pushes against the Most the backend can have sent: Promised
	// when counted by round; by arrival, Opened connections × (the
	// window's whole intervals + 1, for a round already under way).
	Counted, Most, Opened, Intervals int64
	Delivered                        float64 // the fraction reported
}

// deliveryCheck says why a fan-out run's delivery count cannot be right,
// nil when it can.
func deliveryCheck(x run) *invalidRun {
	f := x.Fanout
	if f == nil {
		return nil
	}
	bad := &invalidRun{Target: names[x.Target], Opened: int64(f.Opened), Delivered: f.DeliveredFraction}
	switch {
	case f.Promised > 0:
		bad.ByRound, bad.Counted, bad.Most = true, f.Delivered, f.Promised
		if f.Delivered <= f.Promised && f.DeliveredFraction <= 1 {
			return nil
		}
	case f.BroadcastIntervalMs > 0:
		bad.Intervals = int64(math.Floor(x.DurationSec*1000/f.BroadcastIntervalMs)) + 1
		bad.Counted, bad.Most = f.Broadcasts, int64(f.Opened)*bad.Intervals
		if f.Broadcasts <= bad.Most {
			return nil
		}
	default:
		return nil
	}
	return bad
}

// fanValues returns the median server CPU ms per 1,000 messages and the
// median delivery p99 (ms) per target, for the fan-out figure at n.
func (d dp) fanValues(n int) (cpu, p99s map[string]float64) {
	cpu, p99s = map[string]float64{}, map[string]float64{}
	fig := fmt.Sprintf("fanout-%d", n)
	for _, t := range targets {
		if rs := d.runs(fig, t); len(rs) > 0 {
			cpu[t], p99s[t] = median(rs, fanCPU), median(rs, p99)
		}
	}
	return cpu, p99s
}

// fanInvalid lists the runs of the figure at n that break delivered ≤ sent.
func (d dp) fanInvalid(n int) []invalidRun {
	var out []invalidRun
	for _, t := range targets {
		for i, x := range d.runs(fmt.Sprintf("fanout-%d", n), t) {
			if bad := deliveryCheck(x); bad != nil {
				bad.Rep = i + 1
				out = append(out, *bad)
			}
		}
	}
	return out
}

func (d dp) fanout(n int) fanoutFig {
	p := d.r.params
	fig := fmt.Sprintf("fanout-%d", n)
	f := fanoutFig{Conns: n, Size: p.FanoutSize, IntervalMs: p.FanoutIntervalMs, Senders: p.FanoutSenders, ByRound: true,
		Invalid: d.fanInvalid(n), Note: d.r.notes[fig]}
	cpu, p99s := d.fanValues(n)
	cr, _ := ratios(cpu, false)
	pr, _ := ratios(p99s, false)
	for _, t := range targets {
		rs := d.runs(fig, t)
		if len(rs) == 0 {
			f.Rows = append(f.Rows, row(10, names[t], d.missing(fig, t)))
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
		delivered := pct(median(rs, fanDelivered))
		if slices.ContainsFunc(f.Invalid, func(b invalidRun) bool { return b.Target == names[t] }) {
			delivered += " (invalid)"
		}
		for _, x := range rs {
			if x.Fanout == nil || x.Fanout.Promised == 0 {
				f.ByRound = false
			} else {
				f.GraceSec = x.Fanout.DeliveryGraceSec
			}
		}
		f.Rows = append(f.Rows, []string{names[t] + conns, num(median(rs, rate), 0), delivered,
			fmt.Sprintf("%s ±%.0f%%", num(cpu[t], 1), spread(rs, fanCPU)*50), or(cr[t], "—"),
			fmt.Sprintf("%s / %s ±%.0f%% / %s", num(median(rs, p50), 2), num(p99s[t], 2), spread(rs, p99)*50, num(median(rs, p999), 2)),
			or(pr[t], "—"), num(median(rs, fanEchoP99), 2), backend,
			pct(busy(rs, p.ClientCPU)) + " / " + pct(busy(rs, p.ServerCPU))})
	}
	if d.r.fanProfileN == n {
		f.Profile = d.fanProfileRows(cpu["proxy"])
	}
	f.Bounds = d.bounds(fig)
	for i := range f.Bounds {
		f.Bounds[i].Fixed = true
	}
	kept, behind := d.fanComparable(n, cpu)
	f.Behind = behindText(behind)
	if best := fanBest(kept); best != "" && kept["proxy"] > 0 && len(f.Invalid) == 0 {
		f.Verdict = &fanVerdict{Conns: n, Best: names[best], Ours: cpu["proxy"], BestV: cpu[best], Ratio: cpu["proxy"] / cpu[best],
			OursP99: p99s["proxy"], BestP99: p99s[best]}
	}
	return f
}

// fanBest is the peer other than ours with the least CPU per message.
func fanBest(cpu map[string]float64) string { return bestOther(cpu, false) }

// keptUpP99Intervals is how many push intervals a delivery p99 may take
// before a target counts as falling behind: its queues grow instead of
// draining, and its CPU per message drops because it writes backlogs in
// bulk. Such CPU figures are not at equal p99 with a target that keeps up.
const keptUpP99Intervals = 10

// fanKeptUp says why target did not keep up with the fan-out at n ("" when
// it did): in some repetition it opened fewer connections, delivered less
// than 99% of the pushes, or its median delivery p99 exceeded
// keptUpP99Intervals push intervals.
func (d dp) fanKeptUp(n int, target string) string {
	rs := d.runs(fmt.Sprintf("fanout-%d", n), target)
	if len(rs) == 0 {
		return "not measured"
	}
	var why []string
	opened := n
	for _, x := range rs {
		if f := x.Fanout; f != nil && f.Opened < opened {
			opened = f.Opened
		}
	}
	if opened < n {
		why = append(why, fmt.Sprintf("opened %s of %s connections", num(float64(opened), 0), num(float64(n), 0)))
	}
	if del := median(rs, fanDelivered); del < 0.99 {
		why = append(why, "delivered "+pct(del))
	}
	if limit := keptUpP99Intervals * d.r.params.FanoutIntervalMs; limit > 0 {
		if v := median(rs, p99); v > limit {
			why = append(why, fmt.Sprintf("delivery p99 %s ms, over %d push intervals", num(v, 0), keptUpP99Intervals))
		}
	}
	return strings.Join(why, ", ")
}

// fanComparable is the CPU per message of the targets that kept up, and
// why each of the others did not.
func (d dp) fanComparable(n int, cpu map[string]float64) (map[string]float64, map[string]string) {
	ok, behind := map[string]float64{}, map[string]string{}
	for t, v := range cpu {
		if why := d.fanKeptUp(n, t); why != "" {
			behind[t] = why
			continue
		}
		ok[t] = v
	}
	return ok, behind
}

// behindText lists the targets that fell behind, in the table's order.
func behindText(behind map[string]string) string {
	var parts []string
	for _, t := range targets {
		if why, ok := behind[t]; ok {
			parts = append(parts, names[t]+": "+why)
		}
	}
	return strings.Join(parts, "; ")
}

// fanProfileRows shows where the proxy's CPU went during the profiled
// fan-out run; usPerMsg is its CPU per message (its ms per 1,000).
func (d dp) fanProfileRows(usPerMsg float64) [][]string {
	return profileRows(d.r.fanProfile, usPerMsg/100, 2)
}
