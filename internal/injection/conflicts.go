package injection

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// Conflicts inspects a workload's current pod template and returns one
// human-readable problem for each clash the sidecar must not fight (in
// template order; nil when there is none):
//
//   - another container or init container declares the TLS port or AdminPort
//     (TCP), or a port named TLSPortName or AdminPortName (a Service's named
//     targetPort would resolve to it before ours);
//   - a container other than ours is named ContainerName: a regular container,
//     or an init container without restartPolicy Always;
//   - a volume named VolumeName is not shaped like ours (a projected volume of
//     Secret items tls.crt, tls.key and ca.crt only);
//   - the pod template's EndpointLabel names another WSSEndpoint;
//   - the spec itself puts the TLS port or the backend port on AdminPort, or
//     the TLS port on the backend port.
//
// Our own sidecar (the init container named ContainerName with restartPolicy
// Always) and a volume shaped like ours never count, whatever the
// configuration they were injected with, so a changed spec (another TLS port,
// another Secret, client auth on or off) is an update, not a conflict.
func Conflicts(tmpl *corev1.PodTemplateSpec, ep *wssv1.WSSEndpoint) []string {
	var problems []string
	tlsPort := TLSPort(ep)
	if tlsPort == AdminPort {
		problems = append(problems, fmt.Sprintf("spec.tls.port %d is the sidecar's admin port; choose another spec.tls.port", tlsPort))
	}
	if ep.Spec.Backend.Port == AdminPort {
		problems = append(problems, fmt.Sprintf("spec.backend.port %d is the sidecar's admin port, which the sidecar listens on in the same pod; serve the backend on another port", AdminPort))
	}
	if ep.Spec.Backend.Port == tlsPort {
		problems = append(problems, fmt.Sprintf("spec.tls.port %d equals spec.backend.port; choose another spec.tls.port", tlsPort))
	}
	if tmpl == nil {
		return problems
	}
	if other := tmpl.Labels[EndpointLabel]; other != "" && other != ep.Name {
		// The sidecar there is the other endpoint's: that is the one problem.
		return append(problems, fmt.Sprintf("pod template label %s is %q: WSSEndpoint %q already injects its sidecar into this workload, "+
			"and a workload can have only one WSSEndpoint; point this one at another workload or delete one of them", EndpointLabel, other, other))
	}

	check := func(c *corev1.Container, what string) {
		for _, p := range c.Ports {
			proto := p.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			if proto == corev1.ProtocolTCP {
				switch p.ContainerPort {
				case tlsPort:
					problems = append(problems, fmt.Sprintf("%s %q already uses port %d/TCP, the sidecar's TLS port (spec.tls.port); choose another spec.tls.port", what, c.Name, p.ContainerPort))
				case AdminPort:
					problems = append(problems, fmt.Sprintf("%s %q already uses port %d/TCP, the sidecar's admin port; move that container's port", what, c.Name, p.ContainerPort))
				}
			}
			if p.Name == TLSPortName || p.Name == AdminPortName {
				problems = append(problems, fmt.Sprintf("%s %q declares a port named %q, a name the sidecar needs (the Service targets it by name); rename that port", what, c.Name, p.Name))
			}
		}
	}
	for i := range tmpl.Spec.Containers {
		c := &tmpl.Spec.Containers[i]
		if c.Name == ContainerName {
			problems = append(problems, fmt.Sprintf("container %q is a regular container; the sidecar needs that name for its native sidecar (an init container with restartPolicy: Always); rename it", c.Name))
		}
		check(c, "container")
	}
	// Our injection always carries the endpoint label; a wss-proxy sidecar
	// or wss-tls volume without it was put there by someone else.
	ours := tmpl.Labels[EndpointLabel] == ep.Name
	for i := range tmpl.Spec.InitContainers {
		c := &tmpl.Spec.InitContainers[i]
		if c.Name == ContainerName {
			switch {
			case !isNativeSidecar(c):
				problems = append(problems, fmt.Sprintf("init container %q does not have restartPolicy: Always, so it is not the operator's sidecar; rename it", c.Name))
			case !ours:
				problems = append(problems, fmt.Sprintf("native sidecar %q (image %s) was not injected by this operator: the pod template has no %s=%s label; "+
					"the operator needs that name for its TLS sidecar, so rename yours (or remove it if it is a copy of an earlier injection)", c.Name, c.Image, EndpointLabel, ep.Name))
			default:
				continue // ours, as injected before
			}
		}
		check(c, "init container")
	}
	for i := range tmpl.Spec.Volumes {
		v := &tmpl.Spec.Volumes[i]
		if v.Name != VolumeName {
			continue
		}
		if !isOurVolume(v) {
			problems = append(problems, fmt.Sprintf("volume %q already exists with another source (%s); the sidecar needs that name for its certificate volume; rename it", v.Name, volumeKind(v)))
		} else if !ours {
			problems = append(problems, fmt.Sprintf("volume %q was not injected by this operator (the pod template has no %s=%s label); the sidecar needs that name; rename it", v.Name, EndpointLabel, ep.Name))
		}
	}
	return problems
}

// isNativeSidecar reports whether an init container runs for the pod's whole
// life (restartPolicy Always).
func isNativeSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// ourItems are the Secret keys (and file names) our volume projects.
var ourItems = map[string]bool{corev1.TLSCertKey: true, corev1.TLSPrivateKeyKey: true, CAKey: true}

// isOurVolume reports whether a volume has the shape PodTemplate gives it,
// for any Secret names: projected, Secret projections only, each item one of
// tls.crt, tls.key, ca.crt at the path of the same name.
func isOurVolume(v *corev1.Volume) bool {
	others := v.VolumeSource
	others.Projected = nil
	if v.Projected == nil || others != (corev1.VolumeSource{}) || len(v.Projected.Sources) == 0 {
		return false
	}
	for _, s := range v.Projected.Sources {
		if s.Secret == nil || s != (corev1.VolumeProjection{Secret: s.Secret}) {
			return false
		}
		for _, it := range s.Secret.Items {
			if !ourItems[it.Key] || it.Path != it.Key {
				return false
			}
		}
	}
	return true
}

// volumeKind names a volume's source type for a message.
func volumeKind(v *corev1.Volume) string {
	switch {
	case v.Projected != nil:
		return "projected, with other sources or items"
	case v.Secret != nil:
		return "secret " + v.Secret.SecretName
	case v.ConfigMap != nil:
		return "configMap " + v.ConfigMap.Name
	case v.EmptyDir != nil:
		return "emptyDir"
	case v.PersistentVolumeClaim != nil:
		return "persistentVolumeClaim " + v.PersistentVolumeClaim.ClaimName
	case v.HostPath != nil:
		return "hostPath " + v.HostPath.Path
	}
	return "another volume type"
}

// DrainExceedsGracePeriod reports whether spec.sidecar.drainTimeout (default
// 25s) is at least the pod's terminationGracePeriodSeconds (default 30s), so
// the kubelet would kill the sidecar before its drain ends, with a message
// naming both values and the fix.
func DrainExceedsGracePeriod(tmpl *corev1.PodTemplateSpec, ep *wssv1.WSSEndpoint) (bool, string) {
	drain := DrainTimeout(ep)
	grace, graceText := DefaultGracePeriod, fmt.Sprintf("unset (Kubernetes default %s)", DefaultGracePeriod)
	if tmpl != nil && tmpl.Spec.TerminationGracePeriodSeconds != nil {
		s := *tmpl.Spec.TerminationGracePeriodSeconds
		grace, graceText = time.Duration(s)*time.Second, fmt.Sprintf("%ds", s)
	}
	if drain < grace {
		return false, ""
	}
	return true, fmt.Sprintf("spec.sidecar.drainTimeout %s is not shorter than the pod's terminationGracePeriodSeconds %s: "+
		"the kubelet stops the sidecar after the app containers, within the same grace period, and kills it before the drain ends; "+
		"raise terminationGracePeriodSeconds above the drain timeout plus the app's own shutdown time, or lower spec.sidecar.drainTimeout",
		drain, graceText)
}

// Injected reports whether tmpl carries the sidecar with configuration hash
// hash: the ConfigHashAnnotation equals hash and the native sidecar named
// ContainerName is present. An empty hash is never injected.
func Injected(tmpl *corev1.PodTemplateSpec, hash string) bool {
	if tmpl == nil || hash == "" || tmpl.Annotations[ConfigHashAnnotation] != hash {
		return false
	}
	c := Find(tmpl)
	return c != nil && isNativeSidecar(c)
}

// Find returns the init container named ContainerName in tmpl, or nil.
func Find(tmpl *corev1.PodTemplateSpec) *corev1.Container {
	for i := range tmpl.Spec.InitContainers {
		if tmpl.Spec.InitContainers[i].Name == ContainerName {
			return &tmpl.Spec.InitContainers[i]
		}
	}
	return nil
}
