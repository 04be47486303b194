package controllers_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certtest"
	"github.com/wss-operator/wss-operator/internal/injection"
	"github.com/wss-operator/wss-operator/internal/proxy"
	"github.com/wss-operator/wss-operator/internal/testenv"
)

const (
	timeout = 90 * time.Second
	poll    = 200 * time.Millisecond
)

var nsCounter atomic.Int32

// newNamespace creates a namespace for one test.
// parallelCase starts an envtest case that runs in parallel with the others
// (each in its own namespace): its Gomega and context.
func parallelCase(t *testing.T) (*WithT, context.Context) {
	t.Parallel()
	return NewWithT(t), context.Background()
}

func newNamespace(t *testing.T, g Gomega) string {
	t.Helper()
	name := fmt.Sprintf("t%d-%s", nsCounter.Add(1), strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())))
	if len(name) > 60 {
		name = name[:60]
	}
	name = strings.TrimRight(name, "-")
	g.Expect(env.EnsureNamespace(context.Background(), name)).To(Succeed())
	return name
}

// applyUserDeployment writes the user's Deployment with server-side apply
// under the user's field manager, as `kubectl apply --server-side` would.
func applyUserDeployment(g Gomega, ctx context.Context, ns, name string) {
	d := appsv1ac.Deployment(name, ns).
		WithLabels(map[string]string{"app": name}).
		WithSpec(appsv1ac.DeploymentSpec().
			WithReplicas(1).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(map[string]string{"app": name})).
			WithTemplate(corev1ac.PodTemplateSpec().
				WithLabels(map[string]string{"app": name}).
				WithSpec(corev1ac.PodSpec().WithContainers(corev1ac.Container().
					WithName("echo").WithImage("jmalloc/echo-server:0.3.7").
					WithPorts(corev1ac.ContainerPort().WithName("ws").WithContainerPort(8080))))))
	g.Expect(env.Client.Apply(ctx, d, client.FieldOwner(testenv.FieldManager), client.ForceOwnership)).To(Succeed())
}

// endpoint builds a WSSEndpoint for workload `name` on backend port 8080.
func endpoint(ns, name string, tls wssv1.TLS) *wssv1.WSSEndpoint {
	return &wssv1.WSSEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: wssv1.WSSEndpointSpec{
			WorkloadRef: wssv1.WorkloadReference{Kind: wssv1.WorkloadDeployment, Name: name},
			Backend:     wssv1.Backend{Port: 8080, Path: "/ws"},
			TLS:         tls,
			HealthCheck: fastHealthCheck(),
		},
	}
}

// fastHealthCheck probes every 5s with a 2s timeout and turns False after 2
// failed rounds, so that the tests see verdicts quickly.
func fastHealthCheck() wssv1.HealthCheck {
	return wssv1.HealthCheck{
		Interval: &metav1.Duration{Duration: 5 * time.Second}, Timeout: &metav1.Duration{Duration: 2 * time.Second},
		FailureThreshold: 2,
	}
}

// issuer refers to the cert-manager Issuer name in the endpoint's namespace.
func issuer(name string) *wssv1.IssuerReference {
	return &wssv1.IssuerReference{Name: name, Kind: "Issuer", Group: "cert-manager.io"}
}

// createEndpoint creates ep on the API server.
func createEndpoint(g Gomega, ep *wssv1.WSSEndpoint) {
	g.Expect(env.Client.Create(context.Background(), ep)).To(Succeed())
}

func getEndpoint(g Gomega, ctx context.Context, ns, name string) *wssv1.WSSEndpoint {
	ep := &wssv1.WSSEndpoint{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ep)).To(Succeed())
	return ep
}

// conditionOf returns "Status/Reason" of a condition, for readable failures.
func conditionOf(ep *wssv1.WSSEndpoint, typ string) string {
	c := meta.FindStatusCondition(ep.Status.Conditions, typ)
	if c == nil {
		return "<none>"
	}
	return string(c.Status) + "/" + c.Reason
}

// cond returns a condition of the endpoint (the zero condition if absent).
func cond(ep *wssv1.WSSEndpoint, typ string) metav1.Condition {
	if c := meta.FindStatusCondition(ep.Status.Conditions, typ); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// expectCondition waits until the endpoint's condition has status and reason.
func expectCondition(t *testing.T, g Gomega, ns, name, typ string, st metav1.ConditionStatus, reason string) *wssv1.WSSEndpoint {
	t.Helper()
	var ep *wssv1.WSSEndpoint
	g.Eventually(func(g Gomega) {
		ep = getEndpoint(g, context.Background(), ns, name)
		g.Expect(conditionOf(ep, typ)).To(Equal(string(st)+"/"+reason), "conditions: %s", describeConditions(ep))
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	return ep
}

func describeConditions(ep *wssv1.WSSEndpoint) string {
	var b strings.Builder
	for _, c := range ep.Status.Conditions {
		fmt.Fprintf(&b, "\n  %s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message)
	}
	return b.String()
}

func getDeployment(g Gomega, ctx context.Context, ns, name string) *appsv1.Deployment {
	d := &appsv1.Deployment{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, d)).To(Succeed())
	return d
}

// sidecarIn returns our sidecar in the pod template of a Deployment as the
// API server has it now (nil: not injected).
func sidecarIn(g Gomega, ns, deployment string) *corev1.Container {
	return injection.Find(&getDeployment(g, context.Background(), ns, deployment).Spec.Template)
}

func rollOut(g Gomega, ctx context.Context, ns, name string) {
	g.Expect(testenv.RollOutDeployment(ctx, env.Client, ns, name)).To(Succeed())
}

func createPod(g Gomega, ctx context.Context, ns, deployment, name, podIP string) {
	g.Expect(testenv.CreatePodFor(ctx, env.Client, ns, deployment, name, podIP)).To(Succeed())
}

// kstatus computes the endpoint's kstatus the way Flux and Argo CD do.
func kstatus(g Gomega, ep *wssv1.WSSEndpoint) status.Status {
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ep)
	g.Expect(err).NotTo(HaveOccurred())
	u := &unstructured.Unstructured{Object: obj}
	u.SetGroupVersionKind(wssv1.GroupVersion.WithKind("WSSEndpoint"))
	res, err := status.Compute(u)
	g.Expect(err).NotTo(HaveOccurred())
	return res.Status
}

// managedFieldsOf returns the FieldsV1 JSON a manager owns on obj.
func managedFieldsOf(obj client.Object, manager string) string {
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager == manager && mf.Subresource == "" && mf.FieldsV1 != nil {
			return mf.FieldsV1.GetRawString()
		}
	}
	return ""
}

// expectNeverInjected shows, for a few seconds, that the Deployment carries
// no sidecar: a refused certificate is never rolled out.
func expectNeverInjected(g Gomega, ns, deployment string) {
	g.Consistently(func(g Gomega) {
		g.Expect(sidecarIn(g, ns, deployment)).To(BeNil())
	}).WithTimeout(2*time.Second).WithPolling(500*time.Millisecond).Should(Succeed(), "a refused certificate is never rolled out")
}

// deleteEndpoint deletes an endpoint and waits until its finalizer let it go.
func deleteEndpoint(g Gomega, ns, name string) {
	ctx := context.Background()
	g.Expect(env.Client.Delete(ctx, getEndpoint(g, ctx, ns, name))).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &wssv1.WSSEndpoint{}))
	}).WithTimeout(timeout).WithPolling(poll).Should(BeTrue())
}

// patchEndpoint changes an endpoint with a merge patch (no conflict with
// the controller's status writes).
func patchEndpoint(g Gomega, ns, name string, change func(*wssv1.WSSEndpoint)) {
	ctx := context.Background()
	ep := getEndpoint(g, ctx, ns, name)
	patch := client.MergeFrom(ep.DeepCopy())
	change(ep)
	g.Expect(env.Client.Patch(ctx, ep, patch)).To(Succeed())
}

// echoNamespace prepares a namespace for one test with the user's
// Deployment "echo".
func echoNamespace(t *testing.T, g Gomega) string {
	t.Helper()
	ns := newNamespace(t, g)
	applyUserDeployment(g, context.Background(), ns, "echo")
	return ns
}

// echoWithSecret prepares a namespace for one test: the user's Deployment
// "echo" and a valid user Secret "mine" for its Service name.
func echoWithSecret(t *testing.T, g Gomega) string {
	t.Helper()
	ns := echoNamespace(t, g)
	createValidTLSSecret(g, context.Background(), ns, "mine")
	return ns
}

// echoEndpoint prepares a namespace as echoWithSecret does and creates the
// endpoint "echo" for the Deployment, serving the Secret "mine".
func echoEndpoint(t *testing.T, g Gomega) string {
	t.Helper()
	ns := echoWithSecret(t, g)
	createEndpoint(g, endpoint(ns, "echo", wssv1.TLS{SecretName: "mine"}))
	return ns
}

// echoWithIssuers prepares a namespace for one test with the sample
// issuers (config/samples/certificate-issuers.yaml: the CA Issuer "demo-ca")
// and the user's Deployment "echo".
func echoWithIssuers(t *testing.T, g Gomega) string {
	t.Helper()
	ns := echoNamespace(t, g)
	_, err := testenv.ApplyFile(context.Background(), env.Client, filepath.Join(env.Root, "config", "samples", "certificate-issuers.yaml"), ns)
	g.Expect(err).NotTo(HaveOccurred())
	return ns
}

// echoHosts are the names of the Service "echo" in ns.
func echoHosts(ns string) []string {
	return []string{"echo." + ns + ".svc", "echo." + ns + ".svc.cluster.local"}
}

// echoCert issues a leaf for the Service "echo" of ns from a new root.
func echoCert(ns string) (root, leaf *certtest.Cert) {
	root = certtest.NewCA(certtest.Options{})
	return root, root.Issue(certtest.Options{Hosts: echoHosts(ns)})
}

// intermediateCA returns a new root and an intermediate CA it issued.
func intermediateCA() (root, intermediate *certtest.Cert) {
	root = certtest.NewCA(certtest.Options{})
	return root, root.Issue(certtest.Options{IsCA: true})
}

// fixSecret sets one key of a refused Secret to value and waits until the
// endpoint "echo" accepts its certificate and rolls out the sidecar.
func fixSecret(t *testing.T, g Gomega, ns, name, key string, value []byte) {
	t.Helper()
	ctx := context.Background()
	s := getSecret(g, ctx, ns, name)
	s.Data[key] = value
	g.Expect(env.Client.Update(ctx, s)).To(Succeed())
	expectCondition(t, g, ns, "echo", wssv1.ConditionCertificateReady, metav1.ConditionTrue, wssv1.ReasonSucceeded)
	expectCondition(t, g, ns, "echo", wssv1.ConditionSidecarReady, metav1.ConditionFalse, wssv1.ReasonRolloutInProgress)
}

// serveEndpoint runs the real sidecar with the Secret secretName of ns in
// front of a real echo backend, and routes the Service name of endpoint name
// and port 8443 of the pod IP ip to it on loopback.
func serveEndpoint(t *testing.T, g Gomega, ns, name, secretName, ip string) (*proxy.Proxy, *testenv.EchoServer, *corev1.Secret) {
	t.Helper()
	secret := getSecret(g, context.Background(), ns, secretName)
	backend := startEcho(t, "")
	px := runProxy(t, secret, backend.Addr)
	net0.Route(name+"."+ns+".svc:443", px.Addr().String())
	net0.Route(ip+":8443", px.Addr().String())
	return px, backend, secret
}
