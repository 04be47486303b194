package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestSplice(t *testing.T) {
	const section = "new figures\n"
	for _, tc := range []struct {
		name, doc string
		want      []string // substrings, in order
		err       bool
	}{
		{"new file gets both headings", "", []string{"# Benchmarks", "## Data path", beginMarker, "new figures", endMarker, "## Control plane"}, false},
		{"existing markers are replaced in place",
			"# B\n\n## Data path\n\n" + beginMarker + "\nold\n" + endMarker + "\n\n## Control plane\n\nlead's table\n",
			[]string{"## Data path", "new figures", endMarker, "## Control plane", "lead's table"}, false},
		{"a file without markers gets them under its Data path heading",
			"# B\n\n## Control plane\n\nx\n\n## Data path\n\nnotes\n",
			[]string{"## Control plane", "## Data path", beginMarker, "new figures", endMarker, "notes"}, false},
		{"a file without heading or markers gets a Data path section appended",
			"# B\n\n## Control plane\n\nx\n", []string{"## Control plane", "x", "## Data path", "new figures"}, false},
		{"one marker alone is an error", "# B\n" + beginMarker + "\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := splice(tc.doc, section)
			if tc.err {
				g.Expect(err).To(HaveOccurred())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).NotTo(ContainSubstring("old"))
			rest := got
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				g.Expect(i).To(BeNumerically(">=", 0), "%q missing or out of order in:\n%s", w, got)
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestRatios(t *testing.T) {
	g := NewWithT(t)
	r, best := ratios(map[string]float64{"proxy": 50, "nginx": 100, "haproxy": 80, "direct": 1000}, true)
	g.Expect(best).To(Equal("nginx"))
	g.Expect(r).To(Equal(map[string]string{"proxy": "0.50", "nginx": "**1.00**", "haproxy": "0.80", "caddy": "n/a", "hitch": "n/a", "stunnel": "n/a"}))
	r, best = ratios(map[string]float64{"proxy": 10, "nginx": 20}, false)
	g.Expect(best).To(Equal("proxy"))
	g.Expect(r).To(Equal(map[string]string{"proxy": "**1.00**", "nginx": "2.00", "haproxy": "n/a", "caddy": "n/a", "hitch": "n/a", "stunnel": "n/a"}))
}

func TestNum(t *testing.T) {
	g := NewWithT(t)
	g.Expect(num(1234567.891, 0)).To(Equal("1,234,568"))
	g.Expect(num(999, 1)).To(Equal("999.0"))
	g.Expect(num(-1234.5, 1)).To(Equal("-1,234.5"))
	g.Expect(signed(12, 0)).To(Equal("+12"))
	g.Expect(signed(-3, 0)).To(Equal("-3"))
	g.Expect(medianOf([]float64{3, 1, 2, 10})).To(Equal(2.5))
}

func TestParsers(t *testing.T) {
	g := NewWithT(t)
	g.Expect(parseGoBench("goos: linux\nBenchmarkHandshakeServer/ECDHE-X25519-ECDSA-P256/TLSv13  \t   15190\t    159943 ns/op\n" +
		"BenchmarkHandshakeServer/ECDHE-X25519-ECDSA-P256/TLSv13-2  \t   15000\t    160001.5 ns/op\nPASS\n")).
		To(Equal([]float64{159943, 160001.5}))
	o := parseOpenSSLSpeed("                              sign    verify    sign/s verify/s\n" +
		" 256 bits ecdsa (nistp256)   0.0000s   0.0001s  49412.6  16819.5\n" +
		"                              op      op/s\n 253 bits ecdh (X25519)   0.0000s  31465.0\n")
	g.Expect(o).To(Equal(&opensslSpeed{SignPerSec: 49412.6, VerifyPerSec: 16819.5, X25519PerSec: 31465}))
	g.Expect(parseOpenSSLSpeed("nothing")).To(BeNil())
	p := parseProfile("    44.73%     0.03%  [.] crypto/tls.(*Conn).handshakeContext\n" +
		"    10.65%     0.00%  [.] crypto/ecdh.(*x25519Curve).GenerateKey\n" +
		"    10.51%     0.00%  [.] crypto/ecdh.(*PrivateKey).ECDH\n" +
		"    66.82%  wss-operator     \n    32.67%  [kernel.kallsyms]\n")
	g.Expect(p).To(ContainElement(profileLine{Label: "TLS handshake (crypto/tls)", Pct: 44.73}))
	g.Expect(p).To(ContainElement(profileLine{Label: "X25519 key generation and shared secret", Indent: true, Pct: 21.16}))
	g.Expect(p[len(p)-1].Pct).To(Equal(32.67))
}

// TestRenderFixture renders a small synthetic run and checks the figures
// and verdicts land where a reader looks for them.
func TestRenderFixture(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	write := func(name string, v any) {
		b, err := json.Marshal(v)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)).To(Succeed())
		g.Expect(os.WriteFile(filepath.Join(dir, name), b, 0o644)).To(Succeed())
	}
	write("params.json", params{Reps: 1, Duration: "5s", Warmup: "1s", ClientCPU: 0, ServerCPU: 1, NoFileHard: 20000,
		IdleCounts: []int{2000, 9900}, RequestedIdleCounts: []int{2000, 10000}, HandshakeConc: 16, Started: "T",
		FanoutCounts: []int{1000}, FanoutSize: 64, FanoutIntervalMs: 100, FanoutSenders: 0.01})
	write("machine.json", Machine{CPUModel: "Test CPU", NCPU: 2})
	write("handshakecost.json", map[string]any{"full": map[string]float64{"nsPerOp": 160000, "perSecond": 6250},
		"resumed": map[string]float64{"nsPerOp": 130000, "perSecond": 7692}})
	hs := func(t string, rate, cores float64) map[string]any {
		return map[string]any{"mode": "handshake", "target": t, "rate": rate, "server": map[string]float64{"cores": cores},
			"client": map[string]float64{"cores": 0.6}, "cpuBusy": []float64{0.95, 0.9}, "latency": map[string]float64{"p50Ms": 8, "p99Ms": 30},
			"tls": map[string]string{"version": "TLS 1.3", "curve": "X25519", "cipherSuite": "TLS_AES_128_GCM_SHA256"}}
	}
	write("runs/handshake/proxy.1.json", hs("proxy", 1700, 0.65))
	write("runs/handshake/nginx.1.json", hs("nginx", 1650, 0.70))
	write("runs/handshake/haproxy.1.json", hs("haproxy", 1450, 0.80))
	lat := func(p50, p99 float64) map[string]any {
		return map[string]any{"mode": "latency", "rate": 8000, "latency": map[string]float64{"p50Ms": p50, "p99Ms": p99, "p999Ms": p99 * 2}}
	}
	write("runs/latency-64/direct.1.json", lat(0.06, 0.10))
	write("runs/latency-64/proxy.1.json", lat(0.12, 0.25))
	write("runs/latency-64/nginx.1.json", lat(0.14, 0.20))
	idle := func(kib float64) map[string]any {
		return map[string]any{"mode": "idle", "idle": map[string]any{"conns": 9900, "opened": 9900, "serverPerConnKiB": kib, "serverAfterKiB": 1 << 17}}
	}
	write("runs/idle-9900/proxy.1.json", idle(12.4))
	write("runs/idle-9900/nginx.1.json", idle(42.9))
	fan := func(cpuMs, p99 float64) map[string]any {
		return map[string]any{"mode": "fanout", "rate": 10100, "latency": map[string]float64{"p50Ms": p99 / 4, "p99Ms": p99, "p999Ms": p99 * 2},
			"fanout": map[string]any{"conns": 1000, "opened": 1000, "broadcasts": 50000, "echoes": 500, "deliveredFraction": 1.0,
				"serverCpuMsPer1000": cpuMs, "auxCpuMsPer1000": 9.0}}
	}
	write("runs/fanout-1000/proxy.1.json", fan(12, 3.0))
	write("runs/fanout-1000/nginx.1.json", fan(20, 3.1))
	write("runs/fanout-1000/hitch.1.json", fan(16, 2.9))
	write("runs/fanout-1000/direct.1.json", fan(8, 1.0))
	write("runs/handshake/caddy.1.json", hs("caddy", 1200, 0.9))
	g.Expect(os.WriteFile(filepath.Join(dir, "runs/handshake/haproxy.2.err"), []byte("loadgen: boom\n"), 0o644)).To(Succeed())

	r, err := loadResults(dir)
	g.Expect(err).NotTo(HaveOccurred())
	out := render(r)
	for _, want := range []string{
		"| full handshakes per core ≥ 1.3 × best peer | 2,615 vs 2,357 (nginx) | 1.11× | **missed** (1.11 against 1.30) |",
		"| full handshakes per core ≥ 0.5 × Go limit | 2,615 of 6,250 | 0.42× | **missed** (0.42 against 0.50) |",
		"| idle memory ≤ 12 KiB per connection at 9,900 | 12.4 KiB | 1.03× | **missed** (12.40 against 12.00) |",
		"| fan-out CPU per 1,000 messages ≤ 0.8 × best peer at equal p99, 1,000 connections | 12.0 vs 16.0 ms (hitch (L4)) | 0.75× | met (p99 3.00 vs 2.90 ms) |",
		"| hitch (L4) | 10,100 | 100% | 16.0 ±0% |",
		"**wss-operator proxy spends the least CPU per message (1,000 connections):** 12.0 ms per 1,000 messages against 16.0 ms for hitch (L4) (0.75×)",
		"| Caddy | 1,200 ±0% |",
		"0.5 of the Go limit is 3,125 handshakes per core",
		"the largest idle point is 9,900 connections instead of 10,000",
		"| wss-operator proxy | 1,700 ±0% | **1.00** |",
		"**Where we lose:** wss-operator proxy adds +150 µs at p99 over direct, 50 µs more than nginx (+100 µs).",
		"**wss-operator proxy does the most handshakes per core:**",
		"| direct ws:// (baseline, no TLS) | not run |",
	} {
		g.Expect(out).To(ContainSubstring(want))
	}
}
