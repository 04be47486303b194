package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wss-operator/wss-operator/bench/internal/procstat"
)

// What the benchmark observes besides time and memory: the manager's own
// API requests (counted by cpmanager, exported on its /metrics), its reconciles (controller-runtime's counter), every client's
// requests as the API server counts them, and CPU time per process.

// sample is one line of Prometheus text exposition.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape reads a Prometheus text endpoint, keeping the families in names.
func scrape(c *http.Client, url string, names ...string) ([]sample, error) {
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("%s: %s: %s", url, resp.Status, b)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []sample
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		line := s.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if !want[name] {
			continue
		}
		sm := sample{name: name, labels: map[string]string{}}
		if strings.HasPrefix(rest, "{") {
			end := strings.LastIndex(rest, "}")
			if end < 0 {
				continue
			}
			for _, kv := range splitLabels(rest[1:end]) {
				if k, v, ok := strings.Cut(kv, "="); ok {
					sm.labels[k] = strings.Trim(v, `"`)
				}
			}
			rest = rest[end+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		if sm.value, err = strconv.ParseFloat(f[0], 64); err != nil {
			continue
		}
		out = append(out, sm)
	}
	return out, s.Err()
}

// splitLabels splits `a="x",b="y,z"` at the commas outside quotes.
func splitLabels(s string) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// sumBy adds up samples of family name, grouped by the joined values of keys.
func sumBy(samples []sample, name string, filter func(map[string]string) bool, keys ...string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range samples {
		if s.name != name || (filter != nil && !filter(s.labels)) {
			continue
		}
		var k []string
		for _, key := range keys {
			k = append(k, s.labels[key])
		}
		out[strings.Join(k, "/")] += s.value
	}
	return out
}

// diff is after minus before, dropping zeros.
func diff(after, before map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// childByName finds this process's child whose command is name (the
// kube-apiserver and etcd envtest started), so another agent's control
// plane on the same machine is never measured.
func childByName(name string) (int, error) {
	self := os.Getpid()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if st, err := procstat.ReadStat(pid); err == nil && st.PPID == self && st.Comm == name {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no child process %q of pid %d", name, self)
}
