package main

import (
	"fmt"
	"sort"
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

// renderMarkdown is the "Control plane" section of BENCHMARKS.md.
func renderMarkdown(r *benchresult.ControlPlane) string {
	var b strings.Builder
	n := float64(r.Endpoints)
	fmt.Fprintf(&b, "## Control plane\n\n")
	fmt.Fprintf(&b, "Local kube-apiserver v1.36.3 + etcd 3.6.8 (built from source), cert-manager v1.21.2's controllers in-process\n")
	fmt.Fprintf(&b, "issuing every certificate through a CA Issuer, the manager in its own process, one Pod per endpoint,\n")
	fmt.Fprintf(&b, "%d unrelated 8 KiB Secrets in the cluster.\n", r.NoiseSecrets)
	fmt.Fprintf(&b, "Machine: %s, %s CPUs, %s, %s. Reproduce: `make bench-controlplane` (`go run ./bench/controlplane -n %d`).\n\n",
		r.Machine["cpu"], r.Machine["cpus"], r.Machine["memory"], r.Machine["go"], r.Endpoints)

	fmt.Fprintf(&b, "| figure | value | goal |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| apply → Ready, one endpoint, p50 (n=%d; IQR %.0f–%.0f, min %.0f, max %.0f) | %.0f ms | — |\n",
		len(r.ApplyToReadyMs), r.P25Ms, r.P75Ms, r.MinMs, r.MaxMs, r.P50Ms)
	fmt.Fprintf(&b, "| apply → Ready, one endpoint, p95 (n=%d) | %.0f ms | — |\n", len(r.ApplyToReadyMs), r.P95Ms)
	if f := r.Floor; f != nil {
		fmt.Fprintf(&b, "| floor: the same %d Certificates without WSSEndpoints, all Ready | %.1f s | — |\n", r.Endpoints, f.Seconds)
	}
	fmt.Fprintf(&b, "| %d endpoints all Ready | %.1f s | — |\n", r.Endpoints, r.AllReadySeconds)
	if f := r.Floor; f != nil && f.Seconds > 0 {
		fmt.Fprintf(&b, "| all Ready ÷ floor | %.2f× | ≤ %.2f× %s |\n", r.AllReadySeconds/f.Seconds, goalFloorRatio, mark(r.AllReadySeconds/f.Seconds <= goalFloorRatio))
	}
	if w := r.Ours; w != nil {
		writes, events := w.ManagerCount("patch", "wssendpoints", "status")/n, w.ManagerCount("", "events", "*")/n
		if r.StatusWritesSeen > 0 {
			way := r.StatusWritesSeen / n
			fmt.Fprintf(&b, "| WSSEndpoint status writes per endpoint on its way to Ready (seen through a watch) | %.2f | ≤ %.0f %s |\n", way, goalStatusWrites, mark(way <= goalStatusWrites))
			fmt.Fprintf(&b, "| status writes per endpoint to endpoints already Ready, until the last was Ready | %.2f | — |\n", r.StatusWritesAfterReady/n)
			fmt.Fprintf(&b, "| status writes per endpoint in all, apply → all Ready (counted in the manager) | %.2f | — |\n", writes)
		} else {
			fmt.Fprintf(&b, "| WSSEndpoint status writes per endpoint, apply → all Ready | %.2f | ≤ %.0f %s |\n", writes, goalStatusWrites, mark(writes <= goalStatusWrites))
		}
		fmt.Fprintf(&b, "| events per endpoint, apply → Ready | %.2f | ≤ %.0f %s |\n", events, goalEvents, mark(events <= goalEvents))
		fmt.Fprintf(&b, "| reconciles per endpoint (%s) | %.2f | — |\n", joinCounts(w.Reconciles, n), total(w.Reconciles)/n)
		fmt.Fprintf(&b, "| the manager's API requests per endpoint, all verbs | %.1f | — |\n", total(w.ManagerRequests)/n)
		fmt.Fprintf(&b, "| kube-apiserver's CPU, apply → Ready | %.0f%% of %d CPUs | — |\n", 100*w.Share("kube-apiserver"), w.CPUs)
	}
	for _, m := range r.Memory {
		limit := "no GOMEMLIMIT"
		if m.GoMemLimit != "" {
			limit = "GOMEMLIMIT " + humanBytes(m.GoMemLimit) + " (the chart's default)"
		}
		goal := "—"
		if m.Cache == "optimized" {
			goal = fmt.Sprintf("≤ %.0f MiB %s", goalRSSMiB, mark(m.RSSMiB <= goalRSSMiB))
		}
		fmt.Fprintf(&b, "| manager RSS at %d endpoints, %s cache, %s (anonymous %.1f, heap in use %.1f MiB) | %.1f MiB | %s |\n",
			r.Endpoints, m.Cache, limit, m.AnonMiB, m.HeapMiB, m.RSSMiB, goal)
	}

	if r.Ours != nil && r.Floor != nil {
		o, f := r.Ours, r.Floor
		fmt.Fprintf(&b, "\nWhere the API server's work goes, per endpoint (per Certificate for the floor). The manager's own requests\n")
		fmt.Fprintf(&b, "are counted in the manager; \"all clients\" is the API server's `apiserver_request_total` (cert-manager's\n")
		fmt.Fprintf(&b, "controllers, the manager, and this benchmark's stand-ins for the kubelet and the Deployment controller).\n\n")
		fmt.Fprintf(&b, "| verb | the manager | all clients, endpoints | all clients, floor |\n|---|---|---|---|\n")
		mgrByVerb := map[string]float64{}
		// The API server's names for the manager's verbs.
		apiVerb := map[string]string{"create": "POST", "update": "PUT", "get": "GET", "list": "LIST", "watch": "WATCH", "patch": "PATCH", "apply": "APPLY", "delete": "DELETE"}
		for k, v := range o.ManagerRequests {
			verb, _, _ := benchresult.SplitKey(k)
			if a, ok := apiVerb[verb]; ok {
				verb = a
			}
			mgrByVerb[strings.ToUpper(verb)] += v
		}
		verbs := map[string]bool{}
		for _, m := range []map[string]float64{mgrByVerb, o.APIByVerb, f.APIByVerb} {
			for k := range m {
				verbs[k] = true
			}
		}
		all := map[string]float64{}
		for v := range verbs {
			all[v] = o.APIByVerb[v] + mgrByVerb[v]
		}
		for _, v := range topKeys(all) {
			fmt.Fprintf(&b, "| %s | %.1f | %.1f | %.1f |\n", v, mgrByVerb[v]/n, o.APIByVerb[v]/n, f.APIByVerb[v]/n)
		}
		fmt.Fprintf(&b, "| total | %.1f | %.1f | %.1f |\n", total(mgrByVerb)/n, total(o.APIByVerb)/n, total(f.APIByVerb)/n)

		fmt.Fprintf(&b, "\nThe manager's requests by verb and resource, per endpoint: %s.\n", joinCounts(o.ManagerRequests, n))
		if len(r.StatusChanges) > 0 {
			fmt.Fprintf(&b, "\nWhat the status writes changed (%.2f writes per endpoint seen through a watch; one write can change several): %s.\n",
				r.StatusWritesSeen/n, joinCounts(notPrefixed(r.StatusChanges, "after Ready: "), n))
		}
		fmt.Fprintf(&b, "\nThe API server's busiest resources (all clients, per endpoint): endpoints %s; floor %s.\n",
			joinTop(o.APIByResource, n, 8), joinTop(f.APIByResource, n, 8))

		fmt.Fprintf(&b, "\nCPU, as a share of the machine's %d CPUs over each window (\"machine\" is every process, other tenants included):\n\n", o.CPUs)
		fmt.Fprintf(&b, "| process | floor (%.1f s) | endpoints (%.1f s) |\n|---|---|---|\n", f.Seconds, o.Seconds)
		for _, p := range []struct{ key, name string }{
			{"kube-apiserver", "kube-apiserver"}, {"etcd", "etcd"}, {"manager", "the manager"},
			{"driver", "cert-manager's controllers + the stand-ins (one process)"}, {"machine", "machine"},
		} {
			fmt.Fprintf(&b, "| %s | %.0f%% (%.0f CPU·s) | %.0f%% (%.0f CPU·s) |\n", p.name, 100*f.Share(p.key), f.CPUSeconds[p.key], 100*o.Share(p.key), o.CPUSeconds[p.key])
		}
	}
	b.WriteString(explain(r))
	return b.String()
}

func mark(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// joinCounts renders m's entries per endpoint, largest first.
func joinCounts(m map[string]float64, n float64) string {
	var parts []string
	for _, k := range topKeys(m) {
		if m[k]/n < 0.005 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", strings.TrimRight(k, "/"), m[k]/n))
	}
	return strings.Join(parts, ", ")
}

func joinTop(m map[string]float64, n float64, max int) string {
	keys := topKeys(m)
	if len(keys) > max {
		keys = keys[:max]
	}
	var parts []string
	for _, k := range keys {
		name := strings.TrimRight(strings.TrimLeft(k, "/"), "/")
		parts = append(parts, fmt.Sprintf("%s %.1f", name, m[k]/n))
	}
	return strings.Join(parts, ", ")
}

// humanBytes renders a GOMEMLIMIT in bytes as MiB.
func humanBytes(s string) string {
	var v float64
	if _, err := fmt.Sscanf(s, "%f", &v); err != nil || fmt.Sprintf("%.0f", v) != s {
		return s
	}
	return fmt.Sprintf("%.0f MiB", v/(1<<20))
}

// explain is the prose under the tables: what limits each figure, and by
// how much a missed goal is missed.
func explain(r *benchresult.ControlPlane) string {
	var b strings.Builder
	n := float64(r.Endpoints)
	fmt.Fprintf(&b, "\nWhat limits it, and where goals are missed:\n\n")
	if f, o := r.Floor, r.Ours; f != nil && o != nil && f.Seconds > 0 {
		ratio := r.AllReadySeconds / f.Seconds
		verdict := fmt.Sprintf("within the goal of %.2f×", goalFloorRatio)
		if ratio > goalFloorRatio {
			verdict = fmt.Sprintf("%.0f%% over the goal of %.2f× (%.1f s more than %.2f× the floor)", 100*(ratio/goalFloorRatio-1), goalFloorRatio,
				r.AllReadySeconds-goalFloorRatio*f.Seconds, goalFloorRatio)
		}
		fmt.Fprintf(&b, "- **Time to %d Ready** is %.2f× the floor, %s. The floor is cert-manager alone issuing the same\n", r.Endpoints, ratio, verdict)
		fmt.Fprintf(&b, "  Certificates from the same CA Issuer on the same API server: %.1f requests per Certificate, with kube-apiserver at %.0f%%\n",
			total(f.APIByVerb)/n, 100*f.Share("kube-apiserver"))
		fmt.Fprintf(&b, "  and the machine at %.0f%% of its %d CPUs. With the endpoints every client together sent %.1f requests per endpoint;\n",
			100*f.Share("machine"), f.CPUs, total(o.APIByVerb)/n)
		fmt.Fprintf(&b, "  the manager %.1f of them (%.2f status writes, %.2f events, %.2f reconciles per endpoint). The rest of the\n",
			total(o.ManagerRequests)/n, o.ManagerCount("patch", "wssendpoints", "status")/n, o.ManagerCount("", "events", "*")/n, total(o.Reconciles)/n)
		fmt.Fprintf(&b, "  difference is work the floor does not have: a Deployment, a Service and a Pod per endpoint (this benchmark\n")
		fmt.Fprintf(&b, "  plays the Deployment controller and the kubelet), the sidecar's rollout, and a TLS probe per endpoint\n")
		fmt.Fprintf(&b, "  before it is Ready. The floor runs first, so the endpoints run with %d more Certificates and Secrets in etcd.\n", r.Endpoints)
		if o.Share("machine") > 0.9 {
			fmt.Fprintf(&b, "  The machine was %.0f%% busy during the endpoints' run (kube-apiserver %.0f%%): the run is CPU-bound, so every\n", 100*o.Share("machine"), 100*o.Share("kube-apiserver"))
			fmt.Fprintf(&b, "  request any process sends, and other tenants of this shared 2-CPU machine, lengthen it.\n")
		}
	}
	if o := r.Ours; o != nil {
		writes, events := o.ManagerCount("patch", "wssendpoints", "status")/n, o.ManagerCount("", "events", "*")/n
		evVerdict := fmt.Sprintf("within the goal of ≤ %.0f", goalEvents)
		if events > goalEvents {
			evVerdict = fmt.Sprintf("%.2f over the goal of ≤ %.0f", events-goalEvents, goalEvents)
		}
		fmt.Fprintf(&b, "- **Events**: %.2f per endpoint, %s (about 8 in round 1). The controller records one when Ready\n", events, evVerdict)
		fmt.Fprintf(&b, "  changes status or reason and is not merely waiting (Normal when it turns True, Warning with the cause when\n")
		fmt.Fprintf(&b, "  it turns False), and Warnings for failing clients and a drain longer than the grace period; none while it waits.\n")
		if len(r.EventsByReason) > 0 {
			fmt.Fprintf(&b, "  Recorded on the endpoints, per endpoint: %s.\n", joinCounts(r.EventsByReason, n))
		}
		if r.StatusWritesSeen > 0 {
			writes = r.StatusWritesSeen / n
		}
		if after := r.StatusWritesAfterReady / n; after > 0 {
			fmt.Fprintf(&b, "- **Steady-state status writes**: endpoints that were Ready already got %.2f more writes each before the last\n", after)
			fmt.Fprintf(&b, "  one was Ready (%s). The healthy probe's message quotes the ping time (\"ping answered in 0.42 ms\",\n",
				joinCounts(prefixed(r.StatusChanges, "after Ready: "), n))
			fmt.Fprintf(&b, "  internal/probe healthyMessage) and HandshakeHealthy and status.handshake.message copy it, so nearly every probe\n")
			fmt.Fprintf(&b, "  round rewrites status; quietHandshake quiets lastProbeTime and latencyMilliseconds but not the message. Those\n")
			fmt.Fprintf(&b, "  writes compete with the endpoints still on their way. Dropping the time from the message would end them.\n")
		}
		if writes > goalStatusWrites {
			fmt.Fprintf(&b, "- **Status writes**: %.2f per endpoint, %.2f (%.0f%%) over the goal of ≤ %.0f (about 6 in round 1). Status is\n", writes, writes-goalStatusWrites, 100*(writes/goalStatusWrites-1), goalStatusWrites)
			fmt.Fprintf(&b, "  computed once per reconcile and written only when it differs, but it differs often on the way: ")
			if c := r.StatusChanges; len(c) > 0 {
				fmt.Fprintf(&b, "of the writes on the way,\n")
				fmt.Fprintf(&b, "  %.2f per endpoint changed nothing but a condition's message (the waiting messages\n", c["(writes that change only condition messages)"]/n)
				fmt.Fprintf(&b, "  quote cert-manager's current condition and the rollout's progress, so each Certificate or Deployment update\n")
				fmt.Fprintf(&b, "  rewrites them), %.2f changing status.handshake (probe results) and %.2f writing status.compatibility.\n", c["status.handshake"]/n, c["status.compatibility"]/n)
			} else {
				fmt.Fprintf(&b, "each watch event on the way can carry one.\n")
			}
			fmt.Fprintf(&b, "  What would reach ≤ %.0f (the controller's, not changed here): waiting messages that do not follow every\n", goalStatusWrites)
			fmt.Fprintf(&b, "  intermediate state (or message-only changes not written while Reconciling), and the compatibility table and\n")
			fmt.Fprintf(&b, "  first handshake written in the write that turns Ready True.\n")
		} else {
			fmt.Fprintf(&b, "- **Status writes**: %.2f per endpoint, within the goal of ≤ %.0f (about 6 in round 1).\n", writes, goalStatusWrites)
		}
	}
	if o := r.Ours; o != nil && total(o.Reconciles) > 0 {
		if gets := o.ManagerCount("get", "secrets", ""); gets/total(o.Reconciles) > 0.8 {
			fmt.Fprintf(&b, "- **Secret reads**: the manager sent %.2f GETs of Secrets per endpoint, about one per reconcile (%.2f). checkSecret\n", gets/n, total(o.Reconciles)/n)
			fmt.Fprintf(&b, "  reads the Secret's metadata through the manager's client to see whether it changed, but ClientOptions disables\n")
			fmt.Fprintf(&b, "  the cache for the Secret kind, and controller-runtime decides by kind, so PartialObjectMetadata of a Secret\n")
			fmt.Fprintf(&b, "  bypasses the metadata informer too and every reconcile asks the API server. Reading the metadata from the\n")
			fmt.Fprintf(&b, "  manager's cache (mgr.GetCache()) would remove about %.0f requests per endpoint.\n", gets/n-1)
		}
	}
	for _, m := range r.Memory {
		if m.Cache != "optimized" || m.GoMemLimit == "" {
			continue
		}
		if m.RSSMiB > goalRSSMiB {
			fmt.Fprintf(&b, "- **Manager RSS** is %.1f MiB, %.1f MiB (%.0f%%) over the goal of %.0f MiB. ", m.RSSMiB, m.RSSMiB-goalRSSMiB, 100*(m.RSSMiB/goalRSSMiB-1), goalRSSMiB)
		} else {
			fmt.Fprintf(&b, "- **Manager RSS** is %.1f MiB, within the goal of %.0f MiB. ", m.RSSMiB, goalRSSMiB)
		}
		fmt.Fprintf(&b, "%.1f MiB of it is file-backed (the binary's code pages,\n", m.RSSMiB-m.AnonMiB)
		fmt.Fprintf(&b, "  which GOMEMLIMIT does not govern); the anonymous %.1f MiB is the heap (%.1f MiB in use), stacks and the runtime.\n", m.AnonMiB, m.HeapMiB)
	}
	var base *benchresult.Memory
	for i := range r.Memory {
		if r.Memory[i].Cache == "optimized" && r.Memory[i].GoMemLimit == "" {
			base = &r.Memory[i]
		}
	}
	if base != nil {
		var parts []string
		for _, m := range r.Memory {
			if m.GoMemLimit != "" {
				parts = append(parts, fmt.Sprintf("with GOMEMLIMIT %s it is %.1f MiB", humanBytes(m.GoMemLimit), m.RSSMiB))
			}
			if m.Cache == "naive" {
				parts = append(parts, fmt.Sprintf("with naive cache settings (everything cached whole, Secrets with data, managedFields kept) %.1f MiB", m.RSSMiB))
			}
		}
		sort.Strings(parts)
		fmt.Fprintf(&b, "  Without GOMEMLIMIT the same manager settles at %.1f MiB (heap in use %.1f MiB); %s.\n", base.RSSMiB, base.HeapMiB, strings.Join(parts, "; "))
		fmt.Fprintf(&b, "  The chart sets GOMEMLIMIT to %d%% of the container's memory limit (values `goMemLimitPercent`, `goMemLimit`).\n", 75)
	}
	fmt.Fprintf(&b, "- The manager measured here is `bench/controlplane/cpmanager`, its own binary: `controllers.Setup` with the shipped\n")
	fmt.Fprintf(&b, "  cache options and a dialer that sends every probe to the stand-in sidecars. `wss-operator manager` runs the\n")
	fmt.Fprintf(&b, "  same controller; its binary also holds the sidecar and the CLI, so its code pages may differ by a few MiB.\n")
	return b.String()
}

// prefixed is m's entries whose key starts with prefix, prefix removed.
func prefixed(m map[string]float64, prefix string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			out[rest] = v
		}
	}
	return out
}

func notPrefixed(m map[string]float64, prefix string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if !strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}
