package controllers

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/sidecar"
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

func (r *WSSEndpointReconciler) getWorkload(ctx context.Context, ep *wssv1.WSSEndpoint) (*workload, error) {
	key := client.ObjectKey{Namespace: ep.Namespace, Name: ep.Spec.WorkloadRef.Name}
	switch ep.Spec.WorkloadRef.Kind {
	case wssv1.WorkloadDeployment:
		d := &appsv1.Deployment{}
		if err := r.Client.Get(ctx, key, d); err != nil {
			return nil, err
		}
		return &workload{obj: d, template: &d.Spec.Template, rollout: func() (bool, string) {
			want := replicas(d.Spec.Replicas)
			st := d.Status
			return rolloutState(d.Generation, st.ObservedGeneration, want, st.UpdatedReplicas, st.AvailableReplicas, st.Replicas, "available")
		}}, nil
	case wssv1.WorkloadStatefulSet:
		s := &appsv1.StatefulSet{}
		if err := r.Client.Get(ctx, key, s); err != nil {
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
		if err := r.Client.Get(ctx, key, ds); err != nil {
			return nil, err
		}
		return &workload{obj: ds, template: &ds.Spec.Template, rollout: func() (bool, string) {
			st := ds.Status
			return rolloutState(ds.Generation, st.ObservedGeneration, st.DesiredNumberScheduled, st.UpdatedNumberScheduled, st.NumberAvailable, st.CurrentNumberScheduled, "available")
		}}, nil
	}
	return nil, fmt.Errorf("spec.workloadRef.kind %q is not supported", ep.Spec.WorkloadRef.Kind)
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
// annotation to the workload's pod template — and nothing else — then
// judges the rollout. A broken certificate is never rolled out; clashes with
// the user's containers, ports or volumes are reported, not fought.
func (r *WSSEndpointReconciler) reconcileSidecar(ctx context.Context, s *scope) error {
	ep := s.ep
	wl, err := r.getWorkload(ctx, ep)
	if apierrors.IsNotFound(err) {
		s.obs.sidecarStatus, s.obs.sidecarReason = metav1.ConditionFalse, wssv1.ReasonWorkloadNotFound
		s.obs.sidecarMessage = fmt.Sprintf("%s %s/%s does not exist", ep.Spec.WorkloadRef.Kind, ep.Namespace, ep.Spec.WorkloadRef.Name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s %s: %w", ep.Spec.WorkloadRef.Kind, ep.Spec.WorkloadRef.Name, err)
	}
	if conflicts := sidecar.Conflicts(wl.template, ep); len(conflicts) > 0 {
		msg := strings.Join(conflicts, "; ")
		s.obs.sidecarStatus, s.obs.sidecarReason, s.obs.sidecarMessage = metav1.ConditionFalse, wssv1.ReasonSidecarConflict, msg
		s.obs.stalled, s.obs.stalledReason, s.obs.stalledMessage = true, wssv1.ReasonSidecarConflict, msg
		return nil
	}

	tmpl, hash := sidecar.PodTemplate(sidecar.Params{
		Endpoint: ep, Image: r.SidecarImage, ImagePullPolicy: r.SidecarImagePullPolicy, CertSecretName: s.certSecretName,
	})
	injected := sidecar.Injected(wl.template, hash)
	if !injected {
		if !s.certificateUsable() {
			// Never roll out a configuration without a good certificate.
			s.obs.sidecarStatus, s.obs.sidecarReason = metav1.ConditionFalse, s.obs.certReason
			s.obs.sidecarMessage = "the sidecar is not injected until the certificate passes inspection: " + s.obs.certMessage
			return nil
		}
		ac, err := sidecar.Workload(ep.Spec.WorkloadRef.Kind, ep.Namespace, ep.Spec.WorkloadRef.Name, tmpl)
		if err != nil {
			return err
		}
		// No ForceOwnership: if another manager owns a field we would set,
		// the API server's conflict is reported rather than overridden.
		if err := r.Client.Apply(ctx, ac, client.FieldOwner(FieldManager)); err != nil {
			if apierrors.IsConflict(err) || apierrors.IsInvalid(err) {
				msg := "applying the sidecar to the workload failed: " + err.Error()
				s.obs.sidecarStatus, s.obs.sidecarReason, s.obs.sidecarMessage = metav1.ConditionFalse, wssv1.ReasonSidecarConflict, msg
				s.obs.stalled, s.obs.stalledReason, s.obs.stalledMessage = true, wssv1.ReasonSidecarConflict, msg
				return nil
			}
			return fmt.Errorf("applying the sidecar to %s %s: %w", ep.Spec.WorkloadRef.Kind, ep.Spec.WorkloadRef.Name, err)
		}
		s.obs.sidecarStatus, s.obs.sidecarReason = metav1.ConditionFalse, wssv1.ReasonRolloutInProgress
		s.obs.sidecarMessage = "sidecar configuration " + short(hash) + " applied; waiting for the rollout"
		return nil
	}

	if ok, msg := wl.rollout(); !ok {
		s.obs.sidecarStatus, s.obs.sidecarReason, s.obs.sidecarMessage = metav1.ConditionFalse, wssv1.ReasonRolloutInProgress, msg
		return nil
	}
	s.rolledOut = true
	s.obs.sidecarStatus, s.obs.sidecarReason = metav1.ConditionTrue, wssv1.ReasonSucceeded
	s.obs.sidecarMessage = "sidecar " + short(hash) + " is rolled out to every replica"
	if exceeds, msg := sidecar.DrainExceedsGracePeriod(wl.template, ep); exceeds {
		s.obs.sidecarReason, s.obs.sidecarMessage = wssv1.ReasonDrainExceedsGracePeriod, s.obs.sidecarMessage+"; warning: "+msg
	}
	return nil
}

// removeSidecar applies an empty intent to the workload under our field
// manager: the server removes exactly the fields we own and keeps the rest.
func (r *WSSEndpointReconciler) removeSidecar(ctx context.Context, ep *wssv1.WSSEndpoint) error {
	if _, err := r.getWorkload(ctx, ep); apierrors.IsNotFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	ac, err := sidecar.Workload(ep.Spec.WorkloadRef.Kind, ep.Namespace, ep.Spec.WorkloadRef.Name, nil)
	if err != nil {
		return err
	}
	if err := r.Client.Apply(ctx, ac, client.FieldOwner(FieldManager)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("removing the sidecar from %s %s: %w", ep.Spec.WorkloadRef.Kind, ep.Spec.WorkloadRef.Name, err)
	}
	return nil
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}
