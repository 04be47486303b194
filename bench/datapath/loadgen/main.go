package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

type options struct {
	mode, url, label, serverName, cert, path, out string
	sources                                       string
	serverPids, auxPids                           []int
	duration, warmup, settle, timeout             time.Duration
	count                                         int
	concurrency, size                             int
	idleEcho                                      bool
	senders                                       float64
	sendInterval, broadcastInterval, open         time.Duration
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 2
	}
	raiseNoFile()
	// The hard bound: whatever hangs, the process ends.
	time.AfterFunc(o.timeout, func() {
		_, _ = fmt.Fprintf(os.Stderr, "loadgen: hard timeout %s reached\n", o.timeout)
		os.Exit(3)
	})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	res, err := execute(ctx, o)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "loadgen: %s %s: %v\n", o.mode, o.label, err)
		return 1
	}
	out := stdout
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "loadgen: -out: %v\n", err)
			return 1
		}
		defer func() { _ = f.Close() }()
		out = f
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		_, _ = fmt.Fprintf(stderr, "loadgen: writing result: %v\n", err)
		return 1
	}
	return 0
}

func parse(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	var serverPids, auxPids string
	fs.StringVar(&o.mode, "mode", "handshake", "handshake, resume, latency, throughput, idle or fanout")
	fs.StringVar(&o.url, "url", "", "target: ws://HOST:PORT or wss://HOST:PORT, HOST a loopback IP or localhost (required)")
	fs.StringVar(&o.label, "label", "", "name of the target in the result")
	fs.StringVar(&o.serverName, "server-name", "bench.local", "TLS server name and Host header")
	fs.StringVar(&o.cert, "cert", "", "PEM certificate the server must present (pinned; required for wss://)")
	fs.StringVar(&o.sources, "sources", "", "loopback source addresses to bind, round robin: 127.0.0.2-127.0.0.9,127.0.0.20")
	fs.StringVar(&serverPids, "server-pids", "", "comma-separated PIDs of the server under test (children included)")
	fs.StringVar(&auxPids, "aux-pids", "", "comma-separated PIDs measured separately (the echo backend)")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "load before the measured window")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured window (idle: time allowed to open the connections)")
	fs.IntVar(&o.count, "count", 1_000_000, "stop once this many operations (handshakes, round trips, messages) were measured; idle: connections to open")
	fs.IntVar(&o.concurrency, "concurrency", 0, "parallel workers/connections (default: handshake 16, latency 1, throughput 1, idle 64)")
	fs.IntVar(&o.size, "size", 64, "message size in bytes (latency, throughput)")
	fs.DurationVar(&o.settle, "settle", 3*time.Second, "idle: wait after the last connection before measuring RSS; "+
		"fanout: how long after the window its pushes may still arrive to count as delivered")
	fs.BoolVar(&o.idleEcho, "idle-echo", true, "idle: send one 64-byte message on each connection before it goes quiet")
	fs.Float64Var(&o.senders, "senders", 0.01, "fanout: fraction of the connections that also send a -size message every -send-interval")
	fs.DurationVar(&o.sendInterval, "send-interval", 100*time.Millisecond, "fanout: how often each sender sends")
	fs.DurationVar(&o.broadcastInterval, "broadcast-interval", 100*time.Millisecond, "fanout: the backend's push interval (for the delivered fraction; at most -duration)")
	fs.DurationVar(&o.open, "open", 90*time.Second, "fanout: time allowed to open the connections")
	fs.DurationVar(&o.timeout, "timeout", 0, "hard limit for the whole process (default: warmup+duration+settle+60s)")
	fs.StringVar(&o.out, "out", "", "write the JSON result to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.url == "" {
		return nil, errors.New("-url is required")
	}
	if _, _, err := loopbackAddr(o.url); err != nil {
		return nil, err
	}
	if _, err := parseSources(o.sources); err != nil {
		return nil, err
	}
	var err error
	if o.serverPids, err = parsePids(serverPids); err != nil {
		return nil, fmt.Errorf("-server-pids: %w", err)
	}
	if o.auxPids, err = parsePids(auxPids); err != nil {
		return nil, fmt.Errorf("-aux-pids: %w", err)
	}
	def := map[string]int{"handshake": 16, "resume": 16, "latency": 1, "throughput": 1, "idle": 64, "fanout": 32}
	d, ok := def[o.mode]
	if !ok {
		return nil, fmt.Errorf("-mode %q: want handshake, resume, latency, throughput, idle or fanout", o.mode)
	}
	if o.mode == "fanout" {
		if o.count > 100_000 {
			return nil, fmt.Errorf("-count %d: fanout opens that many connections; want at most 100000", o.count)
		}
		if o.senders < 0 || o.senders > 1 || o.sendInterval <= 0 || o.open <= 0 {
			return nil, errors.New("-senders must be in 0..1, -send-interval and -open positive")
		}
		if o.broadcastInterval <= 0 || o.broadcastInterval > o.duration {
			return nil, fmt.Errorf("-broadcast-interval %s: want positive and at most -duration %s (deliveries are counted per whole interval)",
				o.broadcastInterval, o.duration)
		}
		if o.size < 9 {
			return nil, fmt.Errorf("-size %d: fanout messages carry a 9-byte timestamp", o.size)
		}
	}
	if o.concurrency <= 0 {
		o.concurrency = d
	}
	if o.size <= 0 || o.size > 1<<20 {
		return nil, fmt.Errorf("-size %d: want 1..1048576", o.size)
	}
	if o.count <= 0 || o.duration <= 0 || o.warmup < 0 || o.settle < 0 {
		return nil, errors.New("-count and -duration must be positive, -warmup and -settle not negative")
	}
	if o.timeout <= 0 {
		o.timeout = o.warmup + o.duration + o.settle + time.Minute
		if o.mode == "fanout" {
			o.timeout += o.open
		}
	}
	if o.label == "" {
		o.label = o.url
	}
	o.path = "/echo"
	switch o.mode {
	case "throughput":
		o.path = "/source?size=" + strconv.Itoa(o.size)
	case "fanout":
		o.path = "/broadcast"
	}
	return o, nil
}

func parsePids(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := strconv.Atoi(f)
		if err != nil || p <= 0 {
			return nil, fmt.Errorf("bad PID %q", f)
		}
		out = append(out, p)
	}
	return out, nil
}

func execute(ctx context.Context, o *options) (*benchresult.Run, error) {
	addr, secure, err := loopbackAddr(o.url)
	if err != nil {
		return nil, err
	}
	cl, err := newClient(addr, secure, o.serverName, o.cert, o.path, 10*time.Second)
	if err != nil {
		return nil, err
	}
	if cl.sources, err = parseSources(o.sources); err != nil {
		return nil, err
	}
	res := &benchresult.Run{Mode: o.mode, Target: o.label, URL: o.url, Concurrency: o.concurrency, Started: time.Now().UTC()}
	if o.mode == "latency" || o.mode == "throughput" {
		res.Size = o.size
	}
	sg, ag := group{o.serverPids}, group{o.auxPids}
	if o.mode == "idle" {
		return res, runIdle(ctx, o, cl, sg, ag, res)
	}
	w := &window{serverG: sg, auxG: ag, warmup: o.warmup, length: o.duration, maxCount: int64(o.count)}
	if o.mode == "fanout" {
		w.maxCount = 0 // -count is the number of connections
	}
	switch o.mode {
	case "handshake", "resume":
		err = runHandshakes(ctx, o, cl, w, res)
	case "latency":
		err = runLatency(ctx, o, cl, w, res)
	case "throughput":
		err = runThroughput(ctx, o, cl, w, res)
	case "fanout":
		err = runFanout(ctx, o, cl, w, res)
	}
	if err != nil {
		return nil, err
	}
	res.WarmupSec = o.warmup.Seconds()
	res.DurationSec = w.elapsed.Seconds()
	if res.Count == 0 {
		res.Count = w.counted
	}
	res.Rate = float64(w.counted) / w.elapsed.Seconds() // throughput: messages/s
	res.Server, res.Aux, res.Client, res.CPUBusy = w.server, w.aux, &w.client, w.busy
	return res, nil
}

// raiseNoFile lifts the soft descriptor limit to the hard one.
func raiseNoFile() {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}
