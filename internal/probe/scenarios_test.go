package probe_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"github.com/wss-operator/wss-operator/internal/tlsnames"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certinfo"
	"github.com/wss-operator/wss-operator/internal/certtest"
	"github.com/wss-operator/wss-operator/internal/cmd/probecmd"
	"github.com/wss-operator/wss-operator/internal/probe"
)

// probeCase is one probe, expressible both as probe.Options and as the
// command line of `wss-operator probe`.
type probeCase struct {
	url          string
	connectTo    string
	roots        []*x509.Certificate
	clientCert   *tls.Certificate
	minTLS       string
	maxTLS       string
	suites       []string
	curves       []string
	subprotocols []string
	origin       string
	timeout      time.Duration
	idle         time.Duration
	resolver     func(ctx context.Context, host string) ([]string, error)
}

// wssCase probes wss://echo.test/ws at addr, trusting roots.
func wssCase(addr string, roots ...*x509.Certificate) probeCase {
	return probeCase{url: "wss://echo.test/ws", connectTo: addr, roots: roots}
}

func (pc probeCase) options(t testing.TB) probe.Options {
	t.Helper()
	g := NewWithT(t)
	o := probe.Options{
		URL: pc.url, ConnectTo: pc.connectTo, ClientCert: pc.clientCert, Subprotocols: pc.subprotocols,
		Origin: pc.origin, Timeout: pc.timeout, Idle: pc.idle, Resolver: pc.resolver,
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	if len(pc.roots) > 0 {
		o.Roots = x509.NewCertPool()
		for _, c := range pc.roots {
			o.Roots.AddCert(c)
		}
	}
	var err error
	if pc.minTLS != "" {
		o.MinVersion, err = tlsnames.ParseVersion(pc.minTLS)
		g.Expect(err).NotTo(HaveOccurred())
	}
	if pc.maxTLS != "" {
		o.MaxVersion, err = tlsnames.ParseVersion(pc.maxTLS)
		g.Expect(err).NotTo(HaveOccurred())
	}
	o.CipherSuites, err = tlsnames.ParseCipherSuites(strings.Join(pc.suites, ","), true)
	g.Expect(err).NotTo(HaveOccurred())
	o.Curves, err = tlsnames.ParseCurves(strings.Join(pc.curves, ","))
	g.Expect(err).NotTo(HaveOccurred())
	return o
}

// args is the same probe as a command line (URL first, flags after),
// writing the PEM files it needs into a temporary directory.
func (pc probeCase) args(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	timeout := pc.timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	args := []string{pc.url, "--output", "json", "--timeout", timeout.String()}
	add := func(flag, v string) {
		if v != "" {
			args = append(args, flag, v)
		}
	}
	add("--connect-to", pc.connectTo)
	add("--min-tls", pc.minTLS)
	add("--max-tls", pc.maxTLS)
	add("--cipher-suites", strings.Join(pc.suites, ","))
	add("--curves", strings.Join(pc.curves, ","))
	add("--origin", pc.origin)
	if pc.idle > 0 {
		add("--idle", pc.idle.String())
	}
	for _, s := range pc.subprotocols {
		add("--subprotocol", s)
	}
	if len(pc.roots) > 0 {
		add("--ca", write("ca.crt", certtest.CertsPEM(pc.roots...)))
	}
	if pc.clientCert != nil {
		add("--cert", write("client.crt", certtest.CertsPEM(pc.clientCert.Leaf)))
		add("--key", write("client.key", certtest.KeyPEM(pc.clientCert.PrivateKey.(crypto.Signer), certtest.PKCS8)))
	}
	return args
}

// scenario is a server that provokes one reason.
type scenario struct {
	name   string
	reason string
	phase  string
	setup  func(t *testing.T) probeCase
	// message holds substrings the result's message must contain.
	message []string
	// certs, when not 0, is how many peer certificates the result reports.
	certs int
	// check makes further assertions on the result.
	check func(g Gomega, r *probe.Result)
}

func TestProbeScenarios(t *testing.T) {
	t.Parallel()
	fix := newFixtures(t)
	for _, sc := range fix.scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			pc := sc.setup(t)

			var r *probe.Result
			stalled(t, sc, func() (string, string) {
				r = probe.Run(context.Background(), pc.options(t))
				return r.Reason, r.Phase
			})
			t.Logf("%s (phase %s): %s", r.Reason, r.Phase, r.Message)
			g.Expect(r.Reason).To(Equal(sc.reason), "message: %s", r.Message)
			g.Expect(r.Phase).To(Equal(sc.phase), "message: %s", r.Message)
			g.Expect(r.Healthy).To(Equal(sc.reason == wssv1.ReasonHealthy))
			g.Expect(r.Message).NotTo(BeEmpty())
			g.Expect(r.URL).To(Equal(pc.url))
			g.Expect(r.Timings.TotalMs).To(BeNumerically(">", 0))
			for _, m := range sc.message {
				g.Expect(r.Message).To(ContainSubstring(m))
			}
			if sc.certs != 0 {
				g.Expect(r.TLS.PeerCertificates).To(HaveLen(sc.certs))
			}
			if sc.check != nil {
				sc.check(g, r)
			}

			var code int
			var cli probe.Result
			args := pc.args(t)
			stalled(t, sc, func() (string, string) {
				var stdout, stderr bytes.Buffer
				code = probecmd.Command{Resolver: pc.resolver}.Run(context.Background(), args, &stdout, &stderr)
				g.Expect(stderr.String()).To(BeEmpty())
				cli = probe.Result{}
				g.Expect(json.Unmarshal(stdout.Bytes(), &cli)).To(Succeed(), stdout.String())
				return cli.Reason, cli.Phase
			})
			wantCode := probecmd.ExitUnhealthy
			if sc.reason == wssv1.ReasonHealthy {
				wantCode = probecmd.ExitHealthy
			}
			g.Expect(code).To(Equal(wantCode))
			g.Expect(cli.Reason).To(Equal(sc.reason), "message: %s", cli.Message)
			g.Expect(cli.Phase).To(Equal(sc.phase))
		})
	}
}

// stalled runs probe again (at most three times in all) while it reports a
// Timeout in another phase than the scenario expects: on a loaded machine a
// phase before the one a stalling server blocks can itself run out of time,
// and Timeout is then the right verdict, but not the one under test.
func stalled(t *testing.T, sc scenario, probe func() (reason, phase string)) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		reason, phase := probe()
		if reason != wssv1.ReasonTimeout || phase == sc.phase || attempt == 3 {
			return
		}
		t.Logf("attempt %d: Timeout in phase %s on a slow machine, probing again", attempt, phase)
	}
}

// TestScenariosCoverVocabulary pins that every live-probe reason a probe can
// produce has a real-server scenario above.
func TestScenariosCoverVocabulary(t *testing.T) {
	g := NewWithT(t)
	fix := &fixtures{}
	covered := map[string]bool{}
	for _, sc := range fix.scenarios() {
		covered[sc.reason] = true
	}
	for _, reason := range wssv1.ProbeReasons {
		if reason == wssv1.ReasonStaleCertificate { // operator only
			continue
		}
		g.Expect(covered).To(HaveKey(reason))
	}
	g.Expect(slices.Collect(func(yield func(string) bool) {
		for r := range covered {
			if !slices.Contains(wssv1.ProbeReasons, r) && !yield(r) {
				return
			}
		}
	})).To(BeEmpty(), "reasons outside the vocabulary")
}

// dnsFails is an injected resolver: nothing leaves the machine.
func dnsFails(_ context.Context, host string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestPeerCertificatesWhenVerificationFails checks that the facts of the
// served chain are reported, exactly, although the chain does not verify.
func TestPeerCertificatesWhenVerificationFails(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root := newRootCA(t, "Unrelated Root")
	inter := newRootCA(t, "Untrusted CA").intermediate(t, certOpts{cn: "Untrusted Intermediate"})
	served := withChain(inter.issue(t, certOpts{cn: "echo.test", dnsNames: []string{"echo.test"}}), inter)
	addr := startHTTP(t, serverTLS(served), echoHandler(nil))

	r := probe.Run(context.Background(), wssCase(addr, root.cert).options(t))
	g.Expect(r.Reason).To(Equal(wssv1.ReasonChainIncomplete), r.Message)
	g.Expect(r.TLS.Verified).To(BeFalse())
	g.Expect(r.TLS.PeerCertificates).To(Equal([]certinfo.Facts{certinfo.Of(served.Leaf), certinfo.Of(inter.cert)}))
}
