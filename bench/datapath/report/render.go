package main

import (
	"fmt"
	"strings"
)

// renderer writes the Data path section.
type renderer struct {
	r *results
	b strings.Builder
}

func (w *renderer) line(format string, args ...any) {
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteString("\n")
}

func (w *renderer) runs(fig, target string) []run { return w.r.runs[fig][target] }

// missing says why a cell is empty: the run's error, or that it did not run.
func (w *renderer) missing(fig, target string) string {
	if errs := w.r.failures[fig][target]; len(errs) > 0 {
		return "failed: " + strings.ReplaceAll(errs[0], "|", "/")
	}
	return "not run"
}

func render(r *results) string {
	w := &renderer{r: r}
	w.header()
	w.goals()
	w.handshakes("handshake", false)
	w.handshakes("resume", true)
	w.latency("latency-64", "64 B")
	w.latency("latency-16384", "16 KiB")
	w.throughput()
	w.idle()
	for _, n := range r.params.FanoutCounts {
		w.fanout(n)
	}
	return w.b.String()
}

func (w *renderer) header() {
	r, m, p := w.r, w.r.machine, w.r.params
	var terms []string
	for _, t := range w.present() {
		terms = append(terms, "**"+names[t]+"**")
	}
	w.line("%s", tmpl("intro", map[string]any{"Terminators": terms, "Reps": p.Reps, "Duration": p.Duration, "Warmup": p.Warmup, "Stamp": r.stamp}))
	w.line("")
	w.line("### Machine and conditions")
	w.line("")
	hv := ""
	if m.Hypervisor {
		hv = ", virtual machine"
	}
	w.line("- **CPU:** %s, %d CPUs%s; **memory:** %.1f GiB; **kernel:** %s; **OS:** %s", m.CPUModel, m.NCPU, hv, m.MemTotalGiB, m.Kernel, m.OS)
	var sw []string
	for _, v := range []string{m.Go, m.Nginx, m.HAProxy, m.Caddy, m.Hitch, m.Stunnel, m.OpenSSL, m.Proxy} {
		if v != "" {
			sw = append(sw, v)
		}
	}
	w.line("- **Software:** %s", strings.Join(sw, "; "))
	w.line("- **TLS everywhere:** TLS 1.3 only, X25519, TLS_AES_128_GCM_SHA256, ALPN http/1.1, one self-signed ECDSA P-256 certificate; %s",
		w.negotiated())
	w.line("%s", tmpl("pinning", p))
	w.line("- **Load generator:** Go crypto/tls client; it pins the certificate instead of building a chain (it still verifies the "+
		"server's handshake signature); %d handshakes in flight; one connection with one message in flight for latency; 16 KiB binary "+
		"messages from the backend's `/source` for throughput.", p.HandshakeConc)
	if p.NoFileHard > 0 && len(p.IdleCounts) > 0 && len(p.RequestedIdleCounts) == len(p.IdleCounts) {
		for i, n := range p.IdleCounts {
			if n != p.RequestedIdleCounts[i] {
				w.line("- **Descriptor limit:** this sandbox's hard RLIMIT_NOFILE is %s and cannot be raised (no CAP_SYS_RESOURCE); a proxied "+
					"connection costs a proxy two descriptors, so the largest idle point is %s connections instead of %s.",
					num(float64(p.NoFileHard), 0), num(float64(n), 0), num(float64(p.RequestedIdleCounts[i]), 0))
			}
		}
	}
	w.line("- **Run:** started %s (UTC); load average at start `%s`, at end `%s`. %s", p.Started, r.loadavg[0], r.loadavg[1], w.disturbance())
	w.line("")
}

// present lists the TLS peers this run measured: the run's targets, or
// every peer for runs that did not record them.
func (w *renderer) present() []string {
	if len(w.r.params.Targets) == 0 {
		return peers
	}
	var out []string
	for _, t := range peers {
		for _, x := range w.r.params.Targets {
			if x == t {
				out = append(out, t)
			}
		}
	}
	return out
}

// negotiated reports what every TLS run actually negotiated.
func (w *renderer) negotiated() string {
	seen := map[string]int{}
	total := 0
	for _, byTarget := range w.r.runs {
		for _, rs := range byTarget {
			for _, x := range rs {
				if x.TLS == nil {
					continue
				}
				total++
				seen[fmt.Sprintf("%s %s %s %s", x.TLS.Version, x.TLS.Curve, x.TLS.CipherSuite, x.TLS.ALPN)]++
			}
		}
	}
	var parts []string
	for k, n := range seen {
		parts = append(parts, fmt.Sprintf("`%s` in %d", k, n))
	}
	return fmt.Sprintf("negotiated in the %d TLS runs: %s.", total, strings.Join(parts, ", "))
}

// disturbance estimates CPU time on the two benchmark CPUs that none of
// the measured processes used: other tenants of a shared machine, and
// interrupt work the kernel does not charge to a process.
func (w *renderer) disturbance() string {
	p := w.r.params
	var srv, cli []float64
	for _, byTarget := range w.r.runs {
		for _, rs := range byTarget {
			for _, x := range rs {
				if x.Server == nil || x.Client == nil || len(x.CPUBusy) <= max(p.ServerCPU, p.ClientCPU) {
					continue
				}
				srv = append(srv, max(0, x.CPUBusy[p.ServerCPU]-serverCores(x)-auxCores(x)))
				cli = append(cli, max(0, x.CPUBusy[p.ClientCPU]-clientCores(x)))
			}
		}
	}
	if len(srv) == 0 {
		return ""
	}
	return fmt.Sprintf("CPU time not used by the measured processes (other work on this shared machine, plus softirq time the kernel "+
		"charges to no process): median %s of the server CPU (max %s) and %s of the client CPU (max %s) over %d runs.",
		pct(medianOf(srv)), pct(maxOf(srv)), pct(medianOf(cli)), pct(maxOf(cli)), len(srv))
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// perCore is handshakes per second of the server's own CPU time.
func perCore(x run) float64 {
	if c := serverCores(x); c > 0 {
		return x.Rate / c
	}
	return 0
}

func (w *renderer) limit(resumed bool) float64 {
	if w.r.cost == nil {
		return 0
	}
	if resumed {
		return w.r.cost.Resumed.PerSecond
	}
	return w.r.cost.Full.PerSecond
}
