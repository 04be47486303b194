package certcheck

import (
	"crypto/x509"
	"fmt"
	"strings"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// The bounds of the TLS Certificate message a server sends: tls.crt beyond
// either is ChainTooLarge. They are Java's defaults, the strictest of the
// common TLS clients (OpenJDK sun.security.ssl.SSLConfiguration):
// jdk.tls.maxCertificateChainLength (10) and jdk.tls.maxHandshakeMessageSize
// (32768 bytes, the handshake message body). OpenSSL refuses more than 100
// KiB (SSL_MAX_CERT_LIST_DEFAULT, SSL_CTX_set_max_cert_list) and Go's
// crypto/tls more than 256 KiB (maxHandshakeCertificateMsg).
const (
	MaxChainCertificates       = 10
	MaxCertificateMessageBytes = 32768
)

// Other clients' limits on the Certificate message, named in messages.
const (
	openSSLMaxCertList        = 100 * 1024 // SSL_MAX_CERT_LIST_DEFAULT
	goMaxHandshakeCertificate = 256 * 1024 // crypto/tls maxHandshakeCertificateMsg
)

// maxListedRanges bounds the position ranges a message lists; the rest are
// counted ("and N more"), never dropped silently.
const maxListedRanges = 20

// CertificateMessageBytes is the size of the body of the TLS Certificate
// message that carries certs, in the larger of its two forms: TLS 1.3 (a
// 1-byte request context, a 3-byte list length, and per certificate a 3-byte
// length, the DER and a 2-byte extensions length). TLS 1.2 has neither the
// context nor the extensions, so it is always smaller.
func CertificateMessageBytes(certs []*x509.Certificate) int {
	n := 1 + 3
	for _, x := range certs {
		n += 3 + len(x.Raw) + 2
	}
	return n
}

// markPath sets onPath: the path checkChain found to a trust anchor,
// continued through the certificates of tls.crt that issued its last one (a
// root sent at the end is on the path); without such a path, the leaf's
// issuers by name, preferring the one whose key signed (a broken link is
// ChainIncomplete's to report, not an extra certificate).
func (c *checker) markPath() {
	c.onPath = make([]bool, len(c.certs))
	if c.leafIdx < 0 {
		return
	}
	path := c.anchoredPath
	if path == nil {
		path = []int{c.leafIdx}
	}
	seen := map[int]bool{}
	for _, i := range path {
		seen[i] = true
	}
	for i := path[len(path)-1]; ; {
		next := c.rel.IssuerOf(i, seen)
		if next < 0 && c.anchoredPath == nil {
			for _, p := range c.rel.Candidates(i) {
				if !seen[p] {
					next = p
					break
				}
			}
		}
		if next < 0 {
			break
		}
		path, seen[next], i = append(path, next), true, next
	}
	for _, i := range path {
		c.onPath[i] = true
	}
}

// checkSize reports ChainTooLarge when the Certificate message the server
// would send exceeds MaxChainCertificates or MaxCertificateMessageBytes,
// naming every kind of client that refuses it.
func (c *checker) checkSize() {
	n, size := len(c.certs), CertificateMessageBytes(c.certs)
	if n <= MaxChainCertificates && size <= MaxCertificateMessageBytes {
		return
	}
	var java []string
	if n > MaxChainCertificates {
		java = append(java, fmt.Sprintf("%d certificates (jdk.tls.maxCertificateChainLength)", MaxChainCertificates))
	}
	if size > MaxCertificateMessageBytes {
		java = append(java, fmt.Sprintf("%d bytes (jdk.tls.maxHandshakeMessageSize)", MaxCertificateMessageBytes))
	}
	refused := []string{"Java clients accept at most " + strings.Join(java, " and ")}
	if size > openSSLMaxCertList {
		refused = append(refused, fmt.Sprintf("OpenSSL clients at most %d bytes (max_cert_list)", openSSLMaxCertList))
	}
	if size > goMaxHandshakeCertificate {
		refused = append(refused, fmt.Sprintf("Go clients at most %d bytes", goMaxHandshakeCertificate))
	}
	c.add(wssv1.ReasonChainTooLarge, "%s: the server would send %d certificates in a TLS Certificate message of %d bytes; %s, so their handshakes fail",
		c.certName, n, size, strings.Join(refused, "; "))
}

// checkExtra reports ChainExtraCertificates: certificates of tls.crt off
// the leaf's path, as copies of an earlier certificate and as certificates
// that issued nothing on the path, each with its positions.
func (c *checker) checkExtra() {
	var copies, others []int
	for i := range c.certs {
		switch {
		case c.onPath[i]:
		case c.rel.CopyOf(i) >= 0:
			copies = append(copies, i)
		default:
			others = append(others, i)
		}
	}
	if len(copies)+len(others) == 0 {
		return
	}
	var parts []string
	if len(copies) > 0 {
		parts = append(parts, fmt.Sprintf("%d %s of an earlier certificate (%s)",
			len(copies), plural(len(copies), "is a copy", "are copies"), positions(copies)))
	}
	if len(others) > 0 {
		var names []string
		for _, i := range others[:min(3, len(others))] {
			names = append(names, fmt.Sprintf("#%d %q", i+1, name(c.certs[i])))
		}
		list := strings.Join(names, ", ")
		if len(others) > 3 {
			list = positions(others) + "; the first: " + list
		}
		parts = append(parts, fmt.Sprintf("%d issued nothing on the path (%s)", len(others), list))
	}
	c.add(wssv1.ReasonChainExtraCertificates, "%s: %d of its %d certificates are not on the path from %s to its root: %s; a server sends every certificate of %s, and clients never use these",
		c.certName, len(copies)+len(others), len(c.certs), c.describe(c.leafIdx), strings.Join(parts, "; "), c.certName)
}

// positions renders ascending 0-based indexes as 1-based ranges: "#2, #4-#9".
func positions(idx []int) string {
	var ranges []string
	for k := 0; k < len(idx); {
		end := k
		for end+1 < len(idx) && idx[end+1] == idx[end]+1 {
			end++
		}
		if end == k {
			ranges = append(ranges, fmt.Sprintf("#%d", idx[k]+1))
		} else {
			ranges = append(ranges, fmt.Sprintf("#%d-#%d", idx[k]+1, idx[end]+1))
		}
		k = end + 1
	}
	if len(ranges) > maxListedRanges {
		return strings.Join(ranges[:maxListedRanges], ", ") + fmt.Sprintf(" and %d more ranges", len(ranges)-maxListedRanges)
	}
	return strings.Join(ranges, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
