package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// wsKey is the Sec-WebSocket-Key of every upgrade: the load generator is
// not a browser, and a fixed key spares it a random draw and a SHA-1 per
// handshake. Servers cannot tell.
const wsKey = "dGhlIHNhbXBsZSBub25jZQ=="

// client dials one target.
type client struct {
	addr    string
	tlsConf *tls.Config // nil for ws://
	request []byte
	accept  string
	sources []*net.TCPAddr
	next    atomic.Uint64
	timeout time.Duration
	bufSize int
}

// newClient prepares dialing addr with the upgrade request for path.
func newClient(addr string, secure bool, serverName, pinFile, path string, timeout time.Duration) (*client, error) {
	cl := &client{addr: addr, timeout: timeout, bufSize: 4096, accept: wsframe.AcceptKey(wsKey)}
	host := serverName
	if secure {
		pin, err := loadPin(pinFile)
		if err != nil {
			return nil, err
		}
		cl.tlsConf = &tls.Config{
			ServerName: serverName,
			MinVersion: tls.VersionTLS13,
			// The same key exchange against every server; Go's default
			// would offer X25519MLKEM768, which OpenSSL 3.0 lacks.
			CurvePreferences: []tls.CurveID{tls.X25519},
			NextProtos:       []string{"http/1.1"},
			// The chain is checked by pinning the exact leaf below, which
			// costs the client one comparison instead of a chain build.
			// crypto/tls still verifies the server's handshake signature.
			InsecureSkipVerify: true, //nolint:gosec // pinned in VerifyConnection
			VerifyConnection: func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, pin) {
					return errors.New("server certificate is not the benchmark certificate")
				}
				return nil
			},
		}
	}
	cl.request = []byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + wsKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
	return cl, nil
}

func loadPin(file string) ([]byte, error) {
	if file == "" {
		return nil, errors.New("-cert is required for wss:// targets")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading -cert: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("-cert %s: no PEM certificate", file)
	}
	if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
		return nil, fmt.Errorf("-cert %s: %w", file, err)
	}
	return blk.Bytes, nil
}

// wsConn is an upgraded connection.
type wsConn struct {
	conn net.Conn
	tls  *tls.Conn
	br   *bufio.Reader
}

func (w *wsConn) Close() error { return w.conn.Close() }

// dial connects, completes TLS (for wss://) and the WebSocket upgrade.
func (cl *client) dial(ctx context.Context) (*wsConn, error) {
	d := net.Dialer{Timeout: cl.timeout}
	if n := len(cl.sources); n > 0 {
		d.LocalAddr = cl.sources[int(cl.next.Add(1)%uint64(n))]
	}
	raw, err := d.DialContext(ctx, "tcp", cl.addr)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	w := &wsConn{conn: raw}
	_ = raw.SetDeadline(time.Now().Add(cl.timeout))
	if cl.tlsConf != nil {
		w.tls = tls.Client(raw, cl.tlsConf)
		if err := w.tls.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		w.conn = w.tls
	}
	if _, err := w.conn.Write(cl.request); err != nil {
		_ = w.conn.Close()
		return nil, fmt.Errorf("sending upgrade: %w", err)
	}
	w.br = bufio.NewReaderSize(w.conn, cl.bufSize)
	if err := readUpgrade(w.br, cl.accept); err != nil {
		_ = w.conn.Close()
		return nil, err
	}
	_ = raw.SetDeadline(time.Time{})
	return w, nil
}

// readUpgrade reads the response head and checks for 101 with the right
// Sec-WebSocket-Accept.
func readUpgrade(br *bufio.Reader, accept string) error {
	status, err := br.ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("reading upgrade response: %w", err)
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 101")) {
		return fmt.Errorf("upgrade refused: %s", strings.TrimSpace(string(status)))
	}
	ok := false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("reading upgrade response: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		if strings.EqualFold(string(name), "Sec-WebSocket-Accept") && string(bytes.TrimSpace(value)) == accept {
			ok = true
		}
	}
	if !ok {
		return errors.New("upgrade response without the right Sec-WebSocket-Accept")
	}
	return nil
}

// roundTrip writes a prebuilt masked frame and reads the echo of want
// payload bytes into buf.
func (w *wsConn) roundTrip(frame, buf []byte, want int) error {
	if _, err := w.conn.Write(frame); err != nil {
		return fmt.Errorf("sending message: %w", err)
	}
	got := 0
	for got < want {
		h, err := wsframe.ReadHeader(w.br, int64(len(buf)))
		if err != nil {
			return fmt.Errorf("reading echo: %w", err)
		}
		if h.Opcode == wsframe.OpClose {
			return errors.New("server closed the WebSocket")
		}
		if _, err := io.ReadFull(w.br, buf[:h.Length]); err != nil {
			return fmt.Errorf("reading echo: %w", err)
		}
		got += int(h.Length)
	}
	if got != want {
		return fmt.Errorf("echo of %d bytes came back as %d", want, got)
	}
	return nil
}

// readPayload reads one frame and discards its payload, returning its length.
func (w *wsConn) readPayload() (int64, error) {
	h, err := wsframe.ReadHeader(w.br, 1<<30)
	if err != nil {
		return 0, err
	}
	n, err := w.br.Discard(int(h.Length))
	return int64(n), err
}

func (w *wsConn) facts() *benchresult.TLSFacts {
	if w.tls == nil {
		return nil
	}
	cs := w.tls.ConnectionState()
	return &benchresult.TLSFacts{
		Version:     tls.VersionName(cs.Version),
		CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
		Curve:       cs.CurveID.String(),
		ALPN:        cs.NegotiatedProtocol,
		HRR:         cs.HelloRetryRequest,
	}
}
