package realclients

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

// TestCurlHTTP10 is a client that offers only ALPN http/1.0 (curl
// --http1.0): the sidecar negotiates http/1.0 and serves it.
func TestCurlHTTP10(t *testing.T) {
	curl := needTool(t, "curl")
	g := NewWithT(t)
	p := newPKI(t)
	be := startBackend(t, "<p>hello over http/1.0</p>")
	sc := startSidecar(t, p, be.addr, "")
	out, err := run(t, 30*time.Second, "", nil, curl, "--http1.0", "-sS", "-v", "--cacert", p.caFile,
		"https://"+sc.tlsAddr+"/")
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(out).To(ContainSubstring("ALPN: offers http/1.0"))
	g.Expect(out).To(MatchRegexp(`ALPN(: server accepted|, server accepted to use) http/1.0`))
	g.Expect(out).To(ContainSubstring("hello over http/1.0"))
	g.Expect(strings.Count(out, "HTTP/1.0 200") + strings.Count(out, "HTTP/1.1 200")).To(Equal(1))
	g.Expect(sc.handshakes(t).Failures).To(BeEmpty())
}
