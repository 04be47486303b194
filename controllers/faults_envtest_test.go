package controllers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/controllers"
	"github.com/wss-operator/wss-operator/internal/injection"
	"github.com/wss-operator/wss-operator/internal/proxy"
)

var podIPs atomic.Int32

// nextPodIP is a loopback address no other test uses as a pod IP.
func nextPodIP() string {
	n := podIPs.Add(1)
	return fmt.Sprintf("127.0.2.%d", n)
}

// makeHealthy takes endpoint ep (created by the caller, for workload
// "echo") to Ready: the real sidecar serves the endpoint's Secret in front
// of a real echo backend, the Service name and one pod are routed to it.
func makeHealthy(t *testing.T, g Gomega, ns, name string) (*proxy.Proxy, string) {
	t.Helper()
	ctx := context.Background()
	g.Eventually(func(g Gomega) {
		g.Expect(sidecarIn(g, ns, "echo")).NotTo(BeNil())
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	ep := getEndpoint(g, ctx, ns, name)
	ip := nextPodIP()
	px, backend, _ := serveEndpoint(t, g, ns, name, ep.Status.Certificate.SecretName, ip)
	net0.Route(ip+":9090", px.AdminAddr().String())
	rollOut(g, ctx, ns, "echo")
	createPod(g, ctx, ns, "echo", "echo-"+name, ip)
	expectCondition(t, g, ns, name, wssv1.ConditionReady, metav1.ConditionTrue, wssv1.ReasonSucceeded)
	return px, backend.Addr
}

// eventsFor lists the events regarding one endpoint.
func eventsFor(g Gomega, ctx context.Context, ns, name string) []eventsv1.Event {
	list := &eventsv1.EventList{}
	g.Expect(env.Client.List(ctx, list, client.InNamespace(ns))).To(Succeed())
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Kind == "WSSEndpoint" && e.Regarding.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// poke makes the controller reconcile the endpoint now (an annotation
// change passes its event filter).
func poke(g Gomega, ns, name string, n int) {
	patchEndpoint(g, ns, name, func(ep *wssv1.WSSEndpoint) {
		if ep.Annotations == nil {
			ep.Annotations = map[string]string{}
		}
		ep.Annotations["test.wss.operator.dev/poke"] = fmt.Sprint(n)
	})
}

// TestTransientFaultsChangeNothing drives a healthy endpoint through one
// injected API fault per step — a timeout, a 500, a 403 and a conflict on
// the reads and writes each step makes — and shows that conditions that
// were True stay True, Reconciling names the error, and the next reconcile
// recovers without a new event.
func TestTransientFaultsChangeNothing(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := echoWithIssuers(t, g)
	createEndpoint(g, endpoint(ns, "echo", wssv1.TLS{IssuerRef: issuer("demo-ca")}))
	makeHealthy(t, g, ns, "echo")
	time.Sleep(time.Second) // let the Ready event be written
	events := len(eventsFor(g, ctx, ns, "echo"))
	g.Expect(events).To(BeNumerically(">=", 1))

	gr := func(res string) schema.GroupResource { return schema.GroupResource{Resource: res} }
	timeoutErr := apierrors.NewTimeoutError("request did not complete within 60s", 1)
	internal := apierrors.NewInternalError(errors.New("etcdserver: leader changed"))
	forbidden := apierrors.NewForbidden(gr("secrets"), "echo-tls", errors.New(`RBAC: clusterrole "wss-operator-manager" not found`))
	conflict := apierrors.NewConflict(gr("services"), "echo", errors.New("the object has been modified; please apply your changes to the latest version and try again"))
	touchSecret := func(n int) {
		s := getSecret(g, ctx, ns, "echo-tls")
		patch := client.MergeFrom(s.DeepCopy())
		s.Labels["test.wss.operator.dev/touch"] = fmt.Sprint(n)
		g.Expect(env.Client.Patch(ctx, s, patch)).To(Succeed())
	}
	changeService := func(n int) {
		patchEndpoint(g, ns, "echo", func(ep *wssv1.WSSEndpoint) {
			ep.Spec.Service.Annotations = map[string]string{"test.wss.operator.dev/rev": fmt.Sprint(n)}
		})
	}
	cases := []struct {
		name, verb, kind string
		err              error
		trigger          func(n int)
	}{
		{"Certificate read times out", "get", "Certificate", timeoutErr, nil},
		{"Secret metadata read fails with 500", "get", "Secret", internal, nil},
		{"Secret read is forbidden while RBAC rolls out", "read", "Secret", forbidden, touchSecret},
		{"Service read fails with 500", "get", "Service", internal, nil},
		{"Service apply conflicts", "apply", "Service", conflict, changeService},
		{"Deployment read times out", "get", "Deployment", timeoutErr, nil},
		{"Pod list is forbidden", "list", "Pod", apierrors.NewForbidden(gr("pods"), "", errors.New("RBAC")), nil},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			before := len(faults.statusWritesOf(ns, "echo"))
			fired := faults.inject(tc.verb, tc.kind, ns, tc.err)
			if tc.trigger != nil {
				tc.trigger(i)
			} else {
				poke(g, ns, "echo", i)
			}
			g.Eventually(fired).WithTimeout(timeout).Should(BeClosed(), "the fault fired")
			// The status written by the faulted reconcile names the error
			// in Reconciling; in it, and in every status written since the
			// fault was armed, everything that was True stays True.
			var writes []statusWrite
			g.Eventually(func(g Gomega) {
				writes = faults.statusWritesOf(ns, "echo")[before:]
				g.Expect(writes).To(ContainElement(HaveField("Conditions", ContainElement(And(
					HaveField("Type", wssv1.ConditionReconciling),
					HaveField("Reason", wssv1.ReasonProgressingWithRetry),
					HaveField("Message", ContainSubstring(tc.err.Error())))))))
			}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
			for _, w := range writes {
				for _, typ := range []string{wssv1.ConditionReady, wssv1.ConditionCertificateReady, wssv1.ConditionSidecarReady,
					wssv1.ConditionServiceReady, wssv1.ConditionHandshakeHealthy} {
					c := meta.FindStatusCondition(w.Conditions, typ)
					g.Expect(c).NotTo(BeNil(), typ)
					g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "%s after the fault: %s %s", typ, c.Reason, c.Message)
				}
			}
			// The retry recovers: Reconciling goes away, Ready stays True.
			g.Eventually(func(g Gomega) {
				ep := getEndpoint(g, ctx, ns, "echo")
				g.Expect(conditionOf(ep, wssv1.ConditionReconciling)).To(Equal("<none>"), "%s", describeConditions(ep))
				g.Expect(conditionOf(ep, wssv1.ConditionReady)).To(Equal("True/Succeeded"))
			}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
		})
	}

	// A failed status write is retried too: nothing is lost.
	fired := faults.inject("patch-status", "WSSEndpoint", ns, internal)
	failGet := faults.inject("get", "Service", ns, timeoutErr)
	poke(g, ns, "echo", 100)
	g.Eventually(failGet).WithTimeout(timeout).Should(BeClosed())
	g.Eventually(fired).WithTimeout(timeout).Should(BeClosed())
	expectCondition(t, g, ns, "echo", wssv1.ConditionReady, metav1.ConditionTrue, wssv1.ReasonSucceeded)

	time.Sleep(2 * time.Second) // events are written asynchronously
	g.Expect(eventsFor(g, ctx, ns, "echo")).To(HaveLen(events), "recovering from a blip emits no event")
}

// TestStallsNeverWriteTheWorkload: a Service of the same name that is not
// ours, and a user's own native sidecar named wss-proxy, stall the endpoint
// before anything touches the workload.
func TestStallsNeverWriteTheWorkload(t *testing.T) {
	g, ctx := parallelCase(t)
	// stalls creates the endpoint "echo" in ns, waits until it stalls on a
	// SidecarConflict and shows, for a few seconds, that nothing writes the
	// namespace's Deployments.
	stalls := func(ns string) *wssv1.WSSEndpoint {
		createEndpoint(g, endpoint(ns, "echo", wssv1.TLS{SecretName: "mine"}))
		got := expectCondition(t, g, ns, "echo", wssv1.ConditionStalled, metav1.ConditionTrue, wssv1.ReasonSidecarConflict)
		g.Consistently(func() []write { return faults.writesTo("Deployment", ns) }).WithTimeout(2 * time.Second).Should(BeEmpty())
		return got
	}

	// A foreign Service named like the endpoint.
	ns := echoWithSecret(t, g)
	g.Expect(env.Client.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "echo"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}},
	})).To(Succeed())
	got := stalls(ns)
	g.Expect(conditionOf(got, wssv1.ConditionReady)).To(Equal("False/SidecarConflict"))
	g.Expect(cond(got, wssv1.ConditionReady).Message).To(ContainSubstring("not managed by this WSSEndpoint"))

	// A user's own native sidecar called wss-proxy.
	ns2 := echoWithSecret(t, g)
	d := getDeployment(g, ctx, ns2, "echo")
	always := corev1.ContainerRestartPolicyAlways
	d.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: injection.ContainerName, Image: "envoyproxy/envoy:v1.31", RestartPolicy: &always}}
	g.Expect(env.Client.Update(ctx, d)).To(Succeed())
	got = stalls(ns2)
	g.Expect(cond(got, wssv1.ConditionSidecarReady).Message).To(ContainSubstring(`native sidecar "wss-proxy" (image envoyproxy/envoy:v1.31) was not injected by this operator`))
}

// TestTwoEndpointsOneWorkload: the second endpoint stalls naming the first,
// never writes the workload, and deleting it does not move the winner's
// Deployment. Two endpoints created at once end with one owner and one
// rollout.
func TestTwoEndpointsOneWorkload(t *testing.T) {
	g, ctx := parallelCase(t)
	ns := echoEndpoint(t, g)
	expectCondition(t, g, ns, "echo", wssv1.ConditionSidecarReady, metav1.ConditionFalse, wssv1.ReasonRolloutInProgress)

	second := endpoint(ns, "echo-b", wssv1.TLS{SecretName: "mine"})
	second.Spec.WorkloadRef.Name = "echo"
	createEndpoint(g, second)
	got := expectCondition(t, g, ns, "echo-b", wssv1.ConditionStalled, metav1.ConditionTrue, wssv1.ReasonSidecarConflict)
	g.Expect(cond(got, wssv1.ConditionReady).Message).To(ContainSubstring(`WSSEndpoint "echo" already injects its sidecar`))
	for _, w := range faults.writesTo("Deployment", ns) {
		g.Expect(w.Manager).To(Equal(controllers.WorkloadFieldManager("echo")), "only the winner writes the workload")
	}
	generation := getDeployment(g, ctx, ns, "echo").Generation
	deleteEndpoint(g, ns, "echo-b")
	d := getDeployment(g, ctx, ns, "echo")
	g.Expect(d.Generation).To(Equal(generation), "deleting the loser does not touch the winner's injection")
	g.Expect(d.Spec.Template.Labels).To(HaveKeyWithValue(injection.EndpointLabel, "echo"))

	// A race: two endpoints on a fresh workload at once.
	applyUserDeployment(g, ctx, ns, "race")
	start := getDeployment(g, ctx, ns, "race").Generation
	a, b := endpoint(ns, "race-a", wssv1.TLS{SecretName: "mine"}), endpoint(ns, "race-b", wssv1.TLS{SecretName: "mine"})
	a.Spec.WorkloadRef.Name, b.Spec.WorkloadRef.Name = "race", "race"
	// The Secret covers echo's Service name; so must theirs.
	a.Spec.TLS.Hosts, b.Spec.TLS.Hosts = []string{"echo." + ns + ".svc"}, []string{"echo." + ns + ".svc"}
	createEndpoint(g, a)
	createEndpoint(g, b)
	var winner, loser string
	g.Eventually(func(g Gomega) {
		ra, rb := getEndpoint(g, ctx, ns, "race-a"), getEndpoint(g, ctx, ns, "race-b")
		sa, sb := conditionOf(ra, wssv1.ConditionStalled), conditionOf(rb, wssv1.ConditionStalled)
		g.Expect([]string{sa, sb}).To(ConsistOf("<none>", "True/SidecarConflict"))
		winner, loser = "race-a", "race-b"
		if sa != "<none>" {
			winner, loser = loser, winner
		}
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	g.Expect(cond(getEndpoint(g, ctx, ns, loser), wssv1.ConditionReady).Message).To(ContainSubstring(winner))
	d = getDeployment(g, ctx, ns, "race")
	g.Expect(d.Spec.Template.Labels).To(HaveKeyWithValue(injection.EndpointLabel, winner))
	g.Expect(d.Generation).To(Equal(start+1), "one rollout")
}

// TestWorkloadRefMoves: changing spec.workloadRef from A to B injects B and
// restores A exactly as the API server stored it before; deleting the
// endpoint restores B.
func TestWorkloadRefMoves(t *testing.T) {
	g, ctx := parallelCase(t)
	ns := echoWithSecret(t, g)
	applyUserDeployment(g, ctx, ns, "echo-v2")
	original := getDeployment(g, ctx, ns, "echo")
	originalB := getDeployment(g, ctx, ns, "echo-v2")
	createEndpoint(g, endpoint(ns, "echo", wssv1.TLS{SecretName: "mine"}))
	got := expectCondition(t, g, ns, "echo", wssv1.ConditionSidecarReady, metav1.ConditionFalse, wssv1.ReasonRolloutInProgress)
	g.Expect(got.Status.WorkloadRef).To(Equal(&wssv1.WorkloadReference{Kind: wssv1.WorkloadDeployment, Name: "echo"}))

	patchEndpoint(g, ns, "echo", func(ep *wssv1.WSSEndpoint) { ep.Spec.WorkloadRef.Name = "echo-v2" })
	g.Eventually(func(g Gomega) {
		got := getEndpoint(g, ctx, ns, "echo")
		g.Expect(got.Status.WorkloadRef).To(Equal(&wssv1.WorkloadReference{Kind: wssv1.WorkloadDeployment, Name: "echo-v2"}))
		g.Expect(sidecarIn(g, ns, "echo-v2")).NotTo(BeNil())
	}).WithTimeout(timeout).WithPolling(poll).Should(Succeed())
	expectRestored(g, original, getDeployment(g, ctx, ns, "echo"))

	deleteEndpoint(g, ns, "echo")
	expectRestored(g, originalB, getDeployment(g, ctx, ns, "echo-v2"))
}

// expectRestored compares what the API server stores now with what it
// stored before the injection: the pod template byte for byte, the labels
// and annotations, and no field left owned by the operator.
func expectRestored(g Gomega, before, after *appsv1.Deployment) {
	g.Expect(toJSON(g, after.Spec.Template)).To(MatchJSON(toJSON(g, before.Spec.Template)))
	g.Expect(toJSON(g, after.Spec)).To(MatchJSON(toJSON(g, before.Spec)))
	g.Expect(after.Labels).To(Equal(before.Labels))
	g.Expect(after.Annotations).To(Equal(before.Annotations))
	for _, mf := range after.ManagedFields {
		g.Expect(mf.Manager).NotTo(HavePrefix(controllers.FieldManager), "nothing is left owned by the operator")
	}
}

func toJSON(g Gomega, v any) string {
	data, err := json.Marshal(v)
	g.Expect(err).NotTo(HaveOccurred())
	return string(data)
}

// TestSecretNotYetInCache: cert-manager calls the Certificate Ready before
// the manager's metadata cache has seen its Secret (the cache lags behind
// the API server under load). The controller reads the Secret from the API
// server instead of calling it missing: the endpoint goes on to Ready, and
// no status write says the Secret does not exist.
func TestSecretNotYetInCache(t *testing.T) {
	g, _ := parallelCase(t)
	ns := echoWithIssuers(t, g)
	// The cache answers "not found" for the endpoint's Secret all along.
	notFound := apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, "echo-tls")
	var last <-chan struct{}
	for range 500 {
		last = faults.inject("get", "Secret", ns, notFound)
	}
	createEndpoint(g, endpoint(ns, "echo", wssv1.TLS{IssuerRef: issuer("demo-ca")}))
	makeHealthy(t, g, ns, "echo")
	g.Expect(last).NotTo(BeClosed(), "the cache still had not seen the Secret when the endpoint turned Ready")
	writes := faults.statusWritesOf(ns, "echo")
	g.Expect(writes).NotTo(BeEmpty())
	for _, w := range writes {
		for _, c := range w.Conditions {
			g.Expect(c.Message).NotTo(ContainSubstring("does not exist"), "%s: %s", c.Type, c.Message)
		}
	}
}
