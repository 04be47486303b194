package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

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
