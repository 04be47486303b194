package main

import (
	"context"
	"sync"
	"time"
)

// delivery counts, for one fan-out connection, the backend's broadcast
// rounds of the measured window that reached it. The window is slots whole
// broadcast intervals from its start; a broadcast counts in the slot its
// round (the backend's tick, carried in the message) falls in, and a slot
// counts once. So one connection is never credited with more than slots
// deliveries, whatever arrives: pushes of rounds before the window still
// queued on the path (counting by arrival, as this harness once did,
// reported far more than 100% delivered under overload), a round seen
// twice, or two rounds in one interval; and Opened × slots is what the
// backend's interval promises.
type delivery struct {
	from     time.Time     // the window's start
	interval time.Duration // the backend's broadcast interval
	slots    int64         // whole intervals in the window
	last     int64         // the last slot counted; -1 before the first
	n        int64         // slots counted
}

func newDelivery(from time.Time, interval time.Duration, slots int64) *delivery {
	return &delivery{from: from, interval: interval, slots: slots, last: -1}
}

// add counts a broadcast of the round at tick, and reports whether the
// connection is done: a round after the window arrived, and TCP keeps the
// backend's order, so no round of the window is still on its way.
func (d *delivery) add(tick time.Time) (done bool) {
	if tick.Before(d.from) {
		return false
	}
	s := int64(tick.Sub(d.from) / d.interval)
	if s >= d.slots {
		return true
	}
	// Rounds arrive in order, so a slot not after the last is a repeat.
	if s > d.last {
		d.last, d.n = s, d.n+1
	}
	return false
}

// deliveries are the delivery counts of all the connections: what their
// readers counted once the window started, and when they are all done.
type deliveries struct {
	interval time.Duration
	slots    int64
	pending  sync.WaitGroup // one per connection until it is done

	mu        sync.Mutex
	delivered int64
}

// newDeliveries counts for conns connections over the whole intervals of
// a window of length.
func newDeliveries(conns int, interval, length time.Duration) *deliveries {
	ds := &deliveries{interval: interval, slots: int64(length / interval)}
	ds.pending.Add(conns)
	return ds
}

// promised is what the backend's interval promises opened connections in
// the window.
func (ds *deliveries) promised(opened int) int64 { return int64(opened) * ds.slots }

// wait waits until every connection is done, or for at most grace, or
// until ctx ends.
func (ds *deliveries) wait(ctx context.Context, grace time.Duration) {
	done := make(chan struct{})
	go func() {
		ds.pending.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(grace):
	case <-ctx.Done():
	}
}

// reader is one connection's side of the count. Its methods are called by
// that connection's reader goroutine only.
type reader struct {
	ds   *deliveries
	d    *delivery
	done bool
}

// broadcast counts a broadcast of the round at tick. Until windowStart
// reports the window's start, nothing counts.
func (r *reader) broadcast(tick time.Time, windowStart func() (time.Time, bool)) {
	if r.done {
		return
	}
	if r.d == nil {
		from, ok := windowStart()
		if !ok {
			return
		}
		r.d = newDelivery(from, r.ds.interval, r.ds.slots)
	}
	if r.d.add(tick) {
		r.finish()
	}
}

// finish adds the connection's count to the total and marks it done; the
// reader calls it when it stops reading too.
func (r *reader) finish() {
	if r.done {
		return
	}
	r.done = true
	if r.d != nil {
		r.ds.mu.Lock()
		r.ds.delivered += r.d.n
		r.ds.mu.Unlock()
	}
	r.ds.pending.Done()
}
