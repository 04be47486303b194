package main

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestDeliveryCountsEachIntervalOnce(t *testing.T) {
	const interval = 100 * time.Millisecond
	from := time.Unix(1000, 0).Add(37 * time.Millisecond) // not on the backend's grid
	grid := func(k int) time.Time { return time.Unix(1000, 0).Add(time.Duration(k) * interval) }
	for _, tc := range []struct {
		name  string
		ticks []time.Time
		want  int64
		done  bool
	}{
		{"a backend that keeps up: one round per interval", []time.Time{grid(1), grid(2), grid(3), grid(4), grid(5)}, 5, false},
		{"rounds before the window, still queued, do not count",
			[]time.Time{grid(-900), grid(-899), grid(0), grid(1), grid(2)}, 2, false},
		{"a round seen twice counts once", []time.Time{grid(1), grid(1), grid(2)}, 2, false},
		{"two rounds in one interval count once", []time.Time{from, from.Add(interval / 2), grid(2)}, 2, false},
		{"a dropped round is missing", []time.Time{grid(1), grid(3), grid(4)}, 3, false},
		{"a round after the window ends the count", []time.Time{grid(1), grid(2), grid(6), grid(7)}, 2, true},
		{"the window's end is exclusive", []time.Time{from.Add(5 * interval)}, 0, true},
		{"the window's start is inclusive", []time.Time{from}, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			d := newDelivery(from, interval, 5)
			done := false
			for _, tick := range tc.ticks {
				done = d.add(tick) || done
			}
			g.Expect(d.n).To(Equal(tc.want))
			g.Expect(done).To(Equal(tc.done))
		})
	}
}

// TestDeliveryNeverExceedsTheWindow feeds random rounds, in order and out,
// repeated, before, inside and after the window: a connection is never
// credited with more than the window's intervals.
func TestDeliveryNeverExceedsTheWindow(t *testing.T) {
	g := NewWithT(t)
	r := rand.New(rand.NewPCG(1, 2))
	from := time.Unix(5000, 0)
	for range 1000 {
		interval := time.Duration(1+r.IntN(200)) * time.Millisecond
		slots := int64(1 + r.IntN(60))
		d := newDelivery(from, interval, slots)
		for range r.IntN(500) {
			d.add(from.Add(time.Duration(r.Int64N(3*slots*int64(interval))) - time.Duration(slots)*interval))
		}
		g.Expect(d.n).To(BeNumerically("<=", slots))
	}
}

func TestDeliveriesAddUpAndWait(t *testing.T) {
	g := NewWithT(t)
	from := time.Unix(2000, 0)
	ds := newDeliveries(3, 100*time.Millisecond, 550*time.Millisecond)
	g.Expect(ds.slots).To(Equal(int64(5)), "whole intervals only")
	g.Expect(ds.promised(3)).To(Equal(int64(15)))
	notYet := func() (time.Time, bool) { return time.Time{}, false }
	started := func() (time.Time, bool) { return from, true }

	a, b, c := &reader{ds: ds}, &reader{ds: ds}, &reader{ds: ds}
	a.broadcast(from.Add(time.Second), notYet) // before the window started: not counted
	for k := range 7 {
		a.broadcast(from.Add(time.Duration(k)*100*time.Millisecond), started)
		b.broadcast(from.Add(time.Duration(k)*100*time.Millisecond), started)
	}
	b.broadcast(from.Add(100*time.Millisecond), started) // after done: ignored
	c.broadcast(from, started)
	t0 := time.Now()
	ds.wait(context.Background(), 50*time.Millisecond) // c is not done: the grace ends the wait
	g.Expect(time.Since(t0)).To(BeNumerically(">=", 50*time.Millisecond))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	t0 = time.Now()
	ds.wait(cancelled, time.Minute) // the run is over: no grace
	g.Expect(time.Since(t0)).To(BeNumerically("<", time.Second))
	c.finish() // its reader stops
	c.finish()
	a.finish()
	ds.wait(context.Background(), time.Minute)
	g.Expect(ds.delivered).To(Equal(int64(5 + 5 + 1)))
}
