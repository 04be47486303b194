package certinfo_test

import (
	"crypto/x509"
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/certinfo"
	"github.com/wss-operator/wss-operator/internal/certtest"
)

func TestFacts(t *testing.T) {
	g := NewWithT(t)
	nb := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	root := certtest.NewCA(certtest.Options{CommonName: "Facts Root"})
	leaf := root.Issue(certtest.Options{Hosts: []string{"a.example.com", "127.0.0.1"}, NotBefore: nb, NotAfter: nb.Add(time.Hour)})
	f := certinfo.Of(leaf.Cert)
	g.Expect(f.Subject).To(Equal(leaf.Cert.Subject.String()))
	g.Expect(f.Issuer).To(Equal(root.Cert.Subject.String()))
	g.Expect(f.NotBefore).To(Equal("2026-01-02T03:04:05Z"))
	g.Expect(f.NotAfter).To(Equal("2026-01-02T04:04:05Z"))
	g.Expect(f.SHA256).To(HaveLen(64))
	g.Expect(f.SHA256).To(Equal(certinfo.Fingerprint(leaf.Cert)))
	g.Expect(f.DNSNames).To(Equal([]string{"a.example.com"}))
	g.Expect(certinfo.Of(root.Cert).DNSNames).To(BeEmpty())
	js, err := json.Marshal(certinfo.Of(root.Cert))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(js)).To(ContainSubstring(`"dnsNames":[]`), "a certificate without DNS names is [] in the JSON contract, not null")
	g.Expect(certinfo.OfChain([]*x509.Certificate{leaf.Cert, root.Cert})).To(Equal([]certinfo.Facts{f, certinfo.Of(root.Cert)}))
}

func TestIssuers(t *testing.T) {
	root := certtest.NewCA(certtest.Options{CommonName: "Chain Root", Key: certtest.RSA})
	ica := root.Issue(certtest.Options{CommonName: "Chain Intermediate", IsCA: true})
	leaf := ica.Issue(certtest.Options{Hosts: []string{"chain.example.com"}})
	sameName := certtest.NewCA(certtest.Options{CommonName: "Chain Root"})
	// A CA certificate issued by its predecessor of the same name.
	rekeyed := root.Issue(certtest.Options{CommonName: "Chain Root", IsCA: true})
	notCA := ica.Issue(certtest.Options{CommonName: "Not A CA"})
	underNotCA := notCA.Issue(certtest.Options{Hosts: []string{"x.example.com"}})
	selfLeaf := certtest.NewSelfSigned(certtest.Options{Hosts: []string{"self.example.com"}})
	sha1Root := certtest.NewCA(certtest.Options{CommonName: "SHA-1 Root", Key: certtest.RSA, SignatureAlgorithm: x509.SHA1WithRSA})
	sha1Leaf := ica.Issue(certtest.Options{Hosts: []string{"old.example.com"}, SignatureAlgorithm: x509.ECDSAWithSHA1})
	md5Leaf := root.Issue(certtest.Options{Hosts: []string{"older.example.com"}, SignatureAlgorithm: x509.MD5WithRSA})

	t.Run("self-signed is checked by signature", func(t *testing.T) {
		g := NewWithT(t)
		for _, c := range []*certtest.Cert{root, selfLeaf, sha1Root} {
			g.Expect(certinfo.SelfIssued(c.Cert)).To(BeTrue(), c.Cert.Subject.String())
			g.Expect(certinfo.SelfSigned(c.Cert)).To(BeTrue(), c.Cert.Subject.String())
		}
		g.Expect(certinfo.SelfIssued(rekeyed.Cert)).To(BeTrue())
		g.Expect(certinfo.SelfSigned(rekeyed.Cert)).To(BeFalse(), "self-issued, but its own key did not sign it")
		g.Expect(certinfo.SelfIssued(ica.Cert)).To(BeFalse())
		g.Expect(certinfo.SelfSigned(leaf.Cert)).To(BeFalse())
	})

	t.Run("issued by", func(t *testing.T) {
		g := NewWithT(t)
		cases := []struct {
			name          string
			child, parent *certtest.Cert
			ok            bool
			why           string
		}{
			{"leaf by intermediate", leaf, ica, true, ""},
			{"intermediate by root", ica, root, true, ""},
			{"re-keyed CA by its predecessor", rekeyed, root, true, ""},
			{"MD5 signature still links", md5Leaf, root, true, ""},
			{"another name", leaf, root, false, ""},
			{"same name, another key", ica, sameName, false, "(a different CA with the same name?)"},
			{"issuer is not a CA", underNotCA, notCA, false, "it is not a CA certificate (basicConstraints CA:FALSE)"},
		}
		for _, tc := range cases {
			ok, why := certinfo.IssuedBy(tc.child.Cert, tc.parent.Cert)
			g.Expect(ok).To(Equal(tc.ok), tc.name)
			if tc.why == "" {
				g.Expect(why).To(BeEmpty(), tc.name)
			} else {
				g.Expect(why).To(ContainSubstring(tc.why), tc.name)
			}
		}
		g.Expect(certinfo.CannotIssue(ica.Cert)).To(BeEmpty())
		g.Expect(certinfo.CannotIssue(leaf.Cert)).NotTo(BeEmpty())
	})

	t.Run("insecure signatures", func(t *testing.T) {
		g := NewWithT(t)
		for _, a := range []x509.SignatureAlgorithm{x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1} {
			g.Expect(certinfo.InsecureSignatureAlgorithm(a)).To(BeTrue(), a.String())
		}
		for _, a := range []x509.SignatureAlgorithm{x509.SHA256WithRSA, x509.ECDSAWithSHA384, x509.PureEd25519, x509.SHA256WithRSAPSS} {
			g.Expect(certinfo.InsecureSignatureAlgorithm(a)).To(BeFalse(), a.String())
		}
		g.Expect(certinfo.InsecurelySigned(sha1Leaf.Cert)).To(BeTrue())
		g.Expect(certinfo.InsecurelySigned(md5Leaf.Cert)).To(BeTrue())
		g.Expect(certinfo.InsecurelySigned(sha1Root.Cert)).To(BeFalse(), "nobody checks a root's own signature")
		g.Expect(certinfo.InsecurelySigned(leaf.Cert)).To(BeFalse())
	})

	t.Run("relation", func(t *testing.T) {
		g := NewWithT(t)
		// File order: root, leaf, a copy of the root, intermediate, another root.
		certs := []*x509.Certificate{root.Cert, leaf.Cert, root.Cert, ica.Cert, sameName.Cert}
		r := certinfo.NewRelation(certs)
		g.Expect(r.Leaf()).To(Equal(1))
		g.Expect(r.Path(1)).To(Equal([]int{1, 3, 0}))
		g.Expect(r.Path(4)).To(Equal([]int{4}))
		g.Expect(r.CopyOf(2)).To(Equal(0))
		g.Expect(r.CopyOf(0)).To(Equal(-1))
		g.Expect(r.Candidates(3)).To(Equal([]int{0, 4}), "first occurrences with the issuer's name, file order")
		ok, _ := r.Issued(0, 3)
		g.Expect(ok).To(BeTrue())
		ok, why := r.Issued(4, 3)
		g.Expect(ok).To(BeFalse())
		g.Expect(why).NotTo(BeEmpty())
		g.Expect(r.IssuerOf(3, map[int]bool{0: true})).To(Equal(-1))
	})
}
