package procstat

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ClockTicks is USER_HZ, the unit of the times in /proc/PID/stat and
// /proc/stat: 100 on every Linux architecture Go supports.
const ClockTicks = 100

// Stat is what the benchmarks read from one process's /proc/PID/stat.
type Stat struct {
	Comm   string  // the command name, without its parentheses
	PPID   int     // the parent's PID
	CPUSec float64 // user + system CPU time of all its threads
}

// ReadStat reads /proc/PID/stat.
func ReadStat(pid int) (Stat, error) {
	file := fmt.Sprintf("/proc/%d/stat", pid)
	b, err := os.ReadFile(file)
	if err != nil {
		return Stat{}, fmt.Errorf("reading CPU time: %w", err)
	}
	// The command name is in parentheses and may hold spaces and parentheses.
	s := string(b)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return Stat{}, fmt.Errorf("%s: no command name", file)
	}
	f := strings.Fields(s[closing+1:])
	// f[0] is field 3 (state), f[1] field 4 (ppid); utime and stime are
	// fields 14 and 15.
	if len(f) < 13 {
		return Stat{}, fmt.Errorf("%s: %d fields", file, len(f))
	}
	ppid, err0 := strconv.Atoi(f[1])
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err0 != nil || err1 != nil || err2 != nil {
		return Stat{}, fmt.Errorf("%s: bad ppid, utime or stime", file)
	}
	return Stat{Comm: s[open+1 : closing], PPID: ppid, CPUSec: float64(ut+st) / ClockTicks}, nil
}

// CPUSeconds is the user+system CPU time of pid (all its threads).
func CPUSeconds(pid int) (float64, error) {
	s, err := ReadStat(pid)
	return s.CPUSec, err
}

// Status returns the fields of /proc/PID/status given in kB (VmRSS,
// RssAnon, ...), in KiB, by name without the colon.
func Status(pid int) (map[string]int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, fmt.Errorf("reading memory: %w", err)
	}
	defer func() { _ = f.Close() }()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		v, isKB := strings.CutSuffix(strings.TrimSpace(value), " kB")
		if !ok || !isKB {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			out[name] = n
		}
	}
	return out, sc.Err()
}

// RSSKiB is VmRSS of pid in KiB.
func RSSKiB(pid int) (int64, error) {
	st, err := Status(pid)
	if err != nil {
		return 0, err
	}
	rss, ok := st["VmRSS"]
	if !ok {
		return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
	}
	return rss, nil
}

// WithChildren returns pids followed by all their descendants (nginx's
// workers are children of its master), read from /proc/PID/task/*/children.
func WithChildren(pids []int) []int {
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
