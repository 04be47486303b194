package proxy

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

func TestWebSocketRoundTrip(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	be, cs, p := startEnv(t, true, Config{})
	ctx := testContext(t, 20*time.Second)

	c, resp, err := dialWS(ctx, p, "/echo?room=1", cs.ca.pool(), &websocket.DialOptions{
		Subprotocols:    []string{"chat.v1", "chat.v2"},
		CompressionMode: websocket.CompressionContextTakeover,
		HTTPHeader:      http.Header{hdrXForwardedFor: {"203.0.113.7"}, hdrClientCert: {"Hash=forged"}},
	})
	g.Expect(err).NotTo(HaveOccurred())
	defer c.CloseNow()
	g.Expect(resp.StatusCode).To(Equal(http.StatusSwitchingProtocols))
	// The backend's choice of subprotocol and extension reaches the client.
	g.Expect(c.Subprotocol()).To(Equal("chat.v2"))
	g.Expect(resp.Header.Get("Sec-WebSocket-Extensions")).To(ContainSubstring("permessage-deflate"))

	for _, size := range []int{0, 1, 125, 126, 65535, 65536, 1 << 20} {
		g.Expect(echoOnce(ctx, c, pattern(size))).To(Succeed(), "size %d", size)
	}
	var h http.Header
	g.Eventually(be.upgrades).Should(Receive(&h))
	g.Expect(h.Get(hdrXForwardedFor)).To(Equal("203.0.113.7, 127.0.0.1"))
	g.Expect(h.Get(hdrXForwardedProto)).To(Equal("https"))
	g.Expect(h.Get(hdrXForwardedHost)).To(Equal(p.Addr().String()))
	g.Expect(h.Get(hdrClientCert)).To(BeEmpty(), "a client-supplied X-Forwarded-Client-Cert is dropped")
	g.Expect(h.Get("Sec-WebSocket-Protocol")).To(Equal("chat.v1,chat.v2"), "as coder/websocket's client writes it")
	g.Expect(h.Get("Sec-WebSocket-Key")).NotTo(BeEmpty())

	// Once idle, both directions park (no goroutine); a message wakes them.
	if getPoller() != nil {
		g.Eventually(func() int { return parkedPumps(p) }, 10*time.Second, 20*time.Millisecond).Should(Equal(2))
		g.Expect(echoOnce(ctx, c, []byte("wake up"))).To(Succeed())
	}

	// Ping/pong frames pass (coder/websocket reads the pong in a concurrent Read).
	readDone := make(chan error, 1)
	go func() { _, _, err := c.Read(ctx); readDone <- err }()
	g.Expect(c.Ping(ctx)).To(Succeed())

	g.Expect(c.Close(websocket.StatusNormalClosure, "bye")).To(Succeed())
	g.Eventually(readDone, 10*time.Second).Should(Receive(HaveOccurred()))
	g.Eventually(be.closes, 10*time.Second).Should(Receive(Equal(websocket.StatusNormalClosure)))
	g.Eventually(p.metricFunc(t, MetricConnectionsActive), 10*time.Second).Should(BeZero())
	g.Expect(p.metric(t, MetricBytes, "direction", DirectionClientToBackend)).To(BeNumerically(">", 10000), "compressed by permessage-deflate")
	g.Expect(p.metric(t, MetricBytes, "direction", DirectionBackendToClient)).To(BeNumerically(">", 10000))
}

func TestManyConcurrentWebSockets(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, cs, p := startEnv(t, false, Config{})
	ctx := testContext(t, 30*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() {
			c, _, err := dialWS(ctx, p, "/echo", cs.ca.pool(), nil)
			if err != nil {
				errs <- err
				return
			}
			defer c.CloseNow()
			for j := range 20 {
				if err := echoOnce(ctx, c, []byte(fmt.Sprintf("client %d message %d", i, j))); err != nil {
					errs <- err
					return
				}
			}
			errs <- c.Close(websocket.StatusNormalClosure, "")
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		g.Expect(err).NotTo(HaveOccurred())
	}
}

func TestPlainHTTP(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, cs, p := startEnv(t, false, Config{})
	client := httpsClient(cs.ca.pool())

	req, _ := http.NewRequest(http.MethodGet, "https://"+p.Addr().String()+"/hello", nil)
	req.Header.Set(hdrXForwardedFor, "198.51.100.1")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "h2c")
	resp, err := client.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	var got map[string]string
	g.Expect(json.NewDecoder(resp.Body).Decode(&got)).To(Succeed())
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	g.Expect(got).To(HaveKeyWithValue("xff", "198.51.100.1, 127.0.0.1"))
	g.Expect(got).To(HaveKeyWithValue("proto", "https"))
	g.Expect(got).To(HaveKeyWithValue("host", p.Addr().String()))
	g.Expect(got).To(HaveKeyWithValue("upgrade", ""), "non-WebSocket upgrades are not forwarded")

	body := bytes.Repeat([]byte("payload "), 100000)
	resp, err = client.Post("https://"+p.Addr().String()+"/body", "application/octet-stream", bytes.NewReader(body))
	g.Expect(err).NotTo(HaveOccurred())
	echoed, err := io.ReadAll(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	g.Expect(echoed).To(Equal(body))

	// An upgrade the backend refuses comes back as the backend's answer.
	resp, err = client.Do(upgradeRequest(t, "https://"+p.Addr().String()+"/reject"))
	g.Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusForbidden))
}

func upgradeRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	return req
}

func TestBackendDown(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	// A port that nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	dead := ln.Addr().String()
	ln.Close()
	cs := newCertSetup(t, false)
	p := startProxy(t, Config{Backend: dead, CertDir: cs.dir})
	client := httpsClient(cs.ca.pool())

	resp, err := client.Get("https://" + p.Addr().String() + "/hello")
	g.Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusBadGateway))

	ctx := testContext(t, 10*time.Second)
	_, wsResp, err := dialWS(ctx, p, "/echo", cs.ca.pool(), nil)
	g.Expect(err).To(HaveOccurred())
	g.Expect(wsResp).NotTo(BeNil())
	g.Expect(wsResp.StatusCode).To(Equal(http.StatusBadGateway))

	// Not ready while the backend is down.
	admin := "http://" + p.AdminAddr().String()
	resp, err = http.Get(admin + "/readyz")
	g.Expect(err).NotTo(HaveOccurred())
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusServiceUnavailable))
	g.Expect(string(msg)).To(ContainSubstring("backend"))
}

func TestMetricsAndHealth(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, cs, p := startEnv(t, false, Config{})
	ctx := testContext(t, 10*time.Second)
	c := dialEcho(t, ctx, p, cs.ca.pool())
	g.Expect(echoOnce(ctx, c, []byte("hi"))).To(Succeed())

	admin := "http://" + p.AdminAddr().String()
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200} {
		resp, err := http.Get(admin + path)
		g.Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		g.Expect(resp.StatusCode).To(Equal(want), path)
	}
	resp, err := http.Get(admin + "/metrics")
	g.Expect(err).NotTo(HaveOccurred())
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		MetricConnectionsActive + " 1",
		MetricConnectionsTotal + " 1",
		MetricHandshakeErrors + `{reason="NotTLS"} 0`,
		MetricCertificateReloads + `{result="success"} 0`,
		MetricCertificateReloads + `{result="failure"} 0`,
		MetricCertificateExpiry + " ",
		MetricBytes + `{direction="client_to_backend"}`,
		MetricBytes + `{direction="backend_to_client"}`,
		MetricConnectionsRejected + " 0",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		g.Expect(string(text)).To(ContainSubstring(want))
	}
	g.Expect(p.metric(t, MetricCertificateExpiry)).To(BeNumerically(">", float64(time.Now().Unix())))
	c.CloseNow()
}

// Every metric of the proxy has its help text.
func TestEveryMetricHasHelp(t *testing.T) {
	g := NewWithT(t)
	reg := prometheus.NewRegistry()
	_, err := newMetrics(reg)
	g.Expect(err).NotTo(HaveOccurred())
	mfs, err := reg.Gather()
	g.Expect(err).NotTo(HaveOccurred())
	var names []string
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "wss_proxy_") {
			names = append(names, mf.GetName())
			g.Expect(mf.GetHelp()).NotTo(BeEmpty(), mf.GetName())
		}
	}
	g.Expect(names).To(HaveLen(len(metricHelp)))
}

func TestGarbageAndHalfOpenConnections(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, cs, p := startEnv(t, false, Config{HandshakeTimeout: 500 * time.Millisecond})
	ctx := testContext(t, 30*time.Second)

	// A WebSocket that is open the whole time.
	c := dialEcho(t, ctx, p, cs.ca.pool())

	// 200 half-open connections that never send a byte, 20 that send
	// garbage, 20 that speak plain HTTP, 20 that stop mid-handshake.
	var conns []net.Conn
	dial := func() net.Conn {
		nc, err := net.Dial("tcp", p.Addr().String())
		g.Expect(err).NotTo(HaveOccurred())
		conns = append(conns, nc)
		return nc
	}
	for range 200 {
		dial()
	}
	for i := range 20 {
		_, _ = dial().Write(bytes.Repeat([]byte{byte(i), 0xff, 0x00, 0x16}, 64))
		_, _ = io.WriteString(dial(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		_, _ = dial().Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01}) // a ClientHello header, then silence
	}
	defer func() {
		for _, nc := range conns {
			nc.Close()
		}
	}()

	// The open WebSocket and new clients keep working meanwhile.
	g.Expect(echoOnce(ctx, c, []byte("still here"))).To(Succeed())
	c2 := dialEcho(t, ctx, p, cs.ca.pool())
	g.Expect(echoOnce(ctx, c2, []byte("new client"))).To(Succeed())
	c2.CloseNow()

	// Plain HTTP on the TLS port gets told so.
	nc, err := net.Dial("tcp", p.Addr().String())
	g.Expect(err).NotTo(HaveOccurred())
	_, _ = io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	answer, _ := io.ReadAll(nc)
	nc.Close()
	g.Expect(string(answer)).To(ContainSubstring("400 Bad Request"))

	// Every stalled handshake is cut off by the handshake timeout.
	g.Eventually(p.metricFunc(t, MetricConnectionsActive), 20*time.Second, 50*time.Millisecond).Should(Equal(1.0))
	reasons := func(r string) float64 {
		return p.metric(t, MetricHandshakeErrors, "reason", r)
	}
	g.Expect(reasons(wssv1.ReasonNotTLS)).To(BeNumerically(">=", 41))
	g.Expect(reasons(wssv1.ReasonTimeout)).To(BeNumerically(">=", 220))
	g.Expect(echoOnce(ctx, c, []byte("after the storm"))).To(Succeed())
}

func TestMaxConnections(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, cs, p := startEnv(t, false, Config{MaxConnections: 3})
	ctx := testContext(t, 20*time.Second)
	var open []*websocket.Conn
	for range 3 {
		open = append(open, dialEcho(t, ctx, p, cs.ca.pool()))
	}
	_, _, err := dialWS(ctx, p, "/echo", cs.ca.pool(), nil)
	g.Expect(err).To(HaveOccurred())
	g.Expect(p.metric(t, MetricConnectionsRejected)).To(Equal(1.0))
	for _, c := range open {
		g.Expect(echoOnce(ctx, c, []byte("ok"))).To(Succeed())
	}
	// A slot frees when a connection closes.
	open[0].Close(websocket.StatusNormalClosure, "")
	g.Eventually(func() error {
		c, _, err := dialWS(ctx, p, "/echo", cs.ca.pool(), nil)
		if err == nil {
			open = append(open, c)
		}
		return err
	}, 10*time.Second, 100*time.Millisecond).Should(Succeed())
	for _, c := range open {
		c.CloseNow()
	}
}

func TestClientAuth(t *testing.T) {
	t.Parallel()
	be := startBackend(t)
	for _, mode := range []string{ClientAuthRequire, ClientAuthRequest} {
		t.Run(mode, func(t *testing.T) {
			g := NewWithT(t)
			cs := newCertSetup(t, true)
			p := startProxy(t, Config{Backend: be.addr, CertDir: cs.dir, ClientAuth: mode})
			good := cs.ca.clientCert(t, "alice")
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
				RootCAs: cs.ca.pool(), Certificates: []tls.Certificate{good},
			}}}
			resp, err := client.Get("https://" + p.Addr().String() + "/hello")
			g.Expect(err).NotTo(HaveOccurred())
			var got map[string]string
			g.Expect(json.NewDecoder(resp.Body).Decode(&got)).To(Succeed())
			resp.Body.Close()
			g.Expect(got["xfcc"]).To(HavePrefix("Hash="))
			g.Expect(got["xfcc"]).To(ContainSubstring(`Subject="CN=alice"`))

			// No client certificate.
			resp, err = httpsClient(cs.ca.pool()).Get("https://" + p.Addr().String() + "/hello")
			if mode == ClientAuthRequest {
				g.Expect(err).NotTo(HaveOccurred())
				resp.Body.Close()
				return
			}
			if err == nil {
				resp.Body.Close()
			}
			g.Expect(err).To(HaveOccurred())
			g.Eventually(p.metricFunc(t, MetricHandshakeErrors, "reason", wssv1.ReasonClientCertificateRequired), 10*time.Second).Should(Equal(1.0))

			// A client certificate from another CA.
			other := newTestCA(t, "other").clientCert(t, "mallory")
			bad := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
				RootCAs: cs.ca.pool(), Certificates: []tls.Certificate{other},
			}}}
			if resp, err := bad.Get("https://" + p.Addr().String() + "/hello"); err == nil {
				resp.Body.Close()
			}
			g.Eventually(p.metricFunc(t, MetricHandshakeErrors, "reason", wssv1.ReasonClientCertificateRequired), 10*time.Second).Should(Equal(2.0))
		})
	}
}

func TestHandshakeFailureReasons(t *testing.T) {
	t.Parallel()
	be := startBackend(t)
	cs := newCertSetup(t, false)
	tls13 := startProxy(t, Config{Backend: be.addr, CertDir: cs.dir, MinVersion: tls.VersionTLS13})
	ecdsaOnly := startProxy(t, Config{Backend: be.addr, CertDir: cs.dir,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, Curves: []tls.CurveID{tls.CurveP384}})
	plain := startProxy(t, Config{Backend: be.addr, CertDir: cs.dir})

	cases := []struct {
		name   string
		proxy  *testProxy
		client *tls.Config
		raw    string // sent instead of a TLS handshake
		want   string
	}{
		{name: "client does not trust the CA", proxy: plain, client: &tls.Config{}, want: wssv1.ReasonUnknownAuthority},
		{name: "client too old for TLS 1.3", proxy: tls13, client: &tls.Config{RootCAs: cs.ca.pool(), MaxVersion: tls.VersionTLS12}, want: wssv1.ReasonProtocolVersionMismatch},
		{name: "no common cipher suite", proxy: ecdsaOnly, client: &tls.Config{RootCAs: cs.ca.pool(), MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}}, want: wssv1.ReasonNoSharedCipher},
		{name: "no common curve", proxy: ecdsaOnly, client: &tls.Config{RootCAs: cs.ca.pool(), MinVersion: tls.VersionTLS13,
			CurvePreferences: []tls.CurveID{tls.X25519}}, want: wssv1.ReasonNoSharedCipher},
		{name: "plain HTTP", proxy: plain, raw: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", want: wssv1.ReasonNotTLS},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			before := tc.proxy.metric(t, MetricHandshakeErrors, "reason", tc.want)
			nc, err := net.Dial("tcp", tc.proxy.Addr().String())
			g.Expect(err).NotTo(HaveOccurred())
			defer nc.Close()
			_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
			if tc.raw != "" {
				_, _ = io.WriteString(nc, tc.raw)
				_, _ = io.ReadAll(nc)
			} else {
				tc.client.ServerName = "localhost"
				g.Expect(tls.Client(nc, tc.client).Handshake()).NotTo(Succeed())
			}
			g.Eventually(tc.proxy.metricFunc(t, MetricHandshakeErrors, "reason", tc.want), 10*time.Second).Should(Equal(before + 1))
		})
	}
	// A TCP connect-and-close (a health check) is not a handshake failure.
	g := NewWithT(t)
	nc, err := net.Dial("tcp", plain.Addr().String())
	g.Expect(err).NotTo(HaveOccurred())
	nc.Close()
	g.Eventually(plain.metricFunc(t, MetricConnectionsActive), 10*time.Second).Should(BeZero())
	g.Expect(plain.metric(t, MetricHandshakeErrors, "reason", wssv1.ReasonConnectionReset)).To(BeZero())
	g.Expect(plain.metric(t, MetricHandshakeErrors, "reason", wssv1.ReasonUnknown)).To(BeZero())
	g.Expect(strings.Count(plain.logs.String(), "PRIVATE KEY")).To(BeZero())
}
