package main

import (
	"regexp"
	"strconv"
	"strings"
)

// profileLine is one row of the proxy's handshake profile: the share of
// its CPU samples under a function (children included).
type profileLine struct {
	Label  string
	Indent bool
	Pct    float64
}

// profileBuckets are the functions worth naming, in display order. A share
// includes everything called below the function, kernel time of its system
// calls too, so the rows overlap.
var profileBuckets = []struct {
	label  string
	indent bool
	syms   []string
}{
	{"TLS handshake (crypto/tls)", false, []string{"crypto/tls.(*Conn).handshakeContext"}},
	{"X25519 key generation and shared secret", true, []string{"crypto/ecdh.(*x25519Curve).GenerateKey", "crypto/ecdh.(*PrivateKey).ECDH"}},
	{"certificate message and ECDSA P-256 signature", true, []string{"crypto/tls.(*serverHandshakeStateTLS13).sendServerCertificate"}},
	{"HTTP request head, backend dial, upgrade relay (net/http server)", false, []string{"net/http.(*conn).serve"}},
	{"backend TCP dial", true, []string{"net.(*Dialer).DialContext"}},
	{"WebSocket splice until close", false, []string{"github.com/wss-operator/wss-operator/internal/proxy.(*pump).run"}},
	{"garbage collection (background mark)", false, []string{"runtime.gcBgMarkWorker"}},
	{"memory allocation (mallocgc)", false, []string{"runtime.mallocgc"}},
}

var (
	perfSymRE = regexp.MustCompile(`^\s*([\d.]+)%\s+([\d.]+)%\s+\[[.k]\]\s+(\S.*?)\s*$`)
	perfDSORE = regexp.MustCompile(`^\s*([\d.]+)%\s+\[kernel\.kallsyms\]\s*$`)
)

// parseProfile reads `perf report --children --sort sym -g none` followed
// by `perf report --no-children --sort dso -g none` output.
func parseProfile(s string) []profileLine {
	if s == "" {
		return nil
	}
	children := map[string]float64{}
	kernel := -1.0
	for _, line := range strings.Split(s, "\n") {
		if m := perfSymRE.FindStringSubmatch(line); m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			children[m[3]] = v
			continue
		}
		if m := perfDSORE.FindStringSubmatch(line); m != nil {
			kernel, _ = strconv.ParseFloat(m[1], 64)
		}
	}
	var out []profileLine
	for _, b := range profileBuckets {
		var sum float64
		found := false
		for _, sym := range b.syms {
			if v, ok := children[sym]; ok {
				sum += v
				found = true
			}
		}
		if found {
			out = append(out, profileLine{Label: b.label, Indent: b.indent, Pct: sum})
		}
	}
	if kernel >= 0 {
		out = append(out, profileLine{Label: "all kernel time (TCP on loopback for both connections, epoll, syscalls)", Pct: kernel})
	}
	return out
}
