package probeloop

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/probe"
	"github.com/wss-operator/wss-operator/internal/proxy"
)

// round probes the Service and every pod of t once, concurrently within the
// prober's global limit, and summarises the outcome.
func (p *Prober) round(ctx context.Context, t Target) Result {
	var (
		wg         sync.WaitGroup
		service    *probe.Result
		pods       = make([]PodResult, len(t.Pods))
		handshakes = make([]*proxy.HandshakeReport, len(t.Pods))
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		service = p.probeOne(ctx, t, t.ServiceAddr, t.Idle)
	}()
	for i, pod := range t.Pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := p.probeOne(ctx, t, pod.Addr, 0)
			pods[i] = podResult(t, pod.Name, r)
		}()
	}
	for i, pod := range t.Pods {
		if pod.AdminAddr == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if rep, err := p.handshakes(ctx, t, pod.AdminAddr); err == nil {
				handshakes[i] = &rep
			}
		}()
	}
	wg.Wait()
	for i := range pods {
		pods[i].Handshakes = handshakes[i]
	}
	if p.opts.Observe != nil && ctx.Err() == nil {
		p.opts.Observe(t.Key, service)
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	return Summarise(t, service, pods, p.opts.Now())
}

// probeOne runs one probe of t's URL through addr, holding a slot of the
// global concurrency limit (an idle probe holds it only while it is
// handshaking: the silent wait costs nothing but one parked connection).
func (p *Prober) probeOne(ctx context.Context, t Target, addr string, idle time.Duration) *probe.Result {
	opts := probe.Options{
		URL:          t.URL,
		ConnectTo:    addr,
		Dial:         p.opts.Dial,
		Resolver:     p.opts.Resolver,
		Roots:        t.Roots,
		ClientCert:   t.ClientCert,
		Subprotocols: t.Subprotocols,
		Timeout:      t.Timeout,
		Idle:         idle,
	}
	select {
	case p.sem <- struct{}{}:
		var once sync.Once
		release := func() { once.Do(func() { <-p.sem }) }
		defer release()
		opts.IdleStarted = release
	case <-ctx.Done():
		return &probe.Result{URL: t.URL, Reason: wssv1.ReasonTimeout, Message: "probe cancelled before it started"}
	}
	r := probe.Run(ctx, opts)
	if t.ClientCertRequired && r.Reason == wssv1.ReasonClientCertificateRequired {
		// The sidecar requires client certificates and the prober has none:
		// getting that far proves TLS is served with the expected policy.
		r.Healthy = true
		r.Reason = wssv1.ReasonHealthy
		r.Message = "TLS handshake reached the client-certificate request, as clientAuth Require demands; the WebSocket upgrade is not probed without a client certificate"
	}
	return r
}

// servedLeaf is the SHA-256 of the leaf a probe saw ("" if none).
func servedLeaf(r *probe.Result) string {
	if r == nil || len(r.TLS.PeerCertificates) == 0 {
		return ""
	}
	return r.TLS.PeerCertificates[0].SHA256
}

func podResult(t Target, name string, r *probe.Result) PodResult {
	pr := PodResult{Name: name, Reason: r.Reason, Message: r.Message, ServedSHA256: servedLeaf(r)}
	if stale, msg := isStale(t, r); stale {
		pr.Reason, pr.Message = wssv1.ReasonStaleCertificate, msg
	}
	return pr
}

// isStale reports whether r served a leaf other than the Secret's.
func isStale(t Target, r *probe.Result) (bool, string) {
	served := servedLeaf(r)
	if t.ExpectedSHA256 == "" || served == "" || served == t.ExpectedSHA256 {
		return false, ""
	}
	return true, fmt.Sprintf("serves the certificate with SHA-256 %s, but the Secret holds %s: the sidecar has not reloaded the current certificate", short(served), short(t.ExpectedSHA256))
}

func short(sha string) string {
	if len(sha) > 16 {
		return sha[:16] + "…"
	}
	return sha
}

// Summarise turns one round into a Result: the service probe's failure
// first, then a stale leaf through the Service, then the first failing pod.
func Summarise(t Target, service *probe.Result, pods []PodResult, now time.Time) Result {
	r := Result{Time: now, Service: service, Pods: pods, Healthy: true, Reason: wssv1.ReasonHealthy}
	if service != nil {
		r.Message = service.Message
	}
	switch {
	case service == nil:
		r.Healthy, r.Reason, r.Message = false, wssv1.ReasonUnknown, "no service probe result"
	case !service.Healthy:
		via := "through the Service: "
		if t.ServiceAddr == "" {
			via = "" // a monitored URL, dialled as clients dial it
		}
		r.Healthy, r.Reason, r.Phase, r.Message = false, service.Reason, service.Phase, via+service.Message
	default:
		if stale, msg := isStale(t, service); stale {
			r.Healthy, r.Reason, r.Phase, r.Message = false, wssv1.ReasonStaleCertificate, "tls", "through the Service: "+msg
			return r
		}
		for _, pr := range pods {
			if pr.Reason != wssv1.ReasonHealthy {
				r.Healthy, r.Reason, r.Message = false, pr.Reason, fmt.Sprintf("pod %s: %s", pr.Name, pr.Message)
				if pr.Reason == wssv1.ReasonStaleCertificate {
					r.Phase = "tls"
				}
				return r
			}
		}
	}
	return r
}

// handshakes reads a pod's sidecar report of failed client handshakes.
func (p *Prober) handshakes(ctx context.Context, t Target, adminAddr string) (proxy.HandshakeReport, error) {
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	return proxy.FetchHandshakes(ctx, p.admin, "http://"+adminAddr)
}

// compat handshakes through the Service as every client profile.
func (p *Prober) compat(ctx context.Context, t Target) []probe.CompatResult {
	select {
	case p.sem <- struct{}{}:
		defer func() { <-p.sem }()
	case <-ctx.Done():
		return nil
	}
	return probe.Compat(ctx, probe.Options{
		URL: t.URL, ConnectTo: t.ServiceAddr, Dial: p.opts.Dial, Resolver: p.opts.Resolver,
		Roots: t.Roots, ClientCert: t.ClientCert, Timeout: t.Timeout,
	})
}
