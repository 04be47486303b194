package injection

import (
	"testing"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

func TestWorkload(t *testing.T) {
	tmpl, _ := PodTemplate(params(endpoint()))
	tmplJSON := mustJSON(t, tmpl)
	kinds := []wssv1.WorkloadKind{wssv1.WorkloadDeployment, wssv1.WorkloadStatefulSet, wssv1.WorkloadDaemonSet}
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			g := NewWithT(t)
			ac, err := Workload(kind, "demo", "chat", tmpl)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(mustJSON(t, ac)).To(MatchJSON(`{
				"apiVersion": "apps/v1", "kind": "` + string(kind) + `",
				"metadata": {"name": "chat", "namespace": "demo"},
				"spec": {"template": ` + tmplJSON + `}
			}`))
		})
		t.Run(string(kind)+" empty intent", func(t *testing.T) {
			g := NewWithT(t)
			ac, err := Workload(kind, "demo", "chat", nil)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(mustJSON(t, ac)).To(MatchJSON(`{
				"apiVersion": "apps/v1", "kind": "` + string(kind) + `",
				"metadata": {"name": "chat", "namespace": "demo"}
			}`))
		})
	}
	t.Run("unknown kind", func(t *testing.T) {
		g := NewWithT(t)
		ac, err := Workload("ReplicaSet", "demo", "chat", tmpl)
		g.Expect(err).To(MatchError(ContainSubstring(`workload kind "ReplicaSet"`)))
		g.Expect(ac).To(BeNil())
	})
}
