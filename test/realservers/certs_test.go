package realservers

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// pemSet is what a server is given: tls.crt (leaf, then what else it
// sends), tls.key, and the root the probe trusts.
type pemSet struct {
	name      string
	cert, key []byte
	// root is the CA the probing client trusts (--ca).
	root []byte
}

// pki is the corpus' CA hierarchy: root → intermediate → leaves, and a
// client CA for mutual TLS.
type pki struct {
	root, inter, clientCA           *x509.Certificate
	rootKey, interKey, clientCAKey  crypto.Signer
	good, incomplete, expired       pemSet
	wrongHost, ecKeyRSACert, rsaKey pemSet
	misordered, encryptedKey        pemSet
	clientCAPEM                     []byte
	client                          pemSet // a client certificate issued by clientCA
	untrustedClient                 pemSet // a client certificate from another CA
}

var (
	pkiOnce sync.Once
	thePKI  *pki
)

// corpusPKI builds the PEM sets once for the package.
func corpusPKI(t *testing.T) *pki {
	t.Helper()
	pkiOnce.Do(func() { thePKI = newPKI(t) })
	if thePKI == nil {
		t.Fatal("building the corpus PKI failed")
	}
	return thePKI
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ecKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var serial int64 = 1000

func issue(t *testing.T, tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Now().Add(-time.Hour)
		tmpl.NotAfter = time.Now().Add(30 * 24 * time.Hour)
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func caTemplate(cn string) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
}

func leafTemplate(cn string, usage x509.ExtKeyUsage, names ...string) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: cn}, DNSNames: names,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
}

func certPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func keyPEM(t *testing.T, k crypto.Signer) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func newPKI(t *testing.T) *pki {
	p := &pki{}
	rk, ik, ck := ecKey(t), ecKey(t), ecKey(t)
	p.rootKey, p.interKey, p.clientCAKey = rk, ik, ck
	p.root = issue(t, caTemplate("Corpus Root"), rk.Public(), nil, rk)
	p.inter = issue(t, caTemplate("Corpus Intermediate"), ik.Public(), p.root, rk)
	p.clientCA = issue(t, caTemplate("Corpus Client CA"), ck.Public(), nil, ck)
	p.clientCAPEM = certPEM(p.clientCA)
	rootPEM := certPEM(p.root)

	serverLeaf := func(key crypto.Signer, names ...string) *x509.Certificate {
		return issue(t, leafTemplate(names[0], x509.ExtKeyUsageServerAuth, names...), key.Public(), p.inter, ik)
	}
	lk := rsaKey(t)
	leaf := serverLeaf(lk, "echo.test")
	p.good = pemSet{name: "good", cert: certPEM(leaf, p.inter), key: keyPEM(t, lk), root: rootPEM}
	p.incomplete = pemSet{name: "incomplete chain", cert: certPEM(leaf), key: keyPEM(t, lk), root: rootPEM}
	old := leafTemplate("echo.test", x509.ExtKeyUsageServerAuth, "echo.test")
	old.NotBefore, old.NotAfter = time.Now().Add(-60*24*time.Hour), time.Now().Add(-24*time.Hour)
	p.expired = pemSet{name: "expired", cert: certPEM(issue(t, old, lk.Public(), p.inter, ik), p.inter), key: keyPEM(t, lk), root: rootPEM}
	p.wrongHost = pemSet{name: "wrong host", cert: certPEM(serverLeaf(lk, "other.test"), p.inter), key: keyPEM(t, lk), root: rootPEM}
	p.ecKeyRSACert = pemSet{name: "EC key beside an RSA certificate", cert: certPEM(leaf, p.inter), key: keyPEM(t, ecKey(t)), root: rootPEM}
	p.rsaKey = pemSet{name: "RSA key of another certificate", cert: certPEM(leaf, p.inter), key: keyPEM(t, rsaKey(t)), root: rootPEM}

	p.misordered = pemSet{name: "misordered chain", cert: certPEM(p.inter, leaf), key: keyPEM(t, lk), root: rootPEM}
	p.encryptedKey = pemSet{name: "encrypted key", cert: certPEM(leaf, p.inter), key: encrypt(t, keyPEM(t, lk)), root: rootPEM}

	cliKey := ecKey(t)
	p.client = pemSet{name: "client", cert: certPEM(issue(t, leafTemplate("client", x509.ExtKeyUsageClientAuth), cliKey.Public(), p.clientCA, ck)), key: keyPEM(t, cliKey)}
	otherCA := ecKey(t)
	other := issue(t, caTemplate("Stranger CA"), otherCA.Public(), nil, otherCA)
	p.untrustedClient = pemSet{name: "untrusted client", cert: certPEM(issue(t, leafTemplate("client", x509.ExtKeyUsageClientAuth), cliKey.Public(), other, otherCA)), key: keyPEM(t, cliKey)}
	return p
}

// encrypt protects a PEM key with a passphrase, as `openssl pkey -aes256`
// does for people who then forget to configure it.
func encrypt(t *testing.T, key []byte) []byte {
	cmd := exec.Command("openssl", "pkey", "-aes256", "-passout", "pass:corpus")
	cmd.Stdin = bytes.NewReader(key)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl pkey -aes256 (make test-deps installs openssl): %v", err)
	}
	return out
}
