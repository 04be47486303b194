package tlsnames

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// Names of the server TLS profiles (the proxy's --tls-profile values; the
// CRD spells them Modern, Intermediate, Old).
const (
	ProfileModern       = "modern"
	ProfileIntermediate = "intermediate"
	ProfileOld          = "old"
)

// DefaultProfile is the profile a server gets when none is named.
const DefaultProfile = ProfileIntermediate

// Profile is a server TLS policy: the versions, TLS 1.2-and-below cipher
// suites and key-exchange groups it accepts. The three profiles follow
// Mozilla's Server Side TLS guidelines (v5.7,
// https://wiki.mozilla.org/Security/Server_Side_TLS), restricted to what Go's
// crypto/tls implements and counts as secure (no DHE, no RSA key exchange,
// no CBC-SHA256/SHA384 suites, no 3DES).
type Profile struct {
	// Name is modern, intermediate or old.
	Name string
	// MinVersion and MaxVersion bound the TLS versions (tls.VersionTLS10..13).
	MinVersion, MaxVersion uint16
	// CipherSuites are the suites below TLS 1.3, in preference order; nil
	// for a TLS 1.3-only profile (TLS 1.3 suites are not configurable in Go).
	CipherSuites []uint16
	// Curves are the key-exchange groups in preference order.
	Curves []tls.CurveID
	// LocksOut says, for people, which clients this profile refuses.
	LocksOut string
}

// profileCurves are Mozilla's groups (X25519, prime256v1, secp384r1), led
// by the post-quantum hybrid X25519MLKEM768 that Go prefers and current
// Chrome and Firefox offer; it locks no client out (clients without it
// fall back to X25519 through a HelloRetryRequest or their own key share).
var profileCurves = []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}

// aeadSuites are Mozilla Intermediate's ECDHE suites with AEAD ciphers
// (AES-GCM, ChaCha20-Poly1305): forward secret, no CBC.
var aeadSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// legacySuites are what Mozilla Old adds and Go counts as secure: ECDHE
// with AES-CBC-SHA, which TLS 1.0 and 1.1 clients need. Go's other legacy
// suites (RSA key exchange, 3DES, CBC-SHA256) are in
// tls.InsecureCipherSuites and stay out.
var legacySuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
}

var profiles = []Profile{
	{
		Name: ProfileModern, MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13,
		Curves:   profileCurves,
		LocksOut: "every client without TLS 1.3: Java 8 before 8u261, Android 9 and older, OpenSSL 1.0.2, IE 11, Safari before 12.1",
	},
	{
		Name: ProfileIntermediate, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13,
		CipherSuites: aeadSuites, Curves: profileCurves,
		LocksOut: "TLS 1.0/1.1 clients and TLS 1.2 clients without ECDHE AEAD suites (Android 4.3 and older, Java 7, IE 8-10, IE 11 on Windows 7/8.1 against an RSA certificate, Safari 6-8)",
	},
	{
		Name: ProfileOld, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS13,
		CipherSuites: slices.Concat(aeadSuites, legacySuites), Curves: profileCurves,
		LocksOut: "clients without ECDHE (Java 6, Android 2.3, OpenSSL 0.9.8: RSA key exchange is not offered) and those that need SSLv3, 3DES or RC4 (IE 6-8 on Windows XP)",
	},
}

// ProfileNames lists the profile names, strictest first.
func ProfileNames() []string {
	out := make([]string, len(profiles))
	for i, p := range profiles {
		out[i] = p.Name
	}
	return out
}

// LookupProfile finds a profile by name, ignoring case; "" is DefaultProfile.
// The returned profile's slices are copies the caller may change.
func LookupProfile(name string) (Profile, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if key == "" {
		key = DefaultProfile
	}
	for _, p := range profiles {
		if p.Name == key {
			p.CipherSuites = slices.Clone(p.CipherSuites)
			p.Curves = slices.Clone(p.Curves)
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("unknown TLS profile %q (want %s)", name, strings.Join(ProfileNames(), ", "))
}

// IsCBC reports whether a suite encrypts with a block cipher in CBC mode
// (the suites Intermediate leaves out).
func IsCBC(id uint16) bool {
	return strings.Contains(tls.CipherSuiteName(id), "_CBC_")
}

// ParseAnyVersion is ParseVersion that also accepts the legacy versions
// 1.0 and 1.1 (for the old profile and for clients imitating old peers).
func ParseAnyVersion(s string) (uint16, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(v, "tls"), "v"))
	switch v {
	case "1.0", "10", "1":
		return tls.VersionTLS10, nil
	case "1.1", "11":
		return tls.VersionTLS11, nil
	}
	if id, err := ParseVersion(s); err == nil {
		return id, nil
	}
	return 0, fmt.Errorf("unknown TLS version %q (want 1.0, 1.1, 1.2 or 1.3)", s)
}

// ProbeALPN is the protocol token wss-operator's own probes offer after
// http/1.1. A server picks http/1.1 and sees no difference; the sidecar
// recognises the probe by it and keeps the probe's failed handshakes (a
// compatibility check playing an old client, a diagnosis) out of the real
// clients' failures it reports at /handshakes.
const ProbeALPN = "x-wss-operator-probe"
