package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

// dataPath is the figures of the "Data path" part of BENCHMARKS.md
// (templates/datapath.md.tmpl).
type dataPath struct {
	Stamp            string
	Terminators      []string // the TLS peers this run measured
	Params           benchresult.Params
	Machine          benchresult.Machine
	Software         []string
	Negotiated       []negotiated
	TLSRuns          int
	DescriptorLimits []descriptorLimit
	LoadAvg          [2]string
	Disturbance      *disturbance
	Goals            goals
	Handshakes       []handshakeFig
	Latency          []latencyFig
	Throughput       throughputFig
	Idle             *idleFig
	Fanout           []fanoutFig
}

// negotiated is how many TLS runs negotiated one set of parameters.
type negotiated struct {
	Params string
	Runs   int
}

// descriptorLimit is an idle point the descriptor limit shrank.
type descriptorLimit struct{ Hard, Measured, Requested int }

// disturbance is CPU time on the two benchmark CPUs that none of the
// measured processes used: other tenants of a shared machine, and
// interrupt work the kernel does not charge to a process.
type disturbance struct {
	ServerMedian, ServerMax, ClientMedian, ClientMax float64
	Runs                                             int
}

// bound is what saturated during a target's runs: "client" (the load
// generator's CPU), "server" or "" (neither).
type bound struct {
	Name           string
	By             string
	Client, Server float64 // busy fractions
	// Fixed says that with neither CPU saturated the offered load was
	// fixed (fan-out), not the latency of one message at a time.
	Fixed bool
}

// dp computes the data-path figures of one run.
type dp struct{ r *results }

func dataPathFigures(r *results) dataPath {
	d := dp{r}
	m, p := r.machine, r.params
	out := dataPath{Stamp: r.stamp, Params: p, Machine: m, LoadAvg: r.loadavg}
	for _, t := range d.present() {
		out.Terminators = append(out.Terminators, names[t])
	}
	for _, v := range []string{m.Go, m.Nginx, m.HAProxy, m.Caddy, m.Hitch, m.Stunnel, m.OpenSSL, m.Proxy} {
		if v != "" {
			out.Software = append(out.Software, v)
		}
	}
	out.Negotiated, out.TLSRuns = d.negotiated()
	if p.NoFileHard > 0 && len(p.IdleCounts) > 0 && len(p.RequestedIdleCounts) == len(p.IdleCounts) {
		for i, n := range p.IdleCounts {
			if n != p.RequestedIdleCounts[i] {
				out.DescriptorLimits = append(out.DescriptorLimits, descriptorLimit{p.NoFileHard, n, p.RequestedIdleCounts[i]})
			}
		}
	}
	out.Disturbance = d.disturbance()
	out.Goals = d.goals()
	out.Handshakes = []handshakeFig{d.handshakes("handshake", false), d.handshakes("resume", true)}
	out.Latency = []latencyFig{d.latency("latency-64", "64 B"), d.latency("latency-16384", "16 KiB")}
	out.Throughput = d.throughput()
	out.Idle = d.idle()
	for _, n := range p.FanoutCounts {
		out.Fanout = append(out.Fanout, d.fanout(n))
	}
	return out
}

func (d dp) runs(fig, target string) []run { return d.r.runs[fig][target] }

// missing says why a cell is empty: the run's error, or that it did not run.
func (d dp) missing(fig, target string) string {
	if errs := d.r.failures[fig][target]; len(errs) > 0 {
		return "failed: " + strings.ReplaceAll(errs[0], "|", "/")
	}
	return "not run"
}

// present lists the TLS peers this run measured: the run's targets, or
// every peer for runs that did not record them.
func (d dp) present() []string {
	if len(d.r.params.Targets) == 0 {
		return peers
	}
	var out []string
	for _, t := range peers {
		if slices.Contains(d.r.params.Targets, t) {
			out = append(out, t)
		}
	}
	return out
}

// negotiated is what the TLS runs actually negotiated, the most common
// first.
func (d dp) negotiated() ([]negotiated, int) {
	seen := map[string]int{}
	total := 0
	for _, byTarget := range d.r.runs {
		for _, rs := range byTarget {
			for _, x := range rs {
				if x.TLS == nil {
					continue
				}
				total++
				seen[fmt.Sprintf("%s %s %s %s", x.TLS.Version, x.TLS.Curve, x.TLS.CipherSuite, x.TLS.ALPN)]++
			}
		}
	}
	var out []negotiated
	for k, n := range seen {
		out = append(out, negotiated{k, n})
	}
	slices.SortFunc(out, func(a, b negotiated) int { return cmp.Or(b.Runs-a.Runs, strings.Compare(a.Params, b.Params)) })
	return out, total
}

func (d dp) disturbance() *disturbance {
	p := d.r.params
	var srv, cli []float64
	for _, byTarget := range d.r.runs {
		for _, rs := range byTarget {
			for _, x := range rs {
				if x.Server == nil || x.Client == nil || len(x.CPUBusy) <= max(p.ServerCPU, p.ClientCPU) {
					continue
				}
				srv = append(srv, max(0, x.CPUBusy[p.ServerCPU]-serverCores(x)-auxCores(x)))
				cli = append(cli, max(0, x.CPUBusy[p.ClientCPU]-clientCores(x)))
			}
		}
	}
	if len(srv) == 0 {
		return nil
	}
	return &disturbance{medianOf(srv), maxOf(srv), medianOf(cli), maxOf(cli), len(srv)}
}

// bound names what saturated during a target's runs.
func (d dp) bound(target string, rs []run) bound {
	p := d.r.params
	b := bound{Name: names[target], Client: busy(rs, p.ClientCPU), Server: busy(rs, p.ServerCPU)}
	switch {
	case b.Client >= 0.9 && b.Client >= b.Server:
		b.By = "client"
	case b.Server >= 0.9:
		b.By = "server"
	}
	return b
}

// bounds is what saturated for each peer measured in fig.
func (d dp) bounds(fig string) []bound {
	var out []bound
	for _, t := range peers {
		if rs := d.runs(fig, t); len(rs) > 0 {
			out = append(out, d.bound(t, rs))
		}
	}
	return out
}

// limit is the Go limit: handshakes per core of crypto/tls's server side
// alone, 0 when it was not measured.
func (d dp) limit(resumed bool) float64 {
	switch c := d.r.cost; {
	case c == nil:
		return 0
	case resumed:
		return c.Resumed.PerSecond
	default:
		return c.Full.PerSecond
	}
}
