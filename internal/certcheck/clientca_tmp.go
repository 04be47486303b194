package certcheck

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// CheckClientCA (interim; replaced by the certsanity branch) judges a client CA bundle.
func CheckClientCA(data []byte, name string, now time.Time) Report {
	r := Report{Healthy: true, Findings: []Finding{}}
	bad := func(msg string) Report {
		r.Healthy = false
		r.Findings = append(r.Findings, Finding{Reason: wssv1.ReasonClientCAInvalid, Severity: SeverityError, Message: msg})
		return r
	}
	if len(data) == 0 {
		return bad(name + " is missing or empty")
	}
	n := 0
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return bad(fmt.Sprintf("%s holds a %s block; it must hold only CA certificates", name, b.Type))
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return bad(fmt.Sprintf("%s: certificate %d does not parse: %v", name, n+1, err))
		}
		if !c.IsCA {
			return bad(fmt.Sprintf("%s: certificate %d (%s) is not a CA certificate", name, n+1, c.Subject))
		}
		n++
	}
	if n == 0 {
		return bad(name + " holds no PEM certificate")
	}
	return r
}
