package probe

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/tlsnames"
)

// keyAllows says which suites a certificate's key type allows, or "" when
// the key type is unknown.
func keyAllows(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("the server's certificate has an RSA %d key, which allows in TLS 1.2 only the *_RSA_* suites (ECDHE_RSA, or RSA key exchange) and in TLS 1.3 any suite (signed with RSA-PSS)", k.N.BitLen())
	case *ecdsa.PublicKey:
		return fmt.Sprintf("the server's certificate has an ECDSA %s key, which allows in TLS 1.2 only the ECDHE_ECDSA_* suites and in TLS 1.3 any suite (signed with ECDSA)", k.Curve.Params().Name)
	case ed25519.PublicKey:
		return "the server's certificate has an Ed25519 key, which allows in TLS 1.2 only the ECDHE_ECDSA_* suites (with an Ed25519 signature) and in TLS 1.3 any suite"
	}
	return ""
}

// diagnoseNoShared refines a NoSharedCipher verdict (handshake_failure or
// insufficient_security with no client certificate requested) with
// follow-up handshakes:
//
//   - a broad offer (TLS 1.2 and 1.3, every suite crypto/tls knows, default
//     groups) that succeeds shows that the server can handshake, which
//     suite and version it wants, and its certificate's key type;
//   - when even that fails, a TLS 1.3-only offer, whose suites do not depend
//     on the key type: handshake_failure there means the server cannot use
//     its certificate at all, most likely because its private key does not
//     belong to it (KeyMismatch);
//   - otherwise (a TLS 1.2-only server that refuses every suite) the wire
//     cannot separate "key does not match" from "key type fits none of the
//     configured suites": both are named, in that order.
func (p *attempt) diagnoseNoShared(f *failure) *failure {
	if len(p.st.peerCerts) > 0 {
		if allows := keyAllows(p.st.peerCerts[0]); allows != "" {
			f.message += "; " + allows
		}
	}
	broad := p.followUp(allSuites)
	if broad.ok() {
		chosen := fmt.Sprintf("a broader offer on a second connection succeeded: the server chose %s with %s",
			tls.VersionName(broad.state.Version), tls.CipherSuiteName(broad.state.CipherSuite))
		if len(broad.certs) > 0 && len(p.st.peerCerts) == 0 {
			if allows := keyAllows(broad.certs[0]); allows != "" {
				chosen += "; " + allows
			}
		}
		f.message += "; " + chosen
		return f
	}
	if a, ok := broad.alert(); !ok || (a != tlsnames.AlertHandshakeFailure && a != tlsnames.AlertInsufficientSecurity) {
		return f
	}
	causes := "likely causes, in order: (1) the server's private key does not belong to its certificate (e.g. an EC key beside an RSA certificate, or a certificate file that starts with an intermediate instead of the leaf: OpenSSL loads such a pair and then answers every ClientHello with handshake_failure), (2) its key type fits none of its configured cipher suites or signature algorithms; check its files with `wss-operator inspect --cert tls.crt --key tls.key`"
	t13 := p.followUp(func(c *tls.Config) { c.MinVersion = tls.VersionTLS13 })
	if a, ok := t13.alert(); ok && a == tlsnames.AlertHandshakeFailure {
		return &failure{reason: wssv1.ReasonKeyMismatch, phase: PhaseTLS, advice: keyMismatchHandshakeAdvice,
			message: "the server answers every ClientHello with handshake_failure: a broad offer (TLS 1.2 and 1.3, every suite, the default groups) and a TLS 1.3-only offer, whose suites do not depend on the key type, both failed, so it cannot use its certificate at all; " + causes}
	}
	f.message += "; a broad offer (TLS 1.2 and 1.3, every suite crypto/tls knows) failed the same way, so the server accepts no handshake at all: " + causes
	f.advice = keyMismatchHandshakeAdvice
	return f
}
