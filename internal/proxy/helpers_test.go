package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wss-operator/wss-operator/internal/wsframe"
	"github.com/wss-operator/wss-operator/internal/wstest"
)

// testBackend is a plain ws:// + HTTP server on loopback, built on
// coder/websocket: the thing users put the proxy in front of.
type testBackend struct {
	addr     string
	closes   chan websocket.StatusCode // close codes the backend's WebSocket reads ended with
	upgrades chan http.Header          // headers of upgrade requests
	messages chan []byte               // messages the echo handler received
}

func startBackend(t testing.TB) *testBackend {
	t.Helper()
	b := &testBackend{closes: make(chan websocket.StatusCode, 4096), upgrades: make(chan http.Header, 4096), messages: make(chan []byte, 4096)}
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", b.echo)
	mux.HandleFunc("/big", b.big)
	// /drop completes the upgrade and then closes the TCP connection at once.
	mux.HandleFunc("/drop", func(w http.ResponseWriter, r *http.Request) {
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		_, _ = c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: " + wsframe.AcceptKey(r.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n"))
		c.Close()
	})
	mux.HandleFunc("/reject", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "go away", http.StatusForbidden)
	})
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{
			"host": r.Host, "xff": r.Header.Get(hdrXForwardedFor), "proto": r.Header.Get(hdrXForwardedProto),
			"xfh": r.Header.Get(hdrXForwardedHost), "xfcc": r.Header.Get(hdrClientCert), "upgrade": r.Header.Get("Upgrade"),
		})
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		d, _ := time.ParseDuration(r.URL.Query().Get("d"))
		time.Sleep(d)
		_, _ = w.Write([]byte("done"))
	})
	mux.HandleFunc("/body", func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(r.Body)
		_, _ = w.Write(buf.Bytes())
	})
	b.addr = wstest.ServeHTTP(t, mux)
	return b
}

func (b *testBackend) accept(w http.ResponseWriter, r *http.Request) *websocket.Conn {
	select {
	case b.upgrades <- r.Header.Clone():
	default:
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:    []string{"chat.v2", "chat.v1"},
		CompressionMode: websocket.CompressionContextTakeover,
	})
	if err != nil {
		return nil
	}
	c.SetReadLimit(64 << 20)
	return c
}

// echo echoes (wstest.Echo), recording each message and the close code.
func (b *testBackend) echo(w http.ResponseWriter, r *http.Request) {
	c := b.accept(w, r)
	if c == nil {
		return
	}
	wstest.Echo{
		OnMessage: func(msg []byte) bool {
			select {
			case b.messages <- msg:
			default:
			}
			return true
		},
		OnClose: func(code websocket.StatusCode) { b.closes <- code },
	}.Serve(context.Background(), c)
}

// big sends one message of ?n= bytes in a single frame, then reads.
func (b *testBackend) big(w http.ResponseWriter, r *http.Request) {
	c := b.accept(w, r)
	if c == nil {
		return
	}
	defer c.CloseNow()
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	if err := c.Write(context.Background(), websocket.MessageBinary, pattern(n)); err != nil {
		return
	}
	for {
		if _, _, err := c.Read(context.Background()); err != nil {
			b.closes <- websocket.CloseStatus(err)
			return
		}
	}
}

func pattern(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i>>8)
	}
	return p
}

// logBuffer collects log lines of a proxy under test.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) logger() logr.Logger {
	return funcr.NewJSON(func(obj string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.buf.WriteString(obj)
		l.buf.WriteByte('\n')
	}, funcr.Options{Verbosity: 2})
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type testProxy struct {
	*Proxy
	reg    *prometheus.Registry
	logs   *logBuffer
	cancel context.CancelFunc
	done   chan error
}

// startProxy runs a proxy on loopback ports until the test ends.
// stop cancels the proxy's context and waits up to d for Run to return:
// whether it returned, and its error.
func (p *testProxy) stop(d time.Duration) (returned bool, err error) {
	p.cancel()
	select {
	case err := <-p.done:
		return true, err
	case <-time.After(d):
		return false, nil
	}
}

func startProxy(t testing.TB, cfg Config) *testProxy {
	t.Helper()
	return startProxyWith(t, cfg, nil)
}

// startProxyWith is startProxy with a hook that sees the proxy before Run.
func startProxyWith(t testing.TB, cfg Config, before func(*Proxy)) *testProxy {
	t.Helper()
	logs := &logBuffer{}
	cfg.Listen = "127.0.0.1:0"
	if cfg.AdminListen == "" {
		cfg.AdminListen = "127.0.0.1:0"
	}
	cfg.Logger = logs.logger()
	cfg.Registry = prometheus.NewRegistry()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tp := &testProxy{Proxy: p, reg: cfg.Registry, logs: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { tp.done <- p.Run(ctx) }()
	t.Cleanup(func() {
		switch returned, err := tp.stop(30 * time.Second); {
		case !returned:
			t.Error("proxy did not stop")
		case err != nil:
			t.Logf("proxy stopped: %v", err)
		}
	})
	return tp
}

// certSetup is a CA and a directory with a valid pair it issued.
type certSetup struct {
	ca   *testCA
	dir  string
	cert []byte
}

func newCertSetup(t testing.TB, kube bool) *certSetup {
	t.Helper()
	ca := newTestCA(t, "test CA")
	crt, key := ca.issue(t, leafOpts{})
	dir := t.TempDir()
	files := map[string][]byte{certFile: crt, keyFile: key, caFile: ca.pem}
	if kube {
		secretDir(t, dir, files)
	} else {
		plainDir(t, dir, files)
	}
	return &certSetup{ca: ca, dir: dir, cert: crt}
}

// startEnv starts what most tests need: the test backend, a fresh CA's pair
// (in the Kubernetes Secret layout if kube) and a proxy in front of the
// backend serving that pair, cfg with Backend and CertDir filled in.
func startEnv(t testing.TB, kube bool, cfg Config) (*testBackend, *certSetup, *testProxy) {
	t.Helper()
	be := startBackend(t)
	cs := newCertSetup(t, kube)
	cfg.Backend, cfg.CertDir = be.addr, cs.dir
	return be, cs, startProxy(t, cfg)
}

// testContext is a context that ends after d, or with the test.
func testContext(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// dialEcho opens a WebSocket to the backend's /echo through the proxy,
// failing the test if it cannot; it is closed at the end of the test.
func dialEcho(t testing.TB, ctx context.Context, p *testProxy, roots *x509.CertPool) *websocket.Conn {
	t.Helper()
	c, _, err := dialWS(ctx, p, "/echo", roots, nil)
	if err != nil {
		t.Fatalf("dialing /echo: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func wsURL(p *testProxy, path string) string {
	return "wss://" + p.Addr().String() + path
}

// dialWS opens a WebSocket through the proxy with a fresh TLS client.
func dialWS(ctx context.Context, p *testProxy, path string, roots *x509.CertPool, opts *websocket.DialOptions) (*websocket.Conn, *http.Response, error) {
	if opts == nil {
		opts = &websocket.DialOptions{}
	}
	tlsCfg := &tls.Config{RootCAs: roots}
	if opts.HTTPClient != nil {
		tlsCfg = opts.HTTPClient.Transport.(*http.Transport).TLSClientConfig
	}
	opts.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	c, resp, err := websocket.Dial(ctx, wsURL(p, path), opts)
	if c != nil {
		c.SetReadLimit(64 << 20)
	}
	return c, resp, err
}

// wsKey is the Sec-WebSocket-Key of the hand-rolled upgrades (the example
// of RFC 6455 section 1.3).
const wsKey = "dGhlIHNhbXBsZSBub25jZQ=="

// testMask is the masking key of the tests' hand-built client frames.
var testMask = [4]byte{0xa1, 0xb2, 0xc3, 0xd4}

// rawWS is a hand-rolled WebSocket client, for byte-exact control of frames.
type rawWS struct {
	conn *tls.Conn
	br   *bufio.Reader
}

// dialRawWS upgrades a fresh TLS connection to the proxy at path.
func dialRawWS(t *testing.T, p *testProxy, roots *x509.CertPool, path string) *rawWS {
	t.Helper()
	c, err := tls.Dial("tcp", p.Addr().String(), &tls.Config{RootCAs: roots, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	_, err = io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "+wsKey+"\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != wsframe.AcceptKey(wsKey) {
		t.Fatalf("upgrade: %s %v", resp.Status, resp.Header)
	}
	return &rawWS{conn: c, br: br}
}

// readFrame reads one frame (from the backend, so unmasked).
func (r *rawWS) readFrame() (opcode byte, payload []byte, err error) {
	h, err := wsframe.ReadHeader(r.br, 64<<20)
	if err != nil {
		return 0, nil, err
	}
	payload = make([]byte, h.Length)
	_, err = io.ReadFull(r.br, payload)
	return h.Opcode, payload, err
}

// clientFrame is a final client frame, masked with testMask.
func clientFrame(opcode byte, payload []byte) []byte {
	return wsframe.Frame(opcode, payload, &testMask)
}

func httpsClient(roots *x509.CertPool) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}, Timeout: 20 * time.Second}
}

// metric reads one sample of the proxy's metric name; labels are label
// name, value pairs that select it.
func (p *testProxy) metric(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	if len(labels)%2 != 0 {
		t.Fatalf("metric %s: labels %q are not name, value pairs", name, labels)
	}
	sel := map[string]string{}
	for i := 0; i < len(labels); i += 2 {
		sel[labels[i]] = labels[i+1]
	}
	return metricValue(t, p.reg, name, sel)
}

// metricFunc is metric as a function, for Eventually and Consistently.
func (p *testProxy) metricFunc(t testing.TB, name string, labels ...string) func() float64 {
	return func() float64 { return p.metric(t, name, labels...) }
}

// metricValue reads one sample from the registry; labels select it.
func metricValue(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

// echoOnce sends msg and expects it back.
func echoOnce(ctx context.Context, c *websocket.Conn, msg []byte) error {
	if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
		return err
	}
	_, got, err := c.Read(ctx)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return errors.New("echo mismatch")
	}
	return nil
}

// parkedPumps counts splice directions parked without a goroutine.
func parkedPumps(p *testProxy) int {
	return countPumps(p, func(pu *pump) bool { return pu.state.Load() == pumpParked })
}

// countPumps counts the splice directions of p's WebSockets for which f
// is true.
func countPumps(p *testProxy, f func(*pump) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for ws := range p.ws {
		for i := range ws.pumps {
			if f(&ws.pumps[i]) {
				n++
			}
		}
	}
	return n
}

func pumpStates(p *testProxy) []int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var s []int32
	for ws := range p.ws {
		for i := range ws.pumps {
			s = append(s, ws.pumps[i].state.Load())
		}
	}
	return s
}
