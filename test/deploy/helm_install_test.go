package deploytest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const crdName = "wssendpoints.wss.operator.dev"

// crdEstablished waits until the WSSEndpoint CRD serves.
func crdEstablished(ctx context.Context, g Gomega) {
	g.Eventually(func(g Gomega) {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: crdName}, crd)).To(Succeed())
		g.Expect(crd.Status.Conditions).To(ContainElement(SatisfyAll(
			HaveField("Type", apiextensionsv1.Established), HaveField("Status", apiextensionsv1.ConditionTrue))))
	}).WithTimeout(60 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())
}

// exists asserts that an object of the given kind exists.
func exists(ctx context.Context, g Gomega, gvk schema.GroupVersionKind, namespace, name string) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u)).To(Succeed(), "%s %s/%s", gvk.Kind, namespace, name)
}

// TestHelmInstall installs the chart with the pinned helm into the local API
// server as a user would: into a cluster without the CRD, with default
// values, then a second release with every value set, then uninstalls. There
// is no kubelet, so nothing waits for pods.
func TestHelmInstall(t *testing.T) {
	g := NewWithT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// testenv installed the CRD from config/crd/bases; a fresh cluster has none.
	crd := &apiextensionsv1.CustomResourceDefinition{}
	crd.Name = crdName
	g.Expect(client.IgnoreNotFound(env.Client.Delete(ctx, crd))).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(env.Client.Get(ctx, client.ObjectKey{Name: crdName}, &apiextensionsv1.CustomResourceDefinition{}))
	}).WithTimeout(60 * time.Second).WithPolling(200 * time.Millisecond).Should(BeTrue())
	// Whatever happens below, leave a served CRD for the other tests.
	defer crdEstablished(ctx, g)

	t.Run("schema violation fails before anything is created", func(t *testing.T) {
		g := NewWithT(t)
		_, err := helm("install", "bad", chartDir(), "--namespace", "wss-bad", "--create-namespace",
			"--kubeconfig", env.KubeconfigPath, "--set-string", "replicaCount=two")
		g.Expect(err).To(HaveOccurred())
		g.Expect(err.Error()).To(ContainSubstring("at '/replicaCount': got string, want integer"))
		err = env.Client.Get(ctx, client.ObjectKey{Name: "bad-wss-operator-manager"}, &rbacv1.ClusterRole{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "no object of the rejected release exists: %v", err)
	})

	const ns = "wss-helm"
	out, err := helm("install", "wss", chartDir(), "--namespace", ns, "--create-namespace", "--kubeconfig", env.KubeconfigPath)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(ContainSubstring("STATUS: deployed"))
	g.Expect(out).To(ContainSubstring("kubectl get wss -A"), "NOTES.txt says what to do next")
	g.Expect(out).To(ContainSubstring("Issuer"))

	crdEstablished(ctx, g)
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: crdName}, crd)).To(Succeed())
	g.Expect(crd.Annotations).To(HaveKeyWithValue("meta.helm.sh/release-name", "wss"), "the release owns the CRD")
	g.Expect(crd.Annotations).To(HaveKeyWithValue("helm.sh/resource-policy", "keep"))

	dep := &appsv1.Deployment{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "wss-wss-operator"}, dep)).To(Succeed())
	g.Expect(dep.Spec.Template.Spec.Containers[0].Args).To(Equal(managerArgs))
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "wss-wss-operator"}, &corev1.ServiceAccount{})).To(Succeed())
	svc := &corev1.Service{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "wss-wss-operator-metrics"}, svc)).To(Succeed())
	g.Expect(svc.Spec.ClusterIP).NotTo(BeEmpty(), "the API server allocated the Service (never dialed)")
	role := &rbacv1.ClusterRole{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: "wss-wss-operator-manager"}, role)).To(Succeed())
	g.Expect(normalize(role.Rules)).To(Equal(roleRules(g)))
	binding := &rbacv1.ClusterRoleBinding{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: "wss-wss-operator-manager"}, binding)).To(Succeed())
	g.Expect(binding.Subjects).To(Equal([]rbacv1.Subject{{Kind: "ServiceAccount", Name: "wss-wss-operator", Namespace: ns}}))

	t.Run("every value, beside the first release", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(env.EnsureNamespace(ctx, "monitoring")).To(Succeed())
		// The CRD belongs to the first release; a second one must not take it.
		out, err := helm("install", "all", chartDir(), "--namespace", "wss-all", "--create-namespace", "--kubeconfig", env.KubeconfigPath,
			"--values", filepath.Join(chartDir(), "ci", "all-values.yaml"), "--set", "crds.enabled=false")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out).To(ContainSubstring("crds.enabled is false"))
		dep := &appsv1.Deployment{}
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: "wss-all", Name: "wss-all"}, dep)).To(Succeed())
		g.Expect(dep.Spec.Replicas).To(HaveValue(BeEquivalentTo(2)))
		for _, kind := range []string{"ServiceMonitor", "PodMonitor", "PrometheusRule"} {
			name := "wss-all"
			if kind == "PodMonitor" {
				name = "wss-all-sidecars"
			}
			exists(ctx, g, schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: kind}, "monitoring", name)
		}
		_, err = helm("uninstall", "all", "--namespace", "wss-all", "--kubeconfig", env.KubeconfigPath)
		g.Expect(err).NotTo(HaveOccurred())
	})

	t.Run("uninstall keeps the CRD", func(t *testing.T) {
		g := NewWithT(t)
		_, err := helm("uninstall", "wss", "--namespace", ns, "--kubeconfig", env.KubeconfigPath)
		g.Expect(err).NotTo(HaveOccurred())
		err = env.Client.Get(ctx, client.ObjectKey{Name: "wss-wss-operator-manager"}, &rbacv1.ClusterRole{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the release's ClusterRole is gone: %v", err)
		g.Eventually(func(g Gomega) {
			err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "wss-wss-operator"}, &appsv1.Deployment{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the Deployment is gone: %v", err)
		}).WithTimeout(30 * time.Second).Should(Succeed())
		crd := &apiextensionsv1.CustomResourceDefinition{}
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Name: crdName}, crd)).To(Succeed(), "helm.sh/resource-policy: keep")
		g.Expect(crd.DeletionTimestamp).To(BeNil())
	})
}
