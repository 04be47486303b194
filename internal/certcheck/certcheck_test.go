package certcheck_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/certtest"
)

func TestCheckReasons(t *testing.T) {
	f := getFixture()
	cases := []struct {
		name string
		// edit changes the healthy input (nil: none).
		edit func(in *certcheck.Input)
		// want is every reason reported, in report order.
		want []string
		// contains are substrings of the joined messages.
		contains []string
		// leaf, when set, is the certificate Check must pick as the leaf,
		// and chainLen the number of certificates in tls.crt.
		leaf     *certtest.Cert
		chainLen int
	}{
		{name: "healthy: leaf, intermediate, key, CA", leaf: f.leaf, chainLen: 2},
		{name: "healthy: root included in tls.crt", edit: func(in *certcheck.Input) { in.Cert = certtest.PEMs(f.leaf, f.ica, f.root) }},
		{name: "healthy: Roots pool instead of CA", edit: func(in *certcheck.Input) { in.CA, in.Roots = nil, f.root.Pool() }},
		{name: "healthy: key not checked", edit: func(in *certcheck.Input) { in.Key = nil }},

		// The leaf, wherever it is
		{name: "leaf last is still found", edit: func(in *certcheck.Input) { in.Cert = certtest.PEMs(f.root, f.ica, f.leaf) },
			want: []string{wssv1.ReasonChainMisordered}, leaf: f.leaf, chainLen: 3},
		{name: "self-signed leaf trusted through its own ca.crt", edit: func(in *certcheck.Input) {
			in.Cert, in.Key, in.CA = f.selfSignedLeaf.CertPEM, f.selfSignedLeaf.KeyPEM, f.selfSignedLeaf.CertPEM
		}, leaf: f.selfSignedLeaf, chainLen: 1},
		{name: "system trust store does not hold a test root", edit: func(in *certcheck.Input) { in.CA = nil },
			want: []string{wssv1.ReasonChainIncomplete}, leaf: f.leaf, chainLen: 2},
		{name: "unrelated CA certificate first: the non-CA certificate is the leaf", edit: func(in *certcheck.Input) { in.Cert = certtest.PEMs(f.otherRoot, f.leaf, f.ica) },
			want: []string{wssv1.ReasonChainExtraCertificates, wssv1.ReasonChainMisordered}, leaf: f.leaf, chainLen: 3},

		// MissingData
		{name: "MissingData: tls.crt nil", edit: func(in *certcheck.Input) { in.Cert = nil },
			want: []string{wssv1.ReasonMissingData}, contains: []string{"tls.crt is missing or empty"}},
		{name: "MissingData: tls.crt white space", edit: func(in *certcheck.Input) { in.Cert = []byte(" \n\t\n") },
			want: []string{wssv1.ReasonMissingData}, contains: []string{"tls.crt holds only white space"}},
		{name: "MissingData: tls.key empty", edit: func(in *certcheck.Input) { in.Key = []byte{} },
			want: []string{wssv1.ReasonMissingData}, contains: []string{"tls.key is missing or empty"}},
		{name: "MissingData: tls.key absent but named", edit: func(in *certcheck.Input) { in.Key, in.KeyName = nil, "secret/web-tls tls.key" },
			want: []string{wssv1.ReasonMissingData}, contains: []string{"secret/web-tls tls.key is missing"}},

		// MalformedPEM
		{name: "MalformedPEM: not PEM", edit: func(in *certcheck.Input) { in.Cert = []byte("this is not a certificate\n") },
			want: []string{wssv1.ReasonMalformedPEM}, contains: []string{"tls.crt is not PEM"}},
		{name: "MalformedPEM: DER instead of PEM", edit: func(in *certcheck.Input) { in.Cert = f.leaf.Cert.Raw },
			want: []string{wssv1.ReasonMalformedPEM}, contains: []string{"looks like binary DER"}},
		{name: "MalformedPEM: trailing garbage", edit: func(in *certcheck.Input) { in.Cert = append(f.leaf.ChainPEM(), "garbage after the chain\n"...) },
			want: []string{wssv1.ReasonMalformedPEM}, contains: []string{"tls.crt: 23 bytes of text after the last PEM block"}},
		{name: "MalformedPEM: truncated last block", edit: func(in *certcheck.Input) {
			in.Cert = append(append([]byte(nil), f.leaf.CertPEM...), f.ica.CertPEM[:40]...)
		}, want: []string{wssv1.ReasonMalformedPEM, wssv1.ReasonChainIncomplete},
			contains: []string{"has no END line", "Test Intermediate"}},
		{name: "MalformedPEM: bad base64", edit: func(in *certcheck.Input) {
			bad := strings.Replace(string(f.ica.CertPEM), "M", "!", 1)
			in.Cert = append(append([]byte(nil), f.leaf.CertPEM...), bad...)
		}, want: []string{wssv1.ReasonMalformedPEM, wssv1.ReasonChainIncomplete}, contains: []string{"does not decode"}},
		{name: "MalformedPEM: CERTIFICATE block that does not parse", edit: func(in *certcheck.Input) {
			in.Cert = append(f.leaf.ChainPEM(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")})...)
		}, want: []string{wssv1.ReasonMalformedPEM}, contains: []string{"CERTIFICATE block at line", "does not parse"}},
		{name: "MalformedPEM: private key in tls.crt", edit: func(in *certcheck.Input) { in.Cert = append(f.leaf.ChainPEM(), f.leaf.KeyPEM...) },
			want: []string{wssv1.ReasonMalformedPEM}, contains: []string{`is "PRIVATE KEY", not "CERTIFICATE"`, "belongs in the key file"}},
		{name: "MalformedPEM: key block that does not parse", edit: func(in *certcheck.Input) {
			in.Key = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("junk")})
		}, want: []string{wssv1.ReasonMalformedPEM}, contains: []string{"tls.key: the RSA PRIVATE KEY block at line 1 does not parse: PKCS#1: malformed DER (ASN.1)"}},
		{name: "MalformedPEM: key file holds only a certificate", edit: func(in *certcheck.Input) { in.Key = f.leaf.CertPEM },
			want: []string{wssv1.ReasonMalformedPEM}, contains: []string{`tls.key holds no private key block (found "CERTIFICATE")`}},
		{name: "MalformedPEM: CA without certificates", edit: func(in *certcheck.Input) { in.CA = []byte("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n") },
			want: []string{wssv1.ReasonMalformedPEM, wssv1.ReasonMalformedPEM}, contains: []string{"ca.crt holds no CERTIFICATE block"}},
		{name: "MalformedPEM: empty CA", edit: func(in *certcheck.Input) { in.CA, in.CAName = []byte{}, "/etc/ca.pem" },
			want: []string{wssv1.ReasonMalformedPEM}, contains: []string{"/etc/ca.pem is not PEM"}},

		{name: "MalformedPEM: X25519 key cannot sign", edit: func(in *certcheck.Input) {
			k, err := ecdh.X25519().GenerateKey(rand.Reader)
			if err != nil {
				panic(err)
			}
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				panic(err)
			}
			in.Key = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		}, want: []string{wssv1.ReasonMalformedPEM}, contains: []string{"holds a *ecdh.PrivateKey, which cannot sign"}},

		// EncryptedPrivateKey
		{name: "EncryptedPrivateKey: legacy RSA", edit: func(in *certcheck.Input) {
			in.Cert, in.Key = f.rsaLeaf.ChainPEM(), f.rsaLeaf.LegacyEncryptedKeyPEM("secret")
		}, want: []string{wssv1.ReasonEncryptedPrivateKey}, contains: []string{"RSA PRIVATE KEY at line 1 is encrypted", "Proc-Type"}},
		{name: "EncryptedPrivateKey: legacy EC", edit: func(in *certcheck.Input) { in.Key = f.leaf.LegacyEncryptedKeyPEM("secret") },
			want: []string{wssv1.ReasonEncryptedPrivateKey}, contains: []string{"EC PRIVATE KEY at line 1 is encrypted"}},
		{name: "EncryptedPrivateKey: PKCS#8", edit: func(in *certcheck.Input) { in.Key = f.leaf.PKCS8EncryptedKeyPEM("secret") },
			want: []string{wssv1.ReasonEncryptedPrivateKey}, contains: []string{`PKCS#8 "ENCRYPTED PRIVATE KEY"`}},

		// KeyMismatch
		{name: "KeyMismatch: another ECDSA key", edit: func(in *certcheck.Input) { in.Key = f.strangerKey.KeyPEMAs(certtest.SEC1) },
			want: []string{wssv1.ReasonKeyMismatch}, contains: []string{"tls.key does not belong to tls.crt", "ECDSA P-256"}},
		{name: "KeyMismatch: RSA PKCS#1 key for an ECDSA leaf", edit: func(in *certcheck.Input) { in.Key = f.rsaLeaf.KeyPEMAs(certtest.PKCS1) },
			want: []string{wssv1.ReasonKeyMismatch}, contains: []string{"(RSA 2048-bit) is not the one in the leaf"}},
		{name: "KeyMismatch: Ed25519 PKCS#8 key for an RSA leaf", edit: func(in *certcheck.Input) { in.Cert, in.Key = f.rsaLeaf.ChainPEM(), f.edLeaf.KeyPEM },
			want: []string{wssv1.ReasonKeyMismatch}, contains: []string{"(Ed25519)"}},

		// ChainIncomplete
		{name: "ChainIncomplete: intermediate missing", edit: func(in *certcheck.Input) { in.Cert = f.leaf.CertPEM },
			want: []string{wssv1.ReasonChainIncomplete}, contains: []string{`its issuer "CN=Test Intermediate" is in neither tls.crt nor ca.crt`}},
		{name: "ChainIncomplete: self-signed leaf, not trusted", edit: func(in *certcheck.Input) {
			in.Cert, in.Key, in.CA, in.Roots = f.selfSignedLeaf.CertPEM, f.selfSignedLeaf.KeyPEM, nil, x509.NewCertPool()
		}, want: []string{wssv1.ReasonChainIncomplete}, contains: []string{"ends at the self-signed", "the given trust pool does not trust"}},
		{name: "ChainIncomplete: CA of another PKI", edit: func(in *certcheck.Input) { in.CA = f.otherRoot.CertPEM },
			want: []string{wssv1.ReasonChainIncomplete}, contains: []string{`it stops at "CN=Test Intermediate"`}},
		{name: "ChainIncomplete: CA with the right name but another key", edit: func(in *certcheck.Input) { in.CA = f.sameNameRoot.CertPEM },
			want: []string{wssv1.ReasonChainIncomplete}, contains: []string{`ca.crt holds "CN=Test Root" with the issuer's name but`}},
		{name: "ChainIncomplete: Roots pool of another PKI", edit: func(in *certcheck.Input) { in.CA, in.Roots = nil, f.otherRoot.Pool() },
			want: []string{wssv1.ReasonChainIncomplete}, contains: []string{"to a root in the given trust pool"}},

		{name: "ChainIncomplete: issuer in tls.crt is not a CA", edit: func(in *certcheck.Input) {
			notCA := f.ica.Issue(certtest.Options{CommonName: "Not A CA"})
			leaf := notCA.Issue(certtest.Options{Hosts: hosts})
			in.Cert, in.Key = certtest.PEMs(leaf, notCA, f.ica), leaf.KeyPEM
		}, want: []string{wssv1.ReasonChainIncomplete},
			contains: []string{`certificate #2 "CN=Not A CA" of tls.crt has the issuer's name but it is not a CA certificate`}},

		// ChainMisordered
		{name: "ChainMisordered: intermediate before leaf", edit: func(in *certcheck.Input) { in.Cert = certtest.PEMs(f.ica, f.leaf) },
			want: []string{wssv1.ReasonChainMisordered}, contains: []string{"is certificate #2 but must come first", "expected order: #2, #1"}},
		{name: "ChainMisordered: root before intermediate", edit: func(in *certcheck.Input) { in.Cert = certtest.PEMs(f.leaf, f.root, f.ica) },
			want: []string{wssv1.ReasonChainMisordered}, contains: []string{`certificate #2 "CN=Test Root" issued certificate #3`, "expected order: #1, #3, #2"}},

		// Validity
		{name: "CertificateExpired: leaf", edit: func(in *certcheck.Input) { in.Now = f.now.Add(100 * 24 * time.Hour) },
			want: []string{wssv1.ReasonCertificateExpired}, contains: []string{"the leaf", "expired at", "(10d ago)"}},
		{name: "CertificateExpired: intermediate", edit: func(in *certcheck.Input) {
			old := f.root.Issue(certtest.Options{CommonName: "Old Intermediate", IsCA: true,
				NotBefore: f.now.Add(-30 * 24 * time.Hour), NotAfter: f.now.Add(-24 * time.Hour)})
			leaf := old.Issue(certtest.Options{Hosts: hosts, NotBefore: f.now.Add(-2 * 24 * time.Hour)})
			in.Cert, in.Key = leaf.ChainPEM(), leaf.KeyPEM
		}, want: []string{wssv1.ReasonCertificateExpired}, contains: []string{`certificate #2 "CN=Old Intermediate" expired`}},
		{name: "CertificateNotYetValid: leaf", edit: func(in *certcheck.Input) { in.Now = f.now.Add(-2 * time.Hour) },
			want: []string{wssv1.ReasonCertificateNotYetValid}, contains: []string{"is not valid before", "(1h0m from now)"}},
		{name: "ExpiringSoon: warning only", edit: func(in *certcheck.Input) { in.Now = f.now.Add(85 * 24 * time.Hour) },
			want: []string{wssv1.ReasonExpiringSoon}, contains: []string{"(in 5d, within the 14d warning window)"}},
		{name: "ExpiringSoon: off when WarnWithin is 0", edit: func(in *certcheck.Input) { in.Now, in.WarnWithin = f.now.Add(85*24*time.Hour), 0 }},

		// Host names
		{name: "HostnameNotCovered: one finding naming each host", edit: func(in *certcheck.Input) {
			in.Hosts = []string{"app.example.com", "a.b.ws.example.com", "other.example.org", "::1", "x.ws.example.com"}
		}, want: []string{wssv1.ReasonHostnameNotCovered},
			contains: []string{`does not cover "a.b.ws.example.com", "other.example.org", "::1"; it covers only app.example.com, *.ws.example.com, 127.0.0.1`}},

		// Key strength
		{name: "WeakKey: RSA-1024 leaf and key", edit: func(in *certcheck.Input) {
			weak := f.ica.Issue(certtest.Options{Hosts: hosts, Key: certtest.RSA, RSABits: 1024})
			in.Cert, in.Key = weak.ChainPEM(), weak.KeyPEMAs(certtest.PKCS1)
		}, want: []string{wssv1.ReasonWeakKey}, contains: []string{"the leaf", "has a 1024-bit RSA key"}},
		{name: "WeakKey: ECDSA P-224 leaf", edit: func(in *certcheck.Input) {
			weak := f.ica.Issue(certtest.Options{Hosts: hosts, Key: certtest.ECDSAP224})
			in.Cert, in.Key = weak.ChainPEM(), weak.KeyPEMAs(certtest.SEC1)
		}, want: []string{wssv1.ReasonWeakKey}, contains: []string{"an ECDSA P-224 key (224 bits)"}},
		{name: "WeakKey: key file not matching the leaf", edit: func(in *certcheck.Input) {
			in.Key = certtest.KeyPEM(certtest.NewKey(certtest.RSA, 1024), certtest.PKCS8)
		}, want: []string{wssv1.ReasonKeyMismatch, wssv1.ReasonWeakKey}, contains: []string{"tls.key holds a 1024-bit RSA key"}},

		// Signatures
		{name: "InsecureSignatureAlgorithm: SHA-1 leaf", edit: func(in *certcheck.Input) {
			leaf := f.rsaICA.Issue(certtest.Options{Hosts: hosts, SignatureAlgorithm: x509.SHA1WithRSA})
			in.Cert, in.Key = leaf.ChainPEM(), leaf.KeyPEM
		}, want: []string{wssv1.ReasonInsecureSignatureAlgorithm}, contains: []string{"is signed with SHA1-RSA"}},
		{name: "InsecureSignatureAlgorithm: MD5 leaf", edit: func(in *certcheck.Input) {
			leaf := f.rsaICA.Issue(certtest.Options{Hosts: hosts, SignatureAlgorithm: x509.MD5WithRSA})
			in.Cert, in.Key = leaf.ChainPEM(), leaf.KeyPEM
		}, want: []string{wssv1.ReasonInsecureSignatureAlgorithm}, contains: []string{"is signed with MD5-RSA"}},
		{name: "InsecureSignatureAlgorithm: SHA-1 intermediate, Roots pool", edit: func(in *certcheck.Input) {
			rsaRoot := certtest.NewCA(certtest.Options{CommonName: "RSA Root", Key: certtest.RSA})
			ica := rsaRoot.Issue(certtest.Options{CommonName: "SHA-1 Intermediate", IsCA: true, SignatureAlgorithm: x509.SHA1WithRSA})
			leaf := ica.Issue(certtest.Options{Hosts: hosts})
			in.Cert, in.Key, in.CA, in.Roots = leaf.ChainPEM(), leaf.KeyPEM, nil, rsaRoot.Pool()
		}, want: []string{wssv1.ReasonInsecureSignatureAlgorithm}, contains: []string{`certificate #2 "CN=SHA-1 Intermediate" is signed with SHA1-RSA`}},
		{name: "InsecureSignatureAlgorithm: SHA-1 self-signed root in tls.crt is not flagged", edit: func(in *certcheck.Input) {
			sha1Root := certtest.NewCA(certtest.Options{CommonName: "SHA-1 Root", Key: certtest.RSA, SignatureAlgorithm: x509.SHA1WithRSA})
			leaf := sha1Root.Issue(certtest.Options{Hosts: hosts})
			in.Cert, in.Key, in.CA = certtest.PEMs(leaf, sha1Root), leaf.KeyPEM, sha1Root.CertPEM
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			in := f.with(tc.edit)
			r := certcheck.Check(in)
			for _, f := range r.Findings {
				t.Logf("%s %s: %s", f.Severity, f.Reason, f.Message)
				g.Expect(f.Message).NotTo(BeEmpty())
			}
			msgs := expectFindings(g, r, tc.want, tc.contains)
			wantHealthy := true
			for _, reason := range tc.want {
				if reason != wssv1.ReasonExpiringSoon {
					wantHealthy = false
				}
			}
			g.Expect(r.Healthy).To(Equal(wantHealthy))
			expectNoKeyMaterial(g, msgs, in.Key)
			if tc.leaf != nil {
				g.Expect(r.Leaf.Equal(tc.leaf.Cert)).To(BeTrue())
				g.Expect(r.ChainLength).To(Equal(tc.chainLen))
				g.Expect(r.Chain).To(HaveLen(tc.chainLen))
				g.Expect(r.Certificate).NotTo(BeNil())
				g.Expect(r.Certificate.Subject).To(Equal(tc.leaf.Cert.Subject.String()))
				g.Expect(r.Certificate.DNSNames).To(Equal(tc.leaf.Cert.DNSNames))
			}
		})
	}
}

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
	g.Expect(reasons(first)).To(Equal(want), "%v", first.Findings)
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
			for _, x := range r.Findings {
				wantSev := certcheck.SeverityError
				if x.Reason != wssv1.ReasonClientCAInvalid {
					wantSev = certcheck.SeverityWarning
				}
				g.Expect(x.Severity).To(Equal(wantSev))
			}
			expectFindings(g, r, tc.want, tc.contains)
			g.Expect(r.Healthy).To(Equal(tc.healthy))
			g.Expect(r.Leaf).To(BeNil())
			g.Expect(r.Certificate).To(BeNil())
			if e, ok := r.Error(); ok {
				g.Expect(e.Reason).To(Equal(wssv1.ReasonClientCAInvalid))
			}
		})
	}
	g := NewWithT(t)
	r := certcheck.CheckClientCA(nil, "", time.Time{})
	g.Expect(r.Findings[0].Message).To(HavePrefix("ca.crt is missing or empty"))
}
