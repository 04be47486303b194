package main

import (
	"math"
	"slices"
	"time"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted samples: the smallest sample with at least p% of the samples at or
// below it. It is 0 for no samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// summarize sorts samples in place and summarises them.
func summarize(samples []time.Duration) benchresult.Latency {
	if len(samples) == 0 {
		return benchresult.Latency{}
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, s := range samples {
		sum += s
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return benchresult.Latency{
		Samples: len(samples),
		MeanMs:  ms(sum) / float64(len(samples)),
		P50Ms:   ms(percentile(samples, 50)),
		P90Ms:   ms(percentile(samples, 90)),
		P99Ms:   ms(percentile(samples, 99)),
		P999Ms:  ms(percentile(samples, 99.9)),
		MaxMs:   ms(samples[len(samples)-1]),
	}
}
