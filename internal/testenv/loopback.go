package testenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/wss-operator/wss-operator/internal/wstest"
)

// LoopbackNet is the prober's network in tests and the demo: every name and
// address the controller probes (Service DNS names, pod IPs) is routed to a
// loopback listener, and nothing else is ever dialled. Its Resolve and Dial
// plug into controllers.Options.
type LoopbackNet struct {
	mu     sync.Mutex
	routes map[string]string // "host:port" the prober dials -> loopback "127.x.y.z:N"
}

// NewLoopbackNet returns an empty routing table.
func NewLoopbackNet() *LoopbackNet { return &LoopbackNet{routes: map[string]string{}} }

// Route sends connections to from ("host:port") to the loopback address to.
func (n *LoopbackNet) Route(from, to string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.routes[from] = to
}

// Unroute removes a route; dialling from is then refused.
func (n *LoopbackNet) Unroute(from string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.routes, from)
}

// Resolve answers for names that have a route (the name stands for itself;
// Dial maps it); anything else does not resolve.
func (n *LoopbackNet) Resolve(_ context.Context, host string) ([]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for from := range n.routes {
		if h, _, _ := net.SplitHostPort(from); h == host {
			return []string{host}, nil
		}
	}
	return nil, &net.DNSError{Err: "no such host (loopback test network)", Name: host, IsNotFound: true}
}

// Dial connects to the loopback address routed from addr; an unrouted
// address is refused, and a route to a non-loopback address is an error.
func (n *LoopbackNet) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	n.mu.Lock()
	to, ok := n.routes[addr]
	n.mu.Unlock()
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	host, _, _ := net.SplitHostPort(to)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, errors.New("loopback test network: refusing to dial non-loopback address " + to)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, to)
}

// EchoServer is the tests' WebSocket echo (wstest.Echo) on loopback,
// standing in for a user's plain ws:// server: it echoes every message on
// the path StartEcho was given.
type EchoServer struct {
	// Addr is host:port it listens on.
	Addr string
	srv  *http.Server
}

// StartEcho listens on addr ("127.0.0.1:0" for any port; a previous Addr to
// come back on the same port) and serves WebSocket echo on path.
func StartEcho(addr, path string) (*EchoServer, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // coming back on a port may race the old socket's close
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(path, wstest.Echo{})
	e := &EchoServer{Addr: ln.Addr().String(), srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = e.srv.Serve(ln) }()
	return e, nil
}

// Stop closes the listener and every HTTP connection; WebSocket
// connections, hijacked from the server, end when their peer closes them.
func (e *EchoServer) Stop() { _ = e.srv.Close() }

// WSSRoundTrip dials url's wss:// endpoint through the loopback address
// addr, trusting only caPEM, sends msg and returns the echoed message.
func WSSRoundTrip(ctx context.Context, addr, url string, caPEM []byte, msg string) (string, error) {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return "", errors.New("wss round trip: no certificate in the CA bundle")
	}
	dialer := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
	}}
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: hc}) //nolint:bodyclose // coder/websocket closes the handshake response
	if err != nil {
		return "", fmt.Errorf("wss round trip to %s via %s: %w", url, addr, err)
	}
	defer conn.CloseNow()
	if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		return "", err
	}
	_, got, err := conn.Read(ctx)
	if err != nil {
		return "", err
	}
	return string(got), conn.Close(websocket.StatusNormalClosure, "done")
}
