// Command cpbench measures the control plane: on the local kube-apiserver
// with real cert-manager controllers, the time from applying a WSSEndpoint
// to Ready (p50/p95 over 20), the time for 1,000 endpoints to all be Ready,
// and the manager's RSS and heap at 1,000 — with the manager's cache
// settings (managedFields stripped, Secrets cached as metadata only, Pods,
// Services and Certificates filtered by label) and without them.
//
// The manager runs in a child process, its own binary (./cpmanager, built
// by cpbench at start), so its RSS is its own and a manager's. There is no kubelet: this process
// plays it (rollout status, Pods at 127.x.y.z) and one loopback TLS server
// stands in for every sidecar, choosing each endpoint's certificate by SNI.
// Nothing is dialled but loopback.
//
//	go run ./bench/controlplane -n 1000 -out bench/results/controlplane.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

type options struct {
	n          int
	latencyN   int
	noise      int
	out        string
	markdown   string
	splice     string
	goMemLimit string
	noFloor    bool
	noMemory   bool
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 1000, "endpoints for the scale run")
	flag.IntVar(&o.latencyN, "latency-n", 20, "endpoints applied one by one for the apply-to-Ready latency")
	flag.IntVar(&o.noise, "noise-secrets", 2000, "unrelated 8 KiB Secrets in the cluster (what a naive Secret cache pays for)")
	flag.StringVar(&o.out, "out", "", "write the results as JSON to this file")
	flag.StringVar(&o.markdown, "markdown", "", "write the results as a BENCHMARKS.md section to this file")
	render := flag.String("render", "", "only re-render -markdown from a results JSON file written by -out")
	flag.StringVar(&o.goMemLimit, "gomemlimit", chartGoMemLimit, "GOMEMLIMIT of the measured manager (default: what the chart sets for its default memory limit)")
	flag.BoolVar(&o.noMemory, "no-memory", false, "skip the memory measurements (a quick check of the rest)")
	flag.BoolVar(&o.noFloor, "no-floor", false, "skip the floor (the same Certificates without WSSEndpoints)")
	flag.StringVar(&o.splice, "splice", "", "also replace the control-plane section of this file (BENCHMARKS.md)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if *render != "" {
		var res results
		data, rerr := os.ReadFile(*render)
		if rerr == nil {
			rerr = json.Unmarshal(data, &res)
		}
		if rerr == nil {
			rerr = report(&res, options{markdown: o.markdown, splice: o.splice})
		}
		if rerr != nil {
			fmt.Fprintln(os.Stderr, "cpbench:", rerr)
			os.Exit(1)
		}
		return
	}
	var res *results
	res, err = drive(ctx, o)
	if err == nil {
		err = report(res, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cpbench:", err)
		os.Exit(1)
	}
}

type results struct {
	Machine           map[string]string `json:"machine"`
	Endpoints         int               `json:"endpoints"`
	NoiseSecrets      int               `json:"noiseSecrets"`
	ApplyToReadyMs    []float64         `json:"applyToReadyMs"`
	P50Ms             float64           `json:"applyToReadyP50Ms"`
	P95Ms             float64           `json:"applyToReadyP95Ms"`
	P25Ms             float64           `json:"applyToReadyP25Ms"`
	P75Ms             float64           `json:"applyToReadyP75Ms"`
	MinMs             float64           `json:"applyToReadyMinMs"`
	MaxMs             float64           `json:"applyToReadyMaxMs"`
	AllReadySeconds   float64           `json:"allReadySeconds"`
	CertsIssuedSecond float64           `json:"certificatesIssuedSeconds"`
	Memory            []memory          `json:"memory"`
	GoMemLimit        string            `json:"goMemLimit"`
	// Floor is the same Certificates applied without WSSEndpoints: the
	// time cert-manager alone needs on this API server.
	Floor *window `json:"floor,omitempty"`
	// Ours is the window from applying the endpoints to all Ready.
	Ours *window `json:"ours,omitempty"`
	// StatusChanges counts what changed in the status writes the driver's
	// cache saw from apply to all Ready (StatusWritesSeen of them; a watch
	// may fold two quick writes into one).
	StatusChanges    map[string]float64 `json:"statusChanges,omitempty"`
	StatusWritesSeen float64            `json:"statusWritesSeen,omitempty"`
	// StatusWritesAfterReady are the writes seen to endpoints that were
	// Ready already, before the last one was (the steady state: probe results).
	StatusWritesAfterReady float64 `json:"statusWritesAfterReady,omitempty"`
	// EventsByReason counts the events on the endpoints by type/reason.
	EventsByReason map[string]float64 `json:"eventsByReason,omitempty"`
}

type memory struct {
	Cache      string  `json:"cache"`
	GoMemLimit string  `json:"goMemLimit"`
	RSSMiB     float64 `json:"rssMiB"`
	AnonMiB    float64 `json:"rssAnonMiB"`
	HeapMiB    float64 `json:"heapInuseMiB"`
	SettleSec  float64 `json:"settleSeconds"`
}

func report(r *results, o options) error {
	if o.out != "" {
		data, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.out, append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	md := renderMarkdown(r)
	fmt.Print(md)
	if o.markdown != "" {
		if err := os.WriteFile(o.markdown, []byte(md), 0o644); err != nil {
			return err
		}
	}
	if o.splice != "" {
		return splice(o.splice, md)
	}
	return nil
}

const (
	beginMarker = "<!-- control-plane:begin (generated by bench/controlplane; make bench rewrites it) -->"
	endMarker   = "<!-- control-plane:end -->"
)

// splice replaces the control-plane section of file (between the markers),
// or appends it, leaving every other section as it is.
func splice(file, md string) error {
	old, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	section := beginMarker + "\n\n" + md + "\n" + endMarker + "\n"
	s := string(old)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	switch {
	case i >= 0 && j > i:
		s = s[:i] + section + s[j+len(endMarker)+1:]
	case len(s) == 0:
		s = "# Benchmarks\n\n" + section
	default:
		s = strings.TrimRight(s, "\n") + "\n\n" + section
	}
	return os.WriteFile(file, []byte(s), 0o644)
}

func since(t time.Time) float64 { return time.Since(t).Seconds() }

// chartGoMemLimit is the GOMEMLIMIT the chart gives the manager with its
// default values: 75% of resources.limits.memory (128Mi), in bytes (see
// charts/wss-operator/templates/_helpers.tpl, "wss-operator.goMemLimit").
const chartGoMemLimit = "100663296"
