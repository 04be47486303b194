package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

// limitRun writes a run whose Go limit took its turn in each of three
// repetitions (full handshake ns per repetition: fullNs) with crypto/tls's
// benchmark as cross-check (crossNs), and the proxy's handshakes.
func limitRun(g Gomega, dir string, fullNs, crossNs [3]float64) {
	write := func(name string, v any) { writeJSON(g, filepath.Join(dir, name), v) }
	write("params.json", benchresult.Params{Reps: 3, Duration: "5s", Warmup: "1s", ServerCPU: 1, HandshakeConc: 16, Started: "T"})
	write("machine.json", benchresult.Machine{CPUModel: "Test CPU", NCPU: 2})
	for i := range 3 {
		rep := i + 1
		write(fmt.Sprintf("limits/handshakecost.%d.json", rep), map[string]any{
			"full":                map[string]float64{"nsPerOp": fullNs[i], "perSecond": 1e9 / fullNs[i]},
			"resumed":             map[string]float64{"nsPerOp": fullNs[i] * 0.8},
			"x25519KeygenAndECDH": map[string]float64{"nsPerOp": 100000 + float64(rep)},
		})
		bench := fmt.Sprintf("BenchmarkHandshakeServer/ECDHE-X25519-ECDSA-P256/TLSv13  \t   10000\t    %.0f ns/op\nPASS\n", crossNs[i])
		g.Expect(os.WriteFile(filepath.Join(dir, fmt.Sprintf("limits/gotls-bench.%d.txt", rep)), []byte(bench), 0o644)).To(Succeed())
		write(fmt.Sprintf("runs/handshake/proxy.%d.json", rep), map[string]any{"mode": "handshake", "rate": 1500, "server": map[string]float64{"cores": 1}})
	}
}

// The limit taken in turns is the median of its repetitions, each cost
// alone; the old single file is not needed.
func TestLimitIsTheMedianOfItsTurns(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	limitRun(g, dir, [3]float64{300000, 200000, 220000}, [3]float64{210000, 230000, 215000})
	r, err := loadResults(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(r.cost).NotTo(BeNil())
	g.Expect(r.cost.Full.NsPerOp).To(Equal(220000.0))
	g.Expect(r.cost.Full.PerSecond).To(BeNumerically("~", 1e9/220000, 1e-9))
	g.Expect(r.cost.Resumed.NsPerOp).To(Equal(176000.0))
	g.Expect(r.cost.X25519.NsPerOp).To(Equal(100002.0))
	g.Expect(r.limitNs).To(Equal([]float64{300000, 200000, 220000}))
	g.Expect(r.goTLSNs).To(Equal([]float64{210000, 230000, 215000}))
}

// The goal against the limit is decided only when the limit agrees with
// its cross-check; otherwise the verdict says why it is not.
func TestLimitCrossCheckDecidesTheVerdict(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		fullNs, crossNs      [3]float64
		notComparable        string
		verdictLine, limitOn string
	}{
		{
			name:   "agree",
			fullNs: [3]float64{300000, 200000, 220000}, crossNs: [3]float64{210000, 230000, 215000},
			verdictLine: "| full handshakes per core ≥ 0.5 × Go limit | 1,500 of 4,545 | 0.33× | **missed** (0.33 against 0.50) |",
			limitOn:     "took 215 µs per handshake (+2%), close enough to rely on.",
		},
		{
			name:   "disagree",
			fullNs: [3]float64{330000, 329000, 340000}, crossNs: [3]float64{218000, 213000, 221000},
			notComparable: "the limit (330 µs) and its cross-check (218 µs) disagree by +51%",
			verdictLine:   "| full handshakes per core ≥ 0.5 × Go limit | 1,500 of 3,030 | 0.49× | **not shown**: the limit (330 µs) and its cross-check (218 µs) disagree by +51% |",
			limitOn:       "**the two disagree by +51%**, so ratios against the limit are uncertain by as much.",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			dir := t.TempDir()
			limitRun(g, dir, tc.fullNs, tc.crossNs)
			r, err := loadResults(dir)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(dp{r}.goals().HsLimit.NotComparable).To(Equal(tc.notComparable))
			out := render("datapath", dataPathFigures(r))
			g.Expect(out).To(ContainSubstring(tc.verdictLine))
			g.Expect(out).To(ContainSubstring(tc.limitOn))
			g.Expect(out).To(ContainSubstring("handshake alone (`bench/datapath/handshakecost`) (median of 3 runs, "))
		})
	}
}

// A limit file that is not JSON is an error naming it, not a missing limit.
func TestLimitFileBroken(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	limitRun(g, dir, [3]float64{1, 1, 1}, [3]float64{1, 1, 1})
	g.Expect(os.WriteFile(filepath.Join(dir, "limits/handshakecost.2.json"), []byte("{"), 0o644)).To(Succeed())
	_, err := loadResults(dir)
	g.Expect(err).To(MatchError(ContainSubstring("limits/handshakecost.2.json")))
}
