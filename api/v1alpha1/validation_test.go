package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var err error
	env, err = testenv.Start(ctx, testenv.Options{})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

const validSpec = `
workloadRef: {kind: Deployment, name: echo}
backend: {port: 8080}
tls:
  issuerRef: {name: demo-ca}
`

// object builds a WSSEndpoint from validSpec with the YAML patch applied
// (a JSON merge patch: null removes a field).
func object(t *testing.T, name, patch string) *unstructured.Unstructured {
	t.Helper()
	spec := map[string]any{}
	if err := yaml.Unmarshal([]byte(validSpec), &spec); err != nil {
		t.Fatal(err)
	}
	p := map[string]any{}
	if err := yaml.Unmarshal([]byte(patch), &p); err != nil {
		t.Fatal(err)
	}
	merge(spec, p)
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": wssv1.GroupVersion.String(),
		"kind":       "WSSEndpoint",
		"metadata":   map[string]any{"name": name, "namespace": "default"},
		"spec":       spec,
	}}
	return u
}

func merge(dst, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(dst, k)
			continue
		}
		pm, ok := v.(map[string]any)
		dm, ok2 := dst[k].(map[string]any)
		if ok && ok2 {
			merge(dm, pm)
			continue
		}
		dst[k] = v
	}
}

func TestAPIServerRejectsInvalidWSSEndpoints(t *testing.T) {
	cases := []struct {
		name, patch, want string
		objName           string
	}{
		{name: "name starting with a digit", patch: `{}`, want: "metadata.name must be a DNS label", objName: "1chat"},
		{name: "name longer than 63", patch: `{}`, want: "metadata.name must be a DNS label", objName: "a234567890123456789012345678901234567890123456789012345678901234"},
		{"both issuerRef and secretName", `tls: {secretName: mine}`, "exactly one of issuerRef or secretName must be set", ""},
		{"neither issuerRef nor secretName", `tls: {issuerRef: null, hosts: [a.example.test]}`, "exactly one of issuerRef or secretName must be set", ""},
		{"tls port equals backend port", `tls: {port: 8080}`, "tls.port must differ from backend.port", ""},
		{"default tls port equals backend port", `backend: {port: 8443}`, "tls.port must differ from backend.port", ""},
		{"cipher suites with TLS 1.3", `tls: {minVersion: "1.3", cipherSuites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]}`, "cipherSuites can only be set when minVersion is 1.2", ""},
		{"unknown cipher suite", `tls: {cipherSuites: [TLS_RSA_WITH_RC4_128_SHA]}`, `Unsupported value: "TLS_RSA_WITH_RC4_128_SHA"`, ""},
		{"client auth Require without CA", `tls: {clientAuth: {mode: Require}}`, "clientAuth.caSecretName is required unless clientAuth.mode is None", ""},
		{"client auth Request without CA", `tls: {clientAuth: {mode: Request}}`, "clientAuth.caSecretName is required unless clientAuth.mode is None", ""},
		{"timeout equals interval", `healthCheck: {interval: 10s, timeout: 10s}`, "healthCheck.timeout must be shorter than healthCheck.interval", ""},
		{"timeout above default interval", `healthCheck: {timeout: 1m}`, "healthCheck.timeout must be shorter than healthCheck.interval", ""},
		{"interval below 5s", `healthCheck: {interval: 2s, timeout: 1s}`, "healthCheck.interval must be at least 5s", ""},
		{"interval not a duration", `healthCheck: {interval: soon}`, "spec.healthCheck.interval", ""},
		{"idleTimeout below 10s", `healthCheck: {idleTimeout: 5s}`, "healthCheck.idleTimeout must be between 10s and 1h", ""},
		{"idleTimeout above 1h", `healthCheck: {idleTimeout: 2h}`, "healthCheck.idleTimeout must be between 10s and 1h", ""},
		{"bad workload kind", `workloadRef: {kind: Pod}`, `Unsupported value: "Pod"`, ""},
		{"missing workload name", `workloadRef: {name: null}`, "spec.workloadRef.name: Required value", ""},
		{"bad min TLS version", `tls: {minVersion: "1.1"}`, `Unsupported value: "1.1"`, ""},
		{"bad issuer kind", `tls: {issuerRef: {kind: Vault}}`, `Unsupported value: "Vault"`, ""},
		{"bad service type", `service: {type: External}`, `Unsupported value: "External"`, ""},
		{"bad client auth mode", `tls: {clientAuth: {mode: Optional, caSecretName: ca}}`, `Unsupported value: "Optional"`, ""},
		{"bad curve", `tls: {curves: [P224]}`, `Unsupported value: "P224"`, ""},
		{"backend port zero", `backend: {port: 0}`, "spec.backend.port: Invalid value: 0", ""},
		{"backend port too high", `backend: {port: 70000}`, "spec.backend.port: Invalid value: 70000", ""},
		{"backend path without slash", `backend: {path: ws}`, "backend.path must start with '/'", ""},
		{"weak RSA key", `tls: {privateKey: {algorithm: RSA, size: 1024}}`, "privateKey.size for RSA must be between 2048 and 8192", ""},
		{"odd ECDSA size", `tls: {privateKey: {algorithm: ECDSA, size: 300}}`, "privateKey.size for ECDSA must be 256, 384 or 521", ""},
		{"Ed25519 with size", `tls: {privateKey: {algorithm: Ed25519, size: 256}}`, "privateKey.size must not be set for Ed25519", ""},
		{"privateKey with secretName", `tls: {issuerRef: null, secretName: mine, privateKey: {algorithm: RSA}}`, "privateKey, duration and renewBefore apply only with issuerRef", ""},
		{"renewBefore not shorter than duration", `tls: {duration: 24h, renewBefore: 48h}`, "renewBefore must be shorter than duration", ""},
		{"failure threshold zero", `healthCheck: {failureThreshold: 0}`, "spec.healthCheck.failureThreshold: Invalid value: 0", ""},
		{"bad host name", `tls: {hosts: ["Not A Host"]}`, "spec.tls.hosts[0]", ""},
		// Monitor-only endpoints: exactly one of workloadRef or monitor.
		{"both workloadRef and monitor", `{monitor: {url: "wss://chat.example.com/ws"}, backend: null, tls: null}`, "exactly one of workloadRef", ""},
		{"neither workloadRef nor monitor", `{workloadRef: null, backend: null, tls: null}`, "exactly one of workloadRef", ""},
		{"workloadRef without backend", `backend: null`, "backend and tls are required with workloadRef", ""},
		{"monitor with backend and tls", `{workloadRef: null, monitor: {url: "wss://chat.example.com/ws"}}`, "backend and tls must not be set with monitor", ""},
		{"monitor with tls", `{workloadRef: null, backend: null, monitor: {url: "wss://chat.example.com/ws"}}`, "backend and tls must not be set with monitor", ""},
		{"monitor with a service port", `{workloadRef: null, backend: null, tls: null, monitor: {url: "wss://chat.example.com/ws"}, service: {port: 8443}}`, "service must not be set with monitor", ""},
		{"monitor with service annotations", `{workloadRef: null, backend: null, tls: null, monitor: {url: "wss://chat.example.com/ws"}, service: {annotations: {a: b}}}`, "service must not be set with monitor", ""},
		{"monitor with sidecar resources", `{workloadRef: null, backend: null, tls: null, monitor: {url: "wss://chat.example.com/ws"}, sidecar: {resources: {limits: {memory: 64Mi}}}}`, "sidecar must not be set with monitor", ""},
		{"monitor with a drain timeout", `{workloadRef: null, backend: null, tls: null, monitor: {url: "wss://chat.example.com/ws"}, sidecar: {drainTimeout: 10s}}`, "sidecar must not be set with monitor", ""},
		{"profile Modern with a minVersion", `tls: {profile: Modern, minVersion: "1.2"}`, "cannot be combined with profile Modern or Old", ""},
		{"profile Old with cipher suites", `tls: {profile: Old, cipherSuites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]}`, "cannot be combined with profile Modern or Old", ""},
		{"unknown profile", `tls: {profile: Ancient}`, "spec.tls.profile", ""},
		{"monitor URL not a WebSocket URL", `{workloadRef: null, backend: null, tls: null, monitor: {url: "https://chat.example.com/ws"}}`, "monitor.url must start with wss:// or ws://", ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			name := fmt.Sprintf("invalid-%d", i)
			if tc.objName != "" {
				name = tc.objName
			}
			err := env.Client.Create(context.Background(), object(t, name, tc.patch))
			g.Expect(err).To(HaveOccurred(), "the API server must reject %q", tc.patch)
			g.Expect(err.Error()).To(ContainSubstring(tc.want))
		})
	}
}

// createAndGet creates obj in namespace default and returns the
// WSSEndpoint as the API server stored it, defaults filled.
func createAndGet(g Gomega, obj client.Object) *wssv1.WSSEndpoint {
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, obj)).To(Succeed())
	got := &wssv1.WSSEndpoint{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: "default", Name: obj.GetName()}, got)).To(Succeed())
	return got
}

// createSample is createAndGet for the one object of config/samples/<file>.
func createSample(g Gomega, file string) *wssv1.WSSEndpoint {
	objs, err := testenv.ReadObjects(filepath.Join(env.Root, "config", "samples", file))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(objs).To(HaveLen(1))
	objs[0].SetNamespace("default")
	return createAndGet(g, objs[0])
}

func TestAPIServerAcceptsSampleWithDefaults(t *testing.T) {
	g := NewWithT(t)
	s := createSample(g, "wss_v1alpha1_wssendpoint.yaml").Spec
	g.Expect(s.WorkloadRef).To(Equal(wssv1.WorkloadReference{Kind: wssv1.WorkloadDeployment, Name: "echo"}))
	g.Expect(s.Backend.Port).To(Equal(int32(8080)))
	g.Expect(s.Backend.Path).To(Equal("/ws"))
	g.Expect(s.TLS.IssuerRef).To(Equal(&wssv1.IssuerReference{Name: "demo-ca", Kind: "Issuer", Group: "cert-manager.io"}))
	g.Expect(s.TLS.Port).To(Equal(int32(8443)))
	g.Expect(s.TLS.Profile).To(Equal(wssv1.TLSProfileIntermediate))
	g.Expect(s.TLS.MinVersion).To(BeEmpty(), "the profile's minimum applies")
	g.Expect(s.Service.Type).To(Equal(wssv1.ServiceType("ClusterIP")))
	g.Expect(s.Service.Port).To(Equal(int32(443)))
	g.Expect(s.HealthCheck.Enabled).To(HaveValue(BeTrue()))
	g.Expect(s.HealthCheck.Interval.Duration).To(Equal(30 * time.Second))
	g.Expect(s.HealthCheck.Timeout.Duration).To(Equal(5 * time.Second))
	g.Expect(s.HealthCheck.PerPod).To(HaveValue(BeTrue()))
	g.Expect(s.HealthCheck.FailureThreshold).To(Equal(int32(3)))
	g.Expect(s.Sidecar.DrainTimeout.Duration).To(Equal(25 * time.Second))
	g.Expect(s.Suspend).To(BeFalse())
}

func TestAPIServerDefaultsMinimalSpec(t *testing.T) {
	g := NewWithT(t)
	got := createAndGet(g, object(t, "minimal", `tls: {issuerRef: null, secretName: my-tls}`))
	g.Expect(got.Spec.Backend.Path).To(Equal("/"))
	g.Expect(got.Spec.TLS.SecretName).To(Equal("my-tls"))
	g.Expect(got.Spec.TLS.IssuerRef).To(BeNil())
}

// TestAPIServerAcceptsMonitorOnly: a monitor-only endpoint is valid with the
// CRD's defaults for service, healthCheck and sidecar, which then stay
// unused; defaults that apply to it (healthCheck) are filled.
func TestAPIServerAcceptsMonitorOnly(t *testing.T) {
	g := NewWithT(t)
	got := createSample(g, "wss_v1alpha1_wssendpoint_monitor.yaml")
	g.Expect(got.Spec.Monitor).NotTo(BeNil())
	g.Expect(got.Spec.Monitor.URL).To(HavePrefix("wss://"))
	g.Expect(got.Spec.WorkloadRef).To(BeZero())
	g.Expect(got.Spec.HealthCheck.Interval.Duration).To(Equal(time.Minute))
	g.Expect(got.Spec.HealthCheck.IdleTimeout.Duration).To(Equal(90 * time.Second))
	g.Expect(got.Spec.HealthCheck.FailureThreshold).To(Equal(int32(3)), "defaults that apply are filled")

	// Explicit defaults are fine too: they equal what the CRD fills in.
	g.Expect(env.Client.Create(context.Background(), object(t, "monitor-defaults",
		`{workloadRef: null, backend: null, tls: null, monitor: {url: "ws://chat.example.com/"}, service: {type: ClusterIP, port: 443}, sidecar: {drainTimeout: 25s}}`))).To(Succeed())
}
