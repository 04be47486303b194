package deploytest

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/wss-operator/wss-operator/internal/testenv"
)

// kustomize renders the kustomization in dir (relative to the repository
// root) with kustomize's Go library, the same version kubectl v1.36 embeds,
// in kubectl's ("legacy") order: Namespaces and CRDs first.
func kustomize(g Gomega, dir string) []*unstructured.Unstructured {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), filepath.Join(env.Root, dir))
	g.Expect(err).NotTo(HaveOccurred(), "kustomize build %s", dir)
	data, err := m.AsYaml()
	g.Expect(err).NotTo(HaveOccurred())
	objs, err := testenv.DecodeObjects(data, dir)
	g.Expect(err).NotTo(HaveOccurred())
	return objs
}

// kubectlKustomize renders dir with `kubectl kustomize` (what
// `kubectl apply -k` does) using the control plane's kubectl.
func kubectlKustomize(g Gomega, dir string) []*unstructured.Unstructured {
	assets, err := testenv.BinaryAssets(env.Root)
	g.Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(assets, "kubectl"), "kustomize", filepath.Join(env.Root, dir))
	out, err := cmd.Output()
	g.Expect(err).NotTo(HaveOccurred(), "kubectl kustomize %s", dir)
	objs, err := testenv.DecodeObjects(out, "kubectl kustomize "+dir)
	g.Expect(err).NotTo(HaveOccurred())
	return objs
}

// apply server-side applies objs in order: Namespaces and CRDs first.
func apply(ctx context.Context, g Gomega, objs []*unstructured.Unstructured, namespace string) {
	first := func(o *unstructured.Unstructured) bool {
		return o.GetKind() == "Namespace" || o.GetKind() == "CustomResourceDefinition"
	}
	for _, pass := range []bool{true, false} {
		for _, o := range objs {
			if first(o) == pass {
				g.Expect(testenv.ApplyObject(ctx, env.Client, o.DeepCopy(), namespace)).To(Succeed())
			}
		}
	}
}

func TestKustomizeDefault(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const ns = "wss-operator-system"
	objs := kustomize(g, "config/default")
	g.Expect(kinds(objs)).To(ConsistOf(
		"Namespace/"+ns,
		"CustomResourceDefinition/"+crdName,
		"ServiceAccount/wss-operator-controller-manager",
		"ClusterRole/wss-operator-manager-role",
		"ClusterRoleBinding/wss-operator-manager-rolebinding",
		"Service/wss-operator-controller-manager-metrics",
		"Deployment/wss-operator-controller-manager",
	))
	for _, o := range objs {
		switch o.GetKind() {
		case "Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding":
			g.Expect(o.GetNamespace()).To(BeEmpty(), o.GetKind())
		default:
			g.Expect(o.GetNamespace()).To(Equal(ns), o.GetKind())
		}
		g.Expect(o.GetLabels()).To(HaveKeyWithValue("app.kubernetes.io/part-of", "wss-operator"), o.GetKind())
	}
	g.Expect(cmp.Diff(normalize(objs), normalize(kubectlKustomize(g, "config/default")))).To(BeEmpty(), "kubectl apply -k renders the same objects (-krusty +kubectl)")

	var role rbacv1.ClusterRole
	typed(g, objs, "ClusterRole", "", &role)
	g.Expect(cmp.Diff(roleRules(g), normalize(role.Rules))).To(BeEmpty(), "config/default grants exactly config/rbac/role.yaml (-role.yaml +rendered)")
	var binding rbacv1.ClusterRoleBinding
	typed(g, objs, "ClusterRoleBinding", "", &binding)
	g.Expect(binding.RoleRef.Name).To(Equal(role.Name))
	g.Expect(binding.Subjects).To(Equal([]rbacv1.Subject{{Kind: "ServiceAccount", Name: "wss-operator-controller-manager", Namespace: ns}}))

	bases := baseCRDs(g)
	var crds []string
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			crds = append(crds, o.GetName())
			g.Expect(cmp.Diff(normalize(bases[o.GetName()].Object["spec"]), normalize(o.Object["spec"]))).To(BeEmpty(), "config/default installs config/crd/bases")
		}
	}
	g.Expect(crds).To(HaveLen(len(bases)), "config/crd/kustomization.yaml lists every CRD of config/crd/bases")

	chart := readChart(g)
	var dep appsv1.Deployment
	typed(g, objs, "Deployment", "", &dep)
	pod := dep.Spec.Template.Spec
	g.Expect(pod.ServiceAccountName).To(Equal("wss-operator-controller-manager"))
	c := pod.Containers[0]
	g.Expect(c.Image).To(Equal("ghcr.io/wss-operator/wss-operator:"+chart.AppVersion), "config/manager deploys the chart's appVersion")
	g.Expect(envValue(c, "WSS_SIDECAR_IMAGE")).To(Equal(c.Image), "the sidecar image follows the operator image")
	g.Expect(c.Args).To(Equal(managerArgs))
	var svc corev1.Service
	typed(g, objs, "Service", "", &svc)
	g.Expect(svc.Spec.Ports).To(HaveLen(1))
	g.Expect(svc.Spec.Ports[0].Name).To(Equal("metrics"))
	g.Expect(svc.Spec.Ports[0].Port).To(BeEquivalentTo(8080))
	g.Expect(labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(dep.Spec.Template.Labels))).To(BeTrue())

	// Helm and kustomize run the same manager the same way.
	var helmDep appsv1.Deployment
	typed(g, rendered(g), "Deployment", "", &helmDep)
	hc := helmDep.Spec.Template.Spec.Containers[0]
	g.Expect(c.Ports).To(Equal(hc.Ports))
	g.Expect(c.SecurityContext).To(Equal(hc.SecurityContext))
	g.Expect(c.Resources).To(Equal(hc.Resources))
	g.Expect(envValue(c, "GOMEMLIMIT")).To(Equal(envValue(hc, "GOMEMLIMIT")), "the same GOMEMLIMIT for the same memory limit")
	g.Expect(c.LivenessProbe.HTTPGet).To(Equal(hc.LivenessProbe.HTTPGet))
	g.Expect(c.ReadinessProbe.HTTPGet).To(Equal(hc.ReadinessProbe.HTTPGet))
	g.Expect(pod.SecurityContext).To(Equal(helmDep.Spec.Template.Spec.SecurityContext))
	g.Expect(pod.NodeSelector).To(Equal(helmDep.Spec.Template.Spec.NodeSelector))

	crdEstablished(ctx, g)
	apply(ctx, g, objs, ns)
	got := &appsv1.Deployment{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: dep.Name}, got)).To(Succeed())
	g.Expect(got.Spec.Template.Spec.Containers[0].Image).To(Equal(c.Image))
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: role.Name}, &rbacv1.ClusterRole{})).To(Succeed())
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: svc.Name}, &corev1.Service{})).To(Succeed())
	crdEstablished(ctx, g)
}

func TestKustomizePrometheus(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	objs := kustomize(g, "config/prometheus")
	g.Expect(kinds(objs)).To(ConsistOf("ServiceMonitor/wss-operator-controller-manager-metrics"))
	sm := objs[0]
	g.Expect(sm.GetNamespace()).To(Equal("wss-operator-system"))

	var svc corev1.Service
	typed(g, kustomize(g, "config/default"), "Service", "", &svc)
	sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	g.Expect(labels.SelectorFromSet(sel).Matches(labels.Set(svc.Labels))).To(BeTrue(), "the ServiceMonitor selects config/default's metrics Service")
	endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	g.Expect(endpoints).To(ConsistOf(SatisfyAll(HaveKeyWithValue("port", svc.Spec.Ports[0].Name), HaveKeyWithValue("honorLabels", true))))

	g.Expect(env.EnsureNamespace(ctx, "wss-operator-system")).To(Succeed())
	apply(ctx, g, objs, "")
}
