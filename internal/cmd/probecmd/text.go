package probecmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/wss-operator/wss-operator/internal/probe"
)

// writeText prints r for a person: the verdict line, the facts, and for a
// failure what to do about it.
func writeText(w io.Writer, r *probe.Result) {
	if r.Healthy {
		fmt.Fprintf(w, "HEALTHY %s\n", r.URL)
		fmt.Fprintf(w, "  %s\n", r.Message)
	} else {
		phase := r.Phase
		if phase == "" {
			phase = "-"
		}
		fmt.Fprintf(w, "UNHEALTHY %s (phase %s): %s\n", r.Reason, phase, r.Message)
	}
	fmt.Fprintf(w, "\nURL:            %s\n", r.URL)
	if r.TLS.Version != "" || len(r.TLS.PeerCertificates) > 0 {
		fmt.Fprintf(w, "TLS version:    %s\n", orDash(r.TLS.Version))
		fmt.Fprintf(w, "cipher suite:   %s\n", orDash(r.TLS.CipherSuite))
		fmt.Fprintf(w, "ALPN:           %s\n", orDash(r.TLS.ALPN))
		fmt.Fprintf(w, "verified:       %t\n", r.TLS.Verified)
		for i, c := range r.TLS.PeerCertificates {
			role := "leaf"
			if i > 0 {
				role = fmt.Sprintf("chain #%d", i)
			}
			fmt.Fprintf(w, "certificate %d (%s):\n", i, role)
			fmt.Fprintf(w, "  subject:      %s\n", orDash(c.Subject))
			fmt.Fprintf(w, "  issuer:       %s\n", orDash(c.Issuer))
			fmt.Fprintf(w, "  valid:        %s to %s\n", c.NotBefore, c.NotAfter)
			fmt.Fprintf(w, "  sha256:       %s\n", c.SHA256)
			fmt.Fprintf(w, "  DNS names:    %s\n", orDash(strings.Join(c.DNSNames, ", ")))
		}
	}
	if r.WebSocket.Status != 0 {
		fmt.Fprintf(w, "HTTP status:    %d\n", r.WebSocket.Status)
		fmt.Fprintf(w, "subprotocol:    %s\n", orDash(r.WebSocket.Subprotocol))
	}
	t := r.Timings
	idle := ""
	if t.IdleMs > 0 {
		idle = fmt.Sprintf(", idle %.2f", t.IdleMs)
	}
	fmt.Fprintf(w, "timings (ms):   connect %.2f, tls %.2f, upgrade %.2f, ping %.2f%s, total %.2f\n",
		t.ConnectMs, t.TLSMs, t.UpgradeMs, t.PingMs, idle, t.TotalMs)
	if advice := r.Advice(); advice != "" {
		fmt.Fprintf(w, "\nWhat to do:\n%s\n", wrap(advice, 78, "  "))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// wrap breaks s into lines of at most width columns, each indented.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(s) {
		if len(line) > len(indent) && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	b.WriteString(line)
	return b.String()
}
