package main

import (
	"context"
	"time"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// runIdle opens o.count connections, sends one 64-byte message on each and
// reads its echo, lets them sit for o.settle, and reports how much the
// server's RSS grew per connection. Opening is bounded by o.duration.
func runIdle(ctx context.Context, o *options, cl *client, sg, ag group, res *benchresult.Run) error {
	before, auxBefore, err := sampleGroups(sg, ag)
	if err != nil {
		return err
	}
	octx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var prepare func(*wsConn) error
	if o.idleEcho {
		mask := [4]byte{1, 2, 3, 4}
		frame := wsframe.Frame(wsframe.OpBinary, make([]byte, 64), &mask)
		prepare = func(c *wsConn) error { return c.roundTrip(frame, make([]byte, 64+wsframe.MaxHeader), 64) }
	}
	t0 := time.Now()
	conns, e := dialAll(octx, cl, o.count, o.concurrency, false, prepare)
	openSec := time.Since(t0).Seconds()
	if conns[0] != nil {
		res.TLS = conns[0].facts()
	}
	conns = compact(conns)
	defer closeAll(conns)
	opened := len(conns)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(o.settle):
	}
	after, auxAfter, err := sampleGroups(sg, ag)
	if err != nil {
		return err
	}
	ir := &benchresult.Idle{
		Conns: o.count, Opened: opened, OpenSec: openSec, SettleSec: o.settle.Seconds(),
		ServerBeforeKiB: before.RSSKiB, ServerAfterKiB: after.RSSKiB, ServerProcs: after.Procs,
	}
	if opened > 0 {
		ir.ServerPerConnKiB = float64(after.RSSKiB-before.RSSKiB) / float64(opened)
	}
	if len(ag.pids) > 0 {
		ir.AuxBeforeKiB, ir.AuxAfterKiB = auxBefore.RSSKiB, auxAfter.RSSKiB
		if opened > 0 {
			ir.AuxPerConnKiB = float64(auxAfter.RSSKiB-auxBefore.RSSKiB) / float64(opened)
		}
	}
	res.Idle = ir
	res.Count = int64(opened)
	res.Errors, res.FirstError = e.n.Load(), e.first
	return nil
}
