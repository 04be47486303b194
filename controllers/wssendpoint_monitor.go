package controllers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/url"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/probeloop"
)

// A monitor-only endpoint (spec.monitor) is a wss:// URL that something else
// terminates: an Ingress controller, a Gateway, a cloud load balancer. The
// controller issues no certificate, injects nothing and creates no Service;
// it probes the URL on the health-check interval and judges the chain the
// server actually serves, so CertificateReady, HandshakeHealthy and Ready
// (and the expiry metric, and the alerts built on them) work as for an
// injected endpoint. SidecarReady and ServiceReady do not apply and are not
// shown.

// reconcileMonitor reads the trust and client-certificate Secrets the
// monitor names, hands the URL to the prober, and records what the latest
// round saw: the probe's verdict, and the inspection of the served chain.
func (r *WSSEndpointReconciler) reconcileMonitor(ctx context.Context, s *scope) error {
	ep := s.ep
	m := ep.Spec.Monitor
	key := client.ObjectKeyFromObject(ep)
	hc := ep.Spec.HealthCheck
	p := r.startProbeFacts(ep)
	p.url = m.URL
	if p.disabled {
		s.f.probe = p
		return nil
	}
	u, err := url.Parse(m.URL)
	if err != nil || u.Hostname() == "" {
		return stall(wssv1.ReasonInvalidSpec, "spec.monitor.url %q is not a URL with a host", m.URL)
	}

	var ca []byte
	if m.CASecretName != "" {
		entry, ok, err := r.monitorSecret(ctx, s, "caSecretName", m.CASecretName, func(data map[string][]byte) checkEntry {
			bundle := data[corev1.ServiceAccountRootCAKey]
			if !x509.NewCertPool().AppendCertsFromPEM(bundle) {
				return checkEntry{report: certcheck.Report{Findings: []certcheck.Finding{{Reason: wssv1.ReasonMalformedPEM, Severity: certcheck.SeverityError,
					Message: "Secret " + m.CASecretName + " ca.crt holds no PEM certificate"}}}}
			}
			return checkEntry{report: certcheck.Report{Healthy: true}, ca: bundle}
		})
		if !ok {
			return err
		}
		ca = entry.ca
	}
	var clientCert *tls.Certificate
	if m.ClientCertSecretName != "" {
		entry, ok, err := r.monitorSecret(ctx, s, "clientCertSecretName", m.ClientCertSecretName, func(data map[string][]byte) checkEntry {
			pair, err := tls.X509KeyPair(data[corev1.TLSCertKey], data[corev1.TLSPrivateKeyKey])
			if err != nil {
				rep := certcheck.Check(certcheck.Input{Cert: data[corev1.TLSCertKey], Key: data[corev1.TLSPrivateKeyKey],
					CertName: "Secret " + m.ClientCertSecretName + " tls.crt", KeyName: "Secret " + m.ClientCertSecretName + " tls.key"})
				if _, bad := rep.Error(); !bad {
					rep.Findings = append(rep.Findings, certcheck.Finding{Reason: wssv1.ReasonMalformedPEM, Severity: certcheck.SeverityError, Message: err.Error()})
					rep.Healthy = false
				}
				return checkEntry{report: rep}
			}
			return checkEntry{report: certcheck.Report{Healthy: true}, clientCert: &pair}
		})
		if !ok {
			return err
		}
		clientCert = entry.clientCert
	}

	rootsID, roots := r.roots.get(ca)
	t := probeloop.Target{
		Key:        key,
		URL:        m.URL,
		Roots:      roots,
		RootsID:    rootsID,
		ClientCert: clientCert,
		Interval:   durationOr(hc.Interval, 30*time.Second),
		Timeout:    durationOr(hc.Timeout, 5*time.Second),
		Idle:       durationOr(hc.IdleTimeout, 0),
		// The served certificate is judged from the chain (servedChainFacts).
		KeepServedChain: true,
	}
	if clientCert != nil {
		sum := sha256.Sum256(bytes.Join(clientCert.Certificate, nil))
		t.ClientCertID = hex.EncodeToString(sum[:])
	}
	r.Prober.Upsert(t)
	res, ok := r.Prober.Latest(key)
	if ok {
		p.result = &res
		if res.Service != nil && len(res.Service.ServedChain) > 0 {
			s.f.cert = servedChainFacts(res.Service.ServedChain, u.Hostname(), ca, r.now(), r.warnWithin())
		}
	}
	s.f.probe = p
	return nil
}

// monitorSecret reads and judges a Secret spec.monitor.<field> names. ok
// is false when the monitor cannot be probed as specified: the Secret is
// missing (a wait), unusable (a CertificateReady problem; err is nil), or
// could not be read (err).
func (r *WSSEndpointReconciler) monitorSecret(ctx context.Context, s *scope, field, name string, check func(map[string][]byte) checkEntry) (checkEntry, bool, error) {
	entry, found, err := r.checkSecret(ctx, s.ep.Namespace, name, "monitor-"+field, "", false, check)
	switch {
	case err != nil:
		return entry, false, err
	case !found:
		s.f.cert = &certFacts{monitor: true, problem: &certcheck.Finding{Reason: wssv1.ReasonMissingData, Severity: certcheck.SeverityError,
			Message: fmt.Sprintf("spec.monitor.%s: Secret %s/%s does not exist", field, s.ep.Namespace, name)}}
		return entry, false, &waiting{Message: fmt.Sprintf("waiting for Secret %s (spec.monitor.%s)", name, field)}
	}
	if f, bad := entry.report.Error(); bad {
		f.Message = "spec.monitor." + field + ": " + f.Message
		s.f.cert = &certFacts{monitor: true, problem: &f}
		return entry, false, nil
	}
	return entry, true, nil
}

// servedChainFacts inspects the chain a server served as `inspect` would
// inspect tls.crt: order, completeness against the trust (ca.crt or the
// system roots), validity, the URL's host, key strength, signatures.
func servedChainFacts(chain []*x509.Certificate, host string, ca []byte, now time.Time, warnWithin time.Duration) *certFacts {
	var buf bytes.Buffer
	for _, c := range chain {
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	in := certcheck.Input{Cert: buf.Bytes(), CertName: "the served chain", Hosts: []string{host}, Now: now, WarnWithin: warnWithin}
	if len(ca) > 0 {
		in.CA, in.CAName = ca, "spec.monitor.caSecretName ca.crt"
	}
	report := certcheck.Check(in)
	return &certFacts{monitor: true, report: &report, now: now}
}
