package main

import (
	"fmt"
	"math"
	"strings"
)

// Targets, peers (the TLS terminators compared with each other) and their
// names.
var (
	peers   = []string{"proxy", "nginx", "haproxy", "caddy", "hitch", "stunnel"}
	targets = []string{"proxy", "nginx", "haproxy", "caddy", "hitch", "stunnel", "direct"}
	names   = map[string]string{
		"proxy": "wss-operator proxy", "nginx": "nginx", "haproxy": "HAProxy", "caddy": "Caddy",
		"hitch": "hitch (L4)", "stunnel": "stunnel (L4)",
		"direct": "direct ws:// (baseline, no TLS)",
	}
	// openSSLServers are the peers whose TLS is OpenSSL's.
	openSSLServers = []string{"nginx", "haproxy", "hitch", "stunnel"}
	// httpPeers are the peers that parse the request and relay the upgrade,
	// as wss-operator proxy does (hitch and stunnel only relay bytes).
	httpPeers = []string{"nginx", "haproxy", "caddy"}
)

func namesOf(ts []string) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = names[t]
	}
	return out
}

// row is one markdown table row; cells beyond the given ones up to width
// are left empty.
func row(width int, cells ...string) []string {
	for len(cells) < width {
		cells = append(cells, "")
	}
	return cells
}

// mdRow renders a table row for the templates.
func mdRow(cells []string) string { return "| " + strings.Join(cells, " | ") + " |" }

// ratios divides each peer's value by the best peer's: higher is better
// when higher is set (the best is 1.00 and the others below), otherwise
// lower is better (the best is 1.00 and the others above).
func ratios(v map[string]float64, higher bool) (map[string]string, string) {
	bestName := bestOf(v, peers, higher)
	out := map[string]string{}
	for _, p := range peers {
		x, ok := v[p]
		if !ok || x <= 0 || bestName == "" {
			out[p] = "n/a"
			continue
		}
		out[p] = fmt.Sprintf("%.2f", x/v[bestName])
		if p == bestName {
			out[p] = "**1.00**"
		}
	}
	return out, bestName
}

// bestOther is the peer other than ours with the highest (or lowest) value.
func bestOther(v map[string]float64, higher bool) string { return bestOf(v, peers[1:], higher) }

// bestOf is the one of ts with the highest (or lowest) positive value.
func bestOf(v map[string]float64, ts []string, higher bool) string {
	best := ""
	for _, t := range ts {
		x, ok := v[t]
		if !ok || x <= 0 {
			continue
		}
		if best == "" || (higher && x > v[best]) || (!higher && x < v[best]) {
			best = t
		}
	}
	return best
}

// even reports whether a shortfall of a against b is within noise: the
// larger half-spread of the two, and never less than 2%.
func even(a, b, halfSpread float64) bool {
	return b > 0 && a/b >= 1-max(0.02, halfSpread)
}

// num formats with thousands separators and the given decimals.
func num(v float64, decimals int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	s := fmt.Sprintf("%.*f", decimals, math.Abs(v))
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if hasFrac {
		out += "." + frac
	}
	if v < 0 && strings.Trim(out, "0.,") != "" {
		out = "-" + out
	}
	return out
}

// signed formats a difference with an explicit sign.
func signed(v float64, decimals int) string {
	if v >= 0 {
		return "+" + num(v, decimals)
	}
	return num(v, decimals)
}

func pct(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }

// or is s, or alt when s is empty.
func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// joinAnd joins phrases as "a, b and c".
func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// inv is a rate's period in µs (per second → µs each), 0 for none.
func inv(v float64) float64 {
	if v <= 0 {
		return 0
	}
	return 1e6 / v
}
