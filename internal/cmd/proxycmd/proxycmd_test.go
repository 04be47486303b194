package proxycmd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	. "github.com/onsi/gomega"
	"github.com/spf13/pflag"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certtest"
	"github.com/wss-operator/wss-operator/internal/injection"
	"github.com/wss-operator/wss-operator/internal/tlsnames"
	"github.com/wss-operator/wss-operator/internal/wstest"
)

// The SIGTERM test runs the subcommand in a child process: this test
// binary, re-executed with childEnv set, handling signals as main.go does.
const (
	childEnv     = "WSS_PROXYCMD_CHILD_ARGS"
	drainBudget  = 10 * time.Second
	childClients = 5
)

func TestMain(m *testing.M) {
	if args := os.Getenv(childEnv); args != "" {
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			panic(err)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Run(ctx, argv, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestHelpDocumentsEveryFlag(t *testing.T) {
	g := NewWithT(t)
	var stdout, stderr bytes.Buffer
	g.Expect(Run(context.Background(), []string{"--help"}, &stdout, &stderr)).To(Equal(0))
	g.Expect(stderr.String()).To(BeEmpty())
	help := stdout.String()
	var o options
	n := 0
	newFlagSet(&o).VisitAll(func(f *pflag.Flag) {
		n++
		g.Expect(help).To(ContainSubstring("--"+f.Name+" "), f.Name)
		g.Expect(len(f.Usage)).To(BeNumerically(">", 20), f.Name)
	})
	for _, contract := range []string{"listen", "backend", "cert-dir", "client-auth", "min-tls", "cipher-suites", "curves", "admin-listen", "drain-timeout", "tls-profile"} {
		g.Expect(help).To(ContainSubstring("--"+contract+" "), "contract flag %s (README, proxy flags)", contract)
	}
	g.Expect(n).To(BeNumerically(">=", 16))
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{}, "--cert-dir: required"},
		{[]string{"--cert-dir", dir, "--bogus"}, "unknown flag: --bogus"},
		{[]string{"--cert-dir", dir, "extra"}, `unexpected argument "extra"`},
		{[]string{"--cert-dir", dir, "--min-tls", "1.4"}, "--min-tls"},
		{[]string{"--cert-dir", dir, "--tls-profile", "paranoid"}, "--tls-profile: unknown TLS profile"},
		{[]string{"--cert-dir", dir, "--cipher-suites", "TLS_NOPE"}, "--cipher-suites"},
		{[]string{"--cert-dir", dir, "--cipher-suites", "TLS_AES_128_GCM_SHA256"}, "TLS 1.3 suite"},
		{[]string{"--cert-dir", dir, "--curves", "P224"}, "--curves"},
		{[]string{"--cert-dir", dir, "--client-auth", "maybe"}, "--client-auth"},
		{[]string{"--cert-dir", dir, "--drain-timeout", "0s"}, "--drain-timeout 0s: must be positive"},
		{[]string{"--cert-dir", dir, "--handshake-timeout", "soon"}, "handshake-timeout"},
		{[]string{"--cert-dir", dir, "--max-connections", "-1"}, "--max-connections"},
		{[]string{"--cert-dir", dir, "--log-level", "loud"}, "--log-level"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			g := NewWithT(t)
			var stdout, stderr bytes.Buffer
			g.Expect(Run(context.Background(), tc.args, &stdout, &stderr)).To(Equal(2))
			g.Expect(stderr.String()).To(ContainSubstring(tc.want))
			g.Expect(stdout.String()).To(BeEmpty())
		})
	}
}

func TestStartupErrorsNameTheFile(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"--cert-dir", dir, "--listen", "127.0.0.1:0", "--admin-listen", ""}, &stdout, &stderr)
	g.Expect(code).To(Equal(1))
	g.Expect(stderr.String()).To(ContainSubstring(filepath.Join(dir, "tls.crt")))
}

// selfSigned writes tls.crt/tls.key for 127.0.0.1 and returns a pool that trusts it.
func selfSigned(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	c := certtest.NewSelfSigned(certtest.Options{CommonName: "localhost", Hosts: []string{"localhost", "127.0.0.1"},
		NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	c.WriteTLSFiles(dir)
	return c.Pool()
}

// echoBackend is a plain ws:// echo server (wstest.Echo); it reports the
// close code each connection ended with.
func echoBackend(t *testing.T) (string, chan websocket.StatusCode) {
	t.Helper()
	closes := make(chan websocket.StatusCode, 100)
	return wstest.ServeHTTP(t, wstest.Echo{OnClose: func(code websocket.StatusCode) { closes <- code }}), closes
}

// TestSIGTERMDrainsAndExitsZero runs the subcommand as its own process,
// connects WebSocket clients through it, sends SIGTERM and checks that every
// client and the backend get close 1001 and the process exits 0 within the
// drain budget.
func TestSIGTERMDrainsAndExitsZero(t *testing.T) {
	g := NewWithT(t)
	dir := t.TempDir()
	roots := selfSigned(t, dir)
	backend, backendCloses := echoBackend(t)
	args, _ := json.Marshal([]string{"--cert-dir", dir, "--backend", backend, "--listen", "127.0.0.1:0",
		"--admin-listen", "127.0.0.1:0", "--drain-timeout", drainBudget.String()})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(args))
	stderr, err := cmd.StderrPipe()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cmd.Start()).To(Succeed())
	defer func() { _ = cmd.Process.Kill() }()

	// The child logs one JSON line "serving" with its addresses.
	addrs := make(chan map[string]any, 1)
	logs := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "serving" {
				addrs <- line
			}
			select {
			case logs <- sc.Text():
			default:
			}
		}
	}()
	defer func() {
		if !t.Failed() {
			return
		}
		for {
			select {
			case l := <-logs:
				t.Log(l)
			default:
				return
			}
		}
	}()
	var serving map[string]any
	g.Eventually(addrs, 20*time.Second).Should(Receive(&serving))
	url := "wss://" + serving["listen"].(string) + "/"

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var clients []*websocket.Conn
	for range childClients {
		c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: &http.Client{
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.Write(ctx, websocket.MessageText, []byte("ping"))).To(Succeed())
		_, msg, err := c.Read(ctx)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(string(msg)).To(Equal("ping"))
		clients = append(clients, c)
	}
	resp, err := http.Get("http://" + serving["admin"].(string) + "/readyz")
	g.Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusOK))

	start := time.Now()
	g.Expect(cmd.Process.Signal(syscall.SIGTERM)).To(Succeed())
	for _, c := range clients {
		_, _, err := c.Read(ctx)
		g.Expect(websocket.CloseStatus(err)).To(Equal(websocket.StatusGoingAway), "client close: %v", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var werr error
	g.Eventually(waited, drainBudget+10*time.Second).Should(Receive(&werr))
	took := time.Since(start)
	var exitErr *exec.ExitError
	if errors.As(werr, &exitErr) {
		t.Fatalf("proxy exited with %d", exitErr.ExitCode())
	}
	g.Expect(werr).NotTo(HaveOccurred())
	g.Expect(took).To(BeNumerically("<", drainBudget), "exit within the drain budget")
	for range childClients {
		g.Eventually(backendCloses, 10*time.Second).Should(Receive(Equal(websocket.StatusGoingAway)))
	}
	t.Logf("drained %d WebSockets and exited 0 in %s", childClients, took.Round(time.Millisecond))
}

func TestTLSProfileFlags(t *testing.T) {
	cases := []struct {
		args      []string
		profile   string
		minTLS    uint16
		hasSuites bool
	}{
		{nil, "intermediate", 0, false},
		{[]string{"--tls-profile", "old"}, "old", 0, false},
		{[]string{"--tls-profile", "Modern", "--min-tls", "1.2"}, "Modern", tls.VersionTLS12, false},
		{[]string{"--tls-profile", "old", "--min-tls", "1.0", "--cipher-suites", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"}, "old", tls.VersionTLS10, true},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			g := NewWithT(t)
			var o options
			fs := newFlagSet(&o)
			g.Expect(fs.Parse(append([]string{"--cert-dir", t.TempDir()}, tc.args...))).To(Succeed())
			cfg, _, err := o.config()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(cfg.TLSProfile).To(Equal(tc.profile))
			g.Expect(cfg.MinVersion).To(Equal(tc.minTLS), "0 leaves the choice to the profile")
			g.Expect(cfg.CipherSuites != nil).To(Equal(tc.hasSuites), "explicit suites win over the profile's")
		})
	}
}

// TestInjectedArgsParse pins the contract between the operator and the
// sidecar: whatever internal/injection puts into the injected container's
// args, this command accepts, and it means what the WSSEndpoint says.
func TestInjectedArgsParse(t *testing.T) {
	spec := func(mut func(*wssv1.WSSEndpoint)) *wssv1.WSSEndpoint {
		ep := &wssv1.WSSEndpoint{Spec: wssv1.WSSEndpointSpec{
			WorkloadRef: wssv1.WorkloadReference{Kind: wssv1.WorkloadDeployment, Name: "chat"},
			Backend:     wssv1.Backend{Port: 3000},
			TLS:         wssv1.TLS{SecretName: "chat-tls"},
		}}
		mut(ep)
		return ep
	}
	cases := []struct {
		name    string
		ep      *wssv1.WSSEndpoint
		profile string
		minTLS  uint16
	}{
		{"defaults", spec(func(*wssv1.WSSEndpoint) {}), "intermediate", tls.VersionTLS12},
		{"Modern", spec(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.Profile = wssv1.TLSProfileModern }), "modern", tls.VersionTLS13},
		{"Old", spec(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.Profile = wssv1.TLSProfileOld }), "old", tls.VersionTLS10},
		{"Custom, TLS 1.3", spec(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.TLS.Profile, ep.Spec.TLS.MinVersion = wssv1.TLSProfileCustom, wssv1.TLSVersion13
		}), "intermediate", tls.VersionTLS13},
		{"suites, curves, client auth, ports", spec(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.TLS.CipherSuites = []wssv1.CipherSuite{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}
			ep.Spec.TLS.Curves = []wssv1.Curve{"X25519", "P256"}
			ep.Spec.TLS.ClientAuth = &wssv1.ClientAuth{Mode: wssv1.ClientAuthRequire, CASecretName: "clients"}
			ep.Spec.TLS.Port = 9443
		}), "intermediate", tls.VersionTLS12},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			args := injection.Args(tc.ep)
			g.Expect(args[0]).To(Equal("proxy"))
			var o options
			fs := newFlagSet(&o)
			g.Expect(fs.Parse(args[1:])).To(Succeed())
			g.Expect(fs.NArg()).To(BeZero())
			cfg, _, err := o.config()
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(cfg.Listen).To(Equal(fmt.Sprintf(":%d", injection.TLSPort(tc.ep))))
			g.Expect(cfg.Backend).To(Equal(fmt.Sprintf("127.0.0.1:%d", tc.ep.Spec.Backend.Port)))
			g.Expect(cfg.AdminListen).To(Equal(fmt.Sprintf(":%d", injection.AdminPort)))
			g.Expect(cfg.DrainTimeout).To(Equal(injection.DrainTimeout(tc.ep)))
			g.Expect(cfg.CertDir).To(Equal(injection.CertDir))
			profile, err := tlsnames.LookupProfile(cfg.TLSProfile)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(profile.Name).To(Equal(tc.profile))
			minTLS := cfg.MinVersion
			if minTLS == 0 {
				minTLS = profile.MinVersion
			}
			g.Expect(minTLS).To(Equal(tc.minTLS))
		})
	}
}
