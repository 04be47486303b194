package probecmd

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certinfo"
	"github.com/wss-operator/wss-operator/internal/probe"
	"github.com/wss-operator/wss-operator/internal/wstest"
)

func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// echoServer is the WebSocket echo (wstest.Echo) on loopback (TLS when tls
// is true, with httptest's certificate for 127.0.0.1); it returns the server.
func echoServer(t *testing.T, tls bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(wstest.Echo{})
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

func TestHelp(t *testing.T) {
	g := NewWithT(t)
	code, stdout, stderr := run("--help")
	g.Expect(code).To(Equal(ExitHealthy))
	g.Expect(stderr).To(BeEmpty())
	for _, flag := range []string{"--connect-to", "--ca", "--cert", "--key", "--min-tls", "--max-tls", "--cipher-suites",
		"--curves", "--server-name", "--subprotocol", "--origin", "--timeout", "--idle", "--output"} {
		g.Expect(stdout).To(ContainSubstring(flag))
	}
	g.Expect(stdout).To(ContainSubstring("Exit status: 0 healthy, 1 unhealthy, 2 usage error"))
}

func TestUsageErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.crt")
	notPEM := writeFile(t, "ca.crt", "not a certificate\n")
	key := writeFile(t, "tls.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no URL", nil, "missing URL"},
		{"two URLs", []string{"wss://a.test", "wss://b.test"}, "exactly one URL"},
		{"http scheme", []string{"https://a.test"}, "scheme must be wss or ws"},
		{"unknown flag", []string{"wss://a.test", "--nope"}, "unknown flag: --nope"},
		{"cert without key", []string{"wss://a.test", "--cert", notPEM}, "--cert and --key must be given together"},
		{"key without cert", []string{"wss://a.test", "--key", key}, "--cert and --key must be given together"},
		{"unreadable CA", []string{"wss://a.test", "--ca", missing}, missing},
		{"CA without certificates", []string{"wss://a.test", "--ca", notPEM}, notPEM},
		{"unreadable cert", []string{"wss://a.test", "--cert", missing, "--key", key}, missing},
		{"bad key pair", []string{"wss://a.test", "--cert", notPEM, "--key", key}, notPEM},
		{"unknown cipher", []string{"wss://a.test", "--cipher-suites", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,BOGUS"}, `"BOGUS"`},
		{"unknown curve", []string{"wss://a.test", "--curves", "X448"}, `--curves: unknown curve "X448"`},
		{"bad min-tls", []string{"wss://a.test", "--min-tls", "1.1"}, "--min-tls"},
		{"bad max-tls", []string{"wss://a.test", "--max-tls", "2"}, "--max-tls"},
		{"min above max", []string{"wss://a.test", "--min-tls", "1.3", "--max-tls", "1.2"}, "above maximum"},
		{"bad output", []string{"wss://a.test", "--output", "yaml"}, `--output "yaml"`},
		{"zero timeout", []string{"wss://a.test", "--timeout", "0s"}, "--timeout"},
		{"unparseable timeout", []string{"wss://a.test", "--timeout", "soon"}, "--timeout"},
		{"negative idle", []string{"wss://a.test", "--idle", "-1s"}, "--idle"},
		{"bad connect-to", []string{"wss://a.test", "--connect-to", "127.0.0.1"}, "connect-to"},
		{"bad subprotocol", []string{"wss://a.test", "--subprotocol", "a b"}, "not an HTTP token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			code, stdout, stderr := run(tt.args...)
			g.Expect(code).To(Equal(ExitUsage))
			g.Expect(stdout).To(BeEmpty())
			g.Expect(stderr).To(ContainSubstring(tt.want))
		})
	}
}

func TestHealthyTextWithFlagsBeforeURL(t *testing.T) {
	g := NewWithT(t)
	srv := echoServer(t, true)
	ca := caFile(t, srv)
	url := "wss://" + srv.Listener.Addr().String() + "/ws"

	code, stdout, stderr := run("--ca", ca, "--timeout", "20s", url)
	g.Expect(code).To(Equal(ExitHealthy), stdout+stderr)
	g.Expect(stdout).To(HavePrefix("HEALTHY " + url + "\n"))
	g.Expect(stdout).To(ContainSubstring("verified:       true"))
	g.Expect(stdout).To(ContainSubstring("sha256:       " + certinfo.Fingerprint(srv.Certificate())))
	g.Expect(stdout).To(ContainSubstring("HTTP status:    101"))
	g.Expect(stdout).NotTo(ContainSubstring("What to do"))
}

func TestUnhealthyTextHasAdvice(t *testing.T) {
	g := NewWithT(t)
	srv := echoServer(t, true) // its certificate is not trusted without --ca
	url := "wss://" + srv.Listener.Addr().String() + "/"
	code, stdout, _ := run(url, "--timeout=20s")
	g.Expect(code).To(Equal(ExitUnhealthy))
	g.Expect(stdout).To(HavePrefix("UNHEALTHY "))
	g.Expect(stdout).To(ContainSubstring("(phase tls): "))
	g.Expect(stdout).To(ContainSubstring("certificate 0 (leaf):"))
	g.Expect(stdout).To(ContainSubstring("What to do:\n  "))
}

func TestPlainWSJSON(t *testing.T) {
	g := NewWithT(t)
	srv := echoServer(t, false)
	code, stdout, stderr := run("ws://echo.test/", "--connect-to", srv.Listener.Addr().String(), "--output", "json", "--timeout", "20s")
	g.Expect(code).To(Equal(ExitHealthy), stderr)
	var r probe.Result
	g.Expect(json.Unmarshal([]byte(stdout), &r)).To(Succeed())
	g.Expect(r.Reason).To(Equal(wssv1.ReasonHealthy))
	g.Expect(r.WebSocket.Status).To(Equal(101))
}

func TestWriteText(t *testing.T) {
	r := &probe.Result{
		URL: "wss://echo.test/ws", Reason: wssv1.ReasonChainIncomplete, Phase: probe.PhaseTLS, Message: "the chain stops at the leaf",
		TLS: probe.TLSInfo{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", PeerCertificates: []certinfo.Facts{
			{Subject: "CN=echo.test", Issuer: "CN=Intermediate", NotBefore: "2025-01-01T00:00:00Z", NotAfter: "2026-01-01T00:00:00Z",
				SHA256: "ab12", DNSNames: []string{"echo.test", "www.echo.test"}},
		}},
		Timings: probe.Timings{ConnectMs: 1.25, TLSMs: 2.5, TotalMs: 4},
	}
	var b strings.Builder
	writeText(&b, r)
	out := b.String()
	g := NewWithT(t)
	g.Expect(out).To(HavePrefix("UNHEALTHY ChainIncomplete (phase tls): the chain stops at the leaf\n"))
	for _, want := range []string{
		"TLS version:    TLS 1.3\n", "cipher suite:   TLS_AES_128_GCM_SHA256\n", "ALPN:           -\n", "verified:       false\n",
		"  subject:      CN=echo.test\n", "  issuer:       CN=Intermediate\n",
		"  valid:        2025-01-01T00:00:00Z to 2026-01-01T00:00:00Z\n", "  DNS names:    echo.test, www.echo.test\n",
		"timings (ms):   connect 1.25, tls 2.50, upgrade 0.00, ping 0.00, total 4.00\n", "What to do:\n  The server sends its certificate",
	} {
		g.Expect(out).To(ContainSubstring(want))
	}
	g.Expect(out).NotTo(ContainSubstring("HTTP status")) // no upgrade answer
	for _, line := range strings.Split(out[strings.Index(out, "What to do:"):], "\n") {
		g.Expect(len(line)).To(BeNumerically("<=", 78), line)
	}
}

func TestWriteTextIdle(t *testing.T) {
	r := &probe.Result{
		URL: "wss://echo.test/ws", Reason: wssv1.ReasonIdleTimeout, Phase: probe.PhaseIdle,
		Message: "the WebSocket was healthy and was cut after 2s without traffic",
		Timings: probe.Timings{ConnectMs: 1, TLSMs: 2, UpgradeMs: 1, PingMs: 0.5, IdleMs: 2000, TotalMs: 2004.5},
	}
	var b strings.Builder
	writeText(&b, r)
	out := b.String()
	g := NewWithT(t)
	g.Expect(out).To(HavePrefix("UNHEALTHY IdleTimeout (phase idle): the WebSocket was healthy"))
	g.Expect(out).To(ContainSubstring("timings (ms):   connect 1.00, tls 2.00, upgrade 1.00, ping 0.50, idle 2000.00, total 2004.50\n"))
	g.Expect(out).To(ContainSubstring("proxy_read_timeout"))
	g.Expect(out).To(ContainSubstring("timeout tunnel"))
}

// caFile writes the certificate of the TLS test server srv to a ca.crt for
// --ca and returns its path.
func caFile(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	return writeFile(t, "ca.crt", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
}
