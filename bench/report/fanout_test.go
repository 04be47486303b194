package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

func TestDeliveryCheck(t *testing.T) {
	fanout := func(f benchresult.Fanout) run {
		return run{Target: "proxy", DurationSec: 5.0004, Fanout: &f}
	}
	for _, tc := range []struct {
		name  string
		run   run
		valid bool
	}{
		{"not a fan-out run", run{Target: "proxy"}, true},
		{"by round, all delivered", fanout(benchresult.Fanout{Opened: 10, Delivered: 500, Promised: 500, DeliveredFraction: 1}), true},
		{"by round, some lost", fanout(benchresult.Fanout{Opened: 10, Delivered: 400, Promised: 500, DeliveredFraction: 0.8}), true},
		{"by round, more than promised", fanout(benchresult.Fanout{Opened: 10, Delivered: 501, Promised: 500, DeliveredFraction: 1.002}), false},
		{"by round, a fraction over one", fanout(benchresult.Fanout{Opened: 10, Delivered: 500, Promised: 500, DeliveredFraction: 1.1}), false},
		// By arrival a round already under way when the window opened may
		// arrive in it too: 50 intervals in 5.0004 s, plus one.
		{"by arrival, one round more than the window holds",
			fanout(benchresult.Fanout{Opened: 1000, Broadcasts: 51000, BroadcastIntervalMs: 100, DeliveredFraction: 1.02}), true},
		{"by arrival, pushes queued before the window",
			fanout(benchresult.Fanout{Opened: 1000, Broadcasts: 51001, BroadcastIntervalMs: 100, DeliveredFraction: 1.02}), false},
		{"by arrival, no interval recorded", fanout(benchresult.Fanout{Opened: 1000, Broadcasts: 1e6}), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			bad := deliveryCheck(tc.run)
			if tc.valid {
				g.Expect(bad).To(BeNil())
				return
			}
			g.Expect(bad).NotTo(BeNil())
			g.Expect(bad.Target).To(Equal("wss-operator proxy"))
			g.Expect(bad.Counted > bad.Most || bad.Delivered > 1).To(BeTrue(), "%+v", bad)
		})
	}
}

// TestFanoutValidity renders a run with a fan-out figure counted by round
// and one whose count by arrival exceeds what the backend can have sent:
// that one is marked invalid, with the reason, and draws no verdict.
func TestFanoutValidity(t *testing.T) {
	g := NewWithT(t)
	dir, write := fanoutResults(g, t.TempDir())
	write("notes.json", map[string]string{"fanout-9900": "It ran beside another benchmark."})
	fan := func(target string, cpuMs float64, f benchresult.Fanout) run {
		f.ServerCPUMsPer1000, f.BroadcastIntervalMs, f.DeliveryGraceSec = cpuMs, 100, 3
		return run{Mode: "fanout", Target: target, Rate: 10000, DurationSec: 5.001, CPUBusy: []float64{0.5, 0.5},
			Latency: &benchresult.Latency{P50Ms: 1, P99Ms: 3, P999Ms: 5}, Fanout: &f}
	}
	byRound := benchresult.Fanout{Conns: 1000, Opened: 1000, Broadcasts: 50000, Delivered: 49750, Promised: 50000, DeliveredFraction: 0.995}
	write("runs/fanout-1000/proxy.1.json", fan("proxy", 12, byRound))
	write("runs/fanout-1000/nginx.1.json", fan("nginx", 20, byRound))
	write("runs/fanout-9900/proxy.1.json", fan("proxy", 1.1, benchresult.Fanout{Conns: 9900, Opened: 500, Broadcasts: 200000,
		DeliveredFraction: 8}))
	write("runs/fanout-9900/nginx.1.json", fan("nginx", 3, benchresult.Fanout{Conns: 9900, Opened: 9900, Broadcasts: 495000,
		DeliveredFraction: 1}))

	r, err := loadResults(dir)
	g.Expect(err).NotTo(HaveOccurred())
	out := render("datapath", dataPathFigures(r))
	at1000, at9900, _ := strings.Cut(out, "### Fan-out: 9,900 connections")
	for _, c := range []struct {
		in          string
		has, hasNot []string
	}{
		{at1000, []string{
			"| wss-operator proxy | 10,000 | 100% | 12.0 ±0% | **1.00** |",
			"each counted by its round, once per connection and interval: it cannot exceed 100%",
			"(up to 3 s after the window)",
			"**wss-operator proxy spends the least CPU per message (1,000 connections):**",
		}, []string{"not valid"}},
		{at9900, []string{
			"> **This figure is not valid; do not read conclusions from it.** In 1 of its runs the load generator " +
				"counted more pushes delivered than the backend can have sent: wss-operator proxy run 1 (800% delivered: 200,000 pushes in the window, " +
				"where 500 connections × 51 rounds allow 25,500).",
			"counted pushes by their arrival in the window",
			">\n> It ran beside another benchmark.\n",
			"| wss-operator proxy (500 opened) | 10,000 | 800% (invalid) | 1.1 ±0% |",
			"| nginx | 10,000 | 100% | 3.0 ±0% |",
			"pushes queued before the window can take it above 100%",
		}, []string{"spends the least CPU per message"}},
		{out, []string{
			"| fan-out CPU per 1,000 messages ≤ 0.8 × best peer at equal p99, 9,900 connections | 1.1 vs 3.0 ms (nginx) | " +
				"0.37× | **invalid**: more pushes counted delivered than the backend sent (see the figure) |",
			"| fan-out CPU per 1,000 messages ≤ 0.8 × best peer at equal p99, 1,000 connections | 12.0 vs 20.0 ms (nginx) | " +
				"0.60× | met (p99 3.00 vs 3.00 ms) |",
		}, nil},
	} {
		for _, want := range c.has {
			g.Expect(c.in).To(ContainSubstring(want))
		}
		for _, unwanted := range c.hasNot {
			g.Expect(c.in).NotTo(ContainSubstring(unwanted))
		}
	}
}

// TestFanoutKeptUp: CPU per message is compared only among targets that
// kept up (every connection opened, >= 99% delivered, p99 within 10 push
// intervals); a peer whose queues grew is named, not taken as best.
func TestFanoutKeptUp(t *testing.T) {
	g := NewWithT(t)
	dir, write := fanoutResults(g, t.TempDir())
	fan := func(target string, cpuMs, p99Ms float64, opened int, delivered float64) run {
		n := map[bool]int{true: 1000, false: 9900}[opened <= 1000]
		f := benchresult.Fanout{Conns: n, Opened: opened, Promised: int64(opened) * 50, Delivered: int64(delivered * float64(opened) * 50),
			DeliveredFraction: delivered, ServerCPUMsPer1000: cpuMs, BroadcastIntervalMs: 100, DeliveryGraceSec: 3}
		return run{Mode: "fanout", Target: target, Rate: 10000, DurationSec: 5.001, CPUBusy: []float64{0.5, 1},
			Latency: &benchresult.Latency{P50Ms: p99Ms / 3, P99Ms: p99Ms, P999Ms: p99Ms * 1.1}, Fanout: &f}
	}
	// 1,000: Caddy spends the least CPU but its p99 is 86 s; HAProxy kept up.
	write("runs/fanout-1000/proxy.1.json", fan("proxy", 10, 40, 1000, 1))
	write("runs/fanout-1000/caddy.1.json", fan("caddy", 1, 86000, 1000, 1))
	write("runs/fanout-1000/haproxy.1.json", fan("haproxy", 20, 40, 1000, 1))
	// 9,900: ours fell behind too.
	write("runs/fanout-9900/proxy.1.json", fan("proxy", 7, 766, 8237, 0.9))
	write("runs/fanout-9900/caddy.1.json", fan("caddy", 0.6, 86000, 9402, 0.8))

	r, err := loadResults(dir)
	g.Expect(err).NotTo(HaveOccurred())
	out := render("datapath", dataPathFigures(r))
	for _, want := range []string{
		"| fan-out CPU per 1,000 messages ≤ 0.8 × best peer at equal p99, 1,000 connections | 10.0 vs 20.0 ms (HAProxy) | 0.50× | met (p99 40.00 vs 40.00 ms) |",
		"| fan-out CPU per 1,000 messages ≤ 0.8 × best peer at equal p99, 9,900 connections | 7.0 vs 0.6 ms (Caddy) | 11.67× | " +
			"**not comparable**: wss-operator proxy did not keep up (opened 8,237 of 9,900 connections, delivered 90%) (see the figure) |",
		"**Not kept up** (no verdict drawn from their CPU per message",
		"Caddy: delivery p99 86,000 ms, over 10 push intervals.",
		"**wss-operator proxy spends the least CPU per message (1,000 connections):** 10.0 ms per 1,000 messages against 20.0 ms for HAProxy",
		"Caddy: opened 9,402 of 9,900 connections, delivered 80%, delivery p99 86,000 ms, over 10 push intervals.",
	} {
		g.Expect(out).To(ContainSubstring(want))
	}
}

// fanoutResults starts a results folder in dir with the parameters of a
// fan-out run at 1,000 and 9,900 connections (64 B every 100 ms, 1% of
// the clients sending) on a 2-CPU machine; write adds a file to it.
func fanoutResults(g Gomega, dir string) (string, func(name string, v any)) {
	write := func(name string, v any) { writeJSON(g, filepath.Join(dir, name), v) }
	write("params.json", benchresult.Params{Reps: 1, ClientCPU: 0, ServerCPU: 1, FanoutCounts: []int{1000, 9900}, FanoutSize: 64,
		FanoutIntervalMs: 100, FanoutSenders: 0.01})
	write("machine.json", benchresult.Machine{CPUModel: "Test CPU", NCPU: 2})
	return dir, write
}

// TestFanoutProfileCeiling: the fan-out profile is shown under its figure
// in µs per message, and the missed goal's note gives the ceiling: the
// proxy's CPU per message with its own work at zero (kernel and record
// encryption only) over the best peer's.
func TestFanoutProfileCeiling(t *testing.T) {
	g := NewWithT(t)
	dir, write := fanoutResults(g, t.TempDir())
	fan := func(target string, cpuMs float64) run {
		f := benchresult.Fanout{Conns: 1000, Opened: 1000, Promised: 50000, Delivered: 50000, DeliveredFraction: 1,
			ServerCPUMsPer1000: cpuMs, BroadcastIntervalMs: 100, DeliveryGraceSec: 3}
		return run{Mode: "fanout", Target: target, Rate: 10000, DurationSec: 5.001, CPUBusy: []float64{0.5, 1},
			Latency: &benchresult.Latency{P50Ms: 1, P99Ms: 3, P999Ms: 4}, Fanout: &f}
	}
	write("runs/fanout-1000/proxy.1.json", fan("proxy", 19.6))
	write("runs/fanout-1000/caddy.1.json", fan("caddy", 16.2))
	perf := "    45.00%     0.10%  [.] github.com/wss-operator/wss-operator/internal/proxy.(*pump).run\n" +
		"     8.00%     0.00%  [.] crypto/tls.(*halfConn).encrypt\n" +
		"    25.00%     0.00%  [.] crypto/tls.(*Conn).write\n" +
		"    30.00%     1.00%  [.] runtime.schedule\n" +
		"    40.00%  wss-operator-sym\n    60.00%  [kernel.kallsyms]\n"
	g.Expect(os.WriteFile(filepath.Join(dir, "profile-proxy-fanout-1000.txt"), []byte(perf), 0o644)).To(Succeed())

	r, err := loadResults(dir)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(r.fanProfileN).To(Equal(1000))
	out := render("datapath", dataPathFigures(r))
	for _, want := range []string{
		"**Where wss-operator proxy's CPU per message goes** at 1,000 connections",
		"| WebSocket splice: backend read, frame tracking, TLS write (the pumps) | 45.0% | 8.82 |",
		"|    ↳ TLS record encryption (AES-GCM) | 8.0% | 1.57 |",
		"| all kernel time (TCP on loopback for both connections, epoll, syscalls) | 60.0% | 11.76 |",
		"By the fan-out profile, the kernel takes 60% of the proxy's CPU here and the record encryption 8%: " +
			"with all the proxy's own work at zero it would still spend 13.3 ms per 1,000 messages, 0.82× Caddy, so 0.8× is out of reach on this path",
	} {
		g.Expect(out).To(ContainSubstring(want))
	}

	// A profile file whose name has no count is an error naming it.
	g.Expect(os.WriteFile(filepath.Join(dir, "profile-proxy-fanout-1000.txt"), nil, 0o644)).To(Succeed())
	g.Expect(os.Rename(filepath.Join(dir, "profile-proxy-fanout-1000.txt"), filepath.Join(dir, "profile-proxy-fanout-x.txt"))).To(Succeed())
	_, err = loadResults(dir)
	g.Expect(err).To(MatchError(ContainSubstring("profile-proxy-fanout-x.txt: no connection count in the name")))
}
