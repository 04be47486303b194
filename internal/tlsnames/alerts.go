package tlsnames

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
)

// TLS alert codes (RFC 8446 section 6, RFC 5246 section 7.2) that the probe
// and the proxy tell apart; crypto/tls does not export them. First those
// about negotiation: no version, cipher suite or group in common, or a
// handshake signature that does not verify.
const (
	AlertHandshakeFailure     tls.AlertError = 40
	AlertDecryptError         tls.AlertError = 51
	AlertProtocolVersion      tls.AlertError = 70
	AlertInsufficientSecurity tls.AlertError = 71
)

// Then those about a certificate: refused by the peer, or required and not
// sent.
const (
	AlertBadCertificate         tls.AlertError = 42
	AlertUnsupportedCertificate tls.AlertError = 43
	AlertCertificateRevoked     tls.AlertError = 44
	AlertCertificateExpired     tls.AlertError = 45
	AlertCertificateUnknown     tls.AlertError = 46
	AlertUnknownCA              tls.AlertError = 48
	AlertAccessDenied           tls.AlertError = 49
	AlertCertificateRequired    tls.AlertError = 116
)

// alertNames are the RFC 8446 names, which users search for; crypto/tls's
// texts ("tls: unknown certificate authority") are its own.
var alertNames = map[tls.AlertError]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 21: "decryption_failed",
	22: "record_overflow", 40: "handshake_failure", 41: "no_certificate", 42: "bad_certificate",
	43: "unsupported_certificate", 44: "certificate_revoked", 45: "certificate_expired",
	46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied",
	50: "decode_error", 51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
	80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled", 109: "missing_extension",
	110: "unsupported_extension", 112: "unrecognized_name", 113: "bad_certificate_status_response",
	115: "unknown_psk_identity", 116: "certificate_required", 120: "no_application_protocol",
}

// AlertName is the alert's RFC 8446 name ("unknown_ca"), or "alert(N)" for
// a code the RFCs do not name.
func AlertName(a tls.AlertError) string {
	if n, ok := alertNames[a]; ok {
		return n
	}
	return fmt.Sprintf("alert(%d)", uint8(a))
}

// alertByText maps the text of every alert to its code. crypto/tls reports
// an alert received from the peer as &net.OpError{Op: "remote error", Err:
// alert(code)} with an unexported alert type whose text equals
// tls.AlertError(code).Error(); this table recovers the code from it.
var alertByText = func() map[string]tls.AlertError {
	m := make(map[string]tls.AlertError, 256)
	for i := range 256 {
		m[tls.AlertError(i).Error()] = tls.AlertError(i)
	}
	return m
}()

// RemoteAlert returns the TLS alert the peer sent, if err carries one (or a
// tls.AlertError, which crypto/tls returns with a QUIC transport).
func RemoteAlert(err error) (tls.AlertError, bool) {
	if a, ok := errors.AsType[tls.AlertError](err); ok {
		return a, true
	}
	if op, ok := errors.AsType[*net.OpError](err); ok && op.Op == "remote error" && op.Err != nil {
		a, ok := alertByText[op.Err.Error()]
		return a, ok
	}
	return 0, false
}
