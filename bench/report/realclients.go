package main

import (
	"fmt"
	"slices"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

// realClients is the figures of the "Real clients" part of BENCHMARKS.md
// (templates/realclients.md.tmpl): for every client and workload, base
// against head.
type realClients struct {
	*benchresult.RealClients
	Base, Head benchresult.Build
	Rows       []rcRow
	// Slower are the rows whose head is slower; Failed counts the runs
	// that failed (left out of the figures).
	Slower []rcRow
	Failed int
	// NodeResumed of NodeHandshakes timed Node handshakes resumed a TLS
	// session (Chromium's page cannot tell).
	NodeResumed, NodeHandshakes int
	// Complete is true when every row has runs of base and head.
	Complete bool
	// Loops says what each run timed, as prose; Command reproduces the run.
	Loops, Command string
}

// rcRow is one client × workload. Time is the median per-iteration time
// of a run (ms for handshakes, µs for round trips), Mean the run's total
// ÷ its count, CPU the sidecar's CPU time per iteration (µs); each
// summarised over the repetitions.
type rcRow struct {
	Client, Workload, Unit string
	Count                  int
	Time, Mean, CPU        pair
	Verdict                verdict
}

// pair is one figure of base and head over the repetitions.
type pair struct {
	Base, Head spreadRange
	Ratio      float64 // head's median ÷ base's (0 when either is missing)
}

// spreadRange is the median, minimum and maximum of the repetitions.
type spreadRange struct {
	Median, Min, Max float64
	N                int
}

// Format is "1.23 ms (1.10–1.40)": the median and the spread in unit.
func (s spreadRange) Format(unit string) string {
	if s.N == 0 {
		return "n/a"
	}
	return rcNum(s.Median, unit) + " " + unit + " (" + rcNum(s.Min, unit) + "–" + rcNum(s.Max, unit) + ")"
}

// verdict is whether head is slower than base: not when head's median is
// within base's spread (at most base's maximum) or faster; else by
// SlowerPct percent of base's median.
type verdict struct {
	NotSlower bool
	SlowerPct float64
	NoData    bool // base or head has no successful run
}

func (v verdict) String() string {
	if v.NoData {
		return "n/a (no runs)"
	}
	if v.NotSlower {
		return "not slower"
	}
	return fmt.Sprintf("**slower by %.0f%%**", v.SlowerPct)
}

// judge compares head with base, lower being better.
func judge(base, head spreadRange) verdict {
	if base.N == 0 || head.N == 0 || base.Median <= 0 {
		return verdict{NoData: true}
	}
	if head.Median <= base.Max {
		return verdict{NotSlower: true}
	}
	return verdict{SlowerPct: (head.Median/base.Median - 1) * 100}
}

func spreadOf(v []float64) spreadRange {
	if len(v) == 0 {
		return spreadRange{}
	}
	return spreadRange{Median: medianOf(v), Min: slices.Min(v), Max: slices.Max(v), N: len(v)}
}

func pairOf(base, head []float64) pair {
	p := pair{Base: spreadOf(base), Head: spreadOf(head)}
	if p.Base.Median > 0 && p.Head.N > 0 {
		p.Ratio = p.Head.Median / p.Base.Median
	}
	return p
}

var clientNames = map[string]string{"node": "Node.js ws", "chromium": "Chromium"}

// realClientsFigures summarises the runs by client (in the order they
// first ran) and workload (in the results' order).
func realClientsFigures(rc *benchresult.RealClients) realClients {
	f := realClients{RealClients: rc}
	for _, b := range rc.Builds {
		switch b.Name {
		case "base":
			f.Base = b
		case "head":
			f.Head = b
		}
	}
	f.Loops = loops(rc.Workloads)
	f.Complete = true
	f.Command = fmt.Sprintf("go run ./bench/realclients -base %s -reps %d", f.Base.Rev, rc.Reps)
	for _, w := range rc.Workloads {
		switch w.Name {
		case "handshake":
			f.Command += fmt.Sprintf(" -handshakes %d", w.Count)
		case "echo-64B":
			f.Command += fmt.Sprintf(" -echoes %d", w.Count)
		}
	}
	var clients []string
	type key struct{ client, workload, build string }
	times, means, cpus := map[key][]float64{}, map[key][]float64{}, map[key][]float64{}
	for _, r := range rc.Runs {
		if !slices.Contains(clients, r.Client) {
			clients = append(clients, r.Client)
		}
		if r.Error != "" || r.Count <= 0 {
			f.Failed++
			continue
		}
		scale := 1000.0 // µs for round trips
		if kindOf(rc.Workloads, r.Workload) == "handshake" {
			scale = 1 // ms
		}
		if r.Client == "node" && r.Resumed >= 0 && kindOf(rc.Workloads, r.Workload) == "handshake" {
			f.NodeResumed += r.Resumed
			f.NodeHandshakes += r.Count
		}
		k := key{r.Client, r.Workload, r.Build}
		times[k] = append(times[k], r.P50Ms*scale)
		means[k] = append(means[k], r.PerOpMs()*scale)
		cpus[k] = append(cpus[k], r.SidecarCPUSec*1e6/float64(r.Count))
	}
	for _, c := range clients {
		for _, w := range rc.Workloads {
			b, h := key{c, w.Name, "base"}, key{c, w.Name, "head"}
			row := rcRow{Client: or(clientNames[c], c), Workload: workloadName(w), Unit: "µs", Count: w.Count,
				Time: pairOf(times[b], times[h]), Mean: pairOf(means[b], means[h]), CPU: pairOf(cpus[b], cpus[h])}
			if w.Kind == "handshake" {
				row.Unit = "ms"
			}
			row.Verdict = judge(row.Time.Base, row.Time.Head)
			f.Rows = append(f.Rows, row)
			f.Complete = f.Complete && !row.Verdict.NoData
			if !row.Verdict.NotSlower && !row.Verdict.NoData {
				f.Slower = append(f.Slower, row)
			}
		}
	}
	return f
}

func kindOf(ws []benchresult.Workload, name string) string {
	for _, w := range ws {
		if w.Name == name {
			return w.Kind
		}
	}
	return ""
}

// workloadName is how the report names a workload.
func workloadName(w benchresult.Workload) string {
	if w.Kind == "handshake" {
		return "handshake (connect, TLS, upgrade, close)"
	}
	return "echo round trip, " + sizeName(w.Size)
}

// loops is "300 handshakes, 1,000 round trips of 64 B and 1,000 of 16 KiB
// (after 30, 100 and 100 untimed)".
func loops(ws []benchresult.Workload) string {
	var what, warm []string
	echoes := 0
	for _, w := range ws {
		warm = append(warm, num(float64(w.Warmup), 0))
		switch {
		case w.Kind == "handshake":
			what = append(what, num(float64(w.Count), 0)+" handshakes")
		case echoes == 0:
			what = append(what, num(float64(w.Count), 0)+" round trips of "+sizeName(w.Size))
			echoes++
		default:
			what = append(what, num(float64(w.Count), 0)+" of "+sizeName(w.Size))
		}
	}
	return joinAnd(what) + " (after " + joinAnd(warm) + " untimed)"
}

func sizeName(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

// short is a commit's first 12 hex digits.
func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// rcNum formats a time in its row's unit: ms with 2 decimals, µs with 0.
func rcNum(v float64, unit string) string {
	if unit == "ms" {
		return num(v, 2)
	}
	return num(v, 0)
}

func loadRealClients(file string) (*benchresult.RealClients, error) {
	var rc benchresult.RealClients
	if err := readJSON(file, &rc); err != nil {
		return nil, err
	}
	return &rc, nil
}
