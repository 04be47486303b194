package controllers

import (
	"context"
	"fmt"
	"net"

	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wss-operator/wss-operator/internal/injection"
	"github.com/wss-operator/wss-operator/internal/probeloop"
)

// CacheOptions are the manager's cache settings. They keep memory flat in
// big clusters: managedFields are stripped from every cached object; Pods,
// Services and Certificates are cached only when they carry our endpoint
// label, and only as what the controller reads of them (podFacts,
// serviceMeta, certificateFacts); Deployments, StatefulSets and DaemonSets
// only as workloadFacts; Secrets are watched as metadata only and
// read directly when one changed (see reconcileSecretCheck).
func CacheOptions(namespace string) cache.Options {
	ours := labels.NewSelector()
	req, err := labels.NewRequirement(injection.EndpointLabel, selection.Exists, nil)
	if err != nil {
		panic(err) // a constant label key; cannot fail
	}
	ours = ours.Add(*req)
	opts := cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Pod{}: {Label: ours, Transform: podFacts},
			// Workloads are cached cluster-wide (a user's workload carries
			// no label of ours before its first injection): only as facts.
			&appsv1.Deployment{}:  {Transform: workloadFacts},
			&appsv1.StatefulSet{}: {Transform: workloadFacts},
			&appsv1.DaemonSet{}:   {Transform: workloadFacts},
			&corev1.Service{}:     {Label: ours, Transform: serviceMeta},
			&cmv1.Certificate{}:   {Label: ours, Transform: certificateFacts},
		},
	}
	if namespace != "" {
		opts.DefaultNamespaces = map[string]cache.Config{namespace: {}}
	}
	return opts
}

// podFacts is what the controller reads of a Pod (probeTarget and the Pod
// watch): its metadata, IPs, phase and conditions. The spec and the
// container statuses, most of a Pod's size, are dropped from the cache, so
// a Pod read from the manager's client has neither.
func podFacts(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok { // a tombstone (cache.DeletedFinalStateUnknown) passes as it is
		return obj, nil
	}
	return &corev1.Pod{TypeMeta: p.TypeMeta, ObjectMeta: metaFacts(p.ObjectMeta), Status: corev1.PodStatus{
		Phase: p.Status.Phase, Conditions: p.Status.Conditions, PodIP: p.Status.PodIP, PodIPs: p.Status.PodIPs,
	}}, nil
}

// serviceMeta is what the controller reads of a Service (reconcileService,
// reconcileLeaveInjection and the Owns watch): its metadata — owner, labels,
// annotations (the applied hash), resourceVersion. The spec and status are
// dropped from the cache: a Service read from the manager's client has
// neither. reconcileService applies the whole desired spec whenever the
// hash or resourceVersion differs, so it never compares a cached spec.
func serviceMeta(obj any) (any, error) {
	s, ok := obj.(*corev1.Service)
	if !ok { // a tombstone passes as it is
		return obj, nil
	}
	return &corev1.Service{TypeMeta: s.TypeMeta, ObjectMeta: metaFacts(s.ObjectMeta)}, nil
}

// certificateFacts is what the controller reads of a cert-manager
// Certificate (reconcileCertificate, computeStatus, reconcileLeaveInjection
// and the Owns watch): its metadata (owner, the applied hash, generation),
// its status conditions and its renewal time. The spec, which the
// controller applies whole and never reads back, and the rest of the status
// are dropped from the cache.
func certificateFacts(obj any) (any, error) {
	c, ok := obj.(*cmv1.Certificate)
	if !ok { // a tombstone passes as it is
		return obj, nil
	}
	return &cmv1.Certificate{TypeMeta: c.TypeMeta, ObjectMeta: metaFacts(c.ObjectMeta), Status: cmv1.CertificateStatus{
		Conditions: c.Status.Conditions, RenewalTime: c.Status.RenewalTime,
	}}, nil
}

// workloadFacts is what the controller reads of a Deployment, StatefulSet
// or DaemonSet from the cache (reconcileSidecar: injection.Conflicts,
// injection.Injected, injection.DrainExceedsGracePeriod and the rollout
// judgement of getWorkload): its metadata, replicas, the pod template's
// labels, annotations, grace period, volumes and each container's name,
// image, ports and restart policy, and the status without its conditions.
// The rest of the pod spec (env, resources, probes, mounts, ...), a
// StatefulSet's volume claim templates and the status conditions are
// dropped. restoreWorkload reads the whole workload from the API server.
func workloadFacts(obj any) (any, error) {
	switch w := obj.(type) {
	case *appsv1.Deployment:
		st := w.Status
		st.Conditions = nil
		return &appsv1.Deployment{TypeMeta: w.TypeMeta, ObjectMeta: metaFacts(w.ObjectMeta), Status: st,
			Spec: appsv1.DeploymentSpec{Replicas: w.Spec.Replicas, Template: templateFacts(w.Spec.Template)}}, nil
	case *appsv1.StatefulSet:
		st := w.Status
		st.Conditions = nil
		return &appsv1.StatefulSet{TypeMeta: w.TypeMeta, ObjectMeta: metaFacts(w.ObjectMeta), Status: st,
			Spec: appsv1.StatefulSetSpec{Replicas: w.Spec.Replicas, Template: templateFacts(w.Spec.Template)}}, nil
	case *appsv1.DaemonSet:
		st := w.Status
		st.Conditions = nil
		return &appsv1.DaemonSet{TypeMeta: w.TypeMeta, ObjectMeta: metaFacts(w.ObjectMeta), Status: st,
			Spec: appsv1.DaemonSetSpec{Template: templateFacts(w.Spec.Template)}}, nil
	}
	return obj, nil // a tombstone passes as it is
}

// metaFacts is m without managedFields.
func metaFacts(m metav1.ObjectMeta) metav1.ObjectMeta {
	m.ManagedFields = nil
	return m
}

// templateFacts is the part of a pod template workloadFacts keeps.
func templateFacts(t corev1.PodTemplateSpec) corev1.PodTemplateSpec {
	containers := func(cs []corev1.Container) []corev1.Container {
		if cs == nil {
			return nil
		}
		out := make([]corev1.Container, len(cs))
		for i, c := range cs {
			out[i] = corev1.Container{Name: c.Name, Image: c.Image, Ports: c.Ports, RestartPolicy: c.RestartPolicy}
		}
		return out
	}
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: t.Labels, Annotations: t.Annotations},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: t.Spec.TerminationGracePeriodSeconds,
			Containers:                    containers(t.Spec.Containers),
			InitContainers:                containers(t.Spec.InitContainers),
			Volumes:                       t.Spec.Volumes,
		},
	}
}

// ClientOptions make typed Secret reads bypass the cache, so no informer
// ever holds Secret data.
func ClientOptions() client.Options {
	return client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}}
}

// Options configure Setup.
type Options struct {
	// SidecarImage is the image injected as the sidecar (required).
	SidecarImage string
	// SidecarImagePullPolicy is set on the sidecar when not empty.
	SidecarImagePullPolicy corev1.PullPolicy
	// ClusterDomain is the cluster DNS suffix (default cluster.local).
	ClusterDomain string
	// ProbeConcurrency bounds probes in flight (default 32).
	ProbeConcurrency int
	// MaxConcurrentReconciles bounds parallel reconciles (default 8).
	MaxConcurrentReconciles int
	// APIReader reads Secrets and workloads directly from the API server
	// (default: the manager's APIReader).
	APIReader client.Reader
	// MetadataReader reads Secrets' metadata (default: the manager's cache).
	MetadataReader client.Reader
	// Dial and Resolver override the prober's network access (tests map
	// every target to loopback).
	Dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	Resolver func(ctx context.Context, host string) ([]string, error)
}

// Setup adds the WSSEndpoint controller and its prober to mgr.
func Setup(ctx context.Context, mgr ctrl.Manager, o Options) (*WSSEndpointReconciler, error) {
	if o.SidecarImage == "" {
		return nil, fmt.Errorf("the sidecar image is required (--sidecar-image or $WSS_SIDECAR_IMAGE)")
	}
	if o.APIReader == nil {
		o.APIReader = mgr.GetAPIReader()
	}
	if o.MetadataReader == nil {
		o.MetadataReader = mgr.GetCache()
	}
	p := probeloop.New(probeloop.Options{
		Dial: o.Dial, Resolver: o.Resolver, MaxConcurrent: o.ProbeConcurrency,
		Observe: ObserveProbe, Logger: mgr.GetLogger().WithName("prober"),
	})
	r := &WSSEndpointReconciler{
		Client:                  mgr.GetClient(),
		APIReader:               o.APIReader,
		MetadataReader:          o.MetadataReader,
		Recorder:                mgr.GetEventRecorder("wss-operator"),
		Prober:                  p,
		SidecarImage:            o.SidecarImage,
		SidecarImagePullPolicy:  o.SidecarImagePullPolicy,
		ClusterDomain:           o.ClusterDomain,
		MaxConcurrentReconciles: o.MaxConcurrentReconciles,
	}
	if err := r.SetupWithManager(ctx, mgr); err != nil {
		return nil, fmt.Errorf("setting up the WSSEndpoint controller: %w", err)
	}
	return r, nil
}
