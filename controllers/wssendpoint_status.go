package controllers

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/certinfo"
)

// computeStatus decides every condition and status field from what the
// steps recorded. It is pure: no API calls, no metrics, no events.
func computeStatus(ep, before *wssv1.WSSEndpoint, f facts, url string) {
	setCertificateStatus(ep, f)
	setCertificateReadyCondition(ep, f)
	setServiceReadyCondition(ep, f)
	setSidecarReadyCondition(ep, f)
	setWorkloadRefStatus(ep, f)
	setHandshakeStatus(ep, before, f)
	setHandshakeHealthyCondition(ep, before, f)
	setClientsStatus(ep, f)
	setCompatibilityStatus(ep, f)
	if f.monitor {
		// Nothing is injected and no Service exists: not False, not shown.
		meta.RemoveStatusCondition(&ep.Status.Conditions, wssv1.ConditionSidecarReady)
		meta.RemoveStatusCondition(&ep.Status.Conditions, wssv1.ConditionServiceReady)
		if f.leftInjection {
			ep.Status.WorkloadRef = nil
		}
	}
	setReadyCondition(ep, f)
	setReconcilingStalledConditions(ep, f)
	if f.err == nil {
		ep.Status.ObservedGeneration = ep.Generation
	}
	ep.Status.URL = url
}

func set(ep *wssv1.WSSEndpoint, typ string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&ep.Status.Conditions, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: truncate(message, 1024), ObservedGeneration: ep.Generation,
	})
}

// stalledAt reports the stall of this reconcile when it happened in step.
func stalledAt(f facts, step string) (*stalling, bool) {
	if f.stalled != nil && f.stalledStep == step {
		return f.stalled, true
	}
	return nil, false
}

// setCertificateReadyCondition: True when the Secret exists and passed
// inspection (and the client CA bundle too, with client authentication);
// False with the first Error finding, MissingData for a missing user
// Secret, CertificateNotReady while cert-manager has not issued. Unchanged
// when the certificate was not judged in this reconcile.
func setCertificateReadyCondition(ep *wssv1.WSSEndpoint, f facts) {
	c := f.cert
	if c == nil {
		return
	}
	typ := wssv1.ConditionCertificateReady
	if c.problem != nil {
		set(ep, typ, metav1.ConditionFalse, c.problem.Reason, c.problem.Message)
		return
	}
	switch {
	case c.secretMissing && c.issued:
		msg := notReadyMessage(c)
		if c.notReady == "" {
			// cert-manager calls the Certificate Ready, but its Secret is
			// gone: cert-manager re-issues it.
			msg = fmt.Sprintf("Secret %s does not exist; %s", c.secretName, certificateWaiting)
		}
		set(ep, typ, metav1.ConditionFalse, wssv1.ReasonCertificateNotReady, msg)
		return
	case c.secretMissing:
		set(ep, typ, metav1.ConditionFalse, wssv1.ReasonMissingData,
			fmt.Sprintf("spec.tls.secretName: Secret %s/%s does not exist", ep.Namespace, c.secretName))
		return
	}
	if c.report != nil {
		if fd, bad := c.report.Error(); bad {
			set(ep, typ, metav1.ConditionFalse, fd.Reason, fd.Message+" — "+certcheck.Fix(fd.Reason))
			return
		}
	}
	if ca := c.clientCA; ca != nil {
		if ca.missing {
			set(ep, typ, metav1.ConditionFalse, wssv1.ReasonClientCAInvalid, fmt.Sprintf(
				"spec.tls.clientAuth.caSecretName: Secret %s/%s does not exist; the sidecar verifies client certificates against its ca.crt", ep.Namespace, ca.secretName))
			return
		}
		if fd, bad := ca.report.Error(); bad {
			set(ep, typ, metav1.ConditionFalse, wssv1.ReasonClientCAInvalid, fd.Message+" — "+certcheck.Fix(wssv1.ReasonClientCAInvalid))
			return
		}
	}
	if c.notReady != "" {
		set(ep, typ, metav1.ConditionFalse, wssv1.ReasonCertificateNotReady, notReadyMessage(c))
		return
	}
	msg := fmt.Sprintf("Secret %s passed inspection", c.secretName)
	if c.monitor {
		msg = fmt.Sprintf("the served chain (%d certificates) passed inspection", c.report.ChainLength)
	}
	if c.report != nil {
		for _, fd := range c.report.Findings {
			msg += fmt.Sprintf("; warning %s: %s", fd.Reason, fd.Message)
		}
	}
	set(ep, typ, metav1.ConditionTrue, wssv1.ReasonSucceeded, msg)
}

// notReadyMessage is CertificateReady's message while cert-manager has not
// issued: the same whether it has written the Secret yet or not, so its
// steps cost no status write.
func notReadyMessage(c *certFacts) string {
	if c.notReady != certificateWaiting {
		return c.notReady + " (Secret " + c.secretName + ")"
	}
	return certificateWaiting + " into Secret " + c.secretName
}

// setCertificateStatus is status.certificate from the Secret's inspection;
// a deleted Secret empties the leaf fields and says so in findings.
// Unchanged when the Secret was not judged in this reconcile.
func setCertificateStatus(ep *wssv1.WSSEndpoint, f facts) {
	c := f.cert
	if c == nil || c.problem != nil {
		return
	}
	st := &wssv1.CertificateStatus{SecretName: c.secretName}
	if c.issued && c.notReady != "" && (c.secretMissing || ep.Status.Certificate == nil || ep.Status.Certificate.SHA256 == "") {
		// cert-manager is issuing the first certificate: nothing is missing
		// yet, and the leaf is reported once, with its renewal time, when
		// the Certificate is Ready (one status write, not one per step).
		ep.Status.Certificate = st
		return
	}
	if c.secretMissing {
		msg := fmt.Sprintf("Secret %s/%s does not exist", ep.Namespace, c.secretName)
		if ep.Status.Certificate != nil && ep.Status.Certificate.SHA256 != "" {
			msg += fmt.Sprintf(" (deleted: it held the leaf with SHA-256 %s; running sidecars keep serving it, new pods cannot start)", ep.Status.Certificate.SHA256)
		}
		st.Findings = []wssv1.CertificateFinding{{Reason: wssv1.ReasonMissingData, Severity: string(certcheck.SeverityError), Message: msg}}
		ep.Status.Certificate = st
		return
	}
	report := c.report
	if report == nil {
		return
	}
	st.ChainLength = int32(report.ChainLength)
	if leaf := report.Leaf; leaf != nil {
		nb, na := metav1.NewTime(leaf.NotBefore.UTC()), metav1.NewTime(leaf.NotAfter.UTC())
		st.NotBefore, st.NotAfter = &nb, &na
		st.SerialNumber = leaf.SerialNumber.Text(16)
		st.SHA256 = certinfo.Fingerprint(leaf)
		st.Issuer = leaf.Issuer.String()
		st.DNSNames = leaf.DNSNames
	}
	if c.cmCert != nil && c.cmCert.Status.RenewalTime != nil {
		rt := *c.cmCert.Status.RenewalTime
		st.RenewalTime = &rt
	}
	st.Findings = certificateFindings(report.Findings)
	ep.Status.Certificate = st
}

// certificateFindings converts inspection findings for status (bounded).
func certificateFindings(in []certcheck.Finding) []wssv1.CertificateFinding {
	var out []wssv1.CertificateFinding
	for _, fd := range in {
		if len(out) == 16 {
			break
		}
		out = append(out, wssv1.CertificateFinding{Reason: fd.Reason, Severity: string(fd.Severity), Message: truncate(fd.Message, 1024)})
	}
	return out
}

// setServiceReadyCondition: True once the Service is applied; False with
// the stall when the Service cannot be ours. Unchanged when the step did not run.
func setServiceReadyCondition(ep *wssv1.WSSEndpoint, f facts) {
	typ := wssv1.ConditionServiceReady
	if st, ok := stalledAt(f, stepService); ok {
		set(ep, typ, metav1.ConditionFalse, st.Reason, st.Message)
		return
	}
	if s := f.service; s != nil {
		set(ep, typ, metav1.ConditionTrue, wssv1.ReasonSucceeded,
			fmt.Sprintf("Service %s exposes port %d (%s) to the sidecar's TLS port", s.name, s.port, s.svcType))
	}
}

// setSidecarReadyCondition: True when the current sidecar configuration is
// rolled out to every replica (with a warning reason when the drain exceeds
// the grace period); False while rolling out, when the workload is missing,
// when the certificate holds the injection back, or with the stall.
func setSidecarReadyCondition(ep *wssv1.WSSEndpoint, f facts) {
	typ := wssv1.ConditionSidecarReady
	if st, ok := stalledAt(f, stepSidecar); ok {
		set(ep, typ, metav1.ConditionFalse, st.Reason, st.Message)
		return
	}
	s := f.sidecar
	if s == nil {
		return
	}
	switch {
	case s.workloadMissing:
		set(ep, typ, metav1.ConditionFalse, wssv1.ReasonWorkloadNotFound,
			fmt.Sprintf("%s %s/%s does not exist", s.ref.Kind, ep.Namespace, s.ref.Name))
	case s.withheld:
		why := "the certificate has not passed inspection"
		if c := meta.FindStatusCondition(ep.Status.Conditions, wssv1.ConditionCertificateReady); c != nil && c.Status != metav1.ConditionTrue {
			why = "CertificateReady is " + c.Reason
		}
		set(ep, typ, metav1.ConditionFalse, wssv1.ReasonCertificateNotReady,
			"the sidecar is not injected until the certificate passes inspection ("+why+")")
	case s.applied || !s.rolledOut:
		// One message from the apply to the end of the rollout: the
		// workload controller's steps (observed generation, updated and
		// available replicas) cost no status write each.
		set(ep, typ, metav1.ConditionFalse, wssv1.ReasonRolloutInProgress,
			fmt.Sprintf("rolling out sidecar configuration %s (kubectl rollout status %s/%s shows its progress)",
				short(s.hash), strings.ToLower(string(s.ref.Kind)), s.ref.Name))
	case s.drain != "":
		set(ep, typ, metav1.ConditionTrue, wssv1.ReasonDrainExceedsGracePeriod,
			"sidecar "+short(s.hash)+" is rolled out to every replica; warning: "+s.drain)
	default:
		set(ep, typ, metav1.ConditionTrue, wssv1.ReasonSucceeded, "sidecar "+short(s.hash)+" is rolled out to every replica")
	}
}

// setWorkloadRefStatus records which workload carries the injection: the
// current one once it is injected there. While the current workload cannot
// take it (missing, withheld), a previous injection stays recorded, because
// it is still there to be restored.
func setWorkloadRefStatus(ep *wssv1.WSSEndpoint, f facts) {
	s := f.sidecar
	if s == nil || s.workloadMissing || s.withheld {
		return
	}
	ref := s.ref
	ep.Status.WorkloadRef = &ref
}

// setHandshakeStatus is status.handshake from the prober's latest round
// (nil when probing is disabled; unchanged while pending or not run).
func setHandshakeStatus(ep, before *wssv1.WSSEndpoint, f facts) {
	p := f.probe
	switch {
	case p == nil:
	case p.disabled:
		ep.Status.Handshake = nil
	case p.result != nil:
		ep.Status.Handshake = quietHandshake(before.Status.Handshake, handshakeStatus(*p.result))
	}
}

// setHandshakeHealthyCondition is the live probe's verdict: True when
// healthy, False after failureThreshold consecutive failures, the previous
// verdict before that, Unknown until the first round.
func setHandshakeHealthyCondition(ep, before *wssv1.WSSEndpoint, f facts) {
	p := f.probe
	if p == nil {
		return
	}
	typ := wssv1.ConditionHandshakeHealthy
	switch {
	case p.disabled:
		set(ep, typ, metav1.ConditionTrue, wssv1.ReasonProbeDisabled, "spec.healthCheck.enabled is false: the endpoint is not probed")
	case p.pending != "":
		set(ep, typ, metav1.ConditionUnknown, wssv1.ReasonProbePending, p.pending)
	case p.result == nil:
		set(ep, typ, metav1.ConditionUnknown, wssv1.ReasonProbePending, firstProbeMessage(p.url))
	default:
		st, reason, msg := handshakeCondition(*p.result, p.threshold, before)
		set(ep, typ, st, reason, msg)
	}
}

// firstProbeMessage is HandshakeHealthy's message until the first probe
// result: the same before and after the probe could start, so that step
// costs no status write.
func firstProbeMessage(url string) string {
	return "waiting for the first probe of " + url +
		" (it starts once the certificate is checked, the Service exists and the sidecar is rolled out)"
}

// summaryOrder is the order in which Ready looks for the root cause.
var summaryOrder = []string{
	wssv1.ConditionCertificateReady,
	wssv1.ConditionSidecarReady,
	wssv1.ConditionServiceReady,
	wssv1.ConditionHandshakeHealthy,
}

// monitorSummaryOrder is summaryOrder for a monitor-only endpoint: the live
// verdict first, then the served chain's inspection (which reports what
// real clients would refuse even while our probe, trusting ca.crt, passes).
var monitorSummaryOrder = []string{wssv1.ConditionHandshakeHealthy, wssv1.ConditionCertificateReady}

// setReadyCondition sets Ready = CertificateReady ∧ SidecarReady ∧
// ServiceReady ∧ HandshakeHealthy, naming the root cause when it is not
// True: the stall of this reconcile if any; else the first condition that
// failed for a settled reason; else the first that is waiting or Unknown.
func setReadyCondition(ep *wssv1.WSSEndpoint, f facts) {
	typ := wssv1.ConditionReady
	if st := f.stalled; st != nil {
		set(ep, typ, metav1.ConditionFalse, st.Reason, st.Message)
		return
	}
	order := summaryOrder
	if f.monitor {
		order = monitorSummaryOrder
	}
	var first *metav1.Condition
	for _, t := range order {
		c := meta.FindStatusCondition(ep.Status.Conditions, t)
		if c == nil {
			if first == nil {
				first = &metav1.Condition{Type: t, Status: metav1.ConditionUnknown, Reason: wssv1.ReasonProgressing, Message: "not evaluated yet"}
			}
			continue
		}
		if c.Status == metav1.ConditionFalse && !waitingReason(c.Reason) {
			set(ep, typ, metav1.ConditionFalse, c.Reason, c.Type+": "+c.Message)
			return
		}
		if c.Status != metav1.ConditionTrue && first == nil {
			first = c
		}
	}
	if first != nil {
		set(ep, typ, first.Status, first.Reason, first.Type+": "+first.Message)
		return
	}
	set(ep, typ, metav1.ConditionTrue, wssv1.ReasonSucceeded, "wss:// endpoint is served and the live handshake is healthy")
}

// setReconcilingStalledConditions follows kstatus. A stall: Stalled=True,
// no Reconciling. A transient error: Reconciling=True naming it
// (ProgressingWithRetry); Stalled stays only if it was set for this
// generation (the stalling step did not run again). Waiting, or Ready
// waiting on progress: Reconciling=True. Otherwise neither.
func setReconcilingStalledConditions(ep *wssv1.WSSEndpoint, f facts) {
	switch {
	case f.stalled != nil:
		set(ep, wssv1.ConditionStalled, metav1.ConditionTrue, f.stalled.Reason, f.stalled.Message)
		meta.RemoveStatusCondition(&ep.Status.Conditions, wssv1.ConditionReconciling)
		return
	case f.err != nil:
		set(ep, wssv1.ConditionReconciling, metav1.ConditionTrue, wssv1.ReasonProgressingWithRetry, "retrying after an error: "+f.err.Error())
		if c := meta.FindStatusCondition(ep.Status.Conditions, wssv1.ConditionStalled); c != nil && c.ObservedGeneration != ep.Generation {
			meta.RemoveStatusCondition(&ep.Status.Conditions, wssv1.ConditionStalled)
		}
		return
	}
	meta.RemoveStatusCondition(&ep.Status.Conditions, wssv1.ConditionStalled)
	if w := f.waiting; w != nil {
		// Ready names what is awaited already, and its message changes only
		// with a condition; the step's own words would change more often
		// (one status write each).
		msg := w.Message
		if ready := meta.FindStatusCondition(ep.Status.Conditions, wssv1.ConditionReady); ready != nil && ready.Status != metav1.ConditionTrue {
			msg = ready.Message
		}
		set(ep, wssv1.ConditionReconciling, metav1.ConditionTrue, wssv1.ReasonProgressing, msg)
		return
	}
	if ready := meta.FindStatusCondition(ep.Status.Conditions, wssv1.ConditionReady); ready != nil &&
		(ready.Status == metav1.ConditionUnknown || (ready.Status == metav1.ConditionFalse && waitingReason(ready.Reason))) {
		set(ep, wssv1.ConditionReconciling, metav1.ConditionTrue, wssv1.ReasonProgressing, ready.Message)
		return
	}
	meta.RemoveStatusCondition(&ep.Status.Conditions, wssv1.ConditionReconciling)
}

// waitingReason reports reasons that mean "in progress" rather than "failed".
func waitingReason(reason string) bool {
	switch reason {
	case wssv1.ReasonCertificateNotReady, wssv1.ReasonRolloutInProgress, wssv1.ReasonProbePending, wssv1.ReasonProgressing:
		return true
	}
	return false
}

// setSuspendedConditions marks a suspended endpoint: nothing is changed or
// probed; Ready keeps its last value.
func setSuspendedConditions(ep *wssv1.WSSEndpoint) {
	meta.RemoveStatusCondition(&ep.Status.Conditions, wssv1.ConditionStalled)
	set(ep, wssv1.ConditionReconciling, metav1.ConditionFalse, wssv1.ReasonSuspended, "spec.suspend is true: no changes and no probes")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n-1], "") + "…"
}
