package certcheck

import (
	"fmt"
	"strings"
	"time"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certinfo"
)

// CheckClientCA inspects the CA bundle a server verifies client certificates
// against: the ca.crt key of spec.tls.clientAuth.caSecretName. name names
// the bundle in messages (a Secret key or a file; default "ca.crt"); now is
// when validity is judged (zero means time.Now()).
//
// Every problem that makes the bundle unusable is one reason,
// ClientCAInvalid, with a message naming the bundle and what is wrong: it is
// missing or empty, not PEM, holds a block that is not a certificate or a
// certificate that does not parse, holds a certificate that is not a CA
// (basicConstraints CA:FALSE, or a key usage without certificate signing),
// or holds no CA certificate valid now. An expired (or not yet valid) CA
// certificate beside valid ones is a Warning, CertificateExpired (or
// CertificateNotYetValid). Report.Leaf, Certificate and Chain stay empty.
func CheckClientCA(data []byte, name string, now time.Time) Report {
	c := &checker{now: now, caName: orDefault(name, "ca.crt")}
	if c.now.IsZero() {
		c.now = time.Now()
	}
	c.clientCA(data)
	return report(c.findings)
}

func (c *checker) clientCA(data []byte) {
	const what = "it must hold the PEM certificates of the CAs that issue client certificates"
	if len(data) == 0 {
		c.add(wssv1.ReasonClientCAInvalid, "%s is missing or empty: %s", c.caName, what)
		return
	}
	if isBlank(data) {
		c.add(wssv1.ReasonClientCAInvalid, "%s holds only white space: %s", c.caName, what)
		return
	}
	// parseCertFile reports as MalformedPEM; here every problem is the
	// bundle's, so it is renamed.
	certs := c.parseCertFile(data, c.caName)
	for i := range c.findings {
		c.findings[i].Reason = wssv1.ReasonClientCAInvalid
	}

	var notCAs, valid []int
	for i, x := range certs {
		if certinfo.CannotIssue(x) != "" {
			notCAs = append(notCAs, i)
			continue
		}
		switch {
		case c.now.After(x.NotAfter):
			c.warn(wssv1.ReasonCertificateExpired, "%s: CA certificate #%d %q expired at %s (%s ago); client certificates it issued are refused",
				c.caName, i+1, name(x), stamp(x.NotAfter), human(c.now.Sub(x.NotAfter)))
		case c.now.Before(x.NotBefore):
			c.warn(wssv1.ReasonCertificateNotYetValid, "%s: CA certificate #%d %q is not valid before %s (%s from now); client certificates it issued are refused until then",
				c.caName, i+1, name(x), stamp(x.NotBefore), human(x.NotBefore.Sub(c.now)))
		default:
			valid = append(valid, i)
		}
	}
	if len(notCAs) > 0 {
		var names []string
		for _, i := range notCAs[:min(3, len(notCAs))] {
			names = append(names, fmt.Sprintf("#%d %q", i+1, name(certs[i])))
		}
		list := strings.Join(names, ", ")
		if len(notCAs) > 3 {
			list = positions(notCAs) + "; the first: " + list
		}
		c.add(wssv1.ReasonClientCAInvalid, "%s: %d of its %d certificates %s not a CA (basicConstraints CA:FALSE, or no certificate signing in its key usage) and cannot issue client certificates: %s",
			c.caName, len(notCAs), len(certs), plural(len(notCAs), "is", "are"), list)
	}
	if len(certs) > len(notCAs) && len(valid) == 0 {
		c.add(wssv1.ReasonClientCAInvalid, "%s holds no CA certificate valid at %s: every client certificate would be refused", c.caName, stamp(c.now))
	}
}
