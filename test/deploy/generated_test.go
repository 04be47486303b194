package deploytest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wss-operator/wss-operator/internal/testenv"
)

// roleRules returns the rules of controller-gen's ClusterRole,
// config/rbac/role.yaml. The chart and config/default render exactly these.
func roleRules(g Gomega) any {
	objs, err := testenv.ReadObjects(filepath.Join(env.Root, "config", "rbac", "role.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(objs).To(HaveLen(1), "config/rbac/role.yaml holds more than controller-gen's ClusterRole "+
		"(namespaced +kubebuilder:rbac markers?): teach charts/wss-operator/templates/rbac.yaml and config/rbac about it")
	g.Expect(objs[0].GetKind()).To(Equal("ClusterRole"))
	rules, ok := objs[0].Object["rules"]
	g.Expect(ok).To(BeTrue(), "role.yaml has rules")
	return normalize(rules)
}

// baseCRDs returns the CRDs controller-gen writes into config/crd/bases.
func baseCRDs(g Gomega) map[string]*unstructured.Unstructured {
	files, err := filepath.Glob(filepath.Join(env.Root, "config", "crd", "bases", "*.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(files).NotTo(BeEmpty())
	out := map[string]*unstructured.Unstructured{}
	for _, f := range files {
		crd, err := readOne(f)
		g.Expect(err).NotTo(HaveOccurred())
		out[crd.GetName()] = crd
	}
	return out
}

// TestChartRBACMatchesRoleYAML: the chart's ClusterRole grants exactly what
// controller-gen derived from the +kubebuilder:rbac markers.
func TestChartRBACMatchesRoleYAML(t *testing.T) {
	g := NewWithT(t)
	want := roleRules(g)

	role, err := os.ReadFile(filepath.Join(env.Root, "config", "rbac", "role.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	copied, err := os.ReadFile(filepath.Join(chartDir(), "files", "role.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(copied)).To(HaveSuffix(string(role)), "charts/wss-operator/files/role.yaml is stale: run make manifests")

	for _, values := range []string{"", "ci/all-values.yaml"} {
		cr, err := find(rendered(g, valuesArgs(values)...), "ClusterRole", "")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cmp.Diff(want, normalize(cr.Object["rules"]))).To(BeEmpty(), "ClusterRole rules (-role.yaml +chart) with values %q: run make manifests", values)
	}
}

// TestChartCRDsMatchBases: the chart's CRD templates are config/crd/bases
// plus the chart's labels and, with crds.keep, the keep annotation.
func TestChartCRDsMatchBases(t *testing.T) {
	g := NewWithT(t)
	bases := baseCRDs(g)
	for _, keep := range []bool{true, false} {
		var crds []string
		for _, o := range rendered(g, "--set", "crds.keep="+map[bool]string{true: "true", false: "false"}[keep]) {
			if o.GetKind() != "CustomResourceDefinition" {
				continue
			}
			crds = append(crds, o.GetName())
			base, ok := bases[o.GetName()]
			g.Expect(ok).To(BeTrue(), "chart CRD %s is not in config/crd/bases: run make manifests", o.GetName())
			ann := o.GetAnnotations()
			if keep {
				g.Expect(ann).To(HaveKeyWithValue("helm.sh/resource-policy", "keep"))
			} else {
				g.Expect(ann).NotTo(HaveKey("helm.sh/resource-policy"))
			}
			g.Expect(o.GetLabels()).To(HaveKeyWithValue("app.kubernetes.io/instance", "wss"))

			got := o.DeepCopy()
			got.SetLabels(nil)
			delete(ann, "helm.sh/resource-policy")
			got.SetAnnotations(ann)
			g.Expect(cmp.Diff(normalize(base.Object), normalize(got.Object))).To(BeEmpty(),
				"charts/wss-operator/templates/crd-*.yaml is stale (-config/crd/bases +chart): run make manifests")
		}
		g.Expect(crds).To(HaveLen(len(bases)), "every CRD of config/crd/bases is in the chart")
	}
}
