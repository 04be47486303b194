package v1alpha1

// Condition types of a WSSEndpoint. Ready summarises the four facts below it;
// Reconciling and Stalled follow kstatus, so Argo CD, Flux and `kubectl wait`
// understand progress without knowing this API.
const (
	// ConditionReady is True when CertificateReady, SidecarReady, ServiceReady
	// and HandshakeHealthy are all True. Otherwise it carries the reason and
	// message of the first of those that is not True.
	ConditionReady = "Ready"

	// ConditionCertificateReady is True when a certificate has been issued (or
	// the user's Secret exists) and the Secret passed inspection: key matches,
	// chain complete and ordered, valid now, hosts covered, key strong enough,
	// key unencrypted. Its reason is the first Error finding otherwise.
	ConditionCertificateReady = "CertificateReady"

	// ConditionSidecarReady is True when the workload's pod template carries
	// the current sidecar configuration and the workload's rollout of it has
	// completed (observed generation, updated and available replicas).
	ConditionSidecarReady = "SidecarReady"

	// ConditionServiceReady is True when the Service exposing the sidecar's
	// TLS port exists as applied.
	ConditionServiceReady = "ServiceReady"

	// ConditionHandshakeHealthy is True while the live probe (TLS handshake,
	// WebSocket upgrade, ping/pong) succeeds. It turns False only after
	// spec.healthCheck.failureThreshold consecutive failures; its reason is
	// the probe's reason (see reasons.go).
	ConditionHandshakeHealthy = "HandshakeHealthy"

	// ConditionReconciling is True while the controller is working towards
	// the desired state (kstatus "InProgress"): waiting for a certificate, a
	// rollout, or the first probe.
	ConditionReconciling = "Reconciling"

	// ConditionStalled is True when the spec cannot work as written and the
	// controller will not retry until it changes (kstatus "Failed").
	ConditionStalled = "Stalled"
)

// Reasons used on the Reconciling, Stalled and summary conditions, beside the
// failure vocabulary in reasons.go.
const (
	// ReasonProgressing is the Reconciling reason while work is under way.
	ReasonProgressing = "Progressing"
	// ReasonProgressingWithRetry is the Reconciling reason after a transient
	// error (an API timeout, a 5xx, a 403 while RBAC rolls out); the message
	// names the error, and the reconcile is retried with backoff. Conditions
	// the failed reconcile did not evaluate keep their previous values.
	ReasonProgressingWithRetry = "ProgressingWithRetry"
	// ReasonSucceeded is the reason of a True condition that has no more
	// specific reason (Ready, CertificateReady, SidecarReady, ServiceReady).
	ReasonSucceeded = "Succeeded"
	// ReasonSuspended marks a resource whose spec.suspend is true.
	ReasonSuspended = "Suspended"
	// ReasonProbePending means no probe result has arrived yet.
	ReasonProbePending = "ProbePending"
	// ReasonProbeDisabled means spec.healthCheck.enabled is false.
	ReasonProbeDisabled = "ProbeDisabled"
	// ReasonInvalidSpec is the Stalled reason for a spec that cannot work.
	ReasonInvalidSpec = "InvalidSpec"
)
