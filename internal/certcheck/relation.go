package certcheck

import (
	"bytes"
	"crypto"
	"crypto/md5" //nolint:gosec // verifying (not trusting) legacy signatures to build the chain
	"crypto/rsa"
	"crypto/x509"
)

// maxIssuerCandidates bounds the certificates with the right name whose
// signature is checked per link (and the children checked per certificate
// when looking for the leaf), so that hostile input cannot make the
// signature checks quadratic: every analysis visits a certificate at most
// once and checks at most this many signatures for it. The bound only binds
// when more than maxIssuerCandidates certificates share a name, that is on a
// tls.crt far beyond MaxChainCertificates, which is reported as
// ChainTooLarge: it never makes a file within the bounds pass.
const maxIssuerCandidates = 16

// relation answers "certificate p of tls.crt issued certificate j" on
// demand: candidates come from an index by name, results are memoized, and
// byte-identical copies are folded onto their first occurrence. Building it
// is linear in the number of certificates.
type relation struct {
	certs     []*x509.Certificate
	dupOf     []int            // index of the first byte-identical certificate; -1 for a first occurrence
	bySubject map[string][]int // first occurrences by subject, file order
	byIssuer  map[string][]int // first occurrences that are not self-issued, by issuer name, file order
	memo      map[[2]int]link
}

// link is the memoized result of issuedBy.
type link struct {
	ok  bool
	why string
}

func newRelation(certs []*x509.Certificate) *relation {
	r := &relation{
		certs: certs, dupOf: make([]int, len(certs)),
		bySubject: map[string][]int{}, byIssuer: map[string][]int{}, memo: map[[2]int]link{},
	}
	first := make(map[string]int, len(certs))
	for i, x := range certs {
		if f, seen := first[string(x.Raw)]; seen {
			r.dupOf[i] = f
			continue
		}
		first[string(x.Raw)], r.dupOf[i] = i, -1
		r.bySubject[string(x.RawSubject)] = append(r.bySubject[string(x.RawSubject)], i)
		if !selfIssued(x) {
			r.byIssuer[string(x.RawIssuer)] = append(r.byIssuer[string(x.RawIssuer)], i)
		}
	}
	return r
}

// issued says whether certificate p issued certificate j, and when p has
// j's issuer name but did not, why. A self-issued certificate (a root, or a
// copy of one) has no issuer to order it after.
func (r *relation) issued(p, j int) (bool, string) {
	if p == j || selfIssued(r.certs[j]) {
		return false, ""
	}
	k := [2]int{p, j}
	if l, ok := r.memo[k]; ok {
		return l.ok, l.why
	}
	ok, why := issuedBy(r.certs[j], r.certs[p])
	r.memo[k] = link{ok, why}
	return ok, why
}

// candidates are the certificates that have j's issuer name (first
// occurrences, file order, at most maxIssuerCandidates), without j.
func (r *relation) candidates(j int) []int {
	if selfIssued(r.certs[j]) {
		return nil
	}
	var out []int
	for _, p := range r.bySubject[string(r.certs[j].RawIssuer)] {
		if p == j {
			continue
		}
		if len(out) == maxIssuerCandidates {
			break
		}
		out = append(out, p)
	}
	return out
}

// issuesNone says whether certificate i issued no other certificate of the
// file. A v3 certificate that is not a CA cannot issue, without a check.
func (r *relation) issuesNone(i int) bool {
	x := r.certs[i]
	if x.Version == 3 && !(x.BasicConstraintsValid && x.IsCA) {
		return true
	}
	tried := 0
	for _, j := range r.byIssuer[string(x.RawSubject)] {
		if j == i {
			continue
		}
		if tried++; tried > maxIssuerCandidates {
			break
		}
		if ok, _ := r.issued(i, j); ok {
			return false
		}
	}
	return true
}

// leaf picks the end-entity certificate: one that issued no other
// certificate in the file, preferring non-CA certificates, then file order.
func (r *relation) leaf() int {
	first := -1
	for i, x := range r.certs {
		if r.dupOf[i] >= 0 || !r.issuesNone(i) {
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

// issuerOf is the first candidate not in seen that issued j, or -1.
func (r *relation) issuerOf(j int, seen map[int]bool) int {
	for _, p := range r.candidates(j) {
		if seen[p] {
			continue
		}
		if ok, _ := r.issued(p, j); ok {
			return p
		}
	}
	return -1
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
	if notCA(parent) {
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

// notCA is true for a v3 certificate without basicConstraints and for one
// with CA:FALSE; such a certificate cannot issue certificates.
func notCA(x *x509.Certificate) bool {
	return x.Version == 3 && !x.BasicConstraintsValid || x.BasicConstraintsValid && !x.IsCA
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
