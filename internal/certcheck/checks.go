package certcheck

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"strings"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certinfo"
)

// Minimum key sizes below which a key is WeakKey.
const (
	MinRSABits = 2048
	MinECBits  = 256
)

// checkKeyMatch reports KeyMismatch when tls.key is not the leaf's key.
func (c *checker) checkKeyMatch() {
	if c.keyPub == nil || c.leafIdx < 0 || c.keyMatchesLeaf() {
		return
	}
	leaf := c.certs[c.leafIdx]
	c.add(wssv1.ReasonKeyMismatch, "%s does not belong to %s: its public key (%s) is not the one in %s (%s)",
		c.keyName, c.certName, describeKey(c.keyPub), c.describe(c.leafIdx), describeKey(leaf.PublicKey))
}

func (c *checker) keyMatchesLeaf() bool {
	if c.keyPub == nil || c.leafIdx < 0 {
		return false
	}
	pub, ok := c.certs[c.leafIdx].PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(c.keyPub)
}

// checkValidity reports CertificateExpired and CertificateNotYetValid for
// every certificate of tls.crt (a server sends them all), and ExpiringSoon
// for the leaf.
func (c *checker) checkValidity() {
	for _, i := range c.leafFirst() {
		x := c.certs[i]
		switch {
		case c.now.After(x.NotAfter):
			c.add(wssv1.ReasonCertificateExpired, "%s: %s expired at %s (%s ago)",
				c.certName, c.describe(i), stamp(x.NotAfter), human(c.now.Sub(x.NotAfter)))
		case c.now.Before(x.NotBefore):
			c.add(wssv1.ReasonCertificateNotYetValid, "%s: %s is not valid before %s (%s from now)",
				c.certName, c.describe(i), stamp(x.NotBefore), human(x.NotBefore.Sub(c.now)))
		case i == c.leafIdx && c.in.WarnWithin > 0 && x.NotAfter.Sub(c.now) < c.in.WarnWithin:
			c.warn(wssv1.ReasonExpiringSoon, "%s: %s expires at %s (in %s, within the %s warning window)",
				c.certName, c.describe(i), stamp(x.NotAfter), human(x.NotAfter.Sub(c.now)), human(c.in.WarnWithin))
		}
	}
}

// leafFirst lists the tls.crt indexes on the leaf's path with the leaf
// first, then file order. Certificates off the path are reported once, as
// ChainExtraCertificates, and not checked further.
func (c *checker) leafFirst() []int {
	out := []int{}
	if c.leafIdx >= 0 {
		out = append(out, c.leafIdx)
	}
	for i := range c.certs {
		if i != c.leafIdx && i < len(c.onPath) && c.onPath[i] {
			out = append(out, i)
		}
	}
	return out
}

// checkHosts reports one HostnameNotCovered naming every host the leaf's
// subject alternative names do not cover.
func (c *checker) checkHosts() {
	if c.leafIdx < 0 {
		return
	}
	leaf := c.certs[c.leafIdx]
	var missing []string
	for _, h := range c.in.Hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if leaf.VerifyHostname(h) != nil {
			missing = append(missing, fmt.Sprintf("%q", h))
		}
	}
	if len(missing) == 0 {
		return
	}
	var sans []string
	sans = append(sans, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		sans = append(sans, ip.String())
	}
	covered := "no DNS or IP subject alternative names (the common name does not count)"
	if len(sans) > 0 {
		covered = "only " + strings.Join(sans, ", ")
	}
	c.add(wssv1.ReasonHostnameNotCovered, "%s: %s does not cover %s; it covers %s",
		c.certName, c.describe(c.leafIdx), strings.Join(missing, ", "), covered)
}

// checkSignatures reports InsecureSignatureAlgorithm for every certificate
// of tls.crt signed with SHA-1 or MD5, except self-signed ones: a client
// trusts a root as such and never checks the root's own signature.
func (c *checker) checkSignatures() {
	for _, i := range c.leafFirst() {
		x := c.certs[i]
		if certinfo.InsecurelySigned(x) {
			c.add(wssv1.ReasonInsecureSignatureAlgorithm, "%s: %s is signed with %s, which TLS clients reject",
				c.certName, c.describe(i), x.SignatureAlgorithm)
		}
	}
}

// checkWeakKeys reports WeakKey for every certificate of tls.crt and for
// tls.key when it is not the leaf's key (otherwise the leaf's finding covers it).
func (c *checker) checkWeakKeys() {
	for _, i := range c.leafFirst() {
		if w := weakness(c.certs[i].PublicKey); w != "" {
			c.add(wssv1.ReasonWeakKey, "%s: %s has %s; use RSA of at least %d bits or ECDSA P-256 or stronger",
				c.certName, c.describe(i), w, MinRSABits)
		}
	}
	if c.keyPub != nil && !c.keyMatchesLeaf() {
		if w := weakness(c.keyPub); w != "" {
			c.add(wssv1.ReasonWeakKey, "%s holds %s; use RSA of at least %d bits or ECDSA P-256 or stronger",
				c.keyName, w, MinRSABits)
		}
	}
}

// weakness describes pub when it is under the minimum size, else "".
func weakness(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N != nil && k.N.BitLen() < MinRSABits {
			return fmt.Sprintf("a %d-bit RSA key", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k.Curve != nil && k.Curve.Params().BitSize < MinECBits {
			return fmt.Sprintf("an ECDSA %s key (%d bits)", k.Curve.Params().Name, k.Curve.Params().BitSize)
		}
	}
	return ""
}

// describeKey names a public key's algorithm and size, never its value.
func describeKey(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N == nil {
			return "RSA"
		}
		return fmt.Sprintf("RSA %d-bit", k.N.BitLen())
	case *ecdsa.PublicKey:
		if k.Curve == nil {
			return "ECDSA"
		}
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}
