package deploytest

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// managerArgs are the manager's arguments in every install path.
var managerArgs = []string{"manager", "--leader-elect", "--metrics-bind-address=:8080", "--health-probe-bind-address=:8081"}

// chartMeta is what the tests need from Chart.yaml.
type chartMeta struct {
	Version    string `json:"version"`
	AppVersion string `json:"appVersion"`
}

func readChart(g Gomega) chartMeta {
	var c chartMeta
	readChartFile(g, "Chart.yaml", &c)
	g.Expect(c.AppVersion).NotTo(BeEmpty(), "Chart.yaml appVersion")
	return c
}

// readValues decodes a values file of the chart.
func readValues(g Gomega, name string) map[string]any {
	v := map[string]any{}
	readChartFile(g, name, &v)
	return v
}

// rendered is render that expects the chart to render.
func rendered(g Gomega, args ...string) []*unstructured.Unstructured {
	objs, err := render(args...)
	g.Expect(err).NotTo(HaveOccurred())
	return objs
}

// valuesArgs are the arguments for a values file of the chart (none for "").
func valuesArgs(file string) []string {
	if file == "" {
		return nil
	}
	return []string{"--values", filepath.Join(chartDir(), file)}
}

// readChartFile decodes a YAML file of the chart into out.
func readChartFile(g Gomega, name string, out any) {
	data, err := os.ReadFile(filepath.Join(chartDir(), name))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(yaml.Unmarshal(data, out)).To(Succeed(), name)
}

// chartKinds lists, as kinds does, the objects the chart always renders for
// a release whose full name is fullname and whose ServiceAccount is sa.
func chartKinds(fullname, sa string) []string {
	return []string{
		"CustomResourceDefinition/" + crdName,
		"ServiceAccount/" + sa,
		"ClusterRole/" + fullname + "-manager",
		"ClusterRoleBinding/" + fullname + "-manager",
		"Service/" + fullname + "-metrics",
		"Deployment/" + fullname,
	}
}

// typed converts the one object of kind/name in objs into out.
func typed(g Gomega, objs []*unstructured.Unstructured, kind, name string, out any) {
	u, err := find(objs, kind, name)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out)).To(Succeed())
}

// envValue is the value of the container's environment variable name ("" when unset).
func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func TestHelmLint(t *testing.T) {
	for _, values := range []string{"", "ci/all-values.yaml"} {
		t.Run("values="+values, func(t *testing.T) {
			g := NewWithT(t)
			out, err := helm(append([]string{"lint", "--strict", chartDir()}, valuesArgs(values)...)...)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(out).To(ContainSubstring("1 chart(s) linted, 0 chart(s) failed"))
			g.Expect(out).NotTo(ContainSubstring("[WARNING]"))
			g.Expect(out).NotTo(ContainSubstring("[ERROR]"))
		})
	}
}

func TestHelmTemplateDefaults(t *testing.T) {
	g := NewWithT(t)
	chart := readChart(g)
	objs := rendered(g)
	g.Expect(kinds(objs)).To(ConsistOf(chartKinds("wss-wss-operator", "wss-wss-operator")), "default values render no Prometheus Operator objects")

	image := "ghcr.io/wss-operator/wss-operator:" + chart.AppVersion
	var dep appsv1.Deployment
	typed(g, objs, "Deployment", "wss-wss-operator", &dep)
	g.Expect(dep.Namespace).To(Equal("wss-system"))
	g.Expect(dep.Spec.Replicas).To(HaveValue(BeEquivalentTo(1)))
	sel, err := labels.ValidatedSelectorFromSet(dep.Spec.Selector.MatchLabels)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(sel.Matches(labels.Set(dep.Spec.Template.Labels))).To(BeTrue(), "the selector selects the pod template")
	pod := dep.Spec.Template.Spec
	g.Expect(pod.ServiceAccountName).To(Equal("wss-wss-operator"))
	g.Expect(pod.SecurityContext.RunAsNonRoot).To(HaveValue(BeTrue()))
	g.Expect(pod.SecurityContext.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))
	g.Expect(pod.NodeSelector).To(Equal(map[string]string{"kubernetes.io/os": "linux"}))
	g.Expect(pod.Containers).To(HaveLen(1))

	c := pod.Containers[0]
	g.Expect(c.Name).To(Equal("manager"))
	g.Expect(c.Image).To(Equal(image), "the image tag defaults to the chart's appVersion")
	g.Expect(c.Args).To(Equal(managerArgs))
	g.Expect(envValue(c, "WSS_SIDECAR_IMAGE")).To(Equal(image), "the sidecar is the operator's own image")
	g.Expect(envValue(c, "GOMEMLIMIT")).To(Equal("67108864"), "GOMEMLIMIT is 50% of the 128Mi memory limit")
	g.Expect(c.Env).To(HaveLen(2), "the sidecar image and GOMEMLIMIT; no API server override: client-go uses the kubernetes Service")
	g.Expect(pod.HostNetwork).To(BeFalse())
	g.Expect(c.Ports).To(ConsistOf(
		corev1.ContainerPort{Name: "metrics", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
		corev1.ContainerPort{Name: "health", ContainerPort: 8081, Protocol: corev1.ProtocolTCP},
	))
	g.Expect(c.LivenessProbe.HTTPGet.Path).To(Equal("/healthz"))
	g.Expect(c.LivenessProbe.HTTPGet.Port).To(Equal(intstr.FromString("health")))
	g.Expect(c.ReadinessProbe.HTTPGet.Path).To(Equal("/readyz"))
	g.Expect(c.ReadinessProbe.HTTPGet.Port).To(Equal(intstr.FromString("health")))
	sc := c.SecurityContext
	g.Expect(sc.RunAsNonRoot).To(HaveValue(BeTrue()))
	g.Expect(sc.ReadOnlyRootFilesystem).To(HaveValue(BeTrue()))
	g.Expect(sc.AllowPrivilegeEscalation).To(HaveValue(BeFalse()))
	g.Expect(sc.Capabilities.Drop).To(Equal([]corev1.Capability{"ALL"}))
	g.Expect(sc.Capabilities.Add).To(BeEmpty())
	g.Expect(sc.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))
	g.Expect(c.Resources.Requests).To(HaveKey(corev1.ResourceCPU))
	g.Expect(c.Resources.Requests).To(HaveKey(corev1.ResourceMemory))
	g.Expect(c.Resources.Limits).To(HaveKey(corev1.ResourceMemory))

	var svc corev1.Service
	typed(g, objs, "Service", "wss-wss-operator-metrics", &svc)
	g.Expect(svc.Spec.Ports).To(Equal([]corev1.ServicePort{{Name: "metrics", Port: 8080, TargetPort: intstr.FromString("metrics"), Protocol: corev1.ProtocolTCP}}))
	g.Expect(labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(dep.Spec.Template.Labels))).To(BeTrue(), "the metrics Service selects the manager pods")

	var role rbacv1.ClusterRole
	typed(g, objs, "ClusterRole", "", &role)
	var binding rbacv1.ClusterRoleBinding
	typed(g, objs, "ClusterRoleBinding", "", &binding)
	g.Expect(binding.RoleRef).To(Equal(rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name}))
	g.Expect(binding.Subjects).To(Equal([]rbacv1.Subject{{Kind: "ServiceAccount", Name: "wss-wss-operator", Namespace: "wss-system"}}))

	crd, err := find(objs, "CustomResourceDefinition", "")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(crd.GetAnnotations()).To(HaveKeyWithValue("helm.sh/resource-policy", "keep"), "crds.keep defaults to true")
	g.Expect(crd.GetLabels()).To(HaveKeyWithValue("app.kubernetes.io/managed-by", "Helm"))
}

// TestHelmTemplateAllValues checks that every value of ci/all-values.yaml
// lands where it should (TestAllValuesSetsEveryOption checks that the file
// sets every value).
func TestHelmTemplateAllValues(t *testing.T) {
	g := NewWithT(t)
	v := readValues(g, "ci/all-values.yaml")
	objs := rendered(g, valuesArgs("ci/all-values.yaml")...)
	g.Expect(kinds(objs)).To(ConsistOf(append(chartKinds("wss-all", "wss-all-sa"),
		"ServiceMonitor/wss-all", "PodMonitor/wss-all-sidecars", "PrometheusRule/wss-all")), "fullnameOverride names every object")
	for _, o := range objs {
		g.Expect(o.GetLabels()).To(HaveKeyWithValue("app.kubernetes.io/name", "wss"), "nameOverride on %s", o.GetKind())
	}

	crd, err := find(objs, "CustomResourceDefinition", "")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(crd.GetAnnotations()).NotTo(HaveKey("helm.sh/resource-policy"), "crds.keep: false")

	var sa corev1.ServiceAccount
	typed(g, objs, "ServiceAccount", "wss-all-sa", &sa)
	g.Expect(normalize(sa.Annotations)).To(Equal(at(v, "serviceAccount", "annotations")))
	g.Expect(sa.AutomountServiceAccountToken).To(HaveValue(BeTrue()))
	var binding rbacv1.ClusterRoleBinding
	typed(g, objs, "ClusterRoleBinding", "", &binding)
	g.Expect(binding.Subjects).To(Equal([]rbacv1.Subject{{Kind: "ServiceAccount", Name: "wss-all-sa", Namespace: "wss-system"}}))

	var dep appsv1.Deployment
	typed(g, objs, "Deployment", "wss-all", &dep)
	g.Expect(dep.Spec.Replicas).To(HaveValue(BeEquivalentTo(2)))
	g.Expect(normalize(dep.Annotations)).To(Equal(at(v, "deploymentAnnotations")))
	tmpl := dep.Spec.Template
	g.Expect(tmpl.Labels).To(HaveKeyWithValue("example.test/team", "platform"), "podLabels")
	g.Expect(dep.Spec.Selector.MatchLabels).NotTo(HaveKey("example.test/team"), "podLabels stay out of the immutable selector")
	g.Expect(tmpl.Annotations).To(HaveKeyWithValue("example.test/pod", "annotated"), "podAnnotations")
	pod := tmpl.Spec
	g.Expect(pod.ServiceAccountName).To(Equal("wss-all-sa"))
	g.Expect(pod.AutomountServiceAccountToken).To(HaveValue(BeTrue()))
	g.Expect(pod.ImagePullSecrets).To(Equal([]corev1.LocalObjectReference{{Name: "regcred"}}))
	g.Expect(pod.PriorityClassName).To(Equal("system-cluster-critical"))
	g.Expect(pod.TerminationGracePeriodSeconds).To(HaveValue(BeEquivalentTo(30)))
	g.Expect(normalize(pod.SecurityContext)).To(Equal(at(v, "podSecurityContext")))
	g.Expect(normalize(pod.NodeSelector)).To(Equal(at(v, "nodeSelector")))
	g.Expect(normalize(pod.Tolerations)).To(Equal(at(v, "tolerations")))
	g.Expect(normalize(pod.Affinity)).To(Equal(at(v, "affinity")))
	g.Expect(pod.TopologySpreadConstraints).To(HaveLen(2))
	g.Expect(pod.TopologySpreadConstraints[0].LabelSelector.MatchLabels).To(Equal(dep.Spec.Selector.MatchLabels), "a constraint without labelSelector spreads the manager pods")
	g.Expect(pod.TopologySpreadConstraints[1].LabelSelector.MatchLabels).To(Equal(map[string]string{"example.test/team": "platform"}))
	g.Expect(pod.TopologySpreadConstraints[1].MaxSkew).To(BeEquivalentTo(2))

	c := pod.Containers[0]
	g.Expect(c.Image).To(Equal("registry.example.test/wss/wss-operator@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), "image.digest wins over image.tag")
	g.Expect(c.ImagePullPolicy).To(Equal(corev1.PullAlways))
	g.Expect(c.Args).To(Equal(append(append([]string{}, managerArgs...),
		"--probe-connect-to=echo.demo.svc:443=127.0.0.1:8443", "--probe-connect-to=chat.demo.svc:443=127.0.0.1:9443",
		"--zap-log-level=debug", "--leader-election-lease-duration=30s")), "probeConnectTo, then extraArgs")
	g.Expect(pod.HostNetwork).To(BeTrue())
	g.Expect(pod.DNSPolicy).To(Equal(corev1.DNSClusterFirstWithHostNet), "hostNetwork keeps cluster DNS")
	g.Expect(envValue(c, "KUBERNETES_SERVICE_HOST")).To(Equal("192.0.2.10"), "apiServer.host")
	g.Expect(envValue(c, "KUBERNETES_SERVICE_PORT")).To(Equal("6443"), "apiServer.port")
	g.Expect(envValue(c, "WSS_SIDECAR_IMAGE")).To(Equal("registry.example.test/wss/sidecar:v9.9.9"), "sidecar.image")
	depU, err := find(objs, "Deployment", "")
	g.Expect(err).NotTo(HaveOccurred())
	containers, _, _ := unstructured.NestedSlice(depU.Object, "spec", "template", "spec", "containers")
	g.Expect(normalize(containers[0].(map[string]any)["env"].([]any)[3:])).To(Equal(at(v, "extraEnv")), "extraEnv follows WSS_SIDECAR_IMAGE and the API server address, so it can override them")
	g.Expect(normalize(c.SecurityContext)).To(Equal(at(v, "securityContext")))
	g.Expect(normalize(c.Resources)).To(Equal(at(v, "resources")))
	for probe, p := range map[string]*corev1.Probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe} {
		g.Expect(p).NotTo(BeNil(), probe)
		got := map[string]any{"enabled": true, "initialDelaySeconds": p.InitialDelaySeconds, "periodSeconds": p.PeriodSeconds, "timeoutSeconds": p.TimeoutSeconds, "failureThreshold": p.FailureThreshold}
		g.Expect(normalize(got)).To(Equal(at(v, probe)), probe)
	}

	var svc corev1.Service
	typed(g, objs, "Service", "wss-all-metrics", &svc)
	g.Expect(svc.Spec.Type).To(Equal(corev1.ServiceTypeNodePort))
	g.Expect(normalize(svc.Annotations)).To(Equal(at(v, "metrics", "service", "annotations")))
	g.Expect(svc.Labels).To(HaveKeyWithValue("example.test/scrape", "yes"))

	sm, err := find(objs, "ServiceMonitor", "")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(sm.GetNamespace()).To(Equal("monitoring"))
	g.Expect(sm.GetLabels()).To(HaveKeyWithValue("release", "kube-prometheus-stack"))
	g.Expect(sm.Object).To(HaveKeyWithValue("spec", HaveKeyWithValue("endpoints", ConsistOf(SatisfyAll(
		HaveKeyWithValue("port", "metrics"), HaveKeyWithValue("interval", "15s"),
		HaveKeyWithValue("scrapeTimeout", "10s"), HaveKeyWithValue("honorLabels", true))))))
	g.Expect(sm.Object).To(HaveKeyWithValue("spec", HaveKeyWithValue("namespaceSelector", HaveKeyWithValue("matchNames", ConsistOf("wss-system")))))
	smSelector, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	g.Expect(labels.SelectorFromSet(smSelector).Matches(labels.Set(svc.Labels))).To(BeTrue(), "the ServiceMonitor selects the metrics Service")

	pm, err := find(objs, "PodMonitor", "")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(pm.GetNamespace()).To(Equal("monitoring"))
	g.Expect(pm.GetLabels()).To(HaveKeyWithValue("release", "kube-prometheus-stack"))
	g.Expect(pm.Object).To(HaveKeyWithValue("spec", HaveKeyWithValue("podMetricsEndpoints", ConsistOf(SatisfyAll(
		HaveKeyWithValue("port", "wss-metrics"), HaveKeyWithValue("interval", "20s"))))))

	rule, err := find(objs, "PrometheusRule", "")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(rule.GetNamespace()).To(Equal("monitoring"))
	g.Expect(rule.GetLabels()).To(HaveKeyWithValue("release", "kube-prometheus-stack"))
	alerts := alertsOf(g, rule)
	g.Expect(alerts).To(HaveLen(3))
	for _, a := range alerts {
		g.Expect(a.Labels).To(HaveKeyWithValue("team", "platform"), "additionalAlertLabels on %s", a.Alert)
	}
	g.Expect(alerts["WSSEndpointHandshakeFailing"]).To(Equal(alertRule{Alert: "WSSEndpointHandshakeFailing", For: "3m",
		Expr:        "(max by (namespace, name) (wss_endpoint_ready) == 0)\nor\n(sum by (reason) (rate(wss_endpoint_handshake_failures_total[2m])) > 0)",
		Labels:      map[string]string{"severity": "critical", "team": "platform"},
		Annotations: alerts["WSSEndpointHandshakeFailing"].Annotations}))
	g.Expect(alerts["WSSCertificateExpiringSoon"].Expr).To(Equal("wss_endpoint_certificate_expiration_timestamp_seconds - time() < 21 * 86400"))
	g.Expect(alerts["WSSCertificateExpiringSoon"].For).To(Equal("30m"))
	g.Expect(alerts["WSSCertificateExpiringSoon"].Labels).To(HaveKeyWithValue("severity", "info"))
	g.Expect(alerts["WSSCertificateExpiringSoon"].Annotations["description"]).To(ContainSubstring("less than 21 days"))
	g.Expect(alerts["WSSSidecarReloadFailing"].Expr).To(Equal(`increase(wss_proxy_certificate_reloads_total{result="failure"}[30m]) > 0`))
	g.Expect(alerts["WSSSidecarReloadFailing"].For).To(Equal("5m"))
	g.Expect(alerts["WSSSidecarReloadFailing"].Labels).To(HaveKeyWithValue("severity", "critical"))
	g.Expect(alerts["WSSSidecarReloadFailing"].Annotations["description"]).To(ContainSubstring("last 30m"))
}

// at is the value at path in a values document (nil if absent), normalized.
func at(v map[string]any, path ...string) any {
	cur, _ := lookup(v, path...)
	return normalize(cur)
}

// alertRule is one rule of a PrometheusRule.
type alertRule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// alertsOf returns the rules of a PrometheusRule by alert name.
func alertsOf(g Gomega, rule *unstructured.Unstructured) map[string]alertRule {
	var spec struct {
		Groups []struct {
			Name  string      `json:"name"`
			Rules []alertRule `json:"rules"`
		} `json:"groups"`
	}
	g.Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(rule.Object["spec"].(map[string]any), &spec)).To(Succeed())
	out := map[string]alertRule{}
	for _, grp := range spec.Groups {
		for _, r := range grp.Rules {
			g.Expect(out).NotTo(HaveKey(r.Alert), "alert %s defined twice", r.Alert)
			out[r.Alert] = r
		}
	}
	return out
}
