package certcheck

import (
	"bytes"
	"crypto"
	"crypto/md5" //nolint:gosec // verifying (not trusting) legacy signatures to build the chain
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// relation is "certificate i issued certificate j" over tls.crt, computed
// once: issued[i][j], and why a certificate with the right name did not.
type relation struct {
	certs  []*x509.Certificate
	issued [][]bool
	why    [][]string
}

// maxChainCertificates bounds the chain analysis (leaf, order, path) to the
// first certificates of tls.crt, and maxIssuerCandidates the CA certificates
// with the right name tried per link, so that hostile input cannot make the
// signature checks quadratic. Real chains have fewer than five certificates.
const (
	maxChainCertificates = 32
	maxIssuerCandidates  = 16
)

func newRelation(certs []*x509.Certificate) relation {
	if len(certs) > maxChainCertificates {
		certs = certs[:maxChainCertificates]
	}
	n := len(certs)
	r := relation{certs: certs, issued: make([][]bool, n), why: make([][]string, n)}
	for i := range certs {
		r.issued[i], r.why[i] = make([]bool, n), make([]string, n)
		for j := range certs {
			// A self-issued certificate (a root, or a copy of one) has no
			// issuer to order it after.
			if i == j || selfIssued(certs[j]) {
				continue
			}
			r.issued[i][j], r.why[i][j] = issuedBy(certs[j], certs[i])
		}
	}
	return r
}

// leaf picks the end-entity certificate: one that issued no other
// certificate in the file, preferring non-CA certificates, then file order.
func (r relation) leaf() int {
	first := -1
	for i, x := range r.certs {
		if slicesContainsTrue(r.issued[i]) {
			continue
		}
		if !x.IsCA {
			return i
		}
		if first < 0 {
			first = i
		}
	}
	if first < 0 {
		return 0
	}
	return first
}

func slicesContainsTrue(bs []bool) bool {
	for _, b := range bs {
		if b {
			return true
		}
	}
	return false
}

// issuedBy says whether parent issued child: names and key identifiers
// match, parent may sign certificates, and parent's key verifies child's
// signature (SHA-1 and MD5 included: their weakness is a finding of its own,
// not a break in the chain). When the name matches but something else does
// not, why says what.
func issuedBy(child, parent *x509.Certificate) (ok bool, why string) {
	if !bytes.Equal(child.RawIssuer, parent.RawSubject) {
		return false, ""
	}
	if len(child.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 && !bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId) {
		return false, "its subject key identifier differs from the authority key identifier of the certificate it should have signed (a different CA with the same name?)"
	}
	if parent.Version == 3 && !parent.BasicConstraintsValid || parent.BasicConstraintsValid && !parent.IsCA {
		return false, "it is not a CA certificate (basicConstraints CA:FALSE)"
	}
	if parent.KeyUsage != 0 && parent.KeyUsage&x509.KeyUsageCertSign == 0 {
		return false, "its key usage does not include certificate signing"
	}
	if !signatureOK(child, parent.PublicKey) {
		return false, "its key did not sign the certificate (a different CA with the same name?)"
	}
	return true, ""
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

func selfIssued(x *x509.Certificate) bool { return bytes.Equal(x.RawIssuer, x.RawSubject) }

// selfSigned is a self-issued certificate whose own key verifies it (a root,
// or a self-signed leaf): nobody checks its signature.
func selfSigned(x *x509.Certificate) bool {
	return selfIssued(x) && signatureOK(x, x.PublicKey)
}

// checkOrder reports ChainMisordered: the leaf is not first, or a
// certificate comes before the one it issued.
func (c *checker) checkOrder() {
	var problem string
	if c.leafIdx > 0 {
		problem = fmt.Sprintf("%s is certificate #%d but must come first", c.describe(c.leafIdx), c.leafIdx+1)
	} else {
	outer:
		for i := range c.rel.certs {
			for j := i + 1; j < len(c.rel.certs); j++ {
				if c.rel.issued[i][j] {
					problem = fmt.Sprintf("%s issued %s but comes before it; each issuer must follow the certificate it issued",
						c.describe(i), c.describe(j))
					break outer
				}
			}
		}
	}
	if problem == "" {
		return
	}
	order := []string{}
	for _, i := range c.pathFrom(c.leafIdx) {
		order = append(order, fmt.Sprintf("#%d", i+1))
	}
	c.add(wssv1.ReasonChainMisordered, "%s: %s (expected order: %s)", c.certName, problem, strings.Join(order, ", "))
}

// pathFrom follows issuers inside tls.crt from certificate i, first match
// in file order, without revisiting.
func (c *checker) pathFrom(i int) []int {
	path, seen := []int{i}, map[int]bool{i: true}
	for {
		next := -1
		for p := range c.rel.certs {
			if !seen[p] && c.rel.issued[p][i] {
				next = p
				break
			}
		}
		if next < 0 {
			return path
		}
		path, seen[next], i = append(path, next), true, next
	}
}

// checkChain reports ChainIncomplete when no path leads from the leaf,
// through certificates of tls.crt, to a trust anchor. Validity is ignored
// here (the validity checks report it), so that an expired certificate is
// reported as expired, not as an incomplete chain.
func (c *checker) checkChain() {
	if c.leafIdx < 0 || (c.caGiven && len(c.caCerts) == 0) {
		return
	}
	anchored, trust := c.anchorFunc()
	visited := make([]bool, len(c.certs))
	var deepest []int
	var notes []string
	note := func(s string) {
		for _, n := range notes {
			if n == s {
				return
			}
		}
		notes = append(notes, s)
	}
	var walk func(path []int) bool
	walk = func(path []int) bool {
		i := path[len(path)-1]
		visited[i] = true
		if len(path) > len(deepest) {
			deepest = append([]int(nil), path...)
		}
		ok, why := anchored(c.certs[i])
		if ok {
			return true
		}
		if why != "" {
			note(why)
		}
		for p := range c.rel.certs {
			if visited[p] {
				continue
			}
			if c.rel.issued[p][i] {
				if walk(append(path, p)) {
					return true
				}
			} else if w := c.rel.why[p][i]; w != "" {
				note(fmt.Sprintf("%s of %s has the issuer's name but %s", c.describe(p), c.certName, w))
			}
		}
		return false
	}
	if walk([]int{c.leafIdx}) {
		return
	}
	top := c.certs[deepest[len(deepest)-1]]
	var msg string
	if selfSigned(top) {
		msg = fmt.Sprintf("%s: the chain from %s ends at the self-signed %q, which %s does not trust",
			c.certName, c.describe(c.leafIdx), name(top), trust)
	} else {
		stop := fmt.Sprintf("it stops at %q, whose issuer", name(top))
		if len(deepest) == 1 {
			stop = "its issuer"
		}
		msg = fmt.Sprintf("%s: no chain from %s to a root in %s: %s %q is in neither %s nor %s",
			c.certName, c.describe(c.leafIdx), trust, stop, top.Issuer.String(), c.certName, trust)
	}
	if len(notes) > 0 {
		msg += "; " + strings.Join(notes, "; ")
	}
	c.add(wssv1.ReasonChainIncomplete, "%s", msg)
}

// anchorFunc returns the test "x is, or was issued by, a trust anchor" and
// how to name the anchors in a message.
func (c *checker) anchorFunc() (func(*x509.Certificate) (bool, string), string) {
	if c.caGiven {
		return func(x *x509.Certificate) (bool, string) {
			why, tried := "", 0
			for _, a := range c.caCerts {
				if bytes.Equal(x.Raw, a.Raw) {
					return true, ""
				}
				if !bytes.Equal(x.RawIssuer, a.RawSubject) {
					continue
				}
				if tried++; tried > maxIssuerCandidates {
					break
				}
				ok, w := issuedBy(x, a)
				if ok {
					return true, ""
				}
				if w != "" && why == "" {
					why = fmt.Sprintf("%s holds %q with the issuer's name but %s", c.caName, name(a), w)
				}
			}
			return false, why
		}, c.caName
	}
	pool, trust := c.in.Roots, "the given trust pool"
	loadNote := ""
	if pool == nil {
		trust = "the system trust store"
		var err error
		if pool, err = x509.SystemCertPool(); err != nil {
			pool = x509.NewCertPool()
			loadNote = fmt.Sprintf("the system trust store could not be loaded (%v); give the CA bundle explicitly", err)
		}
	}
	return func(x *x509.Certificate) (bool, string) {
		if loadNote != "" {
			return false, loadNote
		}
		return verifiesTo(x, pool)
	}, trust
}

// verifiesTo reports whether x is in pool or was issued by a certificate in
// it, at a time inside x's validity (expiry is reported on its own).
func verifiesTo(x *x509.Certificate, pool *x509.CertPool) (ok bool, why string) {
	defer func() {
		if recover() != nil {
			ok, why = false, ""
		}
	}()
	mid := x.NotBefore.Add(x.NotAfter.Sub(x.NotBefore) / 2)
	_, err := x.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: mid, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err == nil {
		return true, ""
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		// A SHA-1/MD5 signature by a trusted root: the chain is there, its
		// algorithm is reported as InsecureSignatureAlgorithm.
		if insecure(x.SignatureAlgorithm) && strings.Contains(err.Error(), x509.InsecureAlgorithmError(x.SignatureAlgorithm).Error()) {
			return true, ""
		}
		return false, ""
	}
	return false, fmt.Sprintf("verifying %q: %v", name(x), err)
}
