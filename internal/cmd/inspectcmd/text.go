package inspectcmd

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/wss-operator/wss-operator/internal/certcheck"
)

// writeText prints the verdict line (OK, or FAIL with the first error
// finding), the leaf's facts, then every finding with its fix.
func writeText(w io.Writer, certFile string, r certcheck.Report) error {
	b := bufio.NewWriter(w)
	if e, ok := r.Error(); ok {
		fmt.Fprintf(b, "FAIL %s: %s\n", e.Reason, e.Message)
	} else {
		fmt.Fprintln(b, "OK")
	}

	if c := r.Certificate; c != nil {
		plural := "s"
		if r.ChainLength == 1 {
			plural = ""
		}
		fmt.Fprintf(b, "\nCertificate (the leaf of %s, %d certificate%s in the file):\n", certFile, r.ChainLength, plural)
		row := func(k, v string) { fmt.Fprintf(b, "  %-12s %s\n", k+":", v) }
		row("subject", c.Subject)
		row("issuer", c.Issuer)
		row("notBefore", c.NotBefore)
		row("notAfter", c.NotAfter)
		row("sha256", c.SHA256)
		row("dnsNames", strings.Join(c.DNSNames, ", "))
		if r.Leaf != nil && len(r.Leaf.IPAddresses) > 0 {
			ips := make([]string, 0, len(r.Leaf.IPAddresses))
			for _, ip := range r.Leaf.IPAddresses {
				ips = append(ips, ip.String())
			}
			row("ipAddresses", strings.Join(ips, ", "))
		}
	}

	if len(r.Findings) == 0 {
		fmt.Fprintln(b, "\nFindings: none")
		return b.Flush()
	}
	fmt.Fprintf(b, "\nFindings (%d):\n", len(r.Findings))
	for _, f := range r.Findings {
		fmt.Fprintf(b, "  %-7s %s: %s\n", f.Severity, f.Reason, f.Message)
		if fix := certcheck.Fix(f.Reason); fix != "" {
			fmt.Fprintf(b, "          fix: %s\n", fix)
		}
	}
	return b.Flush()
}
