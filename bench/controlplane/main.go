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
// With -reps N it repeats: each repetition runs the floor, the floor +
// rollouts, the ordered ceiling and the endpoints, each on a fresh API server (etcd,
// cert-manager, and for the endpoints the manager), in the reverse order
// every other time, so none runs with another's objects in etcd.
//
// The floor + rollouts (ceiling.go) is the best any sidecar-injecting
// operator could do on this path: with no manager running, the benchmark
// applies at once, per endpoint, the user's Deployment, the floor's
// Certificate, the Service the controller would apply and the sidecar
// injection it would apply to the Deployment, and times them to every
// Certificate Ready and every Deployment rolled out (-no-ceiling skips it).
//
// The ordered ceiling (ordered.go) is the best this product could do: the
// same objects, no manager, but in the product's order — each sidecar
// injected only once its Certificate is Ready and its Secret passed
// inspection, each endpoint done once its Deployment rolled out and a live
// probe passed (-no-ordered skips it).
//
// It writes the raw results as JSON (bench/internal/benchresult's
// ControlPlane, every repetition), after each repetition; bench/report
// turns them into BENCHMARKS.md's "Control plane" part, each figure the
// median over the repetitions (make bench-controlplane runs both).
//
//	go run ./bench/controlplane -n 1000 -reps 3 -out bench/results/controlplane.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

type options struct {
	n          int
	latencyN   int
	noise      int
	out        string
	goMemLimit string
	noFloor    bool
	noCeiling  bool
	noOrdered  bool
	// maxConcurrent is the manager's MaxConcurrentReconciles (0: its default).
	maxConcurrent int
	noMemory      bool
	reps          int
	// variantReps is in how many repetitions (the first ones) the memory
	// variants are measured: no GOMEMLIMIT, naive cache (-1: all).
	variantReps int
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 1000, "endpoints for the scale run")
	flag.IntVar(&o.latencyN, "latency-n", 20, "endpoints applied one by one for the apply-to-Ready latency")
	flag.IntVar(&o.noise, "noise-secrets", 2000, "unrelated 8 KiB Secrets in the cluster (what a naive Secret cache pays for)")
	flag.StringVar(&o.out, "out", "bench/results/controlplane.json", "write the results as JSON to this file (- for stdout)")
	flag.StringVar(&o.goMemLimit, "gomemlimit", chartGoMemLimit, "GOMEMLIMIT of the measured manager (default: what the chart sets for its default memory limit)")
	flag.BoolVar(&o.noMemory, "no-memory", false, "skip the memory measurements (a quick check of the rest)")
	flag.BoolVar(&o.noFloor, "no-floor", false, "skip the floor (the same Certificates without WSSEndpoints)")
	flag.BoolVar(&o.noCeiling, "no-ceiling", false, "skip the floor + rollouts (the same Certificates, Services and sidecar rollouts applied directly, no manager)")
	flag.BoolVar(&o.noOrdered, "no-ordered", false, "skip the ordered ceiling (the same objects applied directly, no manager, in the product's order: inject after issue and inspection, done after rollout and a live probe)")
	flag.IntVar(&o.maxConcurrent, "max-concurrent-reconciles", 0, "the measured manager's --max-concurrent-reconciles (0: its default, 8)")
	flag.IntVar(&o.reps, "reps", 1, "repetitions: each runs the floor, the floor + rollouts, the ordered ceiling and the endpoints, each on a fresh API server, taking turns which goes first")
	flag.IntVar(&o.variantReps, "variant-reps", -1, "measure the memory variants (no GOMEMLIMIT, naive cache) in the first this many repetitions only (-1: all); "+
		"the manager with the chart's GOMEMLIMIT is measured in every one")
	flag.Parse()
	if o.reps < 1 {
		fmt.Fprintln(os.Stderr, "cpbench: -reps must be at least 1")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, err := drive(ctx, o, func(r *benchresult.ControlPlane) error { return write(r, o.out) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "cpbench:", err)
		os.Exit(1)
	}
}

// write writes the results as indented JSON to file, or to stdout for "-".
func write(r *benchresult.ControlPlane, file string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if file == "-" {
		_, err = os.Stdout.Write(data)
		return err
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	fmt.Fprintf(os.Stderr, "cpbench: wrote %s (go run ./bench/report renders it into BENCHMARKS.md)\n", file)
	return nil
}

func since(t time.Time) float64 { return time.Since(t).Seconds() }

// chartGoMemLimit is the GOMEMLIMIT the chart gives the manager with its
// default values: 50% of resources.limits.memory (128Mi), in bytes (see
// charts/wss-operator/templates/_helpers.tpl, "wss-operator.goMemLimit").
const chartGoMemLimit = "67108864"
