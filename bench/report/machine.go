package main

import (
	"os/exec"
	"runtime"
	"strings"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
	"github.com/wss-operator/wss-operator/bench/internal/procstat"
)

// collectMachine is what this machine is and runs, for machine.json: CPU,
// memory, kernel, OS and the versions of the servers a data-path run
// measures.
func collectMachine(proxyBin string) benchresult.Machine {
	m := benchresult.Machine{NCPU: runtime.NumCPU(), Go: runtime.Version()}
	m.CPUModel, m.Hypervisor = procstat.CPUInfo()
	m.MemTotalGiB = float64(procstat.MemTotalKiB()) / (1 << 20)
	m.Kernel = firstLine(readFile("/proc/sys/kernel/osrelease"))
	m.TCPTwReuse = firstLine(readFile("/proc/sys/net/ipv4/tcp_tw_reuse"))
	for _, line := range strings.Split(readFile("/etc/os-release"), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			m.OS = strings.Trim(v, `"`)
		}
	}
	m.Nginx = strings.TrimPrefix(firstLine(command("nginx", "-v")), "nginx version: ")
	for _, line := range strings.Split(command("nginx", "-V"), "\n") {
		if v, ok := strings.CutPrefix(line, "built with "); ok {
			m.Nginx += " (built with " + v + ")"
		}
	}
	hv, _, _ := strings.Cut(firstLine(command("haproxy", "-v")), " - ")
	m.HAProxy = strings.Replace(hv, "HAProxy version ", "HAProxy ", 1)
	for _, line := range strings.Split(command("haproxy", "-vv"), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Running on OpenSSL version :"); ok {
			m.HAProxy += " (running on " + strings.TrimSpace(v) + ")"
		}
	}
	if v := firstLine(command("caddy", "version")); v != "" {
		m.Caddy = "Caddy " + v
		for _, line := range strings.Split(command("caddy", "build-info"), "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == "go" {
				m.Caddy += " (" + f[1] + ")"
			}
		}
	}
	m.Hitch = firstLine(command("hitch", "--version"))
	for _, line := range strings.Split(command("stunnel4", "-version"), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "stunnel "):
			m.Stunnel, _, _ = strings.Cut(line, " on ")
		case strings.HasPrefix(line, "Running  with ") && m.Stunnel != "":
			m.Stunnel += " (running with " + strings.TrimPrefix(line, "Running  with ") + ")"
		case strings.HasPrefix(line, "Threading:") && m.Stunnel != "":
			t, _, _ := strings.Cut(strings.TrimPrefix(line, "Threading:"), " ")
			m.Stunnel += ", threading " + t
		}
	}
	m.OpenSSL = firstLine(command("openssl", "version"))
	if proxyBin != "" {
		m.Proxy = firstLine(command(proxyBin, "version"))
	}
	return m
}

// command runs name with args and returns stdout and stderr together
// (nginx -v prints to stderr); "" when it cannot run.
func command(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return ""
	}
	return string(out)
}
