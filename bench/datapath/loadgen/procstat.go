package main

import (
	"fmt"

	"github.com/wss-operator/wss-operator/bench/internal/procstat"
)

// group is a set of processes measured together.
type group struct{ pids []int }

// snapshot is a group's CPU time and RSS at one instant.
type snapshot struct {
	CPUSec float64
	RSSKiB int64
	Procs  int
}

// sample adds up the CPU time and RSS of the group's processes and all
// their descendants (nginx's workers are children of its master).
func (g group) sample() (snapshot, error) {
	var s snapshot
	for _, p := range procstat.WithChildren(g.pids) {
		c, err := procstat.CPUSeconds(p)
		if err != nil {
			return s, err
		}
		r, err := procstat.RSSKiB(p)
		if err != nil {
			return s, err
		}
		s.CPUSec += c
		s.RSSKiB += r
		s.Procs++
	}
	return s, nil
}

// sampleGroups samples the server under test and the aux processes (the
// echo backend) one after the other.
func sampleGroups(server, aux group) (s, a snapshot, err error) {
	if s, err = server.sample(); err != nil {
		return s, a, fmt.Errorf("server processes: %w", err)
	}
	if a, err = aux.sample(); err != nil {
		return s, a, fmt.Errorf("aux processes: %w", err)
	}
	return s, a, nil
}
