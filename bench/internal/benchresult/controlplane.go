package benchresult

import (
	"encoding/json"
	"strings"
)

// ControlPlane is what the control-plane benchmark measured: repetitions
// of the floor, the floor + rollouts, the ordered ceiling and the
// endpoints.
type ControlPlane struct {
	Machine      map[string]string `json:"machine"` // cpu, cpus, memory, go
	Endpoints    int               `json:"endpoints"`
	NoiseSecrets int               `json:"noiseSecrets"`
	GoMemLimit   string            `json:"goMemLimit"`
	// MaxConcurrentReconciles is the manager's, when not its default.
	MaxConcurrentReconciles int `json:"maxConcurrentReconciles,omitempty"`
	// Repetitions are the runs in the order they ran. A file from before
	// repetitions (its one run's fields at the top level) reads as one.
	Repetitions []Repetition `json:"repetitions"`
}

// Repetition is one run of the floor, the floor + rollouts, the ordered
// ceiling and the endpoints, each on a fresh API server (its own etcd, cert-manager and,
// for the endpoints, manager): none runs with another's objects in etcd.
type Repetition struct {
	// Order is the order the parts ran in: "floor", "ceiling" (the floor +
	// rollouts), "ordered" (the ordered ceiling), "endpoints", or the
	// reverse; a file from before the ceiling has no "ceiling", one from
	// before the ordered ceiling no "ordered", one from before repetitions
	// no Order (the floor ran first on the same API server).
	Order          []string  `json:"order,omitempty"`
	ApplyToReadyMs []float64 `json:"applyToReadyMs"`
	P50Ms          float64   `json:"applyToReadyP50Ms"`
	P95Ms          float64   `json:"applyToReadyP95Ms"`
	P25Ms          float64   `json:"applyToReadyP25Ms"`
	P75Ms          float64   `json:"applyToReadyP75Ms"`
	MinMs          float64   `json:"applyToReadyMinMs"`
	MaxMs          float64   `json:"applyToReadyMaxMs"`
	// AllReadySeconds is the time from applying the endpoints to all
	// Ready.
	AllReadySeconds float64 `json:"allReadySeconds"`
	// Memory is the manager's after the endpoints are Ready, by cache
	// setting and GOMEMLIMIT.
	Memory []Memory `json:"memory"`
	// Floor is the same Certificates applied without WSSEndpoints: the
	// time cert-manager alone needs on this API server.
	Floor *Window `json:"floor,omitempty"`
	// Ceiling is the floor + rollouts: the same Certificates, a Service
	// per endpoint and the sidecar's injection into each user Deployment,
	// applied directly by the benchmark with no manager running, to every
	// Certificate Ready and every Deployment rolled out. What any operator
	// injecting a sidecar on this path must cause; nil in files from
	// before it, and with -no-ceiling.
	Ceiling *Window `json:"ceiling,omitempty"`
	// OrderedCeiling is the ordered ceiling: the same objects, applied by
	// the benchmark with no manager running in the product's order — the
	// sidecar injected into each Deployment only once its Certificate is
	// Ready and its Secret passed inspection, the endpoint done once its
	// Deployment rolled out and a live probe passed. The ceiling for the
	// endpoints' time; nil in files from before it, and with -no-ordered.
	OrderedCeiling *Window `json:"orderedCeiling,omitempty"`
	// Ours is the window from applying the endpoints to all Ready.
	Ours *Window `json:"ours,omitempty"`
	// StatusChanges counts what changed in the status writes the driver's
	// cache saw from apply to all Ready (StatusWritesSeen of them; a watch
	// may fold two quick writes into one).
	StatusChanges    map[string]float64 `json:"statusChanges,omitempty"`
	StatusWritesSeen float64            `json:"statusWritesSeen,omitempty"`
	// StatusWritesAfterReady are the writes seen to endpoints that were
	// Ready already, before the last one was (the steady state: probe results).
	StatusWritesAfterReady float64 `json:"statusWritesAfterReady,omitempty"`
	// EventsByReason counts the events on the endpoints by type/reason.
	EventsByReason map[string]float64 `json:"eventsByReason,omitempty"`
}

// UnmarshalJSON reads a file with repetitions, or one from before them as
// a single repetition.
func (c *ControlPlane) UnmarshalJSON(data []byte) error {
	type plain ControlPlane
	if err := json.Unmarshal(data, (*plain)(c)); err != nil {
		return err
	}
	if c.Repetitions != nil {
		return nil
	}
	var r Repetition
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	c.Repetitions = []Repetition{r}
	return nil
}

// Memory is the manager's memory with one cache setting and GOMEMLIMIT.
type Memory struct {
	Cache      string  `json:"cache"`
	GoMemLimit string  `json:"goMemLimit"`
	RSSMiB     float64 `json:"rssMiB"`
	AnonMiB    float64 `json:"rssAnonMiB"`
	HeapMiB    float64 `json:"heapInuseMiB"`
	SettleSec  float64 `json:"settleSeconds"`
}

// Window is what happened between two moments of a run: counters and CPU
// time.
type Window struct {
	Seconds         float64            `json:"seconds"`
	ManagerRequests map[string]float64 `json:"managerRequests,omitempty"` // verb/resource/subresource
	Reconciles      map[string]float64 `json:"reconciles,omitempty"`      // by result
	APIByVerb       map[string]float64 `json:"apiserverRequestsByVerb"`
	APIByResource   map[string]float64 `json:"apiserverRequestsByResource"`
	CPUSeconds      map[string]float64 `json:"cpuSeconds"` // by process, and "machine" (everyone's)
	CPUs            int                `json:"cpus"`
	// IssuedAgain is how many of the window's Certificates cert-manager
	// issued more than once by its end (status.revision above 1); nil
	// when not counted.
	IssuedAgain *int `json:"certificatesIssuedAgain,omitempty"`
}

// Share is the fraction of the machine's CPU capacity process used.
func (w Window) Share(process string) float64 {
	if w.Seconds <= 0 || w.CPUs == 0 {
		return 0
	}
	return w.CPUSeconds[process] / (w.Seconds * float64(w.CPUs))
}

// ManagerCount sums the manager's requests matching verb, resource and
// subresource: "" matches any verb or resource, "*" any subresource.
func (w Window) ManagerCount(verb, resource, sub string) float64 {
	t := 0.0
	for k, v := range w.ManagerRequests {
		kv, kr, ks := SplitKey(k)
		if (verb == "" || verb == kv) && (resource == "" || resource == kr) && (sub == "*" || sub == ks) {
			t += v
		}
	}
	return t
}

// SplitKey splits a verb/resource/subresource key; the subresource keeps
// any further slashes.
func SplitKey(k string) (verb, resource, sub string) {
	verb, rest, _ := strings.Cut(k, "/")
	resource, sub, _ = strings.Cut(rest, "/")
	return verb, resource, sub
}

// Sum adds up the counts of a map (requests by verb, reconciles by
// result).
func Sum(m map[string]float64) float64 {
	t := 0.0
	for _, v := range m {
		t += v
	}
	return t
}
