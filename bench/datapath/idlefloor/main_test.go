package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

// TestMain lets the test binary be the server and backend processes that
// run starts (it runs itself with -serve or -echo).
func TestMain(m *testing.M) {
	if slices.Contains(os.Args, "-serve") || slices.Contains(os.Args, "-echo") {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestIdleFloor(t *testing.T) {
	g := NewWithT(t)
	cert, key := writeCert(g, t.TempDir())
	out := filepath.Join(t.TempDir(), "gofloor.json")
	g.Expect(run(cert, key, 40, 4, -1, 0, 30*time.Second, out)).To(Succeed())
	b, err := os.ReadFile(out)
	g.Expect(err).NotTo(HaveOccurred())
	var r benchresult.Run
	g.Expect(json.Unmarshal(b, &r)).To(Succeed())
	g.Expect(r.Target).To(Equal("gofloor"))
	g.Expect(r.Errors).To(BeZero(), r.FirstError)
	g.Expect(r.TLS).To(Equal(&benchresult.TLSFacts{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Curve: "X25519", ALPN: "http/1.1"}))
	g.Expect(r.Idle.Opened).To(Equal(40))
	g.Expect(r.Idle.ServerBeforeKiB).To(BeNumerically(">", 0))
	g.Expect(r.Idle.ServerAfterKiB).To(BeNumerically(">", r.Idle.ServerBeforeKiB))
	g.Expect(r.Idle.ServerPerConnKiB).To(BeNumerically("~", float64(r.Idle.ServerAfterKiB-r.Idle.ServerBeforeKiB)/40, 1e-9))
}

func TestIdleFloorBadInput(t *testing.T) {
	g := NewWithT(t)
	g.Expect(run("", "", 10, 4, -1, 0, time.Second, "")).To(MatchError(ContainSubstring("-cert and -key are required")))
	g.Expect(run("/nonexistent.crt", "/nonexistent.key", 10, 4, -1, 0, time.Second, "")).To(MatchError(ContainSubstring("/nonexistent.crt")))
	g.Expect(run("a", "b", 0, 4, -1, 0, time.Second, "")).To(MatchError(ContainSubstring("-count")))
}

// writeCert writes a self-signed ECDSA P-256 certificate for bench.local.
func writeCert(g Gomega, dir string) (certFile, keyFile string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	g.Expect(err).NotTo(HaveOccurred())
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench.local"}, DNSNames: []string{"bench.local"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	g.Expect(err).NotTo(HaveOccurred())
	kder, err := x509.MarshalECPrivateKey(key)
	g.Expect(err).NotTo(HaveOccurred())
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	g.Expect(os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)).To(Succeed())
	g.Expect(os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)).To(Succeed())
	return certFile, keyFile
}
