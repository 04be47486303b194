package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
)

// benchChildEnv makes this test binary run a bare proxy (for the idle
// memory benchmark, so that RSS is the proxy's own): its value is a JSON
// Config subset.
const benchChildEnv = "WSS_PROXY_BENCH_CHILD"

type benchChildConfig struct {
	Backend, CertDir string
}

func TestMain(m *testing.M) {
	if v := os.Getenv(benchChildEnv); v != "" {
		os.Exit(runBenchChild(v))
	}
	os.Exit(m.Run())
}

// runBenchChild serves until SIGTERM. It prints its addresses on stdout, on
// SIGUSR2 "cpu " and its user+system CPU time in nanoseconds, and on SIGUSR1 runs a garbage collection and returns freed memory to the OS,
// which is where a long-idle proxy ends up by itself (the runtime forces a
// GC every two minutes and the scavenger returns free pages in the
// background), then prints "gc" on stdout.
func runBenchChild(v string) int {
	var c benchChildConfig
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	p, err := New(Config{Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0", Backend: c.Backend, CertDir: c.CertDir,
		MaxConnections: -1, Registry: prometheus.NewRegistry()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%s %s\n", p.Addr(), p.AdminAddr())
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		for range usr1 {
			runtime.GC()
			debug.FreeOSMemory()
			if f := os.Getenv("WSS_PROXY_BENCH_HEAPPROFILE"); f != "" {
				// For looking into what an idle connection holds:
				// go tool pprof -sample_index=inuse_space FILE
				if out, err := os.Create(f); err == nil {
					_ = pprof.WriteHeapProfile(out)
					out.Close()
				}
			}
			fmt.Println("gc")
		}
	}()
	usr2 := make(chan os.Signal, 1)
	signal.Notify(usr2, syscall.SIGUSR2)
	go func() {
		for range usr2 {
			var ru syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			fmt.Printf("cpu %d\n", ru.Utime.Nano()+ru.Stime.Nano())
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := p.Run(ctx); err != nil {
		return 1
	}
	return 0
}

type benchChild struct {
	cmd   *exec.Cmd
	addr  string
	admin string
	out   *bufio.Scanner
}

func startBenchChild(b *testing.B, backend, certDir string) *benchChild {
	b.Helper()
	cfg, _ := json.Marshal(benchChildConfig{Backend: backend, CertDir: certDir})
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), benchChildEnv+"="+string(cfg))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		b.Fatal("bench child did not start")
	}
	f := strings.Fields(sc.Text())
	return &benchChild{cmd: cmd, addr: f[0], admin: f[1], out: sc}
}

// settle makes the child collect garbage and return free memory to the OS.
func (c *benchChild) settle(b *testing.B) {
	b.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		b.Fatal(err)
	}
	if !c.out.Scan() || c.out.Text() != "gc" {
		b.Fatal("bench child did not settle")
	}
}

// cpu is the child's user+system CPU time so far.
func (c *benchChild) cpu(b *testing.B) time.Duration {
	b.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGUSR2); err != nil {
		b.Fatal(err)
	}
	if !c.out.Scan() {
		b.Fatal("bench child did not report its CPU time")
	}
	ns, err := strconv.ParseInt(strings.TrimPrefix(c.out.Text(), "cpu "), 10, 64)
	if err != nil {
		b.Fatalf("bench child's CPU time %q: %v", c.out.Text(), err)
	}
	return time.Duration(ns)
}

func (c *benchChild) rssKiB(b *testing.B) float64 {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// metric reads an unlabelled sample from the child's /metrics.
func (c *benchChild) metric(b *testing.B, name string) float64 {
	b.Helper()
	resp, err := http.Get("http://" + c.admin + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(text), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	b.Fatalf("no metric %s", name)
	return 0
}

func (c *benchChild) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	_ = c.cmd.Wait()
}

// BenchmarkIdleConnMemory measures what an idle upgraded WebSocket costs the
// proxy: 2,000 connections through a proxy in its own process, each having
// echoed one 64-byte message, then idle. It reports the growth of the
// proxy's resident set per connection once the runtime has collected
// garbage and returned free pages (the state a long-idle proxy settles in;
// rss-unsettled-KiB/conn is the same right after the connections opened),
// the Go heap in use per connection, goroutines per connection, and the
// round-trip time of the first 64-byte message on a long-idle connection.
func BenchmarkIdleConnMemory(b *testing.B) {
	const conns = 2000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if lim.Cur < 3*conns {
		b.Skipf("RLIMIT_NOFILE %d is too low for %d connections", lim.Cur, conns)
	}
	be := startBackend(b)
	cs := newCertSetup(b, false)
	ctx := context.Background()
	var rss, rssRaw, heap, goroutines, wake float64
	for b.Loop() {
		child := startBenchChild(b, be.addr, cs.dir)
		dial := func(n int) []*websocket.Conn {
			out := make([]*websocket.Conn, n)
			var wg sync.WaitGroup
			sem := make(chan struct{}, 32)
			var firstErr error
			var mu sync.Mutex
			for i := range n {
				wg.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					c, _, err := websocket.Dial(ctx, "wss://"+child.addr+"/echo", &websocket.DialOptions{
						HTTPClient: httpsClient(cs.ca.pool())})
					if err == nil {
						err = echoOnce(ctx, c, pattern(64))
					}
					mu.Lock()
					defer mu.Unlock()
					if err != nil && firstErr == nil {
						firstErr = err
					}
					out[i] = c
				})
			}
			wg.Wait()
			if firstErr != nil {
				b.Fatal(firstErr)
			}
			return out
		}
		warm := dial(20) // pools, code pages and the like are not per-connection costs
		time.Sleep(2 * parkAfter)
		child.settle(b)
		baseRSS, baseHeap, baseG := child.rssKiB(b), child.metric(b, "go_memstats_heap_inuse_bytes"), child.metric(b, "go_goroutines")
		open := dial(conns)
		time.Sleep(time.Second)
		rssRaw += (child.rssKiB(b) - baseRSS) / conns
		child.settle(b)
		rss += (child.rssKiB(b) - baseRSS) / conns
		heap += (child.metric(b, "go_memstats_heap_inuse_bytes") - baseHeap) / 1024 / conns
		goroutines += (child.metric(b, "go_goroutines") - baseG) / conns
		// The first message on a long-idle (parked) connection.
		const woken = 200
		time.Sleep(2 * parkAfter)
		start := time.Now()
		for _, c := range open[:woken] {
			if err := echoOnce(ctx, c, pattern(64)); err != nil {
				b.Fatal(err)
			}
		}
		wake += float64(time.Since(start).Microseconds()) / woken
		for _, c := range append(warm, open...) {
			c.CloseNow()
		}
		child.stop()
	}
	n := float64(b.N)
	b.ReportMetric(rss/n, "rss-KiB/conn")
	b.ReportMetric(rssRaw/n, "rss-unsettled-KiB/conn")
	b.ReportMetric(heap/n, "heap-KiB/conn")
	b.ReportMetric(goroutines/n, "goroutines/conn")
	b.ReportMetric(wake/n, "idle-wake-µs/roundtrip")
}

// BenchmarkRoundTrip is one 64-byte message echoed through the proxy (and,
// for comparison, straight to the backend) per operation, client, proxy and
// backend all in this process.
func BenchmarkRoundTrip(b *testing.B) {
	be := startBackend(b)
	cs := newCertSetup(b, false)
	p := startProxy(b, Config{Backend: be.addr, CertDir: cs.dir})
	ctx := context.Background()
	msg := pattern(64)
	for _, tc := range []struct {
		name string
		url  string
		opts *websocket.DialOptions
	}{
		{"proxy", wsURL(p, "/echo"), &websocket.DialOptions{HTTPClient: httpsClient(cs.ca.pool())}},
		{"direct", "ws://" + be.addr + "/echo", nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c, _, err := websocket.Dial(ctx, tc.url, tc.opts)
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseNow()
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if err := echoOnce(ctx, c, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
