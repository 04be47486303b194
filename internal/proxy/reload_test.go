package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/certinfo"
)

// servedLeaf does a fresh TLS handshake (no session resumption) and returns
// the fingerprint of the leaf the proxy serves.
func servedLeaf(p *testProxy, roots *x509.CertPool) (string, error) {
	c, err := tls.Dial("tcp", p.Addr().String(), &tls.Config{RootCAs: roots, ServerName: "localhost"})
	if err != nil {
		return "", err
	}
	defer c.Close()
	return certinfo.Fingerprint(c.ConnectionState().PeerCertificates[0]), nil
}

func TestRotationByAtomicSwap(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	_, cs, p := startEnv(t, true, Config{ReloadInterval: time.Hour})
	ctx := testContext(t, 30*time.Second)

	// Both the old and the new CA are trusted by clients during the rotation.
	newCA := newTestCA(t, "next CA")
	roots := cs.ca.pool()
	roots.AddCert(newCA.cert)

	c := dialEcho(t, ctx, p, roots)
	g.Expect(echoOnce(ctx, c, []byte("before"))).To(Succeed())
	g.Expect(servedLeaf(p, roots)).To(Equal(fingerprintPEM(t, cs.cert)))

	crt, key := newCA.issue(t, leafOpts{})
	secretDir(t, cs.dir, map[string][]byte{certFile: crt, keyFile: key, caFile: newCA.pem})

	// New handshakes see the new leaf within seconds (fsnotify; the
	// periodic re-read is an hour away in this test).
	g.Eventually(func() (string, error) { return servedLeaf(p, roots) }, 10*time.Second, 50*time.Millisecond).
		Should(Equal(fingerprintPEM(t, crt)))
	// The connection that was open all along still echoes.
	for i := range 10 {
		g.Expect(echoOnce(ctx, c, pattern(100*i))).To(Succeed())
	}
	g.Expect(p.metric(t, MetricCertificateReloads, "result", reloadSuccess)).To(Equal(1.0))
	g.Expect(p.metric(t, MetricCertificateReloads, "result", reloadFailure)).To(BeZero())
	// A new WebSocket works with the new certificate.
	c2 := dialEcho(t, ctx, p, newCA.pool())
	g.Expect(echoOnce(ctx, c2, []byte("after"))).To(Succeed())
	c2.CloseNow()
}

func TestBadPairIsRefused(t *testing.T) {
	t.Parallel()
	be := startBackend(t)
	otherCA := newTestCA(t, "other")
	_, otherKey := otherCA.issue(t, leafOpts{})
	expiredCrt, expiredKey := otherCA.issue(t, leafOpts{notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-time.Hour)})
	cases := []struct {
		name  string
		files func(cs *certSetup) map[string][]byte
		want  string
	}{
		{"key of another certificate", func(cs *certSetup) map[string][]byte {
			crt, _ := cs.ca.issue(t, leafOpts{})
			return map[string][]byte{certFile: crt, keyFile: otherKey, caFile: cs.ca.pem}
		}, "private key does not match"},
		{"expired", func(cs *certSetup) map[string][]byte {
			return map[string][]byte{certFile: expiredCrt, keyFile: expiredKey, caFile: cs.ca.pem}
		}, "expired"},
		{"not PEM", func(cs *certSetup) map[string][]byte {
			return map[string][]byte{certFile: []byte("garbage"), keyFile: otherKey, caFile: cs.ca.pem}
		}, "tls.crt: no PEM data"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			cs := newCertSetup(t, true)
			p := startProxy(t, Config{Backend: be.addr, CertDir: cs.dir, ReloadInterval: 200 * time.Millisecond})
			ctx := testContext(t, 20*time.Second)
			c := dialEcho(t, ctx, p, cs.ca.pool())

			secretDir(t, cs.dir, tc.files(cs))
			g.Eventually(p.metricFunc(t, MetricCertificateReloads, "result", reloadFailure), 10*time.Second, 50*time.Millisecond).Should(Equal(1.0))
			// Counted once, although the periodic re-read sees it again and again.
			g.Consistently(p.metricFunc(t, MetricCertificateReloads, "result", reloadFailure), time.Second, 100*time.Millisecond).Should(Equal(1.0))
			// The old pair keeps serving, old and new connections work.
			g.Expect(servedLeaf(p, cs.ca.pool())).To(Equal(fingerprintPEM(t, cs.cert)))
			g.Expect(echoOnce(ctx, c, []byte("still fine"))).To(Succeed())
			logs := p.logs.String()
			g.Expect(logs).To(ContainSubstring("certificate reload refused"))
			g.Expect(logs).To(ContainSubstring(tc.want))
			g.Expect(logs).NotTo(ContainSubstring("PRIVATE KEY"))
			g.Expect(p.metric(t, MetricCertificateReloads, "result", reloadSuccess)).To(BeZero())

			// Fixing the directory is picked up.
			crt, key := cs.ca.issue(t, leafOpts{})
			secretDir(t, cs.dir, map[string][]byte{certFile: crt, keyFile: key, caFile: cs.ca.pem})
			g.Eventually(func() (string, error) { return servedLeaf(p, cs.ca.pool()) }, 10*time.Second, 50*time.Millisecond).
				Should(Equal(fingerprintPEM(t, crt)))
		})
	}
}

func TestNewFailsFastNamingTheFile(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "ca")
	crt, key := ca.issue(t, leafOpts{})
	_, otherKey := ca.issue(t, leafOpts{})
	expCrt, expKey := ca.issue(t, leafOpts{notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-time.Minute)})
	futCrt, futKey := ca.issue(t, leafOpts{notBefore: time.Now().Add(time.Hour), notAfter: time.Now().Add(48 * time.Hour)})
	cases := []struct {
		name       string
		files      map[string][]byte
		clientAuth string
		want       []string
	}{
		{"empty directory", nil, "", []string{"tls.crt", "no such file"}},
		{"no key", map[string][]byte{certFile: crt}, "", []string{"tls.key", "no such file"}},
		{"mismatched key", map[string][]byte{certFile: crt, keyFile: otherKey}, "", []string{"tls.crt and", "tls.key", "does not match"}},
		{"key is not PEM", map[string][]byte{certFile: crt, keyFile: []byte("nope")}, "", []string{"tls.key: no PEM data"}},
		{"expired", map[string][]byte{certFile: expCrt, keyFile: expKey}, "", []string{"tls.crt: certificate expired"}},
		{"not yet valid", map[string][]byte{certFile: futCrt, keyFile: futKey}, "", []string{"tls.crt: certificate is not valid before"}},
		{"client auth without ca.crt", map[string][]byte{certFile: crt, keyFile: key}, ClientAuthRequire, []string{"ca.crt", "no such file"}},
		{"client auth with empty ca.crt", map[string][]byte{certFile: crt, keyFile: key, caFile: {}}, ClientAuthRequest, []string{"ca.crt: empty"}},
		{"client auth with junk ca.crt", map[string][]byte{certFile: crt, keyFile: key, caFile: []byte("junk")}, ClientAuthRequire, []string{"ca.crt: no certificate"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			dir := t.TempDir()
			plainDir(t, dir, tc.files)
			_, err := New(Config{CertDir: dir, ClientAuth: tc.clientAuth, Listen: "127.0.0.1:0", AdminListen: AdminDisabled})
			g.Expect(err).To(HaveOccurred())
			for _, w := range tc.want {
				g.Expect(err.Error()).To(ContainSubstring(w))
			}
			g.Expect(err.Error()).To(ContainSubstring(dir))
			g.Expect(err.Error()).NotTo(ContainSubstring("PRIVATE KEY"))
		})
	}
	// The same files in the Kubernetes layout load, and errors still name
	// the path the user knows (DIR/tls.crt), not the timestamped directory.
	g := NewWithT(t)
	dir := t.TempDir()
	secretDir(t, dir, map[string][]byte{certFile: crt, keyFile: otherKey})
	_, err := New(Config{CertDir: dir, Listen: "127.0.0.1:0", AdminListen: AdminDisabled})
	g.Expect(err).To(MatchError(ContainSubstring(filepath.Join(dir, "tls.crt"))))
	g.Expect(err.Error()).NotTo(ContainSubstring(dataDir))
	g.Expect(err.Error()).NotTo(ContainSubstring("/.."))
	secretDir(t, dir, map[string][]byte{certFile: crt, keyFile: key})
	p, err := New(Config{CertDir: dir, Listen: "127.0.0.1:0", AdminListen: AdminDisabled})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(p.cert.Load().sha256).To(Equal(fingerprintPEM(t, crt)))
	p.ln.Close()
}
