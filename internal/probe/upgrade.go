package probe

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/version"
	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// maxHeaderBytes bounds the upgrade response head (status line + headers).
const maxHeaderBytes = 16 << 10

// upgradeResponse is the parsed head of the server's answer to the upgrade.
type upgradeResponse struct {
	// StatusLine is the first line, without CRLF.
	StatusLine string
	// Status is its status code.
	Status int
	// Header holds the header fields, keys canonicalised.
	Header http.Header
}

// errHeaderTooLarge is returned when the head exceeds maxHeaderBytes.
var errHeaderTooLarge = fmt.Errorf("upgrade response head exceeds %d bytes", maxHeaderBytes)

// parseUpgradeResponse reads an HTTP/1.x response head (status line and
// header fields up to the empty line) from r, reading at most
// maxHeaderBytes. The body, if any, is left in r.
func parseUpgradeResponse(r *bufio.Reader) (*upgradeResponse, error) {
	budget := maxHeaderBytes
	line, err := readLine(r, &budget)
	if err != nil {
		return nil, fmt.Errorf("reading status line: %w", err)
	}
	resp := &upgradeResponse{StatusLine: line, Header: http.Header{}}
	proto, rest, ok := strings.Cut(line, " ")
	if !ok || (proto != "HTTP/1.1" && proto != "HTTP/1.0") {
		return nil, fmt.Errorf("malformed status line %q", truncate(line, 64))
	}
	code, _, _ := strings.Cut(rest, " ")
	if len(code) != 3 || code[0] < '1' || code[0] > '5' {
		return nil, fmt.Errorf("malformed status code in %q", truncate(line, 64))
	}
	if resp.Status, err = strconv.Atoi(code); err != nil {
		return nil, fmt.Errorf("malformed status code in %q", truncate(line, 64))
	}
	for {
		line, err := readLine(r, &budget)
		if err != nil {
			return nil, fmt.Errorf("reading header: %w", err)
		}
		if line == "" {
			return resp, nil
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || !httpguts.ValidHeaderFieldName(name) {
			return nil, fmt.Errorf("malformed header line %q", truncate(line, 64))
		}
		resp.Header.Add(textproto.CanonicalMIMEHeaderKey(name), strings.Trim(value, " \t"))
	}
}

// readLine reads one CRLF- (or LF-) terminated line, charging its length to
// budget.
func readLine(r *bufio.Reader, budget *int) (string, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(chunk) > *budget {
			return "", errHeaderTooLarge
		}
		*budget -= len(chunk)
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			buf = bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r"))
			return string(buf), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return "", err
		}
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// upgradeRequest writes the RFC 6455 opening handshake for key.
func (p *attempt) upgradeRequest(key string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\n", p.t.requestURI)
	fmt.Fprintf(&b, "Host: %s\r\n", p.t.hostHeader)
	fmt.Fprintf(&b, "User-Agent: wss-operator-probe/%s\r\n", version.Version)
	b.WriteString("Upgrade: websocket\r\nConnection: Upgrade\r\n")
	fmt.Fprintf(&b, "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", key)
	if p.o.Origin != "" {
		fmt.Fprintf(&b, "Origin: %s\r\n", p.o.Origin)
	}
	if len(p.o.Subprotocols) > 0 {
		fmt.Fprintf(&b, "Sec-WebSocket-Protocol: %s\r\n", strings.Join(p.o.Subprotocols, ", "))
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// wsConn is an upgraded connection with its buffered reader.
type wsConn struct {
	net.Conn
	r *bufio.Reader
}

// upgrade sends the opening handshake and checks the answer.
func (p *attempt) upgrade(conn net.Conn) (*wsConn, *failure) {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])
	if _, err := conn.Write(p.upgradeRequest(key)); err != nil {
		return nil, p.classify(PhaseUpgrade, err)
	}
	p.st.requestSent = true
	br := bufio.NewReader(readCounter{conn, &p.st.httpRead})
	if b, err := br.Peek(1); err == nil && !p.t.secure && (b[0] == 0x15 || b[0] == 0x16) {
		return nil, &failure{reason: wssv1.ReasonUnknown, phase: PhaseUpgrade, advice: tlsPortAdvice,
			message: "the server answered the upgrade with a TLS record: this port speaks TLS, probe it with wss://"}
	}
	resp, err := parseUpgradeResponse(br)
	if err != nil {
		return nil, p.classify(PhaseUpgrade, err)
	}
	p.r.WebSocket.Status = resp.Status
	if f := p.checkUpgrade(resp, key, br); f != nil {
		return nil, f
	}
	return &wsConn{Conn: conn, r: br}, nil
}

// readCounter counts what is read through it into n.
type readCounter struct {
	r io.Reader
	n *int64
}

func (c readCounter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	*c.n += int64(n)
	return n, err
}

// checkUpgrade judges a parsed upgrade answer.
func (p *attempt) checkUpgrade(resp *upgradeResponse, key string, br *bufio.Reader) *failure {
	switch resp.Status {
	case http.StatusSwitchingProtocols:
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return fail(wssv1.ReasonBackendUnavailable, PhaseUpgrade, fmt.Sprintf("the server answered %q%s: the TLS side is up but the WebSocket server behind it is not", resp.StatusLine, bodyHint(resp, br)))
	case http.StatusBadRequest, 495, 496:
		if p.t.secure && p.st.certRequested {
			// nginx with ssl_verify_client on completes the handshake without
			// an (acceptable) client certificate and refuses at HTTP.
			what := "none was given (--cert/--key)"
			if p.st.clientCertSent {
				what = "the one sent was not accepted"
			}
			return fail(wssv1.ReasonClientCertificateRequired, PhaseTLS, fmt.Sprintf("the server requested a client certificate during the TLS handshake, %s, and refused at HTTP level: it answered %q%s", what, resp.StatusLine, bodyHint(resp, br)))
		}
		return p.rejected(resp, br)
	default:
		return p.rejected(resp, br)
	}
	got := resp.Header.Get("Sec-WebSocket-Accept")
	if want := wsframe.AcceptKey(key); got != want {
		if got == "" {
			return fail(wssv1.ReasonBadAcceptKey, PhaseUpgrade, "the 101 answer has no Sec-WebSocket-Accept header")
		}
		return fail(wssv1.ReasonBadAcceptKey, PhaseUpgrade, fmt.Sprintf("the 101 answer has Sec-WebSocket-Accept %q, want %q for the key sent", truncate(got, 64), want))
	}
	if !headerHasToken(resp.Header, "Upgrade", "websocket") || !headerHasToken(resp.Header, "Connection", "upgrade") {
		return fail(wssv1.ReasonUnknown, PhaseUpgrade, fmt.Sprintf("the 101 answer lacks Upgrade: websocket / Connection: Upgrade (Upgrade %q, Connection %q)",
			truncate(resp.Header.Get("Upgrade"), 64), truncate(resp.Header.Get("Connection"), 64)))
	}
	chosen := resp.Header.Get("Sec-WebSocket-Protocol")
	p.r.WebSocket.Subprotocol = chosen
	switch {
	case len(p.o.Subprotocols) > 0 && chosen == "":
		return fail(wssv1.ReasonSubprotocolMismatch, PhaseUpgrade, fmt.Sprintf("subprotocols %s were offered and the server chose none of them", strings.Join(p.o.Subprotocols, ", ")))
	case chosen != "" && !slices.Contains(p.o.Subprotocols, chosen):
		return fail(wssv1.ReasonSubprotocolMismatch, PhaseUpgrade, fmt.Sprintf("the server chose subprotocol %q, which was not offered (offered: %q)", truncate(chosen, 64), p.o.Subprotocols))
	}
	return nil
}

// rejected is UpgradeRejected for resp, with advice on HTTP/1.0 proxies
// for the statuses a WebSocket server gives a request that lost its
// Upgrade/Connection headers or its HTTP/1.1.
func (p *attempt) rejected(resp *upgradeResponse, br *bufio.Reader) *failure {
	f := fail(wssv1.ReasonUpgradeRejected, PhaseUpgrade, fmt.Sprintf("the server answered %q instead of 101 Switching Protocols%s", resp.StatusLine, bodyHint(resp, br)))
	switch resp.Status {
	case http.StatusBadRequest, http.StatusUpgradeRequired, http.StatusHTTPVersionNotSupported:
		if server := resp.Header.Get("Server"); server != "" {
			f.message += fmt.Sprintf(" (Server: %q)", truncate(server, 64))
		}
		f.advice = http10Advice
	}
	return f
}

// bodyHint quotes the start of a response body, from what is already
// buffered only (it never waits for more), without chunked framing.
func bodyHint(resp *upgradeResponse, br *bufio.Reader) string {
	n := min(br.Buffered(), 512)
	if n == 0 {
		return ""
	}
	b, _ := br.Peek(n)
	if headerHasToken(resp.Header, "Transfer-Encoding", "chunked") {
		b = unchunk(b)
	}
	s := strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, string(b)))
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" with body %q", truncate(s, 200))
}

// unchunk decodes as much of a chunked body as b holds.
func unchunk(b []byte) []byte {
	out, _ := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(b)))
	return out
}

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
