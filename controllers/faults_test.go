package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// faultInjector makes the manager's clients fail the way a cluster does: a
// rule fails the next call of a verb on a kind in a namespace with an error
// (a timeout, a 500, a 403, a conflict). It also records every write, so a
// test can show that a stalled reconcile never wrote a workload.
type faultInjector struct {
	scheme *runtime.Scheme

	mu     sync.Mutex
	rules  []*fault
	writes []write
	// statusWrites are the WSSEndpoint statuses written, in order.
	statusWrites []statusWrite
}

// fault fails the next matching call once, then is spent.
type fault struct {
	verb, kind, namespace string
	err                   error
	fired                 chan struct{}
}

// write is one write the manager made.
type write struct {
	Verb, Kind, Namespace, Name, Manager string
}

type statusWrite struct {
	Namespace, Name string
	Conditions      []metav1.Condition
}

func newFaultInjector(scheme *runtime.Scheme) *faultInjector {
	return &faultInjector{scheme: scheme}
}

// inject arms a fault: the next verb ("get", "list" through the cache;
// "read" directly from the API server; "apply", "patch",
// "update", "create", "delete", "patch-status", "update-status") on kind in
// namespace fails with err. The returned channel closes when it fired.
func (f *faultInjector) inject(verb, kind, namespace string, err error) <-chan struct{} {
	ft := &fault{verb: verb, kind: kind, namespace: namespace, err: err, fired: make(chan struct{})}
	f.mu.Lock()
	f.rules = append(f.rules, ft)
	f.mu.Unlock()
	return ft.fired
}

// hit returns the error of the first armed rule matching the call, once.
func (f *faultInjector) hit(verb, kind, namespace string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, r := range f.rules {
		if r.verb == verb && r.kind == kind && r.namespace == namespace {
			f.rules = append(f.rules[:i], f.rules[i+1:]...)
			close(r.fired)
			return r.err
		}
	}
	return nil
}

func (f *faultInjector) record(w write) {
	f.mu.Lock()
	f.writes = append(f.writes, w)
	f.mu.Unlock()
}

// writesTo lists the writes to kind in namespace.
func (f *faultInjector) writesTo(kind, namespace string) []write {
	return matching(&f.mu, &f.writes, func(w write) bool { return w.Kind == kind && w.Namespace == namespace })
}

// statusWritesOf lists the statuses written for one endpoint.
func (f *faultInjector) statusWritesOf(namespace, name string) []statusWrite {
	return matching(&f.mu, &f.statusWrites, func(w statusWrite) bool { return w.Namespace == namespace && w.Name == name })
}

// matching returns, under mu, the items that keep accepts, in order.
func matching[T any](mu *sync.Mutex, items *[]T, keep func(T) bool) []T {
	mu.Lock()
	defer mu.Unlock()
	var out []T
	for _, it := range *items {
		if keep(it) {
			out = append(out, it)
		}
	}
	return out
}

func (f *faultInjector) kindOf(obj runtime.Object) string {
	gvk, err := apiutil.GVKForObject(obj, f.scheme)
	if err != nil {
		return fmt.Sprintf("%T", obj)
	}
	return strings.TrimSuffix(gvk.Kind, "List")
}

// wrap returns c with faults injected and writes recorded.
func (f *faultInjector) wrap(c client.Client) client.Client { return &faultClient{Client: c, f: f} }

// wrapReader returns r with faults injected under verb ("read" for the
// manager's APIReader, "get" for its cache).
func (f *faultInjector) wrapReader(r client.Reader, verb string) client.Reader {
	return &faultReader{Reader: r, f: f, verb: verb}
}

type faultReader struct {
	client.Reader
	f    *faultInjector
	verb string
}

func (r *faultReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if err := r.f.hit(r.verb, r.f.kindOf(obj), key.Namespace); err != nil {
		return err
	}
	return r.Reader.Get(ctx, key, obj, opts...)
}

type faultClient struct {
	client.Client
	f *faultInjector
}

func (c *faultClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if err := c.f.hit("get", c.f.kindOf(obj), key.Namespace); err != nil {
		return err
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

func (c *faultClient) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	lo := &client.ListOptions{}
	lo.ApplyOptions(opts)
	if err := c.f.hit("list", c.f.kindOf(list), lo.Namespace); err != nil {
		return err
	}
	return c.Client.List(ctx, list, opts...)
}

func (c *faultClient) Apply(ctx context.Context, ac runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	var head struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name, Namespace string
		} `json:"metadata"`
	}
	data, _ := json.Marshal(ac)
	_ = json.Unmarshal(data, &head)
	if err := c.f.hit("apply", head.Kind, head.Metadata.Namespace); err != nil {
		return err
	}
	ao := &client.ApplyOptions{}
	ao.ApplyOptions(opts)
	c.f.record(write{Verb: "apply", Kind: head.Kind, Namespace: head.Metadata.Namespace, Name: head.Metadata.Name, Manager: ao.FieldManager})
	return c.Client.Apply(ctx, ac, opts...)
}

func (c *faultClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if err := c.beforeWrite("patch", obj); err != nil {
		return err
	}
	return c.Client.Patch(ctx, obj, patch, opts...)
}

func (c *faultClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	if err := c.beforeWrite("update", obj); err != nil {
		return err
	}
	return c.Client.Update(ctx, obj, opts...)
}

// beforeWrite returns the armed fault for verb on obj, if any; else it records
// the write, which the caller then makes.
func (c *faultClient) beforeWrite(verb string, obj client.Object) error {
	kind := c.f.kindOf(obj)
	if err := c.f.hit(verb, kind, obj.GetNamespace()); err != nil {
		return err
	}
	c.f.record(write{Verb: verb, Kind: kind, Namespace: obj.GetNamespace(), Name: obj.GetName()})
	return nil
}

func (c *faultClient) Status() client.SubResourceWriter {
	return &faultStatusWriter{SubResourceWriter: c.Client.Status(), f: c.f}
}

type faultStatusWriter struct {
	client.SubResourceWriter
	f *faultInjector
}

func (w *faultStatusWriter) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	kind := w.f.kindOf(obj)
	if err := w.f.hit("patch-status", kind, obj.GetNamespace()); err != nil {
		return err
	}
	if conds := conditionsOf(obj); conds != nil {
		w.f.mu.Lock()
		w.f.statusWrites = append(w.f.statusWrites, statusWrite{Namespace: obj.GetNamespace(), Name: obj.GetName(), Conditions: conds})
		w.f.mu.Unlock()
	}
	return w.SubResourceWriter.Patch(ctx, obj, patch, opts...)
}

// conditionsOf copies an object's status.conditions, if it has them.
func conditionsOf(obj client.Object) []metav1.Condition {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil
	}
	var s struct {
		Status struct {
			Conditions []metav1.Condition `json:"conditions"`
		} `json:"status"`
	}
	if json.Unmarshal(data, &s) != nil {
		return nil
	}
	return s.Status.Conditions
}
