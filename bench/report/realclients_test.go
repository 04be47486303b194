package main

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

func TestJudge(t *testing.T) {
	g := NewWithT(t)
	base := spreadRange{Median: 10, Min: 9, Max: 12, N: 5}
	g.Expect(judge(base, spreadRange{Median: 8, Min: 7, Max: 9, N: 5})).To(Equal(verdict{NotSlower: true}), "faster")
	g.Expect(judge(base, spreadRange{Median: 12, N: 5})).To(Equal(verdict{NotSlower: true}), "at base's maximum")
	v := judge(base, spreadRange{Median: 12.5, N: 5})
	g.Expect(v.NotSlower).To(BeFalse(), "over base's maximum")
	g.Expect(v.SlowerPct).To(BeNumerically("~", 25, 1e-9))
	g.Expect(v.String()).To(Equal("**slower by 25%**"))
	g.Expect(verdict{NotSlower: true}.String()).To(Equal("not slower"))
	g.Expect(judge(spreadRange{}, spreadRange{Median: 1, N: 1})).To(Equal(verdict{NoData: true}), "no base: no claim")
	g.Expect(verdict{NoData: true}.String()).To(Equal("n/a (no runs)"))
	g.Expect(spreadRange{Median: 1.5, Min: 1, Max: 2.25, N: 3}.Format("ms")).To(Equal("1.50 ms (1.00–2.25)"))
	g.Expect(spreadRange{Median: 1234.4, Min: 1000, Max: 2000, N: 3}.Format("µs")).To(Equal("1,234 µs (1,000–2,000)"))
	g.Expect(spreadRange{}.Format("µs")).To(Equal("n/a"))
}

// realClientsResults has node (all three workloads) and chromium
// (handshakes only), three repetitions; chromium's head handshakes are
// slower than base's spread, and one run failed.
func realClientsResults() *benchresult.RealClients {
	rc := &benchresult.RealClients{
		Machine: map[string]string{"cpu": "Test CPU", "cpus": "2", "memory": "24 GiB", "go": "go1.26",
			"node": "v20", "ws": "8.23.0", "chromium": "Chromium 156"},
		Builds: []benchresult.Build{{Name: "base", Rev: "83dfe45^", Commit: strings.Repeat("a", 40)},
			{Name: "head", Rev: "HEAD", Commit: strings.Repeat("b", 40), Dirty: true}},
		Reps: 3,
		Workloads: []benchresult.Workload{
			{Name: "handshake", Kind: "handshake", Count: 100, Warmup: 10},
			{Name: "echo-64B", Kind: "echo", Size: 64, Count: 1000, Warmup: 100},
			{Name: "echo-16KiB", Kind: "echo", Size: 16384, Count: 1000, Warmup: 100},
		},
		Compression: "off",
	}
	add := func(rep int, client, build, workload string, count int, p50Ms, totalMs, cpu float64) {
		rc.Runs = append(rc.Runs, benchresult.ClientRun{Rep: rep, Client: client, Build: build, Workload: workload,
			ClientTiming: benchresult.ClientTiming{Count: count, P50Ms: p50Ms, TotalMs: totalMs}, SidecarCPUSec: cpu})
	}
	for rep := range 3 {
		d := float64(rep) * 0.1 // base and head spread over 0.2 ms
		add(rep, "node", "base", "handshake", 100, 5+d, 520, 0.1)
		rc.Runs[len(rc.Runs)-1].Resumed = rep // 0+1+2 resumed of 300
		add(rep, "node", "head", "handshake", 100, 4.9+d, 510, 0.1)
		add(rep, "node", "base", "echo-64B", 1000, 0.2, 210, 0.1)
		add(rep, "node", "head", "echo-64B", 1000, 0.19, 200, 0.1)
		add(rep, "node", "base", "echo-16KiB", 1000, 0.4+d/10, 420, 0.2)
		add(rep, "node", "head", "echo-16KiB", 1000, 0.42, 430, 0.2)
		add(rep, "chromium", "base", "handshake", 100, 10+d, 1000, 0.2)
		add(rep, "chromium", "head", "handshake", 100, 12+d, 1200, 0.3)
	}
	rc.Runs = append(rc.Runs, benchresult.ClientRun{Client: "chromium", Build: "head", Workload: "echo-64B", Error: "websocket error"})
	return rc
}

func TestRealClientsFigures(t *testing.T) {
	g := NewWithT(t)
	f := realClientsFigures(realClientsResults())
	g.Expect(f.Failed).To(Equal(1))
	g.Expect(f.Rows).To(HaveLen(6), "two clients × three workloads")
	node := f.Rows[0]
	g.Expect(node.Client).To(Equal("Node.js ws"))
	g.Expect(node.Unit).To(Equal("ms"))
	g.Expect(node.Time.Base).To(Equal(spreadRange{Median: 5.1, Min: 5, Max: 5.2, N: 3}))
	g.Expect(node.Time.Ratio).To(BeNumerically("~", 5.0/5.1, 1e-9))
	g.Expect(node.Mean.Base.Median).To(BeNumerically("~", 5.2, 1e-9))
	g.Expect(node.CPU.Base.Median).To(BeNumerically("~", 1000, 1e-9), "0.1 s over 100 handshakes")
	g.Expect(node.Verdict.NotSlower).To(BeTrue())
	echo := f.Rows[1]
	g.Expect(echo.Unit).To(Equal("µs"))
	g.Expect(echo.Time.Head.Median).To(BeNumerically("~", 190, 1e-9))
	g.Expect(f.Rows[2].Verdict.NotSlower).To(BeTrue(), "0.42 ms is within base's 0.40–0.42")
	chrome := f.Rows[3]
	g.Expect(chrome.Client).To(Equal("Chromium"))
	g.Expect(chrome.Verdict.NotSlower).To(BeFalse())
	g.Expect(chrome.Verdict.SlowerPct).To(BeNumerically("~", 100*(12.1/10.1-1), 1e-9))
	g.Expect(f.Rows[4].Time.Head.N).To(BeZero(), "the failed run is left out")
	g.Expect(f.Rows[4].Verdict.NoData).To(BeTrue(), "no figures: no claim")
	g.Expect(f.Slower).To(HaveLen(1))
	g.Expect(f.Complete).To(BeFalse())
	g.Expect([]int{f.NodeResumed, f.NodeHandshakes}).To(Equal([]int{3, 600}), "the add helper leaves Resumed 0 for the others")
	g.Expect(f.Loops).To(Equal("100 handshakes, 1,000 round trips of 64 B and 1,000 of 16 KiB (after 10, 100 and 100 untimed)"))
	g.Expect(f.Command).To(Equal("go run ./bench/realclients -base 83dfe45^ -reps 3 -handshakes 100 -echoes 1000"))
}

func TestRealClientsRendering(t *testing.T) {
	g := NewWithT(t)
	out := render("realclients", realClientsFigures(realClientsResults()))
	for _, want := range []string{
		"**base** `83dfe45^` (aaaaaaaaaaaa) and **head**, this tree at bbbbbbbbbbbb with uncommitted changes.",
		"Node v20 with ws 8.23.0, Chromium 156",
		"`go run ./bench/realclients -base 83dfe45^ -reps 3 -handshakes 100 -echoes 1000`",
		"| Node.js ws | handshake (connect, TLS, upgrade, close) | 5.10 ms (5.00–5.20) | 5.00 ms (4.90–5.10) | 0.98 | not slower |",
		"| Node.js ws | echo round trip, 64 B | 200 µs (200–200) | 190 µs (190–190) | 0.95 | not slower |",
		"| Chromium | handshake (connect, TLS, upgrade, close) | 10.10 ms (10.00–10.20) | 12.10 ms (12.00–12.20) | 1.20 | **slower by 20%** |",
		"| Chromium | echo round trip, 64 B | n/a | n/a | 0.00 | n/a (no runs) |",
		"| Node.js ws | handshake (connect, TLS, upgrade, close) | 5.20 ms | 5.10 ms | 0.98 | 1,000 µs | 1,000 µs | 1.00 |",
		"Slower: Chromium handshake (connect, TLS, upgrade, close) (20%).",
		"1 runs failed",
		"Node resumed 3 of its 600 timed TLS handshakes",
	} {
		g.Expect(out).To(ContainSubstring(want))
	}
	g.Expect(out).NotTo(ContainSubstring("\n\n\n"))
}

func TestRealClientsPart(t *testing.T) {
	g := NewWithT(t)
	doc := "# Benchmarks\n\n## Data path\n\nx\n\n## Control plane\n\ny\n"
	got, err := splice(doc, realClientsPart, "rc figures")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(HaveSuffix("## Real clients\n\n" + realClientsPart.begin() + "\n\nrc figures\n\n" + realClientsPart.end() + "\n"))
	again, err := splice(got, realClientsPart, "new")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again).To(ContainSubstring("\n\nnew\n\n"))
	g.Expect(again).NotTo(ContainSubstring("rc figures"))
}
