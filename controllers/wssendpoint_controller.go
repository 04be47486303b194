package controllers

import (
	"context"
	"fmt"
	"strings"
	"time"

	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/injection"
	"github.com/wss-operator/wss-operator/internal/probeloop"
)

const (
	// FieldManager owns the fields the controller writes on its own children
	// (Certificate, Service). On a user's workload each endpoint applies
	// under WorkloadFieldManager instead.
	FieldManager = "wss-operator"
	// Finalizer guards the exact removal of the sidecar from the workload.
	Finalizer = "wss.operator.dev/finalizer"
)

// +kubebuilder:rbac:groups=wss.operator.dev,resources=wssendpoints,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=wss.operator.dev,resources=wssendpoints/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=wss.operator.dev,resources=wssendpoints/finalizers,verbs=update
// +kubebuilder:rbac:groups=cert-manager.io,resources=certificates,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments;statefulsets;daemonsets,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=core;events.k8s.io,resources=events,verbs=create;patch

// WorkloadFieldManager is the field manager under which endpoint name
// applies its sidecar to a workload: "wss-operator/<name>". One manager per
// endpoint makes ownership exact: a second endpoint's apply on the same
// workload conflicts instead of sharing the fields (the API server decides
// a race, so there is one owner and no extra rollout), and deleting the
// endpoint that lost removes nothing of the winner's.
func WorkloadFieldManager(name string) string { return FieldManager + "/" + name }

// WSSEndpointReconciler reconciles WSSEndpoints.
type WSSEndpointReconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	Client client.Client
	// APIReader reads Secrets' data directly (the cache holds only their
	// metadata, so 10k Secrets in a cluster cost the manager nothing).
	APIReader client.Reader
	// MetadataReader reads Secrets' metadata from the manager's cache (the
	// Client bypasses the cache for every Secret read, metadata included).
	MetadataReader client.Reader
	// Recorder records events on transitions.
	Recorder events.EventRecorder
	// Prober probes endpoints; its results arrive through its Source.
	Prober *probeloop.Prober
	// SidecarImage is the image injected as the sidecar (the operator's own).
	SidecarImage string
	// SidecarImagePullPolicy is set on the sidecar when not empty.
	SidecarImagePullPolicy corev1.PullPolicy
	// ClusterDomain is the cluster's DNS suffix (default cluster.local).
	ClusterDomain string
	// WarnWithin is the ExpiringSoon window of the Secret check (default 7 days).
	WarnWithin time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxConcurrentReconciles bounds parallel reconciles (default 8).
	MaxConcurrentReconciles int

	checks  *checkCache
	applied appliedVersions
	own     ownWrites
	roots   rootPools
	clients clientHistories
}

// scope is what one reconcile of one WSSEndpoint has seen so far. Each step
// records facts into it; status is computed from them at the end.
type scope struct {
	ep     *wssv1.WSSEndpoint
	before *wssv1.WSSEndpoint
	f      facts

	pendingCert *certFacts // recorded by reconcileCertificate, completed by reconcileSecretCheck
	caBundle    []byte     // the Secret's ca.crt (trust for the probe)
	hosts       []string   // the names the certificate must cover
	result      ctrl.Result
}

// requeueAfter keeps the earliest requested requeue.
func (s *scope) requeueAfter(d time.Duration) {
	if d <= 0 {
		return
	}
	if s.result.RequeueAfter == 0 || d < s.result.RequeueAfter {
		s.result.RequeueAfter = d
	}
}

// step is one ordered part of a reconcile; see outcome.go for what its error means.
type step struct {
	name string
	run  func(context.Context, *scope) error
}

// Step names, as recorded in facts.stalledStep.
const (
	stepCertificate = "certificate"
	stepSecretCheck = "secretCheck"
	stepService     = "service"
	stepSidecar     = "sidecar"
	stepProbe       = "probe"
	// A monitor-only endpoint's steps.
	stepLeaveInjection = "leaveInjection"
	stepMonitor        = "monitor"
)

// Reconcile brings one WSSEndpoint's children in line with its spec and
// writes what it observed into status.
func (r *WSSEndpointReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	ep := &wssv1.WSSEndpoint{}
	if err := r.Client.Get(ctx, req.NamespacedName, ep); err != nil {
		if apierrors.IsNotFound(err) {
			r.Prober.Forget(req.NamespacedName)
			r.clients.forget(req.NamespacedName)
			r.own.forget(req.NamespacedName)
			forgetMetrics(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !ep.DeletionTimestamp.IsZero() {
		r.own.forget(req.NamespacedName)
		return r.reconcileDelete(ctx, ep)
	}
	if r.own.stale(req.NamespacedName, ep.UID, ep.ResourceVersion, r.now()) {
		// The cache has not seen our last write yet (see ownWrites).
		return ctrl.Result{RequeueAfter: ownWriteRetry}, nil
	}
	if !controllerutil.ContainsFinalizer(ep, Finalizer) {
		from := ep.ResourceVersion
		patch := client.MergeFrom(ep.DeepCopy())
		controllerutil.AddFinalizer(ep, Finalizer)
		if err := r.Client.Patch(ctx, ep, patch); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding finalizer: %w", err)
		}
		r.own.wrote(req.NamespacedName, ep.UID, from, ep.ResourceVersion, r.now())
	}

	s := &scope{ep: ep, before: ep.DeepCopy()}
	defer func() {
		if err := r.patchStatus(ctx, s); err != nil {
			// Not terminal, even after a stall: the status must be written.
			if retErr != nil {
				err = fmt.Errorf("%w (after: %w)", err, retErr)
			}
			retErr = err
		}
		recordEndpointMetrics(s.ep)
	}()

	if ep.Spec.Suspend {
		r.Prober.Forget(req.NamespacedName)
		setSuspendedConditions(ep)
		return ctrl.Result{}, nil
	}

	steps := []step{
		{stepCertificate, r.reconcileCertificate},
		{stepSecretCheck, r.reconcileSecretCheck},
		{stepService, r.reconcileService},
		{stepSidecar, r.reconcileSidecar},
		{stepProbe, r.reconcileProbe},
	}
	if ep.Spec.Monitor != nil {
		s.f.monitor = true
		steps = []step{
			{stepLeaveInjection, r.reconcileLeaveInjection},
			{stepMonitor, r.reconcileMonitor},
		}
	}
	err := r.runSteps(ctx, s, steps)
	computeStatus(ep, s.before, s.f, endpointURL(ep, r.clusterDomain()))
	if st, ok := asStalling(err); ok {
		return ctrl.Result{}, reconcile.TerminalError(st)
	}
	if w, ok := asWaiting(err); ok {
		s.requeueAfter(w.RequeueAfter)
		return s.result, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	return s.result, nil
}

// runSteps runs the steps in order until one does not continue, and
// records why it stopped.
func (r *WSSEndpointReconciler) runSteps(ctx context.Context, s *scope, steps []step) error {
	for _, st := range steps {
		err := st.run(ctx, s)
		if err == nil {
			continue
		}
		if stl, ok := asStalling(err); ok {
			s.f.stalled, s.f.stalledStep = stl, st.name
		} else if w, ok := asWaiting(err); ok {
			s.f.waiting = w
		} else {
			s.f.err = fmt.Errorf("%s: %w", st.name, err)
			err = s.f.err
		}
		return err
	}
	s.f.complete = true
	return nil
}

// patchStatus writes status once, if it changed, and records events for
// the transitions (see recordTransitions).
func (r *WSSEndpointReconciler) patchStatus(ctx context.Context, s *scope) error {
	if equality.Semantic.DeepEqual(s.before.Status, s.ep.Status) {
		return nil
	}
	if err := r.Client.Status().Patch(ctx, s.ep, client.MergeFrom(s.before)); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		// What was not written is not what the cluster sees: metrics and
		// events follow the stored status.
		s.ep.Status = s.before.Status
		return fmt.Errorf("patching status: %w", err)
	}
	r.own.wrote(client.ObjectKeyFromObject(s.ep), s.ep.UID, s.before.ResourceVersion, s.ep.ResourceVersion, r.now())
	r.recordTransitions(s.before, s.ep)
	return nil
}

// recordTransitions emits events on transitions only, and only where a
// person should look: one event when Ready changes status or reason (Warning
// with the root cause when it turns False, Normal when it turns True), none
// while it only waits (certificate issuing, rollout, first probe) or is
// Unknown, and a Warning when a True condition carries a warning reason
// (DrainExceedsGracePeriod). A failure is reported once, on Ready, not again
// on every condition that copies it.
func (r *WSSEndpointReconciler) recordTransitions(before, after *wssv1.WSSEndpoint) {
	if r.Recorder == nil {
		return
	}
	now := meta.FindStatusCondition(after.Status.Conditions, wssv1.ConditionReady)
	old := meta.FindStatusCondition(before.Status.Conditions, wssv1.ConditionReady)
	if now != nil && now.Status != metav1.ConditionUnknown && !waitingReason(now.Reason) &&
		(old == nil || old.Status != now.Status || old.Reason != now.Reason) {
		eventType := corev1.EventTypeNormal
		if now.Status == metav1.ConditionFalse {
			eventType = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(after, nil, eventType, now.Reason, wssv1.ConditionReady, "%s", now.Message)
	}
	r.recordClientEvents(before, after)
	sc := meta.FindStatusCondition(after.Status.Conditions, wssv1.ConditionSidecarReady)
	if sc != nil && sc.Reason == wssv1.ReasonDrainExceedsGracePeriod {
		if prev := meta.FindStatusCondition(before.Status.Conditions, wssv1.ConditionSidecarReady); prev == nil || prev.Reason != sc.Reason {
			r.Recorder.Eventf(after, nil, corev1.EventTypeWarning, sc.Reason, wssv1.ConditionSidecarReady, "%s", sc.Message)
		}
	}
}

// recordClientEvents raises a Warning when real clients fail a handshake
// for a reason (at most once per reason per hour), and when a change of
// the TLS policy or certificate locks out a client generation that could
// connect before.
func (r *WSSEndpointReconciler) recordClientEvents(before, after *wssv1.WSSEndpoint) {
	key := client.ObjectKeyFromObject(after)
	if c := after.Status.Clients; c != nil {
		prev := map[string]int64{}
		if before.Status.Clients != nil {
			for _, f := range before.Status.Clients.Failures {
				prev[f.Reason] = f.Count
			}
		}
		for _, f := range c.Failures {
			if f.Count <= prev[f.Reason] || !r.clients.shouldAnnounce(key, f.Reason, r.now()) {
				continue
			}
			msg := fmt.Sprintf("%d client handshakes failed with %s in the last hour", f.Count, f.Reason)
			if ex := f.Example; ex != nil {
				msg += fmt.Sprintf("; latest: offered %s, SNI %q", strings.Join(ex.OfferedVersions, "/"), ex.SNI)
				if ex.Alert != "" {
					msg += ", alert " + ex.Alert
				}
				if ex.Message != "" {
					msg += ": " + ex.Message
				}
			}
			// The action names the failure reason: the events library folds
			// events of one action and reason into a series.
			r.Recorder.Eventf(after, nil, corev1.EventTypeWarning, wssv1.ReasonClientHandshakeFailures, f.Reason, "%s", truncate(msg, 1024))
		}
	}
	if out := lockedOut(before.Status.Compatibility, after.Status.Compatibility); len(out) > 0 {
		r.Recorder.Eventf(after, nil, corev1.EventTypeWarning, wssv1.ReasonClientsLockedOut, "Compatibility",
			"the current TLS policy or certificate locks out clients that could connect before: %s", strings.Join(out, "; "))
	}
}

// reconcileDelete restores every workload this endpoint injected (the one
// spec.workloadRef names and the one status.workloadRef recorded, if they
// differ), then releases the finalizer. The Service and Certificate are
// owned by the WSSEndpoint and garbage collected.
func (r *WSSEndpointReconciler) reconcileDelete(ctx context.Context, ep *wssv1.WSSEndpoint) (ctrl.Result, error) {
	key := client.ObjectKeyFromObject(ep)
	r.Prober.Forget(key)
	r.clients.forget(key)
	forgetMetrics(key)
	r.forgetApplied("Certificate", ep.Namespace, ep.Name)
	r.forgetApplied("Service", ep.Namespace, ep.Name)
	if !controllerutil.ContainsFinalizer(ep, Finalizer) {
		return ctrl.Result{}, nil
	}
	for _, ref := range injectedWorkloads(ep) {
		if err := r.restoreWorkload(ctx, ep, ref); err != nil {
			return ctrl.Result{}, err
		}
	}
	patch := client.MergeFrom(ep.DeepCopy())
	controllerutil.RemoveFinalizer(ep, Finalizer)
	if err := r.Client.Patch(ctx, ep, patch); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return ctrl.Result{}, nil
}

// injectedWorkloads are the workloads that may carry ep's injection.
func injectedWorkloads(ep *wssv1.WSSEndpoint) []wssv1.WorkloadReference {
	var refs []wssv1.WorkloadReference
	if ep.Spec.Monitor == nil && ep.Spec.WorkloadRef.Name != "" {
		refs = append(refs, ep.Spec.WorkloadRef)
	}
	if st := ep.Status.WorkloadRef; st != nil && *st != ep.Spec.WorkloadRef {
		refs = append(refs, *st)
	}
	return refs
}

// reconcileLeaveInjection runs for a monitor-only endpoint that injected a
// workload before spec.monitor replaced spec.workloadRef: it restores that
// workload and deletes the Service and Certificate it owned.
func (r *WSSEndpointReconciler) reconcileLeaveInjection(ctx context.Context, s *scope) error {
	ep := s.ep
	if ep.Status.WorkloadRef == nil {
		return nil
	}
	if err := r.restoreWorkload(ctx, ep, *ep.Status.WorkloadRef); err != nil {
		return err
	}
	for _, obj := range []client.Object{&corev1.Service{}, &cmv1.Certificate{}} {
		err := r.Client.Get(ctx, client.ObjectKeyFromObject(ep), obj)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if metav1.IsControlledBy(obj, ep) {
			if err := r.Client.Delete(ctx, obj); client.IgnoreNotFound(err) != nil {
				return err
			}
		}
	}
	s.f.leftInjection = true
	return nil
}

func (r *WSSEndpointReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *WSSEndpointReconciler) maxConcurrent() int {
	if r.MaxConcurrentReconciles > 0 {
		return r.MaxConcurrentReconciles
	}
	return 8
}

func (r *WSSEndpointReconciler) clusterDomain() string {
	if r.ClusterDomain == "" {
		return "cluster.local"
	}
	return r.ClusterDomain
}

// Index names.
const (
	indexWorkload = "spec.workloadRef"
	indexSecret   = "wss.secrets"
)

// SetupWithManager registers the controller, its watches and indexes, and
// the prober runnable.
func (r *WSSEndpointReconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if r.checks == nil {
		r.checks = newCheckCache()
	}
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &wssv1.WSSEndpoint{}, indexWorkload, func(o client.Object) []string {
		ep := o.(*wssv1.WSSEndpoint)
		var refs []string
		for _, ref := range injectedWorkloads(ep) {
			refs = append(refs, string(ref.Kind)+"/"+ref.Name)
		}
		return refs
	}); err != nil {
		return err
	}
	if err := idx.IndexField(ctx, &wssv1.WSSEndpoint{}, indexSecret, func(o client.Object) []string {
		ep := o.(*wssv1.WSSEndpoint)
		if m := ep.Spec.Monitor; m != nil {
			var names []string
			for _, n := range []string{m.CASecretName, m.ClientCertSecretName} {
				if n != "" {
					names = append(names, n)
				}
			}
			return names
		}
		names := []string{certSecretName(ep)}
		if ca := ep.Spec.TLS.ClientAuth; ca != nil && ca.CASecretName != "" {
			names = append(names, ca.CASecretName)
		}
		return names
	}); err != nil {
		return err
	}
	if err := mgr.Add(r.Prober); err != nil {
		return err
	}
	byWorkload := func(kind wssv1.WorkloadKind) handler.EventHandler {
		return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			return r.requestsFor(ctx, o.GetNamespace(), indexWorkload, string(kind)+"/"+o.GetName())
		})
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&wssv1.WSSEndpoint{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, deletionPredicate()))).
		Owns(&cmv1.Certificate{}).
		Owns(&corev1.Service{}).
		Watches(&appsv1.Deployment{}, byWorkload(wssv1.WorkloadDeployment)).
		Watches(&appsv1.StatefulSet{}, byWorkload(wssv1.WorkloadStatefulSet)).
		Watches(&appsv1.DaemonSet{}, byWorkload(wssv1.WorkloadDaemonSet)).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
			return r.requestsFor(ctx, o.GetNamespace(), indexSecret, o.GetName())
		})).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			name := o.GetLabels()[injection.EndpointLabel]
			if name == "" {
				return nil
			}
			return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
		})).
		WatchesRawSource(r.Prober.Source()).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.maxConcurrent()}).
		Complete(r)
}

func (r *WSSEndpointReconciler) requestsFor(ctx context.Context, namespace, index, value string) []reconcile.Request {
	list := &wssv1.WSSEndpointList{}
	if err := r.Client.List(ctx, list, client.InNamespace(namespace), client.MatchingFields{index: value}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing WSSEndpoints for a watch event", "index", index, "value", value)
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, ep := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&ep)})
	}
	return reqs
}

// deletionPredicate passes updates that set a deletion timestamp (they do
// not change the generation).
func deletionPredicate() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return !e.ObjectNew.GetDeletionTimestamp().IsZero()
	}}
}
