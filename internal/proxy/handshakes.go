package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/ptr"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/tlsnames"
)

// HandshakesPath is the admin endpoint that serves a HandshakeReport.
const HandshakesPath = "/handshakes"

// Bounds of what the failure log keeps. The reasons are a closed set, so
// the log never holds more than len(handshakeReasons)*maxExamples examples.
const (
	maxExamples   = 3   // per reason, newest first
	maxSNI        = 253 // a DNS name's longest spelling
	maxALPN       = 8   // protocols kept per example
	maxALPNLen    = 32  // bytes kept per protocol name
	maxMessageLen = 300 // bytes kept of a message
)

// HandshakeReport is the answer of GET /handshakes: the TLS handshakes
// real clients failed since the proxy started, by reason. Only connections
// that sent a ClientHello count; port scans, TCP health checks and
// connect-then-reset do not.
type HandshakeReport struct {
	// Since is when the proxy started counting.
	Since time.Time `json:"since"`
	// Failures has one entry per reason seen, most frequent first.
	Failures []HandshakeFailure `json:"failures"`
}

// HandshakeFailure counts the failed handshakes of one reason.
type HandshakeFailure struct {
	// Reason is from the shared reason vocabulary (api/v1alpha1).
	Reason string `json:"reason"`
	// Count is the number of failures with this reason.
	Count uint64 `json:"count"`
	// LastSeen is the time of the latest one.
	LastSeen time.Time `json:"lastSeen"`
	// Example is the latest failure (Examples[0]).
	Example HandshakeExample `json:"example"`
	// Examples are the latest few failures, newest first.
	Examples []HandshakeExample `json:"examples"`
}

// HandshakeExample is what one failing client offered and what happened:
// the fields of status.clients' example (one type, so the report and the
// status cannot drift), and when. It holds no key material, and the
// client's address only as a prefix.
type HandshakeExample struct {
	// Time is when the handshake failed.
	Time time.Time `json:"time"`
	wssv1.ClientHandshakeExample
}

// clientHello is what the proxy keeps of a ClientHello while the handshake
// runs (and drops once it succeeds).
type clientHello struct {
	info *tls.ClientHelloInfo
	cert *certState // the pair and policy the handshake was offered
}

// noteClientHello is called from GetConfigForClient: from then on the
// connection is a real client's handshake attempt.
func noteClientHello(chi *tls.ClientHelloInfo, st *certState) {
	if rc, ok := chi.Conn.(*rawConn); ok {
		rc.hello.Store(&clientHello{info: chi, cert: st})
	}
}

// handshakeLog keeps, per reason, a count and the latest examples.
type handshakeLog struct {
	mu       sync.Mutex
	since    time.Time
	byReason map[string]*failureEntry
}

type failureEntry struct {
	count    uint64
	examples []HandshakeExample // newest first, at most maxExamples
}

func newHandshakeLog(now time.Time) *handshakeLog {
	return &handshakeLog{since: now.UTC().Truncate(time.Second), byReason: map[string]*failureEntry{}}
}

func (l *handshakeLog) add(reason string, ex HandshakeExample) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.byReason[reason]
	if e == nil {
		e = &failureEntry{}
		l.byReason[reason] = e
	}
	e.count++
	if len(e.examples) < maxExamples {
		e.examples = append(e.examples, HandshakeExample{})
	}
	copy(e.examples[1:], e.examples)
	e.examples[0] = ex
}

// report copies the log out.
func (l *handshakeLog) report() HandshakeReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := HandshakeReport{Since: l.since, Failures: make([]HandshakeFailure, 0, len(l.byReason))}
	for reason, e := range l.byReason {
		exs := slices.Clone(e.examples)
		r.Failures = append(r.Failures, HandshakeFailure{
			Reason: reason, Count: e.count, LastSeen: exs[0].Time, Example: exs[0], Examples: exs,
		})
	}
	sort.Slice(r.Failures, func(i, j int) bool {
		a, b := r.Failures[i], r.Failures[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Reason < b.Reason
	})
	return r
}

// Handshakes reports the TLS handshakes real clients failed (what GET
// /handshakes serves).
func (p *Proxy) Handshakes() HandshakeReport { return p.handshakes.report() }

// maxReportBytes bounds what FetchHandshakes reads; a full report is a few
// kilobytes.
const maxReportBytes = 1 << 20

// FetchHandshakes reads a sidecar's report from its admin endpoint, e.g.
// FetchHandshakes(ctx, hc, "http://10.0.3.17:9090"). The client's transport
// decides how the address is dialled (tests map it to loopback).
func FetchHandshakes(ctx context.Context, hc *http.Client, adminBaseURL string) (HandshakeReport, error) {
	var r HandshakeReport
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(adminBaseURL, "/")+HandshakesPath, nil)
	if err != nil {
		return r, fmt.Errorf("handshakes: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return r, fmt.Errorf("handshakes: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("handshakes: GET %s: %s", req.URL, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxReportBytes)).Decode(&r); err != nil {
		return r, fmt.Errorf("handshakes: GET %s: %w", req.URL, err)
	}
	return r, nil
}

func (p *Proxy) serveHandshakes(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(p.Handshakes())
}

// refineFailure sharpens the classifier's reason with what the ClientHello
// showed, and describes the failure as an example.
//
//   - An OpenSSL 3 client that rejects the certificate under TLS 1.3 sends
//     unknown_ca encrypted under the handshake keys; when crypto/tls cannot
//     read it, it sees only a record it cannot decrypt. Right after our
//     certificate, that is the client refusing it: UnknownAuthority.
//   - A client whose SNI names a host the certificate does not cover, and
//     that then refuses the certificate, is HostnameMismatch.
func refineFailure(reason string, err error, h *clientHello, remote net.Addr, now time.Time) (string, HandshakeExample) {
	chi := h.info
	cfg := h.cert.config
	ex := HandshakeExample{Time: now.UTC().Truncate(time.Second), ClientHandshakeExample: wssv1.ClientHandshakeExample{
		ClientPrefix:    clientPrefix(remote),
		OfferedVersions: versionNames(chi.SupportedVersions),
		SharedSuites:    ptr.To(sharesSuite(chi, cfg)),
		SharedGroups:    ptr.To(sharesGroup(chi.SupportedCurves, cfg.CurvePreferences)),
		SNI:             truncate(chi.ServerName, maxSNI),
		ALPN:            boundedALPN(chi.SupportedProtos),
	}}
	alert, hasAlert := tlsnames.RemoteAlert(err)
	if hasAlert {
		ex.Alert = tlsnames.AlertName(alert)
	}
	msg := err.Error()
	if !hasAlert && undecryptable(err) && slices.Contains(chi.SupportedVersions, tls.VersionTLS13) {
		reason = wssv1.ReasonUnknownAuthority
		msg = "the client answered our certificate with a record the proxy could not decrypt (" + msg +
			"): OpenSSL 3 clients send their unknown_ca alert this way when they do not trust the issuer"
	}
	if (reason == wssv1.ReasonUnknownAuthority || reason == wssv1.ReasonConnectionReset) && ex.SNI != "" &&
		h.cert.leaf.VerifyHostname(ex.SNI) != nil {
		reason = wssv1.ReasonHostnameMismatch
		msg = fmt.Sprintf("the client asked for %q (SNI), which the certificate does not cover (it covers %s), and refused the certificate; add %q to spec.tls.hosts",
			ex.SNI, strings.Join(coveredNames(h.cert.leaf), ", "), ex.SNI)
	}
	ex.Message = truncate(msg, maxMessageLen)
	return reason, ex
}

// undecryptable reports crypto/tls's errors for a record it could not
// authenticate or decrypt.
func undecryptable(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "bad record MAC") || strings.Contains(msg, "decryption failed")
}

func coveredNames(leaf *x509.Certificate) []string {
	names := slices.Clone(leaf.DNSNames)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return []string{"no names"}
	}
	return names
}

// sharesSuite reports whether client and server have a cipher suite in
// common for a version both allow.
func sharesSuite(chi *tls.ClientHelloInfo, cfg *tls.Config) bool {
	maxV := cfg.MaxVersion
	if maxV == 0 {
		maxV = tls.VersionTLS13
	}
	for _, v := range chi.SupportedVersions {
		if v < cfg.MinVersion || v > maxV {
			continue
		}
		if v == tls.VersionTLS13 {
			// Go serves every TLS 1.3 suite.
			if slices.ContainsFunc(chi.CipherSuites, func(id uint16) bool { return id>>8 == 0x13 && id&0xff <= 3 && id&0xff >= 1 }) {
				return true
			}
			continue
		}
		ours := cfg.CipherSuites
		if ours == nil {
			for _, cs := range tls.CipherSuites() {
				ours = append(ours, cs.ID)
			}
		}
		if slices.ContainsFunc(chi.CipherSuites, func(id uint16) bool { return slices.Contains(ours, id) }) {
			return true
		}
	}
	return false
}

// goDefaultCurves are crypto/tls's groups when CurvePreferences is nil.
var goDefaultCurves = []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521}

func sharesGroup(client, ours []tls.CurveID) bool {
	if ours == nil {
		ours = goDefaultCurves
	}
	return slices.ContainsFunc(client, func(id tls.CurveID) bool { return slices.Contains(ours, id) })
}

// versionNames names the real TLS versions in vs, oldest first (GREASE and
// unknown values are left out).
func versionNames(vs []uint16) []string {
	var known []uint16
	for _, v := range vs {
		if v >= tls.VersionSSL30 && v <= tls.VersionTLS13 && !slices.Contains(known, v) { //nolint:staticcheck // naming SSLv3 offers
			known = append(known, v)
		}
	}
	slices.Sort(known)
	names := make([]string, len(known))
	for i, v := range known {
		names[i] = tls.VersionName(v)
	}
	return names
}

func boundedALPN(protos []string) []string {
	out := make([]string, 0, min(len(protos), maxALPN))
	for _, p := range protos[:min(len(protos), maxALPN)] {
		out = append(out, truncate(p, maxALPNLen))
	}
	return out
}

// clientPrefix is the client's /24 (IPv4) or /64 (IPv6) network, never
// the address itself.
func clientPrefix(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || ta.IP == nil {
		return ""
	}
	if v4 := ta.IP.To4(); v4 != nil {
		return (&net.IPNet{IP: v4.Mask(net.CIDRMask(24, 32)), Mask: net.CIDRMask(24, 32)}).String()
	}
	return (&net.IPNet{IP: ta.IP.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// truncate cuts s to at most n bytes, on a rune boundary, and replaces
// control characters (an SNI or ALPN value is client-controlled).
func truncate(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xc0 != 0x80 }
