package probe_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/probe"
)

// classScenarios are in-process stand-ins for what real servers do (the
// corpus in test/realservers runs the real ones): each provokes one class of
// failure whose verdict depends on where in the byte stream it happened.
func (f *fixtures) classScenarios() []scenario {
	// tlsThen completes TLS handshakes and hands each connection to after.
	tlsThen := func(t *testing.T, cfg *tls.Config, after func(c *tls.Conn)) string {
		return startRaw(t, func(c net.Conn) {
			tc := tls.Server(c, cfg)
			defer tc.Close()
			if tc.Handshake() != nil {
				return
			}
			after(tc)
		})
	}
	// alertAll answers every ClientHello with a fatal handshake_failure, as
	// OpenSSL does with an EC key beside an RSA certificate.
	alertAll := func(c net.Conn) {
		defer c.Close()
		_, _ = c.Read(make([]byte, 4096))
		_, _ = c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28})
	}
	return []scenario{
		{name: "reset after the ClientHello, not a byte sent", reason: wssv1.ReasonConnectionReset, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				return wssCase(startRaw(t, func(c net.Conn) {
					_, _ = c.Read(make([]byte, 4096))
					_ = c.(*net.TCPConn).SetLinger(0)
					_ = c.Close()
				}), f.root.cert)
			},
			message: []string{"without sending a single byte"},
			check: func(g Gomega, r *probe.Result) {
				g.Expect(r.Advice()).To(ContainSubstring("error log"))
				g.Expect(r.Advice()).NotTo(ContainSubstring("firewall"))
			}},
		{name: "closed (FIN) after reading the ClientHello, not a byte sent: the same reason as a reset", reason: wssv1.ReasonConnectionReset, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				return wssCase(startRaw(t, func(c net.Conn) {
					_, _ = c.Read(make([]byte, 4096))
					_ = c.Close()
				}), f.root.cert)
			},
			message: []string{"closed the connection without sending a single byte"},
			check: func(g Gomega, r *probe.Result) {
				g.Expect(r.Advice()).To(ContainSubstring("error log"))
			}},
		{name: "TLS terminator with its backend down: EOF after the request", reason: wssv1.ReasonBackendUnavailable, phase: probe.PhaseUpgrade,
			setup: func(t *testing.T) probeCase {
				return wssCase(tlsThen(t, serverTLS(f.leaf(t)), func(c *tls.Conn) {
					_, _ = c.Read(make([]byte, 4096))
				}), f.root.cert)
			},
			message: []string{"could not reach its backend"}},
		{name: "client certificate refused at HTTP (nginx ssl_verify_client)", reason: wssv1.ReasonClientCertificateRequired, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				cfg := serverTLS(f.leaf(t), func(c *tls.Config) { c.ClientAuth = tls.RequestClientCert })
				return wssCase(startHTTP(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					http.Error(w, "400 No required SSL certificate was sent", http.StatusBadRequest)
				})), f.root.cert)
			},
			message: []string{"No required SSL certificate was sent"},
			check: func(g Gomega, r *probe.Result) {
				g.Expect(r.WebSocket.Status).To(Equal(400))
			}},
		{name: "HTTP/1.0 proxy: 400 with a chunked body", reason: wssv1.ReasonUpgradeRejected, phase: probe.PhaseUpgrade,
			setup: func(t *testing.T) probeCase {
				return wssCase(startHTTP(t, serverTLS(f.leaf(t)), rawHandshake(t, func(conn net.Conn, _ *bufio.ReadWriter, _ *http.Request) {
					_, _ = io.WriteString(conn, "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nTransfer-Encoding: chunked\r\n\r\n"+
						"1a\r\nmissing Upgrade: websocket\r\n0\r\n\r\n")
				})), f.root.cert)
			},
			check: func(g Gomega, r *probe.Result) {
				g.Expect(r.Message).To(ContainSubstring(`with body "missing Upgrade: websocket"`))
				g.Expect(r.Message).NotTo(MatchRegexp(`websocket 0`))
				g.Expect(r.Advice()).To(ContainSubstring("proxy_http_version 1.1"))
			}},
		{name: "handshake_failure to every offer, TLS 1.3 too", reason: wssv1.ReasonKeyMismatch, phase: probe.PhaseTLS,
			setup:   func(t *testing.T) probeCase { return wssCase(startRaw(t, alertAll), f.root.cert) },
			message: []string{"(1) the server's private key does not belong to its certificate"},
			check: func(g Gomega, r *probe.Result) {
				g.Expect(r.Advice()).To(ContainSubstring("wss-operator inspect"))
			}},
		{name: "no shared suite: the follow-up names the key type", reason: wssv1.ReasonNoSharedCipher, phase: probe.PhaseTLS,
			setup: func(t *testing.T) probeCase {
				pc := f.echoCase(t, f.leaf(t), maxTLS12)
				pc.maxTLS, pc.suites = "1.2", []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}
				return pc
			},
			message: []string{"ECDSA P-256 key, which allows in TLS 1.2 only the ECDHE_ECDSA_* suites"}},
		{name: "ws:// to a TLS port that closes on plain HTTP", reason: wssv1.ReasonUnknown, phase: probe.PhaseUpgrade,
			setup: func(t *testing.T) probeCase {
				cfg := serverTLS(f.leaf(t))
				return probeCase{url: "ws://echo.test/", connectTo: startRaw(t, func(c net.Conn) {
					defer c.Close()
					var b [1]byte
					if _, err := io.ReadFull(c, b[:]); err != nil || b[0] != 0x16 {
						return // not a ClientHello: close, as OpenSSL does
					}
					tc := tls.Server(&prefixConn{Conn: c, first: b[:]}, cfg)
					_ = tc.Handshake()
				})}
			},
			message: []string{"this port speaks TLS"},
			check: func(g Gomega, r *probe.Result) {
				g.Expect(r.Advice()).To(ContainSubstring("wss://"))
			}},
	}
}

// prefixConn replays bytes already read before the connection's own.
type prefixConn struct {
	net.Conn
	first []byte
}

func (c *prefixConn) Read(b []byte) (int, error) {
	if len(c.first) > 0 {
		n := copy(b, c.first)
		c.first = c.first[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}
