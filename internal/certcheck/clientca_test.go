package certcheck_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/certtest"
)

func TestCheckClientCA(t *testing.T) {
	f := getFixture()
	expired := certtest.NewCA(certtest.Options{CommonName: "Old Client CA",
		NotBefore: f.now.Add(-48 * time.Hour), NotAfter: f.now.Add(-time.Hour)})
	future := certtest.NewCA(certtest.Options{CommonName: "Future Client CA",
		NotBefore: f.now.Add(time.Hour), NotAfter: f.now.Add(48 * time.Hour)})
	const key = "Secret client-ca ca.crt"
	cases := []struct {
		name     string
		data     []byte
		want     []string // reasons in report order
		healthy  bool
		contains []string
	}{
		{name: "one root", data: f.root.CertPEM, healthy: true},
		{name: "root and intermediate", data: certtest.PEMs(f.root, f.ica), healthy: true},
		{name: "missing", data: nil, want: []string{wssv1.ReasonClientCAInvalid},
			contains: []string{key + " is missing or empty: it must hold the PEM certificates of the CAs"}},
		{name: "white space", data: []byte("\n \n"), want: []string{wssv1.ReasonClientCAInvalid},
			contains: []string{key + " holds only white space"}},
		{name: "not PEM", data: []byte("hello"), want: []string{wssv1.ReasonClientCAInvalid},
			contains: []string{key + " is not PEM (no -----BEGIN line)"}},
		{name: "DER", data: f.root.Cert.Raw, want: []string{wssv1.ReasonClientCAInvalid},
			contains: []string{"looks like binary DER"}},
		{name: "private key beside the CA", data: append(append([]byte(nil), f.root.CertPEM...), f.leaf.KeyPEM...),
			want: []string{wssv1.ReasonClientCAInvalid}, contains: []string{key + `: block #2 (line`, `is "PRIVATE KEY", not "CERTIFICATE"`}},
		{name: "only a key", data: f.leaf.KeyPEM, want: []string{wssv1.ReasonClientCAInvalid, wssv1.ReasonClientCAInvalid},
			contains: []string{key + " holds no CERTIFICATE block"}},
		{name: "truncated", data: f.root.CertPEM[:60], want: []string{wssv1.ReasonClientCAInvalid},
			contains: []string{"has no END line"}},
		{name: "a leaf is not a CA", data: certtest.PEMs(f.root, f.leaf), want: []string{wssv1.ReasonClientCAInvalid},
			contains: []string{key + `: 1 of its 2 certificates is not a CA`, `#2 "CN=app.example.com"`}},
		{name: "only leaves", data: certtest.PEMs(f.leaf, f.rsaLeaf), want: []string{wssv1.ReasonClientCAInvalid},
			contains: []string{"2 of its 2 certificates are not a CA"}},
		{name: "expired CA beside a valid one: warning", data: certtest.PEMs(f.root, expired), healthy: true,
			want: []string{wssv1.ReasonCertificateExpired}, contains: []string{`CA certificate #2 "CN=Old Client CA" expired at`}},
		{name: "not yet valid CA beside a valid one: warning", data: certtest.PEMs(future, f.root), healthy: true,
			want: []string{wssv1.ReasonCertificateNotYetValid}, contains: []string{`CA certificate #1 "CN=Future Client CA" is not valid before`}},
		{name: "only an expired CA", data: expired.CertPEM,
			want:     []string{wssv1.ReasonClientCAInvalid, wssv1.ReasonCertificateExpired},
			contains: []string{key + " holds no CA certificate valid at"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			r := certcheck.CheckClientCA(tc.data, key, f.now)
			var got, msgs []string
			for _, x := range r.Findings {
				got, msgs = append(got, x.Reason), append(msgs, x.Message)
				wantSev := certcheck.SeverityError
				if x.Reason != wssv1.ReasonClientCAInvalid {
					wantSev = certcheck.SeverityWarning
				}
				g.Expect(x.Severity).To(Equal(wantSev))
			}
			g.Expect(got).To(Equal(tc.want), "%q", msgs)
			g.Expect(r.Healthy).To(Equal(tc.healthy))
			g.Expect(r.Findings).NotTo(BeNil())
			g.Expect(r.Leaf).To(BeNil())
			g.Expect(r.Certificate).To(BeNil())
			for _, s := range tc.contains {
				g.Expect(strings.Join(msgs, "\n")).To(ContainSubstring(s))
			}
			if e, ok := r.Error(); ok {
				g.Expect(e.Reason).To(Equal(wssv1.ReasonClientCAInvalid))
			}
		})
	}
	g := NewWithT(t)
	r := certcheck.CheckClientCA(nil, "", time.Time{})
	g.Expect(r.Findings[0].Message).To(HavePrefix("ca.crt is missing or empty"))
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
