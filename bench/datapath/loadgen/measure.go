package main

import (
	"context"
	"os"
	"sync/atomic"
	"time"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
	"github.com/wss-operator/wss-operator/bench/internal/procstat"
)

// window is one measured interval.
type window struct {
	measuring atomic.Bool
	count     atomic.Int64 // operations completed, by the workers
	start     atomic.Int64 // when measuring started (UnixNano), 0 before

	elapsed        time.Duration
	counted        int64
	server, aux    *benchresult.ProcUse
	client         benchresult.ProcUse
	busy           []float64
	serverG, auxG  group
	warmup, length time.Duration
	maxCount       int64
}

// measure waits out the warm-up, then measures until the window's length
// passed or maxCount operations were counted, sampling the processes at
// both edges. Workers keep running until the caller cancels them.
func (w *window) measure(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(w.warmup):
	}
	s0, a0, self0, cpu0, err := w.sampleAll()
	if err != nil {
		return err
	}
	c0 := w.count.Load()
	t0 := time.Now()
	w.start.Store(t0.UnixNano())
	w.measuring.Store(true)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	end := t0.Add(w.length)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-tick.C:
			if !now.Before(end) || (w.maxCount > 0 && w.count.Load()-c0 >= w.maxCount) {
				w.measuring.Store(false)
				w.counted = w.count.Load() - c0
				w.elapsed = time.Since(t0)
				s1, a1, self1, cpu1, err := w.sampleAll()
				if err != nil {
					return err
				}
				sec := w.elapsed.Seconds()
				w.server = use(s0, s1, sec, len(w.serverG.pids) > 0)
				w.aux = use(a0, a1, sec, len(w.auxG.pids) > 0)
				w.client = benchresult.ProcUse{CPUSec: self1 - self0, Cores: (self1 - self0) / sec, Procs: 1}
				w.busy = procstat.BusyFractions(cpu0, cpu1)
				return nil
			}
		}
	}
}

// started is when measuring started; false before it did.
func (w *window) started() (time.Time, bool) {
	ns := w.start.Load()
	return time.Unix(0, ns), ns != 0
}

func use(a, b snapshot, sec float64, present bool) *benchresult.ProcUse {
	if !present {
		return nil
	}
	d := b.CPUSec - a.CPUSec
	return &benchresult.ProcUse{CPUSec: d, Cores: d / sec, RSSKiB: b.RSSKiB, Procs: b.Procs}
}

func (w *window) sampleAll() (s, a snapshot, self float64, cpus []procstat.CPUTimes, err error) {
	if s, a, err = sampleGroups(w.serverG, w.auxG); err != nil {
		return s, a, 0, nil, err
	}
	if self, err = procstat.CPUSeconds(os.Getpid()); err != nil {
		return s, a, 0, nil, err
	}
	_, cpus, err = procstat.ReadCPUTimes()
	return s, a, self, cpus, err
}
