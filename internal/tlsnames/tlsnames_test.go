package tlsnames

import (
	"crypto/tls"
	"fmt"
	"sort"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/testenv"
)

func TestParse(t *testing.T) {
	g := NewWithT(t)
	for in, want := range map[string]uint16{"1.2": tls.VersionTLS12, "TLS1.3": tls.VersionTLS13, " tls13 ": tls.VersionTLS13} {
		v, err := ParseVersion(in)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(v).To(Equal(want))
	}
	_, err := ParseVersion("1.1")
	g.Expect(err).To(MatchError(ContainSubstring(`"1.1"`)))

	ids, err := ParseCipherSuites("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls_ecdhe_ecdsa_with_chacha20_poly1305_sha256", false)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ids).To(Equal([]uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}))
	_, err = ParseCipherSuites("TLS_RSA_WITH_RC4_128_SHA", false)
	g.Expect(err).To(MatchError(ContainSubstring("insecure")))
	ids, err = ParseCipherSuites("TLS_RSA_WITH_RC4_128_SHA", true)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ids).To(Equal([]uint16{tls.TLS_RSA_WITH_RC4_128_SHA}))
	_, err = ParseCipherSuites("TLS_AES_128_GCM_SHA256", true)
	g.Expect(err).To(MatchError(ContainSubstring("TLS 1.3 only")))
	_, err = ParseCipherSuites("TLS_NOPE", false)
	g.Expect(err).To(MatchError(ContainSubstring(`"TLS_NOPE"`)))
	_, err = ParseCipherSuites("A,,B", false)
	g.Expect(err).To(HaveOccurred())
	ids, err = ParseCipherSuites(" ", false)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(ids).To(BeNil())

	cs, err := ParseCurves("X25519, P-256, secp384r1, CurveP521, x25519mlkem768")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cs).To(Equal([]tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521, tls.X25519MLKEM768}))
	_, err = ParseCurves("P224")
	g.Expect(err).To(MatchError(ContainSubstring(`"P224"`)))
	for _, name := range CurveNames() {
		id, ok := lookupCurve(name)
		g.Expect(ok).To(BeTrue())
		g.Expect(CurveName(id)).To(Equal(name))
	}
}

// TestCRDEnumsMatch keeps the WSSEndpoint CRD's enums (the API server's
// validation) equal to what the sidecar accepts.
func TestCRDEnumsMatch(t *testing.T) {
	g := NewWithT(t)
	enum := func(field string) []string {
		var out []string
		for _, v := range testenv.JSONValues(t, testenv.WSSEndpointSchema(t, "spec", "tls", field).Items.Schema.Enum...) {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	suites := enum("cipherSuites")
	sort.Strings(suites)
	g.Expect(suites).To(Equal(CipherSuiteNames()), "api/v1alpha1 CipherSuite enum vs Go's configurable TLS 1.2 suites")
	g.Expect(enum("curves")).To(ConsistOf(CurveNames()), "api/v1alpha1 Curve enum vs the sidecar's --curves")
}
