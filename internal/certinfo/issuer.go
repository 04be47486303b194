package certinfo

import (
	"bytes"
	"crypto"
	"crypto/md5" //nolint:gosec // verifying (not trusting) legacy signatures to build the chain
	"crypto/rsa"
	"crypto/x509"
)

// SelfIssued says whether x names itself as its issuer (a root, a
// self-signed leaf, or a re-keyed CA certificate issued by its predecessor
// of the same name).
func SelfIssued(x *x509.Certificate) bool { return bytes.Equal(x.RawIssuer, x.RawSubject) }

// SelfSigned says whether x is self-issued and its own key verifies its
// signature (a root, or a self-signed leaf): nobody checks its signature,
// clients trust it as such or not at all.
func SelfSigned(x *x509.Certificate) bool {
	return SelfIssued(x) && signatureOK(x, x.PublicKey)
}

// IssuedBy says whether parent issued child: names and key identifiers
// match, parent may sign certificates, and parent's key verifies child's
// signature (SHA-1 and MD5 included: their weakness is a finding of its own,
// not a break in the chain). When the name matches but something else does
// not, why says what, as the end of a sentence about parent.
func IssuedBy(child, parent *x509.Certificate) (ok bool, why string) {
	if !bytes.Equal(child.RawIssuer, parent.RawSubject) {
		return false, ""
	}
	if len(child.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 && !bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId) {
		return false, "its subject key identifier differs from the authority key identifier of the certificate it should have signed (a different CA with the same name?)"
	}
	if why := CannotIssue(parent); why != "" {
		return false, why
	}
	if !signatureOK(child, parent.PublicKey) {
		return false, "its key did not sign the certificate (a different CA with the same name?)"
	}
	return true, ""
}

// CannotIssue says why x may not issue certificates, "" when it may: a v3
// certificate without basicConstraints, one with CA:FALSE, and one whose key
// usage lacks certificate signing cannot (as crypto/x509 judges a parent).
func CannotIssue(x *x509.Certificate) string {
	if x.Version == 3 && !x.BasicConstraintsValid || x.BasicConstraintsValid && !x.IsCA {
		return "it is not a CA certificate (basicConstraints CA:FALSE)"
	}
	if x.KeyUsage != 0 && x.KeyUsage&x509.KeyUsageCertSign == 0 {
		return "its key usage does not include certificate signing"
	}
	return ""
}

// InsecureSignatureAlgorithm says whether clients reject signatures made
// with a: MD2, MD5 and SHA-1.
func InsecureSignatureAlgorithm(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return true
	}
	return false
}

// InsecurelySigned says whether a client that meets x in a chain rejects
// it for its signature algorithm: x is signed with an insecure algorithm
// and is not self-signed (a client trusts a root as such and never checks
// the root's own signature).
func InsecurelySigned(x *x509.Certificate) bool {
	return InsecureSignatureAlgorithm(x.SignatureAlgorithm) && !SelfSigned(x)
}

// signatureOK verifies x's signature with pub, accepting SHA-1 and MD5.
func signatureOK(x *x509.Certificate, pub crypto.PublicKey) (ok bool) {
	defer func() {
		// Hostile input must not take the inspector down.
		if recover() != nil {
			ok = false
		}
	}()
	holder := &x509.Certificate{PublicKey: pub}
	// Certificate.CheckSignature allows SHA-1; MD5 is verified by hand.
	err := holder.CheckSignature(x.SignatureAlgorithm, x.RawTBSCertificate, x.Signature)
	if err == nil {
		return true
	}
	if x.SignatureAlgorithm == x509.MD5WithRSA {
		if rk, isRSA := pub.(*rsa.PublicKey); isRSA {
			sum := md5.Sum(x.RawTBSCertificate) //nolint:gosec // see import
			return rsa.VerifyPKCS1v15(rk, crypto.MD5, sum[:], x.Signature) == nil
		}
	}
	return false
}
