package probe_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/coder/websocket"

	"github.com/wss-operator/wss-operator/internal/wsframe"
	"github.com/wss-operator/wss-operator/internal/wstest"
)

// Loopback servers for the probe tests, well-behaved and misbehaving. Every
// server listens on 127.0.0.1 and is torn down by t.Cleanup.

// startHTTP serves h on loopback, over TLS with cfg when cfg is not nil,
// and returns its address.
func startHTTP(t testing.TB, cfg *tls.Config, h http.Handler) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if cfg != nil {
		srv.TLS = cfg
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// echoHandler is the real WebSocket echo server (wstest.Echo, on
// github.com/coder/websocket), which answers pings while it reads.
func echoHandler(opts *websocket.AcceptOptions) http.Handler { return wstest.Echo{Accept: opts} }

// serverTLS is a server config serving cert, with optional tweaks.
func serverTLS(cert tls.Certificate, tweak ...func(*tls.Config)) *tls.Config {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	for _, f := range tweak {
		f(cfg)
	}
	return cfg
}

// doneChan is closed when the test ends, releasing servers that stall on purpose.
func doneChan(t testing.TB) <-chan struct{} {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return done
}

// rawHandshake is an http.Handler that hijacks the connection and lets
// answer write whatever it likes; the connection is closed after answer
// returns.
func rawHandshake(t testing.TB, answer func(conn net.Conn, rw *bufio.ReadWriter, r *http.Request)) http.Handler {
	t.Helper()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		answer(conn, rw, r)
		_ = rw.Flush()
	})
}

// accept101 is the correct 101 answer to r.
func accept101(r *http.Request) string {
	return fmt.Sprintf("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		wsframe.AcceptKey(r.Header.Get("Sec-WebSocket-Key")))
}

// startRaw accepts TCP connections on loopback and hands each to handle in
// its own goroutine; the listener closes at the end of the test.
func startRaw(t testing.TB, handle func(net.Conn)) string { return wstest.ServeTCP(t, handle) }

// closedPort returns a loopback address where nothing listens.
func closedPort(t testing.TB) string { return wstest.FreeAddr(t).String() }

// answerPing reads one masked client frame (the probe's ping) from br and
// answers it with an unmasked pong carrying the same payload.
func answerPing(conn net.Conn, br *bufio.Reader) {
	var hdr [2]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return
	}
	var mask [4]byte
	payload := make([]byte, hdr[1]&0x7f)
	if _, err := io.ReadFull(br, mask[:]); err != nil {
		return
	}
	if _, err := io.ReadFull(br, payload); err != nil {
		return
	}
	for i := range payload {
		payload[i] ^= mask[i%4]
	}
	_, _ = conn.Write(append([]byte{0x8a, byte(len(payload))}, payload...))
}
