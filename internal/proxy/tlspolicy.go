package proxy

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// Client authentication modes (the --client-auth flag).
const (
	ClientAuthNone    = "none"
	ClientAuthRequest = "request"
	ClientAuthRequire = "require"
)

// ParseClientAuth maps a --client-auth value to crypto/tls's ClientAuthType:
// none asks for nothing; request verifies a certificate against ca.crt when
// the client offers one; require insists on one that verifies.
func ParseClientAuth(s string) (tls.ClientAuthType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", ClientAuthNone:
		return tls.NoClientCert, nil
	case ClientAuthRequest:
		return tls.VerifyClientCertIfGiven, nil
	case ClientAuthRequire:
		return tls.RequireAndVerifyClientCert, nil
	}
	return 0, fmt.Errorf("client auth %q: want none, request or require", s)
}
