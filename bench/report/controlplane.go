package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
)

// Goals of issue #15 ("Performance, round 2"), control plane.
const (
	goalFloorRatio   = 1.25
	goalStatusWrites = 3.0
	goalEvents       = 2.0
	goalRSSMiB       = 100.0
)

// controlPlane is the figures of the "Control plane" part of
// BENCHMARKS.md (templates/controlplane.md.tmpl): the raw results, and
// what is computed from them, per endpoint unless said otherwise.
type controlPlane struct {
	*benchresult.ControlPlane
	Goals struct{ FloorRatio, StatusWrites, Events, RSSMiB float64 }

	ApplyN int
	// FloorRatio is all Ready ÷ floor (0 without a floor); over the goal
	// it is FloorOverPct over, FloorExtraSec longer than the goal allows.
	FloorRatio, FloorOverPct, FloorExtraSec float64
	FloorMet                                bool

	// With the endpoints' window (Ours): the manager's status writes,
	// events, reconciles and requests, and shares of the machine's CPU, in
	// percent.
	Writes, Events, Reconciles, MgrRequests float64
	EventsMet                               bool
	EventsOver                              float64
	OursAPIServer, OursMachine              float64
	MachineBound                            bool // the machine was over 90% busy
	// WritesSeen are the status writes seen through a watch on the way to
	// Ready (0 when not watched), After those to endpoints Ready already;
	// WritesCounted is WritesSeen when watched, else Writes, and the one
	// held against the goal.
	WritesSeen, After, WritesCounted float64
	WritesSeenMet, WritesMet         bool
	WritesOver, WritesOverPct        float64
	ReconcilesBy, EventsBy           []nameValue
	AfterChanges                     []nameValue
	// Of the status writes on the way: those changing only a condition's
	// message, status.handshake, and status.compatibility.
	MessageOnly, HandshakeChanges, Compatibility float64
	// SecretGets are the manager's GETs of Secrets when about one per
	// reconcile (else 0), SecretGetsSaved what reading the cache saves.
	SecretGets, SecretGetsSaved float64

	// With both windows:
	Verbs                        []verbRow
	VerbTotal                    verbRow
	MgrBy, StatusBy              []nameValue
	BusiestOurs, BusiestFloor    []nameValue // the API server's busiest resources
	CPU                          []cpuRow
	FloorRequests, AllRequests   float64 // per Certificate, per endpoint
	FloorAPIServer, FloorMachine float64 // percent of the machine's CPUs

	Memory []memoryRow
	// Limited is the optimized manager with a GOMEMLIMIT, Base without;
	// WithLimit every manager with one and Naive the RSS with naive cache
	// settings, to compare with Base.
	Limited, WithLimit []memoryRow
	Base               *memoryRow
	Naive              []float64
}

type verbRow struct {
	Verb                 string
	Manager, All, FloorV float64
}

type cpuRow struct {
	Name                                     string
	FloorShare, FloorSec, OursShare, OursSec float64
}

type memoryRow struct {
	benchresult.Memory
	Limit            string // GOMEMLIMIT in MiB, "" for none
	HasGoal          bool   // the optimized cache is the one with a goal
	Met              bool
	FileMiB          float64
	OverMiB, OverPct float64 // over the goal
}

// The API server's names for the manager's verbs.
var apiVerb = map[string]string{"create": "POST", "update": "PUT", "get": "GET", "list": "LIST", "watch": "WATCH", "patch": "PATCH",
	"apply": "APPLY", "delete": "DELETE"}

// The processes whose CPU is shown, in order.
var cpuProcesses = []struct{ key, name string }{
	{"kube-apiserver", "kube-apiserver"}, {"etcd", "etcd"}, {"manager", "the manager"},
	{"driver", "cert-manager's controllers + the stand-ins (one process)"}, {"machine", "machine"},
}

func controlPlaneFigures(r *benchresult.ControlPlane) controlPlane {
	n := float64(r.Endpoints)
	c := controlPlane{ControlPlane: r, ApplyN: len(r.ApplyToReadyMs)}
	c.Goals.FloorRatio, c.Goals.StatusWrites, c.Goals.Events, c.Goals.RSSMiB = goalFloorRatio, goalStatusWrites, goalEvents, goalRSSMiB
	if f := r.Floor; f != nil && f.Seconds > 0 {
		c.FloorRatio = r.AllReadySeconds / f.Seconds
		c.FloorMet = c.FloorRatio <= goalFloorRatio
		c.FloorOverPct, c.FloorExtraSec = 100*(c.FloorRatio/goalFloorRatio-1), r.AllReadySeconds-goalFloorRatio*f.Seconds
	}
	if o := r.Ours; o != nil {
		c.Writes, c.Events = o.ManagerCount("patch", "wssendpoints", "status")/n, o.ManagerCount("", "events", "*")/n
		c.EventsMet, c.EventsOver = c.Events <= goalEvents, c.Events-goalEvents
		c.Reconciles, c.MgrRequests = benchresult.Sum(o.Reconciles)/n, benchresult.Sum(o.ManagerRequests)/n
		c.OursAPIServer, c.OursMachine = 100*o.Share("kube-apiserver"), 100*o.Share("machine")
		c.MachineBound = o.Share("machine") > 0.9
		c.ReconcilesBy, c.EventsBy = perEndpoint(o.Reconciles, n), perEndpoint(r.EventsByReason, n)
		c.WritesSeen, c.After, c.WritesCounted = r.StatusWritesSeen/n, r.StatusWritesAfterReady/n, c.Writes
		if c.WritesSeen > 0 {
			c.WritesCounted = c.WritesSeen
		}
		c.WritesSeenMet, c.WritesMet = c.WritesSeen <= goalStatusWrites, c.WritesCounted <= goalStatusWrites
		c.WritesOver, c.WritesOverPct = c.WritesCounted-goalStatusWrites, 100*(c.WritesCounted/goalStatusWrites-1)
		c.AfterChanges = perEndpoint(prefixed(r.StatusChanges, "after Ready: ", true), n)
		c.MessageOnly = r.StatusChanges["(writes that change only condition messages)"] / n
		c.HandshakeChanges, c.Compatibility = r.StatusChanges["status.handshake"]/n, r.StatusChanges["status.compatibility"]/n
		if gets := o.ManagerCount("get", "secrets", ""); benchresult.Sum(o.Reconciles) > 0 && gets/benchresult.Sum(o.Reconciles) > 0.8 {
			c.SecretGets, c.SecretGetsSaved = gets/n, gets/n-1
		}
	}
	if o, f := r.Ours, r.Floor; o != nil && f != nil {
		c.verbs(o, f, n)
		c.MgrBy = perEndpoint(o.ManagerRequests, n)
		c.StatusBy = perEndpoint(prefixed(r.StatusChanges, "after Ready: ", false), n)
		c.BusiestOurs, c.BusiestFloor = top(o.APIByResource, n, 8), top(f.APIByResource, n, 8)
		for _, p := range cpuProcesses {
			c.CPU = append(c.CPU, cpuRow{p.name, 100 * f.Share(p.key), f.CPUSeconds[p.key], 100 * o.Share(p.key), o.CPUSeconds[p.key]})
		}
		c.FloorRequests, c.AllRequests = benchresult.Sum(f.APIByVerb)/n, benchresult.Sum(o.APIByVerb)/n
		c.FloorAPIServer, c.FloorMachine = 100*f.Share("kube-apiserver"), 100*f.Share("machine")
	}
	for _, m := range r.Memory {
		row := memoryRow{Memory: m, HasGoal: m.Cache == "optimized", Met: m.RSSMiB <= goalRSSMiB, FileMiB: m.RSSMiB - m.AnonMiB,
			OverMiB: m.RSSMiB - goalRSSMiB, OverPct: 100 * (m.RSSMiB/goalRSSMiB - 1)}
		if m.GoMemLimit != "" {
			row.Limit = humanBytes(m.GoMemLimit)
		}
		c.Memory = append(c.Memory, row)
		switch {
		case m.Cache == "optimized" && m.GoMemLimit != "":
			c.Limited = append(c.Limited, row)
		case m.Cache == "optimized":
			c.Base = &row
		}
		if m.GoMemLimit != "" {
			c.WithLimit = append(c.WithLimit, row)
		}
		if m.Cache == "naive" {
			c.Naive = append(c.Naive, m.RSSMiB)
		}
	}
	slices.SortFunc(c.WithLimit, func(a, b memoryRow) int {
		return cmp.Or(strings.Compare(a.Limit, b.Limit), cmp.Compare(a.RSSMiB, b.RSSMiB))
	})
	slices.Sort(c.Naive)
	return c
}

// verbs is the API server's work by verb: the manager's own requests, and
// every client's with the endpoints and in the floor.
func (c *controlPlane) verbs(o, f *benchresult.Window, n float64) {
	mgrByVerb := map[string]float64{}
	for k, v := range o.ManagerRequests {
		verb, _, _ := benchresult.SplitKey(k)
		if a, ok := apiVerb[verb]; ok {
			verb = a
		}
		mgrByVerb[strings.ToUpper(verb)] += v
	}
	all := map[string]float64{}
	for _, m := range []map[string]float64{mgrByVerb, o.APIByVerb, f.APIByVerb} {
		for k := range m {
			all[k] = o.APIByVerb[k] + mgrByVerb[k]
		}
	}
	for _, v := range topKeys(all) {
		c.Verbs = append(c.Verbs, verbRow{v, mgrByVerb[v] / n, o.APIByVerb[v] / n, f.APIByVerb[v] / n})
	}
	c.VerbTotal = verbRow{"total", benchresult.Sum(mgrByVerb) / n, benchresult.Sum(o.APIByVerb) / n, benchresult.Sum(f.APIByVerb) / n}
}

// perEndpoint is m's entries per endpoint, largest first, leaving out
// those under 0.005.
func perEndpoint(m map[string]float64, n float64) []nameValue {
	var out []nameValue
	for _, k := range topKeys(m) {
		if m[k]/n >= 0.005 {
			out = append(out, nameValue{strings.TrimRight(k, "/"), m[k] / n})
		}
	}
	return out
}

// top is the most largest entries of m, per endpoint.
func top(m map[string]float64, n float64, most int) []nameValue {
	keys := topKeys(m)
	if len(keys) > most {
		keys = keys[:most]
	}
	var out []nameValue
	for _, k := range keys {
		out = append(out, nameValue{strings.Trim(k, "/"), m[k] / n})
	}
	return out
}

// prefixed is m's entries whose key starts with prefix (prefix removed),
// or with want false those that do not.
func prefixed(m map[string]float64, prefix string, want bool) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if rest, ok := strings.CutPrefix(k, prefix); ok == want {
			out[rest] = v
		}
	}
	return out
}

// topKeys are m's keys, largest value first.
func topKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			if m[a] > m[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return keys
}

// humanBytes renders a GOMEMLIMIT in bytes as MiB.
func humanBytes(s string) string {
	var v float64
	if _, err := fmt.Sscanf(s, "%f", &v); err != nil || fmt.Sprintf("%.0f", v) != s {
		return s
	}
	return fmt.Sprintf("%.0f MiB", v/(1<<20))
}
