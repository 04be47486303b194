package probeloop

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/probe"
	"github.com/wss-operator/wss-operator/internal/proxy"
)

// PodTarget is one pod to probe directly.
type PodTarget struct {
	// Name of the pod.
	Name string
	// Addr is podIP:tlsPort.
	Addr string
	// AdminAddr is podIP:adminPort: the sidecar's report of real clients'
	// failed handshakes is read from it each round ("": not read).
	AdminAddr string
}

// Target is what the reconciler asks to be probed for one endpoint.
type Target struct {
	// Key names the WSSEndpoint.
	Key types.NamespacedName
	// URL is wss://host:port/path; host is the name the certificate covers.
	URL string
	// ServiceAddr is the Service's host:port dialled for the service probe
	// ("": resolve and dial the URL's host, as for a monitor-only endpoint).
	ServiceAddr string
	// Pods are probed directly (empty unless healthCheck.perPod).
	Pods []PodTarget
	// Roots verify the served chain (the system roots plus the Secret's ca.crt).
	Roots *x509.CertPool
	// RootsID identifies the content of Roots (e.g. a hash of ca.crt), so a
	// changed trust bundle counts as a changed target.
	RootsID string
	// ExpectedSHA256 is the leaf the Secret holds; a pod serving another one
	// is StaleCertificate.
	ExpectedSHA256 string
	// ClientCert is presented when the server asks for one (a monitor's
	// clientCertSecretName); ClientCertID identifies its content.
	ClientCert   *tls.Certificate
	ClientCertID string
	// Subprotocols are offered on the upgrade.
	Subprotocols []string
	// ClientCertRequired: the sidecar requires client certificates, which
	// the prober does not have; reaching that demand counts as healthy.
	ClientCertRequired bool
	// Interval between rounds (jittered by up to +10%) and Timeout per probe.
	Interval, Timeout time.Duration
	// CompatKey identifies the TLS policy and certificate: when it changes,
	// the next round also handshakes as every client profile
	// (probe.Compat) through the Service ("": never).
	CompatKey string
	// Idle, when positive, holds the service probe's connection silent this
	// long after a healthy ping and pings again (healthCheck.idleTimeout):
	// one connection per endpoint, once per round.
	Idle time.Duration
	// KeepServedChain keeps Service.ServedChain (the parsed certificates the
	// server sent) in the recorded Result, for a caller that reads the
	// served certificate from it (a monitor-only endpoint). Otherwise it is
	// dropped when the round is recorded: the parsed chains of 1,000
	// endpoints are megabytes of heap nobody reads (TLS.PeerCertificates
	// keeps their facts either way).
	KeepServedChain bool
}

// fingerprint identifies everything about a target that changes what a
// probe does; a new fingerprint restarts the schedule with an immediate probe.
func (t Target) fingerprint() string {
	pods := make([]string, 0, len(t.Pods))
	for _, p := range t.Pods {
		pods = append(pods, p.Name+"="+p.Addr+"/"+p.AdminAddr)
	}
	sort.Strings(pods)
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%s|%s|%s|%v|%v|%s|%s|%s|%s|%s|%v", t.URL, t.ServiceAddr, strings.Join(pods, ","), t.RootsID,
		t.ExpectedSHA256, t.Subprotocols, t.ClientCertRequired, t.Interval, t.Timeout, t.Idle, t.ClientCertID, t.CompatKey, t.KeepServedChain)
	return hex.EncodeToString(h.Sum(nil))
}

// PodResult is the outcome of probing one pod.
type PodResult struct {
	Name         string
	Reason       string
	Message      string
	ServedSHA256 string
	// Handshakes is the pod's sidecar report of real clients' failed
	// handshakes (nil when not read or unreachable).
	Handshakes *proxy.HandshakeReport
}

// Result is one finished round for an endpoint.
type Result struct {
	// Time the round finished.
	Time time.Time
	// Healthy is true when the service probe and every pod probe are Healthy.
	Healthy bool
	// Reason, Phase and Message describe the first failure (or Healthy).
	Reason, Phase, Message string
	// Service is the raw result of the probe through the Service.
	Service *probe.Result
	// Pods are the per-pod outcomes, sorted by name.
	Pods []PodResult
	// ConsecutiveFailures counts failed rounds since the last healthy one.
	ConsecutiveFailures int32
	// LastSuccess is when a round was last healthy (zero: never).
	LastSuccess time.Time
	// Compat is the compatibility table measured for CompatKey (carried
	// over from the round that measured it), and CompatTime when.
	Compat     []probe.CompatResult
	CompatKey  string
	CompatTime time.Time
}

// Options configure a Prober.
type Options struct {
	// Dial opens connections (default net.Dialer). Tests map every address
	// to a loopback listener with it.
	Dial probe.DialFunc
	// Resolver resolves host names (default: the system resolver).
	Resolver func(ctx context.Context, host string) ([]string, error)
	// MaxConcurrent bounds probes in flight across all endpoints (default 32).
	MaxConcurrent int
	// Observe is called with every service probe result (for metrics).
	Observe func(key types.NamespacedName, r *probe.Result)
	// Logger logs scheduling problems (never key material).
	Logger logr.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

type entry struct {
	target Target
	fp     string
	cancel context.CancelFunc
	// state carried across rounds
	failures    int32
	lastSuccess time.Time
	compat      []probe.CompatResult
	compatKey   string
	compatTime  time.Time
	// first is closed when the endpoint's first result is recorded (nil
	// once it has one).
	first chan struct{}
}

// Prober schedules probes. It implements manager.Runnable and
// LeaderElectionRunnable (it runs only on the leader).
type Prober struct {
	opts Options
	sem  chan struct{}
	// admin reads the sidecars' /handshakes (one client, shared by all rounds).
	admin  *http.Client
	events chan event.GenericEvent

	mu      sync.Mutex
	ctx     context.Context // set by Start
	entries map[types.NamespacedName]*entry
	results map[types.NamespacedName]Result
	wg      sync.WaitGroup
}

// New returns a Prober; add it to the manager and watch Source().
func New(opts Options) *Prober {
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 32
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	dial := opts.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	return &Prober{
		admin:   &http.Client{Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}},
		opts:    opts,
		sem:     make(chan struct{}, opts.MaxConcurrent),
		events:  make(chan event.GenericEvent, 1024),
		entries: map[types.NamespacedName]*entry{},
		results: map[types.NamespacedName]Result{},
	}
}

// Source is the channel source that enqueues an endpoint after each round.
func (p *Prober) Source() source.Source {
	return source.Channel(p.events, &handler.EnqueueRequestForObject{})
}

// NeedLeaderElection makes the prober run on the leader only.
func (p *Prober) NeedLeaderElection() bool { return true }

// Start runs until ctx is cancelled.
func (p *Prober) Start(ctx context.Context) error {
	p.mu.Lock()
	p.ctx = ctx
	for _, e := range p.entries {
		p.launch(e)
	}
	p.mu.Unlock()
	<-ctx.Done()
	p.wg.Wait()
	return nil
}

// Upsert sets the target of an endpoint. A new or changed target is probed
// at once and then on its interval; an unchanged one keeps its schedule.
// Until the endpoint has its first result, Upsert returns a channel that is
// closed when that result is recorded (nil afterwards): the reconciler waits
// on it, bounded, so an endpoint turns Ready in the reconcile that sees its
// rollout finish rather than one status write later.
func (p *Prober) Upsert(t Target) (first <-chan struct{}) {
	fp := t.fingerprint()
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.entries[t.Key]
	if !ok {
		e = &entry{}
		p.entries[t.Key] = e
	}
	if _, has := p.results[t.Key]; !has && e.first == nil {
		e.first = make(chan struct{})
	}
	if ok && e.fp == fp {
		return e.first
	}
	if ok && e.cancel != nil {
		e.cancel()
	}
	e.target, e.fp, e.cancel = t, fp, nil
	if p.ctx != nil {
		p.launch(e)
	}
	return e.first
}

// Forget stops probing an endpoint and drops its results.
func (p *Prober) Forget(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.entries[key]; ok && e.cancel != nil {
		e.cancel()
	}
	delete(p.entries, key)
	delete(p.results, key)
}

// Latest returns the last finished round of an endpoint.
func (p *Prober) Latest(key types.NamespacedName) (Result, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.results[key]
	return r, ok
}

// launch starts e's loop; p.mu is held.
func (p *Prober) launch(e *entry) {
	ctx, cancel := context.WithCancel(p.ctx)
	e.cancel = cancel
	t := e.target
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.loop(ctx, e, t)
	}()
}

func (p *Prober) loop(ctx context.Context, e *entry, t Target) {
	for {
		r := p.round(ctx, t)
		p.mu.Lock()
		measured := e.compatKey
		p.mu.Unlock()
		if t.CompatKey != "" && t.CompatKey != measured && r.Service != nil && r.Service.TLS.Version != "" {
			r.Compat, r.CompatKey, r.CompatTime = p.compat(ctx, t), t.CompatKey, p.opts.Now()
		}
		if ctx.Err() != nil {
			return
		}
		p.record(e, t, r)
		// Jitter up to +10% so endpoints created together drift apart.
		wait := t.Interval + time.Duration(rand.Int64N(int64(t.Interval)/10+1))
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// record stores r unless e's target changed meanwhile, and announces it.
func (p *Prober) record(e *entry, t Target, r Result) {
	p.mu.Lock()
	cur, ok := p.entries[t.Key]
	if !ok || cur != e || e.fp != t.fingerprint() {
		p.mu.Unlock()
		return
	}
	if r.Healthy {
		e.failures = 0
		e.lastSuccess = r.Time
	} else {
		e.failures++
	}
	if r.CompatKey != "" {
		e.compat, e.compatKey, e.compatTime = r.Compat, r.CompatKey, r.CompatTime
	}
	r.ConsecutiveFailures, r.LastSuccess = e.failures, e.lastSuccess
	r.Compat, r.CompatKey, r.CompatTime = e.compat, e.compatKey, e.compatTime
	if !t.KeepServedChain && r.Service != nil && r.Service.ServedChain != nil {
		svc := *r.Service
		svc.ServedChain = nil
		r.Service = &svc
	}
	p.results[t.Key] = r
	if e.first != nil {
		close(e.first)
		e.first = nil
	}
	p.mu.Unlock()

	ev := event.GenericEvent{Object: &wssv1.WSSEndpoint{}}
	ev.Object.SetNamespace(t.Key.Namespace)
	ev.Object.SetName(t.Key.Name)
	select {
	case p.events <- ev:
	default:
		// The queue is full: the reconciler is behind and will read the
		// latest result on its next pass anyway.
		p.opts.Logger.V(1).Info("probe result not announced, event channel full", "endpoint", t.Key)
	}
}
