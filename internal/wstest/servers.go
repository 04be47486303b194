package wstest

import (
	"context"
	"net"
	"net/http"
	"time"
)

// TB is the part of testing.TB the servers use: a *testing.T or *testing.B.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Cleanup(func())
}

// listen listens on a free 127.0.0.1 port until the test ends.
func listen(t TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

// FreeAddr returns a 127.0.0.1 address where nothing listens: it was free
// a moment ago (for a server to start on, or a backend that is down).
func FreeAddr(t TB) *net.TCPAddr {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// ServeTCP accepts connections on a free 127.0.0.1 port and hands each to
// handle in its own goroutine; it returns the address. The listener closes
// when the test ends (handle owns its connections).
func ServeTCP(t TB, handle func(net.Conn)) string {
	t.Helper()
	ln := listen(t)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return ln.Addr().String()
}

// ServeHTTP serves h over plain HTTP on a free 127.0.0.1 port and returns
// the address; the server closes when the test ends (hijacked connections,
// such as WebSockets, are their handlers' to close).
func ServeHTTP(t TB, h http.Handler) string {
	t.Helper()
	ln := listen(t)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// Run runs serve in its own goroutine for the rest of the test, then
// cancels its context and waits for it to return; the test fails when name
// (say, "sidecar") has not stopped 30 seconds later.
func Run(t TB, name string, serve func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not stop", name)
		}
	})
}
