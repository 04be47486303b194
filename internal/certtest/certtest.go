package certtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// KeyType names the key algorithm of an issued certificate.
type KeyType string

// Key types. The zero value of Options.Key means ECDSAP256.
const (
	ECDSAP256 KeyType = "ECDSA-P256"
	ECDSAP224 KeyType = "ECDSA-P224" // weak: under 256 bits
	ECDSAP384 KeyType = "ECDSA-P384"
	RSA       KeyType = "RSA" // size from Options.RSABits
	Ed25519   KeyType = "Ed25519"
)

// Default validity, counted from time.Now() when Options leaves it zero.
const (
	DefaultLeafValidity = 90 * 24 * time.Hour
	DefaultCAValidity   = 365 * 24 * time.Hour
)

// Options describe one certificate to create. Every field is optional.
type Options struct {
	// CommonName is the subject CN. Default: the first host, else a unique
	// "certtest CA N" / "certtest leaf N".
	CommonName string
	// Hosts become subject alternative names: IP literals go to IPAddresses,
	// everything else (including wildcards like "*.example.com") to DNSNames.
	Hosts []string
	// NotBefore defaults to one hour ago.
	NotBefore time.Time
	// NotAfter defaults to now + DefaultLeafValidity (or DefaultCAValidity).
	NotAfter time.Time
	// Key is the key algorithm (default ECDSAP256).
	Key KeyType
	// RSABits is the RSA modulus size when Key is RSA (default 2048; Go
	// refuses to generate fewer than 1024).
	RSABits int
	// IsCA makes a CA certificate (basicConstraints CA:TRUE, keyCertSign).
	IsCA bool
	// SignatureAlgorithm is how the issuer signs this certificate (default:
	// Go's choice for the issuer's key). x509.SHA1WithRSA and
	// x509.ECDSAWithSHA1 are created by crypto/x509; x509.MD5WithRSA is
	// produced by re-signing the DER and needs an RSA issuer.
	SignatureAlgorithm x509.SignatureAlgorithm
	// ExtKeyUsage defaults to serverAuth+clientAuth for leaves, none for CAs.
	ExtKeyUsage []x509.ExtKeyUsage
}

// Cert is a certificate together with its private key.
type Cert struct {
	// Cert is the parsed certificate.
	Cert *x509.Certificate
	// Key is the private key (*rsa.PrivateKey, *ecdsa.PrivateKey or ed25519.PrivateKey).
	Key crypto.Signer
	// CertPEM is the certificate as one PEM "CERTIFICATE" block.
	CertPEM []byte
	// KeyPEM is the key as an unencrypted PKCS#8 "PRIVATE KEY" block.
	KeyPEM []byte
	// Issuer is the certificate that signed this one; nil when self-signed.
	Issuer *Cert
}

var counter atomic.Int64

// NewCA creates a self-signed root CA (o.IsCA is forced to true).
func NewCA(o Options) *Cert {
	o.IsCA = true
	return NewSelfSigned(o)
}

// NewSelfSigned creates a self-signed certificate exactly as o describes
// (a self-signed leaf unless o.IsCA).
func NewSelfSigned(o Options) *Cert {
	key := NewKey(o.Key, o.RSABits)
	return create(o, key, nil)
}

// Issue creates a certificate for o signed by c. Issue an intermediate with
// o.IsCA, and leaves from it.
func (c *Cert) Issue(o Options) *Cert {
	key := NewKey(o.Key, o.RSABits)
	return create(o, key, c)
}

// IssueForKey is Issue with a given key (e.g. to reissue for the same key).
func (c *Cert) IssueForKey(o Options, key crypto.Signer) *Cert {
	return create(o, key, c)
}

// NewKey generates a private key of type t (default ECDSAP256); rsaBits
// applies to RSA (default 2048).
func NewKey(t KeyType, rsaBits int) crypto.Signer {
	var (
		key crypto.Signer
		err error
	)
	switch t {
	case "", ECDSAP256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP224:
		key, err = ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	case ECDSAP384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case RSA:
		if rsaBits == 0 {
			rsaBits = 2048
		}
		key, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case Ed25519:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		err = fmt.Errorf("unknown key type %q", t)
	}
	must(err, "generate key")
	return key
}

func create(o Options, key crypto.Signer, issuer *Cert) *Cert {
	n := counter.Add(1)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(n),
		NotBefore:             o.NotBefore,
		NotAfter:              o.NotAfter,
		BasicConstraintsValid: true,
		IsCA:                  o.IsCA,
		SignatureAlgorithm:    o.SignatureAlgorithm,
		ExtKeyUsage:           o.ExtKeyUsage,
	}
	for _, h := range o.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	tmpl.Subject = pkix.Name{CommonName: o.CommonName}
	if tmpl.Subject.CommonName == "" {
		switch {
		case len(o.Hosts) > 0:
			tmpl.Subject.CommonName = o.Hosts[0]
		case o.IsCA:
			tmpl.Subject.CommonName = fmt.Sprintf("certtest CA %d", n)
		default:
			tmpl.Subject.CommonName = fmt.Sprintf("certtest leaf %d", n)
		}
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = now.Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = now.Add(DefaultLeafValidity)
		if o.IsCA {
			tmpl.NotAfter = now.Add(DefaultCAValidity)
		}
	}
	if o.IsCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		if _, ok := key.(*rsa.PrivateKey); ok {
			tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
		if tmpl.ExtKeyUsage == nil {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		}
	}

	parent, signer := tmpl, key
	if issuer != nil {
		parent, signer = issuer.Cert, issuer.Key
	}
	md5 := o.SignatureAlgorithm == x509.MD5WithRSA
	if md5 {
		tmpl.SignatureAlgorithm = x509.SHA256WithRSA
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	must(err, "create certificate")
	if md5 {
		der = Resign(der, signer, x509.MD5WithRSA)
	}
	cert, err := x509.ParseCertificate(der)
	must(err, "parse created certificate")
	return &Cert{
		Cert:    cert,
		Key:     key,
		CertPEM: CertsPEM(cert),
		KeyPEM:  KeyPEM(key, PKCS8),
		Issuer:  issuer,
	}
}

// PEMs concatenates the certificate PEM of each of cs, in the order given.
func PEMs(cs ...*Cert) []byte {
	var out []byte
	for _, c := range cs {
		out = append(out, c.CertPEM...)
	}
	return out
}

// CertsPEM encodes certificates made elsewhere (by a server, by httptest)
// as PEM "CERTIFICATE" blocks, in the order given.
func CertsPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// Chain is c followed by its issuers up to, but not including, the
// self-signed root: what a server sends, in the right order.
func (c *Cert) Chain() []*Cert {
	out := []*Cert{c}
	for i := c.Issuer; i != nil && i.Issuer != nil; i = i.Issuer {
		out = append(out, i)
	}
	return out
}

// ChainPEM is PEMs(c.Chain()...): the content of a correct tls.crt.
func (c *Cert) ChainPEM() []byte { return PEMs(c.Chain()...) }

// Root is the self-signed certificate at the top of c's issuer chain.
func (c *Cert) Root() *Cert {
	r := c
	for r.Issuer != nil {
		r = r.Issuer
	}
	return r
}

// TLSCertificate returns c with its chain and key, ready for tls.Config.Certificates.
func (c *Cert) TLSCertificate() tls.Certificate { return c.TLSCertificateWith(c.Chain()[1:]...) }

// TLSCertificateWith returns c and its key followed by exactly chain, in
// the order given: a server that sends an incomplete chain (none), its root
// too, or certificates in the wrong order.
func (c *Cert) TLSCertificateWith(chain ...*Cert) tls.Certificate {
	tc := tls.Certificate{Certificate: [][]byte{c.Cert.Raw}, PrivateKey: c.Key, Leaf: c.Cert}
	for _, x := range chain {
		tc.Certificate = append(tc.Certificate, x.Cert.Raw)
	}
	return tc
}

// WriteTLSFiles writes c.ChainPEM() to dir/tls.crt and c.KeyPEM to
// dir/tls.key (mode 0600), the names of a kubernetes.io/tls Secret's keys
// and of the sidecar's --cert-dir files.
func (c *Cert) WriteTLSFiles(dir string) {
	for name, data := range map[string][]byte{"tls.crt": c.ChainPEM(), "tls.key": c.KeyPEM} {
		must(os.WriteFile(filepath.Join(dir, name), data, 0o600), "write "+name)
	}
}

// Pool returns a new pool holding c and nothing else (use a root as trust anchor).
func (c *Cert) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.Cert)
	return p
}

func must(err error, what string) {
	if err != nil {
		panic(fmt.Sprintf("certtest: %s: %v", what, err))
	}
}
