package certcheck

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certinfo"
)

// checkOrder reports ChainMisordered: the leaf is not first, or a
// certificate comes before the one it issued.
func (c *checker) checkOrder() {
	var problem string
	if c.leafIdx > 0 {
		problem = fmt.Sprintf("%s is certificate #%d but must come first", c.describe(c.leafIdx), c.leafIdx+1)
	} else {
		path := c.rel.Path(c.leafIdx)
		for k := 0; k+1 < len(path); k++ {
			if path[k+1] < path[k] {
				problem = fmt.Sprintf("%s issued %s but comes before it; each issuer must follow the certificate it issued",
					c.describe(path[k+1]), c.describe(path[k]))
				break
			}
		}
	}
	if problem == "" {
		return
	}
	order := []string{}
	for _, i := range c.rel.Path(c.leafIdx) {
		order = append(order, fmt.Sprintf("#%d", i+1))
	}
	c.add(wssv1.ReasonChainMisordered, "%s: %s (expected order: %s)", c.certName, problem, strings.Join(order, ", "))
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
			c.anchoredPath = append([]int(nil), path...)
			return true
		}
		if why != "" {
			note(why)
		}
		for _, p := range c.rel.Candidates(i) {
			if visited[p] {
				continue
			}
			if ok, w := c.rel.Issued(p, i); ok {
				if walk(append(path, p)) {
					return true
				}
			} else if w != "" {
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
	if certinfo.SelfSigned(top) {
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
		// Indexed once, so each certificate of tls.crt costs a map lookup
		// and at most certinfo.MaxIssuerCandidates signature checks.
		raw, bySubject := map[string]bool{}, map[string][]*x509.Certificate{}
		for _, a := range c.caCerts {
			raw[string(a.Raw)] = true
			bySubject[string(a.RawSubject)] = append(bySubject[string(a.RawSubject)], a)
		}
		return func(x *x509.Certificate) (bool, string) {
			if raw[string(x.Raw)] {
				return true, ""
			}
			why := ""
			for n, a := range bySubject[string(x.RawIssuer)] {
				if n == certinfo.MaxIssuerCandidates {
					break
				}
				ok, w := certinfo.IssuedBy(x, a)
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
		if certinfo.InsecureSignatureAlgorithm(x.SignatureAlgorithm) && strings.Contains(err.Error(), x509.InsecureAlgorithmError(x.SignatureAlgorithm).Error()) {
			return true, ""
		}
		return false, ""
	}
	return false, fmt.Sprintf("verifying %q: %v", name(x), err)
}
