package certinfo

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"slices"
	"time"
)

// Facts are the user-facing facts about one certificate. Field names are the
// JSON contract of `probe` (tls.peerCertificates[]) and `inspect`
// (certificate).
type Facts struct {
	// Subject is the certificate's subject distinguished name.
	Subject string `json:"subject"`
	// Issuer is the issuer's distinguished name.
	Issuer string `json:"issuer"`
	// NotBefore is the start of validity, RFC 3339 in UTC.
	NotBefore string `json:"notBefore"`
	// NotAfter is the end of validity, RFC 3339 in UTC.
	NotAfter string `json:"notAfter"`
	// SHA256 is the lower-case hex SHA-256 of the DER encoding.
	SHA256 string `json:"sha256"`
	// DNSNames are the DNS subject alternative names.
	DNSNames []string `json:"dnsNames"`
}

// Of returns the facts of c.
func Of(c *x509.Certificate) Facts {
	dns := slices.Clone(c.DNSNames)
	if dns == nil {
		dns = []string{} // JSON [], not null
	}
	return Facts{
		Subject:   c.Subject.String(),
		Issuer:    c.Issuer.String(),
		NotBefore: c.NotBefore.UTC().Format(time.RFC3339),
		NotAfter:  c.NotAfter.UTC().Format(time.RFC3339),
		SHA256:    Fingerprint(c),
		DNSNames:  dns,
	}
}

// OfChain returns the facts of every certificate in chain, in order.
func OfChain(chain []*x509.Certificate) []Facts {
	out := make([]Facts, 0, len(chain))
	for _, c := range chain {
		out = append(out, Of(c))
	}
	return out
}

// Fingerprint is the lower-case hex SHA-256 of c's DER encoding.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}
