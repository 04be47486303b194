package probe_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/probe"
)

// TestJSONShape pins the `probe --output json` contract (docs/probe.md "Output"): the
// exact field names at every level, and their JSON types.
func TestJSONShape(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	root := newRootCA(t, "JSON Root")
	addr := startHTTP(t, serverTLS(root.issue(t, certOpts{cn: "echo.test", dnsNames: []string{"echo.test"}})), echoHandler(nil))
	r := probe.Run(context.Background(), wssCase(addr, root.cert).options(t))
	g.Expect(r.Healthy).To(BeTrue(), r.Message)

	raw, err := json.Marshal(r)
	g.Expect(err).NotTo(HaveOccurred())
	var doc map[string]any
	g.Expect(json.Unmarshal(raw, &doc)).To(Succeed())

	keys := func(m any) []string { return slices.Sorted(maps.Keys(m.(map[string]any))) }
	g.Expect(keys(doc)).To(Equal([]string{"healthy", "message", "phase", "reason", "timings", "tls", "url", "websocket"}))
	g.Expect(keys(doc["tls"])).To(Equal([]string{"alpn", "cipherSuite", "peerCertificates", "verified", "version"}))
	g.Expect(keys(doc["websocket"])).To(Equal([]string{"status", "subprotocol"}))
	g.Expect(keys(doc["timings"])).To(Equal([]string{"connectMs", "idleMs", "pingMs", "tlsMs", "totalMs", "upgradeMs"}))
	certs := doc["tls"].(map[string]any)["peerCertificates"].([]any)
	g.Expect(certs).To(HaveLen(1))
	g.Expect(keys(certs[0])).To(Equal([]string{"dnsNames", "issuer", "notAfter", "notBefore", "sha256", "subject"}))

	g.Expect(doc["healthy"]).To(BeTrue())
	g.Expect(doc["reason"]).To(Equal("Healthy"))
	g.Expect(doc["phase"]).To(Equal(""))
	g.Expect(doc["websocket"].(map[string]any)["status"]).To(BeNumerically("==", 101))
	g.Expect(doc["tls"].(map[string]any)["verified"]).To(BeTrue())
	for _, v := range doc["timings"].(map[string]any) {
		g.Expect(v).To(BeAssignableToTypeOf(float64(0)))
	}
	g.Expect(certs[0].(map[string]any)["notAfter"]).To(MatchRegexp(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`))

	// A failure before TLS still has every field, with an empty (not null) chain.
	r = probe.Run(context.Background(), wssCase(closedPort(t)).options(t))
	raw, err = json.Marshal(r)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(raw)).To(ContainSubstring(`"peerCertificates":[]`))
	g.Expect(string(raw)).To(ContainSubstring(`"phase":"connect"`))
}
