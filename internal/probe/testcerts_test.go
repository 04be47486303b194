package probe_test

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/wss-operator/wss-operator/internal/certtest"
)

// The probe tests' PKI, made by internal/certtest: ECDSA P-256 keys, and
// certOpts' defaults on top of certtest's.

// testCA is a certificate authority for tests.
type testCA struct {
	cert *x509.Certificate // ca.Cert, what probing clients trust
	ca   *certtest.Cert
}

// certOpts shape an issued certificate; zero values mean "valid from an hour
// ago for an hour, ECDSA-SHA256, server auth".
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

// options are o as certtest.Options.
func (o certOpts) options() certtest.Options {
	co := certtest.Options{CommonName: o.cn, Hosts: o.dnsNames, NotBefore: o.notBefore, NotAfter: o.notAfter,
		SignatureAlgorithm: o.sigAlg, IsCA: o.isCA}
	for _, ip := range o.ips {
		co.Hosts = append(co.Hosts, ip.String())
	}
	if co.NotAfter.IsZero() {
		co.NotAfter = time.Now().Add(time.Hour)
	}
	switch {
	case o.isCA:
	case o.clientAuth:
		co.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	default:
		co.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	return co
}

func newKey(testing.TB) crypto.Signer { return certtest.NewKey(certtest.ECDSAP256, 0) }

func wrapCA(c *certtest.Cert) *testCA { return &testCA{cert: c.Cert, ca: c} }

// newRootCA makes a self-signed root.
func newRootCA(_ testing.TB, cn string) *testCA {
	return wrapCA(certtest.NewCA(certOpts{cn: cn, isCA: true}.options()))
}

// intermediate makes a CA signed by ca; o.cn names it (o.isCA is forced).
func (ca *testCA) intermediate(_ testing.TB, o certOpts) *testCA {
	o.isCA = true
	return wrapCA(ca.ca.Issue(o.options()))
}

// issue makes a leaf signed by ca; the returned tls.Certificate holds only the leaf.
func (ca *testCA) issue(_ testing.TB, o certOpts) tls.Certificate {
	return ca.ca.Issue(o.options()).TLSCertificateWith()
}

// selfSignedLeaf makes a self-signed server certificate.
func selfSignedLeaf(_ testing.TB, o certOpts) tls.Certificate {
	return certtest.NewSelfSigned(o.options()).TLSCertificateWith()
}

// withChain appends the CA certificates to a leaf's served chain.
func withChain(leaf tls.Certificate, cas ...*testCA) tls.Certificate {
	for _, ca := range cas {
		leaf.Certificate = append(leaf.Certificate, ca.cert.Raw)
	}
	return leaf
}
