package injection

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// These tests run real server-side apply (structured-merge-diff with the
// apps/v1 schema, in controller-runtime's fake client; no API server) to pin
// the contract the controller relies on: applying PodTemplate under our field
// manager adds only our fields, survives the owner re-applying their own
// manifest, follows configuration changes without leftovers, and applying
// the empty intent restores the owner's template exactly.

const (
	ourManager  = "wss-operator"
	userManager = "kubectl"
)

// userWorkload is the owner's own manifest of a workload, as they apply it.
func userWorkload(kind wssv1.WorkloadKind, name, image string) runtime.ApplyConfiguration {
	sel := metav1ac.LabelSelector().WithMatchLabels(map[string]string{"app": "chat"})
	tmpl := corev1ac.PodTemplateSpec().
		WithLabels(map[string]string{"app": "chat"}).
		WithAnnotations(map[string]string{"team": "realtime"}).
		WithSpec(corev1ac.PodSpec().
			WithTerminationGracePeriodSeconds(45).
			WithInitContainers(corev1ac.Container().WithName("migrate").WithImage(image).WithArgs("migrate")).
			WithContainers(corev1ac.Container().WithName("app").WithImage(image).
				WithPorts(corev1ac.ContainerPort().WithName("ws").WithContainerPort(8080).WithProtocol(corev1.ProtocolTCP))).
			WithVolumes(corev1ac.Volume().WithName("config").
				WithConfigMap(corev1ac.ConfigMapVolumeSource().WithName("chat"))))
	switch kind {
	case wssv1.WorkloadStatefulSet:
		return appsv1ac.StatefulSet(name, "demo").WithSpec(appsv1ac.StatefulSetSpec().
			WithServiceName("chat").WithSelector(sel).WithTemplate(tmpl))
	case wssv1.WorkloadDaemonSet:
		return appsv1ac.DaemonSet(name, "demo").WithSpec(appsv1ac.DaemonSetSpec().WithSelector(sel).WithTemplate(tmpl))
	default:
		return appsv1ac.Deployment(name, "demo").WithSpec(appsv1ac.DeploymentSpec().
			WithReplicas(2).WithSelector(sel).WithTemplate(tmpl))
	}
}

// getTemplate reads a workload's pod template.
func getTemplate(g Gomega, c client.Client, kind wssv1.WorkloadKind, name string) *corev1.PodTemplateSpec {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: string(kind)})
	g.Expect(c.Get(context.Background(), client.ObjectKey{Namespace: "demo", Name: name}, u)).To(Succeed())
	raw, found, err := unstructured.NestedMap(u.Object, "spec", "template")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(found).To(BeTrue())
	var tmpl corev1.PodTemplateSpec
	g.Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &tmpl)).To(Succeed())
	return &tmpl
}

func containerNames(cs []corev1.Container) []string {
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	return names
}

func volumeNames(vs []corev1.Volume) []string {
	var names []string
	for _, v := range vs {
		names = append(names, v.Name)
	}
	return names
}

func TestServerSideApplyContract(t *testing.T) {
	kinds := []wssv1.WorkloadKind{wssv1.WorkloadDeployment, wssv1.WorkloadStatefulSet, wssv1.WorkloadDaemonSet}
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			g := NewWithT(t)
			ctx := context.Background()
			c := fake.NewClientBuilder().Build()
			apply := func(ac runtime.ApplyConfiguration, manager string) {
				t.Helper()
				g.Expect(c.Apply(ctx, ac, client.FieldOwner(manager), client.ForceOwnership)).To(Succeed())
			}
			inject := func(p Params) string {
				t.Helper()
				tmpl, hash := PodTemplate(p)
				ac, err := Workload(kind, "demo", "chat", tmpl)
				g.Expect(err).NotTo(HaveOccurred())
				apply(ac, ourManager)
				return hash
			}

			// The owner's workload, and an identical control copy we never touch.
			apply(userWorkload(kind, "chat", "chat:1"), userManager)
			apply(userWorkload(kind, "control", "chat:1"), userManager)
			g.Expect(getTemplate(g, c, kind, "chat")).To(Equal(getTemplate(g, c, kind, "control")))

			// Inject: our fields join the owner's.
			ep := endpoint()
			hash := inject(params(ep))
			got := getTemplate(g, c, kind, "chat")
			// Apply appends new list entries: the owner's init containers run
			// to completion before the sidecar starts (it serves inbound only).
			g.Expect(containerNames(got.Spec.InitContainers)).To(Equal([]string{"migrate", ContainerName}))
			g.Expect(containerNames(got.Spec.Containers)).To(Equal([]string{"app"}))
			g.Expect(volumeNames(got.Spec.Volumes)).To(Equal([]string{"config", VolumeName}))
			g.Expect(got.Labels).To(Equal(map[string]string{"app": "chat", EndpointLabel: "chat"}))
			g.Expect(got.Annotations).To(Equal(map[string]string{"team": "realtime", ConfigHashAnnotation: hash}))
			g.Expect(Injected(got, hash)).To(BeTrue())
			g.Expect(Conflicts(got, ep)).To(BeEmpty())
			exceeds, _ := DrainExceedsGracePeriod(got, ep)
			g.Expect(exceeds).To(BeFalse())

			// A configuration change replaces ours without leftovers.
			caHash := inject(params(endpoint(withClientAuth(wssv1.ClientAuthRequire, "clients-ca"))))
			got = getTemplate(g, c, kind, "chat")
			g.Expect(Injected(got, caHash)).To(BeTrue())
			g.Expect(Injected(got, hash)).To(BeFalse())
			vol := got.Spec.Volumes[len(got.Spec.Volumes)-1]
			g.Expect(vol.Name).To(Equal(VolumeName))
			g.Expect(vol.Projected.Sources).To(HaveLen(2))
			hash = inject(params(ep))
			got = getTemplate(g, c, kind, "chat")
			g.Expect(Injected(got, hash)).To(BeTrue())
			for _, v := range got.Spec.Volumes {
				if v.Name == VolumeName {
					g.Expect(v.Projected.Sources).To(HaveLen(1))
				}
			}
			for _, ic := range got.Spec.InitContainers {
				if ic.Name == ContainerName {
					g.Expect(ic.Args).To(Equal(Args(ep)))
				}
			}

			// The owner re-applies their manifest (a new image): ours stays.
			apply(userWorkload(kind, "chat", "chat:2"), userManager)
			apply(userWorkload(kind, "control", "chat:2"), userManager)
			got = getTemplate(g, c, kind, "chat")
			g.Expect(Injected(got, hash)).To(BeTrue())
			g.Expect(got.Spec.Containers[0].Image).To(Equal("chat:2"))

			// The empty intent removes exactly our fields.
			empty, err := Workload(kind, "demo", "chat", nil)
			g.Expect(err).NotTo(HaveOccurred())
			apply(empty, ourManager)
			got = getTemplate(g, c, kind, "chat")
			g.Expect(Injected(got, hash)).To(BeFalse())
			g.Expect(got).To(Equal(getTemplate(g, c, kind, "control")))
		})
	}
}
