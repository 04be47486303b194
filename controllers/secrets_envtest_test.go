package controllers_test

import (
	"context"
	"fmt"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certtest"
)

// TestClientCASecret: with client authentication, the client CA Secret is
// read and checked before anything is rolled out: missing, then holding a
// leaf instead of a CA, then fixed.
func TestClientCASecret(t *testing.T) {
	g, ctx := parallelCase(t)
	ns := echoWithSecret(t, g)
	createEndpoint(g, endpoint(ns, "echo", wssv1.TLS{SecretName: "mine", ClientAuth: &wssv1.ClientAuth{Mode: wssv1.ClientAuthRequire, CASecretName: "clients"}}))

	got := expectCondition(t, g, ns, "echo", wssv1.ConditionCertificateReady, metav1.ConditionFalse, wssv1.ReasonClientCAInvalid)
	g.Expect(cond(got, wssv1.ConditionCertificateReady).Message).To(ContainSubstring("Secret " + ns + "/clients does not exist"))
	g.Expect(conditionOf(got, wssv1.ConditionReady)).To(Equal("False/" + wssv1.ReasonClientCAInvalid))
	g.Expect(sidecarIn(g, ns, "echo")).To(BeNil())

	// A leaf where a CA belongs.
	root := certtest.NewCA(certtest.Options{})
	leaf := root.Issue(certtest.Options{Hosts: []string{"client.example.test"}})
	g.Expect(env.Client.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "clients"},
		Data:       map[string][]byte{"ca.crt": leaf.CertPEM},
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		c := cond(getEndpoint(g, ctx, ns, "echo"), wssv1.ConditionCertificateReady)
		g.Expect(c.Reason).To(Equal(wssv1.ReasonClientCAInvalid))
		g.Expect(c.Message).To(ContainSubstring("not a CA"))
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	expectNeverInjected(g, ns, "echo")

	// Fixed: the CA itself.
	fixSecret(t, g, ns, "clients", "ca.crt", root.CertPEM)
}

// TestSecretDeleted: when the served Secret is deleted, status.certificate
// no longer describes it but says it is gone; the injection stays (running
// sidecars keep the certificate they loaded).
func TestSecretDeleted(t *testing.T) {
	g, ctx := parallelCase(t)
	ns := echoEndpoint(t, g)
	got := expectCondition(t, g, ns, "echo", wssv1.ConditionCertificateReady, metav1.ConditionTrue, wssv1.ReasonSucceeded)
	sha := got.Status.Certificate.SHA256
	g.Expect(sha).NotTo(BeEmpty())

	g.Expect(env.Client.Delete(ctx, getSecret(g, ctx, ns, "mine"))).To(Succeed())
	got = expectCondition(t, g, ns, "echo", wssv1.ConditionCertificateReady, metav1.ConditionFalse, wssv1.ReasonMissingData)
	st := got.Status.Certificate
	g.Expect(st.SecretName).To(Equal("mine"))
	g.Expect(st.SHA256).To(BeEmpty())
	g.Expect(st.NotAfter).To(BeNil())
	g.Expect(st.Findings).To(HaveLen(1))
	g.Expect(st.Findings[0].Reason).To(Equal(wssv1.ReasonMissingData))
	g.Expect(st.Findings[0].Message).To(And(ContainSubstring("does not exist"), ContainSubstring(sha)))
	g.Expect(sidecarIn(g, ns, "echo")).NotTo(BeNil(), "the injection stays")
}

// TestPastedCABundle: a tls.crt of the leaf followed by a whole CA bundle
// (about 1 MB, over 1,700 certificates) is refused before anything serves
// it, with the count and the bytes in the message.
func TestPastedCABundle(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ns := echoNamespace(t, g)
	root, leaf := echoCert(ns)
	bundle := append([]byte{}, leaf.CertPEM...)
	n := 1
	for len(bundle) < 1_000_000 {
		bundle = append(bundle, certtest.NewCA(certtest.Options{}).CertPEM...)
		n++
	}
	createTLSSecret(g, context.Background(), ns, "pasted", bundle, leaf.KeyPEM, root.CertPEM)

	createEndpoint(g, endpoint(ns, "echo", wssv1.TLS{SecretName: "pasted"}))
	got := expectCondition(t, g, ns, "echo", wssv1.ConditionCertificateReady, metav1.ConditionFalse, wssv1.ReasonChainTooLarge)
	msg := cond(got, wssv1.ConditionCertificateReady).Message
	g.Expect(msg).To(ContainSubstring(fmt.Sprintf("%d certificates", n)))
	g.Expect(msg).To(MatchRegexp(`\d{6,} bytes`))
	g.Expect(got.Status.Certificate.ChainLength).To(Equal(int32(n)), "no silent truncation")
	g.Expect(got.Status.Certificate.Findings).To(ContainElement(HaveField("Reason", wssv1.ReasonChainExtraCertificates)))
	expectNeverInjected(g, ns, "echo")
}
