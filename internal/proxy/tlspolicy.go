package proxy

import (
	"crypto/tls"
	"fmt"
	"sort"
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

// ParseMinVersion maps "1.2" or "1.3" (also "TLS1.2", "tls13", ...) to a TLS
// version number.
func ParseMinVersion(s string) (uint16, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimPrefix(strings.TrimPrefix(v, "tls"), "v")
	v = strings.TrimSpace(v)
	switch v {
	case "1.2", "12":
		return tls.VersionTLS12, nil
	case "1.3", "13":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("TLS version %q: want 1.2 or 1.3", s)
}

// ParseCipherSuites maps a comma-separated list of TLS 1.2 cipher suite names,
// as Go's crypto/tls names them (tls.CipherSuites()), to their IDs. Insecure
// suites and TLS 1.3 suites (which Go does not let anyone configure) are
// refused with an error naming them. An empty string means Go's defaults.
func ParseCipherSuites(s string) ([]uint16, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	secure := map[string]*tls.CipherSuite{}
	for _, cs := range tls.CipherSuites() {
		secure[cs.Name] = cs
	}
	insecure := map[string]bool{}
	for _, cs := range tls.InsecureCipherSuites() {
		insecure[cs.Name] = true
	}
	var ids []uint16
	for _, name := range strings.Split(s, ",") {
		name = strings.ToUpper(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		cs, ok := secure[name]
		switch {
		case ok && !supportsTLS12(cs):
			return nil, fmt.Errorf("cipher suite %s is a TLS 1.3 suite; Go always enables all TLS 1.3 suites and they cannot be configured", name)
		case ok:
			ids = append(ids, cs.ID)
		case insecure[name]:
			return nil, fmt.Errorf("cipher suite %s is insecure and not allowed", name)
		default:
			return nil, fmt.Errorf("unknown cipher suite %q (known TLS 1.2 suites: %s)", name, strings.Join(CipherSuiteNames(), ", "))
		}
	}
	return ids, nil
}

func supportsTLS12(cs *tls.CipherSuite) bool {
	for _, v := range cs.SupportedVersions {
		if v == tls.VersionTLS12 {
			return true
		}
	}
	return false
}

// CipherSuiteNames lists the configurable (secure, TLS 1.2) suite names.
func CipherSuiteNames() []string {
	var names []string
	for _, cs := range tls.CipherSuites() {
		if supportsTLS12(cs) {
			names = append(names, cs.Name)
		}
	}
	sort.Strings(names)
	return names
}

// curveNames maps accepted spellings (lower case, dashes and underscores
// removed) to curve IDs.
var curveNames = map[string]tls.CurveID{
	"x25519":             tls.X25519,
	"p256":               tls.CurveP256,
	"curvep256":          tls.CurveP256,
	"secp256r1":          tls.CurveP256,
	"prime256v1":         tls.CurveP256,
	"p384":               tls.CurveP384,
	"curvep384":          tls.CurveP384,
	"secp384r1":          tls.CurveP384,
	"p521":               tls.CurveP521,
	"curvep521":          tls.CurveP521,
	"secp521r1":          tls.CurveP521,
	"x25519mlkem768":     tls.X25519MLKEM768,
	"secp256r1mlkem768":  tls.SecP256r1MLKEM768,
	"secp384r1mlkem1024": tls.SecP384r1MLKEM1024,
}

// CurveNames lists the canonical --curves names.
func CurveNames() []string {
	return []string{"X25519", "P256", "P384", "P521", "X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"}
}

// ParseCurves maps a comma-separated list of key-exchange group names
// (X25519, P256, P384, P521, X25519MLKEM768, ...; "P-256" and "secp256r1"
// spellings work too) to curve IDs, in preference order. An empty string
// means Go's defaults.
func ParseCurves(s string) ([]tls.CurveID, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var ids []tls.CurveID
	for _, name := range strings.Split(s, ",") {
		key := strings.ToLower(strings.NewReplacer("-", "", "_", "", " ", "").Replace(name))
		if key == "" {
			continue
		}
		id, ok := curveNames[key]
		if !ok {
			return nil, fmt.Errorf("unknown curve %q (known: %s)", strings.TrimSpace(name), strings.Join(CurveNames(), ", "))
		}
		ids = append(ids, id)
	}
	return ids, nil
}
