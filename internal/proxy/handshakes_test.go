package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/tlsnames"
)

// getHandshakes fetches GET /handshakes from the proxy's admin port, and
// checks it against the in-process report.
func getHandshakes(t testing.TB, p *testProxy) HandshakeReport {
	t.Helper()
	r, err := FetchHandshakes(context.Background(), http.DefaultClient, "http://"+p.AdminAddr().String()+"/")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + p.AdminAddr().String() + HandshakesPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %v %s", HandshakesPath, err, resp.Header.Get("Content-Type"))
	}
	for _, k := range []string{"since", "failures"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("GET %s: no %q in %v", HandshakesPath, k, raw)
		}
	}
	return r
}

func failureFor(r HandshakeReport, reason string) *HandshakeFailure {
	for i := range r.Failures {
		if r.Failures[i].Reason == reason {
			return &r.Failures[i]
		}
	}
	return nil
}

// tlsDial runs one handshake with cfg against the proxy and returns its error.
func tlsDial(p *testProxy, cfg *tls.Config) error {
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", p.Addr().String(), cfg)
	if err == nil {
		_ = c.Close()
	}
	return err
}

// TestHandshakeFailuresFromGoClients drives real crypto/tls clients into
// each failure and checks what /handshakes says about them; connections
// without a ClientHello must not show up at all.
func TestHandshakeFailuresFromGoClients(t *testing.T) {
	_, cs, p := startEnv(t, false, Config{})
	g := NewWithT(t)

	start := time.Now().UTC().Truncate(time.Second)
	g.Expect(getHandshakes(t, p).Failures).To(BeEmpty())
	_, err := FetchHandshakes(context.Background(), http.DefaultClient, "http://"+p.AdminAddr().String()+"/nope")
	g.Expect(err).To(MatchError(ContainSubstring("404")))

	// Port scanner and health-check shapes: connect+close, connect+garbage,
	// connect+reset. None sent a ClientHello.
	for _, send := range []string{"", "\x00\x01garbage\r\n\r\n", "RST"} {
		c, err := net.Dial("tcp", p.Addr().String())
		g.Expect(err).NotTo(HaveOccurred())
		switch send {
		case "":
		case "RST":
			_ = c.(*net.TCPConn).SetLinger(0)
		default:
			_, _ = c.Write([]byte(send))
			_, _ = bufio.NewReader(c).ReadString('\n')
		}
		_ = c.Close()
	}

	// A TLS 1.0/1.1 client.
	err = tlsDial(p, &tls.Config{RootCAs: cs.ca.pool(), MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11, ServerName: "localhost"})
	g.Expect(err).To(HaveOccurred())
	// A TLS 1.2 client with only a CBC suite: nothing in common with intermediate.
	err = tlsDial(p, &tls.Config{RootCAs: cs.ca.pool(), MaxVersion: tls.VersionTLS12, ServerName: "localhost",
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}, NextProtos: []string{"h2", "http/1.1"}})
	g.Expect(err).To(HaveOccurred())
	// A client that asks for a name the certificate does not cover.
	err = tlsDial(p, &tls.Config{RootCAs: cs.ca.pool(), ServerName: "chat.example.com"})
	g.Expect(err).To(MatchError(ContainSubstring("certificate is valid for localhost")))
	// A client that does not trust our CA.
	err = tlsDial(p, &tls.Config{RootCAs: newTestCA(t, "other CA").pool(), ServerName: "localhost"})
	g.Expect(err).To(HaveOccurred())
	// And one that works, which must not be counted.
	g.Expect(tlsDial(p, &tls.Config{RootCAs: cs.ca.pool(), ServerName: "localhost"})).To(Succeed())
	// Nor wss-operator's own probe playing an old client (probe --compat):
	// it offers tlsnames.ProbeALPN.
	err = tlsDial(p, &tls.Config{RootCAs: cs.ca.pool(), MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11, ServerName: "localhost",
		NextProtos: []string{"http/1.1", tlsnames.ProbeALPN}})
	g.Expect(err).To(HaveOccurred())

	var r HandshakeReport
	g.Eventually(func() int {
		r = getHandshakes(t, p)
		n := 0
		for _, f := range r.Failures {
			n += int(f.Count)
		}
		return n
	}, 5*time.Second, 20*time.Millisecond).Should(Equal(4), "four failed clients, no scanner, no probe")
	g.Expect(r.Since).To(BeTemporally("<=", start.Add(time.Second)))

	ver := failureFor(r, wssv1.ReasonProtocolVersionMismatch)
	g.Expect(ver).NotTo(BeNil())
	g.Expect(ver.Example.OfferedVersions).To(Equal([]string{"TLS 1.0", "TLS 1.1"}))
	g.Expect(ver.Example.ClientPrefix).To(Equal("127.0.0.0/24"))
	g.Expect(ver.LastSeen).To(BeTemporally(">=", start))

	suites := failureFor(r, wssv1.ReasonNoSharedCipher)
	g.Expect(suites).NotTo(BeNil())
	g.Expect(suites.Example.SharedSuites).To(HaveValue(BeFalse()))
	g.Expect(suites.Example.SharedGroups).To(HaveValue(BeTrue()))
	g.Expect(suites.Example.OfferedVersions).To(ContainElement("TLS 1.2"))
	g.Expect(suites.Example.ALPN).To(Equal([]string{"h2", "http/1.1"}))

	host := failureFor(r, wssv1.ReasonHostnameMismatch)
	g.Expect(host).NotTo(BeNil())
	g.Expect(host.Example.SNI).To(Equal("chat.example.com"))
	g.Expect(host.Example.Alert).To(Equal("bad_certificate"))
	g.Expect(host.Example.SharedSuites).To(HaveValue(BeTrue()))
	g.Expect(host.Example.Message).To(ContainSubstring(`add "chat.example.com" to spec.tls.hosts`))

	ca := failureFor(r, wssv1.ReasonUnknownAuthority)
	g.Expect(ca).NotTo(BeNil())
	g.Expect(ca.Example.SNI).To(Equal("localhost"))
	g.Expect(ca.Example.Alert).To(Equal("bad_certificate"))
	g.Expect(ca.Examples).To(HaveLen(1))
	g.Expect(ca.Example).To(Equal(ca.Examples[0]))

	// Logs name the client by its network only.
	g.Expect(p.logs.String()).To(ContainSubstring(`"clientPrefix":"127.0.0.0/24"`))
	g.Expect(p.logs.String()).NotTo(ContainSubstring(`"client":`))

	// The metric agrees with the log, HostnameMismatch included.
	g.Expect(p.metric(t, MetricHandshakeErrors, "reason", wssv1.ReasonHostnameMismatch)).To(Equal(1.0))
	g.Expect(p.metric(t, MetricHandshakeErrors, "reason", wssv1.ReasonNotTLS)).To(Equal(1.0),
		"the garbage still counts as NotTLS in the metric, as before")
}

func TestHandshakeLogIsBounded(t *testing.T) {
	g := NewWithT(t)
	l := newHandshakeLog(time.Now())
	for i := range 1000 {
		l.add(wssv1.ReasonTimeout, HandshakeExample{ClientHandshakeExample: wssv1.ClientHandshakeExample{Message: fmt.Sprint(i)}})
	}
	r := l.report()
	g.Expect(r.Failures).To(HaveLen(1))
	g.Expect(r.Failures[0].Count).To(Equal(uint64(1000)))
	g.Expect(r.Failures[0].Examples).To(HaveLen(maxExamples))
	g.Expect(r.Failures[0].Examples[0].Message).To(Equal("999"), "newest first")
	g.Expect(r.Failures[0].Examples[2].Message).To(Equal("997"))

	long := strings.Repeat("é", 400)
	g.Expect(len(truncate(long, maxSNI))).To(BeNumerically("<=", maxSNI+len("…")))
	g.Expect(truncate("a\r\nb", 10)).To(Equal("a??b"))
	g.Expect(boundedALPN(make([]string, 100))).To(HaveLen(maxALPN))
}

func TestClientPrefix(t *testing.T) {
	g := NewWithT(t)
	for addr, want := range map[string]string{
		"203.0.113.77:4242":          "203.0.113.0/24",
		"[::ffff:198.51.100.9]:1":    "198.51.100.0/24",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(clientPrefix(a)).To(Equal(want), addr)
	}
	g.Expect(clientPrefix(&net.UnixAddr{Name: "/x"})).To(BeEmpty())
}

// TestIntermediateRefusesCBC tries every CBC suite Go can speak against the
// default profile (each one refused), and the same suites against old
// (each one accepted, on TLS 1.0 too).
func TestIntermediateRefusesCBC(t *testing.T) {
	be := startBackend(t)
	cs := newCertSetup(t, false)
	inter := startProxy(t, Config{Backend: be.addr, CertDir: cs.dir})
	old := startProxy(t, Config{Backend: be.addr, CertDir: cs.dir, TLSProfile: tlsnames.ProfileOld})
	var cbc []*tls.CipherSuite
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if tlsnames.IsCBC(s.ID) {
			cbc = append(cbc, s)
		}
	}
	NewWithT(t).Expect(len(cbc)).To(BeNumerically(">=", 8))
	for _, s := range cbc {
		t.Run(s.Name, func(t *testing.T) {
			g := NewWithT(t)
			cfg := &tls.Config{RootCAs: cs.ca.pool(), ServerName: "localhost", MaxVersion: tls.VersionTLS12,
				CipherSuites: []uint16{s.ID}}
			g.Expect(tlsDial(inter, cfg)).To(MatchError(ContainSubstring("handshake failure")))
			ecdsaECDHE := strings.HasPrefix(s.Name, "TLS_ECDHE_ECDSA_WITH_AES_") && strings.HasSuffix(s.Name, "_CBC_SHA")
			if !ecdsaECDHE {
				return // not for an ECDSA certificate, or left out of old too
			}
			for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12} {
				cfg.MinVersion, cfg.MaxVersion = v, v
				g.Expect(tlsDial(old, cfg)).To(Succeed(), tls.VersionName(v))
			}
		})
	}
}

// TestALPNHTTP10 is a client that offers only http/1.0 (curl --http1.0):
// it gets http/1.0 and an answer.
func TestALPNHTTP10(t *testing.T) {
	g := NewWithT(t)
	_, cs, p := startEnv(t, false, Config{})
	c, err := tls.Dial("tcp", p.Addr().String(), &tls.Config{RootCAs: cs.ca.pool(), ServerName: "localhost", NextProtos: []string{"http/1.0"}})
	g.Expect(err).NotTo(HaveOccurred())
	defer c.Close()
	g.Expect(c.ConnectionState().NegotiatedProtocol).To(Equal("http/1.0"))
	_, err = fmt.Fprint(c, "GET /hello HTTP/1.0\r\nHost: localhost\r\n\r\n")
	g.Expect(err).NotTo(HaveOccurred())
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	g.Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
}

// TestRefineFailure pins how the ClientHello sharpens a reason, whatever
// the classifier said about the error itself.
func TestRefineFailure(t *testing.T) {
	cs := newCertSetup(t, false)
	st, err := loadCertState(cs.dir, &tls.Config{MinVersion: tls.VersionTLS12}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	badMAC := &net.OpError{Op: "local error", Err: errors.New("tls: bad record MAC")}
	remote := receivedAlert(tlsnames.AlertBadCertificate)
	v13 := []uint16{tls.VersionTLS13, tls.VersionTLS12}
	v12 := []uint16{tls.VersionTLS12}
	cases := []struct {
		name, reason string
		err          error
		versions     []uint16
		sni          string
		want, alert  string
		msg          string
	}{
		{"encrypted alert under TLS 1.3", wssv1.ReasonUnknown, badMAC, v13, "localhost", wssv1.ReasonUnknownAuthority, "", "unknown_ca"},
		{"encrypted alert, whatever the classifier said", wssv1.ReasonConnectionReset, badMAC, v13, "", wssv1.ReasonUnknownAuthority, "", "unknown_ca"},
		{"bad MAC without TLS 1.3 is left alone", wssv1.ReasonUnknown, badMAC, v12, "localhost", wssv1.ReasonUnknown, "", "bad record MAC"},
		{"encrypted alert, uncovered SNI", wssv1.ReasonUnknown, badMAC, v13, "chat.example.com", wssv1.ReasonHostnameMismatch, "", `add "chat.example.com" to spec.tls.hosts`},
		{"bad_certificate, uncovered SNI", wssv1.ReasonUnknownAuthority, remote, v13, "chat.example.com", wssv1.ReasonHostnameMismatch, "bad_certificate", "does not cover"},
		{"bad_certificate, covered SNI", wssv1.ReasonUnknownAuthority, remote, v13, "localhost", wssv1.ReasonUnknownAuthority, "bad_certificate", "remote error"},
		{"reset, uncovered SNI", wssv1.ReasonConnectionReset, io.ErrUnexpectedEOF, v13, "chat.example.com", wssv1.ReasonHostnameMismatch, "", "chat.example.com"},
		{"version mismatch keeps its reason", wssv1.ReasonProtocolVersionMismatch, errors.New("tls: client offered only unsupported versions"), []uint16{tls.VersionTLS11}, "chat.example.com", wssv1.ReasonProtocolVersionMismatch, "", "unsupported versions"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			h := &clientHello{info: &tls.ClientHelloInfo{SupportedVersions: tc.versions, ServerName: tc.sni,
				CipherSuites: []uint16{tls.TLS_AES_128_GCM_SHA256}, SupportedCurves: []tls.CurveID{tls.X25519}}, cert: st}
			addr := &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 5}
			got, ex := refineFailure(tc.reason, tc.err, h, addr, time.Now())
			g.Expect(got).To(Equal(tc.want))
			g.Expect(handshakeReasons).To(ContainElement(got))
			g.Expect(ex.Alert).To(Equal(tc.alert))
			g.Expect(ex.Message).To(ContainSubstring(tc.msg))
			g.Expect(ex.ClientPrefix).To(Equal("2001:db8::/64"))
			g.Expect(ex.SNI).To(Equal(tc.sni))
		})
	}
}
