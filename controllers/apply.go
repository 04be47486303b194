package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// AppliedHashAnnotation records, on a child the controller applies, the hash
// of the apply configuration it sent. A reconcile whose desired child hashes
// the same skips the write: at 1,000 endpoints an unconditional server-side
// apply of every child on every reconcile is thousands of needless writes.
const AppliedHashAnnotation = "wss.operator.dev/applied-hash"

// hashOf is the SHA-256 of ac's JSON encoding (stable: struct field order).
func hashOf(ac runtime.ApplyConfiguration) (string, error) {
	data, err := json.Marshal(ac)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16]), nil
}

// appliedVersions remembers what each apply returned, keyed by
// kind/namespace/name.
type appliedVersions struct {
	mu sync.Mutex
	rv map[string]appliedVersion
}

// appliedVersion is the generation and resourceVersion an apply produced.
type appliedVersion struct {
	generation      int64
	resourceVersion string
}

// unchangedSince reports whether current is still what our apply left: the
// same generation where the kind has one (a Certificate's status updates by
// cert-manager move its resourceVersion, not its generation), else the same
// resourceVersion.
func (v appliedVersion) unchangedSince(current client.Object) bool {
	if v.generation > 0 {
		return current.GetGeneration() == v.generation
	}
	return v.resourceVersion != "" && current.GetResourceVersion() == v.resourceVersion
}

// applyIfChanged server-side applies ac (whose annotations are set by
// annotate) unless current — the cached child, nil when absent — carries the
// same hash AND is still at the generation (or, for kinds without one, the
// resourceVersion) our last apply produced. So a child someone else changed
// (drift) is applied again, and an unchanged one costs no write.
func (r *WSSEndpointReconciler) applyIfChanged(ctx context.Context, current client.Object, ac runtime.ApplyConfiguration, annotate func(map[string]string)) error {
	hash, err := hashOf(ac)
	if err != nil {
		return fmt.Errorf("hashing the desired object: %w", err)
	}
	annotate(map[string]string{AppliedHashAnnotation: hash})
	meta := metav1.PartialObjectMetadata{}
	if err := roundTrip(ac, &meta); err != nil {
		return err
	}
	key := meta.Kind + "/" + meta.Namespace + "/" + meta.Name
	r.applied.mu.Lock()
	last := r.applied.rv[key]
	r.applied.mu.Unlock()
	if current != nil && current.GetAnnotations()[AppliedHashAnnotation] == hash && last.unchangedSince(current) {
		return nil
	}
	if err := r.Client.Apply(ctx, ac, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return err
	}
	// Apply writes the server's answer back into ac.
	if err := roundTrip(ac, &meta); err != nil {
		return err
	}
	r.applied.mu.Lock()
	if r.applied.rv == nil {
		r.applied.rv = map[string]appliedVersion{}
	}
	r.applied.rv[key] = appliedVersion{generation: meta.Generation, resourceVersion: meta.ResourceVersion}
	r.applied.mu.Unlock()
	return nil
}

// forgetApplied drops the remembered versions of a deleted endpoint's children.
func (r *WSSEndpointReconciler) forgetApplied(kind, namespace, name string) {
	r.applied.mu.Lock()
	delete(r.applied.rv, kind+"/"+namespace+"/"+name)
	r.applied.mu.Unlock()
}

func roundTrip(in any, out any) error {
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}
