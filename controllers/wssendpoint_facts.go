package controllers

import (
	"time"

	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/probeloop"
)

// The facts one reconcile records. Steps only record what they saw; the pure
// setters in wssendpoint_status.go decide every condition and status field
// from them. A nil group means its step did not run in this reconcile, and
// the conditions it decides keep their previous values.

// certFacts is what reconcileCertificate and reconcileSecretCheck saw.
type certFacts struct {
	// secretName is the Secret the sidecar serves.
	secretName string
	// issued is true with spec.tls.issuerRef (a cert-manager Certificate).
	issued bool
	// notReady is cert-manager's reason the Certificate is not Ready at its
	// current generation ("" when Ready, or with secretName).
	notReady string
	// cmCert is cert-manager's Certificate (nil with secretName).
	cmCert *cmv1.Certificate
	// secretMissing: the Secret does not exist.
	secretMissing bool
	// report is the inspection of the Secret (nil when it is missing).
	report *certcheck.Report
	// clientCA is the inspection of spec.tls.clientAuth.caSecretName (nil
	// when client authentication is off).
	clientCA *clientCAFacts
	// now is when the Secret was judged.
	now time.Time
	// monitor: report is the inspection of the chain a monitored server
	// served (spec.monitor), not of a Secret.
	monitor bool
	// problem is a monitor's unusable trust or client-certificate Secret.
	problem *certcheck.Finding
}

// clientCAFacts is what the client-CA Secret check saw.
type clientCAFacts struct {
	secretName string
	missing    bool
	report     certcheck.Report
}

// usable says whether the certificate may be rolled out: the Secret exists
// and passed inspection, cert-manager calls it Ready (with issuerRef), and
// the client CA bundle passed inspection when one is needed.
func (c *certFacts) usable() bool {
	if c == nil || c.secretMissing || c.report == nil || !c.report.Healthy {
		return false
	}
	if c.issued && c.notReady != "" {
		// cert-manager has written the Secret but not yet called the
		// Certificate Ready (at its generation): roll out with Ready, in the
		// same reconcile and status write.
		return false
	}
	if ca := c.clientCA; ca != nil && (ca.missing || !ca.report.Healthy) {
		return false
	}
	return true
}

// serviceFacts is what reconcileService saw and did.
type serviceFacts struct {
	name    string
	port    int32
	svcType string
}

// sidecarFacts is what reconcileSidecar saw and did.
type sidecarFacts struct {
	ref wssv1.WorkloadReference
	// workloadMissing: spec.workloadRef names no workload.
	workloadMissing bool
	// withheld: the certificate is not usable, so nothing was injected.
	withheld bool
	// hash is the sidecar configuration hash of this spec.
	hash string
	// applied: this reconcile applied a new sidecar configuration.
	applied bool
	// rolledOut: the workload runs the current configuration everywhere;
	// rollout says what it waits for otherwise.
	rolledOut bool
	rollout   string
	// drain is a warning that the drain timeout exceeds the grace period.
	drain string
	// restored is the previous workload the injection was removed from in
	// this reconcile (spec.workloadRef changed), if any.
	restored *wssv1.WorkloadReference
}

// probeFacts is what reconcileProbe saw.
type probeFacts struct {
	// disabled: spec.healthCheck.enabled is false.
	disabled bool
	// pending says why probing has not started ("" once it has).
	pending string
	// url is the probed URL.
	url string
	// result is the prober's latest round (nil before the first).
	result *probeloop.Result
	// threshold is spec.healthCheck.failureThreshold.
	threshold int32
	// clients are real clients' failures in the last hour across pods (nil:
	// not read in this reconcile), as of now.
	clients []wssv1.ClientFailure
	now     time.Time
	// compatKey identifies the TLS policy and certificate the compatibility
	// table must have been measured for.
	compatKey string
}

// facts is everything one reconcile recorded.
type facts struct {
	// monitor: the endpoint is monitor-only (spec.monitor); SidecarReady
	// and ServiceReady do not apply.
	monitor bool
	// leftInjection: a monitor-only endpoint restored the workload it had
	// injected before spec.monitor replaced spec.workloadRef.
	leftInjection bool
	cert          *certFacts
	service       *serviceFacts
	sidecar       *sidecarFacts
	probe         *probeFacts
	// stalled is the stall that stopped this reconcile, if any; its step
	// names the condition it belongs to.
	stalled     *stalling
	stalledStep string
	// waiting is what stopped this reconcile to wait, if anything.
	waiting *waiting
	// err is the transient error that stopped this reconcile, if any.
	err error
	// complete: every step ran (no stall, wait or error).
	complete bool
}
