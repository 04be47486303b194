package tlsnames

import (
	"crypto/tls"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// ParseVersion maps "1.2" or "1.3" (also "TLS1.2", "tls13", "v1.3") to the
// crypto/tls version constant.
func ParseVersion(s string) (uint16, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(v, "tls"), "v"))
	switch v {
	case "1.2", "12":
		return tls.VersionTLS12, nil
	case "1.3", "13":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("unknown TLS version %q (want 1.2 or 1.3)", s)
}

// supportsTLS12 reports whether a suite can be negotiated below TLS 1.3.
func supportsTLS12(cs *tls.CipherSuite) bool {
	return slices.ContainsFunc(cs.SupportedVersions, func(v uint16) bool { return v < tls.VersionTLS13 })
}

// CipherSuiteNames lists the configurable suites: Go's secure suites that
// TLS 1.2 can negotiate, sorted.
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

// ParseCipherSuites maps a comma-separated list of TLS 1.2 cipher-suite
// names, as crypto/tls spells them (e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
// to their IDs in the given order. An empty string yields nil (Go's
// defaults). An unknown name, a TLS 1.3 suite (crypto/tls enables all of them
// and lets nobody configure them), or — unless allowInsecure, which only a
// client imitating an old peer should pass — one of tls.InsecureCipherSuites
// is an error naming it.
func ParseCipherSuites(s string, allowInsecure bool) ([]uint16, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	known := map[string]*tls.CipherSuite{}
	for _, cs := range tls.CipherSuites() {
		known[cs.Name] = cs
	}
	insecure := map[string]*tls.CipherSuite{}
	for _, cs := range tls.InsecureCipherSuites() {
		insecure[cs.Name] = cs
	}
	var ids []uint16
	for name := range strings.SplitSeq(s, ",") {
		name = strings.ToUpper(strings.TrimSpace(name))
		cs, ok := known[name]
		if !ok && allowInsecure {
			cs, ok = insecure[name]
		}
		switch {
		case name == "":
			return nil, fmt.Errorf("empty cipher-suite name in %q", s)
		case !ok && insecure[name] != nil:
			return nil, fmt.Errorf("cipher suite %s is insecure and not allowed", name)
		case !ok:
			return nil, fmt.Errorf("unknown cipher suite %q (known TLS 1.2 suites: %s)", name, strings.Join(CipherSuiteNames(), ", "))
		case !supportsTLS12(cs):
			return nil, fmt.Errorf("cipher suite %s is TLS 1.3 only; TLS 1.3 suites are always enabled and cannot be configured", name)
		}
		ids = append(ids, cs.ID)
	}
	return ids, nil
}

// curves are the canonical names, in the order CurveNames lists them.
var curves = []struct {
	name string
	id   tls.CurveID
}{
	{"X25519", tls.X25519},
	{"P256", tls.CurveP256},
	{"P384", tls.CurveP384},
	{"P521", tls.CurveP521},
	{"X25519MLKEM768", tls.X25519MLKEM768},
	{"SecP256r1MLKEM768", tls.SecP256r1MLKEM768},
	{"SecP384r1MLKEM1024", tls.SecP384r1MLKEM1024},
}

// aliases are other common spellings (lower case, without - and _).
var aliases = map[string]tls.CurveID{
	"secp256r1": tls.CurveP256, "prime256v1": tls.CurveP256,
	"secp384r1": tls.CurveP384, "secp521r1": tls.CurveP521,
}

// CurveNames lists the canonical key-exchange group names.
func CurveNames() []string {
	out := make([]string, len(curves))
	for i, c := range curves {
		out[i] = c.name
	}
	return out
}

// lookupCurve finds a group by its canonical name, crypto/tls's spelling
// (CurveP256) or a common alias (P-256, secp256r1, prime256v1), ignoring
// case, dashes and underscores.
func lookupCurve(name string) (tls.CurveID, bool) {
	key := strings.ToLower(strings.NewReplacer("-", "", "_", "", " ", "").Replace(name))
	for _, c := range curves {
		if key == strings.ToLower(c.name) || key == strings.ToLower(c.id.String()) {
			return c.id, true
		}
	}
	id, ok := aliases[key]
	return id, ok
}

// CurveName is the canonical name of id (crypto/tls's String for others).
func CurveName(id tls.CurveID) string {
	for _, c := range curves {
		if c.id == id {
			return c.name
		}
	}
	return id.String()
}

// ParseCurves maps a comma-separated list of key-exchange groups to curve
// IDs in preference order. An empty string yields nil (Go's defaults); an
// unknown name is an error naming it.
func ParseCurves(s string) ([]tls.CurveID, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var ids []tls.CurveID
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, fmt.Errorf("empty curve name in %q", s)
		}
		id, ok := lookupCurve(name)
		if !ok {
			return nil, fmt.Errorf("unknown curve %q (known: %s)", name, strings.Join(CurveNames(), ", "))
		}
		ids = append(ids, id)
	}
	return ids, nil
}
