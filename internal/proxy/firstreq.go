package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// The lean first request: after the TLS handshake the proxy reads the
// connection's first request head itself. A well-formed WebSocket upgrade
// that the backend accepts is spliced right away, without net/http's
// per-connection server state (goroutine, bufio writer, context, response,
// Hijack). Everything else (another request, a malformed or oversized
// head, a head with a body, a backend's refusal or failure, a drain) goes
// to http.Server exactly as before: the connection it serves is a
// firstConn, which replays the bytes already read, and for an upgrade the
// backend's answer already fetched is relayed by serveUpgrade.

// drainNewConnGrace is how long a connection may wait for (or be in) its
// first request head once the proxy drains: net/http's Shutdown closes a
// connection still in StateNew after 5 seconds, and the lean path keeps
// that rule.
const drainNewConnGrace = 5 * time.Second

// firstConn is a handshaken client connection during its first request,
// and the net.Conn net/http serves when that request goes to it.
type firstConn struct {
	*tls.Conn
	// handed is when the connection was ready for its first request
	// (unix nanoseconds), for the drain's grace.
	handed int64
	// rest is what the proxy read and net/http has not yet: Read returns
	// it before reading on. Only the reading goroutine touches it.
	rest []byte
	// answer is the backend's answer to the replayed upgrade request, for
	// serveUpgrade to relay instead of asking again (nil when not asked).
	answer atomic.Pointer[backendAnswer]
	// head is the reader the head is parsed from (kept here, not
	// allocated per connection).
	head bytes.Reader
}

func (c *firstConn) Read(b []byte) (int, error) {
	if len(c.rest) > 0 {
		n := copy(b, c.rest)
		c.rest = c.rest[n:]
		if len(c.rest) == 0 {
			c.rest = nil
		}
		return n, nil
	}
	return c.Conn.Read(b)
}

// Close also gives back a backend answer net/http never asked for.
func (c *firstConn) Close() error {
	if a := c.answer.Swap(nil); a != nil {
		a.release()
	}
	return c.Conn.Close()
}

// takeAnswer returns the backend's prepared answer once.
func (c *firstConn) takeAnswer() *backendAnswer { return c.answer.Swap(nil) }

// firstConnKey is the context key under which net/http's per-connection
// context holds the *firstConn it serves.
type firstConnKey struct{}

// connContext is http.Server.ConnContext: it lets the handler find the
// firstConn behind a request (net/http sets Request.TLS only for a bare
// *tls.Conn).
func connContext(ctx context.Context, c net.Conn) context.Context {
	if fc, ok := c.(*firstConn); ok {
		return context.WithValue(ctx, firstConnKey{}, fc)
	}
	return ctx
}

func firstConnOf(r *http.Request) *firstConn {
	fc, _ := r.Context().Value(firstConnKey{}).(*firstConn)
	return fc
}

// backendAnswer is the backend's answer to an upgrade request: its
// connection, the reader holding its response and the response, or why
// there is none.
type backendAnswer struct {
	bc   net.Conn
	br   *bufio.Reader
	resp *http.Response
	err  error
}

// release closes the backend connection and gives back the reader.
func (a *backendAnswer) release() {
	if a.br != nil {
		putReader(a.br)
		a.br = nil
	}
	if a.bc != nil {
		_ = a.bc.Close()
		a.bc = nil
	}
}

// askBackend dials the backend, sends r's rewritten upgrade head and reads
// the response head, all under BackendTimeout. On error everything it got
// is released already.
func (h *handler) askBackend(ctx context.Context, r *http.Request) backendAnswer {
	p := h.p
	bc, err := h.dialer.DialContext(ctx, "tcp", p.cfg.Backend) // the dialer's Timeout is BackendTimeout
	if err != nil {
		return backendAnswer{err: err}
	}
	_ = bc.SetDeadline(time.Now().Add(p.cfg.BackendTimeout))
	n, err := bc.Write(upgradeRequestHead(r))
	p.metrics.bytesC2B.Add(float64(n))
	if err != nil {
		_ = bc.Close()
		return backendAnswer{err: err}
	}
	br := getReader(countingReader{r: bc, c: p.metrics.bytesB2C})
	resp, err := http.ReadResponse(br, r) //nolint:bodyclose // the caller closes it (a 101 has none)
	if err != nil {
		putReader(br)
		_ = bc.Close()
		return backendAnswer{err: err}
	}
	return backendAnswer{bc: bc, br: br, resp: resp}
}

// spliceable reports whether the backend accepted the upgrade.
func (a *backendAnswer) spliceable() bool {
	return a.err == nil && a.resp.StatusCode == http.StatusSwitchingProtocols && headerHasToken(a.resp.Header, "Upgrade", "websocket")
}

// splice relays the backend's 101 to the client and starts the WebSocket;
// the caller has reserved its place with beginUpgrade. It owns tc and a's
// connection from here on.
func (p *Proxy) splice(tc *tls.Conn, raw *rawConn, a *backendAnswer, clientEarly []byte) {
	backendEarly := buffered(a.br)
	putReader(a.br)
	bc := a.bc
	_ = bc.SetDeadline(time.Time{})
	_ = tc.SetWriteDeadline(time.Now().Add(p.cfg.HeaderTimeout))
	if _, err := tc.Write(switchingHead(a.resp)); err != nil {
		p.abortUpgrade()
		_ = tc.Close()
		_ = bc.Close()
		return
	}
	_ = tc.SetWriteDeadline(time.Time{})
	ws := newWSConn(p, tc, raw, bc)
	p.trackWS(ws)
	ws.start(clientEarly, backendEarly)
}

// serveFirst reads the first request head of a handshaken connection and
// serves it when it is a WebSocket upgrade the backend accepts; it hands
// the connection to net/http otherwise.
func (p *Proxy) serveFirst(tc *tls.Conn, rc *rawConn) {
	fc := &firstConn{Conn: tc, handed: time.Now().UnixNano()}
	_ = tc.SetReadDeadline(time.Unix(0, fc.handed).Add(p.cfg.HeaderTimeout))
	if !p.beginFirst(fc) {
		// Draining already: like a connection net/http has not read from.
		_ = tc.Close()
		return
	}
	br := getReader(tc)
	buf, end, err := readFirst(br)
	if err != nil && (len(buf) == 0 || isTimeout(err)) {
		// Nothing arrived (closed, timed out, or timed out by the drain),
		// or the head timed out: net/http closes such a connection
		// without a word.
		putReader(br)
		p.endFirst(fc)
		_ = tc.Close()
		return
	}
	var req *http.Request
	if end > 0 {
		req = fc.parseLean(buf[:end])
	}
	if req == nil {
		p.handOver(fc, br, buf)
		return
	}
	// A complete, well-formed WebSocket upgrade without body.
	_ = tc.SetReadDeadline(time.Time{})
	if p.baseTLS.ClientAuth != tls.NoClientCert {
		// Only the verified client certificate is taken from it
		// (upgradeRequestHead); the copy is not made for nothing.
		cs := tc.ConnectionState()
		req.TLS = &cs
	}
	req.RemoteAddr = rc.RemoteAddr().String()
	a := p.handler.askBackend(context.Background(), req)
	if a.spliceable() && p.beginUpgrade(fc) {
		var clientEarly []byte
		if len(buf) > end {
			clientEarly = bytes.Clone(buf[end:])
		}
		putReader(br)
		p.splice(tc, rc, &a, clientEarly)
		return
	}
	// Refused, failed or draining: net/http answers the replayed request
	// with this answer, as it would have.
	fc.answer.Store(&a)
	p.handOver(fc, br, buf)
}

// readFirst reads into br until it holds a whole request head. It returns
// what br holds (aliasing br's buffer), the head's length in it (0 when
// incomplete: too long for br, or cut short by err) and the read error.
func readFirst(br *bufio.Reader) (buf []byte, end int, err error) {
	for {
		buf, _ = br.Peek(br.Buffered())
		if end = headEnd(buf); end > 0 || len(buf) == br.Size() {
			return buf, end, nil
		}
		if _, err = br.Peek(len(buf) + 1); err != nil {
			buf, _ = br.Peek(br.Buffered())
			return buf, 0, err
		}
	}
}

// headEnd is the length of the request head at the start of b (through its
// empty line), 0 when b holds no empty line yet.
func headEnd(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return 0
		}
		line := b[i : i+j]
		i += j + 1
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			return i
		}
	}
}

// parseLean parses the request head and returns the request when the
// lean path serves it: a GET WebSocket upgrade of an origin-form target
// over HTTP/1.1 without body, with exactly one valid Host header, no
// folded header lines and only valid header fields, which
// net/http's server would take as is. It returns nil for anything else,
// which net/http then serves.
func (fc *firstConn) parseLean(head []byte) *http.Request {
	if !bytes.HasPrefix(head, []byte("GET /")) || bytes.Contains(head, []byte("\n ")) || bytes.Contains(head, []byte("\n\t")) {
		return nil // other targets and folded header lines are net/http's to judge
	}
	host, ok := singleHost(head)
	if !ok || !httpguts.ValidHostHeader(host) {
		return nil
	}
	fc.head.Reset(head)
	br := getReader(&fc.head)
	req, err := http.ReadRequest(br)
	putReader(br)
	fc.head.Reset(nil)
	if err != nil || req.ProtoMajor != 1 || req.ProtoMinor != 1 || req.ContentLength != 0 ||
		len(req.TransferEncoding) > 0 || !isWebSocketUpgrade(req) || req.Header.Get("Expect") != "" {
		return nil
	}
	for k, vv := range req.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return nil
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return nil
			}
		}
	}
	return req
}

// singleHost returns the value of the head's Host header when it has
// exactly one (http.ReadRequest drops the header, so count it here).
func singleHost(head []byte) (string, bool) {
	var host []byte
	n := 0
	lines := head
	if i := bytes.IndexByte(lines, '\n'); i >= 0 {
		lines = lines[i+1:] // past the request line
	}
	for len(lines) > 0 {
		line := lines
		if i := bytes.IndexByte(lines, '\n'); i >= 0 {
			line, lines = lines[:i], lines[i+1:]
		} else {
			lines = nil
		}
		if len(line) > 5 && line[4] == ':' && strings.EqualFold(string(line[:4]), "host") {
			n++
			host = bytes.TrimSpace(line[5:])
		}
	}
	return string(host), n == 1
}

// handOver gives the connection to net/http, which first reads buf (what
// the proxy read; br, whose buffer it aliases, goes back to its pool).
func (p *Proxy) handOver(fc *firstConn, br *bufio.Reader, buf []byte) {
	if len(buf) > 0 {
		fc.rest = bytes.Clone(buf)
	}
	putReader(br)
	ok := p.queue.push(fc)
	p.endFirst(fc)
	if !ok {
		_ = fc.Close()
	}
}

// beginFirst records a connection waiting for its first request, for the
// drain; false when the proxy is draining already.
func (p *Proxy) beginFirst(fc *firstConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping.Load() {
		return false
	}
	p.first[fc] = struct{}{}
	p.firstWG.Add(1)
	return true
}

func (p *Proxy) endFirst(fc *firstConn) {
	p.mu.Lock()
	delete(p.first, fc)
	p.mu.Unlock()
	p.firstWG.Done()
}

// drainFirst gives every connection still in its first request head the
// grace net/http's Shutdown gives a connection in StateNew: it is closed
// once it has waited drainNewConnGrace in all (or HeaderTimeout, if that is
// shorter), unless its head is complete by then.
func (p *Proxy) drainFirst(fcs []*firstConn) {
	grace := min(drainNewConnGrace, p.cfg.HeaderTimeout)
	for _, fc := range fcs {
		_ = fc.SetReadDeadline(time.Unix(0, fc.handed).Add(grace))
	}
}
