package probe

import (
	"context"
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

// TestIsServerSignatureError pins the one string match of the package: the
// errors crypto/tls/handshake_client_tls13.go and crypto/tls/key_agreement.go
// return when the server's handshake signature does not verify with its leaf.
func TestIsServerSignatureError(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{errors.New("tls: invalid signature by the server certificate: ECDSA verification failure"), true},
		{errors.New("tls: invalid signature by the server certificate: crypto/rsa: verification error"), true},
		{fmt.Errorf("wrapped: %w", errors.New("tls: invalid signature by the server certificate: x")), true},
		{errors.New("tls: invalid signature by the client certificate: x"), false},
		{errors.New("tls: handshake failure"), false},
		{nil, false},
	}
	for _, tt := range tests {
		NewWithT(t).Expect(isServerSignatureError(tt.err)).To(Equal(tt.want), fmt.Sprint(tt.err))
	}
}

func TestLocalNegotiationError(t *testing.T) {
	g := NewWithT(t)
	r, ok := localNegotiationError(errors.New("tls: server selected unsupported protocol version 301"))
	g.Expect(ok).To(BeTrue())
	g.Expect(r).To(Equal(wssv1.ReasonProtocolVersionMismatch))
	r, ok = localNegotiationError(errors.New("tls: server chose an unconfigured cipher suite"))
	g.Expect(ok).To(BeTrue())
	g.Expect(r).To(Equal(wssv1.ReasonNoSharedCipher))
	_, ok = localNegotiationError(errors.New("EOF"))
	g.Expect(ok).To(BeFalse())
}

func TestClassifyError(t *testing.T) {
	opErr := func(op string, err error) error {
		return &net.OpError{Op: op, Net: "tcp", Err: &os.SyscallError{Syscall: op, Err: err}}
	}
	alert := func(code int) error {
		return &net.OpError{Op: "remote error", Err: errors.New(tls.AlertError(code).Error())}
	}
	noCert := tlsState{certRequested: true}
	tests := []struct {
		name       string
		phase      string
		err        error
		st         tlsState
		wantReason string
		wantPhase  string
	}{
		{"deadline in tls", PhaseTLS, opErr("read", os.ErrDeadlineExceeded), tlsState{}, wssv1.ReasonTimeout, PhaseTLS},
		{"deadline in ping", PhasePing, opErr("read", os.ErrDeadlineExceeded), tlsState{}, wssv1.ReasonPingTimeout, PhasePing},
		{"context deadline in connect", PhaseConnect, context.DeadlineExceeded, tlsState{}, wssv1.ReasonTimeout, PhaseConnect},
		{"refused", PhaseConnect, opErr("dial", syscall.ECONNREFUSED), tlsState{}, wssv1.ReasonConnectionRefused, PhaseConnect},
		{"reset in upgrade", PhaseUpgrade, opErr("read", syscall.ECONNRESET), tlsState{}, wssv1.ReasonConnectionReset, PhaseUpgrade},
		{"broken pipe in ping", PhasePing, opErr("write", syscall.EPIPE), tlsState{}, wssv1.ReasonConnectionReset, PhasePing},
		{"dns error from a dialer", PhaseConnect, &net.DNSError{Err: "no such host", Name: "x.test"}, tlsState{}, wssv1.ReasonDNSFailure, PhaseDNS},
		{"not TLS", PhaseTLS, tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, tlsState{}, wssv1.ReasonNotTLS, PhaseTLS},
		{"protocol_version", PhaseTLS, alert(70), tlsState{}, wssv1.ReasonProtocolVersionMismatch, PhaseTLS},
		{"insufficient_security", PhaseTLS, alert(71), tlsState{}, wssv1.ReasonNoSharedCipher, PhaseTLS},
		{"handshake_failure without cert request", PhaseTLS, alert(40), tlsState{}, wssv1.ReasonNoSharedCipher, PhaseTLS},
		{"handshake_failure after cert request", PhaseTLS, alert(40), noCert, wssv1.ReasonClientCertificateRequired, PhaseTLS},
		{"certificate_required after handshake", PhaseUpgrade, alert(116), noCert, wssv1.ReasonClientCertificateRequired, PhaseTLS},
		{"unknown_ca for a sent cert", PhaseUpgrade, alert(48), tlsState{certRequested: true, clientCertSent: true}, wssv1.ReasonClientCertificateRequired, PhaseTLS},
		{"bad_certificate without cert request", PhaseTLS, alert(42), tlsState{}, wssv1.ReasonUnknown, PhaseTLS},
		{"internal_error", PhaseTLS, alert(80), tlsState{}, wssv1.ReasonUnknown, PhaseTLS},
		{"reset after unanswered cert request", PhaseUpgrade, opErr("read", syscall.ECONNRESET), noCert, wssv1.ReasonClientCertificateRequired, PhaseTLS},
		{"EOF after unanswered cert request", PhaseUpgrade, io.EOF, noCert, wssv1.ReasonClientCertificateRequired, PhaseTLS},
		{"EOF in tls", PhaseTLS, io.EOF, tlsState{}, wssv1.ReasonUnknown, PhaseTLS},
		{"key mismatch", PhaseTLS, errors.New("tls: invalid signature by the server certificate: ECDSA verification failure"), tlsState{}, wssv1.ReasonKeyMismatch, PhaseTLS},
		{"TLS 1.0-only server", PhaseTLS, errors.New("tls: server selected unsupported protocol version 301"), tlsState{}, wssv1.ReasonProtocolVersionMismatch, PhaseTLS},
		{"anything else", PhaseUpgrade, errors.New("boom"), tlsState{}, wssv1.ReasonUnknown, PhaseUpgrade},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			reason, phase, msg := classifyError(tt.phase, tt.err, &tt.st, Options{})
			g.Expect(reason).To(Equal(tt.wantReason), msg)
			g.Expect(phase).To(Equal(tt.wantPhase))
			g.Expect(msg).NotTo(BeEmpty())
		})
	}
}
