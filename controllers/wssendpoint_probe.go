package controllers

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certinfo"
	"github.com/wss-operator/wss-operator/internal/injection"
	"github.com/wss-operator/wss-operator/internal/probeloop"
)

// reconcileProbe hands the endpoint's current target to the prober and
// records the prober's latest round. A failing probe is a status fact, not
// an error: the prober's next round triggers the next reconcile.
func (r *WSSEndpointReconciler) reconcileProbe(ctx context.Context, s *scope) error {
	ep := s.ep
	key := client.ObjectKeyFromObject(ep)
	// s.f.probe is set only on the ways out that evaluated the probe: an
	// error below leaves HandshakeHealthy as it was.
	p := r.startProbeFacts(ep)
	if p.disabled {
		s.f.probe = p
		return nil
	}
	// pending: no probe yet, HandshakeHealthy waits for the first one.
	pending := func() error {
		p.pending = firstProbeMessage(p.url)
		s.f.probe = p
		return nil
	}
	sc, cert := s.f.sidecar, s.f.cert
	if sc == nil || !sc.rolledOut || s.f.service == nil || cert == nil || cert.report == nil || cert.report.Leaf == nil {
		return pending()
	}
	target, unready, err := r.probeTarget(ctx, s)
	if err != nil {
		return err
	}
	p.url, p.compatKey = target.URL, target.CompatKey
	if _, probed := r.Prober.Latest(key); !probed && len(target.Pods) == 0 && unready > 0 {
		// Rolled out, but the cache has not seen the pods Ready yet: the
		// first probe waits for them (their update wakes the endpoint), so
		// its result already covers every pod and is not rewritten a round
		// later.
		return pending()
	}
	if first := r.Prober.Upsert(target); first != nil {
		// The first probe of a rolled-out endpoint: wait for it (at most the
		// probe's timeout and a second), so Ready is decided in this
		// reconcile and "waiting for the first probe" costs no status write.
		wait := time.NewTimer(target.Timeout + time.Second)
		select {
		case <-first:
		case <-wait.C:
		case <-ctx.Done():
		}
		wait.Stop()
	}
	if res, ok := r.Prober.Latest(key); ok {
		p.result = &res
		p.now = r.now()
		p.clients = r.clients.observe(key, &res, p.now)
	}
	s.f.probe = p
	return nil
}

// startProbeFacts begins the probe facts of ep from spec.healthCheck; with
// the probe disabled, the prober forgets ep.
func (r *WSSEndpointReconciler) startProbeFacts(ep *wssv1.WSSEndpoint) *probeFacts {
	hc := ep.Spec.HealthCheck
	p := &probeFacts{threshold: hc.FailureThreshold, url: r.probeURL(ep)}
	if p.threshold <= 0 {
		p.threshold = 3
	}
	if hc.Enabled != nil && !*hc.Enabled {
		r.Prober.Forget(client.ObjectKeyFromObject(ep))
		p.disabled = true
	}
	return p
}

// handshakeCondition is HandshakeHealthy from a round: True when healthy;
// False only after threshold consecutive failures; until then it keeps its
// previous status (or Unknown) and says how many failures there were.
func handshakeCondition(res probeloop.Result, threshold int32, before *wssv1.WSSEndpoint) (metav1.ConditionStatus, string, string) {
	if res.Healthy {
		return metav1.ConditionTrue, wssv1.ReasonHealthy, steadyMessage(res.Message)
	}
	msg := fmt.Sprintf("%s (%d consecutive failed probes, threshold %d)", res.Message, res.ConsecutiveFailures, threshold)
	if res.ConsecutiveFailures >= threshold {
		return metav1.ConditionFalse, res.Reason, msg
	}
	for _, c := range before.Status.Conditions {
		if c.Type == wssv1.ConditionHandshakeHealthy && c.Status != metav1.ConditionUnknown {
			return c.Status, c.Reason, "last probe failed, " + msg
		}
	}
	return metav1.ConditionUnknown, wssv1.ReasonProbePending, "last probe failed, " + msg
}

// probeURL is the URL the service probe dials: the name the certificate
// covers, the Service port and spec.healthCheck.path (default: the
// backend's path).
func (r *WSSEndpointReconciler) probeURL(ep *wssv1.WSSEndpoint) string {
	path := ep.Spec.HealthCheck.Path
	if path == "" {
		path = backendPath(ep)
	}
	return serviceURL(ep, r.clusterDomain(), path)
}

// probeTarget builds what the prober dials: the URL with the name the
// certificate covers, the Service address, and each ready pod's IP. With
// perPod it also counts the pods that are neither ready nor terminating.
func (r *WSSEndpointReconciler) probeTarget(ctx context.Context, s *scope) (t probeloop.Target, unready int, err error) {
	ep := s.ep
	hc := ep.Spec.HealthCheck
	port := servicePort(ep)
	svcHost := serviceDNSNames(ep, r.clusterDomain())[0]

	rootsID, roots := r.roots.get(s.caBundle)
	t = probeloop.Target{
		Key:                client.ObjectKeyFromObject(ep),
		URL:                r.probeURL(ep),
		ServiceAddr:        net.JoinHostPort(svcHost, strconv.Itoa(int(port))),
		Roots:              roots,
		RootsID:            rootsID,
		ExpectedSHA256:     leafSHA256(s.f.cert),
		Subprotocols:       ep.Spec.Backend.Subprotocols,
		ClientCertRequired: ep.Spec.TLS.ClientAuth != nil && ep.Spec.TLS.ClientAuth.Mode == wssv1.ClientAuthRequire,
		Interval:           durationOr(hc.Interval, 30*time.Second),
		Timeout:            durationOr(hc.Timeout, 5*time.Second),
		Idle:               durationOr(hc.IdleTimeout, 0),
		CompatKey:          compatKey(ep, leafSHA256(s.f.cert)),
	}
	if hc.PerPod == nil || *hc.PerPod {
		pods := &corev1.PodList{}
		if err := r.Client.List(ctx, pods, client.InNamespace(ep.Namespace), client.MatchingLabels{injection.EndpointLabel: ep.Name}); err != nil {
			return t, 0, fmt.Errorf("listing pods of %s: %w", ep.Name, err)
		}
		tlsPort := strconv.Itoa(int(injection.TLSPort(ep)))
		for _, p := range pods.Items {
			if !p.DeletionTimestamp.IsZero() {
				continue
			}
			if p.Status.PodIP == "" || !podReady(&p) {
				unready++
				continue
			}
			t.Pods = append(t.Pods, probeloop.PodTarget{Name: p.Name, Addr: net.JoinHostPort(p.Status.PodIP, tlsPort),
				AdminAddr: net.JoinHostPort(p.Status.PodIP, strconv.Itoa(injection.AdminPort))})
		}
		sort.Slice(t.Pods, func(i, j int) bool { return t.Pods[i].Name < t.Pods[j].Name })
	}
	return t, unready, nil
}

// durationOr is *d, or def when unset (a spec built in Go that never went
// through the API server's defaulting).
func durationOr(d *metav1.Duration, def time.Duration) time.Duration {
	if d == nil || d.Duration <= 0 {
		return def
	}
	return d.Duration
}

// rootPools shares one trust pool (the system roots plus a Secret's ca.crt)
// among every endpoint with the same ca.crt: x509.SystemCertPool returns a
// fresh copy each call, and a copy per endpoint costs the manager tens of
// megabytes at 1,000 endpoints. Pools are never mutated after creation.
type rootPools struct {
	mu    sync.Mutex
	pools map[string]*x509.CertPool
}

func (p *rootPools) get(ca []byte) (string, *x509.CertPool) {
	sum := sha256.Sum256(ca)
	id := hex.EncodeToString(sum[:])
	p.mu.Lock()
	defer p.mu.Unlock()
	if pool, ok := p.pools[id]; ok {
		return id, pool
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if len(ca) > 0 {
		pool.AppendCertsFromPEM(ca)
	}
	if p.pools == nil {
		p.pools = map[string]*x509.CertPool{}
	}
	if len(p.pools) >= 256 { // bundles of deleted endpoints; start over
		clear(p.pools)
	}
	p.pools[id] = pool
	return id, pool
}

// urlHost is the first spec.tls.hosts entry that is not a wildcard, else the
// Service's DNS name.
func urlHost(ep *wssv1.WSSEndpoint, domain string) string {
	for _, h := range ep.Spec.TLS.Hosts {
		if len(h) > 0 && h[0] != '*' {
			return h
		}
	}
	return serviceDNSNames(ep, domain)[0]
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// probeTimeRefresh is how stale status.handshake.lastProbeTime may get
// before it is rewritten although nothing else changed.
const probeTimeRefresh = 5 * time.Minute

// quietHandshake keeps the previous lastProbeTime and latency when nothing
// else in status.handshake changed and the recorded time is younger than
// probeTimeRefresh: a status write per probe round would be a heartbeat
// (33 writes/s at 1,000 endpoints probed every 30s).
func quietHandshake(prev, next *wssv1.HandshakeStatus) *wssv1.HandshakeStatus {
	if prev == nil || next == nil || prev.LastProbeTime == nil || next.LastProbeTime == nil {
		return next
	}
	if next.LastProbeTime.Sub(prev.LastProbeTime.Time) >= probeTimeRefresh {
		return next
	}
	candidate := next.DeepCopy()
	candidate.LastProbeTime, candidate.LatencyMilliseconds = prev.LastProbeTime, prev.LatencyMilliseconds
	if candidate.LastSuccessTime != nil && prev.LastSuccessTime != nil && candidate.Reason == wssv1.ReasonHealthy {
		candidate.LastSuccessTime = prev.LastSuccessTime
	}
	if equality.Semantic.DeepEqual(candidate, prev) {
		return prev.DeepCopy()
	}
	return next
}

// handshakeStatus is status.handshake from a round.
func handshakeStatus(res probeloop.Result) *wssv1.HandshakeStatus {
	t := metav1.NewTime(res.Time)
	st := &wssv1.HandshakeStatus{
		LastProbeTime: &t, Reason: res.Reason, Phase: res.Phase, Message: truncate(steadyMessage(res.Message), 1024),
		ConsecutiveFailures: res.ConsecutiveFailures,
	}
	if !res.LastSuccess.IsZero() {
		ls := metav1.NewTime(res.LastSuccess)
		st.LastSuccessTime = &ls
	}
	if svc := res.Service; svc != nil {
		st.TLSVersion, st.CipherSuite = svc.TLS.Version, svc.TLS.CipherSuite
		st.LatencyMilliseconds = int64(svc.Timings.TotalMs + 0.5)
	}
	for _, p := range res.Pods {
		st.Pods = append(st.Pods, wssv1.PodHandshake{Name: p.Name, Reason: p.Reason, ServedSHA256: p.ServedSHA256})
	}
	return st
}

// leafSHA256 is the SHA-256 of the leaf the Secret holds, lower-case hex.
func leafSHA256(c *certFacts) string {
	if c == nil || c.report == nil || c.report.Leaf == nil {
		return ""
	}
	return certinfo.Fingerprint(c.report.Leaf)
}

// compatKey identifies what decides which clients can connect: the TLS
// policy of the spec and the served leaf. The compatibility table is
// measured again only when it changes.
func compatKey(ep *wssv1.WSSEndpoint, leaf string) string {
	t := ep.Spec.TLS
	mode := wssv1.ClientAuthNone
	if t.ClientAuth != nil {
		mode = t.ClientAuth.Mode
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%v|%v|%s|%s", t.Profile, t.MinVersion, t.CipherSuites, t.Curves, mode, leaf)))
	return hex.EncodeToString(sum[:8])
}

// pingTime is the timing a healthy probe's message carries.
var pingTime = regexp.MustCompile(`ping answered in [0-9.]+ ms`)

// steadyMessage drops the ping time from a probe message: status holds the
// latency in status.handshake.latencyMilliseconds (refreshed every few
// minutes), and a message that changed every round would be a status write
// per round for every healthy endpoint.
func steadyMessage(m string) string { return pingTime.ReplaceAllString(m, "ping answered") }
