package certcheck_test

import (
	"crypto/x509"
	"slices"
	"testing"
	"time"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/certtest"
)

// fuzzNow is fixed so that a corpus entry always means the same thing.
var fuzzNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// FuzzInspect feeds arbitrary tls.crt, tls.key and ca.crt bytes to Check.
// It must never panic, and the report must stay self-consistent. Besides
// testdata/fuzz/FuzzInspect, the seeds are a freshly generated PKI.
func FuzzInspect(f *testing.F) {
	// ECDSA only: RSA key generation is slow under fuzzing instrumentation.
	// The testdata corpus has RSA, Ed25519, SHA-1 and MD5 material.
	root := certtest.NewCA(certtest.Options{CommonName: "Fuzz Root"})
	ica := root.Issue(certtest.Options{CommonName: "Fuzz Intermediate", IsCA: true})
	leaf := ica.Issue(certtest.Options{Hosts: []string{"app.example.com", "127.0.0.1"},
		NotBefore: fuzzNow.Add(-time.Hour), NotAfter: fuzzNow.Add(12 * time.Hour)})
	f.Add(leaf.ChainPEM(), leaf.KeyPEM, root.CertPEM)
	f.Add(certtest.PEMs(ica, leaf, root), leaf.KeyPEMAs(certtest.SEC1), []byte{})
	f.Add(leaf.CertPEM, leaf.LegacyEncryptedKeyPEM("pw"), ica.CertPEM)
	f.Add(leaf.Cert.Raw, leaf.CertPEM, []byte("-----BEGIN CERTIFICATE-----\n"))
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	f.Fuzz(func(t *testing.T, cert, key, ca []byte) {
		in := certcheck.Input{
			Cert: cert, Key: key, KeyName: "tls.key", CA: ca,
			Hosts: []string{"app.example.com", "127.0.0.1", "*.x"}, Now: fuzzNow, WarnWithin: 24 * time.Hour,
		}
		if len(ca) == 0 {
			in.CA, in.Roots = nil, roots
		}
		r := certcheck.Check(in)
		if r.Findings == nil {
			t.Fatal("Findings is nil")
		}
		healthy := true
		for _, x := range r.Findings {
			if !slices.Contains(wssv1.InspectReasons, x.Reason) {
				t.Fatalf("reason %q is not in the inspect vocabulary", x.Reason)
			}
			if x.Message == "" || (x.Severity != certcheck.SeverityError && x.Severity != certcheck.SeverityWarning) {
				t.Fatalf("bad finding %+v", x)
			}
			healthy = healthy && x.Severity != certcheck.SeverityError
		}
		if r.Healthy != healthy {
			t.Fatalf("Healthy=%v with findings %+v", r.Healthy, r.Findings)
		}
		if r.ChainLength != len(r.Chain) || (r.Leaf == nil) != (r.Certificate == nil) || (r.Leaf == nil) != (len(r.Chain) == 0) {
			t.Fatalf("inconsistent report: chain %d/%d leaf %v facts %v", r.ChainLength, len(r.Chain), r.Leaf != nil, r.Certificate)
		}
	})
}

// FuzzClientCA: any bytes, no panic, and only ClientCAInvalid as an error.
func FuzzClientCA(f *testing.F) {
	root := certtest.NewCA(certtest.Options{CommonName: "Fuzz Client Root"})
	leaf := root.Issue(certtest.Options{Hosts: []string{"client"}})
	f.Add(root.CertPEM)
	f.Add(certtest.PEMs(root, leaf))
	f.Add(append(append([]byte(nil), root.CertPEM...), leaf.KeyPEM...))
	f.Add(root.Cert.Raw)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := certcheck.CheckClientCA(data, "ca.crt", fuzzNow)
		healthy := true
		for _, x := range r.Findings {
			if x.Severity == certcheck.SeverityError && x.Reason != wssv1.ReasonClientCAInvalid {
				t.Fatalf("error finding with reason %q", x.Reason)
			}
			if x.Message == "" || !slices.Contains(wssv1.InspectReasons, x.Reason) {
				t.Fatalf("bad finding %+v", x)
			}
			healthy = healthy && x.Severity != certcheck.SeverityError
		}
		if r.Healthy != healthy || (len(data) == 0 && r.Healthy) {
			t.Fatalf("Healthy=%v for %d bytes: %+v", r.Healthy, len(data), r.Findings)
		}
	})
}
