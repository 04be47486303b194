package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

func TestParsePolicy(t *testing.T) {
	g := NewWithT(t)
	for in, want := range map[string]uint16{"1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13, "TLS1.3": tls.VersionTLS13, "tls12": tls.VersionTLS12} {
		v, err := ParseMinVersion(in)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(v).To(Equal(want), in)
	}
	for _, bad := range []string{"", "1.1", "1.0", "ssl3", "2"} {
		_, err := ParseMinVersion(bad)
		g.Expect(err).To(MatchError(ContainSubstring("want 1.2 or 1.3")), bad)
	}

	suites, err := ParseCipherSuites("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls_ecdhe_rsa_with_chacha20_poly1305_sha256")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(suites).To(Equal([]uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}))
	suites, err = ParseCipherSuites("")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(suites).To(BeNil())
	for in, want := range map[string]string{
		"TLS_AES_128_GCM_SHA256":         "TLS 1.3 suite",
		"TLS_RSA_WITH_RC4_128_SHA":       "insecure",
		"TLS_ECDHE_RSA_WITH_AES_999_GCM": `unknown cipher suite "TLS_ECDHE_RSA_WITH_AES_999_GCM"`,
	} {
		_, err := ParseCipherSuites(in)
		g.Expect(err).To(MatchError(ContainSubstring(want)), in)
	}
	g.Expect(CipherSuiteNames()).To(ContainElement("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"))
	g.Expect(CipherSuiteNames()).NotTo(ContainElement("TLS_AES_128_GCM_SHA256"))

	curves, err := ParseCurves("X25519, P-256,secp384r1,CurveP521,x25519mlkem768")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(curves).To(Equal([]tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521, tls.X25519MLKEM768}))
	for _, name := range CurveNames() {
		_, err := ParseCurves(name)
		g.Expect(err).NotTo(HaveOccurred(), name)
	}
	_, err = ParseCurves("P224")
	g.Expect(err).To(MatchError(ContainSubstring(`unknown curve "P224"`)))

	for in, want := range map[string]tls.ClientAuthType{"": tls.NoClientCert, "none": tls.NoClientCert,
		"request": tls.VerifyClientCertIfGiven, "Require": tls.RequireAndVerifyClientCert} {
		a, err := ParseClientAuth(in)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(a).To(Equal(want), in)
	}
	_, err = ParseClientAuth("optional")
	g.Expect(err).To(MatchError(ContainSubstring("want none, request or require")))
}

// fakeAlert has the shape of crypto/tls's unexported alert type.
type fakeAlert uint8

func (a fakeAlert) Error() string { return fmt.Sprintf("tls: alert(%d)", uint8(a)) }

func TestClassifyHandshakeError(t *testing.T) {
	remote := func(a uint8) error { return &net.OpError{Op: "remote error", Err: fakeAlert(a)} }
	cases := []struct {
		name     string
		err      error
		gotBytes bool
		want     string
	}{
		{"plain HTTP", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, true, wssv1.ReasonNotTLS},
		{"client: unknown CA", remote(alertUnknownCA), true, wssv1.ReasonUnknownAuthority},
		{"client: bad certificate", remote(alertBadCertificate), true, wssv1.ReasonUnknownAuthority},
		{"client: expired", remote(alertCertificateExpired), true, wssv1.ReasonCertificateExpired},
		{"client: protocol version", remote(alertProtocolVersion), true, wssv1.ReasonProtocolVersionMismatch},
		{"client: handshake failure", remote(alertHandshakeFailure), true, wssv1.ReasonNoSharedCipher},
		{"client: decrypt error", remote(alertDecryptError), true, wssv1.ReasonKeyMismatch},
		{"client: other alert", remote(80), true, wssv1.ReasonUnknown},
		{"versions", errors.New("tls: client offered only unsupported versions: [302 301]"), true, wssv1.ReasonProtocolVersionMismatch},
		{"suites", errors.New("tls: no cipher suite supported by both client and server; client offered: [c02b]"), true, wssv1.ReasonNoSharedCipher},
		{"groups", errors.New("tls: no key exchanges supported by both client and server"), true, wssv1.ReasonNoSharedCipher},
		{"no client cert", errors.New("tls: client didn't provide a certificate"), true, wssv1.ReasonClientCertificateRequired},
		{"client cert rejected", &tls.CertificateVerificationError{Err: errors.New("x509: unknown authority")}, true, wssv1.ReasonClientCertificateRequired},
		{"timeout", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, false, wssv1.ReasonTimeout},
		{"reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, true, wssv1.ReasonConnectionReset},
		{"EOF mid-handshake", io.ErrUnexpectedEOF, true, wssv1.ReasonConnectionReset},
		{"connect and close", io.EOF, false, ""},
		{"shutdown", fmt.Errorf("%w: %w", errHandshakeAborted, errors.New("context canceled")), true, ""},
		{"anything else", errors.New("tls: something new"), true, wssv1.ReasonUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got := classifyHandshakeError(tc.err, tc.gotBytes)
			g.Expect(got).To(Equal(tc.want))
			if got != "" {
				g.Expect(handshakeReasons).To(ContainElement(got), "the label set is closed")
			}
		})
	}
}
