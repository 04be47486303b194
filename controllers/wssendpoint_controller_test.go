package controllers_test

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/controllers"
	"github.com/wss-operator/wss-operator/internal/certinfo"
	"github.com/wss-operator/wss-operator/internal/certtest"
	"github.com/wss-operator/wss-operator/internal/injection"
	"github.com/wss-operator/wss-operator/internal/testenv"
)

// TestEndpointLifecycle walks one endpoint through its life on the real API
// server with real cert-manager controllers: issued and checked certificate,
// exactly our sidecar in the Deployment, the Service, the real proxy serving
// the issued Secret in front of a real echo backend, Healthy and Ready and
// kstatus Current; then the backend stops (BackendUnavailable after the
// threshold) and returns; then a pod serves an old certificate
// (StaleCertificate); finally deletion leaves the Deployment as the user
// wrote it.
func TestEndpointLifecycle(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := echoWithIssuers(t, g)
	before := getDeployment(g, ctx, ns, "echo")
	userFields := managedFieldsOf(before, testenv.FieldManager)
	g.Expect(userFields).NotTo(BeEmpty())

	createEndpoint(g, endpoint(ns, "echo", wssv1.TLS{IssuerRef: issuer("demo-ca"), Hosts: []string{"echo.example.test"}}))

	// Certificate issued by cert-manager and checked.
	got := expectCondition(t, g, ns, "echo", wssv1.ConditionCertificateReady, metav1.ConditionTrue, wssv1.ReasonSucceeded)
	g.Expect(got.Status.Certificate).NotTo(BeNil())
	g.Expect(got.Status.Certificate.SecretName).To(Equal("echo-tls"))
	g.Expect(got.Status.Certificate.DNSNames).To(ConsistOf(append([]string{"echo.example.test"}, echoHosts(ns)...)))
	g.Expect(got.Status.Certificate.ChainLength).To(BeNumerically(">=", 1))

	// Exactly our sidecar, volume, label and annotation in the Deployment.
	g.Eventually(func(g Gomega) {
		d := getDeployment(g, ctx, ns, "echo")
		sc := injection.Find(&d.Spec.Template)
		g.Expect(sc).NotTo(BeNil())
		g.Expect(*sc.RestartPolicy).To(Equal(corev1.ContainerRestartPolicyAlways))
		g.Expect(sc.Image).To(Equal("ghcr.io/wss-operator/wss-operator:test"))
		g.Expect(sc.Args).To(ContainElements("proxy", "--backend=127.0.0.1:8080", "--listen=:8443"))
		g.Expect(d.Spec.Template.Spec.InitContainers).To(HaveLen(1))
		g.Expect(d.Spec.Template.Spec.Containers).To(HaveLen(1))
		g.Expect(d.Spec.Template.Labels).To(HaveKeyWithValue(injection.EndpointLabel, "echo"))
		g.Expect(d.Spec.Template.Annotations).To(HaveKey(injection.ConfigHashAnnotation))
		g.Expect(d.Spec.Template.Spec.Volumes).To(ContainElement(HaveField("Name", injection.VolumeName)))
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	expectCondition(t, g, ns, "echo", wssv1.ConditionSidecarReady, metav1.ConditionFalse, wssv1.ReasonRolloutInProgress)

	// The Service.
	svc := &corev1.Service{}
	g.Eventually(func() error { return env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "echo"}, svc) }).WithTimeout(timeout).Should(Succeed())
	g.Expect(svc.Spec.Selector).To(Equal(map[string]string{injection.EndpointLabel: "echo"}))
	g.Expect(svc.Spec.Ports).To(HaveLen(1))
	g.Expect(svc.Spec.Ports[0].Port).To(Equal(int32(443)))
	g.Expect(svc.Spec.Ports[0].TargetPort).To(Equal(intstr.FromString(injection.TLSPortName)))
	expectCondition(t, g, ns, "echo", wssv1.ConditionServiceReady, metav1.ConditionTrue, wssv1.ReasonSucceeded)

	// The real sidecar with the issued Secret, in front of a real backend;
	// the Service name and the pod IP are routed to it on loopback.
	px, backend, secret := serveEndpoint(t, g, ns, "echo", "echo-tls", "127.0.1.1")
	rollOut(g, ctx, ns, "echo")
	createPod(g, ctx, ns, "echo", "echo-1", "127.0.1.1")

	expectCondition(t, g, ns, "echo", wssv1.ConditionHandshakeHealthy, metav1.ConditionTrue, wssv1.ReasonHealthy)
	got = expectCondition(t, g, ns, "echo", wssv1.ConditionReady, metav1.ConditionTrue, wssv1.ReasonSucceeded)
	g.Expect(kstatus(g, got)).To(Equal(status.CurrentStatus))
	g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
	g.Expect(got.Status.URL).To(Equal("wss://echo.example.test:443/ws"))
	g.Expect(got.Status.Handshake).NotTo(BeNil())
	g.Expect(got.Status.Handshake.Reason).To(Equal(wssv1.ReasonHealthy))
	g.Expect(got.Status.Handshake.TLSVersion).To(Equal("TLS 1.3"))
	// The first round may have run before the pod was listed; the pod's
	// own round follows.
	g.Eventually(func(g Gomega) {
		got := getEndpoint(g, ctx, ns, "echo")
		g.Expect(got.Status.Handshake.Pods).To(ConsistOf(wssv1.PodHandshake{Name: "echo-1", Reason: wssv1.ReasonHealthy, ServedSHA256: got.Status.Certificate.SHA256}))
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())

	// A real wss:// round trip through the sidecar, trusting the Secret's CA.
	roundTrip(t, g, px.Addr().String(), "echo.example.test", secret.Data["ca.crt"])

	// The backend stops: the sidecar answers 502, the probe says
	// BackendUnavailable once the failure threshold (2) is reached.
	backend.Stop()
	got = expectCondition(t, g, ns, "echo", wssv1.ConditionHandshakeHealthy, metav1.ConditionFalse, wssv1.ReasonBackendUnavailable)
	g.Expect(got.Status.Handshake.ConsecutiveFailures).To(BeNumerically(">=", 2))
	g.Expect(got.Status.Handshake.Phase).To(Equal("upgrade"))
	expectCondition(t, g, ns, "echo", wssv1.ConditionReady, metav1.ConditionFalse, wssv1.ReasonBackendUnavailable)
	startEcho(t, backend.Addr)
	expectCondition(t, g, ns, "echo", wssv1.ConditionReady, metav1.ConditionTrue, wssv1.ReasonSucceeded)

	// A second pod serves an older certificate from the same CA.
	caSecret := getSecret(g, ctx, ns, "demo-ca")
	ca := certFromSecret(g, caSecret)
	old := ca.Issue(certtest.Options{Hosts: []string{"echo.example.test", "echo." + ns + ".svc"}})
	stale := runProxy(t, &corev1.Secret{Data: map[string][]byte{"tls.crt": old.CertPEM, "tls.key": old.KeyPEM}}, backend.Addr)
	net0.Route("127.0.1.2:8443", stale.Addr().String())
	createPod(g, ctx, ns, "echo", "echo-2", "127.0.1.2")
	got = expectCondition(t, g, ns, "echo", wssv1.ConditionHandshakeHealthy, metav1.ConditionFalse, wssv1.ReasonStaleCertificate)
	g.Expect(got.Status.Handshake.Pods).To(ContainElement(wssv1.PodHandshake{Name: "echo-2", Reason: wssv1.ReasonStaleCertificate, ServedSHA256: certinfo.Fingerprint(old.Cert)}))
	g.Expect(env.Client.Delete(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "echo-2"}})).To(Succeed())
	expectCondition(t, g, ns, "echo", wssv1.ConditionReady, metav1.ConditionTrue, wssv1.ReasonSucceeded)

	// Deletion: the finalizer removes exactly our fields.
	deleteEndpoint(g, ns, "echo")
	after := getDeployment(g, ctx, ns, "echo")
	g.Expect(injection.Find(&after.Spec.Template)).To(BeNil())
	g.Expect(equality.Semantic.DeepEqual(before.Spec, after.Spec)).To(BeTrue(), "spec before:\n%+v\nafter:\n%+v", before.Spec, after.Spec)
	g.Expect(after.Labels).To(Equal(before.Labels))
	g.Expect(after.Annotations).To(Equal(before.Annotations))
	g.Expect(managedFieldsOf(after, testenv.FieldManager)).To(Equal(userFields), "the user's fields are untouched")
	g.Expect(managedFieldsOf(after, controllers.FieldManager)).To(Or(BeEmpty(), Equal("{}")), "nothing is left owned by the operator")
}

// TestUserSecretWithMismatchedKey: a Secret whose key belongs to another
// certificate is refused before anything serves it.
func TestUserSecretWithMismatchedKey(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ns := echoNamespace(t, g)
	root, leaf := echoCert(ns)
	other := certtest.NewKey(certtest.ECDSAP256, 0)
	createTLSSecret(g, context.Background(), ns, "mine", leaf.CertPEM, certtest.KeyPEM(other, certtest.PKCS8), root.CertPEM)

	createEndpoint(g, endpoint(ns, "echo", wssv1.TLS{SecretName: "mine"}))
	got := expectCondition(t, g, ns, "echo", wssv1.ConditionCertificateReady, metav1.ConditionFalse, wssv1.ReasonKeyMismatch)
	g.Expect(cond(got, wssv1.ConditionCertificateReady).Message).To(ContainSubstring("tls.key"))
	expectCondition(t, g, ns, "echo", wssv1.ConditionReady, metav1.ConditionFalse, wssv1.ReasonKeyMismatch)
	expectNeverInjected(g, ns, "echo")
}

// TestLeafOnlyChain: a leaf issued by an intermediate, without the
// intermediate in tls.crt, is ChainIncomplete.
func TestLeafOnlyChain(t *testing.T) {
	g, ctx := parallelCase(t)
	ns := echoNamespace(t, g)
	root, intermediate := intermediateCA()
	leaf := intermediate.Issue(certtest.Options{Hosts: echoHosts(ns)})
	createTLSSecret(g, ctx, ns, "leaf-only", leaf.CertPEM, leaf.KeyPEM, root.CertPEM)

	createEndpoint(g, endpoint(ns, "echo", wssv1.TLS{SecretName: "leaf-only"}))
	expectCondition(t, g, ns, "echo", wssv1.ConditionCertificateReady, metav1.ConditionFalse, wssv1.ReasonChainIncomplete)
	g.Expect(sidecarIn(g, ns, "echo")).To(BeNil())

	// Fixing the Secret (leaf then intermediate) lets the sidecar in.
	fixSecret(t, g, ns, "leaf-only", "tls.crt", certtest.PEMs(leaf, intermediate))
}

// TestWorkloadMissingThenAppears: WorkloadNotFound until the Deployment
// exists, then the sidecar is injected.
func TestWorkloadMissingThenAppears(t *testing.T) {
	g, ctx := parallelCase(t)
	ns := newNamespace(t, g)
	createValidTLSSecret(g, ctx, ns, "mine")

	createEndpoint(g, endpoint(ns, "echo", wssv1.TLS{SecretName: "mine"}))
	got := expectCondition(t, g, ns, "echo", wssv1.ConditionSidecarReady, metav1.ConditionFalse, wssv1.ReasonWorkloadNotFound)
	g.Expect(conditionOf(got, wssv1.ConditionReady)).To(Equal("False/" + wssv1.ReasonWorkloadNotFound))
	g.Expect(conditionOf(got, wssv1.ConditionCertificateReady)).To(Equal("True/" + wssv1.ReasonSucceeded))

	applyUserDeployment(g, ctx, ns, "echo")
	expectCondition(t, g, ns, "echo", wssv1.ConditionSidecarReady, metav1.ConditionFalse, wssv1.ReasonRolloutInProgress)
	g.Expect(sidecarIn(g, ns, "echo")).NotTo(BeNil())
	got = getEndpoint(g, ctx, ns, "echo")
	g.Expect(kstatus(g, got)).To(Equal(status.InProgressStatus))
}

// TestIssuerMissing: a Certificate whose issuer does not exist is
// CertificateNotReady with cert-manager's own reason in the message.
func TestIssuerMissing(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ns := echoNamespace(t, g)
	createEndpoint(g, endpoint(ns, "echo", wssv1.TLS{IssuerRef: issuer("no-such-issuer")}))
	got := expectCondition(t, g, ns, "echo", wssv1.ConditionCertificateReady, metav1.ConditionFalse, wssv1.ReasonCertificateNotReady)
	g.Expect(cond(got, wssv1.ConditionCertificateReady).Message).To(ContainSubstring("cert-manager"))
	g.Expect(kstatus(g, got)).To(Equal(status.InProgressStatus))
	g.Expect(sidecarIn(g, ns, "echo")).To(BeNil())
}

// TestSidecarConflict: a user container on the sidecar's TLS port is
// reported (Stalled) rather than fought.
func TestSidecarConflict(t *testing.T) {
	g, ctx := parallelCase(t)
	ns := echoWithSecret(t, g)
	ep := endpoint(ns, "echo", wssv1.TLS{SecretName: "mine", Port: 8080 + 1})
	ep.Spec.Backend.Port = 9000 // the user's container declares 8080; our TLS port 8081 is free
	d := getDeployment(g, ctx, ns, "echo")
	d.Spec.Template.Spec.Containers[0].Ports = append(d.Spec.Template.Spec.Containers[0].Ports, corev1.ContainerPort{Name: "other", ContainerPort: 8081})
	g.Expect(env.Client.Update(ctx, d)).To(Succeed())
	createEndpoint(g, ep)
	got := expectCondition(t, g, ns, "echo", wssv1.ConditionStalled, metav1.ConditionTrue, wssv1.ReasonSidecarConflict)
	g.Expect(cond(got, wssv1.ConditionSidecarReady).Message).To(ContainSubstring("8081"))
	g.Expect(kstatus(g, got)).To(Equal(status.FailedStatus))
	g.Expect(sidecarIn(g, ns, "echo")).To(BeNil())
}

func createTLSSecret(g Gomega, ctx context.Context, ns, name string, crt, key, ca []byte) {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{"tls.crt": crt, "tls.key": key, "ca.crt": ca},
	}
	g.Expect(env.Client.Create(ctx, s)).To(Succeed())
}

// createValidTLSSecret creates a Secret with a leaf for the Service "echo"
// of ns, its key, and the root that issued it.
func createValidTLSSecret(g Gomega, ctx context.Context, ns, name string) {
	root, leaf := echoCert(ns)
	createTLSSecret(g, ctx, ns, name, leaf.CertPEM, leaf.KeyPEM, root.CertPEM)
}

// certFromSecret turns cert-manager's CA Secret into a certtest CA.
func certFromSecret(g Gomega, s *corev1.Secret) *certtest.Cert {
	pair, err := tls.X509KeyPair(s.Data["tls.crt"], s.Data["tls.key"])
	g.Expect(err).NotTo(HaveOccurred())
	block, _ := pem.Decode(s.Data["tls.crt"])
	cert, err := x509.ParseCertificate(block.Bytes)
	g.Expect(err).NotTo(HaveOccurred())
	return &certtest.Cert{Cert: cert, Key: pair.PrivateKey.(crypto.Signer), CertPEM: s.Data["tls.crt"]}
}

// roundTrip sends a message over wss:// through addr and expects the echo.
func roundTrip(t *testing.T, g Gomega, addr, host string, caPEM []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := testenv.WSSRoundTrip(ctx, addr, fmt.Sprintf("wss://%s/ws", host), caPEM, "hello over wss")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got).To(Equal("hello over wss"))
}
