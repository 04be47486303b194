package certinfo

import "crypto/x509"

// MaxIssuerCandidates bounds the certificates with the right name whose
// signature is checked per link (and the children checked per certificate
// when looking for the leaf), so that hostile input cannot make the
// signature checks quadratic: every analysis visits a certificate at most
// once and checks at most this many signatures for it. The bound only binds
// when more than MaxIssuerCandidates certificates share a name, that is on a
// list far longer than any chain a client accepts (certcheck reports such a
// tls.crt as ChainTooLarge): it never makes a real chain pass or fail.
const MaxIssuerCandidates = 16

// Relation answers "certificate p of the list issued certificate j" on
// demand, over a certificate list in any order (tls.crt, a served chain):
// candidates come from an index by name, results are memoized, and
// byte-identical copies are folded onto their first occurrence. Building it
// is linear in the number of certificates. Certificates are named by their
// index in the list.
type Relation struct {
	certs     []*x509.Certificate
	dupOf     []int            // index of the first byte-identical certificate; -1 for a first occurrence
	bySubject map[string][]int // first occurrences by subject, list order
	byIssuer  map[string][]int // first occurrences that are not self-issued, by issuer name, list order
	memo      map[[2]int]link
}

// link is the memoized result of IssuedBy.
type link struct {
	ok  bool
	why string
}

// NewRelation indexes certs.
func NewRelation(certs []*x509.Certificate) *Relation {
	r := &Relation{
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
		if !SelfIssued(x) {
			r.byIssuer[string(x.RawIssuer)] = append(r.byIssuer[string(x.RawIssuer)], i)
		}
	}
	return r
}

// Issued says whether certificate p issued certificate j, and when p has
// j's issuer name but did not, why (see IssuedBy). A self-issued
// certificate (a root, or a copy of one) has no issuer to order it after.
func (r *Relation) Issued(p, j int) (bool, string) {
	if p == j || SelfIssued(r.certs[j]) {
		return false, ""
	}
	k := [2]int{p, j}
	if l, ok := r.memo[k]; ok {
		return l.ok, l.why
	}
	ok, why := IssuedBy(r.certs[j], r.certs[p])
	r.memo[k] = link{ok, why}
	return ok, why
}

// Candidates are the certificates that have j's issuer name (first
// occurrences, list order, at most MaxIssuerCandidates), without j.
func (r *Relation) Candidates(j int) []int {
	if SelfIssued(r.certs[j]) {
		return nil
	}
	var out []int
	for _, p := range r.bySubject[string(r.certs[j].RawIssuer)] {
		if p == j {
			continue
		}
		if len(out) == MaxIssuerCandidates {
			break
		}
		out = append(out, p)
	}
	return out
}

// issuesNone says whether certificate i issued no other certificate of the
// list. A v3 certificate that is not a CA cannot issue, without a check.
func (r *Relation) issuesNone(i int) bool {
	x := r.certs[i]
	if x.Version == 3 && !(x.BasicConstraintsValid && x.IsCA) {
		return true
	}
	tried := 0
	for _, j := range r.byIssuer[string(x.RawSubject)] {
		if j == i {
			continue
		}
		if tried++; tried > MaxIssuerCandidates {
			break
		}
		if ok, _ := r.Issued(i, j); ok {
			return false
		}
	}
	return true
}

// Leaf picks the end-entity certificate: one that issued no other
// certificate in the list, preferring non-CA certificates, then list order
// (0 when every certificate issued another). certs must not be empty.
func (r *Relation) Leaf() int {
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

// IssuerOf is the first candidate not in seen that issued j, or -1.
func (r *Relation) IssuerOf(j int, seen map[int]bool) int {
	for _, p := range r.Candidates(j) {
		if seen[p] {
			continue
		}
		if ok, _ := r.Issued(p, j); ok {
			return p
		}
	}
	return -1
}

// CopyOf is the index of the first byte-identical copy of certificate i
// earlier in the list, or -1 when i is a first occurrence.
func (r *Relation) CopyOf(i int) int { return r.dupOf[i] }

// Path follows issuers from certificate i, first match in list order,
// without revisiting: i, its issuer, that one's issuer, and so on, up to a
// self-issued certificate or one whose issuer is not in the list.
func (r *Relation) Path(i int) []int {
	path, seen := []int{i}, map[int]bool{i: true}
	for {
		next := r.IssuerOf(i, seen)
		if next < 0 {
			return path
		}
		path, seen[next], i = append(path, next), true, next
	}
}
