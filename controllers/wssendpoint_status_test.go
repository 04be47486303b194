package controllers

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/prober"
)

var (
	T = metav1.ConditionTrue
	F = metav1.ConditionFalse
	U = metav1.ConditionUnknown
)

func allTrue() observed {
	return observed{
		certStatus: T, certReason: wssv1.ReasonSucceeded, certMessage: "ok",
		serviceStatus: T, serviceReason: wssv1.ReasonSucceeded,
		sidecarStatus: T, sidecarReason: wssv1.ReasonSucceeded,
		handshakeStatus: T, handshakeReason: wssv1.ReasonHealthy,
	}
}

func TestStatusSetters(t *testing.T) {
	cases := []struct {
		name                 string
		obs                  func(o *observed)
		ready                string // Status/Reason of Ready
		reconciling, stalled string // Status/Reason or "" for absent
		readyMessageContains string
	}{
		{name: "all true", obs: func(*observed) {}, ready: "True/Succeeded"},
		{
			name: "certificate not issued yet is progress",
			obs: func(o *observed) {
				o.certStatus, o.certReason, o.certMessage = F, wssv1.ReasonCertificateNotReady, "cert-manager: Pending: issuer not found"
			},
			ready: "False/CertificateNotReady", reconciling: "True/Progressing", readyMessageContains: "CertificateReady: cert-manager: Pending",
		},
		{
			name:  "key mismatch is a settled failure",
			obs:   func(o *observed) { o.certStatus, o.certReason = F, wssv1.ReasonKeyMismatch },
			ready: "False/KeyMismatch",
		},
		{
			name: "certificate is reported before the sidecar",
			obs: func(o *observed) {
				o.certStatus, o.certReason = F, wssv1.ReasonChainIncomplete
				o.sidecarStatus, o.sidecarReason = F, wssv1.ReasonWorkloadNotFound
			},
			ready: "False/ChainIncomplete",
		},
		{
			name:  "workload missing",
			obs:   func(o *observed) { o.sidecarStatus, o.sidecarReason = F, wssv1.ReasonWorkloadNotFound },
			ready: "False/WorkloadNotFound",
		},
		{
			name: "sidecar conflict stalls",
			obs: func(o *observed) {
				o.sidecarStatus, o.sidecarReason = F, wssv1.ReasonSidecarConflict
				o.stalled, o.stalledReason, o.stalledMessage = true, wssv1.ReasonSidecarConflict, "port 8443 is used by container app"
			},
			ready: "False/SidecarConflict", stalled: "True/SidecarConflict",
		},
		{
			name:  "rollout in progress",
			obs:   func(o *observed) { o.sidecarStatus, o.sidecarReason = F, wssv1.ReasonRolloutInProgress },
			ready: "False/RolloutInProgress", reconciling: "True/Progressing",
		},
		{
			name:  "probe pending is unknown",
			obs:   func(o *observed) { o.handshakeStatus, o.handshakeReason = U, wssv1.ReasonProbePending },
			ready: "Unknown/ProbePending", reconciling: "True/Progressing",
		},
		{
			name:  "handshake failing",
			obs:   func(o *observed) { o.handshakeStatus, o.handshakeReason = F, wssv1.ReasonBackendUnavailable },
			ready: "False/BackendUnavailable",
		},
		{
			name:  "drain warning keeps Ready true",
			obs:   func(o *observed) { o.sidecarReason = wssv1.ReasonDrainExceedsGracePeriod },
			ready: "True/Succeeded",
		},
		{
			name:  "transient error is reconciling",
			obs:   func(o *observed) { o.err = errors.New("etcd timeout") },
			ready: "True/Succeeded", reconciling: "True/Progressing",
		},
		{
			name:  "unset observation is unknown",
			obs:   func(o *observed) { o.serviceStatus, o.serviceReason = "", "" },
			ready: "Unknown/Progressing", reconciling: "True/Progressing",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ep := &wssv1.WSSEndpoint{ObjectMeta: metav1.ObjectMeta{Generation: 7}}
			o := allTrue()
			tc.obs(&o)
			setCertificateReadyCondition(ep, o)
			setSidecarReadyCondition(ep, o)
			setServiceReadyCondition(ep, o)
			setHandshakeHealthyCondition(ep, o)
			setReadyCondition(ep)
			setReconcilingStalledConditions(ep, o)

			ready := meta.FindStatusCondition(ep.Status.Conditions, wssv1.ConditionReady)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(string(ready.Status) + "/" + ready.Reason).To(Equal(tc.ready))
			g.Expect(ready.ObservedGeneration).To(Equal(int64(7)))
			g.Expect(ready.Message).To(ContainSubstring(tc.readyMessageContains))
			g.Expect(statusReason(ep, wssv1.ConditionReconciling)).To(Equal(tc.reconciling))
			g.Expect(statusReason(ep, wssv1.ConditionStalled)).To(Equal(tc.stalled))
		})
	}
}

func statusReason(ep *wssv1.WSSEndpoint, typ string) string {
	c := meta.FindStatusCondition(ep.Status.Conditions, typ)
	if c == nil {
		return ""
	}
	return string(c.Status) + "/" + c.Reason
}

func TestHandshakeConditionRespectsFailureThreshold(t *testing.T) {
	wasHealthy := &wssv1.WSSEndpoint{Status: wssv1.WSSEndpointStatus{Conditions: []metav1.Condition{
		{Type: wssv1.ConditionHandshakeHealthy, Status: T, Reason: wssv1.ReasonHealthy},
	}}}
	never := &wssv1.WSSEndpoint{}
	failing := func(n int32) prober.Result {
		return prober.Result{Reason: wssv1.ReasonBackendUnavailable, Message: "502", ConsecutiveFailures: n}
	}
	cases := []struct {
		name   string
		res    prober.Result
		before *wssv1.WSSEndpoint
		want   string
	}{
		{"healthy", prober.Result{Healthy: true, Reason: wssv1.ReasonHealthy}, never, "True/Healthy"},
		{"first failure after health keeps True", failing(1), wasHealthy, "True/Healthy"},
		{"first failure before any health is Unknown", failing(1), never, "Unknown/ProbePending"},
		{"threshold reached", failing(3), wasHealthy, "False/BackendUnavailable"},
		{"beyond threshold", failing(9), never, "False/BackendUnavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			st, reason, msg := handshakeCondition(tc.res, 3, tc.before)
			g.Expect(string(st) + "/" + reason).To(Equal(tc.want))
			if !tc.res.Healthy {
				g.Expect(msg).To(ContainSubstring("threshold 3"))
			}
		})
	}
}

func TestEndpointURL(t *testing.T) {
	g := NewWithT(t)
	ep := &wssv1.WSSEndpoint{ObjectMeta: metav1.ObjectMeta{Name: "chat", Namespace: "prod"}}
	g.Expect(endpointURL(ep, "cluster.local")).To(Equal("wss://chat.prod.svc:443/"))
	ep.Spec.Backend.Path, ep.Spec.Service.Port = "/ws", 8443
	ep.Spec.TLS.Hosts = []string{"*.example.com", "chat.example.com"}
	g.Expect(endpointURL(ep, "cluster.local")).To(Equal("wss://chat.example.com:8443/ws"))
}

func TestRolloutState(t *testing.T) {
	cases := []struct {
		name                            string
		gen, observed                   int64
		want, updated, available, total int32
		ok                              bool
	}{
		{"done", 2, 2, 3, 3, 3, 3, true},
		{"not observed", 3, 2, 3, 3, 3, 3, false},
		{"updating", 2, 2, 3, 1, 3, 3, false},
		{"old pods terminating", 2, 2, 3, 3, 3, 4, false},
		{"not yet available", 2, 2, 3, 3, 2, 3, false},
		{"scaled to zero", 2, 2, 0, 0, 0, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ok, msg := rolloutState(tc.gen, tc.observed, tc.want, tc.updated, tc.available, tc.total, "available")
			g.Expect(ok).To(Equal(tc.ok))
			g.Expect(msg == "").To(Equal(tc.ok))
		})
	}
}

func TestQuietHandshake(t *testing.T) {
	at := func(sec int64) *metav1.Time { tm := metav1.Unix(sec, 0); return &tm }
	prev := &wssv1.HandshakeStatus{LastProbeTime: at(1000), LastSuccessTime: at(1000), Reason: wssv1.ReasonHealthy, LatencyMilliseconds: 3, TLSVersion: "TLS 1.3"}
	cases := []struct {
		name     string
		next     *wssv1.HandshakeStatus
		wantTime int64
	}{
		{"same result soon after: no write", &wssv1.HandshakeStatus{LastProbeTime: at(1030), LastSuccessTime: at(1030), Reason: wssv1.ReasonHealthy, LatencyMilliseconds: 5, TLSVersion: "TLS 1.3"}, 1000},
		{"same result after 5 minutes: refreshed", &wssv1.HandshakeStatus{LastProbeTime: at(1300), LastSuccessTime: at(1300), Reason: wssv1.ReasonHealthy, LatencyMilliseconds: 5, TLSVersion: "TLS 1.3"}, 1300},
		{"changed reason: written", &wssv1.HandshakeStatus{LastProbeTime: at(1030), LastSuccessTime: at(1000), Reason: wssv1.ReasonBackendUnavailable, ConsecutiveFailures: 1, TLSVersion: "TLS 1.3"}, 1030},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			got := quietHandshake(prev, tc.next)
			g.Expect(got.LastProbeTime.Unix()).To(Equal(tc.wantTime))
			g.Expect(got.Reason).To(Equal(tc.next.Reason))
		})
	}
}
