package realclients

import (
	"context"
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wss-operator/wss-operator/internal/certtest"
	"github.com/wss-operator/wss-operator/internal/proxy"
	"github.com/wss-operator/wss-operator/internal/realclient"
	"github.com/wss-operator/wss-operator/internal/wstest"
)

// depsHint is what a skipped test tells the reader to run.
const depsHint = "run `make test-deps-clients` to install the real clients"

// needTool returns the path of a client binary or skips the test.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed: %s", name, depsHint)
	}
	return p
}

// pki is a CA and a server certificate it issued for localhost and
// 127.0.0.1, written as PEM files: dir holds tls.crt and tls.key (the
// sidecar's --cert-dir), caFile the CA, otherCAFile an unrelated CA.
type pki struct {
	dir, caFile, otherCAFile string
	leaf                     *x509.Certificate
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	day := time.Now().Add(24 * time.Hour)
	ca := certtest.NewCA(certtest.Options{CommonName: "realclients CA", NotAfter: day})
	other := certtest.NewCA(certtest.Options{CommonName: "some other CA", NotAfter: day})
	leaf := ca.Issue(certtest.Options{CommonName: "localhost", Hosts: []string{"localhost", "127.0.0.1"}, NotAfter: day,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	p := &pki{dir: filepath.Join(dir, "certs"), caFile: filepath.Join(dir, "ca.pem"), otherCAFile: filepath.Join(dir, "other.pem"), leaf: leaf.Cert}
	if err := os.Mkdir(p.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	leaf.WriteTLSFiles(p.dir)
	for path, b := range map[string][]byte{p.caFile: ca.CertPEM, p.otherCAFile: other.CertPEM} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// backend is the plain ws:// server behind the sidecar: / serves the
// browser test page, /echo echoes with permessage-deflate enabled, /wait
// answers once an echo connection has received "done" (so that a page
// that loads /wait finishes loading only after its exchange).
type backend struct {
	addr       string
	extensions chan string // Sec-WebSocket-Extensions offered by each client
	done       chan struct{}
	doneOnce   sync.Once
}

func startBackend(t *testing.T, page string) *backend {
	t.Helper()
	b := &backend{extensions: make(chan string, 16), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	})
	mux.HandleFunc("/wait", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-b.done:
		case <-time.After(20 * time.Second):
		case <-r.Context().Done():
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		_, _ = w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>`))
	})
	echo := wstest.Echo{
		Accept:    &websocket.AcceptOptions{CompressionMode: websocket.CompressionContextTakeover, InsecureSkipVerify: true},
		ReadLimit: 1 << 20,
		OnMessage: func(msg []byte) bool {
			if string(msg) == "done" {
				b.doneOnce.Do(func() { close(b.done) })
				return false
			}
			return true
		},
	}
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		select {
		case b.extensions <- r.Header.Get("Sec-WebSocket-Extensions"):
		default:
		}
		echo.ServeHTTP(w, r)
	})
	b.addr = wstest.ServeHTTP(t, mux)
	return b
}

// sidecar is the real proxy, in this process, on loopback.
type sidecar struct {
	*proxy.Proxy
	tlsAddr, adminURL string
}

func startSidecar(t *testing.T, p *pki, backendAddr, profile string) *sidecar {
	t.Helper()
	px, err := proxy.New(proxy.Config{
		Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0", Backend: backendAddr, CertDir: p.dir,
		TLSProfile: profile, Registry: prometheus.NewRegistry(), HandshakeTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	wstest.Run(t, "sidecar", px.Run)
	return &sidecar{Proxy: px, tlsAddr: px.Addr().String(), adminURL: "http://" + px.AdminAddr().String()}
}

func (s *sidecar) handshakes(t *testing.T) proxy.HandshakeReport {
	t.Helper()
	r, err := proxy.FetchHandshakes(context.Background(), http.DefaultClient, s.adminURL)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// run runs a client with stdin in its own process group for at most
// timeout (see realclient.Process) and returns its combined output.
func run(t *testing.T, timeout time.Duration, stdin string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	return realclient.Process{Timeout: timeout, Env: env, Stdin: strings.NewReader(stdin)}.Run(t.Context(), name, args...)
}
