package proxy

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/tlsnames"
)

// classifyHandshakeError names why a client's TLS handshake with the proxy
// failed, in the shared reason vocabulary. gotBytes says whether the client
// sent anything at all. It returns "" for failures that are not a client's
// handshake attempt and must not be counted: a connection closed without a
// single byte (TCP health checks, port scanners) and handshakes aborted
// because the proxy is shutting down.
func classifyHandshakeError(err error, gotBytes bool) string {
	if err == nil {
		return ""
	}
	var rhe tls.RecordHeaderError
	var cve *tls.CertificateVerificationError
	switch {
	case errors.Is(err, errHandshakeAborted):
		return ""
	case errors.As(err, &rhe):
		return wssv1.ReasonNotTLS
	case errors.As(err, &cve):
		// The client's certificate did not verify against ca.crt.
		return wssv1.ReasonClientCertificateRequired
	case errors.Is(err, os.ErrDeadlineExceeded):
		return wssv1.ReasonTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return wssv1.ReasonConnectionReset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if !gotBytes {
			return ""
		}
		return wssv1.ReasonConnectionReset
	}
	if a, ok := tlsnames.RemoteAlert(err); ok {
		return reasonForClientAlert(a)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return wssv1.ReasonTimeout
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unsupported versions"),
		strings.Contains(msg, "older than TLS 1.3"),
		strings.Contains(msg, "legacy version field"):
		return wssv1.ReasonProtocolVersionMismatch
	case strings.Contains(msg, "no cipher suite supported"),
		strings.Contains(msg, "no key exchanges supported"),
		strings.Contains(msg, "no ECDHE curve"),
		strings.Contains(msg, "incompatible point formats"):
		return wssv1.ReasonNoSharedCipher
	case strings.Contains(msg, "bad record MAC"):
		// An OpenSSL-based TLS 1.3 client (curl, Python, Node.js, s_client)
		// that refuses the server's certificate sends its alert in plaintext
		// (it has no handshake keys yet while it checks the Certificate
		// message), which crypto/tls, expecting an encrypted record, reports
		// as a bad record MAC. The alert code is lost; by far the most common
		// refusal is an untrusted issuer.
		return wssv1.ReasonUnknownAuthority
	case strings.Contains(msg, "didn't provide a certificate"),
		strings.Contains(msg, "client certificate"):
		return wssv1.ReasonClientCertificateRequired
	}
	return wssv1.ReasonUnknown
}

// reasonForClientAlert maps an alert the client sent to a reason. Go clients
// send bad_certificate for every verification failure (unknown authority,
// expiry, host name), OpenSSL-based ones mostly unknown_ca; both mean "the
// client does not accept the certificate", most often because it does not
// trust its issuer.
func reasonForClientAlert(a tls.AlertError) string {
	switch a {
	case tlsnames.AlertBadCertificate, tlsnames.AlertUnknownCA, tlsnames.AlertCertificateUnknown, tlsnames.AlertUnsupportedCertificate:
		return wssv1.ReasonUnknownAuthority
	case tlsnames.AlertCertificateExpired:
		return wssv1.ReasonCertificateExpired
	case tlsnames.AlertProtocolVersion:
		return wssv1.ReasonProtocolVersionMismatch
	case tlsnames.AlertHandshakeFailure, tlsnames.AlertInsufficientSecurity:
		return wssv1.ReasonNoSharedCipher
	case tlsnames.AlertDecryptError:
		return wssv1.ReasonKeyMismatch
	case tlsnames.AlertCertificateRequired:
		return wssv1.ReasonClientCertificateRequired
	}
	return wssv1.ReasonUnknown
}
