package controllers_test

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/proxy"
)

// TestRealClientsInStatus: clients that fail against the real sidecar — a
// TLS 1.1 client, and one that does not trust our CA — show up in
// status.clients with their reason and what they offered, with one Warning
// event per reason however often they retry; Ready does not change.
// status.compatibility says which client generations get in, and a
// profile change that locks one out raises a Warning.
func TestRealClientsInStatus(t *testing.T) {
	g, ctx := parallelCase(t)
	ns := echoEndpoint(t, g)
	px, backend := makeHealthy(t, g, ns, "echo")

	got := getEndpoint(g, ctx, ns, "echo")
	g.Eventually(func(g Gomega) {
		got = getEndpoint(g, ctx, ns, "echo")
		g.Expect(got.Status.Compatibility).NotTo(BeNil())
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	g.Expect(compatOf(got)).To(Equal(map[string]bool{"tls13": true, "tls12-gcm-p256": true, "tls12-cbc": false, "tls10-cbc": false}))

	// Real clients that fail, several times each.
	addr := px.Addr().String()
	for range 3 {
		old := &tls.Config{ServerName: "echo." + ns + ".svc", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11, InsecureSkipVerify: true} //nolint:gosec // the failing client under test
		if c, err := tls.Dial("tcp", addr, old); err == nil {
			_ = c.Close()
		}
		distrust := &tls.Config{ServerName: "echo." + ns + ".svc"} // system roots: our private CA is unknown
		if c, err := tls.Dial("tcp", addr, distrust); err == nil {
			_ = c.Close()
		}
	}
	var clients *wssv1.ClientsStatus
	g.Eventually(func(g Gomega) {
		clients = getEndpoint(g, ctx, ns, "echo").Status.Clients
		g.Expect(clients).NotTo(BeNil())
		g.Expect(clients.Failures).To(ContainElements(
			And(HaveField("Reason", wssv1.ReasonProtocolVersionMismatch), HaveField("Count", int64(3))),
			And(HaveField("Reason", wssv1.ReasonUnknownAuthority), HaveField("Count", int64(3))),
		))
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	for _, f := range clients.Failures {
		if f.Reason == wssv1.ReasonProtocolVersionMismatch {
			g.Expect(f.Example.OfferedVersions).To(ConsistOf("TLS 1.0", "TLS 1.1"))
		}
	}
	g.Expect(clients.Summary).To(And(ContainSubstring("ProtocolVersionMismatch 3"), ContainSubstring("UnknownAuthority 3")))
	g.Expect(conditionOf(getEndpoint(g, ctx, ns, "echo"), wssv1.ConditionReady)).To(Equal("True/Succeeded"), "clients' failures do not flip Ready")

	// More of the same: no new event within the hour.
	if c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "echo." + ns + ".svc"}); err == nil {
		_ = c.Close()
	}
	g.Eventually(func(g Gomega) {
		c := getEndpoint(g, ctx, ns, "echo").Status.Clients
		g.Expect(c.Failures).To(ContainElement(And(HaveField("Reason", wssv1.ReasonUnknownAuthority), HaveField("Count", int64(4)))))
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	time.Sleep(time.Second)
	perReason := map[string]int{}
	for _, e := range eventsFor(g, ctx, ns, "echo") {
		if e.Reason == wssv1.ReasonClientHandshakeFailures {
			for _, r := range []string{wssv1.ReasonProtocolVersionMismatch, wssv1.ReasonUnknownAuthority} {
				if strings.Contains(e.Note, " with "+r+" ") {
					perReason[r]++
				}
			}
		}
	}
	g.Expect(perReason).To(Equal(map[string]int{wssv1.ReasonProtocolVersionMismatch: 1, wssv1.ReasonUnknownAuthority: 1}))

	// Profile Modern: the TLS 1.2 generation is locked out, and told.
	patchEndpoint(g, ns, "echo", func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.Profile = wssv1.TLSProfileModern })
	g.Eventually(func(g Gomega) {
		g.Expect(sidecarIn(g, ns, "echo").Args).To(ContainElement("--tls-profile=modern"))
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	modern := runProxyWith(t, getSecret(g, ctx, ns, "mine"), backend, func(c *proxy.Config) { c.TLSProfile = "modern" })
	net0.Route("echo."+ns+".svc:443", modern.Addr().String())
	rollOut(g, ctx, ns, "echo")
	g.Eventually(func(g Gomega) {
		g.Expect(compatOf(getEndpoint(g, ctx, ns, "echo"))).To(Equal(map[string]bool{"tls13": true, "tls12-gcm-p256": false, "tls12-cbc": false, "tls10-cbc": false}))
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	g.Eventually(func(g Gomega) {
		var notes []string
		for _, e := range eventsFor(g, ctx, ns, "echo") {
			if e.Reason == wssv1.ReasonClientsLockedOut {
				notes = append(notes, e.Note)
			}
		}
		g.Expect(notes).To(ConsistOf(ContainSubstring("tls12-gcm-p256")))
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
}

func compatOf(ep *wssv1.WSSEndpoint) map[string]bool {
	out := map[string]bool{}
	if ep.Status.Compatibility != nil {
		for _, c := range ep.Status.Compatibility.Clients {
			out[c.Profile] = c.OK
		}
	}
	return out
}
