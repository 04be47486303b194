package procstat

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// CPUTimes is one line of /proc/stat: busy and total time in clock ticks.
// Busy is user, nice, system, irq, softirq and steal; total adds idle and
// iowait.
type CPUTimes struct{ Busy, Total uint64 }

// BusySeconds is Busy in seconds.
func (c CPUTimes) BusySeconds() float64 { return float64(c.Busy) / ClockTicks }

// ReadCPUTimes returns the times of all CPUs together (the "cpu" line:
// everyone's, other tenants of the machine included) and of each CPU
// (cpu0, cpu1, ...).
func ReadCPUTimes() (all CPUTimes, perCPU []CPUTimes, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return all, nil, fmt.Errorf("reading /proc/stat: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		var v [8]uint64
		for i := range v {
			v[i], _ = strconv.ParseUint(f[i+1], 10, 64)
		}
		// user nice system idle iowait irq softirq steal
		idle := v[3] + v[4]
		busy := v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
		t := CPUTimes{Busy: busy, Total: busy + idle}
		if f[0] == "cpu" {
			all = t
		} else {
			perCPU = append(perCPU, t)
		}
	}
	return all, perCPU, nil
}

// BusyFractions is how busy each CPU was between two readings (0..1).
func BusyFractions(a, b []CPUTimes) []float64 {
	out := make([]float64, 0, len(b))
	for i := range b {
		if i >= len(a) {
			break
		}
		dt := float64(b[i].Total - a[i].Total)
		if dt <= 0 {
			out = append(out, 0)
			continue
		}
		out = append(out, float64(b[i].Busy-a[i].Busy)/dt)
	}
	return out
}
