package deploytest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wss-operator/wss-operator/internal/injection"
)

// TestHelmTemplateToggles covers the switches that ci/all-values.yaml leaves
// on (so that what they guard is rendered there) and the defaults that
// depend on other values.
func TestHelmTemplateToggles(t *testing.T) {
	cases := []struct {
		name  string
		set   []string
		check func(g Gomega, objs []*unstructured.Unstructured)
	}{
		{"crds.enabled=false", []string{"crds.enabled=false"}, func(g Gomega, objs []*unstructured.Unstructured) {
			g.Expect(kinds(objs)).NotTo(ContainElement(HavePrefix("CustomResourceDefinition/")))
		}},
		{"rbac.create=false", []string{"rbac.create=false"}, func(g Gomega, objs []*unstructured.Unstructured) {
			g.Expect(kinds(objs)).NotTo(ContainElement(HavePrefix("ClusterRole")))
		}},
		{"serviceAccount.create=false uses the named account", []string{"serviceAccount.create=false", "serviceAccount.name=existing"}, func(g Gomega, objs []*unstructured.Unstructured) {
			g.Expect(kinds(objs)).NotTo(ContainElement(HavePrefix("ServiceAccount/")))
			var dep appsv1.Deployment
			typed(g, objs, "Deployment", "", &dep)
			g.Expect(dep.Spec.Template.Spec.ServiceAccountName).To(Equal("existing"))
			var binding rbacv1.ClusterRoleBinding
			typed(g, objs, "ClusterRoleBinding", "", &binding)
			g.Expect(binding.Subjects[0].Name).To(Equal("existing"))
		}},
		{"serviceAccount.create=false without a name uses default", []string{"serviceAccount.create=false"}, func(g Gomega, objs []*unstructured.Unstructured) {
			var dep appsv1.Deployment
			typed(g, objs, "Deployment", "", &dep)
			g.Expect(dep.Spec.Template.Spec.ServiceAccountName).To(Equal("default"))
		}},
		{"automountServiceAccountToken=false", []string{"serviceAccount.automountServiceAccountToken=false"}, func(g Gomega, objs []*unstructured.Unstructured) {
			var dep appsv1.Deployment
			typed(g, objs, "Deployment", "", &dep)
			g.Expect(dep.Spec.Template.Spec.AutomountServiceAccountToken).To(HaveValue(BeFalse()))
		}},
		{"probes off", []string{"livenessProbe.enabled=false", "readinessProbe.enabled=false"}, func(g Gomega, objs []*unstructured.Unstructured) {
			var dep appsv1.Deployment
			typed(g, objs, "Deployment", "", &dep)
			g.Expect(dep.Spec.Template.Spec.Containers[0].LivenessProbe).To(BeNil())
			g.Expect(dep.Spec.Template.Spec.Containers[0].ReadinessProbe).To(BeNil())
		}},
		{"image.tag is the sidecar image too", []string{"image.tag=v1.2.3", "image.repository=registry.example.test/wss"}, func(g Gomega, objs []*unstructured.Unstructured) {
			var dep appsv1.Deployment
			typed(g, objs, "Deployment", "", &dep)
			c := dep.Spec.Template.Spec.Containers[0]
			g.Expect(c.Image).To(Equal("registry.example.test/wss:v1.2.3"))
			g.Expect(envValue(c, "WSS_SIDECAR_IMAGE")).To(Equal("registry.example.test/wss:v1.2.3"))
		}},
		{"default alerts", []string{"prometheus.rules.enabled=true"}, func(g Gomega, objs []*unstructured.Unstructured) {
			rule, err := find(objs, "PrometheusRule", "wss-wss-operator")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(rule.GetNamespace()).To(Equal("wss-system"))
			alerts := alertsOf(g, rule)
			g.Expect(alerts).To(HaveLen(3))
			fail := alerts["WSSEndpointHandshakeFailing"]
			g.Expect(fail.Expr).To(ContainSubstring("wss_endpoint_ready) == 0"))
			g.Expect(fail.Expr).To(ContainSubstring("rate(wss_endpoint_handshake_failures_total[5m])"))
			g.Expect(fail.For).To(Equal("10m"))
			g.Expect(fail.Annotations["description"]).To(ContainSubstring("{{ $labels.reason }}"), "the reason label is in the annotation")
			g.Expect(fail.Annotations["summary"]).To(ContainSubstring("{{ $labels.name }}"))
			g.Expect(alerts["WSSCertificateExpiringSoon"].Expr).To(HaveSuffix("< 14 * 86400"))
			g.Expect(alerts["WSSCertificateExpiringSoon"].Annotations["description"]).To(ContainSubstring("{{ $value | humanizeDuration }}"))
			g.Expect(alerts["WSSSidecarReloadFailing"].Expr).To(Equal(`increase(wss_proxy_certificate_reloads_total{result="failure"}[15m]) > 0`))
			for name, a := range alerts {
				g.Expect(a.Labels).To(Equal(map[string]string{"severity": "warning"}), name)
			}
		}},
		{"alerts one by one", []string{"prometheus.rules.enabled=true", "prometheus.rules.handshakeFailing.enabled=false", "prometheus.rules.sidecarReloadFailing.enabled=false"}, func(g Gomega, objs []*unstructured.Unstructured) {
			rule, err := find(objs, "PrometheusRule", "")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(alertsOf(g, rule)).To(HaveKey("WSSCertificateExpiringSoon"))
			g.Expect(alertsOf(g, rule)).To(HaveLen(1))
		}},
		{"GOMEMLIMIT follows the memory limit", []string{"resources.limits.memory=1Gi"}, func(g Gomega, objs []*unstructured.Unstructured) {
			var dep appsv1.Deployment
			typed(g, objs, "Deployment", "", &dep)
			g.Expect(envValue(dep.Spec.Template.Spec.Containers[0], "GOMEMLIMIT")).To(Equal("536870912"), "50% of 1Gi in bytes")
		}},
		{"GOMEMLIMIT from a plain byte limit and a percent", []string{"resources.limits.memory=500M", "goMemLimitPercent=50"}, func(g Gomega, objs []*unstructured.Unstructured) {
			var dep appsv1.Deployment
			typed(g, objs, "Deployment", "", &dep)
			g.Expect(envValue(dep.Spec.Template.Spec.Containers[0], "GOMEMLIMIT")).To(Equal("250000000"))
		}},
		{"goMemLimit overrides", []string{"goMemLimit=200MiB"}, func(g Gomega, objs []*unstructured.Unstructured) {
			var dep appsv1.Deployment
			typed(g, objs, "Deployment", "", &dep)
			g.Expect(envValue(dep.Spec.Template.Spec.Containers[0], "GOMEMLIMIT")).To(Equal("200MiB"))
		}},
		{"no GOMEMLIMIT with goMemLimitPercent=0 or without a memory limit", []string{"goMemLimitPercent=0"}, func(g Gomega, objs []*unstructured.Unstructured) {
			var dep appsv1.Deployment
			typed(g, objs, "Deployment", "", &dep)
			for _, e := range dep.Spec.Template.Spec.Containers[0].Env {
				g.Expect(e.Name).NotTo(Equal("GOMEMLIMIT"))
			}
		}},
		{"monitors default to the release namespace", []string{"prometheus.serviceMonitor.enabled=true", "prometheus.podMonitor.enabled=true"}, func(g Gomega, objs []*unstructured.Unstructured) {
			for _, kind := range []string{"ServiceMonitor", "PodMonitor"} {
				o, err := find(objs, kind, "")
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(o.GetNamespace()).To(Equal("wss-system"), kind)
			}
			pm, _ := find(objs, "PodMonitor", "")
			port, _, _ := unstructured.NestedSlice(pm.Object, "spec", "podMetricsEndpoints")
			g.Expect(port).To(ConsistOf(HaveKeyWithValue("port", injection.AdminPortName)), "the PodMonitor scrapes the sidecar's admin port by its name")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			var args []string
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			tc.check(g, rendered(g, args...))
		})
	}
}

// TestHelmSchemaRejectsBadValues: values.schema.json turns mistakes into
// errors at template/install/lint time instead of surprising manifests.
func TestHelmSchemaRejectsBadValues(t *testing.T) {
	cases := []struct{ name, values, want string }{
		{"replicaCount as a word", `replicaCount: "two"`, "at '/replicaCount': got string, want integer"},
		{"negative replicaCount", `replicaCount: -1`, "/replicaCount"},
		{"unknown top-level key", `replicas: 2`, "additional properties 'replicas' not allowed"},
		{"unknown nested key", `image: {name: wss}`, "additional properties 'name' not allowed"},
		{"misspelt crds switch", `crds: {enable: false}`, "additional properties 'enable' not allowed"},
		{"crds.enabled as a string", `crds: {enabled: "no"}`, "/crds/enabled"},
		{"bad pull policy", `image: {pullPolicy: Sometimes}`, "/image/pullPolicy"},
		{"digest without algorithm", `image: {digest: 0123abcd}`, "/image/digest"},
		{"unknown Service type", `metrics: {service: {type: ExternalName}}`, "/metrics/service/type"},
		{"zero expiry days", `prometheus: {rules: {certificateExpiring: {days: 0}}}`, "/prometheus/rules/certificateExpiring/days"},
		{"interval not a Prometheus duration", `prometheus: {serviceMonitor: {interval: 30 seconds}}`, "/prometheus/serviceMonitor/interval"},
		{"env without a name", `extraEnv: [{value: x}]`, "missing property 'name'"},
		{"connect-to rule without a port", `probeConnectTo: ["echo.demo.svc=127.0.0.1:8443"]`, "/probeConnectTo/0"},
		{"API server port out of range", `apiServer: {host: 127.0.0.1, port: 70000}`, "/apiServer/port"},
		{"extraArgs as a string", `extraArgs: --zap-log-level=debug`, "/extraArgs"},
		{"annotation value not a string", `podAnnotations: {example.test/n: 1}`, "/podAnnotations/example.test~1n"},
		{"cpu request not a quantity", `resources: {requests: {cpu: lots}}`, "/resources/requests/cpu"},
		{"GOMEMLIMIT as a Kubernetes quantity", `goMemLimit: 200Mi`, "/goMemLimit"},
		{"goMemLimitPercent above 100", `goMemLimitPercent: 150`, "/goMemLimitPercent"},
		{"topology constraint without topologyKey", `topologySpreadConstraints: [{maxSkew: 1, whenUnsatisfiable: DoNotSchedule}]`, "missing property 'topologyKey'"},
	}
	dir := t.TempDir()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			g.Expect(os.WriteFile(file, []byte(tc.values+"\n"), 0o600)).To(Succeed())
			_, err := render("--values", file)
			g.Expect(err).To(HaveOccurred(), "case %d: %s must be rejected", i, tc.values)
			g.Expect(err.Error()).To(ContainSubstring("values don't meet the specifications of the schema"))
			g.Expect(err.Error()).To(ContainSubstring(tc.want))
		})
	}
	t.Run("helm lint", func(t *testing.T) {
		g := NewWithT(t)
		file := filepath.Join(dir, "lint.yaml")
		g.Expect(os.WriteFile(file, []byte("replicaCount: \"two\"\n"), 0o600)).To(Succeed())
		out, err := helm("lint", chartDir(), "--values", file)
		g.Expect(err).To(HaveOccurred())
		g.Expect(out).To(ContainSubstring("at '/replicaCount': got string, want integer"))
	})
}

// leafPaths lists the values the schema declares, as dotted paths: an object
// with "properties" is descended into; anything else (scalars, lists, and
// Kubernetes objects passed through, such as resources or affinity) is a leaf.
func leafPaths(schema map[string]any, prefix string, out *[]string) {
	props, _ := schema["properties"].(map[string]any)
	for name, sub := range props {
		if name == "global" {
			continue // Helm's own
		}
		s := sub.(map[string]any)
		p := strings.TrimPrefix(prefix+"."+name, ".")
		if _, nested := s["properties"]; nested && s["additionalProperties"] == false {
			leafPaths(s, p, out)
			continue
		}
		*out = append(*out, p)
	}
}

// lookup walks nested maps of a values document along path.
func lookup(v map[string]any, path ...string) (any, bool) {
	var cur any = v
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// TestAllValuesSetsEveryOption keeps values.yaml, values.schema.json and
// ci/all-values.yaml in step: every value the schema declares has a
// default, and ci/all-values.yaml sets it to something else, except the
// switches it must leave on to render what they guard (TestHelmTemplateToggles
// turns those off).
func TestAllValuesSetsEveryOption(t *testing.T) {
	g := NewWithT(t)
	data, err := os.ReadFile(filepath.Join(chartDir(), "values.schema.json"))
	g.Expect(err).NotTo(HaveOccurred())
	schema := map[string]any{}
	g.Expect(json.Unmarshal(data, &schema)).To(Succeed())
	var paths []string
	leafPaths(schema, "", &paths)
	sort.Strings(paths)
	g.Expect(len(paths)).To(BeNumerically(">", 50))

	leftOn := map[string]bool{
		"crds.enabled":          true,
		"rbac.create":           true,
		"serviceAccount.create": true,
		"serviceAccount.automountServiceAccountToken":   true,
		"livenessProbe.enabled":                         true,
		"readinessProbe.enabled":                        true,
		"prometheus.rules.handshakeFailing.enabled":     true,
		"prometheus.rules.certificateExpiring.enabled":  true,
		"prometheus.rules.sidecarReloadFailing.enabled": true,
	}
	defaults := readValues(g, "values.yaml")
	all := readValues(g, "ci/all-values.yaml")
	for _, p := range paths {
		def, ok := lookup(defaults, strings.Split(p, ".")...)
		g.Expect(ok).To(BeTrue(), "values.yaml has no default for %s", p)
		set, ok := lookup(all, strings.Split(p, ".")...)
		g.Expect(ok).To(BeTrue(), "ci/all-values.yaml does not set %s", p)
		if leftOn[p] {
			g.Expect(set).To(Equal(true), "%s stays on in ci/all-values.yaml", p)
			continue
		}
		g.Expect(reflect.DeepEqual(def, set)).To(BeFalse(), "ci/all-values.yaml sets %s to its default %v", p, def)
	}
}
