package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

// opensslSpeed is what `openssl speed ecdsap256 ecdhx25519` printed.
type opensslSpeed struct {
	SignPerSec, VerifyPerSec, X25519PerSec float64
}

// results is one data-path run directory.
type results struct {
	dir     string
	stamp   string
	params  benchresult.Params
	machine benchresult.Machine
	// cost is the Go limit (bench/datapath/handshakecost), the median of
	// its repetitions (limitNs: the full handshake's ns in each); goTLSNs
	// its cross-check, crypto/tls's own benchmark, every run's ns/op.
	cost    *benchresult.HandshakeCost
	limitNs []float64
	goTLSNs []float64
	openssl *opensslSpeed
	profile []profileLine
	// fanProfile is the proxy's profile during the fan-out figure at
	// fanProfileN connections (nil without one).
	fanProfile  []profileLine
	fanProfileN int
	runs        map[string]map[string][]run    // figure -> target -> repetitions
	failures    map[string]map[string][]string // figure -> target -> errors
	loadavg     [2]string
	// notes are remarks on a figure added by hand after the run
	// (notes.json: figure -> text), printed under its heading.
	notes map[string]string
}

// runDirPattern names a data-path run directory: its UTC start time.
var runDirPattern = regexp.MustCompile(`^\d{8}T\d{6}Z$`)

// latestRun is the newest data-path run directory in the results folder,
// "" when there is none.
func latestRun(resultsDir string) (string, error) {
	entries, err := os.ReadDir(resultsDir)
	if err != nil {
		return "", err
	}
	latest := ""
	for _, e := range entries {
		if e.IsDir() && runDirPattern.MatchString(e.Name()) && e.Name() > latest {
			latest = e.Name()
		}
	}
	if latest == "" {
		return "", nil
	}
	return filepath.Join(resultsDir, latest), nil
}

func loadResults(dir string) (*results, error) {
	r := &results{dir: dir, stamp: filepath.Base(dir), runs: map[string]map[string][]run{}, failures: map[string]map[string][]string{}}
	if err := readJSON(filepath.Join(dir, "params.json"), &r.params); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(dir, "machine.json"), &r.machine); err != nil {
		return nil, err
	}
	if err := r.loadLimit(); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(dir, "notes.json"), &r.notes); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	r.openssl = parseOpenSSLSpeed(readFile(filepath.Join(dir, "openssl-speed.txt")))
	r.profile = parseProfile(readFile(filepath.Join(dir, "profile-proxy-handshake.txt")), profileBuckets)
	if files, _ := filepath.Glob(filepath.Join(dir, "profile-proxy-fanout-*.txt")); len(files) > 0 {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(files[0]), "profile-proxy-fanout-"), ".txt"))
		if err != nil {
			return nil, fmt.Errorf("%s: no connection count in the name", files[0])
		}
		r.fanProfile, r.fanProfileN = parseProfile(readFile(files[0]), fanoutProfileBuckets), n
	}
	r.loadavg = [2]string{firstLine(readFile(filepath.Join(dir, "loadavg-start.txt"))), firstLine(readFile(filepath.Join(dir, "loadavg-end.txt")))}
	figs, err := os.ReadDir(filepath.Join(dir, "runs"))
	if err != nil {
		return nil, fmt.Errorf("reading runs: %w", err)
	}
	for _, f := range figs {
		files, _ := filepath.Glob(filepath.Join(dir, "runs", f.Name(), "*"))
		slices.Sort(files)
		for _, file := range files {
			target, _, _ := strings.Cut(filepath.Base(file), ".")
			switch filepath.Ext(file) {
			case ".json":
				var x run
				if err := readJSON(file, &x); err != nil {
					return nil, err
				}
				add(r.runs, f.Name(), target, x)
			case ".err":
				add(r.failures, f.Name(), target, firstLine(readFile(file)))
			}
		}
	}
	return r, nil
}

// loadLimit reads the Go limit and its cross-check: one measurement per
// repetition of the handshake figure (limits/handshakecost.REP.json and
// limits/gotls-bench.REP.txt), or one for the whole run in runs before
// the limit took turns (handshakecost.json, gotls-bench.txt). The limit is
// the median of the repetitions, each of its costs taken alone.
func (r *results) loadLimit() error {
	files, _ := filepath.Glob(filepath.Join(r.dir, "limits", "handshakecost.*.json"))
	bench, _ := filepath.Glob(filepath.Join(r.dir, "limits", "gotls-bench.*.txt"))
	if len(files) == 0 {
		files = []string{filepath.Join(r.dir, "handshakecost.json")}
		bench = []string{filepath.Join(r.dir, "gotls-bench.txt")}
	}
	for _, f := range bench {
		r.goTLSNs = append(r.goTLSNs, parseGoBench(readFile(f))...)
	}
	var costs []benchresult.HandshakeCost
	for _, f := range files {
		var hc benchresult.HandshakeCost
		switch err := readJSON(f, &hc); {
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return err
		}
		costs = append(costs, hc)
	}
	if len(costs) == 0 {
		return nil
	}
	r.limitNs = make([]float64, len(costs))
	for i, c := range costs {
		r.limitNs[i] = c.Full.NsPerOp
	}
	med := costs[0]
	for _, f := range []func(*benchresult.HandshakeCost) *benchresult.Cost{
		func(c *benchresult.HandshakeCost) *benchresult.Cost { return &c.Full },
		func(c *benchresult.HandshakeCost) *benchresult.Cost { return &c.Resumed },
		func(c *benchresult.HandshakeCost) *benchresult.Cost { return &c.X25519 },
		func(c *benchresult.HandshakeCost) *benchresult.Cost { return &c.ECDSAP256Sign },
		func(c *benchresult.HandshakeCost) *benchresult.Cost { return &c.ECDSAP256Verify },
	} {
		ns := make([]float64, len(costs))
		for i := range costs {
			ns[i] = f(&costs[i]).NsPerOp
		}
		m := medianOf(ns)
		*f(&med) = benchresult.Cost{NsPerOp: m, PerSecond: 1e9 / m}
	}
	r.cost = &med
	return nil
}

func loadControlPlane(file string) (*benchresult.ControlPlane, error) {
	var cp benchresult.ControlPlane
	if err := readJSON(file, &cp); err != nil {
		return nil, err
	}
	return &cp, nil
}

func add[T any](m map[string]map[string][]T, fig, target string, v T) {
	if m[fig] == nil {
		m[fig] = map[string][]T{}
	}
	m[fig][target] = append(m[fig][target], v)
}

func readJSON(file string, v any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

func readFile(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}

var goBenchRE = regexp.MustCompile(`(?m)^BenchmarkHandshakeServer\S*\s+\d+\s+([\d.]+) ns/op`)

func parseGoBench(s string) []float64 {
	var out []float64
	for _, m := range goBenchRE.FindAllStringSubmatch(s, -1) {
		if v, err := strconv.ParseFloat(m[1], 64); err == nil {
			out = append(out, v)
		}
	}
	return out
}

var (
	sslSignRE = regexp.MustCompile(`ecdsa \(nistp256\)\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+([\d.]+)`)
	sslECDHRE = regexp.MustCompile(`ecdh \(X25519\)\s+[\d.]+s\s+([\d.]+)`)
)

func parseOpenSSLSpeed(s string) *opensslSpeed {
	a, b := sslSignRE.FindStringSubmatch(s), sslECDHRE.FindStringSubmatch(s)
	if a == nil || b == nil {
		return nil
	}
	var o opensslSpeed
	o.SignPerSec, _ = strconv.ParseFloat(a[1], 64)
	o.VerifyPerSec, _ = strconv.ParseFloat(a[2], 64)
	o.X25519PerSec, _ = strconv.ParseFloat(b[1], 64)
	return &o
}
