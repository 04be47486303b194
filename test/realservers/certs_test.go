package realservers

import (
	"crypto"
	"crypto/x509"
	"sync"
	"time"

	"github.com/wss-operator/wss-operator/internal/certtest"
)

// pemSet is what a server is given: tls.crt (leaf, then what else it
// sends), tls.key, and the root the probe trusts.
type pemSet struct {
	cert, key []byte
	// root is the CA the probing client trusts (--ca).
	root []byte
}

// pki is the corpus' PEM sets, from a CA hierarchy root → intermediate →
// leaves, and a client CA for mutual TLS.
type pki struct {
	good, incomplete, expired       pemSet
	wrongHost, ecKeyRSACert, rsaKey pemSet
	misordered, encryptedKey        pemSet
	clientCAPEM                     []byte
	client                          pemSet // a client certificate issued by clientCA
	untrustedClient                 pemSet // a client certificate from another CA
}

// corpusPKI builds the PEM sets once for the package.
var corpusPKI = sync.OnceValue(newPKI)

// newPKI makes the corpus with internal/certtest: ECDSA P-256 CAs, an RSA
// 2048 server key, every certificate valid from an hour ago for 30 days
// unless it is the expired one.
func newPKI() *pki {
	valid := time.Now().Add(30 * 24 * time.Hour)
	ca := func(issuer *certtest.Cert, cn string) *certtest.Cert {
		o := certtest.Options{CommonName: cn, NotAfter: valid}
		if issuer == nil {
			return certtest.NewCA(o)
		}
		o.IsCA = true
		return issuer.Issue(o)
	}
	leaf := func(issuer *certtest.Cert, key crypto.Signer, o certtest.Options) *certtest.Cert {
		if o.NotAfter.IsZero() {
			o.NotAfter = valid
		}
		if o.ExtKeyUsage == nil {
			o.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}
		return issuer.IssueForKey(o, key)
	}
	root := ca(nil, "Corpus Root")
	inter := ca(root, "Corpus Intermediate")
	clientCA := ca(nil, "Corpus Client CA")
	set := func(cert, key []byte) pemSet { return pemSet{cert: cert, key: key, root: root.CertPEM} }

	lk := certtest.NewKey(certtest.RSA, 2048)
	good := leaf(inter, lk, certtest.Options{Hosts: []string{"echo.test"}})
	expired := leaf(inter, lk, certtest.Options{Hosts: []string{"echo.test"},
		NotBefore: time.Now().Add(-60 * 24 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	wrongHost := leaf(inter, lk, certtest.Options{Hosts: []string{"other.test"}})
	p := &pki{
		good:         set(good.ChainPEM(), good.KeyPEM),
		incomplete:   set(good.CertPEM, good.KeyPEM),
		expired:      set(expired.ChainPEM(), good.KeyPEM),
		wrongHost:    set(wrongHost.ChainPEM(), good.KeyPEM),
		ecKeyRSACert: set(good.ChainPEM(), certtest.KeyPEM(certtest.NewKey(certtest.ECDSAP256, 0), certtest.PKCS8)),
		rsaKey:       set(good.ChainPEM(), certtest.KeyPEM(certtest.NewKey(certtest.RSA, 2048), certtest.PKCS8)),
		misordered:   set(certtest.PEMs(inter, good), good.KeyPEM),
		// As `openssl pkey -aes256` protects a key, for people who then
		// forget to configure the passphrase.
		encryptedKey: set(good.ChainPEM(), good.PKCS8EncryptedKeyPEM("corpus")),
		clientCAPEM:  clientCA.CertPEM,
	}

	cliKey := certtest.NewKey(certtest.ECDSAP256, 0)
	clientOpts := certtest.Options{CommonName: "client", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	client := leaf(clientCA, cliKey, clientOpts)
	p.client = pemSet{cert: client.CertPEM, key: client.KeyPEM}
	untrusted := leaf(ca(nil, "Stranger CA"), cliKey, clientOpts)
	p.untrustedClient = pemSet{cert: untrusted.CertPEM, key: untrusted.KeyPEM}
	return p
}
