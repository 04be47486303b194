package proxy

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/wss-operator/wss-operator/internal/wsframe"
)

// startRaw101Backend is a minimal ws:// backend: it reads one request head,
// answers 101 and waits for the proxy to close the connection. It keeps the
// backend's own cost out of BenchmarkProxiedHandshake.
func startRaw101Backend(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	resp := []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + wsframe.AcceptKey(wsKey) + "\r\n\r\n")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				if _, err := c.Write(resp); err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, br)
			}()
		}
	}()
	return ln.Addr().String()
}

// BenchmarkProxiedHandshake is one proxied WebSocket handshake per
// operation: TCP connect, TLS 1.3 handshake, upgrade through the proxy to a
// minimal backend, 101 back to the client, close. Client, proxy and backend
// all run in this process, so allocs/op and ns/op count all three; the
// client and backend sides do not change with the proxy.
func BenchmarkProxiedHandshake(b *testing.B) {
	backend := startRaw101Backend(b)
	cs := newCertSetup(b, false)
	p := startProxy(b, Config{Backend: backend, CertDir: cs.dir})
	cfg := &tls.Config{RootCAs: cs.ca.pool(), ServerName: "localhost", ClientSessionCache: nil}
	req := []byte("GET /echo HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + wsKey + "\r\n\r\n")
	buf := make([]byte, 4096)
	b.ReportAllocs()
	for b.Loop() {
		c, err := tls.Dial("tcp", p.Addr().String(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		n, err := c.Read(buf)
		if err != nil || n < 12 || string(buf[:12]) != "HTTP/1.1 101" {
			b.Fatalf("upgrade answer %q: %v", buf[:n], err)
		}
		c.Close()
	}
}
