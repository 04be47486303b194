package certcheck_test

import (
	"strings"
	"sync"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/certtest"
)

// fixture is one healthy PKI (root → intermediate → leaf) plus variants,
// generated once for the package.
type fixture struct {
	now            time.Time
	root, ica      *certtest.Cert
	leaf           *certtest.Cert // ECDSA P-256, hosts app.example.com, *.ws.example.com, 127.0.0.1
	rsaICA         *certtest.Cert // RSA intermediate, signs the SHA-1/MD5 leaves
	otherRoot      *certtest.Cert // an unrelated root
	sameNameRoot   *certtest.Cert // a root with root's name but another key
	rsaLeaf        *certtest.Cert
	edLeaf         *certtest.Cert
	strangerKey    *certtest.Cert // a leaf whose key belongs to nobody else
	selfSignedLeaf *certtest.Cert
}

var hosts = []string{"app.example.com", "*.ws.example.com", "127.0.0.1"}

var getFixture = sync.OnceValue(func() fixture {
	now := time.Now().UTC().Truncate(time.Second)
	f := fixture{now: now}
	f.root = certtest.NewCA(certtest.Options{CommonName: "Test Root", NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(3650 * 24 * time.Hour)})
	f.ica = f.root.Issue(certtest.Options{CommonName: "Test Intermediate", IsCA: true,
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(365 * 24 * time.Hour)})
	f.leaf = f.ica.Issue(certtest.Options{Hosts: hosts, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour)})
	f.rsaICA = f.root.Issue(certtest.Options{CommonName: "Test RSA Intermediate", IsCA: true, Key: certtest.RSA})
	f.otherRoot = certtest.NewCA(certtest.Options{CommonName: "Other Root"})
	f.sameNameRoot = certtest.NewCA(certtest.Options{CommonName: "Test Root"})
	f.rsaLeaf = f.ica.Issue(certtest.Options{Hosts: hosts, Key: certtest.RSA})
	f.edLeaf = f.ica.Issue(certtest.Options{Hosts: hosts, Key: certtest.Ed25519})
	f.strangerKey = f.ica.Issue(certtest.Options{Hosts: hosts})
	f.selfSignedLeaf = certtest.NewSelfSigned(certtest.Options{Hosts: hosts})
	return f
})

// healthy is the Input every case starts from: zero findings.
func (f fixture) healthy() certcheck.Input {
	return certcheck.Input{
		Cert: f.leaf.ChainPEM(), Key: f.leaf.KeyPEM, CA: f.root.CertPEM,
		Hosts: []string{"app.example.com", "a.ws.example.com", "127.0.0.1"},
		Now:   f.now, WarnWithin: 14 * 24 * time.Hour,
	}
}

// with is the healthy Input changed by edit (unchanged when edit is nil).
func (f fixture) with(edit func(in *certcheck.Input)) certcheck.Input {
	in := f.healthy()
	if edit != nil {
		edit(&in)
	}
	return in
}

// reasons lists the reasons of r's findings, in report order.
func reasons(r certcheck.Report) []string {
	var out []string
	for _, x := range r.Findings {
		out = append(out, x.Reason)
	}
	return out
}

// expectFindings checks that r reports exactly the reasons want, in report
// order (the list itself never nil), and that the joined messages contain
// each of contains. It returns the messages.
func expectFindings(g Gomega, r certcheck.Report, want, contains []string) []string {
	var msgs []string
	for _, x := range r.Findings {
		msgs = append(msgs, x.Message)
	}
	g.Expect(reasons(r)).To(Equal(want), "findings: %q", msgs)
	g.Expect(r.Findings).NotTo(BeNil())
	joined := strings.Join(msgs, "\n")
	for _, s := range contains {
		g.Expect(joined).To(ContainSubstring(s))
	}
	return msgs
}

// expectNoKeyMaterial fails when a message quotes any line of the key PEM.
func expectNoKeyMaterial(g Gomega, msgs []string, key []byte) {
	for _, line := range strings.Split(string(key), "\n") {
		if len(line) < 16 || strings.HasPrefix(line, "-----") || strings.Contains(line, ":") {
			continue
		}
		for _, m := range msgs {
			g.Expect(m).NotTo(ContainSubstring(line))
		}
	}
}
