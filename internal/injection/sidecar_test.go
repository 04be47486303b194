package injection

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

const testImage = "ghcr.io/wss-operator/wss-operator:v0.1.0"

// endpoint returns a WSSEndpoint "chat" in namespace "demo" with the spec as
// the API server defaults it, changed by the mutators.
func endpoint(mutate ...func(*wssv1.WSSEndpoint)) *wssv1.WSSEndpoint {
	ep := &wssv1.WSSEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: "chat", Namespace: "demo"},
		Spec: wssv1.WSSEndpointSpec{
			WorkloadRef: wssv1.WorkloadReference{Kind: wssv1.WorkloadDeployment, Name: "chat"},
			Backend:     wssv1.Backend{Port: 8080, Path: "/"},
			TLS: wssv1.TLS{
				IssuerRef:  &wssv1.IssuerReference{Name: "selfsigned", Kind: "Issuer", Group: "cert-manager.io"},
				Port:       8443,
				MinVersion: wssv1.TLSVersion12,
			},
			Sidecar: wssv1.Sidecar{DrainTimeout: &metav1.Duration{Duration: 25 * time.Second}},
		},
	}
	for _, m := range mutate {
		m(ep)
	}
	return ep
}

func params(ep *wssv1.WSSEndpoint) Params {
	return Params{Endpoint: ep, Image: testImage, CertSecretName: "chat-tls"}
}

func withClientAuth(mode wssv1.ClientAuthMode, ca string) func(*wssv1.WSSEndpoint) {
	return func(ep *wssv1.WSSEndpoint) {
		ep.Spec.TLS.ClientAuth = &wssv1.ClientAuth{Mode: mode, CASecretName: ca}
	}
}

func TestArgs(t *testing.T) {
	base := []string{
		"proxy", "--listen=:8443", "--backend=127.0.0.1:8080", "--cert-dir=/var/run/wss-operator/tls",
		"--client-auth=none", "--admin-listen=:9090", "--drain-timeout=25s",
	}
	// with replaces the flag with the same name in base.
	with := func(flags ...string) []string {
		out := append([]string(nil), base...)
		for _, f := range flags {
			name := f[:strings.Index(f, "=")+1]
			replaced := false
			for i := range out {
				if strings.HasPrefix(out[i], name) {
					out[i], replaced = f, true
				}
			}
			if !replaced {
				out = append(out, f)
			}
		}
		return out
	}
	tests := []struct {
		name string
		ep   *wssv1.WSSEndpoint
		want []string
	}{
		{name: "defaulted spec", ep: endpoint(), want: base},
		{name: "zero spec fields take the defaults", ep: endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.TLS.Port, ep.Spec.TLS.MinVersion, ep.Spec.Sidecar.DrainTimeout = 0, "", nil
		}), want: base},
		{name: "TLS 1.3", ep: endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.MinVersion = wssv1.TLSVersion13 }),
			want: with("--min-tls=1.3")},
		{name: "explicit TLS 1.2 is Intermediate's own minimum", ep: endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.MinVersion = wssv1.TLSVersion12 }),
			want: base},
		{name: "profile Intermediate is the proxy's default", ep: endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.Profile = wssv1.TLSProfileIntermediate }),
			want: base},
		{name: "profile Modern", ep: endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.Profile = wssv1.TLSProfileModern }),
			want: with("--tls-profile=modern")},
		{name: "profile Old", ep: endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.Profile = wssv1.TLSProfileOld }),
			want: with("--tls-profile=old")},
		{name: "profile Custom is Intermediate with explicit fields", ep: endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.TLS.Profile, ep.Spec.TLS.MinVersion = wssv1.TLSProfileCustom, wssv1.TLSVersion13
		}), want: with("--min-tls=1.3")},
		{name: "cipher suites keep their order", ep: endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.TLS.CipherSuites = []wssv1.CipherSuite{
				"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
			}
		}), want: with("--cipher-suites=TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")},
		{name: "curves pass through as enum names", ep: endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.TLS.Curves = []wssv1.Curve{"X25519MLKEM768", "X25519", "P256", "SecP384r1MLKEM1024"}
		}), want: with("--curves=X25519MLKEM768,X25519,P256,SecP384r1MLKEM1024")},
		{name: "suites then curves", ep: endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.TLS.Curves = []wssv1.Curve{"P384"}
			ep.Spec.TLS.CipherSuites = []wssv1.CipherSuite{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}
		}), want: with("--cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "--curves=P384")},
		{name: "client auth None", ep: endpoint(withClientAuth(wssv1.ClientAuthNone, "")), want: base},
		{name: "client auth with empty mode", ep: endpoint(withClientAuth("", "")), want: base},
		{name: "client auth Request", ep: endpoint(withClientAuth(wssv1.ClientAuthRequest, "clients-ca")),
			want: with("--client-auth=request")},
		{name: "client auth Require", ep: endpoint(withClientAuth(wssv1.ClientAuthRequire, "clients-ca")),
			want: with("--client-auth=require")},
		{name: "custom ports and drain timeout", ep: endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.TLS.Port, ep.Spec.Backend.Port = 443, 3000
			ep.Spec.Sidecar.DrainTimeout = &metav1.Duration{Duration: 90 * time.Second}
		}), want: with("--listen=:443", "--backend=127.0.0.1:3000", "--drain-timeout=1m30s")},
		{name: "sub-second drain timeout", ep: endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.Sidecar.DrainTimeout = &metav1.Duration{Duration: 1500 * time.Millisecond}
		}), want: with("--drain-timeout=1.5s")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(Args(tt.ep)).To(Equal(tt.want))
		})
	}
}

// defaultTemplateJSON is the whole apply configuration for endpoint(): the
// label, the annotation, the sidecar and the volume, and nothing else.
func defaultTemplateJSON(hash string) string {
	return `{
  "metadata": {
    "labels": {"wss.operator.dev/endpoint": "chat"},
    "annotations": {"wss.operator.dev/sidecar-config-hash": "` + hash + `"}
  },
  "spec": {
    "volumes": [{
      "name": "wss-tls",
      "projected": {
        "defaultMode": 292,
        "sources": [{"secret": {"name": "chat-tls", "items": [
          {"key": "tls.crt", "path": "tls.crt"},
          {"key": "tls.key", "path": "tls.key"}
        ]}}]
      }
    }],
    "initContainers": [{
      "name": "wss-proxy",
      "image": "` + testImage + `",
      "args": ["proxy", "--listen=:8443", "--backend=127.0.0.1:8080", "--cert-dir=/var/run/wss-operator/tls",
               "--client-auth=none", "--admin-listen=:9090", "--drain-timeout=25s"],
      "restartPolicy": "Always",
      "ports": [
        {"name": "wss-tls", "containerPort": 8443, "protocol": "TCP"},
        {"name": "wss-admin", "containerPort": 9090, "protocol": "TCP"}
      ],
      "env": [{"name": "GOMEMLIMIT", "value": "120795955"}],
      "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
      "readinessProbe": {"httpGet": {"path": "/readyz", "port": "wss-admin"}, "periodSeconds": 5, "timeoutSeconds": 2, "failureThreshold": 3},
      "livenessProbe": {"httpGet": {"path": "/healthz", "port": "wss-admin"}, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3},
      "securityContext": {
        "runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532,
        "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"}
      },
      "volumeMounts": [{"name": "wss-tls", "mountPath": "/var/run/wss-operator/tls", "readOnly": true}],
      "terminationMessagePolicy": "FallbackToLogsOnError"
    }]
  }
}`
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

func TestPodTemplateIsExactlyTheOwnedFields(t *testing.T) {
	g := NewWithT(t)
	tmpl, hash := PodTemplate(params(endpoint()))
	g.Expect(hash).To(MatchRegexp(`^[0-9a-f]{16}$`))
	g.Expect(mustJSON(t, tmpl)).To(MatchJSON(defaultTemplateJSON(hash)))
}

func TestPodTemplateVariants(t *testing.T) {
	// Each case checks one part of the template as JSON.
	tests := []struct {
		name string
		p    Params
		part func(*corev1ac.PodTemplateSpecApplyConfiguration) any
		want string
	}{
		{
			name: "client auth adds ca.crt from the CA Secret to the same volume",
			p:    params(endpoint(withClientAuth(wssv1.ClientAuthRequire, "clients-ca"))),
			part: func(t *corev1ac.PodTemplateSpecApplyConfiguration) any { return t.Spec.Volumes },
			want: `[{"name": "wss-tls", "projected": {"defaultMode": 292, "sources": [
				{"secret": {"name": "chat-tls", "items": [{"key": "tls.crt", "path": "tls.crt"}, {"key": "tls.key", "path": "tls.key"}]}},
				{"secret": {"name": "clients-ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}
			]}}]`,
		},
		{
			name: "client auth None ignores a CA Secret",
			p:    params(endpoint(withClientAuth(wssv1.ClientAuthNone, "clients-ca"))),
			part: func(t *corev1ac.PodTemplateSpecApplyConfiguration) any { return t.Spec.Volumes[0].Projected.Sources },
			want: `[{"secret": {"name": "chat-tls", "items": [{"key": "tls.crt", "path": "tls.crt"}, {"key": "tls.key", "path": "tls.key"}]}}]`,
		},
		{
			name: "custom resources, GOMEMLIMIT is 90% of the memory limit",
			p: params(endpoint(func(ep *wssv1.WSSEndpoint) {
				ep.Spec.Sidecar.Resources = &corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi"), corev1.ResourceCPU: resource.MustParse("1")},
				}
			})),
			part: func(t *corev1ac.PodTemplateSpecApplyConfiguration) any {
				c := t.Spec.InitContainers[0]
				return map[string]any{"resources": c.Resources, "env": c.Env}
			},
			want: `{"resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "1", "memory": "1Gi"}},
			        "env": [{"name": "GOMEMLIMIT", "value": "966367641"}]}`,
		},
		{
			name: "resources without a memory limit: no GOMEMLIMIT",
			p: params(endpoint(func(ep *wssv1.WSSEndpoint) {
				ep.Spec.Sidecar.Resources = &corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
				}
			})),
			part: func(t *corev1ac.PodTemplateSpecApplyConfiguration) any {
				c := t.Spec.InitContainers[0]
				return map[string]any{"resources": c.Resources, "env": c.Env}
			},
			want: `{"resources": {"requests": {"memory": "64Mi"}}, "env": null}`,
		},
		{
			name: "empty resources set explicitly: none applied",
			p: params(endpoint(func(ep *wssv1.WSSEndpoint) {
				ep.Spec.Sidecar.Resources = &corev1.ResourceRequirements{}
			})),
			part: func(t *corev1ac.PodTemplateSpecApplyConfiguration) any {
				c := t.Spec.InitContainers[0]
				return map[string]any{"resources": c.Resources, "env": c.Env}
			},
			want: `{"resources": null, "env": null}`,
		},
		{
			name: "image pull policy when given",
			p: func() Params {
				p := params(endpoint())
				p.ImagePullPolicy = corev1.PullIfNotPresent
				return p
			}(),
			part: func(t *corev1ac.PodTemplateSpecApplyConfiguration) any {
				return t.Spec.InitContainers[0].ImagePullPolicy
			},
			want: `"IfNotPresent"`,
		},
		{
			name: "custom TLS port",
			p:    params(endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.Port = 9443 })),
			part: func(t *corev1ac.PodTemplateSpecApplyConfiguration) any { return t.Spec.InitContainers[0].Ports },
			want: `[{"name": "wss-tls", "containerPort": 9443, "protocol": "TCP"}, {"name": "wss-admin", "containerPort": 9090, "protocol": "TCP"}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			tmpl, _ := PodTemplate(tt.p)
			g.Expect(mustJSON(t, tt.part(tmpl))).To(MatchJSON(tt.want))
			g.Expect(tmpl.Spec.InitContainers).To(HaveLen(1))
			g.Expect(tmpl.Spec.Volumes).To(HaveLen(1))
		})
	}
}

func TestPodTemplateDoesNotAliasTheSpec(t *testing.T) {
	g := NewWithT(t)
	ep := endpoint(func(ep *wssv1.WSSEndpoint) {
		ep.Spec.Sidecar.Resources = &corev1.ResourceRequirements{
			Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
		}
	})
	tmpl, _ := PodTemplate(params(ep))
	(*tmpl.Spec.InitContainers[0].Resources.Limits)[corev1.ResourceMemory] = resource.MustParse("1Gi")
	g.Expect(ep.Spec.Sidecar.Resources.Limits.Memory().String()).To(Equal("64Mi"))
}

func TestConfigHash(t *testing.T) {
	_, base := PodTemplate(params(endpoint()))
	tests := []struct {
		name    string
		p       Params
		changes bool
	}{
		// Stable: nothing but the sidecar's configuration counts.
		{name: "same spec again", p: params(endpoint())},
		{name: "status certificate (a rotation)", p: params(endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Status.Certificate = &wssv1.CertificateStatus{SecretName: "chat-tls", SHA256: "ab12", SerialNumber: "03"}
		}))},
		{name: "certificate lifetime and hosts (a reissue)", p: params(endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.TLS.Hosts = []string{"chat.example.com"}
			ep.Spec.TLS.Duration = &metav1.Duration{Duration: 48 * time.Hour}
			ep.Spec.TLS.PrivateKey = &wssv1.PrivateKey{Algorithm: "RSA"}
		}))},
		{name: "service and health check", p: params(endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.Service = wssv1.Service{Type: "LoadBalancer", Port: 8443}
			ep.Spec.HealthCheck.FailureThreshold = 10
			ep.Spec.Backend.Path = "/ws"
		}))},
		{name: "object metadata", p: params(endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Generation, ep.ResourceVersion, ep.Labels = 7, "123", map[string]string{"team": "a"}
		}))},
		{name: "zero fields that default to the same values", p: params(endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.TLS.Port, ep.Spec.TLS.MinVersion, ep.Spec.Sidecar.DrainTimeout = 0, "", nil
		}))},
		{name: "client auth None with a CA Secret", p: params(endpoint(withClientAuth(wssv1.ClientAuthNone, "ca")))},
		{name: "equal quantities spelled differently", p: params(endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.Sidecar.Resources = &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("0.01"), corev1.ResourceMemory: resource.MustParse("32Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
			}
		}))},
		// Changes: everything the pod runs with.
		{name: "image", changes: true, p: func() Params { p := params(endpoint()); p.Image += "-rc1"; return p }()},
		{name: "pull policy", changes: true, p: func() Params { p := params(endpoint()); p.ImagePullPolicy = corev1.PullAlways; return p }()},
		{name: "certificate Secret name", changes: true, p: func() Params { p := params(endpoint()); p.CertSecretName = "byo"; return p }()},
		{name: "TLS port", changes: true, p: params(endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.Port = 9443 }))},
		{name: "backend port", changes: true, p: params(endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.Backend.Port = 3000 }))},
		{name: "min TLS", changes: true, p: params(endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.MinVersion = wssv1.TLSVersion13 }))},
		{name: "curves", changes: true, p: params(endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.Curves = []wssv1.Curve{"X25519"} }))},
		{name: "drain timeout", changes: true, p: params(endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.Sidecar.DrainTimeout = &metav1.Duration{Duration: 10 * time.Second}
		}))},
		{name: "client auth Require", changes: true, p: params(endpoint(withClientAuth(wssv1.ClientAuthRequire, "ca")))},
		{name: "resources", changes: true, p: params(endpoint(func(ep *wssv1.WSSEndpoint) {
			ep.Spec.Sidecar.Resources = &corev1.ResourceRequirements{
				Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
			}
		}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			tmpl, h := PodTemplate(tt.p)
			g.Expect(tmpl.Annotations).To(HaveKeyWithValue(ConfigHashAnnotation, h))
			if tt.changes {
				g.Expect(h).NotTo(Equal(base))
			} else {
				g.Expect(h).To(Equal(base))
			}
		})
	}
}

func TestGomemlimit(t *testing.T) {
	tests := []struct{ limit, want int64 }{
		{limit: 128 << 20, want: 120795955},
		{limit: 100, want: 90},
		{limit: 1, want: 0},
		{limit: 1 << 62, want: (1 << 62) / 100 * 90},
	}
	for _, tt := range tests {
		NewWithT(t).Expect(gomemlimit(tt.limit)).To(Equal(tt.want), "limit %d", tt.limit)
	}
}
