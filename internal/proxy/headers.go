package proxy

import (
	"bytes"
	"crypto/tls"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/wss-operator/wss-operator/internal/certinfo"
)

// Header names the proxy sets or removes.
const (
	hdrXForwardedFor   = "X-Forwarded-For"
	hdrXForwardedHost  = "X-Forwarded-Host"
	hdrXForwardedProto = "X-Forwarded-Proto"
	hdrForwarded       = "Forwarded"
	// hdrClientCert carries the verified client certificate (Envoy's
	// x-forwarded-client-cert format, Hash and Subject only). Whatever a
	// client sends under this name is dropped.
	hdrClientCert = "X-Forwarded-Client-Cert"
)

// hopByHop are the headers that describe one connection, not the message
// (RFC 9110 7.6.1), and are never forwarded as such.
var hopByHop = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// wsHeaderSpelling restores RFC 6455's spelling of the WebSocket headers
// that Go canonicalises differently (header names are case-insensitive, but
// the proxy passes these through exactly as a client would write them).
var wsHeaderSpelling = map[string]string{
	"Sec-Websocket-Key":        "Sec-WebSocket-Key",
	"Sec-Websocket-Version":    "Sec-WebSocket-Version",
	"Sec-Websocket-Protocol":   "Sec-WebSocket-Protocol",
	"Sec-Websocket-Extensions": "Sec-WebSocket-Extensions",
	"Sec-Websocket-Accept":     "Sec-WebSocket-Accept",
}

// headerHasToken reports whether a comma-separated header contains token
// (case-insensitive), across all of its lines.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// isWebSocketUpgrade reports whether r asks for a WebSocket upgrade (RFC 6455 4.1).
func isWebSocketUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && r.ProtoAtLeast(1, 1) &&
		headerHasToken(r.Header, "Connection", "upgrade") &&
		headerHasToken(r.Header, "Upgrade", "websocket")
}

// hopByHopSet is hopByHop as a set.
var hopByHopSet = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range hopByHop {
		m[k] = true
	}
	return m
}()

// headerSkip says which header fields (by canonical name) not to copy from
// a header: hop-by-hop ones, the extra names and those its Connection
// header lists. WebSocket handshake headers are kept even if Connection
// lists them, so that they reach the other side untouched. It builds
// nothing: a handshake's few fields are checked against the few tokens.
type headerSkip struct {
	connection []string // the header's Connection lines
	extra      []string
}

// skipHeaders is the headerSkip for h.
func skipHeaders(h http.Header, extra ...string) headerSkip {
	return headerSkip{connection: h.Values("Connection"), extra: extra}
}

// has reports whether the field named k (canonical) is skipped.
func (s headerSkip) has(k string) bool {
	if hopByHopSet[k] || slices.Contains(s.extra, k) {
		return true
	}
	if strings.HasPrefix(k, "Sec-Websocket-") {
		return false
	}
	for _, v := range s.connection {
		for t := range strings.SplitSeq(v, ",") {
			// For a valid token, canonicalising only changes case.
			if t = strings.TrimSpace(t); t != "" && strings.EqualFold(t, k) {
				return true
			}
		}
	}
	return false
}

// writeHeaders writes h's fields, minus skip, in a stable order. Fields whose
// name or value could not be written safely are dropped.
func writeHeaders(b *bytes.Buffer, h http.Header, skip headerSkip) {
	keys := make([]string, 0, len(h))
	for k := range h {
		if !skip.has(textproto.CanonicalMIMEHeaderKey(k)) && httpguts.ValidHeaderFieldName(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := k
		if s, ok := wsHeaderSpelling[k]; ok {
			name = s
		}
		for _, v := range h[k] {
			if validHeaderValue(v) {
				writeField(b, name, v)
			}
		}
	}
}

func writeField(b *bytes.Buffer, name, value string) {
	b.WriteString(name)
	b.WriteString(": ")
	b.WriteString(value)
	b.WriteString("\r\n")
}

// upgradeRequestHead is the request head sent to the backend for a
// WebSocket upgrade: the client's request line and headers, hop-by-hop
// headers removed, Connection/Upgrade restated, Host kept (so origin checks
// and virtual hosts work), X-Forwarded-For extended with the client's
// address, X-Forwarded-Proto https, X-Forwarded-Host the client's Host, and
// the verified client certificate (if any) in X-Forwarded-Client-Cert.
// Sec-WebSocket-* headers pass through unchanged.
func upgradeRequestHead(r *http.Request) []byte {
	var b bytes.Buffer
	b.Grow(512)
	b.WriteString("GET ")
	b.WriteString(requestTarget(r))
	b.WriteString(" HTTP/1.1\r\n")
	host := r.Host
	if !validHeaderValue(host) || strings.ContainsAny(host, " \t") {
		host = "" // net/http's server never lets such a Host through; be safe anyway
	}
	writeField(&b, "Host", host)
	writeHeaders(&b, r.Header, skipHeaders(r.Header, hdrXForwardedFor, hdrXForwardedHost,
		hdrXForwardedProto, hdrForwarded, hdrClientCert, "Content-Length", "Host"))
	b.WriteString("Connection: Upgrade\r\n")
	for _, v := range r.Header.Values("Upgrade") {
		if validHeaderValue(v) {
			writeField(&b, "Upgrade", v)
		}
	}
	xff := forwardedFor(r.Header.Values(hdrXForwardedFor), r.RemoteAddr)
	writeField(&b, hdrXForwardedFor, xff)
	if host != "" {
		writeField(&b, hdrXForwardedHost, host)
	}
	writeField(&b, hdrXForwardedProto, "https")
	if v := clientCertValue(r.TLS); v != "" {
		writeField(&b, hdrClientCert, v)
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// requestTarget is r's target in origin form (path and query), which every
// server accepts; "/" when it is empty or not a path.
func requestTarget(r *http.Request) string {
	if r.URL == nil {
		return "/"
	}
	t := r.URL.RequestURI()
	if !strings.HasPrefix(t, "/") || !validTarget(t) {
		return "/"
	}
	return t
}

func validTarget(t string) bool {
	for i := 0; i < len(t); i++ {
		if c := t[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// forwardedFor appends the client's IP to the X-Forwarded-For values it sent
// (as nginx's $proxy_add_x_forwarded_for and Go's ReverseProxy do): the last
// entry is always the address the proxy saw.
func forwardedFor(prior []string, remoteAddr string) string {
	ip := remoteAddr
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		ip = host
	}
	var kept []string
	for _, v := range prior {
		if validHeaderValue(v) && strings.TrimSpace(v) != "" {
			kept = append(kept, strings.TrimSpace(v))
		}
	}
	return strings.Join(append(kept, ip), ", ")
}

// clientCertValue describes a verified client certificate for
// X-Forwarded-Client-Cert: Hash=<sha256 hex>;Subject="<DN>".
func clientCertValue(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return ""
	}
	leaf := cs.VerifiedChains[0][0]
	v := "Hash=" + certinfo.Fingerprint(leaf) + ";Subject=" + strconv.Quote(leaf.Subject.String())
	if !validHeaderValue(v) {
		return "Hash=" + certinfo.Fingerprint(leaf)
	}
	return v
}

// switchingHead is the 101 response head relayed to the client: the
// backend's status and headers (Sec-WebSocket-Accept, -Protocol and
// -Extensions untouched), hop-by-hop headers restated.
func switchingHead(resp *http.Response) []byte {
	var b bytes.Buffer
	b.Grow(256)
	status := resp.Status
	if !validHeaderValue(status) || !strings.HasPrefix(status, "101") {
		status = "101 Switching Protocols"
	}
	b.WriteString("HTTP/1.1 ")
	b.WriteString(status)
	b.WriteString("\r\n")
	writeHeaders(&b, resp.Header, skipHeaders(resp.Header, "Content-Length"))
	b.WriteString("Connection: Upgrade\r\n")
	for _, v := range resp.Header.Values("Upgrade") {
		if validHeaderValue(v) {
			writeField(&b, "Upgrade", v)
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// copyResponseHeaders copies an ordinary response's end-to-end headers.
func copyResponseHeaders(dst, src http.Header) {
	skip := skipHeaders(src)
	for k, vv := range src {
		if skip.has(textproto.CanonicalMIMEHeaderKey(k)) {
			continue
		}
		for _, v := range vv {
			dst.Add(k, v)
		}
	}
}

// validHeaderValue reports whether s has no control characters but tab.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
