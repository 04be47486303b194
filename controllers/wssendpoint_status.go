package controllers

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// observed is what one reconcile saw; the setters below turn it into
// conditions without side effects.
type observed struct {
	// certificate
	certStatus  metav1.ConditionStatus
	certReason  string
	certMessage string
	// service
	serviceStatus  metav1.ConditionStatus
	serviceReason  string
	serviceMessage string
	// sidecar
	sidecarStatus  metav1.ConditionStatus
	sidecarReason  string
	sidecarMessage string
	// handshake
	handshakeStatus  metav1.ConditionStatus
	handshakeReason  string
	handshakeMessage string
	// stalled: the spec cannot work until a person changes something
	stalled        bool
	stalledReason  string
	stalledMessage string
	// err is a transient error of this reconcile (it will be retried)
	err error
}

func set(ep *wssv1.WSSEndpoint, typ string, status metav1.ConditionStatus, reason, message string) {
	if status == "" {
		status, reason = metav1.ConditionUnknown, wssv1.ReasonProgressing
	}
	meta.SetStatusCondition(&ep.Status.Conditions, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: truncate(message, 1024), ObservedGeneration: ep.Generation,
	})
}

// setCertificateReadyCondition records whether a checked certificate is available.
func setCertificateReadyCondition(ep *wssv1.WSSEndpoint, o observed) {
	set(ep, wssv1.ConditionCertificateReady, o.certStatus, o.certReason, o.certMessage)
}

// setServiceReadyCondition records whether the Service is applied.
func setServiceReadyCondition(ep *wssv1.WSSEndpoint, o observed) {
	set(ep, wssv1.ConditionServiceReady, o.serviceStatus, o.serviceReason, o.serviceMessage)
}

// setSidecarReadyCondition records whether the sidecar is injected and rolled out.
func setSidecarReadyCondition(ep *wssv1.WSSEndpoint, o observed) {
	set(ep, wssv1.ConditionSidecarReady, o.sidecarStatus, o.sidecarReason, o.sidecarMessage)
}

// setHandshakeHealthyCondition records the live probe's verdict.
func setHandshakeHealthyCondition(ep *wssv1.WSSEndpoint, o observed) {
	set(ep, wssv1.ConditionHandshakeHealthy, o.handshakeStatus, o.handshakeReason, o.handshakeMessage)
}

// summaryOrder is the order in which Ready looks for the first condition
// that is not True.
var summaryOrder = []string{
	wssv1.ConditionCertificateReady,
	wssv1.ConditionSidecarReady,
	wssv1.ConditionServiceReady,
	wssv1.ConditionHandshakeHealthy,
}

// setReadyCondition sets Ready = CertificateReady ∧ SidecarReady ∧
// ServiceReady ∧ HandshakeHealthy, with the reason and message of the first
// one that is not True. It must run after the four setters.
func setReadyCondition(ep *wssv1.WSSEndpoint) {
	for _, typ := range summaryOrder {
		c := meta.FindStatusCondition(ep.Status.Conditions, typ)
		if c == nil {
			set(ep, wssv1.ConditionReady, metav1.ConditionUnknown, wssv1.ReasonProgressing, typ+" has not been evaluated yet")
			return
		}
		if c.Status != metav1.ConditionTrue {
			status := metav1.ConditionFalse
			if c.Status == metav1.ConditionUnknown {
				status = metav1.ConditionUnknown
			}
			set(ep, wssv1.ConditionReady, status, c.Reason, fmt.Sprintf("%s: %s", typ, c.Message))
			return
		}
	}
	set(ep, wssv1.ConditionReady, metav1.ConditionTrue, wssv1.ReasonSucceeded, "wss:// endpoint is served and the live handshake is healthy")
}

// setReconcilingStalledConditions follows kstatus: Stalled=True when the
// spec cannot work as written; otherwise Reconciling=True while any of the
// four facts is not yet True (work or waiting under way) and Ready is not
// False for a settled reason.
func setReconcilingStalledConditions(ep *wssv1.WSSEndpoint, o observed) {
	if o.stalled {
		set(ep, wssv1.ConditionStalled, metav1.ConditionTrue, o.stalledReason, o.stalledMessage)
		meta.RemoveStatusCondition(&ep.Status.Conditions, wssv1.ConditionReconciling)
		return
	}
	meta.RemoveStatusCondition(&ep.Status.Conditions, wssv1.ConditionStalled)
	if o.err != nil {
		set(ep, wssv1.ConditionReconciling, metav1.ConditionTrue, wssv1.ReasonProgressing, "retrying after an error: "+o.err.Error())
		return
	}
	for _, typ := range summaryOrder {
		c := meta.FindStatusCondition(ep.Status.Conditions, typ)
		if c == nil || c.Status == metav1.ConditionUnknown || waiting(c.Reason) {
			msg := typ + " is being established"
			if c != nil {
				msg = fmt.Sprintf("%s: %s", typ, c.Message)
			}
			set(ep, wssv1.ConditionReconciling, metav1.ConditionTrue, wssv1.ReasonProgressing, msg)
			return
		}
	}
	meta.RemoveStatusCondition(&ep.Status.Conditions, wssv1.ConditionReconciling)
}

// waiting reports reasons that mean "in progress" rather than "failed".
func waiting(reason string) bool {
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
	return s[:n-1] + "…"
}
