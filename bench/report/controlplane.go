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
// BENCHMARKS.md (templates/controlplane.md.tmpl), per endpoint unless said
// otherwise: each the median over the repetitions with its min and max
// (stat), or the median alone where a table already shows the spread.
type controlPlane struct {
	*benchresult.ControlPlane
	Goals struct{ FloorRatio, StatusWrites, Events, RSSMiB float64 }

	// Runs are the repetitions; FreshServers that each ran the floor and
	// the endpoints on a fresh API server (a file from before repetitions
	// ran both on one, the floor first); FloorFirst and OursFirst count
	// the turns.
	Runs, FloorFirst, OursFirst int
	FreshServers                bool
	HasFloor, HasOurs           bool

	// Apply → Ready one by one: ApplyN per run, each run's percentiles.
	ApplyN                       int
	P50, P95, P25, P75, Min, Max stat

	// FloorSec is the floor's time to all Ready, AllReady the endpoints',
	// FloorRatio their ratio per repetition; over the goal the median is
	// FloorOverPct over, FloorExtraSec longer than the goal allows.
	FloorSec, AllReady, FloorRatio stat
	FloorOverPct, FloorExtraSec    float64
	FloorMet                       bool

	// CeilingSec is the floor + rollouts' time to all done (the same
	// Certificates, Services and sidecar rollouts applied directly, no
	// operator), CeilingRatio its ratio to the floor per repetition (the
	// best any sidecar-injecting operator could do on this path), and
	// OursOverCeiling the endpoints' time over it per repetition (our
	// controller's own cost). CeilingOut is a ceiling above the floor
	// goal, CeilingOverPct by how much.
	HasCeiling                                bool
	CeilingSec, CeilingRatio, OursOverCeiling stat
	CeilingOut                                bool
	CeilingOverPct                            float64

	// OrderedSec is the ordered ceiling's time to all done (the same
	// objects, no operator, in the product's order: each sidecar injected
	// once its Certificate is Ready and its Secret passed inspection, each
	// endpoint done once rolled out and probed), OrderedRatio its ratio to
	// the floor per repetition (the best this product could do on this
	// path: what bounds the floor goal), OursOverOrdered the endpoints'
	// time over it per repetition (the controller's own cost). OrderedOut
	// is an ordered ceiling above the floor goal, OrderedOverPct by how
	// much.
	HasOrdered                                bool
	OrderedSec, OrderedRatio, OursOverOrdered stat
	OrderedOut                                bool
	OrderedOverPct                            float64

	// Parts names the parts each repetition ran ("the floor, the floor +
	// rollouts and the endpoints, each"), NoManager those of them that run
	// no manager ("" for none), ManyParts more than two of them.
	Parts, NoManager string
	ManyParts        bool

	// With the endpoints: the manager's status writes, events, reconciles
	// and requests, and shares of the machine's CPU, in percent.
	Writes, Events, Reconciles, MgrRequests stat
	EventsMet                               bool
	EventsOver                              float64
	OursAPIServer, OursMachine              stat
	MachineBound                            bool // the machine was over 90% busy (median)
	CPUs                                    int
	// WritesSeen are the status writes seen through a watch on the way to
	// Ready (0 when not watched), After those to endpoints Ready already;
	// WritesCounted is WritesSeen when watched, else Writes, and the one
	// held against the goal.
	WritesSeen, After, WritesCounted stat
	WritesSeenMet, WritesMet         bool
	// CertAgain is per endpoint how often status.certificate changed
	// beyond its two writes on the way (a new leaf).
	CertAgain float64
	// Reissued counts, over the repetitions that counted them, the
	// Certificates cert-manager issued more than once: the endpoints'
	// (ours) and the floor's, where nothing but cert-manager acts.
	Reissued                  reissued
	WritesOver, WritesOverPct float64
	ReconcilesBy, EventsBy    []nameValue
	AfterChanges              []nameValue
	HasStatusChanges          bool
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
	FloorWindow, OursWindow      stat
	FloorRequests, AllRequests   float64 // per Certificate, per endpoint
	FloorAPIServer, FloorMachine float64 // percent of the machine's CPUs

	Memory []memoryRow
	// Limited is the optimized manager with a GOMEMLIMIT, Base without;
	// WithLimit every manager with one and Naive the naive cache settings,
	// to compare with Base.
	Limited, WithLimit, Naive []memoryRow
	Base                      *memoryRow
}

type verbRow struct {
	Verb                 string
	Manager, All, FloorV stat
}

type cpuRow struct {
	Name                                     string
	FloorShare, FloorSec, OursShare, OursSec stat
}

type memoryRow struct {
	Cache, GoMemLimit     string
	Limit                 string // GOMEMLIMIT in MiB, "" for none
	HasGoal               bool   // the optimized cache is the one with a goal
	Met                   bool
	RSS, Anon, Heap, File stat
	OverMiB, OverPct      float64 // over the goal
}

// The API server's names for the manager's verbs.
var apiVerb = map[string]string{"create": "POST", "update": "PUT", "get": "GET", "list": "LIST", "watch": "WATCH", "patch": "PATCH",
	"apply": "APPLY", "delete": "DELETE"}

// The processes whose CPU is shown, in order.
var cpuProcesses = []struct{ key, name string }{
	{"kube-apiserver", "kube-apiserver"}, {"etcd", "etcd"}, {"manager", "the manager"},
	{"driver", "cert-manager's controllers + the stand-ins (one process)"}, {"machine", "machine"},
}

// controlPlaneFigures computes each figure per repetition and takes the
// median over the repetitions that have it.
func controlPlaneFigures(r *benchresult.ControlPlane) controlPlane {
	n := float64(r.Endpoints)
	c := controlPlane{ControlPlane: r, Runs: len(r.Repetitions), FreshServers: len(r.Repetitions) > 0}
	c.Goals.FloorRatio, c.Goals.StatusWrites, c.Goals.Events, c.Goals.RSSMiB = goalFloorRatio, goalStatusWrites, goalEvents, goalRSSMiB
	var floors, ours, both []*benchresult.Repetition
	var ceiling, ordered ceilingReps
	for i := range r.Repetitions {
		rep := &r.Repetitions[i]
		if len(rep.Order) == 0 {
			c.FreshServers = false
		} else if f, e := slices.Index(rep.Order, "floor"), slices.Index(rep.Order, "endpoints"); f >= 0 && (e < 0 || f < e) {
			c.FloorFirst++
		} else {
			c.OursFirst++
		}
		ceiling.add(rep, rep.Ceiling)
		ordered.add(rep, rep.OrderedCeiling)
		if rep.Floor != nil && rep.Floor.Seconds > 0 {
			floors = append(floors, rep)
		}
		if rep.Ours != nil {
			ours = append(ours, rep)
		}
		if rep.Floor != nil && rep.Floor.Seconds > 0 && rep.Ours != nil {
			both = append(both, rep)
		}
	}
	c.HasFloor, c.HasOurs = len(floors) > 0, len(ours) > 0

	var applied []*benchresult.Repetition
	for i := range r.Repetitions {
		if rep := &r.Repetitions[i]; len(rep.ApplyToReadyMs) > 0 {
			applied = append(applied, rep)
			c.ApplyN = max(c.ApplyN, len(rep.ApplyToReadyMs))
		}
	}
	c.P50, c.P95 = over(applied, func(x *rep) float64 { return x.P50Ms }), over(applied, func(x *rep) float64 { return x.P95Ms })
	c.P25, c.P75 = over(applied, func(x *rep) float64 { return x.P25Ms }), over(applied, func(x *rep) float64 { return x.P75Ms })
	c.Min, c.Max = over(applied, func(x *rep) float64 { return x.MinMs }), over(applied, func(x *rep) float64 { return x.MaxMs })

	c.FloorSec = over(floors, func(x *rep) float64 { return x.Floor.Seconds })
	c.AllReady = over(ours, func(x *rep) float64 { return x.AllReadySeconds })
	c.FloorRatio = over(both, func(x *rep) float64 { return x.AllReadySeconds / x.Floor.Seconds })
	if c.FloorRatio.N > 0 {
		c.FloorMet = c.FloorRatio.Med <= goalFloorRatio
		c.FloorOverPct, c.FloorExtraSec = 100*(c.FloorRatio.Med/goalFloorRatio-1), c.AllReady.Med-goalFloorRatio*c.FloorSec.Med
	}
	c.HasCeiling, c.HasOrdered = len(ceiling.all) > 0, len(ordered.all) > 0
	c.CeilingSec, c.CeilingRatio, c.OursOverCeiling, c.CeilingOut, c.CeilingOverPct = ceiling.stats(func(x *rep) *benchresult.Window { return x.Ceiling })
	c.OrderedSec, c.OrderedRatio, c.OursOverOrdered, c.OrderedOut, c.OrderedOverPct = ordered.stats(func(x *rep) *benchresult.Window { return x.OrderedCeiling })
	c.parts()

	if c.HasOurs {
		perN := func(f func(*rep) float64) stat { return over(ours, func(x *rep) float64 { return f(x) / n }) }
		c.Writes = perN(func(x *rep) float64 { return x.Ours.ManagerCount("patch", "wssendpoints", "status") })
		c.Events = perN(func(x *rep) float64 { return x.Ours.ManagerCount("", "events", "*") })
		c.EventsMet, c.EventsOver = c.Events.Med <= goalEvents, c.Events.Med-goalEvents
		c.Reconciles = perN(func(x *rep) float64 { return benchresult.Sum(x.Ours.Reconciles) })
		c.MgrRequests = perN(func(x *rep) float64 { return benchresult.Sum(x.Ours.ManagerRequests) })
		c.OursAPIServer = over(ours, func(x *rep) float64 { return 100 * x.Ours.Share("kube-apiserver") })
		c.OursMachine = over(ours, func(x *rep) float64 { return 100 * x.Ours.Share("machine") })
		c.MachineBound = c.OursMachine.Med > 90
		c.CPUs = ours[0].Ours.CPUs
		c.ReconcilesBy = perEndpoint(medianMap(ours, func(x *rep) map[string]float64 { return x.Ours.Reconciles }), n)
		c.EventsBy = perEndpoint(medianMap(ours, func(x *rep) map[string]float64 { return x.EventsByReason }), n)
		c.WritesSeen = perN(func(x *rep) float64 { return x.StatusWritesSeen })
		c.After = perN(func(x *rep) float64 { return x.StatusWritesAfterReady })
		c.WritesCounted = c.Writes
		if c.WritesSeen.Med > 0 {
			c.WritesCounted = c.WritesSeen
		}
		c.WritesSeenMet, c.WritesMet = c.WritesSeen.Med <= goalStatusWrites, c.WritesCounted.Med <= goalStatusWrites
		c.WritesOver, c.WritesOverPct = c.WritesCounted.Med-goalStatusWrites, 100*(c.WritesCounted.Med/goalStatusWrites-1)
		changes := medianMap(ours, func(x *rep) map[string]float64 { return x.StatusChanges })
		c.HasStatusChanges = len(changes) > 0
		c.AfterChanges = perEndpoint(prefixed(changes, "after Ready: ", true), n)
		c.StatusBy = perEndpoint(prefixed(changes, "after Ready: ", false), n)
		c.MessageOnly = changes["(writes that change only condition messages)"] / n
		c.HandshakeChanges, c.Compatibility = changes["status.handshake"]/n, changes["status.compatibility"]/n
		// status.certificate changes twice on the way: the Secret's name
		// while cert-manager issues, then the leaf. More is a new leaf.
		c.CertAgain = max(0, changes["status.certificate"]/n-2)
		c.Reissued = reissuedIn(ours, floors)
		gets := perN(func(x *rep) float64 { return x.Ours.ManagerCount("get", "secrets", "") }).Med
		if c.Reconciles.Med > 0 && gets/c.Reconciles.Med > 0.8 {
			c.SecretGets, c.SecretGetsSaved = gets, gets-1
		}
		c.MgrBy = perEndpoint(medianMap(ours, func(x *rep) map[string]float64 { return x.Ours.ManagerRequests }), n)
	}
	if len(both) > 0 {
		c.verbs(both, n)
		c.BusiestOurs = top(medianMap(both, func(x *rep) map[string]float64 { return x.Ours.APIByResource }), n, 8)
		c.BusiestFloor = top(medianMap(both, func(x *rep) map[string]float64 { return x.Floor.APIByResource }), n, 8)
		for _, p := range cpuProcesses {
			c.CPU = append(c.CPU, cpuRow{p.name,
				over(both, func(x *rep) float64 { return 100 * x.Floor.Share(p.key) }), over(both, func(x *rep) float64 { return x.Floor.CPUSeconds[p.key] }),
				over(both, func(x *rep) float64 { return 100 * x.Ours.Share(p.key) }), over(both, func(x *rep) float64 { return x.Ours.CPUSeconds[p.key] })})
		}
		c.FloorWindow = over(both, func(x *rep) float64 { return x.Floor.Seconds })
		c.OursWindow = over(both, func(x *rep) float64 { return x.Ours.Seconds })
		c.FloorRequests = over(both, func(x *rep) float64 { return benchresult.Sum(x.Floor.APIByVerb) / n }).Med
		c.AllRequests = over(both, func(x *rep) float64 { return benchresult.Sum(x.Ours.APIByVerb) / n }).Med
		c.FloorAPIServer = over(both, func(x *rep) float64 { return 100 * x.Floor.Share("kube-apiserver") }).Med
		c.FloorMachine = over(both, func(x *rep) float64 { return 100 * x.Floor.Share("machine") }).Med
	}
	c.memory(r.Repetitions)
	return c
}

type rep = benchresult.Repetition

// ceilingReps are the repetitions that measured a ceiling: all of them,
// those that also measured the floor, and those that also measured ours.
type ceilingReps struct{ all, floor, ours []*rep }

// stats are the ceiling's time, its ratio to the floor and ours over it
// (per repetition, then the median), and whether that ratio is over the
// floor goal, by how many percent; w picks the ceiling's window.
func (c ceilingReps) stats(w func(*rep) *benchresult.Window) (sec, ratio, oursOver stat, out bool, overPct float64) {
	sec = over(c.all, func(x *rep) float64 { return w(x).Seconds })
	ratio = over(c.floor, func(x *rep) float64 { return w(x).Seconds / x.Floor.Seconds })
	oursOver = over(c.ours, func(x *rep) float64 { return x.AllReadySeconds / w(x).Seconds })
	if ratio.N > 0 {
		out, overPct = ratio.Med > goalFloorRatio, 100*(ratio.Med/goalFloorRatio-1)
	}
	return sec, ratio, oursOver, out, overPct
}

// add files x under c if it measured the ceiling w.
func (c *ceilingReps) add(x *rep, w *benchresult.Window) {
	if w == nil || w.Seconds <= 0 {
		return
	}
	c.all = append(c.all, x)
	if x.Floor != nil && x.Floor.Seconds > 0 {
		c.floor = append(c.floor, x)
	}
	if x.Ours != nil {
		c.ours = append(c.ours, x)
	}
}

// parts names the parts the repetitions ran, for the introduction.
func (c *controlPlane) parts() {
	var parts, noManager []string
	if c.HasFloor {
		parts = append(parts, "the floor")
		if c.HasCeiling {
			parts = append(parts, "the floor + rollouts")
			noManager = append(noManager, "the floor + rollouts")
		}
		if c.HasOrdered {
			parts = append(parts, "the ordered ceiling")
			noManager = append(noManager, "the ordered ceiling")
		}
	}
	parts = append(parts, "the endpoints")
	c.Parts, c.ManyParts = andList(parts), len(parts) > 2
	if len(parts) > 1 {
		c.Parts += ", each"
	}
	switch len(noManager) {
	case 0:
	case 1:
		c.NoManager = noManager[0] + " runs no manager"
	default:
		c.NoManager = andList(noManager) + " run no manager"
	}
}

// andList joins "a", "b" and "c" as "a, b and c".
func andList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// stat is one figure over the repetitions: the median of its values, their
// min and max, and how many there are.
type stat struct {
	Med, Lo, Hi float64
	N           int
}

func statOf(v []float64) stat {
	if len(v) == 0 {
		return stat{}
	}
	return stat{Med: medianOf(v), Lo: slices.Min(v), Hi: slices.Max(v), N: len(v)}
}

// over is f over the repetitions.
// reissued is how many Certificates cert-manager issued more than once,
// summed over the repetitions that counted them.
type reissued struct {
	Ours, OursReps, Floor, FloorReps int
}

func reissuedIn(ours, floors []*rep) reissued {
	var r reissued
	for _, x := range ours {
		if x.Ours != nil && x.Ours.IssuedAgain != nil {
			r.Ours += *x.Ours.IssuedAgain
			r.OursReps++
		}
	}
	for _, x := range floors {
		if x.Floor != nil && x.Floor.IssuedAgain != nil {
			r.Floor += *x.Floor.IssuedAgain
			r.FloorReps++
		}
	}
	return r
}

func over(reps []*rep, f func(*rep) float64) stat {
	v := make([]float64, len(reps))
	for i, x := range reps {
		v[i] = f(x)
	}
	return statOf(v)
}

// Show is the figure as the tables give it: "144.1 s (138.0–151.2, 3
// runs)"; of one run, "144.1 s (1 run)".
func (s stat) Show(decimals int, unit string) string {
	if s.N == 1 {
		return fmt.Sprintf("%.*f%s (1 run)", decimals, s.Med, unit)
	}
	return fmt.Sprintf("%.*f%s (%.*f–%.*f, %d runs)", decimals, s.Med, unit, decimals, s.Lo, decimals, s.Hi, s.N)
}

// Cell is the figure in a table whose heading gives the number of runs:
// "1.2 (1.1–1.3)", "30% (27–33%)"; of one run, "1.2".
func (s stat) Cell(decimals int, unit string) string {
	if s.N <= 1 {
		return fmt.Sprintf("%.*f%s", decimals, s.Med, unit)
	}
	return fmt.Sprintf("%.*f%s (%.*f–%.*f%s)", decimals, s.Med, unit, decimals, s.Lo, decimals, s.Hi, unit)
}

// medianMap is, for every key of f's maps, the median of its values over
// the repetitions (0 where a repetition lacks it), leaving out zeros.
func medianMap(reps []*rep, f func(*rep) map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, x := range reps {
		for k := range f(x) {
			out[k] = 0
		}
	}
	for k := range out {
		out[k] = over(reps, func(x *rep) float64 { return f(x)[k] }).Med
		if out[k] == 0 {
			delete(out, k)
		}
	}
	return out
}

// verbs is the API server's work by verb: the manager's own requests, and
// every client's with the endpoints and in the floor.
func (c *controlPlane) verbs(reps []*rep, n float64) {
	mgrByVerb := func(x *rep) map[string]float64 {
		out := map[string]float64{}
		for k, v := range x.Ours.ManagerRequests {
			verb, _, _ := benchresult.SplitKey(k)
			if a, ok := apiVerb[verb]; ok {
				verb = a
			}
			out[strings.ToUpper(verb)] += v
		}
		return out
	}
	mgr := medianMap(reps, mgrByVerb)
	oursAll := medianMap(reps, func(x *rep) map[string]float64 { return x.Ours.APIByVerb })
	floorAll := medianMap(reps, func(x *rep) map[string]float64 { return x.Floor.APIByVerb })
	all := map[string]float64{}
	for _, m := range []map[string]float64{mgr, oursAll, floorAll} {
		for k := range m {
			all[k] = oursAll[k] + mgr[k]
		}
	}
	perN := func(f func(*rep) float64) stat { return over(reps, func(x *rep) float64 { return f(x) / n }) }
	for _, v := range topKeys(all) {
		c.Verbs = append(c.Verbs, verbRow{v, perN(func(x *rep) float64 { return mgrByVerb(x)[v] }),
			perN(func(x *rep) float64 { return x.Ours.APIByVerb[v] }), perN(func(x *rep) float64 { return x.Floor.APIByVerb[v] })})
	}
	c.VerbTotal = verbRow{"total", perN(func(x *rep) float64 { return benchresult.Sum(mgrByVerb(x)) }),
		perN(func(x *rep) float64 { return benchresult.Sum(x.Ours.APIByVerb) }), perN(func(x *rep) float64 { return benchresult.Sum(x.Floor.APIByVerb) })}
}

// memory is the manager's memory by cache setting and GOMEMLIMIT, in the
// order first measured, each over the repetitions that measured it.
func (c *controlPlane) memory(reps []rep) {
	type key struct{ cache, limit string }
	var keys []key
	byKey := map[key][]benchresult.Memory{}
	for _, x := range reps {
		for _, m := range x.Memory {
			k := key{m.Cache, m.GoMemLimit}
			if byKey[k] == nil {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], m)
		}
	}
	for _, k := range keys {
		ms := byKey[k]
		of := func(f func(benchresult.Memory) float64) stat {
			v := make([]float64, len(ms))
			for i, m := range ms {
				v[i] = f(m)
			}
			return statOf(v)
		}
		row := memoryRow{Cache: k.cache, GoMemLimit: k.limit, HasGoal: k.cache == "optimized",
			RSS: of(func(m benchresult.Memory) float64 { return m.RSSMiB }), Anon: of(func(m benchresult.Memory) float64 { return m.AnonMiB }),
			Heap: of(func(m benchresult.Memory) float64 { return m.HeapMiB }), File: of(func(m benchresult.Memory) float64 { return m.RSSMiB - m.AnonMiB })}
		row.Met, row.OverMiB, row.OverPct = row.RSS.Med <= goalRSSMiB, row.RSS.Med-goalRSSMiB, 100*(row.RSS.Med/goalRSSMiB-1)
		if k.limit != "" {
			row.Limit = humanBytes(k.limit)
		}
		c.Memory = append(c.Memory, row)
		switch {
		case k.cache == "optimized" && k.limit != "":
			c.Limited = append(c.Limited, row)
		case k.cache == "optimized":
			c.Base = &row
		}
		if k.limit != "" {
			c.WithLimit = append(c.WithLimit, row)
		}
		if k.cache == "naive" {
			c.Naive = append(c.Naive, row)
		}
	}
	slices.SortFunc(c.WithLimit, func(a, b memoryRow) int {
		return cmp.Or(strings.Compare(a.Limit, b.Limit), cmp.Compare(a.RSS.Med, b.RSS.Med))
	})
	slices.SortFunc(c.Naive, func(a, b memoryRow) int { return cmp.Compare(a.RSS.Med, b.RSS.Med) })
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
