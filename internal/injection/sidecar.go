package injection

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/proxy"
)

// Names and values the injected sidecar uses. They are part of the contract
// with users (kubectl output, Service targetPort, pod selectors).
const (
	// ContainerName is the name of the native sidecar (an init container with
	// restartPolicy Always).
	ContainerName = "wss-proxy"
	// VolumeName is the projected volume holding tls.crt, tls.key and, with
	// client authentication, ca.crt.
	VolumeName = "wss-tls"
	// CertDir is where VolumeName is mounted in the sidecar (the proxy's --cert-dir).
	CertDir = "/var/run/wss-operator/tls"
	// AdminPort is the sidecar's plain HTTP port for /healthz, /readyz and /metrics.
	AdminPort = proxy.DefaultAdminPort
	// TLSPortName names the sidecar's TLS container port; the Service targets it.
	TLSPortName = "wss-tls"
	// AdminPortName names the sidecar's admin container port; the probes use it.
	AdminPortName = "wss-admin"
	// ConfigHashAnnotation on the pod template carries the hash of the
	// sidecar configuration (see PodTemplate).
	ConfigHashAnnotation = "wss.operator.dev/sidecar-config-hash"
	// EndpointLabel on the pod template carries the WSSEndpoint's name; the
	// Service selects on it and the manager caches only Pods that have it.
	EndpointLabel = "wss.operator.dev/endpoint"
	// CAKey is the key of the client CA bundle in spec.tls.clientAuth.caSecretName,
	// and its file name in CertDir.
	CAKey = "ca.crt"
)

// Defaults that apply when a spec field is zero (the CRD defaults them, but a
// spec built in Go may not have been through the API server).
const (
	// DefaultTLSPort is the TLS port when spec.tls.port is 0.
	DefaultTLSPort int32 = proxy.DefaultPort
	// DefaultDrainTimeout is the drain timeout when spec.sidecar.drainTimeout is 0.
	DefaultDrainTimeout = proxy.DefaultDrainTimeout
	// DefaultGracePeriod is Kubernetes' terminationGracePeriodSeconds when unset.
	DefaultGracePeriod = 30 * time.Second
)

// sidecarUID is the nonroot user and group of distroless images; the
// operator image runs as it.
const sidecarUID int64 = 65532

// certFileMode is the projected volume's defaultMode, 0444. Projected files
// are owned by root; 0440 would need the pod's fsGroup (which we do not own)
// for UID 65532 to read the key. World-readable is what a default Secret
// volume (0644) gives as well: the files exist only in this pod's mount
// namespace and only the sidecar mounts the volume.
const certFileMode int32 = 0o444

// gomemlimitPercent of the memory limit becomes GOMEMLIMIT, leaving headroom
// for memory the Go runtime does not account for.
const gomemlimitPercent = 90

// Params is everything PodTemplate needs.
type Params struct {
	// Endpoint is the WSSEndpoint; required.
	Endpoint *wssv1.WSSEndpoint
	// Image is the operator's own image, run with the proxy subcommand.
	Image string
	// ImagePullPolicy of the sidecar; "" leaves it unset (Kubernetes defaults it).
	ImagePullPolicy corev1.PullPolicy
	// CertSecretName is the Secret with tls.crt and tls.key: cert-manager's
	// <name>-tls or spec.tls.secretName.
	CertSecretName string
}

// TLSPort is the sidecar's TLS port: spec.tls.port, or DefaultTLSPort.
func TLSPort(ep *wssv1.WSSEndpoint) int32 {
	if ep.Spec.TLS.Port > 0 {
		return ep.Spec.TLS.Port
	}
	return DefaultTLSPort
}

// DrainTimeout is spec.sidecar.drainTimeout, or DefaultDrainTimeout.
func DrainTimeout(ep *wssv1.WSSEndpoint) time.Duration {
	if dt := ep.Spec.Sidecar.DrainTimeout; dt != nil && dt.Duration > 0 {
		d := dt.Duration
		return d
	}
	return DefaultDrainTimeout
}

// clientAuthMode is spec.tls.clientAuth.mode, None when unset.
func clientAuthMode(ep *wssv1.WSSEndpoint) wssv1.ClientAuthMode {
	if ca := ep.Spec.TLS.ClientAuth; ca != nil && ca.Mode != "" {
		return ca.Mode
	}
	return wssv1.ClientAuthNone
}

// clientAuthFlag maps the API's client auth mode to the proxy's --client-auth value.
func clientAuthFlag(m wssv1.ClientAuthMode) string {
	switch m {
	case wssv1.ClientAuthRequest:
		return "request"
	case wssv1.ClientAuthRequire:
		return "require"
	default:
		return "none"
	}
}

// Args returns the proxy subcommand's arguments for the endpoint's TLS policy:
//
//	proxy --listen=:<tls port> --backend=127.0.0.1:<backend port> --cert-dir=<CertDir>
//	      --client-auth=none|request|require --admin-listen=:<AdminPort> --drain-timeout=<duration>
//	      [--tls-profile=modern|old] [--min-tls=1.3] [--cipher-suites=A,B] [--curves=X25519,P256]
//
// Cipher suites and curves keep the spec's order and the CRD's enum names,
// which the proxy accepts as they are.
func Args(ep *wssv1.WSSEndpoint) []string {
	args := []string{
		"proxy",
		"--listen=:" + strconv.Itoa(int(TLSPort(ep))),
		"--backend=127.0.0.1:" + strconv.Itoa(int(ep.Spec.Backend.Port)),
		"--cert-dir=" + CertDir,
		"--client-auth=" + clientAuthFlag(clientAuthMode(ep)),
		"--admin-listen=:" + strconv.Itoa(AdminPort),
		"--drain-timeout=" + DrainTimeout(ep).String(),
	}
	// Intermediate is the proxy's default, and Custom is Intermediate with
	// the explicit fields below.
	switch p := ep.Spec.TLS.Profile; p {
	case wssv1.TLSProfileModern, wssv1.TLSProfileOld:
		args = append(args, "--tls-profile="+strings.ToLower(string(p)))
	}
	// Only what differs from the profile: minVersion "1.2" is what
	// Intermediate and Custom start from, so "" and "1.2" run the same.
	if v := ep.Spec.TLS.MinVersion; v != "" && v != wssv1.TLSVersion12 {
		args = append(args, "--min-tls="+string(v))
	}
	if cs := ep.Spec.TLS.CipherSuites; len(cs) > 0 {
		names := make([]string, len(cs))
		for i, c := range cs {
			names[i] = string(c)
		}
		args = append(args, "--cipher-suites="+strings.Join(names, ","))
	}
	if cv := ep.Spec.TLS.Curves; len(cv) > 0 {
		names := make([]string, len(cv))
		for i, c := range cv {
			names[i] = string(c)
		}
		args = append(args, "--curves="+strings.Join(names, ","))
	}
	return args
}

// PodTemplate returns the apply configuration of exactly the pod-template
// fields the operator owns (EndpointLabel, ConfigHashAnnotation, the native
// sidecar and its volume) and the configuration hash it put in the annotation.
//
// The hash is the SHA-256 (first 16 hex digits) of the sidecar container and
// the volume as applied: image, pull policy, args, env, resources, ports,
// probes, security context, mounts and the volume's sources (Secret names and
// items). It does not depend on the Secrets' contents, so a certificate
// rotation is a hot reload in the proxy, not a rollout, and it does not depend
// on spec fields the sidecar does not use (hosts, service, health check).
// p.Endpoint must not be nil.
func PodTemplate(p Params) (*corev1ac.PodTemplateSpecApplyConfiguration, string) {
	c := container(p)
	v := volume(p)
	h := configHash(c, v)
	tmpl := corev1ac.PodTemplateSpec().
		WithLabels(map[string]string{EndpointLabel: p.Endpoint.Name}).
		WithAnnotations(map[string]string{ConfigHashAnnotation: h}).
		WithSpec(corev1ac.PodSpec().
			WithInitContainers(c).
			WithVolumes(v))
	return tmpl, h
}

// configHash hashes the JSON of the container and volume apply
// configurations. encoding/json writes struct fields in declaration order and
// map keys sorted, and resource quantities in canonical form, so equal
// configurations always hash equal.
func configHash(c *corev1ac.ContainerApplyConfiguration, v *corev1ac.VolumeApplyConfiguration) string {
	b, err := json.Marshal(struct {
		Container *corev1ac.ContainerApplyConfiguration `json:"container"`
		Volume    *corev1ac.VolumeApplyConfiguration    `json:"volume"`
	}{c, v})
	if err != nil {
		// Apply configurations are plain data; marshalling cannot fail.
		panic(fmt.Errorf("sidecar: marshal config for hash: %w", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// container builds the native sidecar.
func container(p Params) *corev1ac.ContainerApplyConfiguration {
	ep := p.Endpoint
	res := resources(ep)
	c := corev1ac.Container().
		WithName(ContainerName).
		WithImage(p.Image).
		WithArgs(Args(ep)...).
		WithRestartPolicy(corev1.ContainerRestartPolicyAlways).
		WithPorts(
			// protocol is set explicitly: it is part of the ports list's
			// merge key, and leaving it to defaulting breaks apply.
			corev1ac.ContainerPort().WithName(TLSPortName).WithContainerPort(TLSPort(ep)).WithProtocol(corev1.ProtocolTCP),
			corev1ac.ContainerPort().WithName(AdminPortName).WithContainerPort(AdminPort).WithProtocol(corev1.ProtocolTCP),
		).
		WithReadinessProbe(corev1ac.Probe().
			WithHTTPGet(corev1ac.HTTPGetAction().WithPath("/readyz").WithPort(intstr.FromString(AdminPortName))).
			WithPeriodSeconds(5).
			WithTimeoutSeconds(2).
			WithFailureThreshold(3)).
		WithLivenessProbe(corev1ac.Probe().
			WithHTTPGet(corev1ac.HTTPGetAction().WithPath("/healthz").WithPort(intstr.FromString(AdminPortName))).
			WithPeriodSeconds(10).
			WithTimeoutSeconds(5).
			WithFailureThreshold(3)).
		WithSecurityContext(corev1ac.SecurityContext().
			WithRunAsNonRoot(true).
			WithRunAsUser(sidecarUID).
			WithRunAsGroup(sidecarUID).
			WithReadOnlyRootFilesystem(true).
			WithAllowPrivilegeEscalation(false).
			WithCapabilities(corev1ac.Capabilities().WithDrop("ALL")).
			WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))).
		WithVolumeMounts(corev1ac.VolumeMount().WithName(VolumeName).WithMountPath(CertDir).WithReadOnly(true)).
		WithTerminationMessagePolicy(corev1.TerminationMessageFallbackToLogsOnError)
	if p.ImagePullPolicy != "" {
		c.WithImagePullPolicy(p.ImagePullPolicy)
	}
	if limit, ok := res.Limits[corev1.ResourceMemory]; ok && limit.Value() > 0 {
		// The downward API (resourceFieldRef) can only pass the whole limit;
		// the limit comes from our own spec, so compute the share here.
		c.WithEnv(corev1ac.EnvVar().WithName("GOMEMLIMIT").
			WithValue(strconv.FormatInt(gomemlimit(limit.Value()), 10)))
	}
	if ra := resourcesApply(res); ra != nil {
		c.WithResources(ra)
	}
	return c
}

// gomemlimit is gomemlimitPercent of a memory limit in bytes, rounded down.
func gomemlimit(limit int64) int64 {
	if limit > math.MaxInt64/100 {
		return limit / 100 * gomemlimitPercent
	}
	return limit * gomemlimitPercent / 100
}

// resources is spec.sidecar.resources (a copy), or the defaults: requests
// 10m CPU and 32Mi memory, a 128Mi memory limit.
func resources(ep *wssv1.WSSEndpoint) corev1.ResourceRequirements {
	if r := ep.Spec.Sidecar.Resources; r != nil {
		return *r.DeepCopy()
	}
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("10m"),
			corev1.ResourceMemory: resource.MustParse("32Mi"),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceMemory: resource.MustParse("128Mi"),
		},
	}
}

// resourcesApply converts resource requirements; nil when there are none.
func resourcesApply(r corev1.ResourceRequirements) *corev1ac.ResourceRequirementsApplyConfiguration {
	if len(r.Requests) == 0 && len(r.Limits) == 0 && len(r.Claims) == 0 {
		return nil
	}
	ra := corev1ac.ResourceRequirements()
	if len(r.Requests) > 0 {
		ra.WithRequests(r.Requests)
	}
	if len(r.Limits) > 0 {
		ra.WithLimits(r.Limits)
	}
	for _, cl := range r.Claims {
		rc := corev1ac.ResourceClaim().WithName(cl.Name)
		if cl.Request != "" {
			rc.WithRequest(cl.Request)
		}
		ra.WithClaims(rc)
	}
	return ra
}

// volume builds the projected certificate volume: tls.crt and tls.key from
// the certificate Secret and, with client authentication, ca.crt from
// spec.tls.clientAuth.caSecretName, all in one directory as the proxy's
// --cert-dir expects.
func volume(p Params) *corev1ac.VolumeApplyConfiguration {
	sources := []*corev1ac.VolumeProjectionApplyConfiguration{
		corev1ac.VolumeProjection().WithSecret(corev1ac.SecretProjection().
			WithName(p.CertSecretName).
			WithItems(
				corev1ac.KeyToPath().WithKey(corev1.TLSCertKey).WithPath(corev1.TLSCertKey),
				corev1ac.KeyToPath().WithKey(corev1.TLSPrivateKeyKey).WithPath(corev1.TLSPrivateKeyKey),
			)),
	}
	if ca := p.Endpoint.Spec.TLS.ClientAuth; clientAuthMode(p.Endpoint) != wssv1.ClientAuthNone && ca.CASecretName != "" {
		sources = append(sources, corev1ac.VolumeProjection().WithSecret(corev1ac.SecretProjection().
			WithName(ca.CASecretName).
			WithItems(corev1ac.KeyToPath().WithKey(CAKey).WithPath(CAKey))))
	}
	return corev1ac.Volume().
		WithName(VolumeName).
		WithProjected(corev1ac.ProjectedVolumeSource().
			WithDefaultMode(certFileMode).
			WithSources(sources...))
}
