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
	"github.com/wss-operator/wss-operator/internal/tlsnames"
)

func TestParsePolicy(t *testing.T) {
	g := NewWithT(t)
	for in, want := range map[string]tls.ClientAuthType{"": tls.NoClientCert, "none": tls.NoClientCert,
		"request": tls.VerifyClientCertIfGiven, "Require": tls.RequireAndVerifyClientCert} {
		a, err := ParseClientAuth(in)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(a).To(Equal(want), in)
	}
	_, err := ParseClientAuth("optional")
	g.Expect(err).To(MatchError(ContainSubstring("want none, request or require")))
}

// receivedAlert is crypto/tls's error for an alert the client sent: its
// unexported alert type has tls.AlertError's text.
func receivedAlert(a tls.AlertError) error {
	return &net.OpError{Op: "remote error", Err: errors.New(a.Error())}
}

func TestClassifyHandshakeError(t *testing.T) {
	remote := receivedAlert
	cases := []struct {
		name     string
		err      error
		gotBytes bool
		want     string
	}{
		{"plain HTTP", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, true, wssv1.ReasonNotTLS},
		{"client: unknown CA", remote(tlsnames.AlertUnknownCA), true, wssv1.ReasonUnknownAuthority},
		{"client: bad certificate", remote(tlsnames.AlertBadCertificate), true, wssv1.ReasonUnknownAuthority},
		{"client: expired", remote(tlsnames.AlertCertificateExpired), true, wssv1.ReasonCertificateExpired},
		{"client: protocol version", remote(tlsnames.AlertProtocolVersion), true, wssv1.ReasonProtocolVersionMismatch},
		{"client: handshake failure", remote(tlsnames.AlertHandshakeFailure), true, wssv1.ReasonNoSharedCipher},
		{"client: decrypt error", remote(tlsnames.AlertDecryptError), true, wssv1.ReasonKeyMismatch},
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
