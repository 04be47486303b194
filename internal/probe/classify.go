package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certinfo"
	"github.com/wss-operator/wss-operator/internal/tlsnames"
)

// isServerSignatureError reports whether err is crypto/tls's client-side
// failure to verify the server's handshake signature with the public key of
// the leaf it served: the server signs with a private key that does not
// belong to its certificate. crypto/tls returns it as a plain string error
// ("tls: invalid signature by the server certificate: ..."), produced in
// crypto/tls/handshake_client_tls13.go (TLS 1.3 CertificateVerify) and
// crypto/tls/key_agreement.go (TLS 1.2 ServerKeyExchange); it is checked even
// with InsecureSkipVerify. No typed error exists, so this is the one string
// match of the package for it.
func isServerSignatureError(err error) bool {
	return err != nil && strings.Contains(err.Error(), "tls: invalid signature by the server certificate")
}

// localNegotiationError classifies crypto/tls's own client-side refusals of
// what a (non-Go, misbehaving or outdated) server chose, also plain string
// errors: "tls: server selected unsupported protocol version" (e.g. a
// TLS 1.0-only server; crypto/tls/handshake_client.go) and "tls: server
// chose an unconfigured cipher suite" (handshake_client.go and
// handshake_client_tls13.go).
func localNegotiationError(err error) (reason string, ok bool) {
	switch s := err.Error(); {
	case strings.Contains(s, "tls: server selected unsupported protocol version"):
		return wssv1.ReasonProtocolVersionMismatch, true
	case strings.Contains(s, "tls: server chose an unconfigured cipher suite"):
		return wssv1.ReasonNoSharedCipher, true
	}
	return "", false
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED)
}

// classifyError names err, observed in phase, with what the TLS handshake
// revealed in st. It returns the phase to report, which differs from phase
// only for ClientCertificateRequired: a TLS 1.3 server checks the client
// certificate after the client considers the handshake complete, so its
// refusal arrives as an alert (or a reset) on the first read of the upgrade
// phase; it is still a TLS problem and reported with phase tls.
func classifyError(phase string, err error, st *tlsState, o Options) (reason, rphase, msg string) {
	clientCertHint := phase == PhaseUpgrade && st.certRequested && !st.clientCertSent
	switch {
	case isTimeout(err) && phase == PhasePing:
		return wssv1.ReasonPingTimeout, phase, "the upgrade succeeded but no pong came back before the deadline: " + err.Error()
	case isTimeout(err):
		return wssv1.ReasonTimeout, phase, err.Error()
	}
	if a, ok := tlsnames.RemoteAlert(err); ok {
		return classifyAlert(phase, a, st, o)
	}
	if isServerSignatureError(err) {
		return wssv1.ReasonKeyMismatch, PhaseTLS, "the server's handshake signature does not verify with the public key of the certificate it sent: its private key does not belong to its certificate (" + err.Error() + ")"
	}
	if r, ok := localNegotiationError(err); ok {
		return r, PhaseTLS, err.Error() + "; " + offered(o)
	}
	if rh, ok := errors.AsType[tls.RecordHeaderError](err); ok && phase == PhaseTLS {
		return wssv1.ReasonNotTLS, phase, fmt.Sprintf("the server answered the TLS ClientHello with %q, which is not a TLS record (a plain HTTP or ws:// port?)", rh.RecordHeader[:])
	}
	if de, ok := errors.AsType[*net.DNSError](err); ok {
		return wssv1.ReasonDNSFailure, PhaseDNS, fmt.Sprintf("cannot resolve %q: %v", de.Name, de)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return wssv1.ReasonConnectionRefused, phase, "nothing listens: " + err.Error()
	}
	if (isReset(err) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) && clientCertHint {
		return wssv1.ReasonClientCertificateRequired, PhaseTLS, "the server requested a client certificate, none was given (--cert/--key), and it dropped the connection right after the handshake: " + err.Error()
	}
	if isReset(err) {
		return wssv1.ReasonConnectionReset, phase, fmt.Sprintf("the peer reset the connection during the %s phase: %v", phase, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return wssv1.ReasonUnknown, phase, eofMessage(phase)
	}
	return wssv1.ReasonUnknown, phase, err.Error()
}

func eofMessage(phase string) string {
	switch phase {
	case PhaseTLS:
		return "the server closed the connection during the TLS handshake without an alert"
	case PhaseUpgrade:
		return "the server closed the connection before answering the WebSocket upgrade"
	case PhasePing:
		return "the server closed the connection after the upgrade without answering the ping"
	}
	return "the server closed the connection during the " + phase + " phase"
}

func classifyAlert(phase string, a tls.AlertError, st *tlsState, o Options) (reason, rphase, msg string) {
	sent := fmt.Sprintf("the server sent TLS alert %q", strings.TrimPrefix(a.Error(), "tls: "))
	clientCert := func() (string, string, string) {
		if st.clientCertSent {
			return wssv1.ReasonClientCertificateRequired, PhaseTLS, sent + ": it did not accept the client certificate that was sent"
		}
		return wssv1.ReasonClientCertificateRequired, PhaseTLS, sent + ": it requires a client certificate and none was given (--cert/--key)"
	}
	switch a {
	case tlsnames.AlertProtocolVersion:
		return wssv1.ReasonProtocolVersionMismatch, phase, sent + ": it supports none of the offered TLS versions; " + offered(o)
	case tlsnames.AlertInsufficientSecurity:
		return wssv1.ReasonNoSharedCipher, phase, sent + ": no cipher suite or group is acceptable to it; " + offered(o)
	case tlsnames.AlertCertificateRequired:
		return clientCert()
	case tlsnames.AlertHandshakeFailure:
		if st.certRequested {
			return clientCert()
		}
		return wssv1.ReasonNoSharedCipher, phase, sent + ": no cipher suite or key-exchange group in common; " + offered(o)
	case tlsnames.AlertBadCertificate, tlsnames.AlertUnsupportedCertificate, tlsnames.AlertCertificateRevoked,
		tlsnames.AlertCertificateExpired, tlsnames.AlertCertificateUnknown, tlsnames.AlertUnknownCA, tlsnames.AlertAccessDenied:
		if st.certRequested {
			return clientCert()
		}
	}
	return wssv1.ReasonUnknown, phase, sent
}

// classifyVerify names a chain-verification failure from the typed x509
// error and from the chain the server actually sent.
func classifyVerify(err error, certs []*x509.Certificate, now time.Time) (reason, msg string) {
	if inv, ok := errors.AsType[x509.CertificateInvalidError](err); ok && inv.Reason == x509.Expired {
		return validity(inv.Cert, certs, now)
	}
	if hn, ok := errors.AsType[x509.HostnameError](err); ok {
		return wssv1.ReasonHostnameMismatch, fmt.Sprintf("%s: %v", describe(hn.Certificate, certs), hn)
	}
	if _, ok := errors.AsType[x509.InsecureAlgorithmError](err); ok {
		return wssv1.ReasonInsecureSignatureAlgorithm, err.Error()
	}
	if _, ok := errors.AsType[x509.SystemRootsError](err); ok {
		return wssv1.ReasonUnknownAuthority, "no system trust store is available to verify the chain; pass the CA bundle (--ca): " + err.Error()
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); !ok {
		return wssv1.ReasonUnknown, "certificate verification failed: " + err.Error()
	}
	// Go reports a chain member out of its validity window, or signed with
	// SHA-1, only as the "hint" of an UnknownAuthorityError: look ourselves.
	for _, c := range certs {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			return validity(c, certs, now)
		}
	}
	for _, c := range certs {
		if certinfo.InsecurelySigned(c) {
			return wssv1.ReasonInsecureSignatureAlgorithm, fmt.Sprintf("%s is signed with %s, which clients reject", describe(c, certs), c.SignatureAlgorithm)
		}
	}
	top := chainTop(certs)
	if certinfo.SelfSigned(top) {
		return wssv1.ReasonUnknownAuthority, fmt.Sprintf("the served chain ends at the self-signed %s, which the client does not trust: %v", describe(top, certs), err)
	}
	return wssv1.ReasonChainIncomplete, fmt.Sprintf("the server sent %d certificate(s); the chain stops at %s, issued by %q, which the server did not send and the client does not trust (an intermediate is missing from the served chain, or that CA is not in the trust bundle)",
		len(certs), describe(top, certs), top.Issuer.String())
}

func validity(c *x509.Certificate, certs []*x509.Certificate, now time.Time) (string, string) {
	if now.Before(c.NotBefore) {
		return wssv1.ReasonCertificateNotYetValid, fmt.Sprintf("%s is not valid before %s (now %s)", describe(c, certs), c.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return wssv1.ReasonCertificateExpired, fmt.Sprintf("%s expired at %s (now %s)", describe(c, certs), c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
}

// describe names c by its position in the served chain and its subject.
func describe(c *x509.Certificate, certs []*x509.Certificate) string {
	pos := "certificate"
	for i, s := range certs {
		if c != nil && bytes.Equal(s.Raw, c.Raw) {
			pos = "leaf certificate"
			if i > 0 {
				pos = fmt.Sprintf("chain certificate #%d", i)
			}
		}
	}
	if c == nil {
		return pos
	}
	return fmt.Sprintf("%s %q", pos, c.Subject.String())
}

// chainTop follows issuers from the leaf through the served certificates
// and returns the last one reached.
func chainTop(certs []*x509.Certificate) *x509.Certificate {
	path := certinfo.NewRelation(certs).Path(0)
	return certs[path[len(path)-1]]
}
