package tlsnames

import (
	"crypto/tls"
	"slices"
	"testing"

	. "github.com/onsi/gomega"
)

func TestProfiles(t *testing.T) {
	g := NewWithT(t)
	g.Expect(ProfileNames()).To(Equal([]string{"modern", "intermediate", "old"}))

	def, err := LookupProfile("")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(def.Name).To(Equal(ProfileIntermediate))

	modern, err := LookupProfile("Modern")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(modern.MinVersion).To(Equal(uint16(tls.VersionTLS13)))
	g.Expect(modern.CipherSuites).To(BeEmpty())

	inter, _ := LookupProfile("intermediate")
	g.Expect(inter.MinVersion).To(Equal(uint16(tls.VersionTLS12)))
	g.Expect(inter.CipherSuites).NotTo(BeEmpty())
	for _, id := range inter.CipherSuites {
		name := tls.CipherSuiteName(id)
		g.Expect(IsCBC(id)).To(BeFalse(), name)
		g.Expect(name).To(HavePrefix("TLS_ECDHE_"), "forward secrecy only")
	}

	old, _ := LookupProfile("old")
	g.Expect(old.MinVersion).To(Equal(uint16(tls.VersionTLS10)))
	g.Expect(slices.ContainsFunc(old.CipherSuites, IsCBC)).To(BeTrue())
	g.Expect(old.CipherSuites[:len(inter.CipherSuites)]).To(Equal(inter.CipherSuites), "AEAD suites are preferred")

	// Every suite of every profile is one crypto/tls counts as secure.
	secure := map[uint16]bool{}
	for _, cs := range tls.CipherSuites() {
		secure[cs.ID] = true
	}
	for _, p := range []Profile{modern, inter, old} {
		for _, id := range p.CipherSuites {
			g.Expect(secure[id]).To(BeTrue(), "%s: %s", p.Name, tls.CipherSuiteName(id))
		}
		g.Expect(p.Curves).To(ContainElements(tls.X25519, tls.CurveP256, tls.CurveP384), p.Name)
		g.Expect(p.LocksOut).NotTo(BeEmpty())
	}

	// Lookups hand out copies.
	inter.CipherSuites[0] = 0
	again, _ := LookupProfile("intermediate")
	g.Expect(again.CipherSuites[0]).NotTo(BeZero())

	_, err = LookupProfile("paranoid")
	g.Expect(err).To(MatchError(ContainSubstring("want modern, intermediate, old")))
}

func TestParseAnyVersion(t *testing.T) {
	g := NewWithT(t)
	for in, want := range map[string]uint16{"1.0": tls.VersionTLS10, "TLS1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "tls13": tls.VersionTLS13} {
		got, err := ParseAnyVersion(in)
		g.Expect(err).NotTo(HaveOccurred(), in)
		g.Expect(got).To(Equal(want), in)
	}
	_, err := ParseAnyVersion("1.4")
	g.Expect(err).To(MatchError(ContainSubstring("want 1.0, 1.1, 1.2 or 1.3")))
}
