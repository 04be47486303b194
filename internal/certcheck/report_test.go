package certcheck_test

import (
	"crypto/x509"
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/certtest"
)

// Every key encoding users hand us is read, and matched against the leaf.
func TestCheckKeyFormats(t *testing.T) {
	f := getFixture()
	ecParams := []byte("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n")
	cases := []struct {
		name     string
		leaf     *certtest.Cert
		key      []byte
		wrongKey []byte
	}{
		{name: "RSA PKCS#1", leaf: f.rsaLeaf, key: f.rsaLeaf.KeyPEMAs(certtest.PKCS1), wrongKey: f.leaf.KeyPEMAs(certtest.SEC1)},
		{name: "RSA PKCS#8", leaf: f.rsaLeaf, key: f.rsaLeaf.KeyPEMAs(certtest.PKCS8), wrongKey: f.edLeaf.KeyPEM},
		{name: "ECDSA SEC1", leaf: f.leaf, key: f.leaf.KeyPEMAs(certtest.SEC1), wrongKey: f.strangerKey.KeyPEMAs(certtest.SEC1)},
		{name: "ECDSA SEC1 after EC PARAMETERS (openssl ecparam -genkey)", leaf: f.leaf,
			key: append(append([]byte(nil), ecParams...), f.leaf.KeyPEMAs(certtest.SEC1)...), wrongKey: f.strangerKey.KeyPEM},
		{name: "ECDSA PKCS#8", leaf: f.leaf, key: f.leaf.KeyPEM, wrongKey: f.rsaLeaf.KeyPEMAs(certtest.PKCS1)},
		{name: "Ed25519 PKCS#8", leaf: f.edLeaf, key: f.edLeaf.KeyPEM, wrongKey: f.strangerKey.KeyPEM},
		{name: "key after the certificate in one file", leaf: f.leaf,
			key: append(f.leaf.ChainPEM(), f.leaf.KeyPEM...), wrongKey: append(f.leaf.ChainPEM(), f.strangerKey.KeyPEM...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			in := f.healthy()
			in.Cert, in.Key = tc.leaf.ChainPEM(), tc.key
			r := certcheck.Check(in)
			g.Expect(r.Findings).To(BeEmpty())
			g.Expect(r.Healthy).To(BeTrue())

			in.Key = tc.wrongKey
			r = certcheck.Check(in)
			g.Expect(r.Findings).To(HaveLen(1))
			g.Expect(r.Findings[0].Reason).To(Equal(wssv1.ReasonKeyMismatch))
			g.Expect(r.Healthy).To(BeFalse())
		})
	}
}

func TestCheckLeafAndChain(t *testing.T) {
	f := getFixture()
	cases := []struct {
		name     string
		in       func() certcheck.Input
		wantLeaf *certtest.Cert
		wantLen  int
		reasons  []string
	}{
		{name: "leaf first", in: f.healthy, wantLeaf: f.leaf, wantLen: 2},
		{name: "leaf last is still found", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert = certtest.PEMs(f.root, f.ica, f.leaf)
			return in
		}, wantLeaf: f.leaf, wantLen: 3, reasons: []string{wssv1.ReasonChainMisordered}},
		{name: "self-signed leaf trusted through its own ca.crt", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert, in.Key, in.CA = f.selfSignedLeaf.CertPEM, f.selfSignedLeaf.KeyPEM, f.selfSignedLeaf.CertPEM
			return in
		}, wantLeaf: f.selfSignedLeaf, wantLen: 1},
		{name: "system trust store does not hold a test root", in: func() certcheck.Input {
			in := f.healthy()
			in.CA = nil
			return in
		}, wantLeaf: f.leaf, wantLen: 2, reasons: []string{wssv1.ReasonChainIncomplete}},
		{name: "unrelated CA certificate first: the non-CA certificate is the leaf", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert = certtest.PEMs(f.otherRoot, f.leaf, f.ica)
			return in
		}, wantLeaf: f.leaf, wantLen: 3, reasons: []string{wssv1.ReasonChainExtraCertificates, wssv1.ReasonChainMisordered}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			r := certcheck.Check(tc.in())
			var reasons []string
			for _, x := range r.Findings {
				reasons = append(reasons, x.Reason)
			}
			g.Expect(reasons).To(Equal(tc.reasons), "%v", r.Findings)
			g.Expect(r.Leaf.Equal(tc.wantLeaf.Cert)).To(BeTrue())
			g.Expect(r.ChainLength).To(Equal(tc.wantLen))
			g.Expect(r.Chain).To(HaveLen(tc.wantLen))
			g.Expect(r.Certificate).NotTo(BeNil())
			g.Expect(r.Certificate.Subject).To(Equal(tc.wantLeaf.Cert.Subject.String()))
			g.Expect(r.Certificate.DNSNames).To(Equal(tc.wantLeaf.Cert.DNSNames))
		})
	}
}

// Many problems at once come out in one fixed order, the same every time.
func TestCheckOrderIsDeterministic(t *testing.T) {
	g := NewWithT(t)
	f := getFixture()
	weak := f.rsaICA.Issue(certtest.Options{Hosts: []string{"old.example.com"}, Key: certtest.RSA, RSABits: 1024,
		SignatureAlgorithm: x509.SHA1WithRSA, NotBefore: f.now.Add(-48 * time.Hour), NotAfter: f.now.Add(-time.Hour)})
	in := certcheck.Input{
		Cert: certtest.PEMs(f.rsaICA, weak), Key: f.strangerKey.KeyPEM, CA: f.root.CertPEM,
		Hosts: []string{"new.example.com"}, Now: f.now, WarnWithin: time.Hour,
	}
	want := []string{
		wssv1.ReasonKeyMismatch, wssv1.ReasonChainMisordered, wssv1.ReasonCertificateExpired,
		wssv1.ReasonHostnameNotCovered, wssv1.ReasonWeakKey, wssv1.ReasonInsecureSignatureAlgorithm,
	}
	first := certcheck.Check(in)
	var reasons []string
	for _, x := range first.Findings {
		reasons = append(reasons, x.Reason)
	}
	g.Expect(reasons).To(Equal(want), "%v", first.Findings)
	for range 5 {
		g.Expect(certcheck.Check(in).Findings).To(Equal(first.Findings))
	}
	e, ok := first.Error()
	g.Expect(ok).To(BeTrue())
	g.Expect(e.Reason).To(Equal(wssv1.ReasonKeyMismatch))
}

func TestReportJSON(t *testing.T) {
	g := NewWithT(t)
	f := getFixture()

	b, err := json.Marshal(certcheck.Check(f.healthy()))
	g.Expect(err).NotTo(HaveOccurred())
	var m map[string]any
	g.Expect(json.Unmarshal(b, &m)).To(Succeed())
	g.Expect(m).To(HaveLen(3))
	g.Expect(m).To(HaveKeyWithValue("healthy", true))
	g.Expect(m).To(HaveKeyWithValue("findings", []any{}))
	g.Expect(m["certificate"]).To(HaveKeyWithValue("subject", "CN=app.example.com"))
	g.Expect(m["certificate"]).To(SatisfyAll(HaveKey("issuer"), HaveKey("notBefore"), HaveKey("notAfter"),
		HaveKey("sha256"), HaveKey("dnsNames")))

	b, err = json.Marshal(certcheck.Check(certcheck.Input{Cert: []byte("nope")}))
	g.Expect(err).NotTo(HaveOccurred())
	m = nil
	g.Expect(json.Unmarshal(b, &m)).To(Succeed())
	g.Expect(m).NotTo(HaveKey("certificate"))
	g.Expect(m).To(HaveKeyWithValue("healthy", false))
	g.Expect(m["findings"]).To(ConsistOf(SatisfyAll(
		HaveKeyWithValue("reason", wssv1.ReasonMalformedPEM),
		HaveKeyWithValue("severity", "Error"),
		HaveKeyWithValue("message", "tls.crt is not PEM (no -----BEGIN line)"),
	)))
}

func TestFix(t *testing.T) {
	g := NewWithT(t)
	for _, r := range wssv1.InspectReasons {
		g.Expect(certcheck.Fix(r)).NotTo(BeEmpty(), r)
	}
	g.Expect(certcheck.Fix(wssv1.ReasonEncryptedPrivateKey)).To(ContainSubstring("openssl pkey -in key.pem -out key-clear.pem"))
	g.Expect(certcheck.Fix(wssv1.ReasonChainIncomplete)).To(ContainSubstring("put the leaf first, then each intermediate"))
	g.Expect(certcheck.Fix(wssv1.ReasonUnknown)).To(BeEmpty())
}

// A tls.crt with far more certificates than any chain (here copies of a
// root with the right name but another key appended to the chain) is
// analysed whole: too large, and every copy named as extra.
func TestCheckManyCertificates(t *testing.T) {
	g := NewWithT(t)
	f := getFixture()
	in := f.healthy()
	in.Cert = f.leaf.ChainPEM()
	for range 100 {
		in.Cert = append(in.Cert, f.sameNameRoot.CertPEM...)
	}
	r := certcheck.Check(in)
	var reasons []string
	for _, x := range r.Findings {
		reasons = append(reasons, x.Reason)
	}
	g.Expect(reasons).To(Equal([]string{wssv1.ReasonChainTooLarge, wssv1.ReasonChainExtraCertificates}))
	g.Expect(r.Findings[0].Message).To(ContainSubstring("would send 102 certificates"))
	g.Expect(r.Findings[1].Message).To(ContainSubstring(`100 of its 102 certificates are not on the path`))
	g.Expect(r.Findings[1].Message).To(ContainSubstring(`99 are copies of an earlier certificate (#4-#102); 1 issued nothing on the path (#3 "CN=Test Root")`))
	g.Expect(r.ChainLength).To(Equal(102))
	g.Expect(r.Leaf.Equal(f.leaf.Cert)).To(BeTrue())
}

func BenchmarkCheck(b *testing.B) {
	f := getFixture()
	in := f.healthy()
	b.ReportAllocs()
	for b.Loop() {
		if r := certcheck.Check(in); !r.Healthy {
			b.Fatal(r.Findings)
		}
	}
}

// BenchmarkCheckHostile measures the worst inputs the guards bound: 4000
// BEGIN lines without END, and 300 copies of an intermediate and its leaf
// (every pair matches by name) against a CA of 300 same-name roots.
func BenchmarkCheckHostile(b *testing.B) {
	f := getFixture()
	var unterminated, copies, roots []byte
	for range 4000 {
		unterminated = append(unterminated, "-----BEGIN CERTIFICATE-----\nQUFB\n"...)
	}
	for range 300 {
		copies = append(copies, certtest.PEMs(f.ica, f.leaf)...)
		roots = append(roots, f.sameNameRoot.CertPEM...)
	}
	for _, tc := range []struct {
		name string
		in   certcheck.Input
	}{
		{"unterminated", certcheck.Input{Cert: unterminated, Key: unterminated, CA: unterminated, Now: f.now}},
		{"same-name copies", certcheck.Input{Cert: copies, CA: roots, Now: f.now}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if certcheck.Check(tc.in).Healthy {
					b.Fatal("hostile input judged healthy")
				}
			}
		})
	}
}
