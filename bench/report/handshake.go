package main

import (
	"fmt"
	"math"
	"slices"
)

// handshakeFig is the full (or resumed) handshake figure.
type handshakeFig struct {
	Resumed   bool
	ServerCPU int
	Rows      [][]string
	Bounds    []bound
	// ClientBound is set when the load generator saturated for a peer;
	// VerifyUs and SignUs (0 without handshakecost) say why it does.
	ClientBound      bool
	VerifyUs, SignUs float64
	Verdict          *hsVerdict
	Limit            *hsLimit
	Profile          [][]string // part, share, µs per handshake
	Crypto           *cryptoCost
	Gains            []nameValue // resumption's gain per core, percent
}

// hsVerdict compares our handshakes per core with the best peer's: Kind
// "most" (ours is best; Other is the runner-up), "even" (behind within
// the run-to-run spread) or "lose".
type hsVerdict struct {
	Kind, Other     string
	Ours, OtherV    float64 // handshakes per core
	OursUs, OtherUs float64 // CPU µs per handshake
	Ratio, MorePct  float64
	NoisePct        float64
}

// hsLimit compares every peer with the Go limit.
type hsLimit struct {
	PerCore, Us, BeyondUs float64
	Fractions             []nameValue
	// CrossUs is the cross-check's µs per handshake (0 without it),
	// CrossDiffPct how far the limit is above it.
	CrossUs, CrossDiffPct float64
}

// CrossDisagrees is whether the limit is too far from its cross-check to
// decide a goal.
func (l hsLimit) CrossDisagrees() bool { return crossDisagrees(l.CrossDiffPct / 100) }

// crossDisagrees is whether a limit diff (a fraction) above its
// cross-check is beyond limitCrossCheckTolerance.
func crossDisagrees(diff float64) bool { return math.Abs(diff) > limitCrossCheckTolerance }

// limitCross is the cross-check's ns per full handshake and how far the
// Go limit is above it (a fraction); ok is false without either.
func (d dp) limitCross() (crossNs, diff float64, ok bool) {
	lim := d.limit(false)
	if lim == 0 || len(d.r.goTLSNs) == 0 {
		return 0, 0, false
	}
	crossNs = medianOf(d.r.goTLSNs)
	return crossNs, (1e9/lim)/crossNs - 1, true
}

// runsNote says over how many runs a measurement's median was taken, and
// their range in µs, when there was more than one (ns: each run's ns).
func runsNote(ns []float64) string {
	if len(ns) < 2 {
		return ""
	}
	return fmt.Sprintf(" (median of %d runs, %s–%s µs)", len(ns), num(slices.Min(ns)/1000, 0), num(slices.Max(ns)/1000, 0))
}

// cryptoCost compares Go's and OpenSSL's cost of a handshake's primitives,
// in µs, and the OpenSSL servers' CPU per handshake with them.
type cryptoCost struct {
	GoX25519, SSLX25519, GoSign, SSLSign, GoVerify, SSLVerify float64
	Servers                                                   []nameValue // µs per handshake
	PrimitivesUs                                              float64
	MostOutside                                               bool
}

type nameValue struct {
	Name  string
	Value float64
}

// hsValues returns handshakes/s and handshakes per server core per target.
func (d dp) hsValues(fig string) (rates, cores map[string]float64) {
	rates, cores = map[string]float64{}, map[string]float64{}
	for _, t := range targets {
		if rs := d.runs(fig, t); len(rs) > 0 {
			rates[t] = median(rs, rate)
			cores[t] = median(rs, perCore)
		}
	}
	return rates, cores
}

func (d dp) handshakes(fig string, resumed bool) handshakeFig {
	lim := d.limit(resumed)
	rates, pcs := d.hsValues(fig)
	rr, _ := ratios(rates, true)
	pr, best := ratios(pcs, true)
	width := 9
	if resumed {
		width = 10
	}
	h := handshakeFig{Resumed: resumed, ServerCPU: d.r.params.ServerCPU}
	for _, t := range targets {
		rs := d.runs(fig, t)
		if len(rs) == 0 {
			h.Rows = append(h.Rows, row(width, names[t], d.missing(fig, t)))
			continue
		}
		pc := pcs[t]
		cells := []string{names[t], fmt.Sprintf("%s ±%.0f%%", num(rates[t], 0), spread(rs, rate)*50), or(rr[t], "—"),
			num(median(rs, serverCores), 2), num(1e6/pc, 0), num(pc, 0), or(pr[t], "—")}
		if t == "direct" || lim == 0 {
			cells = append(cells, "—")
		} else {
			cells = append(cells, fmt.Sprintf("%.2f", pc/lim))
		}
		cells = append(cells, fmt.Sprintf("%s / %s", num(median(rs, p50), 2), num(median(rs, p99), 2)))
		if resumed {
			cells = append(cells, resumedCell(rs))
		}
		h.Rows = append(h.Rows, cells)
	}
	if c := d.r.cost; c != nil {
		lc, what := c.Full, "full"
		if resumed {
			lc, what = c.Resumed, "resumed"
		}
		label := "**Go limit:** crypto/tls server side of a " + what + " handshake alone (`bench/datapath/handshakecost`)"
		if !resumed {
			label += runsNote(d.r.limitNs)
		}
		h.Rows = append(h.Rows, row(width, label,
			"—", "—", "1.00", num(lc.NsPerOp/1000, 0), num(lc.PerSecond, 0), "—", "1.00", "—"))
		if !resumed && len(d.r.goTLSNs) > 0 {
			ns := medianOf(d.r.goTLSNs)
			h.Rows = append(h.Rows, row(width, "crypto/tls `BenchmarkHandshakeServer/ECDHE-X25519-ECDSA-P256/TLSv13` (cross-check)"+runsNote(d.r.goTLSNs),
				"—", "—", "1.00", num(ns/1000, 0), num(1e9/ns, 0), "—", fmt.Sprintf("%.2f", 1e9/ns/lim), "—"))
		}
	}
	h.Bounds = d.bounds(fig)
	for _, b := range h.Bounds {
		h.ClientBound = h.ClientBound || b.By == "client"
	}
	if c := d.r.cost; c != nil {
		h.VerifyUs, h.SignUs = c.ECDSAP256Verify.NsPerOp/1000, c.ECDSAP256Sign.NsPerOp/1000
	}
	h.Verdict = d.hsVerdict(fig, pcs, best)
	if ours, ok := pcs["proxy"]; ok && lim > 0 {
		l := &hsLimit{PerCore: lim, Us: 1e6 / lim, BeyondUs: 1e6/ours - 1e6/lim}
		for _, t := range peers {
			if v, ok := pcs[t]; ok {
				l.Fractions = append(l.Fractions, nameValue{names[t], v / lim})
			}
		}
		if crossNs, diff, ok := d.limitCross(); ok && !resumed {
			l.CrossUs, l.CrossDiffPct = crossNs/1000, diff*100
		}
		h.Limit = l
	}
	if resumed {
		_, full := d.hsValues("handshake")
		for _, t := range peers {
			if a, b := pcs[t], full[t]; a > 0 && b > 0 {
				h.Gains = append(h.Gains, nameValue{names[t], (a/b - 1) * 100})
			}
		}
		return h
	}
	h.Profile = d.profileRows(pcs["proxy"])
	h.Crypto = d.cryptoCost(pcs)
	return h
}

func resumedCell(rs []run) string {
	if rs[0].ResumedFraction == nil {
		return "—"
	}
	return pct(median(rs, resumed))
}

func (d dp) hsVerdict(fig string, pcs map[string]float64, best string) *hsVerdict {
	ours, ok := pcs["proxy"]
	if !ok || best == "" {
		return nil
	}
	if best == "proxy" {
		second, sv := "", 0.0
		for _, t := range peers[1:] {
			if v, ok := pcs[t]; ok && v > sv {
				second, sv = t, v
			}
		}
		if second == "" {
			return nil
		}
		return &hsVerdict{Kind: "most", Other: names[second], Ours: ours, OtherV: sv, Ratio: ours / sv}
	}
	v := &hsVerdict{Kind: "lose", Other: names[best], Ours: ours, OtherV: pcs[best], OursUs: 1e6 / ours, OtherUs: 1e6 / pcs[best],
		MorePct: (pcs[best]/ours - 1) * 100}
	if noise := max(spread(d.runs(fig, "proxy"), perCore), spread(d.runs(fig, best), perCore)) / 2; even(ours, pcs[best], noise) {
		v.Kind, v.NoisePct = "even", noise*100
	}
	return v
}

// profileRows shows where the proxy's CPU went during a profiled run of
// the full-handshake figure, when run.sh could record one.
func (d dp) profileRows(perCore float64) [][]string {
	per := 0.0
	if perCore > 0 {
		per = 1e6 / perCore / 100
	}
	return profileRows(d.r.profile, per, 0)
}

// profileRows are a profile's rows: part, share, and the share in µs per
// operation (perPct µs for each percent; "—" when 0).
func profileRows(p []profileLine, perPct float64, decimals int) [][]string {
	var rows [][]string
	for _, l := range p {
		label := l.Label
		if l.Indent {
			label = "   ↳ " + label
		}
		us := "—"
		if perPct > 0 {
			us = num(l.Pct*perPct, decimals)
		}
		rows = append(rows, []string{label, fmt.Sprintf("%.1f%%", l.Pct), us})
	}
	return rows
}

// cryptoCost compares the primitives in Go and OpenSSL, and the
// OpenSSL-based servers' CPU per handshake with what OpenSSL's primitives
// (one signature, two X25519 operations) cost.
func (d dp) cryptoCost(pcs map[string]float64) *cryptoCost {
	c, o := d.r.cost, d.r.openssl
	if c == nil || o == nil {
		return nil
	}
	cc := &cryptoCost{GoX25519: c.X25519.NsPerOp / 1000, SSLX25519: 2e6 / o.X25519PerSec, GoSign: c.ECDSAP256Sign.NsPerOp / 1000,
		SSLSign: 1e6 / o.SignPerSec, GoVerify: c.ECDSAP256Verify.NsPerOp / 1000, SSLVerify: 1e6 / o.VerifyPerSec,
		PrimitivesUs: 1e6/o.SignPerSec + 2e6/o.X25519PerSec, MostOutside: true}
	for _, t := range openSSLServers {
		if v := pcs[t]; v > 0 {
			cc.Servers = append(cc.Servers, nameValue{names[t], 1e6 / v})
			cc.MostOutside = cc.MostOutside && cc.PrimitivesUs < 0.5*1e6/v
		}
	}
	return cc
}
