package deploytest

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// sample renders the sample kustomization in dir and returns its objects,
// its WSSEndpoint and its Deployment.
func sample(g Gomega, dir string) ([]*unstructured.Unstructured, wssv1.WSSEndpoint, appsv1.Deployment) {
	objs := kustomize(g, dir)
	var ep wssv1.WSSEndpoint
	typed(g, objs, "WSSEndpoint", "", &ep)
	var echo appsv1.Deployment
	typed(g, objs, "Deployment", "", &echo)
	return objs, ep, echo
}

// install applies objs into namespace ns, created if need be, once the
// WSSEndpoint CRD serves.
func install(ctx context.Context, g Gomega, objs []*unstructured.Unstructured, ns string) {
	g.Expect(env.EnsureNamespace(ctx, ns)).To(Succeed())
	crdEstablished(ctx, g)
	apply(ctx, g, objs, ns)
}

// TestSamples: config/samples renders, fits together (the WSSEndpoint points
// at the echo Deployment's port and at the sample CA Issuer) and is accepted
// by the API server with our CRD and cert-manager's.
func TestSamples(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	objs, ep, echo := sample(g, "config/samples")
	g.Expect(kinds(objs)).To(ConsistOf(
		"ClusterIssuer/wss-demo-selfsigned", "Certificate/demo-ca", "Issuer/demo-ca",
		"Deployment/echo", "WSSEndpoint/echo",
	))

	g.Expect(string(ep.Spec.WorkloadRef.Kind)).To(Equal("Deployment"))
	g.Expect(ep.Spec.WorkloadRef.Name).To(Equal(echo.Name))
	g.Expect(echo.Spec.Template.Spec.Containers).To(HaveLen(1))
	g.Expect(echo.Spec.Template.Spec.Containers[0].Ports).To(ContainElement(HaveField("ContainerPort", ep.Spec.Backend.Port)),
		"the echo server listens on the WSSEndpoint's backend port")
	g.Expect(ep.Spec.TLS.IssuerRef).NotTo(BeNil())
	_, err := find(objs, "Issuer", ep.Spec.TLS.IssuerRef.Name)
	g.Expect(err).NotTo(HaveOccurred(), "the WSSEndpoint's issuer is the sample CA Issuer")

	const ns = "wss-samples"
	install(ctx, g, objs, ns)
	got := &wssv1.WSSEndpoint{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: ep.Name}, got)).To(Succeed())
	g.Expect(got.Spec.Backend.Path).To(Equal("/ws"))
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: echo.Name}, &appsv1.Deployment{})).To(Succeed())
}

// TestSamplesHostNetwork: config/samples-hostnetwork, the sample for a node
// without a pod network (make e2e's), is the same sample with the echo pod
// on the node's network: a port that does not collide with the manager's,
// the local e2e echo image that is never pulled, and Recreate so the new pod
// does not wait for the old one's ports.
func TestSamplesHostNetwork(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	objs, ep, echo := sample(g, "config/samples-hostnetwork")
	g.Expect(kinds(objs)).To(ConsistOf(kinds(kustomize(g, "config/samples"))), "the same objects as the sample")

	pod := echo.Spec.Template.Spec
	g.Expect(pod.HostNetwork).To(BeTrue())
	g.Expect(pod.DNSPolicy).To(Equal(corev1.DNSClusterFirstWithHostNet))
	g.Expect(echo.Spec.Strategy.Type).To(Equal(appsv1.RecreateDeploymentStrategyType))
	c := pod.Containers[0]
	g.Expect(c.Image).To(Equal("wss-operator.local/e2e-echo:v1"))
	g.Expect(c.ImagePullPolicy).To(Equal(corev1.PullNever))
	g.Expect(ep.Spec.Backend.Port).To(BeEquivalentTo(18080))
	g.Expect(c.Ports).To(ConsistOf(HaveField("ContainerPort", ep.Spec.Backend.Port)))
	g.Expect(c.Env).To(ContainElement(corev1.EnvVar{Name: "PORT", Value: "18080"}), "the echo server listens on the backend port")

	const ns = "wss-samples-hostnetwork"
	install(ctx, g, objs, ns)
	got := &appsv1.Deployment{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: echo.Name}, got)).To(Succeed())
	g.Expect(got.Spec.Template.Spec.HostNetwork).To(BeTrue())
}
