package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// errs counts failures and keeps the first message.
type errs struct {
	n     atomic.Int64
	once  sync.Once
	first string
}

func (e *errs) add(err error) {
	e.n.Add(1)
	e.once.Do(func() { e.first = err.Error() })
}

// runHandshakes measures full (or, with a session cache, resumed)
// handshakes: connect, TLS, upgrade, close.
func runHandshakes(ctx context.Context, o *options, cl *client, w *window, res *benchresult.Run) error {
	if cl.tlsConf != nil && o.mode == "resume" {
		cl.tlsConf.ClientSessionCache = tls.NewLRUClientSessionCache(64)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		samples []time.Duration
		resumed atomic.Int64
		e       errs
		facts   atomic.Pointer[benchresult.TLSFacts]
	)
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				t0 := time.Now()
				c, err := cl.dial(ctx)
				if err != nil {
					if ctx.Err() == nil {
						e.add(err)
						time.Sleep(5 * time.Millisecond)
					}
					continue
				}
				d := time.Since(t0)
				if w.measuring.Load() {
					local = append(local, d)
					if c.tls != nil && c.tls.ConnectionState().DidResume {
						resumed.Add(1)
					}
				}
				if facts.Load() == nil {
					facts.Store(c.facts())
				}
				w.count.Add(1)
				_ = c.Close()
			}
			mu.Lock()
			samples = append(samples, local...)
			mu.Unlock()
		}()
	}
	if err := w.run(ctx, func() { cancel(); wg.Wait() }, &e, res); err != nil {
		return err
	}
	res.TLS = facts.Load()
	lat := summarize(samples)
	res.Latency = &lat
	if cl.tlsConf != nil && len(samples) > 0 {
		f := float64(resumed.Load()) / float64(len(samples))
		res.ResumedFraction = &f
	}
	return nil
}

// runLatency measures message round trips, one in flight per connection.
func runLatency(ctx context.Context, o *options, cl *client, w *window, res *benchresult.Run) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	conns, err := openN(ctx, cl, o.concurrency)
	if err != nil {
		return err
	}
	res.TLS = conns[0].facts()
	payload := make([]byte, o.size)
	for i := range payload {
		payload[i] = byte(i * 31)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		samples []time.Duration
		e       errs
	)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { _ = c.Close() }()
			mask := [4]byte{byte(i), 0x5a, 0xa5, 0x3c}
			frame := wsframe.Frame(wsframe.OpBinary, payload, &mask)
			buf := make([]byte, o.size+wsframe.MaxHeader)
			local := make([]time.Duration, 0, 1<<16)
			defer func() {
				mu.Lock()
				samples = append(samples, local...)
				mu.Unlock()
			}()
			for ctx.Err() == nil {
				t0 := time.Now()
				if err := c.roundTrip(frame, buf, o.size); err != nil {
					if ctx.Err() == nil {
						e.add(err)
					}
					return
				}
				if w.measuring.Load() {
					local = append(local, time.Since(t0))
				}
				w.count.Add(1)
			}
		}()
	}
	if err := w.run(ctx, func() { stopWorkers(cancel, conns, &wg) }, &e, res); err != nil {
		return err
	}
	lat := summarize(samples)
	res.Latency = &lat
	return nil
}

// runThroughput measures one-way payload bytes per second, backend to client.
func runThroughput(ctx context.Context, o *options, cl *client, w *window, res *benchresult.Run) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cl.bufSize = 64 << 10
	conns, err := openN(ctx, cl, o.concurrency)
	if err != nil {
		return err
	}
	res.TLS = conns[0].facts()
	var (
		wg    sync.WaitGroup
		e     errs
		bytes atomic.Int64
	)
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { _ = c.Close() }()
			for ctx.Err() == nil {
				n, err := c.readPayload()
				if err != nil {
					if ctx.Err() == nil {
						e.add(err)
					}
					return
				}
				if w.measuring.Load() {
					bytes.Add(n)
				}
				w.count.Add(1)
			}
		}()
	}
	if err := w.run(ctx, func() { stopWorkers(cancel, conns, &wg) }, &e, res); err != nil {
		return err
	}
	res.Bytes = bytes.Load()
	res.MBPerSec = float64(res.Bytes) / w.elapsed.Seconds() / 1e6
	return nil
}

// run measures the window, then stops the workers and, when the window
// was measured, records their failures in res.
func (w *window) run(ctx context.Context, stop func(), e *errs, res *benchresult.Run) error {
	err := w.measure(ctx)
	stop()
	if err != nil {
		return err
	}
	res.Errors, res.FirstError = e.n.Load(), e.first
	return nil
}

// stopWorkers ends the goroutines working on conns: it cancels their
// context, unblocks their reads and writes, and waits for them.
func stopWorkers(cancel context.CancelFunc, conns []*wsConn, wg *sync.WaitGroup) {
	cancel()
	for _, c := range conns {
		_ = c.conn.SetDeadline(time.Now())
	}
	wg.Wait()
}

// openN opens n connections with up to 64 dials in flight; any failure
// closes them all and is the error.
func openN(ctx context.Context, cl *client, n int) ([]*wsConn, error) {
	conns, e := dialAll(ctx, cl, n, 64, true, nil)
	if e.n.Load() > 0 || ctx.Err() != nil {
		closeAll(conns)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("opening %d connections: %d failed, first: %s", n, e.n.Load(), e.first)
	}
	if n == 0 {
		return nil, errors.New("no connections to open")
	}
	return conns, nil
}

// dialAll dials n connections, workers at a time, until ctx ends. A failed
// dial, or a failed prepare of a dialled connection (which closes it), is
// counted in the returned errs and leaves its slot nil; with failFast a
// worker stops at its first failure, otherwise it goes on to the next.
func dialAll(ctx context.Context, cl *client, n, workers int, failFast bool, prepare func(*wsConn) error) ([]*wsConn, *errs) {
	conns := make([]*wsConn, n)
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		e    errs
	)
	for range min(n, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				c, err := cl.dial(ctx)
				if err == nil && prepare != nil {
					if err = prepare(c); err != nil {
						_ = c.Close()
					}
				}
				if err != nil {
					e.add(err)
					if failFast {
						return
					}
					continue
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	return conns, &e
}

// compact drops the slots dialAll left nil.
func compact(conns []*wsConn) []*wsConn {
	open := conns[:0]
	for _, c := range conns {
		if c != nil {
			open = append(open, c)
		}
	}
	return open
}

// closeAll closes every connection dialAll opened.
func closeAll(conns []*wsConn) {
	for _, c := range conns {
		if c != nil {
			_ = c.Close()
		}
	}
}
