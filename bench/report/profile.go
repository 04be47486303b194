package main

import (
	"regexp"
	"strconv"
	"strings"
)

// profileLine is one row of a profile of the proxy: the share of its CPU
// samples under a function (children included).
type profileLine struct {
	Label  string
	Indent bool
	Pct    float64
	// Crypto marks the row of the cryptography no proxy can skip (with
	// the kernel's row, the floor of the fan-out ceiling).
	Crypto bool
}

// profileBucket is a function worth naming in a profile.
type profileBucket struct {
	label  string
	indent bool
	syms   []string
	crypto bool
}

// kernelLabel starts the last row of a profile: all kernel time.
const kernelLabel = "all kernel time"

// profileBuckets are the functions worth naming in the handshake profile,
// in display order. A share includes everything called below the
// function, kernel time of its system calls too, so the rows overlap.
var profileBuckets = []profileBucket{
	{"TLS handshake (crypto/tls)", false, []string{"crypto/tls.(*Conn).handshakeContext"}, false},
	{"X25519 key generation and shared secret", true, []string{"crypto/ecdh.(*x25519Curve).GenerateKey", "crypto/ecdh.(*PrivateKey).ECDH"}, false},
	{"certificate message and ECDSA P-256 signature", true, []string{"crypto/tls.(*serverHandshakeStateTLS13).sendServerCertificate"}, false},
	{"HTTP request head, backend dial, upgrade relay (net/http server)", false, []string{"net/http.(*conn).serve"}, false},
	{"HTTP request head, backend dial, upgrade relay (the proxy's lean first request)", false,
		[]string{"github.com/wss-operator/wss-operator/internal/proxy.(*Proxy).serveFirst"}, false},
	{"backend TCP dial", true, []string{"net.(*Dialer).DialContext"}, false},
	{"WebSocket splice until close", false, []string{"github.com/wss-operator/wss-operator/internal/proxy.(*pump).run"}, false},
	{"garbage collection (background mark)", false, []string{"runtime.gcBgMarkWorker"}, false},
	{"memory allocation (mallocgc)", false, []string{"runtime.mallocgc"}, false},
}

// fanoutProfileBuckets are those of the fan-out profile: the pumps (read
// from the backend, frame tracking, TLS record and write to the client)
// and, inside them, the record encryption; the scheduler (which waits in
// epoll for the netpoller); the garbage collector.
var fanoutProfileBuckets = []profileBucket{
	{"WebSocket splice: backend read, frame tracking, TLS write (the pumps)", false,
		[]string{"github.com/wss-operator/wss-operator/internal/proxy.(*pump).run"}, false},
	{"TLS record encryption (AES-GCM)", true, []string{"crypto/tls.(*halfConn).encrypt"}, true},
	{"write system call to the client (crypto/tls.(*Conn).write)", true, []string{"crypto/tls.(*Conn).write"}, false},
	{"goroutine scheduling and the netpoller's epoll wait (runtime.schedule)", false, []string{"runtime.schedule"}, false},
	{"garbage collection (background mark)", false, []string{"runtime.gcBgMarkWorker"}, false},
	{"memory allocation (mallocgc)", false, []string{"runtime.mallocgc"}, false},
}

var (
	perfSymRE = regexp.MustCompile(`^\s*([\d.]+)%\s+([\d.]+)%\s+\[[.k]\]\s+(\S.*?)\s*$`)
	perfDSORE = regexp.MustCompile(`^\s*([\d.]+)%\s+\[kernel\.kallsyms\]\s*$`)
)

// parseProfile reads `perf report --children --sort sym -g none` followed
// by `perf report --no-children --sort dso -g none` output, naming the
// buckets' functions.
func parseProfile(s string, buckets []profileBucket) []profileLine {
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
	for _, b := range buckets {
		var sum float64
		found := false
		for _, sym := range b.syms {
			if v, ok := children[sym]; ok {
				sum += v
				found = true
			}
		}
		if found {
			out = append(out, profileLine{Label: b.label, Indent: b.indent, Pct: sum, Crypto: b.crypto})
		}
	}
	if kernel >= 0 {
		out = append(out, profileLine{Label: kernelLabel + " (TCP on loopback for both connections, epoll, syscalls)", Pct: kernel})
	}
	return out
}

// profileShares are the kernel's and the cryptography's shares (%) of a
// profile; ok is false without a kernel row.
func profileShares(p []profileLine) (kernel, crypto float64, ok bool) {
	for _, l := range p {
		switch {
		case strings.HasPrefix(l.Label, kernelLabel):
			kernel, ok = l.Pct, true
		case l.Crypto:
			crypto += l.Pct
		}
	}
	return kernel, crypto, ok
}
