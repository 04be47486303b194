package controllers

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/injection"
)

// workload is the part of a Deployment, StatefulSet or DaemonSet the
// controller needs.
type workload struct {
	obj      client.Object
	template *corev1.PodTemplateSpec
	// rollout reports whether the workload controller has rolled out the
	// current template to every replica, and if not, what it is waiting for.
	rollout func() (bool, string)
}

// getWorkload reads the workload ref names in namespace through reader (the
// cache, or the API server where managedFields and freshness matter).
func getWorkload(ctx context.Context, reader client.Reader, namespace string, ref wssv1.WorkloadReference) (*workload, error) {
	key := client.ObjectKey{Namespace: namespace, Name: ref.Name}
	switch ref.Kind {
	case wssv1.WorkloadDeployment:
		d := &appsv1.Deployment{}
		if err := reader.Get(ctx, key, d); err != nil {
			return nil, err
		}
		return &workload{obj: d, template: &d.Spec.Template, rollout: func() (bool, string) {
			want := replicas(d.Spec.Replicas)
			st := d.Status
			return rolloutState(d.Generation, st.ObservedGeneration, want, st.UpdatedReplicas, st.AvailableReplicas, st.Replicas, "available")
		}}, nil
	case wssv1.WorkloadStatefulSet:
		s := &appsv1.StatefulSet{}
		if err := reader.Get(ctx, key, s); err != nil {
			return nil, err
		}
		return &workload{obj: s, template: &s.Spec.Template, rollout: func() (bool, string) {
			want := replicas(s.Spec.Replicas)
			st := s.Status
			if ok, msg := rolloutState(s.Generation, st.ObservedGeneration, want, st.UpdatedReplicas, st.AvailableReplicas, st.Replicas, "available"); !ok {
				return ok, msg
			}
			if st.UpdateRevision != "" && st.CurrentRevision != st.UpdateRevision {
				return false, fmt.Sprintf("StatefulSet revision %s is rolling out (current %s)", st.UpdateRevision, st.CurrentRevision)
			}
			return true, ""
		}}, nil
	case wssv1.WorkloadDaemonSet:
		ds := &appsv1.DaemonSet{}
		if err := reader.Get(ctx, key, ds); err != nil {
			return nil, err
		}
		return &workload{obj: ds, template: &ds.Spec.Template, rollout: func() (bool, string) {
			st := ds.Status
			return rolloutState(ds.Generation, st.ObservedGeneration, st.DesiredNumberScheduled, st.UpdatedNumberScheduled, st.NumberAvailable, st.CurrentNumberScheduled, "available")
		}}, nil
	}
	return nil, fmt.Errorf("workload kind %q is not supported", ref.Kind)
}

func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

// rolloutState is the rollout judgement shared by the three kinds, the way
// `kubectl rollout status` judges it.
func rolloutState(generation, observed int64, want, updated, available, total int32, availableWord string) (bool, string) {
	switch {
	case observed < generation:
		return false, fmt.Sprintf("waiting for the workload controller to observe generation %d (observed %d)", generation, observed)
	case updated < want:
		return false, fmt.Sprintf("%d of %d replicas updated with the sidecar", updated, want)
	case total > updated:
		return false, fmt.Sprintf("%d old replicas pending termination", total-updated)
	case available < want:
		return false, fmt.Sprintf("%d of %d updated replicas %s", available, want, availableWord)
	}
	return true, ""
}

// reconcileSidecar applies our sidecar, volume, label and config-hash
// annotation to the workload's pod template — and nothing else — under this
// endpoint's own field manager, then judges the rollout. A broken
// certificate is never rolled out; clashes with the user's containers,
// ports or volumes, and another endpoint's injection, stall before anything
// is written. When spec.workloadRef moved, the previous workload is
// restored in the same reconcile the new one is injected.
func (r *WSSEndpointReconciler) reconcileSidecar(ctx context.Context, s *scope) error {
	ep := s.ep
	f := &sidecarFacts{ref: ep.Spec.WorkloadRef}
	wl, err := getWorkload(ctx, r.Client, ep.Namespace, f.ref)
	if apierrors.IsNotFound(err) {
		// A workload created together with the endpoint may not be in the
		// cache yet: ask the API server before calling it missing (one read,
		// only then), rather than write WorkloadNotFound and take it back.
		wl, err = getWorkload(ctx, r.APIReader, ep.Namespace, f.ref)
	}
	if apierrors.IsNotFound(err) {
		f.workloadMissing = true
		s.f.sidecar = f
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s %s: %w", f.ref.Kind, f.ref.Name, err)
	}
	if conflicts := injection.Conflicts(wl.template, ep); len(conflicts) > 0 {
		return stall(wssv1.ReasonSidecarConflict, "%s", strings.Join(conflicts, "; "))
	}

	tmpl, hash := injection.PodTemplate(injection.Params{
		Endpoint: ep, Image: r.SidecarImage, ImagePullPolicy: r.SidecarImagePullPolicy, CertSecretName: certSecretName(ep),
	})
	f.hash = hash
	if !injection.Injected(wl.template, hash) {
		if !s.f.cert.usable() {
			// Never roll out a configuration without a good certificate.
			f.withheld = true
			s.f.sidecar = f
			return nil
		}
		ac, err := injection.Workload(f.ref.Kind, ep.Namespace, f.ref.Name, tmpl)
		if err != nil {
			return err
		}
		if err := r.applySidecar(ctx, ep, ac); err != nil {
			return err
		}
		f.applied = true
	} else {
		f.rolledOut, f.rollout = wl.rollout()
		if !f.rolledOut {
			// Status keeps one message for the whole rollout; its steps go
			// to the log (-zap-log-level=debug).
			ctrl.LoggerFrom(ctx).V(1).Info("waiting for the rollout", "workload", f.ref.Name, "state", f.rollout)
		}
		if exceeds, msg := injection.DrainExceedsGracePeriod(wl.template, ep); exceeds {
			f.drain = msg
		}
	}
	if old := ep.Status.WorkloadRef; old != nil && *old != f.ref {
		if err := r.restoreWorkload(ctx, ep, *old); err != nil {
			return fmt.Errorf("restoring the previous workload: %w", err)
		}
		f.restored = old
	}
	s.f.sidecar = f
	return nil
}

// applySidecar applies ac without ForceOwnership, so a field another
// manager owns is reported rather than taken. Fields our own former shared
// manager (FieldManager, before one manager per endpoint) still owns are
// taken over from it.
func (r *WSSEndpointReconciler) applySidecar(ctx context.Context, ep *wssv1.WSSEndpoint, ac runtime.ApplyConfiguration) error {
	owner := client.FieldOwner(WorkloadFieldManager(ep.Name))
	err := r.Client.Apply(ctx, ac, owner)
	if apierrors.IsConflict(err) {
		managers := conflictingManagers(err)
		if len(managers) == 1 && managers[0] == FieldManager {
			err = r.Client.Apply(ctx, ac, owner, client.ForceOwnership)
		}
	}
	switch {
	case err == nil:
		return nil
	case apierrors.IsConflict(err):
		return stall(wssv1.ReasonSidecarConflict, "%s", conflictMessage(ep, err))
	case apierrors.IsInvalid(err):
		return stall(wssv1.ReasonSidecarConflict, "the API server rejects the workload with the sidecar: %v", err)
	}
	return fmt.Errorf("applying the sidecar to %s %s: %w", ep.Spec.WorkloadRef.Kind, ep.Spec.WorkloadRef.Name, err)
}

// conflictRE finds the field managers in a server-side apply conflict.
var conflictRE = regexp.MustCompile(`conflict with "([^"]+)"`)

// conflictingManagers lists the field managers an apply conflict names.
func conflictingManagers(err error) []string {
	var names []string
	seen := map[string]bool{}
	for _, m := range conflictRE.FindAllStringSubmatch(err.Error(), -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	sort.Strings(names)
	return names
}

// conflictMessage turns an apply conflict into what the user must do: name
// the WSSEndpoint that owns the injection, or the field manager that owns
// the fields the sidecar needs.
func conflictMessage(ep *wssv1.WSSEndpoint, err error) string {
	ref := ep.Spec.WorkloadRef
	var others, foreign []string
	for _, m := range conflictingManagers(err) {
		if name, ok := strings.CutPrefix(m, FieldManager+"/"); ok {
			others = append(others, name)
		} else {
			foreign = append(foreign, m)
		}
	}
	switch {
	case len(others) > 0:
		return fmt.Sprintf("WSSEndpoint %s already injects its sidecar into %s %s, and a workload can have only one WSSEndpoint; point this one at another workload or delete one of them",
			strings.Join(others, ", "), ref.Kind, ref.Name)
	case len(foreign) > 0:
		return fmt.Sprintf("%s %s has fields the sidecar needs (the wss-proxy container, the wss-tls volume, the %s label or the config annotation) owned by field manager %s; remove or rename them there",
			ref.Kind, ref.Name, injection.EndpointLabel, strings.Join(foreign, ", "))
	}
	return "applying the sidecar conflicts with another field manager: " + err.Error()
}

// restoreWorkload removes ep's injection from the workload ref names by
// applying an empty intent under each of our field managers that owns
// fields there: the API server removes exactly those fields and keeps the
// rest. It reads the workload from the API server first (the cache may not
// know it is gone), and a workload that is gone, or in a namespace being
// terminated, is done. It never touches an injection another endpoint owns.
func (r *WSSEndpointReconciler) restoreWorkload(ctx context.Context, ep *wssv1.WSSEndpoint, ref wssv1.WorkloadReference) error {
	wl, err := getWorkload(ctx, r.APIReader, ep.Namespace, ref)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s %s: %w", ref.Kind, ref.Name, err)
	}
	managers := []string{WorkloadFieldManager(ep.Name)}
	if wl.template.Labels[injection.EndpointLabel] == ep.Name {
		managers = append(managers, FieldManager) // injected before one manager per endpoint
	}
	for _, m := range managers {
		if !ownsFields(wl.obj, m) {
			continue
		}
		ac, err := injection.Workload(ref.Kind, ep.Namespace, ref.Name, nil)
		if err != nil {
			return err
		}
		// An empty intent for a workload deleted since the read would be a
		// create, which the API server rejects as invalid (no selector, no
		// template): that, like NotFound and a terminating namespace, means
		// the workload is gone.
		if err := r.Client.Apply(ctx, ac, client.FieldOwner(m)); err != nil {
			if apierrors.IsNotFound(err) || apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
				return nil
			}
			if apierrors.IsInvalid(err) {
				if _, getErr := getWorkload(ctx, r.APIReader, ep.Namespace, ref); apierrors.IsNotFound(getErr) {
					return nil
				}
			}
			return fmt.Errorf("removing the sidecar from %s %s: %w", ref.Kind, ref.Name, err)
		}
	}
	return nil
}

// ownsFields reports whether manager owns any field of obj (besides the
// status subresource).
func ownsFields(obj client.Object, manager string) bool {
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager == manager && mf.Operation == metav1.ManagedFieldsOperationApply && mf.Subresource == "" &&
			mf.FieldsV1 != nil && len(mf.FieldsV1.GetRawString()) > 2 {
			return true
		}
	}
	return false
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}
