package controllers_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certinfo"
	"github.com/wss-operator/wss-operator/internal/certtest"
	"github.com/wss-operator/wss-operator/internal/wstest"
)

// TestMonitorOnlyEndpoint: a monitor-only endpoint pointed at a loopback
// wss:// server (its host name routed to 127.0.0.1, no DNS) is Healthy and
// follows the served leaf across a rotation; the server serving the leaf
// alone is ChainIncomplete, plain HTTP is NotTLS, a stopped server is
// ConnectionRefused — each on Ready within the failure threshold. Nothing
// is created or injected, and SidecarReady/ServiceReady are not shown.
func TestMonitorOnlyEndpoint(t *testing.T) {
	g, ctx := parallelCase(t)
	ns := newNamespace(t, g)

	root, intermediate := intermediateCA()
	host := "chat-" + ns + ".example.test"
	var serving atomic.Pointer[tls.Certificate]
	use := func(c *certtest.Cert, withIntermediate bool) {
		pair := c.TLSCertificate()
		if !withIntermediate {
			pair.Certificate = pair.Certificate[:1]
		}
		serving.Store(&pair)
	}
	first := intermediate.Issue(certtest.Options{Hosts: []string{host}})
	use(first, true)
	srv := httptest.NewUnstartedServer(wstest.Echo{})
	srv.TLS = &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return serving.Load(), nil }}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	route := host + ":443"
	net0.Route(route, srv.Listener.Addr().String())
	t.Cleanup(func() { net0.Unroute(route) })

	g.Expect(env.Client.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "private-ca"},
		Data:       map[string][]byte{"ca.crt": root.CertPEM},
	})).To(Succeed())
	ep := &wssv1.WSSEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: "chat", Namespace: ns},
		Spec: wssv1.WSSEndpointSpec{
			Monitor:     &wssv1.Monitor{URL: "wss://" + host + "/ws", CASecretName: "private-ca"},
			HealthCheck: fastHealthCheck(),
		},
	}
	createEndpoint(g, ep)

	got := expectCondition(t, g, ns, "chat", wssv1.ConditionReady, metav1.ConditionTrue, wssv1.ReasonSucceeded)
	g.Expect(conditionOf(got, wssv1.ConditionHandshakeHealthy)).To(Equal("True/Healthy"))
	g.Expect(conditionOf(got, wssv1.ConditionCertificateReady)).To(Equal("True/Succeeded"))
	g.Expect(conditionOf(got, wssv1.ConditionSidecarReady)).To(Equal("<none>"))
	g.Expect(conditionOf(got, wssv1.ConditionServiceReady)).To(Equal("<none>"))
	g.Expect(got.Status.URL).To(Equal("wss://" + host + "/ws"))
	g.Expect(got.Status.Certificate.SHA256).To(Equal(certinfo.Fingerprint(first.Cert)))
	g.Expect(got.Status.Certificate.ChainLength).To(Equal(int32(2)))
	g.Expect(got.Status.Certificate.DNSNames).To(ConsistOf(host))
	g.Expect(got.Status.Certificate.NotAfter).NotTo(BeNil())
	g.Expect(faults.writesTo("Deployment", ns)).To(BeEmpty())
	g.Expect(faults.writesTo("Service", ns)).To(BeEmpty())
	g.Expect(faults.writesTo("Certificate", ns)).To(BeEmpty())

	// Rotation: status.certificate follows the served leaf.
	second := intermediate.Issue(certtest.Options{Hosts: []string{host}})
	use(second, true)
	g.Eventually(func(g Gomega) {
		g.Expect(getEndpoint(g, ctx, ns, "chat").Status.Certificate.SHA256).To(Equal(certinfo.Fingerprint(second.Cert)))
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())

	expectReason := func(reason string) {
		t.Helper()
		got := expectCondition(t, g, ns, "chat", wssv1.ConditionReady, metav1.ConditionFalse, reason)
		g.Expect(got.Status.Handshake.ConsecutiveFailures).To(BeNumerically("<=", 2), "Ready follows within the failure threshold")
	}
	// The leaf alone: incomplete for every client that does not have the
	// intermediate.
	use(second, false)
	expectReason(wssv1.ReasonChainIncomplete)
	got = expectCondition(t, g, ns, "chat", wssv1.ConditionCertificateReady, metav1.ConditionFalse, wssv1.ReasonChainIncomplete)
	g.Expect(got.Status.Certificate.Findings).To(ContainElement(HaveField("Reason", wssv1.ReasonChainIncomplete)))
	use(second, true)
	expectCondition(t, g, ns, "chat", wssv1.ConditionReady, metav1.ConditionTrue, wssv1.ReasonSucceeded)

	// Plain HTTP on the port.
	net0.Route(route, plain.Listener.Addr().String())
	expectReason(wssv1.ReasonNotTLS)

	net0.Route(route, srv.Listener.Addr().String())
	expectCondition(t, g, ns, "chat", wssv1.ConditionReady, metav1.ConditionTrue, wssv1.ReasonSucceeded)

	// Nothing listens.
	net0.Route(route, wstest.FreeAddr(t).String())
	expectReason(wssv1.ReasonConnectionRefused)
	g.Expect(getEndpoint(g, ctx, ns, "chat").Status.Handshake.Phase).To(Equal("connect"))
}
