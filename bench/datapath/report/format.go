package main

import (
	"fmt"
	"math"
	"strings"
)

// Targets, peers (the TLS proxies compared with each other) and their names.
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
)

// table is a markdown table.
type table struct {
	head []string
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) String() string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(t.head, " | ") + " |\n|")
	for i := range t.head {
		if i == 0 {
			b.WriteString("---|")
		} else {
			b.WriteString("--:|")
		}
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		for len(r) < len(t.head) {
			r = append(r, "")
		}
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

// ratios divides each peer's value by the best peer's: higher is better
// when higher is set (the best is 1.00 and the others below), otherwise
// lower is better (the best is 1.00 and the others above).
func ratios(v map[string]float64, higher bool) (map[string]string, string) {
	best, bestName := 0.0, ""
	for _, p := range peers {
		x, ok := v[p]
		if !ok || x <= 0 {
			continue
		}
		if bestName == "" || (higher && x > best) || (!higher && x < best) {
			best, bestName = x, p
		}
	}
	out := map[string]string{}
	for _, p := range peers {
		x, ok := v[p]
		if !ok || x <= 0 || best == 0 {
			out[p] = "n/a"
			continue
		}
		out[p] = fmt.Sprintf("%.2f", x/best)
		if p == bestName {
			out[p] = "**1.00**"
		}
	}
	return out, bestName
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

// busy is the median busy fraction of a CPU over the runs.
func busy(rs []run, cpu int) float64 {
	return median(rs, func(x run) float64 {
		if cpu < len(x.CPUBusy) {
			return x.CPUBusy[cpu]
		}
		return 0
	})
}

func serverCores(x run) float64 {
	if x.Server == nil {
		return 0
	}
	return x.Server.Cores
}

func auxCores(x run) float64 {
	if x.Aux == nil {
		return 0
	}
	return x.Aux.Cores
}

func clientCores(x run) float64 {
	if x.Client == nil {
		return 0
	}
	return x.Client.Cores
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
