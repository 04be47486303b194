package probe_test

import (
	"context"
	"crypto/x509"
	"net"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/probe"
	"github.com/wss-operator/wss-operator/internal/proxy"
	"github.com/wss-operator/wss-operator/internal/tlsnames"
	"github.com/wss-operator/wss-operator/internal/wstest"
)

// startSidecar runs the real sidecar (internal/proxy) on loopback under a
// TLS profile, with a certificate for 127.0.0.1 issued by ca.
func startSidecar(t *testing.T, ca *testCA, profile string) string {
	t.Helper()
	dir := t.TempDir()
	ca.ca.Issue(certOpts{cn: "sidecar", ips: []net.IP{net.IPv4(127, 0, 0, 1)}}.options()).WriteTLSFiles(dir)
	p, err := proxy.New(proxy.Config{Listen: "127.0.0.1:0", AdminListen: proxy.AdminDisabled,
		Backend: "127.0.0.1:1", CertDir: dir, TLSProfile: profile})
	if err != nil {
		t.Fatal(err)
	}
	wstest.Run(t, "sidecar", p.Run)
	return p.Addr().String()
}

// TestCompatAgainstSidecarProfiles plays every client profile against the
// sidecar under each of its TLS profiles.
func TestCompatAgainstSidecarProfiles(t *testing.T) {
	ok := wssv1.ReasonHealthy
	version, cipher := wssv1.ReasonProtocolVersionMismatch, wssv1.ReasonNoSharedCipher
	want := map[string]map[string]string{
		tlsnames.ProfileModern:       {probe.ClientTLS13: ok, probe.ClientTLS12GCM: version, probe.ClientTLS12CBC: version, probe.ClientTLS10CBC: version},
		tlsnames.ProfileIntermediate: {probe.ClientTLS13: ok, probe.ClientTLS12GCM: ok, probe.ClientTLS12CBC: cipher, probe.ClientTLS10CBC: version},
		tlsnames.ProfileOld:          {probe.ClientTLS13: ok, probe.ClientTLS12GCM: ok, probe.ClientTLS12CBC: ok, probe.ClientTLS10CBC: ok},
	}
	ca := newRootCA(t, "compat CA")
	roots := poolOf(ca)
	for _, profile := range tlsnames.ProfileNames() {
		t.Run(profile, func(t *testing.T) {
			g := NewWithT(t)
			addr := startSidecar(t, ca, profile)
			results := probe.Compat(context.Background(), probe.Options{URL: "wss://" + addr + "/", Roots: roots, Timeout: 5 * time.Second})
			g.Expect(results).To(HaveLen(len(probe.ClientProfiles())))
			for _, r := range results {
				g.Expect(r.Reason).To(Equal(want[profile][r.Profile]), "%s: %s", r.Profile, r.Message)
				g.Expect(r.OK).To(Equal(r.Reason == ok), r.Profile)
				g.Expect(r.StandsFor).NotTo(BeEmpty())
				if r.OK {
					g.Expect(r.Version).NotTo(BeEmpty())
					g.Expect(r.Message).To(ContainSubstring("certificate verified"))
				} else {
					g.Expect(r.Message).NotTo(BeEmpty())
				}
			}
		})
	}
}

func TestCompatFailuresApplyToEveryProfile(t *testing.T) {
	g := NewWithT(t)
	ca := newRootCA(t, "compat CA")
	addr := startSidecar(t, ca, tlsnames.ProfileOld)
	// Without our CA every client refuses the certificate, for the reason
	// a full probe names.
	o := probe.Options{URL: "wss://" + addr + "/", Roots: poolOf(newRootCA(t, "other")), Timeout: 5 * time.Second}
	full := probe.Run(context.Background(), o)
	g.Expect(full.Phase).To(Equal(probe.PhaseTLS))
	for _, r := range probe.Compat(context.Background(), o) {
		g.Expect(r.OK).To(BeFalse())
		g.Expect(r.Reason).To(Equal(full.Reason), r.Profile)
	}
	// ws:// cannot be judged.
	for _, r := range probe.Compat(context.Background(), probe.Options{URL: "ws://" + addr + "/"}) {
		g.Expect(r.Reason).To(Equal(wssv1.ReasonNotTLS))
	}
	// Nothing listening.
	for _, r := range probe.Compat(context.Background(), probe.Options{URL: "wss://" + closedPort(t) + "/"}) {
		g.Expect(r.Reason).To(Equal(wssv1.ReasonConnectionRefused))
	}
	g.Expect(probe.CompatSummary([]probe.CompatResult{{Profile: "a", OK: true}, {Profile: "b"}})).To(Equal("1 of 2 client profiles connect (refused: b)"))
}

func poolOf(cas ...*testCA) *x509.CertPool {
	p := x509.NewCertPool()
	for _, ca := range cas {
		p.AddCert(ca.cert)
	}
	return p
}
