package controllers

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/probeloop"
	"github.com/wss-operator/wss-operator/internal/proxy"
)

// What real clients experience. Every ready pod's sidecar counts the
// handshakes clients failed, per reason, since it started (GET /handshakes
// on its admin port); the prober reads them each round. The controller
// turns those counters into failures over the last hour across pods:
// status.clients, a metric, and a Warning event at most once per reason
// per hour. They never change Ready: port scanners and old clients exist.

// clientWindow is one hour of one endpoint's client failures.
const clientWindow = time.Hour

// clientEntry is one increase of a pod's counter for a reason.
type clientEntry struct {
	at      time.Time
	reason  string
	delta   uint64
	example proxy.HandshakeExample
}

// clientHistory is one endpoint's recent client failures.
type clientHistory struct {
	lastRound time.Time
	// seen is each pod's counter per reason at the last round read.
	seen    map[string]map[string]uint64
	entries []clientEntry
	// events is when a ClientHandshakeFailures event last went out per reason.
	events map[string]time.Time
}

// clientHistories holds every endpoint's history, in memory: after a
// restart the first round sets the baseline, and the hour starts again.
type clientHistories struct {
	mu sync.Mutex
	m  map[types.NamespacedName]*clientHistory
}

// observe folds a round's pod reports into key's history (once per round)
// and returns the failures of the last hour per reason, most frequent first.
func (c *clientHistories) observe(key types.NamespacedName, res *probeloop.Result, now time.Time) []wssv1.ClientFailure {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[types.NamespacedName]*clientHistory{}
	}
	h := c.m[key]
	if h == nil {
		h = &clientHistory{seen: map[string]map[string]uint64{}, events: map[string]time.Time{}}
		c.m[key] = h
	}
	if res != nil && res.Time.After(h.lastRound) {
		h.lastRound = res.Time
		for _, pod := range res.Pods {
			if pod.Handshakes == nil {
				continue
			}
			prev, known := h.seen[pod.Name]
			counts := map[string]uint64{}
			for _, f := range pod.Handshakes.Failures {
				counts[f.Reason] = f.Count
				before := prev[f.Reason]
				if !known {
					// A pod seen for the first time: what it counted before
					// it was a target counts if it happened within the hour.
					if now.Sub(f.LastSeen) > clientWindow {
						continue
					}
					before = 0
				}
				if f.Count < before { // the sidecar restarted
					before = 0
				}
				if f.Count > before {
					at := f.LastSeen
					if at.IsZero() {
						at = res.Time
					}
					h.entries = append(h.entries, clientEntry{at: at, reason: f.Reason, delta: f.Count - before, example: f.Example})
				}
			}
			h.seen[pod.Name] = counts
		}
		// Forget pods that are gone.
		for name := range h.seen {
			if !slices.ContainsFunc(res.Pods, func(p probeloop.PodResult) bool { return p.Name == name }) {
				delete(h.seen, name)
			}
		}
	}
	h.entries = slices.DeleteFunc(h.entries, func(e clientEntry) bool { return now.Sub(e.at) > clientWindow })
	return aggregate(h.entries)
}

// shouldAnnounce reports whether a ClientHandshakeFailures event for
// reason may go out now (at most once per reason per hour), and records it.
func (c *clientHistories) shouldAnnounce(key types.NamespacedName, reason string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.m[key]
	if h == nil {
		return false
	}
	if last, ok := h.events[reason]; ok && now.Sub(last) < clientWindow {
		return false
	}
	h.events[reason] = now
	return true
}

// forget drops key's history (the endpoint is gone).
func (c *clientHistories) forget(key types.NamespacedName) {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}

// aggregate sums entries per reason, keeping the latest example.
func aggregate(entries []clientEntry) []wssv1.ClientFailure {
	byReason := map[string]*wssv1.ClientFailure{}
	latest := map[string]time.Time{}
	for _, e := range entries {
		f := byReason[e.reason]
		if f == nil {
			f = &wssv1.ClientFailure{Reason: e.reason}
			byReason[e.reason] = f
		}
		f.Count += int64(e.delta)
		if !e.at.Before(latest[e.reason]) {
			latest[e.reason] = e.at
			t := metav1.NewTime(e.at.UTC().Truncate(time.Second))
			f.LastSeen = &t
			f.Example = exampleStatus(e.example)
		}
	}
	out := make([]wssv1.ClientFailure, 0, len(byReason))
	for _, f := range byReason {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b wssv1.ClientFailure) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	if len(out) > 32 {
		out = out[:32]
	}
	return out
}

func exampleStatus(e proxy.HandshakeExample) *wssv1.ClientHandshakeExample {
	ex := e.ClientHandshakeExample
	ex.Message = truncate(ex.Message, 512)
	return &ex
}

// setClientsStatus writes status.clients from the round's failures;
// lastUpdateTime moves only when they changed, so a quiet endpoint costs no
// status write. Unchanged when the probe did not run.
func setClientsStatus(ep *wssv1.WSSEndpoint, f facts) {
	p := f.probe
	if p == nil || p.clients == nil {
		return
	}
	if len(p.clients) == 0 {
		ep.Status.Clients = nil
		return
	}
	next := &wssv1.ClientsStatus{Failures: p.clients}
	parts := make([]string, 0, len(p.clients))
	for _, c := range p.clients {
		parts = append(parts, fmt.Sprintf("%s %d", c.Reason, c.Count))
	}
	next.Summary = truncate(strings.Join(parts, ", "), 256)
	if prev := ep.Status.Clients; prev != nil && equality.Semantic.DeepEqual(prev.Failures, next.Failures) {
		next.LastUpdateTime = prev.LastUpdateTime
	} else {
		t := metav1.NewTime(p.now.UTC().Truncate(time.Second))
		next.LastUpdateTime = &t
	}
	ep.Status.Clients = next
}

// setCompatibilityStatus writes status.compatibility from the table the
// prober measured for the current TLS policy and certificate.
func setCompatibilityStatus(ep *wssv1.WSSEndpoint, f facts) {
	p := f.probe
	if p == nil || p.result == nil || len(p.result.Compat) == 0 || p.result.CompatKey != p.compatKey {
		return
	}
	st := &wssv1.CompatibilityStatus{}
	for _, c := range p.result.Compat {
		reason := ""
		if !c.OK {
			reason = c.Reason
		}
		st.Clients = append(st.Clients, wssv1.ClientCompatibility{Profile: c.Profile, OK: c.OK, Reason: reason, StandsFor: c.StandsFor})
	}
	t := metav1.NewTime(p.result.CompatTime.UTC().Truncate(time.Second))
	st.LastUpdateTime = &t
	ep.Status.Compatibility = st
}

// lockedOut lists the client profiles that could connect before and cannot now.
func lockedOut(before, after *wssv1.CompatibilityStatus) []string {
	if before == nil || after == nil {
		return nil
	}
	var out []string
	for _, a := range after.Clients {
		if a.OK {
			continue
		}
		for _, b := range before.Clients {
			if b.Profile == a.Profile && b.OK {
				out = append(out, fmt.Sprintf("%s (%s): %s", a.Profile, a.StandsFor, a.Reason))
			}
		}
	}
	return out
}
