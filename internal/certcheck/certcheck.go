package certcheck

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"slices"
	"time"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certinfo"
)

// Severity says whether a finding makes the material unusable.
type Severity string

// Severities. Report.Healthy is false exactly when a finding has SeverityError.
const (
	SeverityError   Severity = "Error"
	SeverityWarning Severity = "Warning"
)

// Finding is one problem: a reason from the inspect vocabulary, its
// severity, and a message naming the file or Secret key and what is wrong.
type Finding struct {
	Reason   string   `json:"reason"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// Input is the material to inspect and what to check it against.
type Input struct {
	// Cert is tls.crt: the leaf, then its intermediates, as PEM. nil or empty
	// is a MissingData finding.
	Cert []byte
	// Key is tls.key as PEM. It is inspected when Key is non-nil or KeyName
	// is set; then nil or empty is a MissingData finding. Leave both unset to
	// skip every key check.
	Key []byte
	// CA is a PEM bundle of trust anchors (ca.crt). When non-nil it replaces
	// Roots for the chain check, and a bundle without certificates is a
	// MalformedPEM finding.
	CA []byte
	// CertName, KeyName and CAName name the sources in messages: Secret keys
	// or file paths. Defaults: "tls.crt", "tls.key", "ca.crt".
	CertName, KeyName, CAName string
	// Hosts are host names (or IP literals) the leaf must cover; wildcards
	// match one label as in RFC 6125 (x509.Certificate.VerifyHostname).
	Hosts []string
	// Now is the time validity is judged at; zero means time.Now().
	Now time.Time
	// WarnWithin is the ExpiringSoon window; 0 disables the check.
	WarnWithin time.Duration
	// Roots are the trust anchors when CA is nil; nil means the system trust
	// store (x509.SystemCertPool).
	Roots *x509.CertPool
}

// Report is the result of Check.
type Report struct {
	// Healthy is true when no finding has SeverityError.
	Healthy bool `json:"healthy"`
	// Findings are ordered most fundamental first; never nil.
	Findings []Finding `json:"findings"`
	// Certificate are the facts of the leaf, when one parsed.
	Certificate *certinfo.Facts `json:"certificate,omitempty"`
	// Leaf is the end-entity certificate of tls.crt (the certificate that
	// issued no other one, preferring non-CA certificates), even when it is
	// not first.
	Leaf *x509.Certificate `json:"-"`
	// Chain is every certificate of tls.crt that parsed, in file order.
	Chain []*x509.Certificate `json:"-"`
	// ChainLength is len(Chain).
	ChainLength int `json:"-"`
}

// Error returns the first (most fundamental) finding with SeverityError, if any.
func (r Report) Error() (Finding, bool) {
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			return f, true
		}
	}
	return Finding{}, false
}

// Fix is the one-line remedy for an inspect reason (the inspection remedy
// of api/v1alpha1's remedy table, which the README shows), "" for any other
// reason.
func Fix(reason string) string { return wssv1.Remedy(wssv1.ByInspect, reason) }

// rank orders findings: a problem that makes later checks meaningless comes
// first. Warnings come after errors (see sortFindings).
var rank = map[string]int{
	wssv1.ReasonMissingData:                0,
	wssv1.ReasonMalformedPEM:               1,
	wssv1.ReasonEncryptedPrivateKey:        2,
	wssv1.ReasonClientCAInvalid:            3,
	wssv1.ReasonKeyMismatch:                4,
	wssv1.ReasonChainTooLarge:              5,
	wssv1.ReasonChainExtraCertificates:     6,
	wssv1.ReasonChainMisordered:            7,
	wssv1.ReasonChainIncomplete:            8,
	wssv1.ReasonCertificateExpired:         9,
	wssv1.ReasonCertificateNotYetValid:     10,
	wssv1.ReasonHostnameNotCovered:         11,
	wssv1.ReasonWeakKey:                    12,
	wssv1.ReasonInsecureSignatureAlgorithm: 13,
	wssv1.ReasonExpiringSoon:               14,
}

// checker carries one Check run.
type checker struct {
	in                        Input
	now                       time.Time
	certName, keyName, caName string
	findings                  []Finding

	certs   []*x509.Certificate // tls.crt, file order
	leafIdx int                 // index of the leaf in certs, -1 when none
	rel     *certinfo.Relation  // issuer relation over certs
	// anchoredPath is the path checkChain found from the leaf to a trust
	// anchor, nil when it found none (or did not run).
	anchoredPath []int
	// onPath marks the certificates on the leaf's path; the others are
	// reported once, as ChainExtraCertificates, and not checked further.
	onPath []bool

	keyPub  crypto.PublicKey // public half of tls.key, nil when not parsed
	caGiven bool
	caCerts []*x509.Certificate
}

// Check inspects in and reports every problem found. It never panics on any
// input and never puts key material in a message.
func Check(in Input) Report {
	c := &checker{
		in: in, now: in.Now, leafIdx: -1,
		certName: orDefault(in.CertName, "tls.crt"),
		keyName:  orDefault(in.KeyName, "tls.key"),
		caName:   orDefault(in.CAName, "ca.crt"),
	}
	if c.now.IsZero() {
		c.now = time.Now()
	}
	c.run()

	r := report(c.findings)
	r.Chain, r.ChainLength = c.certs, len(c.certs)
	if c.leafIdx >= 0 {
		r.Leaf = c.certs[c.leafIdx]
		facts := certinfo.Of(r.Leaf)
		r.Certificate = &facts
	}
	return r
}

// report sorts findings (errors first, then by rank, then as found) into a
// Report with Healthy set.
func report(findings []Finding) Report {
	r := Report{Healthy: true, Findings: findings}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		if (a.Severity == SeverityError) != (b.Severity == SeverityError) {
			if a.Severity == SeverityError {
				return -1
			}
			return 1
		}
		return rank[a.Reason] - rank[b.Reason]
	})
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			r.Healthy = false
		}
	}
	return r
}

func (c *checker) run() {
	c.loadCert()
	if c.in.Key != nil || c.in.KeyName != "" {
		c.loadKey()
	}
	if c.in.CA != nil {
		c.caGiven = true
		c.caCerts = c.parseCertFile(c.in.CA, c.caName)
	}
	if len(c.certs) > 0 {
		c.rel = certinfo.NewRelation(c.certs)
		c.leafIdx = c.rel.Leaf()
		c.checkOrder()
		c.checkKeyMatch()
		c.checkChain()
		c.markPath()
		c.checkSize()
		c.checkExtra()
		c.checkValidity()
		c.checkHosts()
		c.checkSignatures()
	}
	c.checkWeakKeys()
}

func (c *checker) loadCert() {
	if len(c.in.Cert) == 0 {
		c.add(wssv1.ReasonMissingData, "%s is missing or empty: it must hold the PEM certificate chain", c.certName)
		return
	}
	if isBlank(c.in.Cert) {
		c.add(wssv1.ReasonMissingData, "%s holds only white space: it must hold the PEM certificate chain", c.certName)
		return
	}
	c.certs = c.parseCertFile(c.in.Cert, c.certName)
}

func (c *checker) loadKey() {
	switch {
	case len(c.in.Key) == 0:
		c.add(wssv1.ReasonMissingData, "%s is missing or empty: it must hold the PEM private key", c.keyName)
	case isBlank(c.in.Key):
		c.add(wssv1.ReasonMissingData, "%s holds only white space: it must hold the PEM private key", c.keyName)
	default:
		c.keyPub = c.parseKeyFile(c.in.Key, c.keyName)
	}
}

func (c *checker) add(reason, format string, args ...any) {
	c.findings = append(c.findings, Finding{Reason: reason, Severity: SeverityError, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) warn(reason, format string, args ...any) {
	c.findings = append(c.findings, Finding{Reason: reason, Severity: SeverityWarning, Message: fmt.Sprintf(format, args...)})
}

// describe names certificate i of tls.crt for a message.
func (c *checker) describe(i int) string {
	if i == c.leafIdx {
		return fmt.Sprintf("the leaf %q", name(c.certs[i]))
	}
	return fmt.Sprintf("certificate #%d %q", i+1, name(c.certs[i]))
}

// name is a certificate's subject, or a stand-in when the subject is empty.
func name(x *x509.Certificate) string {
	if s := x.Subject.String(); s != "" {
		return s
	}
	if len(x.DNSNames) > 0 {
		return "DNS:" + x.DNSNames[0]
	}
	return "serial " + x.SerialNumber.String()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// human renders a duration for messages: "3d4h", "5h12m", "42m", "30s".
func human(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 24*time.Hour:
		days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		if hours == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd%dh", days, hours)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	case d >= time.Minute:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	default:
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
