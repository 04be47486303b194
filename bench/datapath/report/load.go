package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// use is a process group's CPU and memory in one run (loadgen's ProcUse).
type use struct {
	CPUSec float64 `json:"cpuSec"`
	Cores  float64 `json:"cores"`
	RSSKiB int64   `json:"rssKiB"`
	Procs  int     `json:"procs"`
}

// run is one load generator result (the fields the report uses).
type run struct {
	Mode            string   `json:"mode"`
	Target          string   `json:"target"`
	Size            int      `json:"size"`
	Concurrency     int      `json:"concurrency"`
	DurationSec     float64  `json:"durationSec"`
	Count           int64    `json:"count"`
	Rate            float64  `json:"rate"`
	MBPerSec        float64  `json:"mbPerSec"`
	ResumedFraction *float64 `json:"resumedFraction"`
	Errors          int64    `json:"errors"`
	FirstError      string   `json:"firstError"`
	Latency         *struct {
		Samples int     `json:"samples"`
		P50Ms   float64 `json:"p50Ms"`
		P99Ms   float64 `json:"p99Ms"`
		P999Ms  float64 `json:"p999Ms"`
	} `json:"latency"`
	TLS *struct {
		Version     string `json:"version"`
		CipherSuite string `json:"cipherSuite"`
		Curve       string `json:"curve"`
		ALPN        string `json:"alpn"`
		HRR         bool   `json:"helloRetryRequest"`
	} `json:"tls"`
	Server  *use      `json:"server"`
	Aux     *use      `json:"aux"`
	Client  *use      `json:"client"`
	CPUBusy []float64 `json:"cpuBusy"`
	Fanout  *struct {
		Conns               int     `json:"conns"`
		Opened              int     `json:"opened"`
		Senders             int     `json:"senders"`
		Broadcasts          int64   `json:"broadcasts"`
		Echoes              int64   `json:"echoes"`
		Sent                int64   `json:"sent"`
		DeliveredFraction   float64 `json:"deliveredFraction"`
		ServerCPUMsPer1000  float64 `json:"serverCpuMsPer1000"`
		AuxCPUMsPer1000     float64 `json:"auxCpuMsPer1000"`
		BroadcastIntervalMs float64 `json:"broadcastIntervalMs"`
		EchoLatency         *struct {
			P99Ms float64 `json:"p99Ms"`
		} `json:"echoLatency"`
	} `json:"fanout"`
	Idle *struct {
		Conns            int     `json:"conns"`
		Opened           int     `json:"opened"`
		OpenSec          float64 `json:"openSec"`
		ServerBeforeKiB  int64   `json:"serverBeforeKiB"`
		ServerAfterKiB   int64   `json:"serverAfterKiB"`
		ServerPerConnKiB float64 `json:"serverPerConnKiB"`
		AuxPerConnKiB    float64 `json:"auxPerConnKiB"`
		ServerProcs      int     `json:"serverProcs"`
	} `json:"idle"`
}

// cost is one handshakecost measurement.
type cost struct {
	NsPerOp   float64 `json:"nsPerOp"`
	PerSecond float64 `json:"perSecond"`
}

type handshakeCost struct {
	Go              string `json:"go"`
	CipherSuite     string `json:"cipherSuite"`
	Curve           string `json:"curve"`
	Full            cost   `json:"full"`
	Resumed         cost   `json:"resumed"`
	X25519          cost   `json:"x25519KeygenAndECDH"`
	ECDSAP256Sign   cost   `json:"ecdsaP256Sign"`
	ECDSAP256Verify cost   `json:"ecdsaP256Verify"`
}

type params struct {
	Reps                int      `json:"reps"`
	Duration            string   `json:"duration"`
	Warmup              string   `json:"warmup"`
	ClientCPU           int      `json:"clientCPU"`
	ServerCPU           int      `json:"serverCPU"`
	NoFileHard          int      `json:"nofileHard"`
	IdleCounts          []int    `json:"idleCounts"`
	RequestedIdleCounts []int    `json:"requestedIdleCounts"`
	FanoutCounts        []int    `json:"fanoutCounts"`
	RequestedFanout     []int    `json:"requestedFanoutCounts"`
	FanoutSize          int      `json:"fanoutSize"`
	FanoutIntervalMs    float64  `json:"fanoutIntervalMs"`
	FanoutSenders       float64  `json:"fanoutSenders"`
	Targets             []string `json:"targets"`
	HandshakeConc       int      `json:"handshakeConcurrency"`
	ThroughputMessage   int      `json:"throughputMessage"`
	Started             string   `json:"started"`
}

// opensslSpeed is what `openssl speed ecdsap256 ecdhx25519` printed.
type opensslSpeed struct {
	SignPerSec, VerifyPerSec, X25519PerSec float64
}

// results is one run directory.
type results struct {
	dir      string
	stamp    string
	params   params
	machine  Machine
	cost     *handshakeCost
	goTLSNs  []float64
	openssl  *opensslSpeed
	profile  []profileLine
	runs     map[string]map[string][]run    // figure -> target -> repetitions
	failures map[string]map[string][]string // figure -> target -> errors
	loadavg  [2]string
}

func loadResults(dir string) (*results, error) {
	r := &results{dir: dir, stamp: filepath.Base(dir), runs: map[string]map[string][]run{}, failures: map[string]map[string][]string{}}
	if err := readJSON(filepath.Join(dir, "params.json"), &r.params); err != nil {
		return nil, err
	}
	if err := readJSON(filepath.Join(dir, "machine.json"), &r.machine); err != nil {
		return nil, err
	}
	var hc handshakeCost
	if err := readJSON(filepath.Join(dir, "handshakecost.json"), &hc); err == nil {
		r.cost = &hc
	}
	r.goTLSNs = parseGoBench(readFile(filepath.Join(dir, "gotls-bench.txt")))
	r.openssl = parseOpenSSLSpeed(readFile(filepath.Join(dir, "openssl-speed.txt")))
	r.profile = parseProfile(readFile(filepath.Join(dir, "profile-proxy-handshake.txt")))
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

// median of f over the runs; NaN-free: 0 for none.
func median(runs []run, f func(run) float64) float64 {
	if len(runs) == 0 {
		return 0
	}
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	return medianOf(v)
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// spread is (max-min)/median of f over the runs, as a fraction.
func spread(runs []run, f func(run) float64) float64 {
	if len(runs) < 2 {
		return 0
	}
	lo, hi := f(runs[0]), f(runs[0])
	for _, r := range runs[1:] {
		lo, hi = min(lo, f(r)), max(hi, f(r))
	}
	m := median(runs, f)
	if m == 0 {
		return 0
	}
	return (hi - lo) / m
}
