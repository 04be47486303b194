package certcheck_test

import (
	"crypto/x509"
	"fmt"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/certtest"
)

// Certificates off the leaf's path and chains beyond what clients accept.
func TestCheckChainSizeAndExtras(t *testing.T) {
	f := getFixture()
	manyHosts := make([]string, 1500)
	for i := range manyHosts {
		manyHosts[i] = fmt.Sprintf("host-%04d.example.com", i)
	}
	bigLeaf := f.ica.Issue(certtest.Options{Hosts: append(append([]string{}, hosts...), manyHosts...)})
	unrelated := make([]*certtest.Cert, 8)
	for i := range unrelated {
		unrelated[i] = certtest.NewCA(certtest.Options{CommonName: fmt.Sprintf("Bundle Root %d", i)})
	}
	cases := []struct {
		name     string
		cert     []byte
		key      []byte
		want     []string
		contains []string
	}{
		{name: "healthy: leaf and intermediate", cert: f.leaf.ChainPEM()},
		{name: "healthy: root at the end is on the path", cert: certtest.PEMs(f.leaf, f.ica, f.root)},
		{name: "duplicate intermediate", cert: certtest.PEMs(f.leaf, f.ica, f.ica),
			want:     []string{wssv1.ReasonChainExtraCertificates},
			contains: []string{"tls.crt: 1 of its 3 certificates are not on the path", "1 is a copy of an earlier certificate (#3)"}},
		{name: "duplicate leaf", cert: certtest.PEMs(f.leaf, f.leaf, f.ica),
			want: []string{wssv1.ReasonChainExtraCertificates}, contains: []string{"1 is a copy of an earlier certificate (#2)"}},
		{name: "unrelated root appended", cert: certtest.PEMs(f.leaf, f.ica, f.otherRoot),
			want: []string{wssv1.ReasonChainExtraCertificates}, contains: []string{`1 issued nothing on the path (#3 "CN=Other Root")`}},
		{name: "root with the issuer's name but another key", cert: certtest.PEMs(f.leaf, f.ica, f.sameNameRoot),
			want: []string{wssv1.ReasonChainExtraCertificates}, contains: []string{`(#3 "CN=Test Root")`}},
		{name: "unrelated root first: extra and misordered", cert: certtest.PEMs(f.otherRoot, f.leaf, f.ica),
			want: []string{wssv1.ReasonChainExtraCertificates, wssv1.ReasonChainMisordered}},
		{name: "11 certificates: too many for Java, extras named", cert: certtest.PEMs(append([]*certtest.Cert{f.leaf, f.ica, f.root}, unrelated...)...),
			want: []string{wssv1.ReasonChainTooLarge, wssv1.ReasonChainExtraCertificates},
			contains: []string{"would send 11 certificates", "Java clients accept at most 10 certificates (jdk.tls.maxCertificateChainLength)",
				`8 issued nothing on the path (#4-#11; the first: #4 "CN=Bundle Root 0"`}},
		{name: "2 certificates over 32768 bytes", cert: bigLeaf.ChainPEM(), key: bigLeaf.KeyPEM,
			want:     []string{wssv1.ReasonChainTooLarge},
			contains: []string{"would send 2 certificates", "Java clients accept at most 32768 bytes (jdk.tls.maxHandshakeMessageSize)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			in := f.healthy()
			in.Cert = tc.cert
			if tc.key != nil {
				in.Key = tc.key
			}
			r := certcheck.Check(in)
			for _, x := range r.Findings {
				g.Expect(x.Severity).To(Equal(certcheck.SeverityError))
			}
			expectFindings(g, r, tc.want, tc.contains)
			g.Expect(r.Healthy).To(Equal(len(tc.want) == 0))
			g.Expect(r.Leaf).NotTo(BeNil())
			g.Expect(r.Leaf.Subject.CommonName).To(Equal(in.Hosts[0]))
		})
	}
}

func TestCertificateMessageBytes(t *testing.T) {
	g := NewWithT(t)
	f := getFixture()
	certs := []*x509.Certificate{f.leaf.Cert, f.ica.Cert}
	g.Expect(certcheck.CertificateMessageBytes(certs)).To(Equal(4 + 5 + len(f.leaf.Cert.Raw) + 5 + len(f.ica.Cert.Raw)))
	g.Expect(certcheck.CertificateMessageBytes(nil)).To(Equal(4))
}

// A tls.crt with far more certificates than any chain (here copies of a
// root with the right name but another key appended to the chain) is
// analysed whole: too large, and every copy named as extra.
func TestCheckManyCertificates(t *testing.T) {
	g := NewWithT(t)
	f := getFixture()
	in := f.healthy()
	in.Cert = f.leaf.ChainPEM()
	for range 100 {
		in.Cert = append(in.Cert, f.sameNameRoot.CertPEM...)
	}
	r := certcheck.Check(in)
	g.Expect(reasons(r)).To(Equal([]string{wssv1.ReasonChainTooLarge, wssv1.ReasonChainExtraCertificates}))
	g.Expect(r.Findings[0].Message).To(ContainSubstring("would send 102 certificates"))
	g.Expect(r.Findings[1].Message).To(ContainSubstring(`100 of its 102 certificates are not on the path`))
	g.Expect(r.Findings[1].Message).To(ContainSubstring(`99 are copies of an earlier certificate (#4-#102); 1 issued nothing on the path (#3 "CN=Test Root")`))
	g.Expect(r.ChainLength).To(Equal(102))
	g.Expect(r.Leaf.Equal(f.leaf.Cert)).To(BeTrue())
}

// A whole CA bundle pasted into tls.crt: 1,780 certificates, about 1 MB.
// Nothing is cut: the report counts every certificate and byte, names every
// extra one by position, and comes back well within a second.
func TestCheckPastedBundle(t *testing.T) {
	g := NewWithT(t)
	f := getFixture()
	// Cheap to make: one key for 1,000 distinct certificates issued by one
	// root, then byte-identical copies of them.
	key := certtest.NewKey(certtest.ECDSAP256, 0)
	var bundle []*certtest.Cert
	for i := range 1000 {
		bundle = append(bundle, f.otherRoot.IssueForKey(certtest.Options{CommonName: "Bundle CA " + strconv.Itoa(i), IsCA: true}, key))
	}
	certs := []*certtest.Cert{f.leaf, f.ica}
	certs = append(certs, bundle...)
	certs = append(certs, bundle[:778]...)
	g.Expect(certs).To(HaveLen(1780))
	in := f.healthy()
	in.Cert = certtest.PEMs(certs...)
	g.Expect(len(in.Cert)).To(BeNumerically(">", 900_000))

	start := time.Now()
	r := certcheck.Check(in)
	took := time.Since(start)
	t.Logf("checked %d bytes of PEM in %v", len(in.Cert), took)
	g.Expect(took).To(BeNumerically("<", time.Second))

	var parsed []*x509.Certificate
	for _, c := range certs {
		parsed = append(parsed, c.Cert)
	}
	size := certcheck.CertificateMessageBytes(parsed)
	g.Expect(size).To(BeNumerically(">", 262144))
	g.Expect(r.Healthy).To(BeFalse())
	g.Expect(r.ChainLength).To(Equal(1780))
	g.Expect(r.Leaf.Equal(f.leaf.Cert)).To(BeTrue())
	g.Expect(r.Findings).To(HaveLen(2), "%v", r.Findings)
	g.Expect(r.Findings[0].Reason).To(Equal(wssv1.ReasonChainTooLarge))
	g.Expect(r.Findings[0].Message).To(ContainSubstring(fmt.Sprintf("would send 1780 certificates in a TLS Certificate message of %d bytes", size)))
	g.Expect(r.Findings[0].Message).To(ContainSubstring("Go clients at most 262144 bytes"))
	g.Expect(r.Findings[1].Reason).To(Equal(wssv1.ReasonChainExtraCertificates))
	g.Expect(r.Findings[1].Message).To(ContainSubstring("1778 of its 1780 certificates are not on the path"))
	g.Expect(r.Findings[1].Message).To(ContainSubstring("778 are copies of an earlier certificate (#1003-#1780)"))
	g.Expect(r.Findings[1].Message).To(ContainSubstring(`1000 issued nothing on the path (#3-#1002; the first: #3 "CN=Bundle CA 0"`))
}

// Hostile names: 1,780 CA certificates named A and B issued by each other's
// names, every one a candidate issuer of half the others. Each certificate
// is visited once with a bounded number of signature checks.
func TestCheckSameNameCAsStayLinear(t *testing.T) {
	g := NewWithT(t)
	a := certtest.NewCA(certtest.Options{CommonName: "A"})
	b := a.Issue(certtest.Options{CommonName: "B", IsCA: true})
	key := certtest.NewKey(certtest.ECDSAP256, 0)
	var certs []*certtest.Cert
	leaf := b.Issue(certtest.Options{Hosts: hosts})
	certs = append(certs, leaf)
	for range 890 {
		certs = append(certs, b.IssueForKey(certtest.Options{CommonName: "A", IsCA: true}, key), a.IssueForKey(certtest.Options{CommonName: "B", IsCA: true}, key))
	}
	in := certcheck.Input{Cert: certtest.PEMs(certs...), CA: a.CertPEM, Now: time.Now()}
	start := time.Now()
	r := certcheck.Check(in)
	took := time.Since(start)
	t.Logf("checked %d certificates in %v", len(certs), took)
	g.Expect(took).To(BeNumerically("<", time.Second))
	g.Expect(r.Healthy).To(BeFalse())
	g.Expect(r.Findings[0].Reason).To(Equal(wssv1.ReasonChainTooLarge))
	g.Expect(r.Leaf.Equal(leaf.Cert)).To(BeTrue())
}

func BenchmarkCheck(b *testing.B) {
	f := getFixture()
	in := f.healthy()
	b.ReportAllocs()
	for b.Loop() {
		if r := certcheck.Check(in); !r.Healthy {
			b.Fatal(r.Findings)
		}
	}
}

// BenchmarkCheckHostile measures the worst inputs the guards bound: 4000
// BEGIN lines without END, and 300 copies of an intermediate and its leaf
// (every pair matches by name) against a CA of 300 same-name roots.
func BenchmarkCheckHostile(b *testing.B) {
	f := getFixture()
	var unterminated, copies, roots []byte
	for range 4000 {
		unterminated = append(unterminated, "-----BEGIN CERTIFICATE-----\nQUFB\n"...)
	}
	for range 300 {
		copies = append(copies, certtest.PEMs(f.ica, f.leaf)...)
		roots = append(roots, f.sameNameRoot.CertPEM...)
	}
	for _, tc := range []struct {
		name string
		in   certcheck.Input
	}{
		{"unterminated", certcheck.Input{Cert: unterminated, Key: unterminated, CA: unterminated, Now: f.now}},
		{"same-name copies", certcheck.Input{Cert: copies, CA: roots, Now: f.now}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if certcheck.Check(tc.in).Healthy {
					b.Fatal("hostile input judged healthy")
				}
			}
		})
	}
}
