package controllers

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/certtest"
	"github.com/wss-operator/wss-operator/internal/probeloop"
)

var (
	T = metav1.ConditionTrue
	F = metav1.ConditionFalse
	U = metav1.ConditionUnknown
)

// healthyFacts are the facts of a reconcile that found everything in place.
func healthyFacts(t *testing.T) facts {
	ca := certtest.NewCA(certtest.Options{})
	leaf := ca.Issue(certtest.Options{Hosts: []string{"chat.prod.svc"}})
	report := certcheck.Check(certcheck.Input{Cert: leaf.CertPEM, Key: leaf.KeyPEM, CA: ca.CertPEM, Hosts: []string{"chat.prod.svc"}})
	if !report.Healthy {
		t.Fatalf("test certificate is not healthy: %+v", report.Findings)
	}
	return facts{
		cert:     &certFacts{secretName: "chat-tls", issued: true, report: &report},
		service:  &serviceFacts{name: "chat", port: 443, svcType: "ClusterIP"},
		sidecar:  &sidecarFacts{ref: wssv1.WorkloadReference{Kind: wssv1.WorkloadDeployment, Name: "chat"}, hash: "abc", rolledOut: true},
		probe:    &probeFacts{url: "wss://chat.prod.svc:443/", threshold: 3, result: &probeloop.Result{Healthy: true, Reason: wssv1.ReasonHealthy, Message: "ok"}},
		complete: true,
	}
}

// healthyEndpoint is an endpoint whose last reconcile found everything in place.
func healthyEndpoint(t *testing.T) *wssv1.WSSEndpoint {
	ep := &wssv1.WSSEndpoint{ObjectMeta: metav1.ObjectMeta{Name: "chat", Namespace: "prod", Generation: 7}}
	computeStatus(ep, ep.DeepCopy(), healthyFacts(t), "wss://chat.prod.svc:443/")
	return ep
}

func badReport(reason string) *certcheck.Report {
	return &certcheck.Report{Findings: []certcheck.Finding{{Reason: reason, Severity: certcheck.SeverityError, Message: "tls.key does not match"}}}
}

func TestStatusSetters(t *testing.T) {
	cases := []struct {
		name string
		// before is the endpoint's status before this reconcile (nil: healthy).
		before func(ep *wssv1.WSSEndpoint)
		facts  func(f *facts)
		// want maps condition type to "Status/Reason" ("" for absent).
		want                 map[string]string
		readyMessageContains string
	}{
		{
			name:  "all true",
			facts: func(*facts) {},
			want: map[string]string{"Ready": "True/Succeeded", "CertificateReady": "True/Succeeded", "SidecarReady": "True/Succeeded",
				"ServiceReady": "True/Succeeded", "HandshakeHealthy": "True/Healthy", "Reconciling": "", "Stalled": ""},
		},
		{
			name: "transient error in the first step: nothing evaluated keeps its value",
			facts: func(f *facts) {
				*f = facts{err: errors.New("certificate: reading Certificate chat: the server was unable to return a response in the time allotted")}
			},
			want: map[string]string{"Ready": "True/Succeeded", "CertificateReady": "True/Succeeded", "SidecarReady": "True/Succeeded",
				"ServiceReady": "True/Succeeded", "HandshakeHealthy": "True/Healthy", "Reconciling": "True/ProgressingWithRetry", "Stalled": ""},
		},
		{
			name: "transient error after the Service: later steps did not run",
			facts: func(f *facts) {
				f.sidecar, f.probe, f.complete, f.err = nil, nil, false, errors.New("sidecar: reading Deployment chat: forbidden")
			},
			want: map[string]string{"Ready": "True/Succeeded", "SidecarReady": "True/Succeeded", "HandshakeHealthy": "True/Healthy", "Reconciling": "True/ProgressingWithRetry"},
		},
		{
			name:   "transient error on a new endpoint: Unknown, not False",
			before: func(ep *wssv1.WSSEndpoint) { ep.Status = wssv1.WSSEndpointStatus{} },
			facts:  func(f *facts) { *f = facts{err: errors.New("boom")} },
			want:   map[string]string{"Ready": "Unknown/Progressing", "CertificateReady": "", "Reconciling": "True/ProgressingWithRetry"},
		},
		{
			name: "certificate not issued yet waits",
			facts: func(f *facts) {
				*f = facts{cert: &certFacts{secretName: "chat-tls", issued: true, secretMissing: true, notReady: "cert-manager: Pending: issuer not found"},
					waiting: &waiting{Message: "waiting for cert-manager to write Secret chat-tls"}}
			},
			before:               func(ep *wssv1.WSSEndpoint) { ep.Status = wssv1.WSSEndpointStatus{} },
			want:                 map[string]string{"Ready": "False/CertificateNotReady", "CertificateReady": "False/CertificateNotReady", "SidecarReady": "", "Reconciling": "True/Progressing"},
			readyMessageContains: "CertificateReady: cert-manager: Pending: issuer not found (Secret chat-tls)",
		},
		{
			name: "key mismatch is a settled failure; the sidecar is held back",
			facts: func(f *facts) {
				f.cert.report = badReport(wssv1.ReasonKeyMismatch)
				f.sidecar = &sidecarFacts{ref: f.sidecar.ref, withheld: true}
				f.probe = &probeFacts{pending: "not yet"}
			},
			before: func(ep *wssv1.WSSEndpoint) { ep.Status = wssv1.WSSEndpointStatus{} },
			want: map[string]string{"Ready": "False/KeyMismatch", "CertificateReady": "False/KeyMismatch", "SidecarReady": "False/CertificateNotReady",
				"HandshakeHealthy": "Unknown/ProbePending", "Reconciling": "", "Stalled": ""},
		},
		{
			name: "the certificate is the root cause before the workload",
			facts: func(f *facts) {
				f.cert.report = badReport(wssv1.ReasonChainIncomplete)
				f.sidecar = &sidecarFacts{ref: f.sidecar.ref, workloadMissing: true}
			},
			want: map[string]string{"Ready": "False/ChainIncomplete", "SidecarReady": "False/WorkloadNotFound"},
		},
		{
			name: "client CA Secret missing",
			facts: func(f *facts) {
				f.cert.clientCA = &clientCAFacts{secretName: "clients", missing: true}
			},
			want: map[string]string{"Ready": "False/ClientCAInvalid", "CertificateReady": "False/ClientCAInvalid"},
		},
		{
			name: "Service conflict stalls; Ready names it, not the rollout",
			before: func(ep *wssv1.WSSEndpoint) {
				set(ep, wssv1.ConditionSidecarReady, metav1.ConditionFalse, wssv1.ReasonRolloutInProgress, "1 of 2 replicas updated")
			},
			facts: func(f *facts) {
				f.service, f.sidecar, f.probe, f.complete = nil, nil, nil, false
				f.stalled, f.stalledStep = &stalling{Reason: wssv1.ReasonSidecarConflict, Message: "Service prod/chat already exists"}, stepService
			},
			want: map[string]string{"Ready": "False/SidecarConflict", "ServiceReady": "False/SidecarConflict", "SidecarReady": "False/RolloutInProgress",
				"Stalled": "True/SidecarConflict", "Reconciling": ""},
			readyMessageContains: "Service prod/chat already exists",
		},
		{
			name: "transient error after a stall of this generation keeps Stalled",
			before: func(ep *wssv1.WSSEndpoint) {
				set(ep, wssv1.ConditionStalled, metav1.ConditionTrue, wssv1.ReasonSidecarConflict, "x")
				set(ep, wssv1.ConditionServiceReady, metav1.ConditionFalse, wssv1.ReasonSidecarConflict, "x")
			},
			facts: func(f *facts) { *f = facts{err: errors.New("timeout")} },
			want:  map[string]string{"Ready": "False/SidecarConflict", "Stalled": "True/SidecarConflict", "Reconciling": "True/ProgressingWithRetry"},
		},
		{
			name: "rollout in progress",
			facts: func(f *facts) {
				f.sidecar.rolledOut, f.sidecar.rollout = false, "1 of 2 replicas updated with the sidecar"
			},
			want: map[string]string{"Ready": "False/RolloutInProgress", "SidecarReady": "False/RolloutInProgress", "Reconciling": "True/Progressing"},
		},
		{
			name:   "probe pending is unknown",
			before: func(ep *wssv1.WSSEndpoint) { ep.Status = wssv1.WSSEndpointStatus{} },
			facts:  func(f *facts) { f.probe = &probeFacts{url: "wss://x", threshold: 3} },
			want:   map[string]string{"Ready": "Unknown/ProbePending", "HandshakeHealthy": "Unknown/ProbePending", "Reconciling": "True/Progressing"},
		},
		{
			name: "handshake failing past the threshold",
			facts: func(f *facts) {
				f.probe.result = &probeloop.Result{Reason: wssv1.ReasonBackendUnavailable, Phase: "upgrade", Message: "502", ConsecutiveFailures: 3}
			},
			want: map[string]string{"Ready": "False/BackendUnavailable", "HandshakeHealthy": "False/BackendUnavailable", "Reconciling": ""},
		},
		{
			name:  "drain warning keeps Ready true",
			facts: func(f *facts) { f.sidecar.drain = "drainTimeout 30s is not shorter than 30s" },
			want:  map[string]string{"Ready": "True/Succeeded", "SidecarReady": "True/DrainExceedsGracePeriod"},
		},
		{
			name:  "probing disabled",
			facts: func(f *facts) { f.probe = &probeFacts{disabled: true} },
			want:  map[string]string{"Ready": "True/Succeeded", "HandshakeHealthy": "True/ProbeDisabled"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			ep := healthyEndpoint(t)
			if tc.before != nil {
				tc.before(ep)
			}
			before := ep.DeepCopy()
			f := healthyFacts(t)
			tc.facts(&f)
			computeStatus(ep, before, f, "wss://chat.prod.svc:443/")
			for typ, want := range tc.want {
				g.Expect(statusReason(ep, typ)).To(Equal(want), "condition %s; all: %v", typ, ep.Status.Conditions)
			}
			ready := meta.FindStatusCondition(ep.Status.Conditions, wssv1.ConditionReady)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.ObservedGeneration).To(Equal(int64(7)))
			g.Expect(ready.Message).To(ContainSubstring(tc.readyMessageContains))
			if f.err != nil {
				g.Expect(meta.FindStatusCondition(ep.Status.Conditions, wssv1.ConditionReconciling).Message).To(ContainSubstring(f.err.Error()))
			}
		})
	}
}

func TestCertificateStatusFromFacts(t *testing.T) {
	g := NewWithT(t)
	ep := healthyEndpoint(t)
	g.Expect(ep.Status.Certificate.SHA256).NotTo(BeEmpty())
	g.Expect(ep.Status.Certificate.DNSNames).To(ConsistOf("chat.prod.svc"))
	sha := ep.Status.Certificate.SHA256

	// Not judged in this reconcile (transient error): unchanged.
	computeStatus(ep, ep.DeepCopy(), facts{err: errors.New("timeout")}, "")
	g.Expect(ep.Status.Certificate.SHA256).To(Equal(sha))

	// The Secret was deleted: status.certificate says so.
	computeStatus(ep, ep.DeepCopy(), facts{cert: &certFacts{secretName: "chat-tls", secretMissing: true}}, "")
	g.Expect(ep.Status.Certificate.SHA256).To(BeEmpty())
	g.Expect(ep.Status.Certificate.NotAfter).To(BeNil())
	g.Expect(ep.Status.Certificate.Findings).To(ConsistOf(HaveField("Reason", wssv1.ReasonMissingData)))
	g.Expect(ep.Status.Certificate.Findings[0].Message).To(And(ContainSubstring("does not exist"), ContainSubstring(sha)))
	g.Expect(statusReason(ep, wssv1.ConditionCertificateReady)).To(Equal("False/MissingData"))
}

func TestWorkloadRefStatus(t *testing.T) {
	g := NewWithT(t)
	ep := healthyEndpoint(t)
	g.Expect(ep.Status.WorkloadRef).To(Equal(&wssv1.WorkloadReference{Kind: wssv1.WorkloadDeployment, Name: "chat"}))

	// spec.workloadRef moved to a workload that does not exist yet: the
	// old injection is still there and stays recorded.
	f := healthyFacts(t)
	f.sidecar = &sidecarFacts{ref: wssv1.WorkloadReference{Kind: wssv1.WorkloadDeployment, Name: "chat-v2"}, workloadMissing: true}
	computeStatus(ep, ep.DeepCopy(), f, "")
	g.Expect(ep.Status.WorkloadRef.Name).To(Equal("chat"))

	// Injected into the new one (and the old one restored in that reconcile).
	old := *ep.Status.WorkloadRef
	f.sidecar = &sidecarFacts{ref: wssv1.WorkloadReference{Kind: wssv1.WorkloadDeployment, Name: "chat-v2"}, applied: true, restored: &old}
	computeStatus(ep, ep.DeepCopy(), f, "")
	g.Expect(ep.Status.WorkloadRef.Name).To(Equal("chat-v2"))
}

func TestHandshakeConditionRespectsFailureThreshold(t *testing.T) {
	wasHealthy := &wssv1.WSSEndpoint{Status: wssv1.WSSEndpointStatus{Conditions: []metav1.Condition{
		{Type: wssv1.ConditionHandshakeHealthy, Status: T, Reason: wssv1.ReasonHealthy},
	}}}
	never := &wssv1.WSSEndpoint{}
	failing := func(n int32) probeloop.Result {
		return probeloop.Result{Reason: wssv1.ReasonBackendUnavailable, Message: "502", ConsecutiveFailures: n}
	}
	cases := []struct {
		name   string
		res    probeloop.Result
		before *wssv1.WSSEndpoint
		want   string
	}{
		{"healthy", probeloop.Result{Healthy: true, Reason: wssv1.ReasonHealthy}, never, "True/Healthy"},
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

func statusReason(ep *wssv1.WSSEndpoint, typ string) string {
	c := meta.FindStatusCondition(ep.Status.Conditions, typ)
	if c == nil {
		return ""
	}
	return string(c.Status) + "/" + c.Reason
}

// TestCertificateWaitingIsSteady: while cert-manager issues normally,
// CertificateReady's message is the same before and after it writes the
// Secret, so that step costs no status write.
func TestCertificateWaitingIsSteady(t *testing.T) {
	g := NewWithT(t)
	message := func(secretMissing bool) string {
		ep := &wssv1.WSSEndpoint{}
		setCertificateReadyCondition(ep, facts{cert: &certFacts{
			secretName: "chat-tls", issued: true, secretMissing: secretMissing, notReady: certificateWaiting,
			report: &certcheck.Report{Healthy: true},
		}})
		c := meta.FindStatusCondition(ep.Status.Conditions, wssv1.ConditionCertificateReady)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(wssv1.ReasonCertificateNotReady))
		return c.Message
	}
	g.Expect(message(true)).To(Equal("waiting for cert-manager to issue the certificate into Secret chat-tls"))
	g.Expect(message(false)).To(Equal(message(true)))
}
