package probe_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/probe"
)

// fixtures are the CAs shared (read-only) by all scenarios.
type fixtures struct {
	root     *testCA // trusted by the probing client
	clientCA *testCA // trusted by mutual-TLS servers
}

func newFixtures(t *testing.T) *fixtures {
	return &fixtures{root: newRootCA(t, "Probe Test Root"), clientCA: newRootCA(t, "Probe Test Client CA")}
}

// echoCert is a certificate for echo.test, the scenarios' host, issued by
// ca with the rest of o.
func echoCert(t *testing.T, ca *testCA, o certOpts) tls.Certificate {
	o.cn, o.dnsNames = "echo.test", []string{"echo.test"}
	return ca.issue(t, o)
}

// leaf is the healthy certificate: echo.test, from the trusted root.
func (f *fixtures) leaf(t *testing.T) tls.Certificate {
	return echoCert(t, f.root, certOpts{})
}

// echoCase probes, over wss:// and trusting the root, a WebSocket echo
// server that serves cert under serverTLS with tweak.
func (f *fixtures) echoCase(t *testing.T, cert tls.Certificate, tweak ...func(*tls.Config)) probeCase {
	return wssCase(startHTTP(t, serverTLS(cert, tweak...), echoHandler(nil)), f.root.cert)
}

// maxTLS12 makes a server stop at TLS 1.2.
func maxTLS12(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 }

// stalling starts an HTTP(S) server whose handler gets a channel closed at
// the end of the test, after which it must return (registered after the
// server so that it runs before the server's own cleanup waits for it).
func stalling(t *testing.T, cfg *tls.Config, h func(done <-chan struct{}) http.Handler) string {
	done := make(chan struct{})
	addr := startHTTP(t, cfg, h(done))
	t.Cleanup(func() { close(done) })
	return addr
}

func (f *fixtures) scenarios() []scenario {
	const (
		phaseNone = ""
		stall     = 2 * time.Second // timeout of probes that must time out
	)
	echo := func(t *testing.T, cfg *tls.Config, opts *websocket.AcceptOptions) string {
		return startHTTP(t, cfg, echoHandler(opts))
	}
	// mtlsCase probes a mutual-TLS server at version, presenting a client
	// certificate for cn from issuer when issuer is not nil.
	mtlsCase := func(t *testing.T, version uint16, issuer *testCA, cn string) probeCase {
		pc := f.echoCase(t, f.leaf(t), func(c *tls.Config) {
			c.MinVersion, c.MaxVersion = version, version
			c.ClientAuth = tls.RequireAndVerifyClientCert
			c.ClientCAs = x509.NewCertPool()
			c.ClientCAs.AddCert(f.clientCA.cert)
		})
		if issuer != nil {
			cc := issuer.issue(t, certOpts{cn: cn, clientAuth: true})
			pc.clientCert = &cc
		}
		return pc
	}
	raw := func(t *testing.T, answer func(conn net.Conn, r *http.Request)) string {
		return stalling(t, serverTLS(f.leaf(t)), func(done <-chan struct{}) http.Handler {
			return rawHandshake(t, func(conn net.Conn, _ *bufio.ReadWriter, r *http.Request) {
				answer(conn, r)
				<-done
			})
		})
	}
	return append([]scenario{
		{name: "healthy TLS 1.3", reason: wssv1.ReasonHealthy, phase: phaseNone,
			setup: func(t *testing.T) probeCase { return f.echoCase(t, f.leaf(t)) },
			certs: 1,
			check: func(g Gomega, r *probe.Result) {
				g.Expect(r.TLS.Verified).To(BeTrue())
				g.Expect(r.TLS.Version).To(Equal("TLS 1.3"))
				g.Expect(r.TLS.CipherSuite).To(HavePrefix("TLS_"))
				g.Expect(r.TLS.ALPN).To(Equal("http/1.1"))
				g.Expect(r.TLS.PeerCertificates[0].DNSNames).To(Equal([]string{"echo.test"}))
				g.Expect(r.WebSocket.Status).To(Equal(101))
				g.Expect(r.Timings.TLSMs).To(BeNumerically(">", 0))
				g.Expect(r.Timings.UpgradeMs).To(BeNumerically(">", 0))
				g.Expect(r.Timings.PingMs).To(BeNumerically(">", 0))
			}},
		{name: "healthy TLS 1.2 with intermediate", reason: wssv1.ReasonHealthy, phase: phaseNone,
			setup: func(t *testing.T) probeCase {
				inter := f.root.intermediate(t, certOpts{cn: "Probe Intermediate"})
				served := withChain(echoCert(t, inter, certOpts{}), inter)
				pc := f.echoCase(t, served, maxTLS12)
				pc.maxTLS = "1.2"
				return pc
			},
			certs: 2,
			check: func(g Gomega, r *probe.Result) {
				g.Expect(r.TLS.Version).To(Equal("TLS 1.2"))
			}},
		{name: "healthy mutual TLS", reason: wssv1.ReasonHealthy, phase: phaseNone,
			setup: func(t *testing.T) probeCase { return mtlsCase(t, tls.VersionTLS13, f.clientCA, "probe-client") }},
		{name: "healthy plain ws", reason: wssv1.ReasonHealthy, phase: phaseNone,
			setup: func(t *testing.T) probeCase {
				return probeCase{url: "ws://echo.test/ws", connectTo: echo(t, nil, nil)}
			},
			check: func(g Gomega, r *probe.Result) {
				g.Expect(r.TLS.Version).To(BeEmpty())
				g.Expect(r.TLS.PeerCertificates).To(BeEmpty())
				g.Expect(r.Timings.TLSMs).To(BeZero())
			}},
		{name: "healthy with subprotocol", reason: wssv1.ReasonHealthy, phase: phaseNone,
			setup: func(t *testing.T) probeCase {
				pc := wssCase(echo(t, serverTLS(f.leaf(t)), &websocket.AcceptOptions{Subprotocols: []string{"chat.v2", "chat"}}), f.root.cert)
				pc.subprotocols = []string{"chat"}
				return pc
			},
			check: func(g Gomega, r *probe.Result) { g.Expect(r.WebSocket.Subprotocol).To(Equal("chat")) }},
		{name: "healthy IP URL", reason: wssv1.ReasonHealthy, phase: phaseNone,
			setup: func(t *testing.T) probeCase {
				cert := f.root.issue(t, certOpts{cn: "loopback", ips: []net.IP{net.ParseIP("127.0.0.1")}})
				return probeCase{url: "wss://" + echo(t, serverTLS(cert), nil) + "/ws", roots: []*x509.Certificate{f.root.cert}}
			}},

		{name: "dns failure", reason: wssv1.ReasonDNSFailure, phase: probe.PhaseDNS,
			setup: func(*testing.T) probeCase {
				return probeCase{url: "wss://nowhere.invalid/ws", resolver: dnsFails}
			},
			message: []string{"nowhere.invalid"}},
		{name: "connection refused", reason: wssv1.ReasonConnectionRefused, phase: probe.PhaseConnect,
			setup: func(t *testing.T) probeCase { return wssCase(closedPort(t), f.root.cert) }},
		{name: "connection reset", reason: wssv1.ReasonConnectionReset, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				return wssCase(startRaw(t, func(c net.Conn) {
					_, _ = io.ReadFull(c, make([]byte, 1)) // the ClientHello has arrived
					_ = c.(*net.TCPConn).SetLinger(0)
					_ = c.Close()
				}), f.root.cert)
			}},
		{name: "timeout in tls", reason: wssv1.ReasonTimeout, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				pc := wssCase(startRaw(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) }), f.root.cert)
				pc.timeout = time.Second
				return pc
			},
			message: []string{"tls phase"}},
		{name: "timeout in upgrade", reason: wssv1.ReasonTimeout, phase: probe.PhaseUpgrade,
			setup: func(t *testing.T) probeCase {
				pc := wssCase(stalling(t, serverTLS(f.leaf(t)), func(done <-chan struct{}) http.Handler {
					return http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-done })
				}), f.root.cert)
				pc.timeout = stall
				return pc
			},
			message: []string{"upgrade phase"}},
		{name: "plain HTTP port", reason: wssv1.ReasonNotTLS, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase { return wssCase(startHTTP(t, nil, http.NotFoundHandler()), f.root.cert) }},

		{name: "protocol version mismatch", reason: wssv1.ReasonProtocolVersionMismatch, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				pc := f.echoCase(t, f.leaf(t), maxTLS12)
				pc.minTLS = "1.3"
				return pc
			}},
		{name: "no shared cipher suite TLS 1.2", reason: wssv1.ReasonNoSharedCipher, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				pc := f.echoCase(t, f.leaf(t), maxTLS12, func(c *tls.Config) {
					c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
				})
				pc.maxTLS, pc.suites = "1.2", []string{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}
				return pc
			},
			message: []string{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}},
		{name: "no shared group TLS 1.3", reason: wssv1.ReasonNoSharedCipher, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				pc := f.echoCase(t, f.leaf(t), func(c *tls.Config) {
					c.CurvePreferences = []tls.CurveID{tls.CurveP384}
				})
				pc.curves = []string{"X25519"}
				return pc
			},
			message: []string{"groups X25519"}},
		{name: "client certificate required TLS 1.2", reason: wssv1.ReasonClientCertificateRequired, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase { return mtlsCase(t, tls.VersionTLS12, nil, "") },
			certs: 1},
		{name: "client certificate required TLS 1.3", reason: wssv1.ReasonClientCertificateRequired, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase { return mtlsCase(t, tls.VersionTLS13, nil, "") }},
		{name: "client certificate not accepted TLS 1.3", reason: wssv1.ReasonClientCertificateRequired, phase: probe.PhaseTLS,
			setup:   func(t *testing.T) probeCase { return mtlsCase(t, tls.VersionTLS13, f.root, "stranger") },
			message: []string{"did not accept"}},

		{name: "client certificate not accepted TLS 1.2", reason: wssv1.ReasonClientCertificateRequired, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase { return mtlsCase(t, tls.VersionTLS12, f.root, "stranger") }},
		{name: "expired leaf", reason: wssv1.ReasonCertificateExpired, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				old := echoCert(t, f.root, certOpts{notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)})
				return f.echoCase(t, old)
			},
			message: []string{"leaf certificate"}},
		{name: "expired intermediate", reason: wssv1.ReasonCertificateExpired, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				inter := f.root.intermediate(t, certOpts{cn: "Old Intermediate",
					notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-time.Minute)})
				served := withChain(echoCert(t, inter, certOpts{}), inter)
				return f.echoCase(t, served)
			},
			message: []string{"chain certificate #1"}},
		{name: "not yet valid", reason: wssv1.ReasonCertificateNotYetValid, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				future := echoCert(t, f.root, certOpts{notBefore: time.Now().Add(24 * time.Hour), notAfter: time.Now().Add(48 * time.Hour)})
				return f.echoCase(t, future)
			}},
		{name: "hostname mismatch", reason: wssv1.ReasonHostnameMismatch, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				other := f.root.issue(t, certOpts{cn: "other.test", dnsNames: []string{"other.test"}})
				return f.echoCase(t, other)
			},
			message: []string{"other.test"}},
		{name: "chain incomplete", reason: wssv1.ReasonChainIncomplete, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				inter := f.root.intermediate(t, certOpts{cn: "Probe Intermediate"})
				leafOnly := echoCert(t, inter, certOpts{})
				return f.echoCase(t, leafOnly)
			},
			message: []string{"Probe Intermediate"},
			certs:   1},
		{name: "self-signed", reason: wssv1.ReasonUnknownAuthority, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				self := selfSignedLeaf(t, certOpts{cn: "echo.test", dnsNames: []string{"echo.test"}})
				return f.echoCase(t, self)
			},
			certs: 1,
			check: func(g Gomega, r *probe.Result) {
				// Certificate facts are reported although verification failed.
				g.Expect(r.TLS.Verified).To(BeFalse())
				g.Expect(r.TLS.PeerCertificates[0].Subject).To(ContainSubstring("echo.test"))
				g.Expect(r.TLS.PeerCertificates[0].SHA256).To(HaveLen(64))
				g.Expect(r.TLS.Version).To(Equal("TLS 1.3"))
			}},
		{name: "untrusted CA with its root served", reason: wssv1.ReasonUnknownAuthority, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				private := newRootCA(t, "Private Root")
				served := withChain(echoCert(t, private, certOpts{}), private)
				return f.echoCase(t, served)
			},
			message: []string{"Private Root"},
			certs:   2},
		{name: "SHA-1 signed leaf", reason: wssv1.ReasonInsecureSignatureAlgorithm, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				sha1Leaf := echoCert(t, f.root, certOpts{sigAlg: x509.ECDSAWithSHA1})
				return f.echoCase(t, sha1Leaf)
			}},
		{name: "key mismatch TLS 1.3", reason: wssv1.ReasonKeyMismatch, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				bad := f.leaf(t)
				bad.PrivateKey = newKey(t) // not the leaf's key
				return f.echoCase(t, bad)
			},
			certs: 1},
		{name: "key mismatch TLS 1.2", reason: wssv1.ReasonKeyMismatch, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				bad := f.leaf(t)
				bad.PrivateKey = newKey(t)
				return f.echoCase(t, bad, maxTLS12)
			}},

		{name: "upgrade rejected 404", reason: wssv1.ReasonUpgradeRejected, phase: probe.PhaseUpgrade,
			setup: func(t *testing.T) probeCase {
				return wssCase(startHTTP(t, serverTLS(f.leaf(t)), http.NotFoundHandler()), f.root.cert)
			},
			message: []string{"HTTP/1.1 404 Not Found"},
			check: func(g Gomega, r *probe.Result) {
				g.Expect(r.WebSocket.Status).To(Equal(404))
				g.Expect(r.TLS.Verified).To(BeTrue())
			}},
		{name: "upgrade rejected by origin check", reason: wssv1.ReasonUpgradeRejected, phase: probe.PhaseUpgrade,
			setup: func(t *testing.T) probeCase {
				pc := f.echoCase(t, f.leaf(t))
				pc.origin = "https://elsewhere.test"
				return pc
			},
			check: func(g Gomega, r *probe.Result) { g.Expect(r.WebSocket.Status).To(Equal(403)) }},
		{name: "backend unavailable 502", reason: wssv1.ReasonBackendUnavailable, phase: probe.PhaseUpgrade,
			setup: func(t *testing.T) probeCase {
				return wssCase(startHTTP(t, serverTLS(f.leaf(t)), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					http.Error(w, "upstream connect error", http.StatusBadGateway)
				})), f.root.cert)
			},
			check: func(g Gomega, r *probe.Result) { g.Expect(r.WebSocket.Status).To(Equal(502)) }},
		{name: "wrong accept key", reason: wssv1.ReasonBadAcceptKey, phase: probe.PhaseUpgrade,
			setup: func(t *testing.T) probeCase {
				return wssCase(raw(t, func(conn net.Conn, _ *http.Request) {
					_, _ = io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
						"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
				}), f.root.cert)
			}},
		{name: "missing accept key", reason: wssv1.ReasonBadAcceptKey, phase: probe.PhaseUpgrade,
			setup: func(t *testing.T) probeCase {
				return wssCase(raw(t, func(conn net.Conn, _ *http.Request) {
					_, _ = io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
				}), f.root.cert)
			}},
		{name: "subprotocol mismatch", reason: wssv1.ReasonSubprotocolMismatch, phase: probe.PhaseUpgrade,
			setup: func(t *testing.T) probeCase {
				pc := wssCase(echo(t, serverTLS(f.leaf(t)), &websocket.AcceptOptions{Subprotocols: []string{"other"}}), f.root.cert)
				pc.subprotocols = []string{"chat"}
				return pc
			}},
		{name: "ping timeout", reason: wssv1.ReasonPingTimeout, phase: probe.PhasePing,
			setup: func(t *testing.T) probeCase {
				pc := wssCase(raw(t, func(conn net.Conn, r *http.Request) {
					_, _ = io.WriteString(conn, accept101(r)) // then silence
				}), f.root.cert)
				pc.timeout = stall
				return pc
			}},
		{name: "idle cut: closed 300ms after the ping", reason: wssv1.ReasonIdleTimeout, phase: probe.PhaseIdle,
			setup: func(t *testing.T) probeCase {
				pc := wssCase(raw(t, func(conn net.Conn, r *http.Request) {
					_, _ = io.WriteString(conn, accept101(r))
					br := bufio.NewReader(conn)
					answerPing(conn, br) // the probe's ping, then silence until the cut
					time.Sleep(300 * time.Millisecond)
					_ = conn.Close()
				}), f.root.cert)
				pc.idle = 2 * time.Second
				return pc
			},
			message: []string{"without traffic", "EOF"},
			check: func(g Gomega, r *probe.Result) {
				g.Expect(r.Timings.IdleMs).To(BeNumerically("~", 300, 250))
				g.Expect(r.Advice()).To(ContainSubstring("proxy_read_timeout"))
			}},
		{name: "idle held: healthy after --idle", reason: wssv1.ReasonHealthy, phase: phaseNone,
			setup: func(t *testing.T) probeCase {
				pc := f.echoCase(t, f.leaf(t))
				pc.idle = 400 * time.Millisecond
				return pc
			},
			message: []string{"without traffic"},
			check: func(g Gomega, r *probe.Result) {
				g.Expect(r.Timings.IdleMs).To(BeNumerically(">=", 400))
			}},
		{name: "ws:// to a port that answers with a TLS alert", reason: wssv1.ReasonUnknown, phase: probe.PhaseUpgrade,
			setup: func(t *testing.T) probeCase {
				return probeCase{url: "ws://echo.test/", connectTo: startRaw(t, func(c net.Conn) {
					defer c.Close()
					_, _ = c.Read(make([]byte, 512))
					_, _ = c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}) // fatal handshake_failure
				})}
			},
			message: []string{"wss://"},
			check: func(g Gomega, r *probe.Result) {
				g.Expect(r.Advice()).To(ContainSubstring("This port speaks TLS"))
			}},
		{name: "ws:// to a Go TLS server", reason: wssv1.ReasonUpgradeRejected, phase: probe.PhaseUpgrade,
			setup: func(t *testing.T) probeCase {
				return probeCase{url: "ws://echo.test/", connectTo: echo(t, serverTLS(f.leaf(t)), nil)}
			},
			message: []string{"Client sent an HTTP request to an HTTPS server"}},
		{name: "closed right after 101", reason: wssv1.ReasonUnknown, phase: probe.PhasePing,
			setup: func(t *testing.T) probeCase {
				return wssCase(startHTTP(t, serverTLS(f.leaf(t)), rawHandshake(t, func(conn net.Conn, _ *bufio.ReadWriter, r *http.Request) {
					_, _ = io.WriteString(conn, accept101(r))
				})), f.root.cert)
			},
			message: []string{"closed the connection after the upgrade"}},
	}, f.classScenarios()...)
}
