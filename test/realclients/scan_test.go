package realclients

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/tlsnames"
)

// sslscanReport is the part of `sslscan --xml=-` this test reads.
type sslscanReport struct {
	Tests []struct {
		Protocols []struct {
			Type    string `xml:"type,attr"`
			Version string `xml:"version,attr"`
			Enabled string `xml:"enabled,attr"`
		} `xml:"protocol"`
		Ciphers []struct {
			Status  string `xml:"status,attr"`
			Version string `xml:"sslversion,attr"`
			Cipher  string `xml:"cipher,attr"`
		} `xml:"cipher"`
	} `xml:"ssltest"`
}

// aead reports whether an OpenSSL cipher name is an AEAD suite (AES-GCM,
// ChaCha20-Poly1305); everything else sslscan can meet is CBC (or worse).
func aead(name string) bool {
	return strings.Contains(name, "GCM") || strings.Contains(name, "CHACHA20")
}

// TestSSLScanProfiles scans the sidecar under each TLS profile with sslscan
// and checks the versions and suites it finds: intermediate (the default)
// and modern offer no CBC suite; old does (the scanner sees CBC when it is
// there).
func TestSSLScanProfiles(t *testing.T) {
	sslscan := needTool(t, "sslscan")
	p := newPKI(t)
	be := startBackend(t, "")
	cases := []struct {
		profile  string
		versions []string
		cbc      bool
	}{
		{tlsnames.ProfileModern, []string{"1.3"}, false},
		{"", []string{"1.2", "1.3"}, false}, // the default: intermediate
		{tlsnames.ProfileOld, []string{"1.0", "1.1", "1.2", "1.3"}, true},
	}
	for _, c := range cases {
		name := c.profile
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			sc := startSidecar(t, p, be.addr, c.profile)
			out, err := run(t, 2*time.Minute, "", nil, sslscan, "--no-colour", "--xml=-", "--no-heartbleed",
				"--no-compression", "--no-renegotiation", "--no-fallback", sc.tlsAddr)
			g.Expect(err).NotTo(HaveOccurred(), out)
			start := strings.Index(out, "<?xml")
			g.Expect(start).To(BeNumerically(">=", 0), out)
			var rep sslscanReport
			g.Expect(xml.Unmarshal([]byte(out[start:]), &rep)).To(Succeed())
			g.Expect(rep.Tests).To(HaveLen(1))
			var enabled []string
			for _, pr := range rep.Tests[0].Protocols {
				if pr.Enabled == "1" {
					g.Expect(pr.Type).To(Equal("tls"), "no SSL")
					enabled = append(enabled, pr.Version)
				}
			}
			g.Expect(enabled).To(ConsistOf(c.versions))
			var cbc []string
			for _, ci := range rep.Tests[0].Ciphers {
				g.Expect(ci.Status).To(BeElementOf("accepted", "preferred"))
				g.Expect(ci.Cipher).To(HavePrefix(map[bool]string{true: "TLS_", false: "ECDHE-"}[ci.Version == "TLSv1.3"]),
					"forward-secret key exchange only")
				if !aead(ci.Cipher) {
					cbc = append(cbc, ci.Version+" "+ci.Cipher)
				}
			}
			g.Expect(rep.Tests[0].Ciphers).NotTo(BeEmpty())
			if c.cbc {
				g.Expect(cbc).NotTo(BeEmpty())
			} else {
				g.Expect(cbc).To(BeEmpty(), "CBC suites offered")
			}
		})
	}
}
