package certtest_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/md5" //nolint:gosec // checking the MD5 signature certtest made
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/certtest"
)

func TestChainVerifiesAndServes(t *testing.T) {
	g := NewWithT(t)
	root := certtest.NewCA(certtest.Options{CommonName: "Root"})
	ica := root.Issue(certtest.Options{CommonName: "Intermediate", IsCA: true})
	leaf := ica.Issue(certtest.Options{Hosts: []string{"localhost", "*.svc.example", "127.0.0.1", "::1"}})

	g.Expect(leaf.Cert.Subject.CommonName).To(Equal("localhost"))
	g.Expect(leaf.Cert.DNSNames).To(Equal([]string{"localhost", "*.svc.example"}))
	g.Expect(leaf.Cert.IPAddresses).To(HaveLen(2))
	g.Expect(leaf.Chain()).To(Equal([]*certtest.Cert{leaf, ica}))
	g.Expect(leaf.Root()).To(BeIdenticalTo(root))
	g.Expect(root.Cert.IsCA).To(BeTrue())
	g.Expect(leaf.Cert.IsCA).To(BeFalse())

	inter := x509.NewCertPool()
	inter.AddCert(ica.Cert)
	for _, host := range []string{"localhost", "a.svc.example", "127.0.0.1", "::1"} {
		_, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: root.Pool(), Intermediates: inter, DNSName: host})
		g.Expect(err).NotTo(HaveOccurred(), host)
	}

	pair, err := tls.X509KeyPair(leaf.ChainPEM(), leaf.KeyPEM)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pair.Certificate).To(Equal(leaf.TLSCertificate().Certificate))

	// A real handshake on loopback with the TLSCertificate.
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}})
	g.Expect(err).NotTo(HaveOccurred())
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_ = c.(*tls.Conn).Handshake()
			_ = c.Close()
		}
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: root.Pool(), ServerName: "localhost"})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(conn.ConnectionState().PeerCertificates).To(HaveLen(2))
	_ = conn.Close()
}

func TestOptions(t *testing.T) {
	root := certtest.NewCA(certtest.Options{Key: certtest.RSA})
	nb, na := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		opts  certtest.Options
		check func(g Gomega, c *certtest.Cert)
	}{
		{name: "defaults", opts: certtest.Options{}, check: func(g Gomega, c *certtest.Cert) {
			g.Expect(c.Key).To(BeAssignableToTypeOf(&ecdsa.PrivateKey{}))
			g.Expect(c.Cert.NotAfter).To(BeTemporally("~", time.Now().Add(certtest.DefaultLeafValidity), time.Minute))
			g.Expect(c.Cert.ExtKeyUsage).To(ConsistOf(x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth))
		}},
		{name: "validity window", opts: certtest.Options{NotBefore: nb, NotAfter: na}, check: func(g Gomega, c *certtest.Cert) {
			g.Expect(c.Cert.NotBefore).To(Equal(nb))
			g.Expect(c.Cert.NotAfter).To(Equal(na))
		}},
		{name: "RSA 1024", opts: certtest.Options{Key: certtest.RSA, RSABits: 1024}, check: func(g Gomega, c *certtest.Cert) {
			g.Expect(c.Cert.PublicKey.(*rsa.PublicKey).N.BitLen()).To(Equal(1024))
		}},
		{name: "P-224", opts: certtest.Options{Key: certtest.ECDSAP224}, check: func(g Gomega, c *certtest.Cert) {
			g.Expect(c.Cert.PublicKey.(*ecdsa.PublicKey).Curve.Params().BitSize).To(Equal(224))
		}},
		{name: "P-384", opts: certtest.Options{Key: certtest.ECDSAP384}, check: func(g Gomega, c *certtest.Cert) {
			g.Expect(c.Cert.PublicKey.(*ecdsa.PublicKey).Curve.Params().BitSize).To(Equal(384))
		}},
		{name: "Ed25519", opts: certtest.Options{Key: certtest.Ed25519}, check: func(g Gomega, c *certtest.Cert) {
			g.Expect(c.Cert.PublicKey).To(BeAssignableToTypeOf(ed25519.PublicKey{}))
		}},
		{name: "SHA-1", opts: certtest.Options{SignatureAlgorithm: x509.SHA1WithRSA}, check: func(g Gomega, c *certtest.Cert) {
			g.Expect(c.Cert.SignatureAlgorithm).To(Equal(x509.SHA1WithRSA))
			g.Expect(root.Cert.CheckSignature(c.Cert.SignatureAlgorithm, c.Cert.RawTBSCertificate, c.Cert.Signature)).To(Succeed())
		}},
		{name: "MD5 by re-signing", opts: certtest.Options{SignatureAlgorithm: x509.MD5WithRSA}, check: func(g Gomega, c *certtest.Cert) {
			g.Expect(c.Cert.SignatureAlgorithm).To(Equal(x509.MD5WithRSA))
			sum := md5.Sum(c.Cert.RawTBSCertificate) //nolint:gosec // see import
			g.Expect(rsa.VerifyPKCS1v15(root.Cert.PublicKey.(*rsa.PublicKey), crypto.MD5, sum[:], c.Cert.Signature)).To(Succeed())
			g.Expect(c.Cert.CheckSignatureFrom(root.Cert)).To(MatchError(ContainSubstring("insecure algorithm MD5-RSA")))
		}},
		{name: "CA", opts: certtest.Options{IsCA: true, CommonName: "Sub CA"}, check: func(g Gomega, c *certtest.Cert) {
			g.Expect(c.Cert.IsCA).To(BeTrue())
			g.Expect(c.Cert.KeyUsage & x509.KeyUsageCertSign).NotTo(BeZero())
			g.Expect(c.Cert.Subject.CommonName).To(Equal("Sub CA"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			c := root.Issue(tc.opts)
			g.Expect(c.Issuer).To(BeIdenticalTo(root))
			g.Expect(bytes.Equal(c.Cert.RawIssuer, root.Cert.RawSubject)).To(BeTrue())
			tc.check(g, c)
		})
	}
}

func TestKeyEncodings(t *testing.T) {
	rsaCert := certtest.NewSelfSigned(certtest.Options{Key: certtest.RSA})
	ecCert := certtest.NewSelfSigned(certtest.Options{})
	edCert := certtest.NewSelfSigned(certtest.Options{Key: certtest.Ed25519})
	cases := []struct {
		name    string
		c       *certtest.Cert
		pem     []byte
		typ     string
		parse   func([]byte) (any, error)
		encrypt bool
	}{
		{name: "RSA PKCS#1", c: rsaCert, pem: rsaCert.KeyPEMAs(certtest.PKCS1), typ: "RSA PRIVATE KEY",
			parse: func(b []byte) (any, error) { return x509.ParsePKCS1PrivateKey(b) }},
		{name: "EC SEC1", c: ecCert, pem: ecCert.KeyPEMAs(certtest.SEC1), typ: "EC PRIVATE KEY",
			parse: func(b []byte) (any, error) { return x509.ParseECPrivateKey(b) }},
		{name: "Ed25519 PKCS#8", c: edCert, pem: edCert.KeyPEM, typ: "PRIVATE KEY", parse: x509.ParsePKCS8PrivateKey},
		{name: "RSA legacy encrypted", c: rsaCert, pem: rsaCert.LegacyEncryptedKeyPEM("pw"), typ: "RSA PRIVATE KEY", encrypt: true,
			parse: func(b []byte) (any, error) { return x509.ParsePKCS1PrivateKey(b) }},
		{name: "EC legacy encrypted", c: ecCert, pem: ecCert.LegacyEncryptedKeyPEM("pw"), typ: "EC PRIVATE KEY", encrypt: true,
			parse: func(b []byte) (any, error) { return x509.ParseECPrivateKey(b) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			b, rest := pem.Decode(tc.pem)
			g.Expect(b).NotTo(BeNil())
			g.Expect(rest).To(BeEmpty())
			g.Expect(b.Type).To(Equal(tc.typ))
			der := b.Bytes
			if tc.encrypt {
				g.Expect(b.Headers).To(HaveKeyWithValue("Proc-Type", "4,ENCRYPTED"))
				var err error
				der, err = x509.DecryptPEMBlock(b, []byte("pw")) //nolint:staticcheck // legacy format under test
				g.Expect(err).NotTo(HaveOccurred())
			}
			k, err := tc.parse(der)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(k.(crypto.Signer).Public()).To(Equal(tc.c.Key.Public()))
		})
	}
	t.Run("wrong format panics", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(func() { ecCert.KeyPEMAs(certtest.PKCS1) }).To(PanicWith(ContainSubstring("PKCS1 needs an RSA key")))
		g.Expect(func() { rsaCert.KeyPEMAs(certtest.SEC1) }).To(PanicWith(ContainSubstring("SEC1 needs an ECDSA key")))
	})
}

// The PKCS#8 encrypted key is real PBES2: openssl decrypts it to our key.
func TestPKCS8EncryptedKeyWithOpenSSL(t *testing.T) {
	g := NewWithT(t)
	c := certtest.NewSelfSigned(certtest.Options{})
	enc := c.PKCS8EncryptedKeyPEM("s3cret")
	b, _ := pem.Decode(enc)
	g.Expect(b.Type).To(Equal("ENCRYPTED PRIVATE KEY"))
	_, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	g.Expect(err).To(HaveOccurred(), "an encrypted key must not parse as a clear one")

	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed; the block's type and opacity are checked above")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "enc.pem")
	g.Expect(os.WriteFile(in, enc, 0o600)).To(Succeed())
	out, err := exec.Command(openssl, "pkey", "-in", in, "-passin", "pass:s3cret").Output()
	g.Expect(err).NotTo(HaveOccurred())
	clear, _ := pem.Decode(out)
	g.Expect(clear).NotTo(BeNil())
	k, err := x509.ParsePKCS8PrivateKey(clear.Bytes)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(k.(crypto.Signer).Public()).To(Equal(c.Key.Public()))
}

func TestPEMsAndPool(t *testing.T) {
	g := NewWithT(t)
	root := certtest.NewCA(certtest.Options{})
	leaf := root.Issue(certtest.Options{Hosts: []string{"127.0.0.1"}})
	all := certtest.PEMs(leaf, root)
	g.Expect(bytes.Count(all, []byte("BEGIN CERTIFICATE"))).To(Equal(2))
	g.Expect(leaf.ChainPEM()).To(Equal(leaf.CertPEM), "the root is not part of the served chain")
	_, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: root.Pool()})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(leaf.Cert.IPAddresses[0].Equal(net.ParseIP("127.0.0.1"))).To(BeTrue())
}

func TestChainShapesAndFiles(t *testing.T) {
	g := NewWithT(t)
	root := certtest.NewCA(certtest.Options{})
	ica := root.Issue(certtest.Options{IsCA: true})
	leaf := ica.Issue(certtest.Options{Hosts: []string{"localhost"}})

	raw := func(cs ...*certtest.Cert) [][]byte {
		var out [][]byte
		for _, c := range cs {
			out = append(out, c.Cert.Raw)
		}
		return out
	}
	g.Expect(leaf.TLSCertificate().Certificate).To(Equal(raw(leaf, ica)))
	g.Expect(leaf.TLSCertificateWith().Certificate).To(Equal(raw(leaf)), "incomplete: the leaf alone")
	g.Expect(leaf.TLSCertificateWith(ica, root).Certificate).To(Equal(raw(leaf, ica, root)))
	served := leaf.TLSCertificateWith(root, ica)
	g.Expect(served.Certificate).To(Equal(raw(leaf, root, ica)), "in the order given")
	g.Expect(served.PrivateKey).To(Equal(leaf.Key))
	g.Expect(served.Leaf).To(BeIdenticalTo(leaf.Cert))

	g.Expect(certtest.CertsPEM(leaf.Cert, ica.Cert)).To(Equal(certtest.PEMs(leaf, ica)))
	g.Expect(certtest.CertsPEM()).To(BeEmpty())

	dir := t.TempDir()
	leaf.WriteTLSFiles(dir)
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pair.Certificate).To(Equal(raw(leaf, ica)))
	for _, name := range []string{"tls.crt", "tls.key"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(fi.Mode().Perm()).To(Equal(os.FileMode(0o600)), name)
	}
	g.Expect(func() { leaf.WriteTLSFiles(filepath.Join(dir, "missing")) }).To(PanicWith(ContainSubstring("write tls.")))
}
