package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/wss-operator/wss-operator/internal/certtest"
	"github.com/wss-operator/wss-operator/internal/realclient"
	"github.com/wss-operator/wss-operator/internal/wstest"
)

// serveBackend is the plain ws:// backend behind both sidecars, run as
// this program with -serve-backend: /echo echoes every message
// (coder/websocket through internal/wstest.Echo, permessage-deflate
// declined), /bench is Chromium's page, /wait holds the page's load event
// until /done with the same token.
func serveBackend(addr string) error {
	if err := loopbackOnly(addr); err != nil {
		return err
	}
	var mu sync.Mutex
	waits := map[string]chan struct{}{}
	wait := func(token string) chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		if waits[token] == nil {
			waits[token] = make(chan struct{})
		}
		return waits[token]
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/bench", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// Cross-origin isolation: performance.now() at 5 µs, not 100 µs.
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		page := strings.Replace(pageHTML, "TOKEN", urlSafe(r.URL.Query().Get("token")), 1)
		_, _ = w.Write([]byte(page))
	})
	mux.HandleFunc("/wait", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-wait(r.URL.Query().Get("token")):
		case <-time.After(3 * time.Minute):
		case <-r.Context().Done():
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cross-Origin-Resource-Policy", "same-origin")
		_, _ = w.Write([]byte(`<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>`))
	})
	mux.HandleFunc("/done", func(w http.ResponseWriter, r *http.Request) {
		c := wait(r.URL.Query().Get("token"))
		mu.Lock()
		select {
		case <-c:
		default:
			close(c)
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.Handle("/echo", wstest.Echo{
		Accept:    &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled, InsecureSkipVerify: true},
		ReadLimit: 1 << 20,
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func urlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return -1
	}, s)
}

// tokens names Chromium's page loads.
type tokens struct {
	mu sync.Mutex
	n  int
}

func (t *tokens) next() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n++
	return "run-" + strconv.Itoa(t.n)
}

func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s: only a loopback IP address is allowed", addr)
	}
	return nil
}

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String(), nil
}

// pki is the sidecar's certificate (ECDSA P-256, for 127.0.0.1 and
// localhost) in certDir, its CA in caFile for Node, and the SHA-256 of its
// public key for Chromium's --ignore-certificate-errors-spki-list.
type pki struct {
	certDir, caFile, spki string
}

func newPKI(dir string) (*pki, error) {
	day := time.Now().Add(24 * time.Hour)
	ca := certtest.NewCA(certtest.Options{CommonName: "realclients bench CA", NotAfter: day})
	leaf := ca.Issue(certtest.Options{CommonName: "localhost", Hosts: []string{"localhost", "127.0.0.1"}, NotAfter: day,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	p := &pki{certDir: filepath.Join(dir, "certs"), caFile: filepath.Join(dir, "ca.pem")}
	if err := os.Mkdir(p.certDir, 0o700); err != nil {
		return nil, err
	}
	leaf.WriteTLSFiles(p.certDir)
	if err := os.WriteFile(p.caFile, ca.CertPEM, 0o600); err != nil {
		return nil, err
	}
	p.spki = realclient.SPKIHash(leaf.Cert)
	return p, nil
}

// process is a server this program started.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs argv (pinned by its prefix) with env added to the
// environment, its output to out.
func start(argv []string, out io.Writer, env ...string) (*process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM and waits at most 10 s before SIGKILL.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// waitHTTP polls url until it answers 200, the process exits or 15 s pass.
func waitHTTP(ctx context.Context, p *process, url string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited", filepath.Base(p.cmd.Path))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer within 15s", url)
}

// startSidecar starts `bin proxy` in front of backend on a free loopback
// port and waits until its /readyz answers.
func startSidecar(ctx context.Context, bin string, pin []string, p *pki, backend string) (*process, string, error) {
	listen, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	admin, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	argv := append(append([]string{}, pin...), bin, "proxy", "--cert-dir", p.certDir, "--backend", backend,
		"--listen", listen, "--admin-listen", admin, "--drain-timeout", "2s")
	var logs bytes.Buffer // its log, shown when it does not start
	proc, err := start(argv, &logs, "GOMAXPROCS=1")
	if err != nil {
		return nil, "", err
	}
	if err := waitHTTP(ctx, proc, "http://"+admin+"/readyz"); err != nil {
		proc.stop()
		return nil, "", fmt.Errorf("sidecar %s: %w: %s", bin, err, realclient.Tail(logs.String(), 2000))
	}
	return proc, listen, nil
}

// waitTCP waits until addr accepts connections.
func waitTCP(ctx context.Context, p *process, addr string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			return c.Close()
		}
		select {
		case <-p.done:
			return errors.New("exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not accept connections within 15s", addr)
}
