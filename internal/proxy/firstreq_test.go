package proxy

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// startCountingEnv is startEnv that also counts the connections net/http's
// server was handed (the lean path's upgrades never reach it).
func startCountingEnv(t *testing.T, cfg Config) (*testBackend, *certSetup, *testProxy, *atomic.Int64) {
	t.Helper()
	be := startBackend(t)
	cs := newCertSetup(t, false)
	cfg.Backend, cfg.CertDir = be.addr, cs.dir
	httpConns := &atomic.Int64{}
	p := startProxyWith(t, cfg, func(p *Proxy) {
		p.httpSrv.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				httpConns.Add(1)
			}
		}
	})
	return be, cs, p, httpConns
}

// dialTLS opens a TLS connection to the proxy, closed at the end of the test.
func dialTLS(t *testing.T, p *testProxy, cs *certSetup) *tls.Conn {
	t.Helper()
	c, err := tls.Dial("tcp", p.Addr().String(), &tls.Config{RootCAs: cs.ca.pool(), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return c
}

func upgradeHead(path string, extra ...string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: example.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + wsKey + "\r\n" + strings.Join(extra, "") + "\r\n"
}

// expectSwitched reads a 101 with the right accept key, then the echo of
// msg (sent by the caller as a client frame).
func expectSwitched(g Gomega, c *tls.Conn, br *bufio.Reader, msg string) {
	resp, err := http.ReadResponse(br, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(resp.StatusCode).To(Equal(http.StatusSwitchingProtocols))
	g.Expect(resp.Header.Get("Sec-WebSocket-Accept")).To(Equal(wsframe.AcceptKey(wsKey)))
	ws := &rawWS{conn: c, br: br}
	op, payload, err := ws.readFrame()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(op).To(Equal(byte(wsframe.OpBinary)))
	g.Expect(string(payload)).To(Equal(msg))
}

func TestLeanFirstRequestUpgrade(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	be, cs, p, httpConns := startCountingEnv(t, Config{})
	c := dialTLS(t, p, cs)
	head := upgradeHead("/echo?x=1", "X-Forwarded-For: 10.0.0.1\r\n")
	// The head in two TLS records, a frame right behind it.
	_, err := io.WriteString(c, head[:20])
	g.Expect(err).NotTo(HaveOccurred())
	time.Sleep(50 * time.Millisecond)
	_, err = c.Write(append([]byte(head[20:]), clientFrame(wsframe.OpBinary, []byte("early"))...))
	g.Expect(err).NotTo(HaveOccurred())
	expectSwitched(g, c, bufio.NewReader(c), "early")

	var h http.Header
	g.Eventually(be.upgrades, 10*time.Second).Should(Receive(&h))
	g.Expect(h.Get(hdrXForwardedFor)).To(Equal("10.0.0.1, 127.0.0.1"))
	g.Expect(h.Get(hdrXForwardedProto)).To(Equal("https"))
	g.Expect(h.Get(hdrXForwardedHost)).To(Equal("example.test"))
	g.Expect(httpConns.Load()).To(BeZero(), "the upgrade did not go through net/http")
	g.Expect(p.metric(t, MetricBytes, "direction", DirectionClientToBackend)).To(BeNumerically(">", len(head)))
}

func TestFirstRequestFallsBackToNetHTTP(t *testing.T) {
	t.Parallel()
	_, cs, p, httpConns := startCountingEnv(t, Config{})
	frame := string(clientFrame(wsframe.OpBinary, []byte("via net/http")))
	for _, tc := range []struct {
		name string
		send string
		// check reads the answers off the connection.
		check func(g Gomega, c *tls.Conn, br *bufio.Reader)
	}{{
		name: "not an upgrade",
		send: "GET /hello HTTP/1.1\r\nHost: example.test\r\n\r\n",
		check: func(g Gomega, _ *tls.Conn, br *bufio.Reader) {
			resp, err := http.ReadResponse(br, nil)
			g.Expect(err).NotTo(HaveOccurred())
			var got map[string]string
			g.Expect(json.NewDecoder(resp.Body).Decode(&got)).To(Succeed())
			g.Expect(got).To(HaveKeyWithValue("xff", "127.0.0.1"))
			g.Expect(got).To(HaveKeyWithValue("proto", "https"))
			g.Expect(got).To(HaveKeyWithValue("host", "example.test"))
		},
	}, {
		name: "pipelined requests",
		send: "GET /hello HTTP/1.1\r\nHost: a\r\n\r\nGET /slow?d=1ms HTTP/1.1\r\nHost: a\r\n\r\n",
		check: func(g Gomega, _ *tls.Conn, br *bufio.Reader) {
			for _, want := range []string{`"host":"a"`, "done"} {
				resp, err := http.ReadResponse(br, nil)
				g.Expect(err).NotTo(HaveOccurred())
				b, err := io.ReadAll(resp.Body)
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(string(b)).To(ContainSubstring(want))
			}
		},
	}, {
		name:  "malformed header",
		send:  "GET /echo HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n",
		check: expectStatus(http.StatusBadRequest, ""),
	}, {
		name:  "upgrade without Host",
		send:  strings.Replace(upgradeHead("/echo"), "Host: example.test\r\n", "", 1),
		check: expectStatus(http.StatusBadRequest, "missing required Host header"),
	}, {
		name:  "upgrade with two Host headers",
		send:  upgradeHead("/echo", "Host: other.test\r\n"),
		check: expectStatus(http.StatusBadRequest, ""),
	}, {
		name:  "upgrade with a body",
		send:  upgradeHead("/echo", "Content-Length: 5\r\n") + "hello",
		check: expectStatus(http.StatusBadRequest, "has no body"),
	}, {
		name: "upgrade head longer than the lean path reads",
		send: upgradeHead("/echo", "X-Pad: "+strings.Repeat("p", 6000)+"\r\n") + frame,
		check: func(g Gomega, c *tls.Conn, br *bufio.Reader) {
			expectSwitched(g, c, br, "via net/http")
		},
	}, {
		name: "refused upgrade, then an upgrade on the same connection",
		send: upgradeHead("/reject"),
		check: func(g Gomega, c *tls.Conn, br *bufio.Reader) {
			expectStatus(http.StatusForbidden, "go away")(g, c, br)
			_, err := io.WriteString(c, upgradeHead("/echo")+frame)
			g.Expect(err).NotTo(HaveOccurred())
			expectSwitched(g, c, br, "via net/http")
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			before := httpConns.Load()
			c := dialTLS(t, p, cs)
			_, err := io.WriteString(c, tc.send)
			g.Expect(err).NotTo(HaveOccurred())
			tc.check(g, c, bufio.NewReader(c))
			g.Expect(httpConns.Load()).To(Equal(before+1), "net/http served the connection")
		})
	}
}

// expectStatus reads one response and checks its status and body.
func expectStatus(code int, body string) func(g Gomega, c *tls.Conn, br *bufio.Reader) {
	return func(g Gomega, _ *tls.Conn, br *bufio.Reader) {
		resp, err := http.ReadResponse(br, nil)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(resp.StatusCode).To(Equal(code))
		b, err := io.ReadAll(resp.Body)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(b)).To(ContainSubstring(body))
	}
}

func TestBackendDownOnTheLeanPath(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	cs := newCertSetup(t, false)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	addr := ln.Addr().String()
	ln.Close() // nothing listens there
	p := startProxy(t, Config{Backend: addr, CertDir: cs.dir})
	c := dialTLS(t, p, cs)
	_, err = io.WriteString(c, upgradeHead("/echo"))
	g.Expect(err).NotTo(HaveOccurred())
	expectStatus(http.StatusBadGateway, "502 Bad Gateway")(g, c, bufio.NewReader(c))
}

func TestDrainDuringFirstRequest(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	const budget = 30 * time.Second
	_, cs, p, _ := startCountingEnv(t, Config{DrainTimeout: budget, HeaderTimeout: time.Minute})
	// idle has not sent a byte of its first request; plain and upgrade are
	// in the middle of theirs when the drain starts.
	idle := dialTLS(t, p, cs)
	plain := dialTLS(t, p, cs)
	upgrade := dialTLS(t, p, cs)
	plainHead := "GET /hello HTTP/1.1\r\nHost: example.test\r\n\r\n"
	upHead := upgradeHead("/echo")
	for _, w := range []struct {
		c *tls.Conn
		s string
	}{{plain, plainHead[:10]}, {upgrade, upHead[:10]}} {
		_, err := io.WriteString(w.c, w.s)
		g.Expect(err).NotTo(HaveOccurred())
	}
	g.Eventually(func() int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.first)
	}, 10*time.Second).Should(Equal(3))
	start := time.Now()
	stopped := make(chan time.Duration, 1)
	go func() { stopped <- stopAndWait(t, p) }()
	g.Eventually(p.stopping.Load, 10*time.Second).Should(BeTrue())

	// Both finish their heads during the drain and are answered as by
	// net/http under Shutdown: the request is served, the upgrade refused.
	_, err := io.WriteString(plain, plainHead[10:])
	g.Expect(err).NotTo(HaveOccurred())
	resp, err := http.ReadResponse(bufio.NewReader(plain), nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	g.Expect(resp.Close).To(BeTrue(), "no keep-alive while draining")
	_, err = io.WriteString(upgrade, upHead[10:])
	g.Expect(err).NotTo(HaveOccurred())
	expectStatus(http.StatusServiceUnavailable, "shutting down")(g, upgrade, bufio.NewReader(upgrade))

	// The idle one is closed after net/http's grace for new connections.
	_, err = idle.Read(make([]byte, 1))
	g.Expect(err).To(HaveOccurred())
	g.Expect(time.Since(start)).To(BeNumerically("<", budget/2))
	var took time.Duration
	g.Eventually(stopped, budget).Should(Receive(&took))
	g.Expect(took).To(BeNumerically("<", budget/2))
	g.Expect(p.metric(t, MetricConnectionsActive)).To(BeZero())
}

func TestLeanUpgradeForwardsClientCert(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	be, cs, p, httpConns := startCountingEnv(t, Config{ClientAuth: ClientAuthRequest})
	c, err := tls.Dial("tcp", p.Addr().String(), &tls.Config{
		RootCAs: cs.ca.pool(), ServerName: "localhost", Certificates: []tls.Certificate{cs.ca.clientCert(t, "alice")},
	})
	g.Expect(err).NotTo(HaveOccurred())
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	_, err = c.Write(append([]byte(upgradeHead("/echo", hdrClientCert+": forged\r\n")), clientFrame(wsframe.OpBinary, []byte("hi"))...))
	g.Expect(err).NotTo(HaveOccurred())
	expectSwitched(g, c, bufio.NewReader(c), "hi")
	var h http.Header
	g.Eventually(be.upgrades, 10*time.Second).Should(Receive(&h))
	g.Expect(h.Values(hdrClientCert)).To(HaveLen(1))
	g.Expect(h.Get(hdrClientCert)).To(And(HavePrefix("Hash="), ContainSubstring(`Subject="CN=alice"`)))
	g.Expect(httpConns.Load()).To(BeZero())
}
