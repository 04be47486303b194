package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/wss-operator/wss-operator/internal/tlsnames"
)

// errHandshakeAborted marks handshakes cut short by the proxy's own shutdown.
var errHandshakeAborted = errors.New("handshake aborted: proxy shutting down")

// Proxy is a TLS-terminating reverse proxy for one plain WebSocket/HTTP
// backend. Create it with New, serve with Run.
type Proxy struct {
	cfg     Config
	log     logr.Logger
	metrics *metrics
	// handshakes logs real clients' failed handshakes (GET /handshakes).
	handshakes *handshakeLog
	baseTLS    *tls.Config // policy from Config; cloned per certificate pair
	// serverTLS is what every handshake starts with: it picks the current
	// pair's config. One shared instance keeps session tickets valid
	// across certificate reloads.
	serverTLS *tls.Config

	cert              atomic.Pointer[certState]
	reloadMu          sync.Mutex
	lastReloadFailure string

	ln      net.Listener // TLS port (raw TCP; handshakes are ours)
	adminLn net.Listener // nil when disabled
	queue   *connQueue   // handshaken connections handed to httpSrv
	httpSrv *http.Server
	handler *handler

	slots    chan struct{} // connection cap; nil means no cap
	stopping atomic.Bool   // stopped accepting (draining or closed)
	stopCtx  context.Context
	stop     context.CancelFunc

	mu    sync.Mutex
	conns map[*rawConn]struct{}
	// releaseFn is p.releaseConn, made once for every rawConn to share.
	releaseFn func(*rawConn)
	ws        map[*wsConn]struct{}
	wsWG      sync.WaitGroup // one per WebSocket from beginUpgrade to untrackWS
	// first holds the connections in their first request (serveFirst),
	// firstWG counts them.
	first   map[*firstConn]struct{}
	firstWG sync.WaitGroup
	// forced is set (under mu) when the drain timed out and closes everything.
	forced bool
	ran    atomic.Bool
}

// New checks cfg, loads the initial certificate pair (failing with an error
// that names the file when the directory holds no valid pair) and binds the
// listeners, so Addr and AdminAddr are known before Run.
func New(cfg Config) (*Proxy, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("proxy config: %w", err)
	}
	clientAuth, _ := ParseClientAuth(cfg.ClientAuth)
	p := &Proxy{
		cfg:   cfg,
		log:   cfg.Logger,
		conns: map[*rawConn]struct{}{},
		ws:    map[*wsConn]struct{}{},
		first: map[*firstConn]struct{}{},

		handshakes: newHandshakeLog(time.Now()),
	}
	p.baseTLS = &tls.Config{
		MinVersion:       cfg.MinVersion,
		MaxVersion:       cfg.maxVersion,
		CipherSuites:     cfg.CipherSuites,
		CurvePreferences: cfg.Curves,
		// http/1.0 for clients that offer nothing else (curl --http1.0);
		// net/http serves both.
		NextProtos: []string{"http/1.1", "http/1.0"},
		ClientAuth: clientAuth,
	}
	p.serverTLS = &tls.Config{GetConfigForClient: p.configForClient}
	st, err := loadCertState(cfg.CertDir, p.baseTLS, time.Now())
	if err != nil {
		return nil, fmt.Errorf("loading certificate: %w", err)
	}
	p.cert.Store(st)
	if p.metrics, err = newMetrics(cfg.Registry); err != nil {
		return nil, fmt.Errorf("registering metrics: %w", err)
	}
	p.metrics.expiry.Set(float64(st.leaf.NotAfter.Unix()))
	if cfg.MaxConnections > 0 {
		p.slots = make(chan struct{}, cfg.MaxConnections)
	}
	if p.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	if cfg.AdminListen != AdminDisabled {
		if p.adminLn, err = net.Listen("tcp", cfg.AdminListen); err != nil {
			p.ln.Close()
			return nil, fmt.Errorf("admin listen %s: %w", cfg.AdminListen, err)
		}
	}
	p.stopCtx, p.stop = context.WithCancel(context.Background())
	p.releaseFn = p.releaseConn
	p.queue = newConnQueue(p.ln.Addr())
	p.handler = newHandler(p)
	p.httpSrv = &http.Server{
		Handler:           p.handler,
		ReadHeaderTimeout: cfg.HeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// HTTP/2 is not offered (ALPN is http/1.1 only); an empty map keeps
		// net/http from configuring it.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     log.New(logrWriter{p.log.WithName("http").V(1)}, "", 0),
		ConnContext:  connContext,
	}
	return p, nil
}

// Addr is the TLS listener's address.
func (p *Proxy) Addr() net.Addr { return p.ln.Addr() }

// AdminAddr is the admin listener's address, nil when disabled.
func (p *Proxy) AdminAddr() net.Addr {
	if p.adminLn == nil {
		return nil
	}
	return p.adminLn.Addr()
}

// Run serves until ctx is cancelled, then drains: it stops accepting, sends
// every WebSocket client a close frame with code 1001 at a frame boundary
// (and the backend a masked one), lets in-flight HTTP requests finish, waits
// up to DrainTimeout for all of that, closes what remains and returns nil.
// It returns an error only when it cannot serve at all.
func (p *Proxy) Run(ctx context.Context) error {
	if !p.ran.CompareAndSwap(false, true) {
		return errors.New("proxy: Run called twice")
	}
	runCtx, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	var bg sync.WaitGroup
	bg.Go(func() { p.watchCerts(runCtx) })
	var admin *http.Server
	if p.adminLn != nil {
		admin = p.newAdminServer()
		bg.Go(func() { _ = admin.Serve(p.adminLn) })
	}
	bg.Go(func() { _ = p.httpSrv.Serve(p.queue) })
	acceptDone := make(chan struct{})
	go func() { defer close(acceptDone); p.acceptLoop() }()
	p.log.Info("serving", "listen", p.Addr().String(), "admin", addrString(p.AdminAddr()),
		"backend", p.cfg.Backend, "sha256", p.cert.Load().sha256)

	<-ctx.Done()
	p.drain()
	<-acceptDone
	cancelRun()
	if admin != nil {
		_ = admin.Close()
	}
	bg.Wait()
	return nil
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// acceptLoop accepts TCP connections and handshakes each in its own
// goroutine, until the listener is closed.
func (p *Proxy) acceptLoop() {
	var backoff time.Duration
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if p.stopping.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off, keep serving.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			p.log.Error(err, "accept failed; retrying", "in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		p.metrics.total.Inc()
		if p.slots != nil {
			select {
			case p.slots <- struct{}{}:
			default:
				p.metrics.rejected.Inc()
				p.log.V(1).Info("connection cap reached; closing new connection", "clientPrefix", clientPrefix(c.RemoteAddr()), "max", p.cfg.MaxConnections)
				_ = c.Close()
				continue
			}
		}
		rc := newRawConn(c, p.releaseFn)
		if !p.trackConn(rc) {
			_ = rc.Close()
			continue
		}
		go p.handshake(rc)
	}
}

// trackConn records an accepted connection; it returns false when the
// proxy stopped accepting meanwhile (the caller closes the connection, which
// undoes the accounting).
func (p *Proxy) trackConn(rc *rawConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns[rc] = struct{}{}
	p.metrics.active.Inc()
	return !p.stopping.Load()
}

// releaseConn is called exactly once per accepted connection, when it closes.
func (p *Proxy) releaseConn(rc *rawConn) {
	p.mu.Lock()
	delete(p.conns, rc)
	p.mu.Unlock()
	p.metrics.active.Dec()
	if p.slots != nil {
		<-p.slots
	}
}

// handshake runs the TLS handshake under HandshakeTimeout, counts a failure
// by reason, and serves a good connection's first request (serveFirst).
func (p *Proxy) handshake(rc *rawConn) {
	tc := tls.Server(rc, p.serverTLS)
	_ = rc.SetDeadline(time.Now().Add(p.cfg.HandshakeTimeout))
	err := tc.HandshakeContext(p.stopCtx)
	if err != nil && p.stopCtx.Err() != nil {
		err = fmt.Errorf("%w: %w", errHandshakeAborted, err)
	}
	if err != nil {
		p.handshakeFailed(rc, err)
		_ = rc.Close()
		return
	}
	_ = rc.SetWriteDeadline(time.Time{})
	rc.hello.Store(nil)
	p.serveFirst(tc, rc)
}

func (p *Proxy) configForClient(chi *tls.ClientHelloInfo) (*tls.Config, error) {
	st := p.cert.Load()
	noteClientHello(chi, st)
	return st.config, nil
}

func (p *Proxy) handshakeFailed(rc *rawConn, err error) {
	reason := classifyHandshakeError(err, rc.gotBytes())
	var rhe tls.RecordHeaderError
	if errors.As(err, &rhe) && rhe.Conn != nil && looksLikeHTTP(rhe.RecordHeader) {
		// A plain-HTTP client on the TLS port: tell it, as net/http does.
		_ = rc.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = io.WriteString(rc.Conn, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
	}
	if reason == "" {
		p.log.V(2).Info("connection closed before a TLS handshake", "clientPrefix", clientPrefix(rc.RemoteAddr()), "error", err.Error())
		return
	}
	if hello := rc.hello.Load(); hello != nil && !slices.Contains(hello.info.SupportedProtos, tlsnames.ProbeALPN) {
		// A real client's attempt (not wss-operator's own probe): sharpen
		// the reason with what it offered and keep it for /handshakes.
		var ex HandshakeExample
		reason, ex = refineFailure(reason, err, hello, rc.RemoteAddr(), time.Now())
		p.handshakes.add(reason, ex)
	}
	p.metrics.handshakeErrors.WithLabelValues(reason).Inc()
	p.log.V(1).Info("TLS handshake failed", "clientPrefix", clientPrefix(rc.RemoteAddr()), "reason", reason, "error", err.Error())
}

func looksLikeHTTP(hdr [5]byte) bool {
	switch string(hdr[:]) {
	case "GET /", "HEAD ", "POST ", "PUT /", "OPTIO", "DELET", "PATCH", "CONNE":
		return true
	}
	return false
}

// beginUpgrade reserves a place for a WebSocket that is about to be
// spliced, before net/http lets go of the connection (a hijacked connection
// is no longer tracked by http.Server.Shutdown, so drain must know of it
// already). It returns false when the proxy is shutting down. fc, when not
// nil, is the lean path's connection: it leaves the first-request set in
// the same step (so that the drain sees it in exactly one of the two).
func (p *Proxy) beginUpgrade(fc *firstConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping.Load() {
		return false
	}
	p.wsWG.Add(1)
	if fc != nil {
		delete(p.first, fc)
		p.firstWG.Done()
	}
	return true
}

// abortUpgrade gives back a place reserved by beginUpgrade.
func (p *Proxy) abortUpgrade() { p.wsWG.Done() }

// trackWS registers a spliced WebSocket (after beginUpgrade); one that
// arrives while draining is drained at once, one that arrives after the
// drain gave up is closed.
func (p *Proxy) trackWS(ws *wsConn) {
	p.mu.Lock()
	p.ws[ws] = struct{}{}
	draining, forced := p.stopping.Load(), p.forced
	p.mu.Unlock()
	switch {
	case forced:
		ws.forceClose()
	case draining:
		ws.drain()
	}
}

func (p *Proxy) untrackWS(ws *wsConn) {
	p.mu.Lock()
	delete(p.ws, ws)
	p.mu.Unlock()
	p.wsWG.Done()
}

// drain stops accepting, asks every WebSocket to close with 1001, lets
// in-flight HTTP requests finish, and waits up to DrainTimeout before
// closing everything that is left.
func (p *Proxy) drain() {
	start := time.Now()
	p.mu.Lock()
	p.stopping.Store(true)
	wss := make([]*wsConn, 0, len(p.ws))
	for ws := range p.ws {
		wss = append(wss, ws)
	}
	fcs := make([]*firstConn, 0, len(p.first))
	for fc := range p.first {
		fcs = append(fcs, fc)
	}
	p.mu.Unlock()
	_ = p.ln.Close()
	p.stop() // abort handshakes in progress
	p.log.Info("draining", "websockets", len(wss), "timeout", p.cfg.DrainTimeout)
	for _, ws := range wss {
		ws.drain()
	}
	p.drainFirst(fcs)
	// Idle keep-alive connections close now, and no response keeps its
	// connection alive from here on, as under Shutdown.
	p.httpSrv.SetKeepAlivesEnabled(false)
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.DrainTimeout)
	defer cancel()
	httpDone := make(chan struct{})
	go func() {
		defer close(httpDone)
		// A connection still in its first request goes to net/http when
		// it is not a WebSocket upgrade: Shutdown (which closes the queue)
		// waits for those hand-overs.
		firstDone := make(chan struct{})
		go func() { defer close(firstDone); p.firstWG.Wait() }()
		select {
		case <-firstDone:
		case <-ctx.Done():
		}
		_ = p.httpSrv.Shutdown(ctx)
	}()
	wsDone := make(chan struct{})
	go func() { defer close(wsDone); p.wsWG.Wait() }()
	timedOut := false
	for _, ch := range []chan struct{}{httpDone, wsDone} {
		select {
		case <-ch:
		case <-ctx.Done():
			timedOut = true
		}
	}
	_ = p.httpSrv.Close()
	p.mu.Lock()
	p.forced = true
	wss = wss[:0]
	for ws := range p.ws {
		wss = append(wss, ws)
	}
	rcs := make([]*rawConn, 0, len(p.conns))
	for rc := range p.conns {
		rcs = append(rcs, rc)
	}
	p.mu.Unlock()
	// Closing takes p.mu (releaseConn, untrackWS): not under the lock.
	for _, ws := range wss {
		ws.forceClose()
	}
	for _, rc := range rcs {
		_ = rc.Close()
	}
	left := len(wss)
	select {
	case <-wsDone:
	case <-time.After(time.Second):
	}
	p.log.Info("drained", "took", time.Since(start).Round(time.Millisecond), "timedOut", timedOut, "forceClosedWebsockets", left)
}

// logrWriter adapts net/http's error log to logr.
type logrWriter struct{ log logr.Logger }

func (w logrWriter) Write(b []byte) (int, error) {
	w.log.Info(string(trimNewline(b)))
	return len(b), nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// connQueue is a net.Listener that yields connections the proxy accepted
// and handshook itself, so net/http serves them.
type connQueue struct {
	addr   net.Addr
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newConnQueue(addr net.Addr) *connQueue {
	return &connQueue{addr: addr, ch: make(chan net.Conn), closed: make(chan struct{})}
}

func (q *connQueue) push(c net.Conn) bool {
	select {
	case <-q.closed:
		return false
	default:
	}
	select {
	case q.ch <- c:
		return true
	case <-q.closed:
		return false
	}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.closed:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.closed) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return q.addr }
