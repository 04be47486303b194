package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
	"github.com/wss-operator/wss-operator/controllers"
	"github.com/wss-operator/wss-operator/internal/injection"
)

// sidecarImage is the image the measured manager injects (cpmanager's
// SidecarImage): the same, so the rolled-out templates are the same size.
const sidecarImage = "ghcr.io/wss-operator/wss-operator:bench"

// ceiling times the floor + rollouts into rep: with no manager running,
// it applies at once, per endpoint, the user's Deployment (as the
// endpoints part does), the floor's Certificate, the Service the
// controller applies and the controller's sidecar injection into the
// Deployment, then waits until every Certificate is Ready and every
// Deployment has rolled out (the stand-in kubelet made its Pod Ready, once
// the stand-in sidecar had the certificate). No WSSEndpoint, no status,
// no events and no TLS probe: those are the controller's own work.
func (d *driver) ceiling(ctx context.Context, o options, rep *benchresult.Repetition, log logFunc) error {
	defaulted, names, err := d.directSetup(ctx, o.n)
	if err != nil {
		return fmt.Errorf("floor + rollouts: %w", err)
	}
	before, err := d.obs.take()
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := parallel(ctx, 16, names, func(ctx context.Context, name string) error {
		return d.applyDirectly(ctx, defaulted, name)
	}); err != nil {
		return err
	}
	log("%d Deployments, Certificates, Services and injections applied in %.1fs", o.n, since(t0))
	if err := waitCertificates(ctx, d.cache, names, 15*time.Minute); err != nil {
		return err
	}
	if err := d.waitRollouts(ctx, names, 15*time.Minute); err != nil {
		return err
	}
	after, err := d.obs.take()
	if err != nil {
		return err
	}
	w := after.since(before)
	rep.Ceiling = &w
	log("floor + rollouts: %d Certificates Ready and Deployments rolled out after %.1fs", o.n, w.Seconds)
	return nil
}

// directSetup readies a part that writes the controller's objects itself:
// the Certificate informer synced, the CA issued (before the clock starts,
// as in the floor and the endpoints), the endpoint as the controller sees
// it, with the API server's defaults (a dry run writes nothing, so the
// injected template is the controller's to the byte), and the n names.
func (d *driver) directSetup(ctx context.Context, n int) (*wssv1.WSSEndpoint, []string, error) {
	if _, err := d.cache.GetInformer(ctx, &cmv1.Certificate{}); err != nil {
		return nil, nil, err
	}
	d.cache.WaitForCacheSync(ctx)
	if err := waitCertificates(ctx, d.cache, []string{"demo-ca"}, 2*time.Minute); err != nil {
		return nil, nil, fmt.Errorf("CA: %w", err)
	}
	defaulted := benchEndpoint("ep-0000")
	if err := d.env.Client.Create(ctx, defaulted, client.DryRunAll); err != nil {
		return nil, nil, fmt.Errorf("defaulting the WSSEndpoint: %w", err)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("ep-%04d", i)
	}
	return defaulted, names, nil
}

// applyDirectly does for endpoint name what the user and the controller
// together write: the user's Deployment, then the controller's
// Certificate, Service and sidecar injection (under the same field
// managers), from the defaulted endpoint ep.
func (d *driver) applyDirectly(ctx context.Context, ep *wssv1.WSSEndpoint, name string) error {
	if err := d.applyChildren(ctx, ep, name); err != nil {
		return err
	}
	return d.inject(ctx, ep, name)
}

// applyChildren writes what exists before the certificate is issued: the
// user's Deployment, and the controller's Certificate and Service (its
// first reconcile applies both; the Service step runs while the
// certificate is issuing).
func (d *driver) applyChildren(ctx context.Context, ep *wssv1.WSSEndpoint, name string) error {
	c := d.env.Client
	if err := c.Create(ctx, userDeployment(name)); err != nil {
		return fmt.Errorf("creating Deployment %s: %w", name, err)
	}
	if err := c.Create(ctx, floorCertificate(ns, name)); err != nil {
		return fmt.Errorf("creating Certificate %s: %w", name, err)
	}
	svc, err := serviceFor(ep, name)
	if err != nil {
		return err
	}
	if err := c.Apply(ctx, svc, client.FieldOwner(controllers.FieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying Service %s: %w", name, err)
	}
	return nil
}

// inject applies the controller's sidecar injection into endpoint name's
// Deployment, from the defaulted endpoint ep.
func (d *driver) inject(ctx context.Context, ep *wssv1.WSSEndpoint, name string) error {
	c := d.env.Client
	ep = ep.DeepCopy()
	ep.Name = name
	tmpl, _ := injection.PodTemplate(injection.Params{Endpoint: ep, Image: sidecarImage, CertSecretName: name + "-tls"})
	ac, err := injection.Workload(wssv1.WorkloadDeployment, ns, name, tmpl)
	if err != nil {
		return err
	}
	if err := c.Apply(ctx, ac, client.FieldOwner(controllers.WorkloadFieldManager(name))); err != nil {
		return fmt.Errorf("injecting the sidecar into Deployment %s: %w", name, err)
	}
	return nil
}

// serviceFor is the Service the controller applies for endpoint name
// (controllers/wssendpoint_service.go): the same label, selector, port,
// target port and applied-hash annotation; no owner reference, as there
// is no WSSEndpoint to own it.
func serviceFor(ep *wssv1.WSSEndpoint, name string) (*corev1ac.ServiceApplyConfiguration, error) {
	port := ep.Spec.Service.Port
	if port == 0 {
		port = 443
	}
	svc := corev1ac.Service(name, ns).
		WithLabels(map[string]string{injection.EndpointLabel: name}).
		WithSpec(corev1ac.ServiceSpec().
			WithType(corev1.ServiceTypeClusterIP).
			WithSelector(map[string]string{injection.EndpointLabel: name}).
			WithPorts(corev1ac.ServicePort().
				WithName(controllers.ServicePortName).WithProtocol(corev1.ProtocolTCP).WithAppProtocol("https").
				WithPort(port).WithTargetPort(intstr.FromString(injection.TLSPortName))))
	data, err := json.Marshal(svc)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return svc.WithAnnotations(map[string]string{controllers.AppliedHashAnnotation: hex.EncodeToString(sum[:16])}), nil
}

// waitRollouts polls the cache until every named Deployment carries the
// sidecar and has rolled it out, the way the controller judges it:
// observed its generation, every replica updated and available, none old.
func (d *driver) waitRollouts(ctx context.Context, names []string, limit time.Duration) error {
	return waitAll(ctx, names, limit, "Deployments not rolled out", d.rolledOut(ctx))
}

// rolledOut is waitRollouts' test, for waitAll: the Deployments that carry
// the sidecar and have rolled it out.
func (d *driver) rolledOut(ctx context.Context) func() (map[string]bool, string, error) {
	return func() (map[string]bool, string, error) {
		list := &appsv1.DeploymentList{}
		if err := d.cache.List(ctx, list); err != nil {
			return nil, "", err
		}
		done := map[string]bool{}
		for i := range list.Items {
			dep := &list.Items[i]
			want := int32(1)
			if dep.Spec.Replicas != nil {
				want = *dep.Spec.Replicas
			}
			st := dep.Status
			if injection.Find(&dep.Spec.Template) != nil && st.ObservedGeneration >= dep.Generation &&
				st.UpdatedReplicas >= want && st.AvailableReplicas >= want && st.Replicas <= st.UpdatedReplicas {
				done[dep.Name] = true
			}
		}
		return done, "", nil
	}
}
