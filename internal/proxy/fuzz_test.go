package proxy

import (
	"bufio"
	"bytes"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http/httpguts"
)

// FuzzFrameTracker checks the incremental frame-boundary tracker against
// the reference, wsframe's header parser run over the whole buffer
// (refBoundaries), for any byte stream and any way of splitting it into
// reads.
func FuzzFrameTracker(f *testing.F) {
	seed := func(frames ...frameSpec) []byte {
		var b []byte
		for _, fr := range frames {
			b = append(b, buildFrame(fr)...)
		}
		return b
	}
	f.Add(seed(frameSpec{fin: true, opcode: 1, masked: true, n: 5}), []byte{3})
	f.Add(seed(frameSpec{opcode: 1, n: 130}, frameSpec{fin: true, opcode: 9, n: 0}, frameSpec{fin: true, n: 70000}), []byte{1, 2, 200})
	f.Add(seed(frameSpec{fin: true, opcode: 8, masked: true, n: 2}), []byte{})
	f.Add([]byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1, 0x81, 0}, []byte{4})
	f.Fuzz(func(t *testing.T, data, splitBytes []byte) {
		var splits []int
		pos := 0
		for _, s := range splitBytes {
			pos += int(s)
			splits = append(splits, pos)
		}
		want, wantClose, wantBroken := refBoundaries(data)
		tr, got := trackBoundaries(t, data, splits)
		if tr.broken != wantBroken {
			t.Fatalf("broken = %v, reference %v", tr.broken, wantBroken)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("boundaries %v, reference %v", got, want)
		}
		if tr.closeSeen != wantClose {
			t.Fatalf("closeSeen = %v, reference %v", tr.closeSeen, wantClose)
		}
		atEnd := len(want) > 0 && want[len(want)-1] == len(data) || len(data) == 0
		if !wantBroken && tr.atBoundary() != atEnd {
			t.Fatalf("atBoundary = %v at the end of %d bytes, boundaries %v", tr.atBoundary(), len(data), want)
		}
	})
}

// FuzzUpgradeRequest feeds arbitrary request bytes through the request path
// of a WebSocket upgrade: net/http's parser, the upgrade check and the head
// the proxy writes to the backend. Whatever the client sent, the backend
// gets exactly one well-formed request without a body, with the proxy's
// forwarding headers, the client's Sec-WebSocket-* headers unchanged, and
// nothing a client could smuggle.
func FuzzUpgradeRequest(f *testing.F) {
	f.Add([]byte("GET /chat?x=1 HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: a, b\r\n" +
		"X-Forwarded-For: 10.0.0.1\r\nKeep-Alive: timeout=5\r\n\r\n"))
	f.Add([]byte("GET http://evil/ HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, Sec-WebSocket-Key, X-Forwarded-Proto\r\n" +
		"Upgrade: WebSocket\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\nX-Forwarded-Proto: http\r\n\r\n0\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\nX-Forwarded-Client-Cert: Hash=00\r\n" +
		"Forwarded: for=1.2.3.4\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		req.RemoteAddr = "192.0.2.1:1234"
		_ = isWebSocketUpgrade(req)
		head := upgradeRequestHead(req)
		if !bytes.HasSuffix(head, []byte("\r\n\r\n")) || bytes.Count(head, []byte("\r\n\r\n")) != 1 {
			t.Fatalf("head is not exactly one header block: %q", head)
		}
		br := bufio.NewReader(bytes.NewReader(head))
		out, err := http.ReadRequest(br)
		if err != nil {
			t.Fatalf("backend cannot parse the head: %v\n%q", err, head)
		}
		if rest, _ := io.ReadAll(br); len(rest) > 0 {
			t.Fatalf("bytes after the head: %q", rest)
		}
		if out.Method != http.MethodGet || out.ContentLength != 0 || len(out.TransferEncoding) > 0 {
			t.Fatalf("method %q, content length %d, transfer encoding %v", out.Method, out.ContentLength, out.TransferEncoding)
		}
		if got := out.Header.Values("Connection"); len(got) != 1 || got[0] != "Upgrade" {
			t.Fatalf("Connection = %q", got)
		}
		if got := out.Header.Values(hdrXForwardedProto); len(got) != 1 || got[0] != "https" {
			t.Fatalf("X-Forwarded-Proto = %q", got)
		}
		xff := out.Header.Values(hdrXForwardedFor)
		if len(xff) != 1 || !strings.HasSuffix(xff[0], "192.0.2.1") {
			t.Fatalf("X-Forwarded-For = %q", xff)
		}
		for _, h := range []string{hdrClientCert, hdrForwarded, "Keep-Alive", "Te", "Trailer", "Proxy-Authorization"} {
			if v := out.Header.Values(h); len(v) > 0 {
				t.Fatalf("%s forwarded: %q", h, v)
			}
		}
		for k, vv := range req.Header {
			if !strings.HasPrefix(k, "Sec-Websocket-") || !httpguts.ValidHeaderFieldName(k) {
				continue
			}
			var want []string
			for _, v := range vv {
				if validHeaderValue(v) {
					want = append(want, strings.TrimSpace(v))
				}
			}
			if got := out.Header.Values(k); !slices.Equal(got, want) {
				t.Fatalf("%s: sent %q, backend got %q", k, want, got)
			}
		}
		if !bytes.HasPrefix(head, []byte("GET /")) {
			t.Fatalf("request target not in origin form: %q", head)
		}
	})
}

// FuzzSwitchingHead feeds arbitrary backend answers through the response
// side of an upgrade: whatever the backend sent, the client gets one
// well-formed 101 head.
func FuzzSwitchingHead(f *testing.F) {
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n\x81\x02hi"))
	f.Add([]byte("HTTP/1.1 101 \r\nUpgrade: websocket\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusSwitchingProtocols {
			return
		}
		head := switchingHead(resp)
		br := bufio.NewReader(bytes.NewReader(head))
		out, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("client cannot parse the head: %v\n%q", err, head)
		}
		defer out.Body.Close()
		if rest, _ := io.ReadAll(br); len(rest) > 0 || out.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("status %d, bytes after the head: %q", out.StatusCode, rest)
		}
		if out.Header.Get("Content-Length") != "" || len(out.TransferEncoding) > 0 {
			t.Fatalf("framing headers on a 101: %q", head)
		}
		for _, k := range []string{"Sec-Websocket-Accept", "Sec-Websocket-Protocol", "Sec-Websocket-Extensions"} {
			var want []string
			for _, v := range resp.Header.Values(k) {
				if validHeaderValue(v) {
					want = append(want, strings.TrimSpace(v))
				}
			}
			if got := out.Header.Values(k); !slices.Equal(got, want) {
				t.Fatalf("%s: backend sent %q, client got %q", k, want, got)
			}
		}
	})
}

// FuzzFirstRequestHead checks the lean first-request path against
// net/http's server: for any bytes a client sends first, a head the lean
// path serves itself is one net/http would have accepted as the same
// WebSocket upgrade (same target, Host and headers), and readFirst never
// takes more than the head plus what followed it.
func FuzzFirstRequestHead(f *testing.F) {
	f.Add([]byte(upgradeHead("/echo?x=1", "X-Forwarded-For: 10.0.0.1\r\n") + "\x82\x80abcd"))
	f.Add([]byte("GET / HTTP/1.1\nHost: a\nConnection: upgrade\nUpgrade: websocket\n\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nhost:\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("GET http://a/b HTTP/1.1\r\nHost: c\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n folded\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(raw), 4<<10)
		buf, end, _ := readFirst(br)
		if !bytes.HasPrefix(raw, buf) || end > len(buf) || (end > 0 && buf[end-1] != '\n') {
			t.Fatalf("readFirst: %d of %d bytes, head end %d", len(buf), len(raw), end)
		}
		if end == 0 {
			return
		}
		fc := &firstConn{}
		req := fc.parseLean(buf[:end])
		if req == nil {
			return
		}
		want := netHTTPServes(t, raw[:end])
		if want == nil {
			t.Fatalf("lean path serves a head net/http refuses: %q", raw[:end])
		}
		if !isWebSocketUpgrade(want) || want.Host != req.Host || want.URL.RequestURI() != req.URL.RequestURI() ||
			!maps.EqualFunc(want.Header, req.Header, slices.Equal) {
			t.Fatalf("net/http sees %s %q %v, the lean path %s %q %v", want.Host, want.URL, want.Header, req.Host, req.URL, req.Header)
		}
	})
}

// netHTTPServes runs head through an http.Server and returns the request
// its handler got, nil when it answered without calling the handler.
func netHTTPServes(t *testing.T, head []byte) *http.Request {
	t.Helper()
	server, client := net.Pipe()
	got := make(chan *http.Request, 1)
	srv := &http.Server{
		Handler:        http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got <- r }),
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       log.New(io.Discard, "", 0),
	}
	ln := &onceListener{c: server, done: make(chan struct{})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	defer client.Close()
	answered := make(chan struct{})
	go func() { defer close(answered); _, _ = io.Copy(io.Discard, client) }()
	if _, err := client.Write(head); err != nil {
		t.Fatalf("writing the head to net/http: %v", err)
	}
	select {
	case r := <-got:
		return r
	case <-answered:
		select {
		case r := <-got:
			return r
		default:
			return nil
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("net/http neither answered nor served %q", head)
		return nil
	}
}

// onceListener yields one connection, then blocks until closed.
type onceListener struct {
	c    net.Conn
	done chan struct{}
	once sync.Once
	used atomic.Bool
}

func (l *onceListener) Accept() (net.Conn, error) {
	if l.used.CompareAndSwap(false, true) {
		return l.c, nil
	}
	<-l.done
	return nil, net.ErrClosed
}

func (l *onceListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *onceListener) Addr() net.Addr { return l.c.LocalAddr() }
