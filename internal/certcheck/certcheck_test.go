package certcheck_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/certtest"
)

// fixture is one healthy PKI (root → intermediate → leaf) plus variants,
// generated once for the package.
type fixture struct {
	now            time.Time
	root, ica      *certtest.Cert
	leaf           *certtest.Cert // ECDSA P-256, hosts app.example.com, *.ws.example.com, 127.0.0.1
	rsaICA         *certtest.Cert // RSA intermediate, signs the SHA-1/MD5 leaves
	otherRoot      *certtest.Cert // an unrelated root
	sameNameRoot   *certtest.Cert // a root with root's name but another key
	rsaLeaf        *certtest.Cert
	edLeaf         *certtest.Cert
	strangerKey    *certtest.Cert // a leaf whose key belongs to nobody else
	selfSignedLeaf *certtest.Cert
}

var hosts = []string{"app.example.com", "*.ws.example.com", "127.0.0.1"}

var getFixture = sync.OnceValue(func() fixture {
	now := time.Now().UTC().Truncate(time.Second)
	f := fixture{now: now}
	f.root = certtest.NewCA(certtest.Options{CommonName: "Test Root", NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(3650 * 24 * time.Hour)})
	f.ica = f.root.Issue(certtest.Options{CommonName: "Test Intermediate", IsCA: true,
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(365 * 24 * time.Hour)})
	f.leaf = f.ica.Issue(certtest.Options{Hosts: hosts, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour)})
	f.rsaICA = f.root.Issue(certtest.Options{CommonName: "Test RSA Intermediate", IsCA: true, Key: certtest.RSA})
	f.otherRoot = certtest.NewCA(certtest.Options{CommonName: "Other Root"})
	f.sameNameRoot = certtest.NewCA(certtest.Options{CommonName: "Test Root"})
	f.rsaLeaf = f.ica.Issue(certtest.Options{Hosts: hosts, Key: certtest.RSA})
	f.edLeaf = f.ica.Issue(certtest.Options{Hosts: hosts, Key: certtest.Ed25519})
	f.strangerKey = f.ica.Issue(certtest.Options{Hosts: hosts})
	f.selfSignedLeaf = certtest.NewSelfSigned(certtest.Options{Hosts: hosts})
	return f
})

// healthy is the Input every case starts from: zero findings.
func (f fixture) healthy() certcheck.Input {
	return certcheck.Input{
		Cert: f.leaf.ChainPEM(), Key: f.leaf.KeyPEM, CA: f.root.CertPEM,
		Hosts: []string{"app.example.com", "a.ws.example.com", "127.0.0.1"},
		Now:   f.now, WarnWithin: 14 * 24 * time.Hour,
	}
}

func TestCheckReasons(t *testing.T) {
	f := getFixture()
	cases := []struct {
		name string
		in   func() certcheck.Input
		// want is every reason reported, in report order.
		want []string
		// contains are substrings of the joined messages.
		contains []string
	}{
		{name: "healthy: leaf, intermediate, key, CA", in: f.healthy},
		{name: "healthy: root included in tls.crt", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert = certtest.PEMs(f.leaf, f.ica, f.root)
			return in
		}},
		{name: "healthy: Roots pool instead of CA", in: func() certcheck.Input {
			in := f.healthy()
			in.CA, in.Roots = nil, f.root.Pool()
			return in
		}},
		{name: "healthy: key not checked", in: func() certcheck.Input {
			in := f.healthy()
			in.Key = nil
			return in
		}},

		// MissingData
		{name: "MissingData: tls.crt nil", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert = nil
			return in
		}, want: []string{wssv1.ReasonMissingData}, contains: []string{"tls.crt is missing or empty"}},
		{name: "MissingData: tls.crt white space", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert = []byte(" \n\t\n")
			return in
		}, want: []string{wssv1.ReasonMissingData}, contains: []string{"tls.crt holds only white space"}},
		{name: "MissingData: tls.key empty", in: func() certcheck.Input {
			in := f.healthy()
			in.Key = []byte{}
			return in
		}, want: []string{wssv1.ReasonMissingData}, contains: []string{"tls.key is missing or empty"}},
		{name: "MissingData: tls.key absent but named", in: func() certcheck.Input {
			in := f.healthy()
			in.Key, in.KeyName = nil, "secret/web-tls tls.key"
			return in
		}, want: []string{wssv1.ReasonMissingData}, contains: []string{"secret/web-tls tls.key is missing"}},

		// MalformedPEM
		{name: "MalformedPEM: not PEM", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert = []byte("this is not a certificate\n")
			return in
		}, want: []string{wssv1.ReasonMalformedPEM}, contains: []string{"tls.crt is not PEM"}},
		{name: "MalformedPEM: DER instead of PEM", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert = f.leaf.Cert.Raw
			return in
		}, want: []string{wssv1.ReasonMalformedPEM}, contains: []string{"looks like binary DER"}},
		{name: "MalformedPEM: trailing garbage", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert = append(f.leaf.ChainPEM(), "garbage after the chain\n"...)
			return in
		}, want: []string{wssv1.ReasonMalformedPEM}, contains: []string{"tls.crt: 23 bytes of text after the last PEM block"}},
		{name: "MalformedPEM: truncated last block", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert = append(append([]byte(nil), f.leaf.CertPEM...), f.ica.CertPEM[:40]...)
			return in
		}, want: []string{wssv1.ReasonMalformedPEM, wssv1.ReasonChainIncomplete},
			contains: []string{"has no END line", "Test Intermediate"}},
		{name: "MalformedPEM: bad base64", in: func() certcheck.Input {
			in := f.healthy()
			bad := strings.Replace(string(f.ica.CertPEM), "M", "!", 1)
			in.Cert = append(append([]byte(nil), f.leaf.CertPEM...), bad...)
			return in
		}, want: []string{wssv1.ReasonMalformedPEM, wssv1.ReasonChainIncomplete}, contains: []string{"does not decode"}},
		{name: "MalformedPEM: CERTIFICATE block that does not parse", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert = append(f.leaf.ChainPEM(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")})...)
			return in
		}, want: []string{wssv1.ReasonMalformedPEM}, contains: []string{"CERTIFICATE block at line", "does not parse"}},
		{name: "MalformedPEM: private key in tls.crt", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert = append(f.leaf.ChainPEM(), f.leaf.KeyPEM...)
			return in
		}, want: []string{wssv1.ReasonMalformedPEM}, contains: []string{`is "PRIVATE KEY", not "CERTIFICATE"`, "belongs in the key file"}},
		{name: "MalformedPEM: key block that does not parse", in: func() certcheck.Input {
			in := f.healthy()
			in.Key = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("junk")})
			return in
		}, want: []string{wssv1.ReasonMalformedPEM}, contains: []string{"tls.key: the RSA PRIVATE KEY block at line 1 does not parse: PKCS#1: malformed DER (ASN.1)"}},
		{name: "MalformedPEM: key file holds only a certificate", in: func() certcheck.Input {
			in := f.healthy()
			in.Key = f.leaf.CertPEM
			return in
		}, want: []string{wssv1.ReasonMalformedPEM}, contains: []string{`tls.key holds no private key block (found "CERTIFICATE")`}},
		{name: "MalformedPEM: CA without certificates", in: func() certcheck.Input {
			in := f.healthy()
			in.CA = []byte("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")
			return in
		}, want: []string{wssv1.ReasonMalformedPEM, wssv1.ReasonMalformedPEM}, contains: []string{"ca.crt holds no CERTIFICATE block"}},
		{name: "MalformedPEM: empty CA", in: func() certcheck.Input {
			in := f.healthy()
			in.CA, in.CAName = []byte{}, "/etc/ca.pem"
			return in
		}, want: []string{wssv1.ReasonMalformedPEM}, contains: []string{"/etc/ca.pem is not PEM"}},

		{name: "MalformedPEM: X25519 key cannot sign", in: func() certcheck.Input {
			in := f.healthy()
			k, err := ecdh.X25519().GenerateKey(rand.Reader)
			if err != nil {
				panic(err)
			}
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				panic(err)
			}
			in.Key = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
			return in
		}, want: []string{wssv1.ReasonMalformedPEM}, contains: []string{"holds a *ecdh.PrivateKey, which cannot sign"}},

		// EncryptedPrivateKey
		{name: "EncryptedPrivateKey: legacy RSA", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert, in.Key = f.rsaLeaf.ChainPEM(), f.rsaLeaf.LegacyEncryptedKeyPEM("secret")
			return in
		}, want: []string{wssv1.ReasonEncryptedPrivateKey}, contains: []string{"RSA PRIVATE KEY at line 1 is encrypted", "Proc-Type"}},
		{name: "EncryptedPrivateKey: legacy EC", in: func() certcheck.Input {
			in := f.healthy()
			in.Key = f.leaf.LegacyEncryptedKeyPEM("secret")
			return in
		}, want: []string{wssv1.ReasonEncryptedPrivateKey}, contains: []string{"EC PRIVATE KEY at line 1 is encrypted"}},
		{name: "EncryptedPrivateKey: PKCS#8", in: func() certcheck.Input {
			in := f.healthy()
			in.Key = f.leaf.PKCS8EncryptedKeyPEM("secret")
			return in
		}, want: []string{wssv1.ReasonEncryptedPrivateKey}, contains: []string{`PKCS#8 "ENCRYPTED PRIVATE KEY"`}},

		// KeyMismatch
		{name: "KeyMismatch: another ECDSA key", in: func() certcheck.Input {
			in := f.healthy()
			in.Key = f.strangerKey.KeyPEMAs(certtest.SEC1)
			return in
		}, want: []string{wssv1.ReasonKeyMismatch}, contains: []string{"tls.key does not belong to tls.crt", "ECDSA P-256"}},
		{name: "KeyMismatch: RSA PKCS#1 key for an ECDSA leaf", in: func() certcheck.Input {
			in := f.healthy()
			in.Key = f.rsaLeaf.KeyPEMAs(certtest.PKCS1)
			return in
		}, want: []string{wssv1.ReasonKeyMismatch}, contains: []string{"(RSA 2048-bit) is not the one in the leaf"}},
		{name: "KeyMismatch: Ed25519 PKCS#8 key for an RSA leaf", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert, in.Key = f.rsaLeaf.ChainPEM(), f.edLeaf.KeyPEM
			return in
		}, want: []string{wssv1.ReasonKeyMismatch}, contains: []string{"(Ed25519)"}},

		// ChainIncomplete
		{name: "ChainIncomplete: intermediate missing", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert = f.leaf.CertPEM
			return in
		}, want: []string{wssv1.ReasonChainIncomplete}, contains: []string{`its issuer "CN=Test Intermediate" is in neither tls.crt nor ca.crt`}},
		{name: "ChainIncomplete: self-signed leaf, not trusted", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert, in.Key, in.CA, in.Roots = f.selfSignedLeaf.CertPEM, f.selfSignedLeaf.KeyPEM, nil, x509.NewCertPool()
			return in
		}, want: []string{wssv1.ReasonChainIncomplete}, contains: []string{"ends at the self-signed", "the given trust pool does not trust"}},
		{name: "ChainIncomplete: CA of another PKI", in: func() certcheck.Input {
			in := f.healthy()
			in.CA = f.otherRoot.CertPEM
			return in
		}, want: []string{wssv1.ReasonChainIncomplete}, contains: []string{`it stops at "CN=Test Intermediate"`}},
		{name: "ChainIncomplete: CA with the right name but another key", in: func() certcheck.Input {
			in := f.healthy()
			in.CA = f.sameNameRoot.CertPEM
			return in
		}, want: []string{wssv1.ReasonChainIncomplete}, contains: []string{`ca.crt holds "CN=Test Root" with the issuer's name but`}},
		{name: "ChainIncomplete: Roots pool of another PKI", in: func() certcheck.Input {
			in := f.healthy()
			in.CA, in.Roots = nil, f.otherRoot.Pool()
			return in
		}, want: []string{wssv1.ReasonChainIncomplete}, contains: []string{"to a root in the given trust pool"}},

		{name: "ChainIncomplete: issuer in tls.crt is not a CA", in: func() certcheck.Input {
			in := f.healthy()
			notCA := f.ica.Issue(certtest.Options{CommonName: "Not A CA"})
			leaf := notCA.Issue(certtest.Options{Hosts: hosts})
			in.Cert, in.Key = certtest.PEMs(leaf, notCA, f.ica), leaf.KeyPEM
			return in
		}, want: []string{wssv1.ReasonChainIncomplete},
			contains: []string{`certificate #2 "CN=Not A CA" of tls.crt has the issuer's name but it is not a CA certificate`}},

		// ChainMisordered
		{name: "ChainMisordered: intermediate before leaf", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert = certtest.PEMs(f.ica, f.leaf)
			return in
		}, want: []string{wssv1.ReasonChainMisordered}, contains: []string{"is certificate #2 but must come first", "expected order: #2, #1"}},
		{name: "ChainMisordered: root before intermediate", in: func() certcheck.Input {
			in := f.healthy()
			in.Cert = certtest.PEMs(f.leaf, f.root, f.ica)
			return in
		}, want: []string{wssv1.ReasonChainMisordered}, contains: []string{`certificate #2 "CN=Test Root" issued certificate #3`, "expected order: #1, #3, #2"}},

		// Validity
		{name: "CertificateExpired: leaf", in: func() certcheck.Input {
			in := f.healthy()
			in.Now = f.now.Add(100 * 24 * time.Hour)
			return in
		}, want: []string{wssv1.ReasonCertificateExpired}, contains: []string{"the leaf", "expired at", "(10d ago)"}},
		{name: "CertificateExpired: intermediate", in: func() certcheck.Input {
			in := f.healthy()
			old := f.root.Issue(certtest.Options{CommonName: "Old Intermediate", IsCA: true,
				NotBefore: f.now.Add(-30 * 24 * time.Hour), NotAfter: f.now.Add(-24 * time.Hour)})
			leaf := old.Issue(certtest.Options{Hosts: hosts, NotBefore: f.now.Add(-2 * 24 * time.Hour)})
			in.Cert, in.Key = leaf.ChainPEM(), leaf.KeyPEM
			return in
		}, want: []string{wssv1.ReasonCertificateExpired}, contains: []string{`certificate #2 "CN=Old Intermediate" expired`}},
		{name: "CertificateNotYetValid: leaf", in: func() certcheck.Input {
			in := f.healthy()
			in.Now = f.now.Add(-2 * time.Hour)
			return in
		}, want: []string{wssv1.ReasonCertificateNotYetValid}, contains: []string{"is not valid before", "(1h0m from now)"}},
		{name: "ExpiringSoon: warning only", in: func() certcheck.Input {
			in := f.healthy()
			in.Now = f.now.Add(85 * 24 * time.Hour)
			return in
		}, want: []string{wssv1.ReasonExpiringSoon}, contains: []string{"(in 5d, within the 14d warning window)"}},
		{name: "ExpiringSoon: off when WarnWithin is 0", in: func() certcheck.Input {
			in := f.healthy()
			in.Now, in.WarnWithin = f.now.Add(85*24*time.Hour), 0
			return in
		}},

		// Host names
		{name: "HostnameNotCovered: one finding naming each host", in: func() certcheck.Input {
			in := f.healthy()
			in.Hosts = []string{"app.example.com", "a.b.ws.example.com", "other.example.org", "::1", "x.ws.example.com"}
			return in
		}, want: []string{wssv1.ReasonHostnameNotCovered},
			contains: []string{`does not cover "a.b.ws.example.com", "other.example.org", "::1"; it covers only app.example.com, *.ws.example.com, 127.0.0.1`}},

		// Key strength
		{name: "WeakKey: RSA-1024 leaf and key", in: func() certcheck.Input {
			in := f.healthy()
			weak := f.ica.Issue(certtest.Options{Hosts: hosts, Key: certtest.RSA, RSABits: 1024})
			in.Cert, in.Key = weak.ChainPEM(), weak.KeyPEMAs(certtest.PKCS1)
			return in
		}, want: []string{wssv1.ReasonWeakKey}, contains: []string{"the leaf", "has a 1024-bit RSA key"}},
		{name: "WeakKey: ECDSA P-224 leaf", in: func() certcheck.Input {
			in := f.healthy()
			weak := f.ica.Issue(certtest.Options{Hosts: hosts, Key: certtest.ECDSAP224})
			in.Cert, in.Key = weak.ChainPEM(), weak.KeyPEMAs(certtest.SEC1)
			return in
		}, want: []string{wssv1.ReasonWeakKey}, contains: []string{"an ECDSA P-224 key (224 bits)"}},
		{name: "WeakKey: key file not matching the leaf", in: func() certcheck.Input {
			in := f.healthy()
			in.Key = certtest.KeyPEM(certtest.NewKey(certtest.RSA, 1024), certtest.PKCS8)
			return in
		}, want: []string{wssv1.ReasonKeyMismatch, wssv1.ReasonWeakKey}, contains: []string{"tls.key holds a 1024-bit RSA key"}},

		// Signatures
		{name: "InsecureSignatureAlgorithm: SHA-1 leaf", in: func() certcheck.Input {
			in := f.healthy()
			leaf := f.rsaICA.Issue(certtest.Options{Hosts: hosts, SignatureAlgorithm: x509.SHA1WithRSA})
			in.Cert, in.Key = leaf.ChainPEM(), leaf.KeyPEM
			return in
		}, want: []string{wssv1.ReasonInsecureSignatureAlgorithm}, contains: []string{"is signed with SHA1-RSA"}},
		{name: "InsecureSignatureAlgorithm: MD5 leaf", in: func() certcheck.Input {
			in := f.healthy()
			leaf := f.rsaICA.Issue(certtest.Options{Hosts: hosts, SignatureAlgorithm: x509.MD5WithRSA})
			in.Cert, in.Key = leaf.ChainPEM(), leaf.KeyPEM
			return in
		}, want: []string{wssv1.ReasonInsecureSignatureAlgorithm}, contains: []string{"is signed with MD5-RSA"}},
		{name: "InsecureSignatureAlgorithm: SHA-1 intermediate, Roots pool", in: func() certcheck.Input {
			in := f.healthy()
			rsaRoot := certtest.NewCA(certtest.Options{CommonName: "RSA Root", Key: certtest.RSA})
			ica := rsaRoot.Issue(certtest.Options{CommonName: "SHA-1 Intermediate", IsCA: true, SignatureAlgorithm: x509.SHA1WithRSA})
			leaf := ica.Issue(certtest.Options{Hosts: hosts})
			in.Cert, in.Key, in.CA, in.Roots = leaf.ChainPEM(), leaf.KeyPEM, nil, rsaRoot.Pool()
			return in
		}, want: []string{wssv1.ReasonInsecureSignatureAlgorithm}, contains: []string{`certificate #2 "CN=SHA-1 Intermediate" is signed with SHA1-RSA`}},
		{name: "InsecureSignatureAlgorithm: SHA-1 self-signed root in tls.crt is not flagged", in: func() certcheck.Input {
			in := f.healthy()
			sha1Root := certtest.NewCA(certtest.Options{CommonName: "SHA-1 Root", Key: certtest.RSA, SignatureAlgorithm: x509.SHA1WithRSA})
			leaf := sha1Root.Issue(certtest.Options{Hosts: hosts})
			in.Cert, in.Key, in.CA = certtest.PEMs(leaf, sha1Root), leaf.KeyPEM, sha1Root.CertPEM
			return in
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			in := tc.in()
			r := certcheck.Check(in)
			var got, msgs []string
			for _, f := range r.Findings {
				got = append(got, f.Reason)
				msgs = append(msgs, f.Message)
				g.Expect(f.Message).NotTo(BeEmpty())
			}
			for _, f := range r.Findings {
				t.Logf("%s %s: %s", f.Severity, f.Reason, f.Message)
			}
			g.Expect(got).To(Equal(tc.want), "findings: %q", msgs)
			joined := strings.Join(msgs, "\n")
			for _, s := range tc.contains {
				g.Expect(joined).To(ContainSubstring(s))
			}
			g.Expect(r.Findings).NotTo(BeNil())
			wantHealthy := true
			for _, reason := range tc.want {
				if reason != wssv1.ReasonExpiringSoon {
					wantHealthy = false
				}
			}
			g.Expect(r.Healthy).To(Equal(wantHealthy))
			expectNoKeyMaterial(g, msgs, in.Key)
		})
	}
}

// expectNoKeyMaterial fails when a message quotes any line of the key PEM.
func expectNoKeyMaterial(g Gomega, msgs []string, key []byte) {
	for _, line := range strings.Split(string(key), "\n") {
		if len(line) < 16 || strings.HasPrefix(line, "-----") || strings.Contains(line, ":") {
			continue
		}
		for _, m := range msgs {
			g.Expect(m).NotTo(ContainSubstring(line))
		}
	}
}
