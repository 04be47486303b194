package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// handler serves requests that arrived over TLS: WebSocket upgrades are
// spliced by the proxy itself, everything else goes through a reverse
// proxy with a shared, keep-alive Transport.
type handler struct {
	p      *Proxy
	dialer *net.Dialer
	rp     *httputil.ReverseProxy
}

func newHandler(p *Proxy) *handler {
	h := &handler{p: p, dialer: &net.Dialer{Timeout: p.cfg.BackendTimeout, KeepAlive: 15 * time.Second}}
	transport := &http.Transport{
		DialContext:           h.dialCounting,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       p.cfg.IdleTimeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
	backend := &url.URL{Scheme: "http", Host: p.cfg.Backend}
	h.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(backend)
			pr.Out.Host = pr.In.Host
			pr.Out.Header[hdrXForwardedFor] = []string{forwardedFor(pr.In.Header.Values(hdrXForwardedFor), pr.In.RemoteAddr)}
			pr.Out.Header.Set(hdrXForwardedHost, pr.In.Host)
			pr.Out.Header.Set(hdrXForwardedProto, "https")
			pr.Out.Header.Del(hdrClientCert)
			if v := clientCertValue(pr.In.TLS); v != "" {
				pr.Out.Header.Set(hdrClientCert, v)
			}
		},
		Transport:    transport,
		BufferPool:   httpBufferPool{},
		ErrorHandler: h.proxyError,
		ErrorLog:     log.New(logrWriter{p.log.WithName("http").V(1)}, "", 0),
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isWebSocketUpgrade(r) {
		h.serveUpgrade(w, r)
		return
	}
	// Only WebSocket upgrades are proxied as such; a request for any other
	// protocol (h2c, ...) goes to the backend as an ordinary request.
	r.Header.Del("Upgrade")
	h.rp.ServeHTTP(w, r)
}

func (h *handler) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client went away; nobody to answer
	}
	h.p.log.V(1).Info("backend request failed", "method", r.Method, "path", r.URL.Path, "error", err.Error())
	badGateway(w)
}

func badGateway(w http.ResponseWriter) {
	http.Error(w, "502 Bad Gateway: the WebSocket/HTTP server behind the TLS proxy is not reachable", http.StatusBadGateway)
}

// dialCounting dials the backend for the reverse proxy and counts the bytes.
func (h *handler) dialCounting(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := h.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, in: h.p.metrics.bytesB2C, out: h.p.metrics.bytesC2B}, nil
}

// serveUpgrade forwards a WebSocket upgrade: it dials the backend, sends the
// rewritten request head, reads the backend's answer, and on 101 relays it,
// takes the client connection over from net/http and splices the two.
// Any other answer is relayed as an ordinary response. For a first request
// the lean path handed over (serveFirst), the backend's answer is there
// already.
func (h *handler) serveUpgrade(w http.ResponseWriter, r *http.Request) {
	p := h.p
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		http.Error(w, "400 Bad Request: a WebSocket upgrade request has no body", http.StatusBadRequest)
		return
	}
	var a *backendAnswer
	if fc := firstConnOf(r); fc != nil {
		a = fc.takeAnswer()
	}
	if a == nil {
		asked := h.askBackend(r.Context(), r)
		a = &asked
	}
	if a.err != nil {
		h.proxyError(w, r, a.err)
		return
	}
	spliced := false
	defer func() {
		if !spliced {
			a.release()
		}
	}()
	resp := a.resp
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		h.relay(w, resp)
		return
	}
	if !a.spliceable() {
		h.proxyError(w, r, errors.New("backend answered 101 without Upgrade: websocket"))
		return
	}
	if !p.beginUpgrade(nil) {
		http.Error(w, "503 Service Unavailable: the proxy is shutting down", http.StatusServiceUnavailable)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		p.abortUpgrade()
		h.proxyError(w, r, err)
		return
	}
	clientEarly := buffered(brw.Reader)
	if fc, ok := conn.(*firstConn); ok {
		// What net/http had not yet read of the replayed bytes follows
		// what its reader holds.
		clientEarly = append(clientEarly, fc.rest...)
		fc.rest = nil
		conn = fc.Conn
	}
	tc, ok := conn.(*tls.Conn)
	var raw *rawConn
	if ok {
		raw, ok = tc.NetConn().(*rawConn)
	}
	if !ok {
		p.abortUpgrade()
		_ = conn.Close()
		return
	}
	spliced = true
	p.splice(tc, raw, a, clientEarly)
}

// relay answers the client with the backend's non-101 response to an upgrade.
func (h *handler) relay(w http.ResponseWriter, resp *http.Response) {
	copyResponseHeaders(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	buf := getBuf()
	defer putBuf(buf)
	_, _ = io.CopyBuffer(w, resp.Body, *buf)
}

// buffered returns a copy of what br holds beyond what was consumed.
func buffered(br *bufio.Reader) []byte {
	n := br.Buffered()
	if n == 0 {
		return nil
	}
	b, _ := br.Peek(n)
	return bytes.Clone(b)
}

// httpBufferPool lends the shared copy buffers to httputil.ReverseProxy.
type httpBufferPool struct{}

func (httpBufferPool) Get() []byte { return *getBuf() }
func (httpBufferPool) Put(b []byte) {
	if cap(b) == bufSize {
		b = b[:bufSize]
		putBuf(&b)
	}
}

// countingConn counts the bytes exchanged with the backend.
type countingConn struct {
	net.Conn
	in, out prometheus.Counter
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.Add(float64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.out.Add(float64(n))
	return n, err
}

type countingReader struct {
	r io.Reader
	c prometheus.Counter
}

func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.c.Add(float64(n))
	return n, err
}
