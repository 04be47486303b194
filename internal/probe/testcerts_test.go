package probe_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// testCA is a minimal certificate authority for tests: ECDSA P-256 keys.
type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// certOpts shape an issued certificate; zero values mean "valid now for an
// hour, ECDSA-SHA256, server auth".
type certOpts struct {
	cn         string
	dnsNames   []string
	ips        []net.IP
	notBefore  time.Time
	notAfter   time.Time
	sigAlg     x509.SignatureAlgorithm
	clientAuth bool
	isCA       bool
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// create signs a certificate for key with parent/parentKey (self-signed when parent is nil).
func create(t testing.TB, o certOpts, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: o.cn, Organization: []string{"wss-operator tests"}},
		DNSNames:              o.dnsNames,
		IPAddresses:           o.ips,
		NotBefore:             o.notBefore,
		NotAfter:              o.notAfter,
		SignatureAlgorithm:    o.sigAlg,
		BasicConstraintsValid: true,
		IsCA:                  o.isCA,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = now.Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = now.Add(time.Hour)
	}
	switch {
	case o.isCA:
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	case o.clientAuth:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	default:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newRootCA makes a self-signed root.
func newRootCA(t testing.TB, cn string) *testCA {
	key := newKey(t)
	return &testCA{cert: create(t, certOpts{cn: cn, isCA: true}, key, nil, nil), key: key}
}

// intermediate makes a CA signed by ca; o.cn names it (o.isCA is forced).
func (ca *testCA) intermediate(t testing.TB, o certOpts) *testCA {
	key := newKey(t)
	o.isCA = true
	return &testCA{cert: create(t, o, key, ca.cert, ca.key), key: key}
}

// issue makes a leaf signed by ca; the returned tls.Certificate holds only the leaf.
func (ca *testCA) issue(t testing.TB, o certOpts) tls.Certificate {
	key := newKey(t)
	c := create(t, o, key, ca.cert, ca.key)
	return tls.Certificate{Certificate: [][]byte{c.Raw}, PrivateKey: key, Leaf: c}
}

// selfSignedLeaf makes a self-signed server certificate.
func selfSignedLeaf(t testing.TB, o certOpts) tls.Certificate {
	key := newKey(t)
	c := create(t, o, key, nil, nil)
	return tls.Certificate{Certificate: [][]byte{c.Raw}, PrivateKey: key, Leaf: c}
}

// withChain appends the CA certificates to a leaf's served chain.
func withChain(leaf tls.Certificate, cas ...*testCA) tls.Certificate {
	for _, ca := range cas {
		leaf.Certificate = append(leaf.Certificate, ca.cert.Raw)
	}
	return leaf
}

func pemCerts(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func pemKey(t testing.TB, key crypto.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
