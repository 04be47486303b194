package injection

import (
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// userTemplate is a workload's own pod template: an app serving ws:// on
// 8080 with a metrics port, an ordinary init container and a config volume.
func userTemplate() *corev1.PodTemplateSpec {
	return &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "chat"}},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "migrate", Image: "chat:1", Args: []string{"migrate"}}},
			Containers: []corev1.Container{{
				Name:  "app",
				Image: "chat:1",
				Ports: []corev1.ContainerPort{
					{Name: "ws", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
					{Name: "metrics", ContainerPort: 9100, Protocol: corev1.ProtocolTCP},
				},
			}},
			Volumes: []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{
				ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "chat"}},
			}}},
		},
	}
}

// injected returns the user's template as it looks after our apply for p:
// our apply configuration converted to a PodTemplateSpec by a JSON round trip
// and merged in as server-side apply would (new list entries appended).
func injected(t *testing.T, base *corev1.PodTemplateSpec, p Params) *corev1.PodTemplateSpec {
	t.Helper()
	ac, _ := PodTemplate(p)
	var ours corev1.PodTemplateSpec
	if err := json.Unmarshal([]byte(mustJSON(t, ac)), &ours); err != nil {
		t.Fatalf("unmarshal our template: %v", err)
	}
	out := base.DeepCopy()
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	if out.Annotations == nil {
		out.Annotations = map[string]string{}
	}
	for k, v := range ours.Labels {
		out.Labels[k] = v
	}
	for k, v := range ours.Annotations {
		out.Annotations[k] = v
	}
	out.Spec.InitContainers = append(out.Spec.InitContainers, ours.Spec.InitContainers...)
	out.Spec.Volumes = append(out.Spec.Volumes, ours.Spec.Volumes...)
	return out
}

func TestConflicts(t *testing.T) {
	tests := []struct {
		name string
		ep   *wssv1.WSSEndpoint
		tmpl func(t *testing.T) *corev1.PodTemplateSpec
		want []string // substrings, one per expected problem, in order
	}{
		{name: "plain workload", ep: endpoint(), tmpl: func(*testing.T) *corev1.PodTemplateSpec { return userTemplate() }},
		{name: "nil template", ep: endpoint(), tmpl: func(*testing.T) *corev1.PodTemplateSpec { return nil }},
		{name: "our own sidecar, volume and label", ep: endpoint(), tmpl: func(t *testing.T) *corev1.PodTemplateSpec {
			return injected(t, userTemplate(), params(endpoint()))
		}},
		{name: "our sidecar injected with an older config (port, Secret, client auth)",
			ep: endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.Port = 9443 }),
			tmpl: func(t *testing.T) *corev1.PodTemplateSpec {
				p := params(endpoint(withClientAuth(wssv1.ClientAuthRequire, "clients-ca")))
				p.CertSecretName = "old-tls"
				return injected(t, userTemplate(), p)
			}},
		{name: "UDP on the TLS port does not clash", ep: endpoint(), tmpl: func(*testing.T) *corev1.PodTemplateSpec {
			tm := userTemplate()
			tm.Spec.Containers[0].Ports = append(tm.Spec.Containers[0].Ports, corev1.ContainerPort{ContainerPort: 8443, Protocol: corev1.ProtocolUDP})
			return tm
		}},
		{name: "container on the TLS port", ep: endpoint(), tmpl: func(*testing.T) *corev1.PodTemplateSpec {
			tm := userTemplate()
			tm.Spec.Containers[0].Ports = append(tm.Spec.Containers[0].Ports, corev1.ContainerPort{Name: "https", ContainerPort: 8443})
			return tm
		}, want: []string{`container "app" already uses port 8443/TCP, the sidecar's TLS port`}},
		{name: "second container on the admin port", ep: endpoint(), tmpl: func(*testing.T) *corev1.PodTemplateSpec {
			tm := userTemplate()
			tm.Spec.Containers = append(tm.Spec.Containers, corev1.Container{Name: "exporter",
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 9090, Protocol: corev1.ProtocolTCP}}})
			return tm
		}, want: []string{`container "exporter" already uses port 9090/TCP, the sidecar's admin port`}},
		{name: "another native sidecar on the TLS port", ep: endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.Port = 15001 }),
			tmpl: func(*testing.T) *corev1.PodTemplateSpec {
				tm := userTemplate()
				tm.Spec.InitContainers = append(tm.Spec.InitContainers, corev1.Container{Name: "mesh-proxy",
					RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
					Ports:         []corev1.ContainerPort{{ContainerPort: 15001, Protocol: corev1.ProtocolTCP}}})
				return tm
			}, want: []string{`init container "mesh-proxy" already uses port 15001/TCP, the sidecar's TLS port`}},
		{name: "a port named like ours", ep: endpoint(), tmpl: func(*testing.T) *corev1.PodTemplateSpec {
			tm := userTemplate()
			tm.Spec.Containers[0].Ports[1].Name = AdminPortName
			return tm
		}, want: []string{`container "app" declares a port named "wss-admin"`}},
		{name: "regular container named wss-proxy", ep: endpoint(), tmpl: func(*testing.T) *corev1.PodTemplateSpec {
			tm := userTemplate()
			tm.Spec.Containers = append(tm.Spec.Containers, corev1.Container{Name: ContainerName, Image: "envoy"})
			return tm
		}, want: []string{`container "wss-proxy" is a regular container`}},
		{name: "ordinary init container named wss-proxy", ep: endpoint(), tmpl: func(*testing.T) *corev1.PodTemplateSpec {
			tm := userTemplate()
			tm.Spec.InitContainers = append(tm.Spec.InitContainers, corev1.Container{Name: ContainerName, Image: "busybox"})
			return tm
		}, want: []string{`init container "wss-proxy" does not have restartPolicy: Always`}},
		{name: "volume wss-tls of another type", ep: endpoint(), tmpl: func(*testing.T) *corev1.PodTemplateSpec {
			tm := userTemplate()
			tm.Spec.Volumes = append(tm.Spec.Volumes, corev1.Volume{Name: VolumeName,
				VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "mine"}}})
			return tm
		}, want: []string{`volume "wss-tls" already exists with another source (secret mine)`}},
		{name: "projected volume wss-tls with other items", ep: endpoint(), tmpl: func(*testing.T) *corev1.PodTemplateSpec {
			tm := userTemplate()
			tm.Spec.Volumes = append(tm.Spec.Volumes, corev1.Volume{Name: VolumeName, VolumeSource: corev1.VolumeSource{
				Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{
					LocalObjectReference: corev1.LocalObjectReference{Name: "mine"},
					Items:                []corev1.KeyToPath{{Key: "tls.crt", Path: "server.pem"}},
				}}}},
			}})
			return tm
		}, want: []string{`volume "wss-tls" already exists with another source (projected`}},
		{name: "projected volume wss-tls with a configMap", ep: endpoint(), tmpl: func(*testing.T) *corev1.PodTemplateSpec {
			tm := userTemplate()
			tm.Spec.Volumes = append(tm.Spec.Volumes, corev1.Volume{Name: VolumeName, VolumeSource: corev1.VolumeSource{
				Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{
					ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "ca"}},
				}}},
			}})
			return tm
		}, want: []string{`volume "wss-tls" already exists`}},
		{name: "another endpoint's label", ep: endpoint(), tmpl: func(t *testing.T) *corev1.PodTemplateSpec {
			other := endpoint()
			other.Name = "chat-2"
			return injected(t, userTemplate(), params(other))
		}, want: []string{`pod template label wss.operator.dev/endpoint is "chat-2": WSSEndpoint "chat-2" already injects its sidecar into this workload`}},
		{name: "a user's own native sidecar named wss-proxy", ep: endpoint(), tmpl: func(*testing.T) *corev1.PodTemplateSpec {
			tm := userTemplate()
			always := corev1.ContainerRestartPolicyAlways
			tm.Spec.InitContainers = append(tm.Spec.InitContainers, corev1.Container{Name: ContainerName, Image: "envoyproxy/envoy:v1.31", RestartPolicy: &always})
			return tm
		}, want: []string{`native sidecar "wss-proxy" (image envoyproxy/envoy:v1.31) was not injected by this operator`}},
		{name: "backend on the admin port", ep: endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.Backend.Port = AdminPort }),
			tmpl: func(*testing.T) *corev1.PodTemplateSpec { return userTemplate() },
			want: []string{"spec.backend.port 9090 is the sidecar's admin port"}},
		{name: "TLS on the admin port", ep: endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.Port = AdminPort }),
			tmpl: func(*testing.T) *corev1.PodTemplateSpec { return nil },
			want: []string{"spec.tls.port 9090 is the sidecar's admin port"}},
		{name: "TLS on the backend port", ep: endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.TLS.Port = 8080 }),
			tmpl: func(*testing.T) *corev1.PodTemplateSpec { return userTemplate() },
			want: []string{"spec.tls.port 8080 equals spec.backend.port", `container "app" already uses port 8080/TCP, the sidecar's TLS port`}},
		{name: "several clashes, in template order", ep: endpoint(), tmpl: func(*testing.T) *corev1.PodTemplateSpec {
			tm := userTemplate()
			tm.Spec.Containers = append(tm.Spec.Containers, corev1.Container{Name: ContainerName,
				Ports: []corev1.ContainerPort{{Name: TLSPortName, ContainerPort: 8443}}})
			tm.Spec.Volumes = append(tm.Spec.Volumes, corev1.Volume{Name: VolumeName,
				VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
			return tm
		}, want: []string{
			`container "wss-proxy" is a regular container`,
			`container "wss-proxy" already uses port 8443/TCP`,
			`container "wss-proxy" declares a port named "wss-tls"`,
			`volume "wss-tls" already exists with another source (emptyDir)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got := Conflicts(tt.tmpl(t), tt.ep)
			g.Expect(got).To(HaveLen(len(tt.want)), "problems: %q", got)
			for i, w := range tt.want {
				g.Expect(got[i]).To(ContainSubstring(w))
			}
		})
	}
}

func TestDrainExceedsGracePeriod(t *testing.T) {
	withGrace := func(s int64) *corev1.PodTemplateSpec {
		tm := userTemplate()
		tm.Spec.TerminationGracePeriodSeconds = ptr.To(s)
		return tm
	}
	drain := func(d time.Duration) *wssv1.WSSEndpoint {
		return endpoint(func(ep *wssv1.WSSEndpoint) { ep.Spec.Sidecar.DrainTimeout = &metav1.Duration{Duration: d} })
	}
	tests := []struct {
		name    string
		tmpl    *corev1.PodTemplateSpec
		ep      *wssv1.WSSEndpoint
		exceeds bool
		msg     []string
	}{
		{name: "default drain 25s, grace unset (30s)", tmpl: userTemplate(), ep: endpoint()},
		{name: "drain unset (25s), grace unset", tmpl: userTemplate(), ep: drain(0)},
		{name: "nil template uses the default grace", tmpl: nil, ep: endpoint()},
		{name: "drain 40s, grace unset", tmpl: userTemplate(), ep: drain(40 * time.Second), exceeds: true,
			msg: []string{"spec.sidecar.drainTimeout 40s", "terminationGracePeriodSeconds unset (Kubernetes default 30s)"}},
		{name: "drain 40s, grace 60s", tmpl: withGrace(60), ep: drain(40 * time.Second)},
		{name: "drain equal to grace", tmpl: withGrace(25), ep: endpoint(), exceeds: true,
			msg: []string{"spec.sidecar.drainTimeout 25s", "terminationGracePeriodSeconds 25s"}},
		{name: "grace 0 (immediate kill)", tmpl: withGrace(0), ep: drain(time.Second), exceeds: true,
			msg: []string{"drainTimeout 1s", "terminationGracePeriodSeconds 0s"}},
		{name: "drain 2m, grace 120s", tmpl: withGrace(120), ep: drain(2 * time.Minute), exceeds: true,
			msg: []string{"drainTimeout 2m0s", "terminationGracePeriodSeconds 120s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			exceeds, msg := DrainExceedsGracePeriod(tt.tmpl, tt.ep)
			g.Expect(exceeds).To(Equal(tt.exceeds))
			if !tt.exceeds {
				g.Expect(msg).To(BeEmpty())
			}
			for _, m := range tt.msg {
				g.Expect(msg).To(ContainSubstring(m))
			}
		})
	}
}

func TestInjected(t *testing.T) {
	_, hash := PodTemplate(params(endpoint()))
	tests := []struct {
		name string
		tmpl func(t *testing.T) *corev1.PodTemplateSpec
		hash string
		want bool
	}{
		{name: "current config injected", hash: hash, want: true, tmpl: func(t *testing.T) *corev1.PodTemplateSpec {
			return injected(t, userTemplate(), params(endpoint()))
		}},
		{name: "older config injected", hash: hash, tmpl: func(t *testing.T) *corev1.PodTemplateSpec {
			p := params(endpoint())
			p.Image += "-old"
			return injected(t, userTemplate(), p)
		}},
		{name: "not injected", hash: hash, tmpl: func(*testing.T) *corev1.PodTemplateSpec { return userTemplate() }},
		{name: "nil template", hash: hash, tmpl: func(*testing.T) *corev1.PodTemplateSpec { return nil }},
		{name: "empty hash", hash: "", tmpl: func(t *testing.T) *corev1.PodTemplateSpec {
			tm := injected(t, userTemplate(), params(endpoint()))
			tm.Annotations[ConfigHashAnnotation] = ""
			return tm
		}},
		{name: "annotation without the container", hash: hash, tmpl: func(t *testing.T) *corev1.PodTemplateSpec {
			tm := injected(t, userTemplate(), params(endpoint()))
			tm.Spec.InitContainers = tm.Spec.InitContainers[:1]
			return tm
		}},
		{name: "container without restartPolicy Always", hash: hash, tmpl: func(t *testing.T) *corev1.PodTemplateSpec {
			tm := injected(t, userTemplate(), params(endpoint()))
			tm.Spec.InitContainers[1].RestartPolicy = nil
			return tm
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(Injected(tt.tmpl(t), tt.hash)).To(Equal(tt.want))
		})
	}
}
