package probe

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// ParseTLSVersion maps "1.2" or "1.3" (the values of --min-tls/--max-tls) to
// the crypto/tls version constant.
func ParseTLSVersion(s string) (uint16, error) {
	switch strings.TrimSpace(s) {
	case "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("unknown TLS version %q (want 1.2 or 1.3)", s)
}

// ParseCipherSuites maps a comma-separated list of TLS 1.2 cipher-suite
// names, as crypto/tls names them (tls.CipherSuites and
// tls.InsecureCipherSuites, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), to
// their IDs. An empty string yields nil (the Go defaults). An unknown name, or
// a TLS 1.3 suite (which crypto/tls does not let anyone configure), is an
// error naming it.
func ParseCipherSuites(s string) ([]uint16, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	known := map[string]*tls.CipherSuite{}
	for _, cs := range slices.Concat(tls.CipherSuites(), tls.InsecureCipherSuites()) {
		known[cs.Name] = cs
	}
	var ids []uint16
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		cs, ok := known[name]
		switch {
		case name == "":
			return nil, fmt.Errorf("empty cipher-suite name in %q", s)
		case !ok:
			return nil, fmt.Errorf("unknown cipher suite %q (names as crypto/tls spells them, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)", name)
		case !slices.ContainsFunc(cs.SupportedVersions, func(v uint16) bool { return v < tls.VersionTLS13 }):
			return nil, fmt.Errorf("cipher suite %q is TLS 1.3 only; TLS 1.3 suites are not configurable", name)
		}
		ids = append(ids, cs.ID)
	}
	return ids, nil
}

// curveNames are the key-exchange group names ParseCurves accepts.
var curveNames = map[string]tls.CurveID{
	"X25519":             tls.X25519,
	"P256":               tls.CurveP256,
	"P384":               tls.CurveP384,
	"P521":               tls.CurveP521,
	"X25519MLKEM768":     tls.X25519MLKEM768,
	"SecP256r1MLKEM768":  tls.SecP256r1MLKEM768,
	"SecP384r1MLKEM1024": tls.SecP384r1MLKEM1024,
}

// ParseCurves maps a comma-separated list of key-exchange groups (X25519,
// P256, P384, P521, X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024;
// case-insensitive, "P-256" and crypto/tls's "CurveP256" spellings accepted)
// to crypto/tls curve IDs. An empty string yields nil (the Go defaults).
func ParseCurves(s string) ([]tls.CurveID, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var ids []tls.CurveID
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		id, ok := lookupCurve(name)
		if !ok {
			return nil, fmt.Errorf("unknown curve %q (want X25519, P256, P384, P521, X25519MLKEM768, SecP256r1MLKEM768 or SecP384r1MLKEM1024)", name)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func lookupCurve(name string) (tls.CurveID, bool) {
	n := strings.ReplaceAll(name, "-", "")
	for k, id := range curveNames {
		if strings.EqualFold(n, k) || strings.EqualFold(n, id.String()) {
			return id, true
		}
	}
	return 0, false
}

// curveName is the ParseCurves spelling of id.
func curveName(id tls.CurveID) string {
	for k, v := range curveNames {
		if v == id {
			return k
		}
	}
	return id.String()
}
