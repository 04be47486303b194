package proxy

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/wss-operator/wss-operator/internal/wstest"
)

// pushBackend pushes a 64-byte message to every connection of its /push
// endpoint every interval, like the data-path benchmark's fan-out backend.
type pushBackend struct {
	addr  string
	mu    sync.Mutex
	conns map[*websocket.Conn]struct{}
}

func startPushBackend(b *testing.B, interval time.Duration) *pushBackend {
	b.Helper()
	pb := &pushBackend{conns: map[*websocket.Conn]struct{}{}}
	pb.addr = wstest.ServeHTTP(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		pb.mu.Lock()
		pb.conns[c] = struct{}{}
		pb.mu.Unlock()
		_, _, _ = c.Read(r.Context()) // until the client goes
		pb.mu.Lock()
		delete(pb.conns, c)
		pb.mu.Unlock()
		c.CloseNow()
	}))
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	go func() {
		msg := pattern(64)
		t := time.NewTicker(interval)
		defer t.Stop()
		var targets []*websocket.Conn
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			pb.mu.Lock()
			targets = targets[:0]
			for c := range pb.conns {
				targets = append(targets, c)
			}
			pb.mu.Unlock()
			for _, c := range targets {
				_ = c.Write(ctx, websocket.MessageBinary, msg)
			}
		}
	}()
	return pb
}

// BenchmarkFanoutCPU measures the proxy's CPU time per message forwarded
// from the backend to clients: 500 connections through a proxy in its own
// process, the backend pushing 64 bytes to each every 50 ms (so every pump
// lingers and none parks). Each operation is a 2-second window; the
// proxy's user+system CPU time (getrusage in the proxy process) over the
// window is divided by the messages the clients received in it. CPU time,
// not wall time, so a busy machine inflates it little.
func BenchmarkFanoutCPU(b *testing.B) {
	const (
		conns    = 500
		interval = 50 * time.Millisecond
		window   = 2 * time.Second
	)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if lim.Cur < 3*conns+100 {
		b.Skipf("RLIMIT_NOFILE %d is too low for %d connections", lim.Cur, conns)
	}
	pb := startPushBackend(b, interval)
	cs := newCertSetup(b, false)
	child := startBenchChild(b, pb.addr, cs.dir)
	defer child.stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var received atomic.Int64
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	sem := make(chan struct{}, 32)
	for range conns {
		sem <- struct{}{}
		c, _, err := websocket.Dial(ctx, "wss://"+child.addr+"/push", &websocket.DialOptions{HTTPClient: httpsClient(cs.ca.pool())})
		<-sem
		if err != nil {
			b.Fatal(err)
		}
		wg.Go(func() {
			defer c.CloseNow()
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
				received.Add(1)
			}
		})
	}
	time.Sleep(time.Second) // handshakes done, every pump in its steady state
	var cpu time.Duration
	var msgs int64
	for b.Loop() {
		c0, m0 := child.cpu(b), received.Load()
		time.Sleep(window)
		cpu += child.cpu(b) - c0
		msgs += received.Load() - m0
	}
	if msgs == 0 {
		b.Fatal("no message reached a client")
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(msgs), "proxy-cpu-µs/msg")
	b.ReportMetric(float64(msgs)/float64(b.N)/window.Seconds(), "msgs/s")
}
