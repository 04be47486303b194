package procstat

import (
	"os"
	"strconv"
	"strings"
)

// CPUInfo is the first CPU's model name in /proc/cpuinfo, and whether its
// flags say the machine is virtual (the "hypervisor" flag); empty and
// false when /proc/cpuinfo cannot be read.
func CPUInfo() (model string, hypervisor bool) {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "", false
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case k == "model name" && model == "":
			model = v
		case k == "flags" && strings.Contains(" "+v+" ", " hypervisor "):
			hypervisor = true
		}
	}
	return model, hypervisor
}

// MemTotalKiB is MemTotal from /proc/meminfo (0 when it cannot be read).
func MemTotalKiB() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				kib, _ := strconv.ParseInt(f[0], 10, 64)
				return kib
			}
		}
	}
	return 0
}
