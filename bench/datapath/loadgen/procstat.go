package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// withChildren returns pids followed by all their descendants (nginx's
// workers are children of its master), read from /proc/PID/task/*/children.
func withChildren(pids []int) []int {
	seen := map[int]bool{}
	var out []int
	queue := append([]int(nil), pids...)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", p))
		for _, t := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", p, t.Name()))
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil {
					queue = append(queue, c)
				}
			}
		}
	}
	return out
}

// cpuSeconds is the user+system CPU time of pid (all its threads).
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading CPU time: %w", err)
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	return float64(ut+st) / clockTicks, nil
}

// rssKiB is VmRSS of pid in KiB.
func rssKiB(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading RSS: %w", err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}

// group is a set of processes measured together.
type group struct{ pids []int }

// snapshot is a group's CPU time and RSS at one instant.
type snapshot struct {
	CPUSec float64
	RSSKiB int64
	Procs  int
}

func (g group) sample() (snapshot, error) {
	var s snapshot
	for _, p := range withChildren(g.pids) {
		c, err := cpuSeconds(p)
		if err != nil {
			return s, err
		}
		r, err := rssKiB(p)
		if err != nil {
			return s, err
		}
		s.CPUSec += c
		s.RSSKiB += r
		s.Procs++
	}
	return s, nil
}

// cpuTimes is one line of /proc/stat: busy and total jiffies per CPU.
type cpuTimes struct{ busy, total uint64 }

// readCPUTimes returns the per-CPU times from /proc/stat (cpu0, cpu1, ...).
func readCPUTimes() ([]cpuTimes, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil, fmt.Errorf("reading /proc/stat: %w", err)
	}
	var out []cpuTimes
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		var v [8]uint64
		for i := range v {
			v[i], _ = strconv.ParseUint(f[i+1], 10, 64)
		}
		// user nice system idle iowait irq softirq steal
		idle := v[3] + v[4]
		busy := v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
		out = append(out, cpuTimes{busy: busy, total: busy + idle})
	}
	return out, nil
}

// busyFractions is how busy each CPU was between two readings (0..1).
func busyFractions(a, b []cpuTimes) []float64 {
	out := make([]float64, 0, len(b))
	for i := range b {
		if i >= len(a) {
			break
		}
		dt := float64(b[i].total - a[i].total)
		if dt <= 0 {
			out = append(out, 0)
			continue
		}
		out = append(out, float64(b[i].busy-a[i].busy)/dt)
	}
	return out
}
