package main

import (
	"slices"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

type run = benchresult.Run

// metric is one figure of a run.
type metric func(run) float64

// of is the metric field reads from the part of a run that part picks: 0
// when the run lacks that part.
func of[T any](part func(run) *T, field func(*T) float64) metric {
	return func(x run) float64 {
		if p := part(x); p != nil {
			return field(p)
		}
		return 0
	}
}

// The parts of a run, and the metrics the report takes from them.
var (
	latencyOf = func(x run) *benchresult.Latency { return x.Latency }
	fanoutOf  = func(x run) *benchresult.Fanout { return x.Fanout }

	rate metric = func(x run) float64 { return x.Rate }
	mbps metric = func(x run) float64 { return x.MBPerSec }

	p50  = of(latencyOf, func(l *benchresult.Latency) float64 { return l.P50Ms })
	p99  = of(latencyOf, func(l *benchresult.Latency) float64 { return l.P99Ms })
	p999 = of(latencyOf, func(l *benchresult.Latency) float64 { return l.P999Ms })

	serverCores = of(func(x run) *benchresult.ProcUse { return x.Server }, procCores)
	auxCores    = of(func(x run) *benchresult.ProcUse { return x.Aux }, procCores)
	clientCores = of(func(x run) *benchresult.ProcUse { return x.Client }, procCores)

	fanCPU       = of(fanoutOf, func(f *benchresult.Fanout) float64 { return f.ServerCPUMsPer1000 })
	fanAuxCPU    = of(fanoutOf, func(f *benchresult.Fanout) float64 { return f.AuxCPUMsPer1000 })
	fanDelivered = of(fanoutOf, func(f *benchresult.Fanout) float64 { return f.DeliveredFraction })
	fanEchoP99   = of(func(x run) *benchresult.Latency {
		if x.Fanout == nil {
			return nil
		}
		return x.Fanout.EchoLatency
	}, func(l *benchresult.Latency) float64 { return l.P99Ms })
	resumed = of(func(x run) *float64 { return x.ResumedFraction }, func(f *float64) float64 { return *f })

	// perCore is handshakes per second of the server's own CPU time.
	perCore metric = func(x run) float64 {
		if c := serverCores(x); c > 0 {
			return x.Rate / c
		}
		return 0
	}
)

func procCores(u *benchresult.ProcUse) float64 { return u.Cores }

// median of f over the runs; NaN-free: 0 for none.
func median(runs []run, f metric) float64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	return medianOf(v)
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// spread is (max-min)/median of f over the runs, as a fraction.
func spread(runs []run, f metric) float64 {
	if len(runs) < 2 {
		return 0
	}
	lo, hi := f(runs[0]), f(runs[0])
	for _, r := range runs[1:] {
		lo, hi = min(lo, f(r)), max(hi, f(r))
	}
	m := median(runs, f)
	if m == 0 {
		return 0
	}
	return (hi - lo) / m
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// busy is the median busy fraction of a CPU over the runs.
func busy(rs []run, cpu int) float64 {
	return median(rs, func(x run) float64 {
		if cpu < len(x.CPUBusy) {
			return x.CPUBusy[cpu]
		}
		return 0
	})
}
