package realservers

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wss-operator/wss-operator/internal/wstest"
)

// need returns the path of a server binary, failing (or skipping with
// WSS_REALSERVERS_SKIP=1) with the install hint when it is missing.
func need(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		for _, dir := range []string{"", "/usr/sbin/", "/usr/bin/"} {
			if p, err := exec.LookPath(dir + n); err == nil {
				return p
			}
		}
	}
	if os.Getenv("WSS_REALSERVERS_SKIP") != "" {
		t.Skipf("%s not installed (WSS_REALSERVERS_SKIP set)", names[0])
	}
	t.Fatalf("%s not installed: run `make test-deps` (apt-get install nginx haproxy stunnel4 php-cli openssl)", names[0])
	return ""
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int { return wstest.FreeAddr(t).Port }

// writeFile writes data to dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// syncBuffer is an output sink safe for the process's copier goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is a running server process.
type server struct {
	addr string
	out  *syncBuffer
	dir  string
}

// start runs argv in dir in its own session and process group, waits until it accepts
// TCP connections on port, and kills the whole group at the end of the test
// (and at once if it never comes up). logs are extra files whose content is
// printed when the test fails.
func start(t *testing.T, dir string, port int, argv []string, logs ...string) *server {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// A new session: its own process group (killed as one), and no
	// controlling terminal, so a server that wants a key passphrase fails
	// instead of waiting for one.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			t.Errorf("%s (pid %d) did not exit after SIGKILL", argv[0], pid)
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(argv[0]), out.String())
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				t.Logf("%s:\n%s", l, b)
			}
		}
	})
	s := &server{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), out: out, dir: dir}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr, 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return s
		}
		select {
		case <-exited:
			t.Fatalf("%v exited before listening on %s:\n%s", argv, s.addr, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v does not listen on %s after 10s:\n%s", argv, s.addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// echoBackend is a plain ws:// echo server (wstest.Echo), the WebSocket
// server behind the TLS terminators, stopped at the end of the test; it
// returns its address.
func echoBackend(t *testing.T) string { return wstest.ServeHTTP(t, wstest.Echo{}) }
