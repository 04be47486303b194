package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"

	"github.com/wss-operator/wss-operator/bench/datapath/internal/echo"
	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// runFanout opens o.count connections to the backend's /broadcast (from
// -sources, round robin), lets a fraction o.senders of them send a
// stamped message every o.sendInterval, and measures for the window how
// late each pushed message arrived (its timestamp against the client's
// clock: same machine, same clock) and what the server spent per message.
func runFanout(ctx context.Context, o *options, cl *client, w *window, res *benchresult.Run) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	octx, ocancel := context.WithTimeout(ctx, o.open)
	t0 := time.Now()
	conns, e := dialAll(octx, cl, o.count, o.concurrency, false, nil)
	ocancel()
	fr := &benchresult.Fanout{Conns: o.count, OpenSec: time.Since(t0).Seconds(), SendIntervalMs: millis(o.sendInterval),
		BroadcastIntervalMs: millis(o.broadcastInterval)}
	conns = compact(conns)
	defer closeAll(conns)
	fr.Opened = len(conns)
	if fr.Opened == 0 {
		return fmt.Errorf("no connection opened: %s", e.first)
	}
	res.TLS = conns[0].facts()
	fr.Senders = int(math.Ceil(o.senders * float64(len(conns))))

	var (
		wg                 sync.WaitGroup
		mu                 sync.Mutex
		samples, echoes    []time.Duration
		nBcast, nEcho, nTx atomic.Int64
	)
	ds := newDeliveries(len(conns), o.broadcastInterval, o.duration)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local, localEcho []time.Duration
			rd := &reader{ds: ds}
			defer func() {
				rd.finish()
				mu.Lock()
				samples = append(samples, local...)
				echoes = append(echoes, localEcho...)
				mu.Unlock()
			}()
			buf := make([]byte, 256)
			for {
				h, err := wsframe.ReadHeader(c.br, int64(len(buf)))
				if err == nil {
					_, err = io.ReadFull(c.br, buf[:h.Length])
				}
				if err != nil {
					if ctx.Err() == nil {
						e.add(fmt.Errorf("connection %d: %w", i, err))
					}
					return
				}
				now := time.Now()
				p := buf[:h.Length]
				sent, kind, ok := echo.Stamped(p)
				if tick, isRound := echo.Round(p); isRound {
					rd.broadcast(tick, w.started)
				}
				if !ok || !w.measuring.Load() {
					continue
				}
				switch kind {
				case echo.KindBroadcast:
					local = append(local, now.Sub(sent))
					nBcast.Add(1)
					w.count.Add(1)
				case echo.KindClient:
					localEcho = append(localEcho, now.Sub(sent))
					nEcho.Add(1)
					w.count.Add(1)
				}
			}
		}()
	}
	// Senders start spread over one interval so they do not all fire at once.
	for i := range fr.Senders {
		c := conns[i*len(conns)/fr.Senders]
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ctx.Done():
				return
			case <-time.After(o.sendInterval * time.Duration(i) / time.Duration(fr.Senders)):
			}
			mask := [4]byte{byte(i), 0x5a, 0xa5, 0x3c}
			payload := make([]byte, o.size)
			t := time.NewTicker(o.sendInterval)
			defer t.Stop()
			for {
				echo.Stamp(payload, echo.KindClient)
				if _, err := c.conn.Write(wsframe.Frame(wsframe.OpBinary, payload, &mask)); err != nil {
					if ctx.Err() == nil {
						e.add(fmt.Errorf("sending: %w", err))
					}
					return
				}
				if w.measuring.Load() {
					nTx.Add(1)
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	stop := func() {
		// The rounds of the window's last intervals may still be on their way.
		ds.wait(ctx, o.settle)
		stopWorkers(cancel, conns, &wg)
	}
	if err := w.run(ctx, stop, e, res); err != nil {
		return err
	}
	fr.Broadcasts, fr.Echoes, fr.Sent = nBcast.Load(), nEcho.Load(), nTx.Load()
	fr.Delivered, fr.Promised = ds.delivered, ds.promised(fr.Opened)
	fr.DeliveryWindowSec = (time.Duration(ds.slots) * o.broadcastInterval).Seconds()
	fr.DeliveryGraceSec = o.settle.Seconds()
	if fr.Promised > 0 {
		fr.DeliveredFraction = float64(fr.Delivered) / float64(fr.Promised)
	}
	if n := fr.Broadcasts + fr.Echoes; n > 0 {
		if w.server != nil {
			fr.ServerCPUMsPer1000 = w.server.CPUSec * 1e3 / float64(n) * 1e3
		}
		if w.aux != nil {
			fr.AuxCPUMsPer1000 = w.aux.CPUSec * 1e3 / float64(n) * 1e3
		}
	}
	lat := summarize(samples)
	res.Latency = &lat
	if len(echoes) > 0 {
		el := summarize(echoes)
		fr.EchoLatency = &el
	}
	res.Fanout = fr
	res.Size = o.size
	return nil
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
