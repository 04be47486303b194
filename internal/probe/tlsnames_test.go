package probe

import (
	"crypto/tls"
	"testing"

	. "github.com/onsi/gomega"
)

func TestParseTLSVersion(t *testing.T) {
	g := NewWithT(t)
	v, err := ParseTLSVersion("1.2")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v).To(Equal(uint16(tls.VersionTLS12)))
	v, err = ParseTLSVersion("1.3")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(v).To(Equal(uint16(tls.VersionTLS13)))
	for _, bad := range []string{"", "1.1", "TLS1.3", "3"} {
		_, err := ParseTLSVersion(bad)
		g.Expect(err).To(MatchError(ContainSubstring("want 1.2 or 1.3")), bad)
	}
}

func TestParseCipherSuites(t *testing.T) {
	tests := []struct {
		in      string
		want    []uint16
		wantErr string
	}{
		{in: "", want: nil},
		{in: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", want: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}},
		{in: " TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 , TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
			want: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}},
		{in: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", want: []uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}}, // insecure, but named by crypto/tls
		{in: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,NOPE", wantErr: `unknown cipher suite "NOPE"`},
		{in: "ECDHE-RSA-AES128-GCM-SHA256", wantErr: `unknown cipher suite "ECDHE-RSA-AES128-GCM-SHA256"`},
		{in: "TLS_AES_128_GCM_SHA256", wantErr: "TLS 1.3 only"},
		{in: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,", wantErr: "empty cipher-suite name"},
	}
	for _, tt := range tests {
		g := NewWithT(t)
		got, err := ParseCipherSuites(tt.in)
		if tt.wantErr != "" {
			g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)), tt.in)
			continue
		}
		g.Expect(err).NotTo(HaveOccurred(), tt.in)
		g.Expect(got).To(Equal(tt.want), tt.in)
	}
}

func TestParseCurves(t *testing.T) {
	g := NewWithT(t)
	got, err := ParseCurves("X25519, P256,p-384,CurveP521,X25519MLKEM768")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal([]tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521, tls.X25519MLKEM768}))
	got, err = ParseCurves("")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(BeNil())
	_, err = ParseCurves("X25519,secp256k1")
	g.Expect(err).To(MatchError(ContainSubstring(`unknown curve "secp256k1"`)))
	for name, id := range curveNames {
		g.Expect(curveName(id)).To(Equal(name))
	}
}
