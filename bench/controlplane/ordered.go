package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/probe"
)

// orderedWorkers is how many endpoints the ordered ceiling injects, and
// probes, at once: the manager's default MaxConcurrentReconciles (8).
const orderedWorkers = 8

// ordered times the ordered ceiling into rep: with no manager running, the
// benchmark does in the product's order what the controller does, and
// nothing else. At once, per endpoint, the user's Deployment, the
// Certificate and the Service (the controller's first reconcile applies
// both); then, as each Certificate turns Ready, it reads its Secret from
// the API server, inspects it with internal/certcheck as the controller
// does and only then injects the sidecar; an endpoint is done when its
// Deployment has rolled out (the stand-in kubelet made its Pod Ready once
// the stand-in sidecar had the certificate) and a live probe through the
// Service name passed (internal/probe, trusting the Secret's ca.crt):
// what the controller waits for before Ready. No WSSEndpoint, no status,
// no events: the controller's bookkeeping is what ours ÷ this measures.
func (d *driver) ordered(ctx context.Context, o options, rep *benchresult.Repetition, log logFunc) error {
	defaulted, names, err := d.directSetup(ctx, o.n)
	if err != nil {
		return fmt.Errorf("ordered ceiling: %w", err)
	}
	before, err := d.obs.take()
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := parallel(ctx, 16, names, func(ctx context.Context, name string) error {
		return d.applyChildren(ctx, defaulted, name)
	}); err != nil {
		return err
	}
	log("%d Deployments, Certificates and Services applied in %.1fs", o.n, since(t0))

	var mu sync.Mutex
	cas := map[string][]byte{} // endpoint -> its Secret's ca.crt
	injections := startPool(ctx, orderedWorkers, o.n, func(ctx context.Context, name string) error {
		ca, err := d.inspect(ctx, name)
		if err != nil {
			return err
		}
		mu.Lock()
		cas[name] = ca
		mu.Unlock()
		return d.inject(ctx, defaulted, name)
	})
	if err := waitAll(ctx, names, 15*time.Minute, "Certificates not Ready", onFirst(names, certificatesReady(ctx, d.cache), injections.submit)); err != nil {
		_ = injections.wait()
		return err
	}
	if err := injections.wait(); err != nil {
		return err
	}
	log("%d Certificates Ready, inspected and injected after %.1fs", o.n, since(t0))

	healthy, probing := map[string]bool{}, map[string]bool{}
	last := map[string]string{} // endpoint -> its last failed probe's reason
	probes := startPool(ctx, orderedWorkers, o.n, func(ctx context.Context, name string) error {
		mu.Lock()
		ca := cas[name]
		mu.Unlock()
		res := d.probe(ctx, defaulted, name, ca)
		mu.Lock()
		defer mu.Unlock()
		delete(probing, name)
		if res.Healthy {
			healthy[name] = true
		} else {
			last[name] = res.Reason + ": " + res.Message
		}
		return nil
	})
	rolled := d.rolledOut(ctx)
	err = waitAll(ctx, names, 15*time.Minute, "endpoints not rolled out and probed healthy", func() (map[string]bool, string, error) {
		got, _, err := rolled()
		mu.Lock()
		defer mu.Unlock()
		// A rolled-out endpoint is probed; a failed probe is tried again
		// on the next poll, as the controller's prober would.
		for name := range got {
			if !healthy[name] && !probing[name] {
				probing[name] = true
				probes.submit(name)
			}
		}
		done := make(map[string]bool, len(healthy))
		for name := range healthy {
			done[name] = true
		}
		detail := fmt.Sprintf("%d rolled out", len(got))
		for name, why := range last {
			if !healthy[name] {
				detail += fmt.Sprintf("; e.g. %s: last probe %s", name, why)
				break
			}
		}
		return done, detail, err
	})
	_ = probes.wait()
	if err != nil {
		return err
	}
	after, err := d.obs.take()
	if err != nil {
		return err
	}
	w := after.since(before)
	rep.OrderedCeiling = &w
	log("ordered ceiling: %d endpoints issued, inspected, injected, rolled out and probed after %.1fs", o.n, w.Seconds)
	return nil
}

// inspect reads endpoint name's certificate Secret from the API server (the
// controller caches Secrets as metadata only) and checks it as the
// controller's secretCheck step does; it returns the Secret's ca.crt.
func (d *driver) inspect(ctx context.Context, name string) ([]byte, error) {
	secretName := name + "-tls"
	secret := &corev1.Secret{}
	if err := d.env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: secretName}, secret); err != nil {
		return nil, fmt.Errorf("reading Secret %s: %w", secretName, err)
	}
	in := certcheck.Input{
		Cert: secret.Data[corev1.TLSCertKey], Key: secret.Data[corev1.TLSPrivateKeyKey],
		CertName: "Secret " + secretName + " tls.crt", KeyName: "Secret " + secretName + " tls.key",
		Hosts: floorCertificate(ns, name).Spec.DNSNames, Now: time.Now(),
	}
	if ca := secret.Data["ca.crt"]; len(ca) > 0 {
		in.CA, in.CAName = ca, "Secret "+secretName+" ca.crt"
	}
	if f, bad := certcheck.Check(in).Error(); bad {
		return nil, fmt.Errorf("inspecting Secret %s: %s: %s", secretName, f.Reason, f.Message)
	}
	return secret.Data["ca.crt"], nil
}

// probe dials endpoint name's Service name (at the stand-in sidecars) as
// the controller's prober does: TLS verified against ca, the WebSocket
// upgrade at the backend's path (ep's), a ping.
func (d *driver) probe(ctx context.Context, ep *wssv1.WSSEndpoint, name string, ca []byte) *probe.Result {
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	host := floorCertificate(ns, name).Spec.DNSNames[0]
	return probe.Run(ctx, probe.Options{URL: "wss://" + host + ":443" + ep.Spec.Backend.Path, ConnectTo: d.fleet.addr, Roots: roots})
}
