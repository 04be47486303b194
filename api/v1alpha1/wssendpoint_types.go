package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WorkloadKind is the kind of workload that serves plain WebSocket.
// +kubebuilder:validation:Enum=Deployment;StatefulSet;DaemonSet
type WorkloadKind string

// Supported workload kinds.
const (
	WorkloadDeployment  WorkloadKind = "Deployment"
	WorkloadStatefulSet WorkloadKind = "StatefulSet"
	WorkloadDaemonSet   WorkloadKind = "DaemonSet"
)

// WorkloadReference names the workload, in the WSSEndpoint's namespace, whose
// pods serve plain WebSocket and receive the TLS sidecar.
type WorkloadReference struct {
	// kind is the workload's kind: Deployment, StatefulSet or DaemonSet.
	// +required
	Kind WorkloadKind `json:"kind"`

	// name is the workload's name in the WSSEndpoint's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// Backend describes the plain WebSocket server inside the pod.
type Backend struct {
	// port is the container port the plain ws:// server listens on, on
	// 127.0.0.1 or all interfaces of the pod.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`

	// path is the HTTP path of the WebSocket endpoint. Defaults to "/".
	// +optional
	// +kubebuilder:default="/"
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="backend.path must start with '/'"
	Path string `json:"path,omitempty"`

	// subprotocols the probe offers in Sec-WebSocket-Protocol; the server must
	// choose one of them. Empty means the probe offers none.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=128
	Subprotocols []string `json:"subprotocols,omitempty"`
}

// IssuerKind is the kind of a cert-manager issuer.
// +kubebuilder:validation:Enum=Issuer;ClusterIssuer
type IssuerKind string

// IssuerReference names a cert-manager issuer, as a Certificate's issuerRef does.
type IssuerReference struct {
	// name of the issuer.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// kind of the issuer: Issuer (namespaced, the default) or ClusterIssuer.
	// +optional
	// +kubebuilder:default=Issuer
	Kind IssuerKind `json:"kind,omitempty"`

	// group of the issuer's API. Defaults to cert-manager.io; set it for
	// external issuers.
	// +optional
	// +kubebuilder:default="cert-manager.io"
	// +kubebuilder:validation:MaxLength=253
	Group string `json:"group,omitempty"`
}

// TLSProfile is a TLS policy after Mozilla's server-side TLS guidelines.
// +kubebuilder:validation:Enum=Modern;Intermediate;Old;Custom
type TLSProfile string

// TLS profiles.
const (
	TLSProfileModern       TLSProfile = "Modern"
	TLSProfileIntermediate TLSProfile = "Intermediate"
	TLSProfileOld          TLSProfile = "Old"
	TLSProfileCustom       TLSProfile = "Custom"
)

// TLSVersion is a TLS protocol version.
// +kubebuilder:validation:Enum="1.2";"1.3"
type TLSVersion string

// Supported minimum TLS versions.
const (
	TLSVersion12 TLSVersion = "1.2"
	TLSVersion13 TLSVersion = "1.3"
)

// CipherSuite is a TLS 1.2 cipher suite, named as Go's crypto/tls names it.
// TLS 1.3 suites are not configurable.
// +kubebuilder:validation:Enum=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384;TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256;TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384;TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256;TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA;TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA;TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA;TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
type CipherSuite string

// Curve is a key-exchange group.
// +kubebuilder:validation:Enum=X25519;P256;P384;P521;X25519MLKEM768;SecP256r1MLKEM768;SecP384r1MLKEM1024
type Curve string

// ClientAuthMode says whether the sidecar asks clients for a certificate.
// +kubebuilder:validation:Enum=None;Request;Require
type ClientAuthMode string

// Client authentication modes.
const (
	ClientAuthNone    ClientAuthMode = "None"
	ClientAuthRequest ClientAuthMode = "Request"
	ClientAuthRequire ClientAuthMode = "Require"
)

// ClientAuth configures mutual TLS at the sidecar.
// +kubebuilder:validation:XValidation:rule="self.mode == 'None' || has(self.caSecretName)",message="clientAuth.caSecretName is required unless clientAuth.mode is None"
type ClientAuth struct {
	// mode is None (the default), Request (ask, verify if given) or Require.
	// +optional
	// +kubebuilder:default=None
	Mode ClientAuthMode `json:"mode,omitempty"`

	// caSecretName names a Secret in the same namespace whose `ca.crt` holds
	// the PEM bundle client certificates are verified against. Required
	// unless mode is None.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	CASecretName string `json:"caSecretName,omitempty"`
}

// PrivateKeyAlgorithm is the algorithm of a cert-manager issued key.
// +kubebuilder:validation:Enum=ECDSA;RSA;Ed25519
type PrivateKeyAlgorithm string

// PrivateKey configures the key cert-manager generates.
// +kubebuilder:validation:XValidation:rule="!has(self.size) || self.algorithm != 'RSA' || (self.size >= 2048 && self.size <= 8192)",message="privateKey.size for RSA must be between 2048 and 8192"
// +kubebuilder:validation:XValidation:rule="!has(self.size) || self.algorithm != 'ECDSA' || self.size in [256, 384, 521]",message="privateKey.size for ECDSA must be 256, 384 or 521"
// +kubebuilder:validation:XValidation:rule="!has(self.size) || self.algorithm != 'Ed25519'",message="privateKey.size must not be set for Ed25519"
type PrivateKey struct {
	// algorithm is ECDSA (the default), RSA or Ed25519.
	// +optional
	// +kubebuilder:default=ECDSA
	Algorithm PrivateKeyAlgorithm `json:"algorithm,omitempty"`

	// size in bits: RSA 2048-8192 (default 2048), ECDSA 256, 384 or 521
	// (default 256); not allowed for Ed25519.
	// +optional
	Size *int32 `json:"size,omitempty"`
}

// TLS configures the certificate and the TLS policy of the sidecar.
// +kubebuilder:validation:XValidation:rule="has(self.issuerRef) != has(self.secretName)",message="exactly one of issuerRef or secretName must be set"
// +kubebuilder:validation:XValidation:rule="!has(self.profile) || !(self.profile in ['Modern', 'Old']) || (!has(self.minVersion) && (!has(self.cipherSuites) || size(self.cipherSuites) == 0))",message="minVersion and cipherSuites cannot be combined with profile Modern or Old (the profile sets them); remove them, or use profile Custom"
// +kubebuilder:validation:XValidation:rule="!has(self.cipherSuites) || size(self.cipherSuites) == 0 || !has(self.minVersion) || self.minVersion == '1.2'",message="cipherSuites can only be set when minVersion is 1.2 (TLS 1.3 suites are not configurable)"
// +kubebuilder:validation:XValidation:rule="has(self.issuerRef) || (!has(self.privateKey) && !has(self.duration) && !has(self.renewBefore))",message="privateKey, duration and renewBefore apply only with issuerRef (a certificate from cert-manager)"
// +kubebuilder:validation:XValidation:rule="!has(self.duration) || !has(self.renewBefore) || duration(self.renewBefore) < duration(self.duration)",message="renewBefore must be shorter than duration"
type TLS struct {
	// issuerRef asks cert-manager for the certificate: the controller creates
	// a Certificate whose Secret is `<name>-tls`. Exactly one of issuerRef or
	// secretName.
	// +optional
	IssuerRef *IssuerReference `json:"issuerRef,omitempty"`

	// secretName names a kubernetes.io/tls Secret in the same namespace with
	// tls.crt (leaf first, then intermediates) and tls.key, managed by the
	// user. Exactly one of issuerRef or secretName.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName,omitempty"`

	// hosts are DNS names the certificate must cover. With issuerRef, the
	// Service's names (<svc>.<ns>.svc and <svc>.<ns>.svc.cluster.local) are
	// always added to the issued Certificate. With secretName, your
	// certificate is checked against hosts only, or against the Service's
	// names when hosts is empty. The first host, if any, is the host of
	// status.url.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:items:Pattern=`^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Hosts []string `json:"hosts,omitempty"`

	// port is the sidecar's TLS container port. Defaults to 8443; must differ
	// from backend.port.
	// +optional
	// +kubebuilder:default=8443
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`

	// profile is the TLS policy, after Mozilla's server-side TLS guidelines:
	// Modern (TLS 1.3 only), Intermediate (TLS 1.2 and 1.3, ECDHE with
	// AES-GCM or ChaCha20 only; the default), Old (TLS 1.0 and up, adding
	// ECDHE AES-CBC suites, for clients of the Android 4.x / Java 7 / IE 8-10
	// generation), or Custom (minVersion, cipherSuites and curves as written,
	// the rest from Intermediate). With Intermediate, explicit minVersion,
	// cipherSuites and curves still win; Modern and Old take no minVersion
	// or cipherSuites.
	// +optional
	// +kubebuilder:default=Intermediate
	Profile TLSProfile `json:"profile,omitempty"`

	// minVersion is the lowest TLS version the sidecar accepts: "1.2" or
	// "1.3". Unset: the profile's (1.2 for Intermediate and Custom).
	// +optional
	MinVersion TLSVersion `json:"minVersion,omitempty"`

	// cipherSuites restricts the TLS 1.2 suites, by Go's crypto/tls names.
	// Only allowed with minVersion 1.2. Empty means the profile's.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	CipherSuites []CipherSuite `json:"cipherSuites,omitempty"`

	// curves restricts the key-exchange groups, in preference order. Empty
	// means Go's defaults (which include X25519MLKEM768).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	Curves []Curve `json:"curves,omitempty"`

	// clientAuth configures mutual TLS. Defaults to mode None.
	// +optional
	ClientAuth *ClientAuth `json:"clientAuth,omitempty"`

	// privateKey configures the key cert-manager generates (issuerRef only).
	// +optional
	PrivateKey *PrivateKey `json:"privateKey,omitempty"`

	// duration is the requested certificate lifetime (issuerRef only), e.g.
	// "2160h". cert-manager's default (90 days) applies when unset.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	Duration *metav1.Duration `json:"duration,omitempty"`

	// renewBefore is how long before expiry cert-manager renews (issuerRef
	// only). cert-manager's default (a third of duration) applies when unset.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	RenewBefore *metav1.Duration `json:"renewBefore,omitempty"`
}

// ServiceType is the type of the Service the controller creates.
// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
type ServiceType string

// Service configures the Service that exposes the sidecar's TLS port.
type Service struct {
	// type of the Service: ClusterIP (the default), NodePort or LoadBalancer.
	// +optional
	// +kubebuilder:default=ClusterIP
	Type ServiceType `json:"type,omitempty"`

	// port is the Service port clients connect to. Defaults to 443.
	// +optional
	// +kubebuilder:default=443
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`

	// annotations are set on the Service (e.g. for a cloud load balancer).
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Annotations map[string]string `json:"annotations,omitempty"`
}

// HealthCheck configures the live probe of the endpoint.
// +kubebuilder:validation:XValidation:rule="!has(self.interval) || duration(self.interval) >= duration('5s')",message="healthCheck.interval must be at least 5s"
// +kubebuilder:validation:XValidation:rule="!has(self.timeout) || !has(self.interval) || duration(self.timeout) < duration(self.interval)",message="healthCheck.timeout must be shorter than healthCheck.interval"
// +kubebuilder:validation:XValidation:rule="!has(self.idleTimeout) || (duration(self.idleTimeout) >= duration('10s') && duration(self.idleTimeout) <= duration('1h'))",message="healthCheck.idleTimeout must be between 10s and 1h"
type HealthCheck struct {
	// enabled turns the live probe on (the default) or off.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`

	// interval between probes, at least 5s. Defaults to 30s. Each run is
	// jittered by up to 10% so many endpoints do not probe in lockstep.
	// +optional
	// +kubebuilder:default="30s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	Interval *metav1.Duration `json:"interval,omitempty"`

	// timeout of one whole probe (all phases). Defaults to 5s; must be
	// shorter than interval.
	// +optional
	// +kubebuilder:default="5s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// path the probe upgrades on. Defaults to backend.path.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="healthCheck.path must start with '/'"
	Path string `json:"path,omitempty"`

	// perPod also probes every ready pod's IP directly (default true), which
	// finds a single pod serving a stale certificate.
	// +optional
	// +kubebuilder:default=true
	PerPod *bool `json:"perPod,omitempty"`

	// idleTimeout, when set, makes the probe through the Service hold its
	// connection silent this long after a healthy upgrade and ping, then
	// ping again: a proxy on the way that cuts idle WebSockets (nginx's
	// proxy_read_timeout, a load balancer's idle timeout) is IdleTimeout.
	// Off by default; 10s to 1h. It runs on one connection per endpoint,
	// at most once per interval (a round lasts timeout + idleTimeout).
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	IdleTimeout *metav1.Duration `json:"idleTimeout,omitempty"`

	// failureThreshold is how many consecutive failed probes turn
	// HandshakeHealthy False. Defaults to 3.
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	FailureThreshold int32 `json:"failureThreshold,omitempty"`
}

// Sidecar configures the injected TLS-terminating container.
type Sidecar struct {
	// resources of the sidecar container. Defaults to requests of 10m CPU
	// and 32Mi memory and a 128Mi memory limit.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// drainTimeout is how long the sidecar waits on shutdown for WebSocket
	// connections to close after sending them close 1001. Defaults to 25s;
	// it should be shorter than the pod's terminationGracePeriodSeconds.
	// +optional
	// +kubebuilder:default="25s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	DrainTimeout *metav1.Duration `json:"drainTimeout,omitempty"`
}

// Monitor is an endpoint that something else terminates (an Ingress
// controller, a Gateway, a cloud load balancer): the operator only probes
// it and reports what it finds, without a certificate, sidecar or Service.
type Monitor struct {
	// url is the wss:// (or ws://) URL to probe, as clients use it.
	// +required
	// +kubebuilder:validation:MinLength=6
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.startsWith('wss://') || self.startsWith('ws://')",message="monitor.url must start with wss:// or ws://"
	URL string `json:"url"`

	// caSecretName is a Secret in this namespace whose ca.crt holds the CA
	// certificates to trust besides the system roots (a private CA).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	CASecretName string `json:"caSecretName,omitempty"`

	// clientCertSecretName is a kubernetes.io/tls Secret in this namespace
	// (tls.crt, tls.key) presented when the server asks for a client
	// certificate (mutual TLS).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ClientCertSecretName string `json:"clientCertSecretName,omitempty"`
}

// WSSEndpointSpec is the desired state: which workload serves plain
// WebSocket, and how to put TLS in front of it — or, with monitor, which
// wss:// URL someone else serves and the operator only probes.
// +kubebuilder:validation:XValidation:rule="has(self.workloadRef) != has(self.monitor)",message="exactly one of workloadRef (inject the TLS sidecar into a workload) or monitor (only probe a URL that something else terminates) must be set"
// +kubebuilder:validation:XValidation:rule="has(self.monitor) || (has(self.backend) && has(self.tls))",message="backend and tls are required with workloadRef"
// +kubebuilder:validation:XValidation:rule="!has(self.monitor) || (!has(self.backend) && !has(self.tls))",message="backend and tls must not be set with monitor: the operator injects nothing into a monitored endpoint"
// +kubebuilder:validation:XValidation:rule="!has(self.monitor) || ((!has(self.service.type) || self.service.type == 'ClusterIP') && (!has(self.service.port) || self.service.port == 443) && !has(self.service.annotations))",message="service must not be set with monitor: the operator creates no Service for a monitored endpoint"
// +kubebuilder:validation:XValidation:rule="!has(self.monitor) || (!has(self.sidecar.resources) && (!has(self.sidecar.drainTimeout) || duration(self.sidecar.drainTimeout) == duration('25s')))",message="sidecar must not be set with monitor: the operator injects no sidecar into a monitored endpoint"
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || !has(self.backend) || !has(self.tls.port) || self.tls.port != self.backend.port",message="tls.port must differ from backend.port"
type WSSEndpointSpec struct {
	// workloadRef names the Deployment, StatefulSet or DaemonSet that serves
	// plain WebSocket. Exactly one of workloadRef or monitor.
	// +optional
	WorkloadRef WorkloadReference `json:"workloadRef,omitzero"`

	// monitor probes a wss:// URL that something else terminates, without
	// injecting anything. Exactly one of workloadRef or monitor.
	// +optional
	Monitor *Monitor `json:"monitor,omitempty"`

	// backend is the plain WebSocket server inside the pod (with workloadRef).
	// +optional
	Backend Backend `json:"backend,omitzero"`

	// tls configures the certificate and TLS policy (with workloadRef).
	// +optional
	TLS TLS `json:"tls,omitzero"`

	// service configures the Service that exposes the sidecar.
	// +optional
	// +kubebuilder:default={}
	Service Service `json:"service,omitempty"`

	// healthCheck configures the live probe.
	// +optional
	// +kubebuilder:default={}
	HealthCheck HealthCheck `json:"healthCheck,omitempty"`

	// sidecar configures the injected container.
	// +optional
	// +kubebuilder:default={}
	Sidecar Sidecar `json:"sidecar,omitempty"`

	// suspend stops all changes to children and all probing while true.
	// +optional
	Suspend bool `json:"suspend,omitempty"`
}

// CertificateStatus describes the certificate the sidecar serves.
type CertificateStatus struct {
	// secretName is the Secret holding the certificate.
	// +optional
	SecretName string `json:"secretName,omitempty"`
	// notBefore is the start of the leaf's validity.
	// +optional
	NotBefore *metav1.Time `json:"notBefore,omitempty"`
	// notAfter is the end of the leaf's validity.
	// +optional
	NotAfter *metav1.Time `json:"notAfter,omitempty"`
	// renewalTime is when cert-manager will renew (issuerRef only).
	// +optional
	RenewalTime *metav1.Time `json:"renewalTime,omitempty"`
	// serialNumber of the leaf, hex.
	// +optional
	SerialNumber string `json:"serialNumber,omitempty"`
	// sha256 fingerprint of the leaf, lower-case hex.
	// +optional
	SHA256 string `json:"sha256,omitempty"`
	// issuer is the leaf's issuer distinguished name.
	// +optional
	Issuer string `json:"issuer,omitempty"`
	// dnsNames are the leaf's DNS subject alternative names.
	// +optional
	// +listType=atomic
	DNSNames []string `json:"dnsNames,omitempty"`
	// chainLength is the number of certificates in tls.crt.
	// +optional
	ChainLength int32 `json:"chainLength,omitempty"`
	// findings are the inspection's findings about the Secret (errors first,
	// then warnings such as ExpiringSoon). A deleted Secret is a MissingData
	// finding here, and the leaf fields above are then empty.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	Findings []CertificateFinding `json:"findings,omitempty"`
}

// CertificateFinding is one problem the inspection found.
type CertificateFinding struct {
	// reason from the inspect vocabulary (KeyMismatch, ExpiringSoon, ...).
	Reason string `json:"reason"`
	// severity is Error (the certificate is not served) or Warning.
	// +kubebuilder:validation:Enum=Error;Warning
	Severity string `json:"severity"`
	// message says what is wrong and where.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
}

// PodHandshake is the probe result of one pod.
type PodHandshake struct {
	// name of the pod.
	Name string `json:"name"`
	// reason is the probe reason for this pod (Healthy, StaleCertificate, ...).
	// +optional
	Reason string `json:"reason,omitempty"`
	// servedSHA256 is the SHA-256 of the leaf the pod served.
	// +optional
	ServedSHA256 string `json:"servedSHA256,omitempty"`
}

// HandshakeStatus is what the last live probe found.
type HandshakeStatus struct {
	// lastProbeTime is when the last probe finished.
	// +optional
	LastProbeTime *metav1.Time `json:"lastProbeTime,omitempty"`
	// lastSuccessTime is when a probe last succeeded.
	// +optional
	LastSuccessTime *metav1.Time `json:"lastSuccessTime,omitempty"`
	// reason of the last probe, from the reason vocabulary.
	// +optional
	Reason string `json:"reason,omitempty"`
	// phase in which the last probe failed: dns, connect, tls, upgrade, ping, idle.
	// +optional
	Phase string `json:"phase,omitempty"`
	// message of the last probe.
	// +optional
	Message string `json:"message,omitempty"`
	// tlsVersion negotiated, e.g. "TLS 1.3".
	// +optional
	TLSVersion string `json:"tlsVersion,omitempty"`
	// cipherSuite negotiated.
	// +optional
	CipherSuite string `json:"cipherSuite,omitempty"`
	// latencyMilliseconds is the whole probe's duration.
	// +optional
	LatencyMilliseconds int64 `json:"latencyMilliseconds,omitempty"`
	// consecutiveFailures counts failed probes since the last success.
	// +optional
	ConsecutiveFailures int32 `json:"consecutiveFailures,omitempty"`
	// pods are the per-pod results (healthCheck.perPod).
	// +optional
	// +listType=map
	// +listMapKey=name
	Pods []PodHandshake `json:"pods,omitempty"`
}

// ClientHandshakeExample is what one real client that failed offered.
type ClientHandshakeExample struct {
	// offeredVersions are the TLS versions the client offered, e.g. "TLS 1.0".
	// +optional
	// +listType=atomic
	OfferedVersions []string `json:"offeredVersions,omitempty"`
	// sharedSuites is false when none of the client's cipher suites is ours.
	// +optional
	SharedSuites *bool `json:"sharedSuites,omitempty"`
	// sharedGroups is false when none of the client's key-exchange groups is ours.
	// +optional
	SharedGroups *bool `json:"sharedGroups,omitempty"`
	// sni is the server name the client asked for.
	// +optional
	SNI string `json:"sni,omitempty"`
	// alpn are the protocols the client offered.
	// +optional
	// +listType=atomic
	ALPN []string `json:"alpn,omitempty"`
	// alert is the TLS alert the client sent, e.g. "unknown_ca".
	// +optional
	Alert string `json:"alert,omitempty"`
	// clientPrefix is the client's network (/24 or /64), never its address.
	// +optional
	ClientPrefix string `json:"clientPrefix,omitempty"`
	// message says what happened and what to do.
	// +optional
	Message string `json:"message,omitempty"`
}

// ClientFailure counts real clients' failed handshakes of one reason.
type ClientFailure struct {
	// reason from the probe vocabulary (ProtocolVersionMismatch, UnknownAuthority, ...).
	Reason string `json:"reason"`
	// count of failed handshakes in the last hour, across pods.
	Count int64 `json:"count"`
	// lastSeen is the latest such failure.
	// +optional
	LastSeen *metav1.Time `json:"lastSeen,omitempty"`
	// example is the latest client that failed for this reason.
	// +optional
	Example *ClientHandshakeExample `json:"example,omitempty"`
}

// ClientsStatus is what real clients experienced, as the sidecars saw it.
type ClientsStatus struct {
	// summary is one line for kubectl: "UnknownAuthority 3, ProtocolVersionMismatch 1".
	// +optional
	Summary string `json:"summary,omitempty"`
	// failures per reason over the last hour, most frequent first.
	// +optional
	// +listType=map
	// +listMapKey=reason
	// +kubebuilder:validation:MaxItems=32
	Failures []ClientFailure `json:"failures,omitempty"`
	// lastUpdateTime is when the failures last changed.
	// +optional
	LastUpdateTime *metav1.Time `json:"lastUpdateTime,omitempty"`
}

// ClientCompatibility says whether one client generation can connect.
type ClientCompatibility struct {
	// profile names the restricted client the probe played (see README).
	Profile string `json:"profile"`
	// ok is true when its handshake succeeded.
	OK bool `json:"ok"`
	// reason of the failure, from the probe vocabulary ("" when ok).
	// +optional
	Reason string `json:"reason,omitempty"`
	// standsFor names the real clients of that generation.
	// +optional
	StandsFor string `json:"standsFor,omitempty"`
}

// CompatibilityStatus is which client generations can connect under the
// current TLS policy and certificate.
type CompatibilityStatus struct {
	// clients, one per client profile.
	// +optional
	// +listType=map
	// +listMapKey=profile
	Clients []ClientCompatibility `json:"clients,omitempty"`
	// lastUpdateTime is when the table was measured (on a policy or
	// certificate change, not every interval).
	// +optional
	LastUpdateTime *metav1.Time `json:"lastUpdateTime,omitempty"`
}

// WSSEndpointStatus is the observed state.
type WSSEndpointStatus struct {
	// observedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready, CertificateReady, SidecarReady, ServiceReady,
	// HandshakeHealthy, Reconciling, Stalled.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// url clients use: wss://<first host or service DNS name>:<port><path>.
	// +optional
	URL string `json:"url,omitempty"`

	// certificate describes the served certificate.
	// +optional
	Certificate *CertificateStatus `json:"certificate,omitempty"`

	// handshake describes the last live probe.
	// +optional
	Handshake *HandshakeStatus `json:"handshake,omitempty"`

	// clients counts the handshakes real clients failed, per reason over the
	// last hour, as every ready pod's sidecar reports them.
	// +optional
	Clients *ClientsStatus `json:"clients,omitempty"`

	// compatibility says which client generations can connect.
	// +optional
	Compatibility *CompatibilityStatus `json:"compatibility,omitempty"`

	// workloadRef is the workload that carries this endpoint's sidecar: the
	// one the controller restores when spec.workloadRef changes or the
	// endpoint is deleted. Empty while nothing is injected.
	// +optional
	WorkloadRef *WorkloadReference `json:"workloadRef,omitempty"`
}

// WSSEndpoint turns a workload's plain ws:// server into a checked, probed
// wss:// endpoint: certificate, TLS sidecar, Service and live health.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=wss
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must be a DNS label of at most 63 characters starting with a letter: it names the Service and is used as a label value"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Expires",type=date,JSONPath=`.status.certificate.notAfter`
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.status.url`
// +kubebuilder:printcolumn:name="Client-Failures",type=string,JSONPath=`.status.clients.summary`,description="real clients' failed handshakes in the last hour, by reason"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type WSSEndpoint struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state.
	// +required
	Spec WSSEndpointSpec `json:"spec"`

	// status is the observed state.
	// +optional
	Status WSSEndpointStatus `json:"status,omitempty"`
}

// WSSEndpointList is a list of WSSEndpoints.
//
// +kubebuilder:object:root=true
type WSSEndpointList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []WSSEndpoint `json:"items"`
}

func init() {
	SchemeBuilder.Register(&WSSEndpoint{}, &WSSEndpointList{})
}
