package controllers

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync"
	"time"

	cmapiutil "github.com/cert-manager/cert-manager/pkg/api/util"
	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	cmac "github.com/cert-manager/cert-manager/pkg/client/applyconfigurations/certmanager/v1"
	cmmetaac "github.com/cert-manager/cert-manager/pkg/client/applyconfigurations/meta/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/injection"
)

// certSecretName is the Secret the sidecar serves: cert-manager's
// `<name>-tls` or the user's spec.tls.secretName.
func certSecretName(ep *wssv1.WSSEndpoint) string {
	if ep.Spec.TLS.SecretName != "" {
		return ep.Spec.TLS.SecretName
	}
	return ep.Name + "-tls"
}

// serviceDNSNames are the names the Service is reachable by in the cluster.
func serviceDNSNames(ep *wssv1.WSSEndpoint, domain string) []string {
	base := ep.Name + "." + ep.Namespace + ".svc"
	return []string{base, base + "." + domain}
}

// certificateHosts are the DNS names of a cert-manager Certificate:
// spec.tls.hosts plus the Service's names.
func certificateHosts(ep *wssv1.WSSEndpoint, domain string) []string {
	out := append([]string{}, ep.Spec.TLS.Hosts...)
	for _, n := range serviceDNSNames(ep, domain) {
		if !contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ownerRef makes ep the controller of a child.
func ownerRef(ep *wssv1.WSSEndpoint) *metav1ac.OwnerReferenceApplyConfiguration {
	return metav1ac.OwnerReference().
		WithAPIVersion(wssv1.GroupVersion.String()).WithKind("WSSEndpoint").
		WithName(ep.Name).WithUID(ep.UID).WithController(true).WithBlockOwnerDeletion(true)
}

// reconcileCertificate applies the cert-manager Certificate (issuerRef) and
// judges it by cert-manager's Ready condition at the current generation.
// With secretName there is nothing to issue. The Secret itself is judged by
// reconcileSecretCheck, which completes the certificate facts.
func (r *WSSEndpointReconciler) reconcileCertificate(ctx context.Context, s *scope) error {
	ep := s.ep
	c := &certFacts{secretName: certSecretName(ep), issued: ep.Spec.TLS.IssuerRef != nil}
	s.pendingCert = c
	if !c.issued {
		s.hosts = ep.Spec.TLS.Hosts
		if len(s.hosts) == 0 {
			s.hosts = serviceDNSNames(ep, r.clusterDomain())
		}
		return nil
	}
	s.hosts = certificateHosts(ep, r.clusterDomain())
	cert := r.desiredCertificate(ep, c.secretName, s.hosts)
	current := &cmv1.Certificate{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(ep), current)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading Certificate %s: %w", ep.Name, err)
	}
	var existing client.Object
	if err == nil {
		existing = current
	}
	if err := r.applyIfChanged(ctx, existing, cert, func(a map[string]string) { cert.WithAnnotations(a) }); err != nil {
		return fmt.Errorf("applying Certificate %s: %w", ep.Name, err)
	}
	if existing == nil { // just created; cert-manager has not seen it yet
		c.notReady = certificateWaiting
		return nil
	}
	c.cmCert = current
	if !cmapiutil.CertificateHasConditionWithObservedGeneration(current, cmv1.CertificateCondition{
		Type: cmv1.CertificateConditionReady, Status: cmmeta.ConditionTrue, ObservedGeneration: current.Generation,
	}) {
		c.notReady = certificateNotReadyMessage(current)
	}
	return nil
}

// certificateWaiting is the message while cert-manager issues normally. It
// stays the same through cert-manager's own steps (its Issuing and Ready
// messages change several times on the way), so those steps cost no status
// write.
const certificateWaiting = "waiting for cert-manager to issue the certificate"

// certificateNotReadyMessage is certificateWaiting while cert-manager makes
// progress, and cert-manager's own reason and message when it reports a
// problem: an issuance that failed (Issuing False with reason Failed), or a
// Ready reason other than the normal "the Secret does not exist yet" and
// "being issued" ones (e.g. an invalid key pair, an incorrect issuer).
func certificateNotReadyMessage(cert *cmv1.Certificate) string {
	if cond := cmapiutil.GetCertificateCondition(cert, cmv1.CertificateConditionIssuing); cond != nil &&
		cond.Status == cmmeta.ConditionFalse && cond.Reason == "Failed" {
		return fmt.Sprintf("cert-manager: issuance failed: %s", cond.Message)
	}
	cond := cmapiutil.GetCertificateCondition(cert, cmv1.CertificateConditionReady)
	if cond == nil {
		return certificateWaiting
	}
	switch cond.Reason {
	case "DoesNotExist", "InProgress", "Issuing", "Pending", "Renewing", "ManuallyTriggered", "Expired", "":
		return certificateWaiting
	}
	return fmt.Sprintf("cert-manager: %s: %s", cond.Reason, cond.Message)
}

// desiredCertificate is the cert-manager Certificate for ep.
func (r *WSSEndpointReconciler) desiredCertificate(ep *wssv1.WSSEndpoint, secretName string, hosts []string) *cmac.CertificateApplyConfiguration {
	ref := ep.Spec.TLS.IssuerRef
	spec := cmac.CertificateSpec().
		WithSecretName(secretName).
		WithDNSNames(hosts...).
		WithIssuerRef(cmmetaac.IssuerReference().WithName(ref.Name).WithKind(string(ref.Kind)).WithGroup(ref.Group)).
		WithUsages(cmv1.UsageDigitalSignature, cmv1.UsageKeyEncipherment, cmv1.UsageServerAuth).
		WithSecretTemplate(cmac.CertificateSecretTemplate().WithLabels(map[string]string{injection.EndpointLabel: ep.Name}))
	if pk := ep.Spec.TLS.PrivateKey; pk != nil {
		k := cmac.CertificatePrivateKey().WithAlgorithm(cmv1.PrivateKeyAlgorithm(pk.Algorithm)).WithRotationPolicy(cmv1.RotationPolicyAlways)
		if pk.Size != nil {
			k = k.WithSize(int(*pk.Size))
		}
		spec = spec.WithPrivateKey(k)
	} else {
		spec = spec.WithPrivateKey(cmac.CertificatePrivateKey().WithAlgorithm(cmv1.ECDSAKeyAlgorithm).WithSize(256).WithRotationPolicy(cmv1.RotationPolicyAlways))
	}
	if ep.Spec.TLS.Duration != nil {
		spec = spec.WithDuration(*ep.Spec.TLS.Duration)
	}
	if ep.Spec.TLS.RenewBefore != nil {
		spec = spec.WithRenewBefore(*ep.Spec.TLS.RenewBefore)
	}
	return cmac.Certificate(ep.Name, ep.Namespace).
		WithLabels(map[string]string{injection.EndpointLabel: ep.Name}).
		WithOwnerReferences(ownerRef(ep)).
		WithSpec(spec)
}

// checkCache remembers the Secret check by Secret UID and resourceVersion, so
// a Secret is read in full only when it changed.
type checkCache struct {
	mu      sync.Mutex
	entries map[checkKey]checkEntry
}

// checkKey is one Secret judged for one purpose ("tls" or "client-ca"): the
// same Secret may serve both.
type checkKey struct {
	uid     types.UID
	purpose string
}

type checkEntry struct {
	resourceVersion string
	hostsKey        string
	hour            int64
	report          certcheck.Report
	ca              []byte
	// clientCert is the pair of a monitor's clientCertSecretName.
	clientCert *tls.Certificate
}

func newCheckCache() *checkCache { return &checkCache{entries: map[checkKey]checkEntry{}} }

// reconcileSecretCheck inspects the certificate Secret (and the client CA
// Secret) with internal/certcheck before anything serves them. It waits
// while cert-manager has not written the Secret yet.
func (r *WSSEndpointReconciler) reconcileSecretCheck(ctx context.Context, s *scope) error {
	ep := s.ep
	c := s.pendingCert
	c.now = r.now()
	// cert-manager calls the Certificate Ready: its Secret exists.
	expected := c.issued && c.notReady == ""
	entry, found, err := r.checkSecret(ctx, ep.Namespace, c.secretName, "tls", fmt.Sprint(s.hosts), expected, func(data map[string][]byte) checkEntry {
		in := certcheck.Input{
			Cert: data[corev1.TLSCertKey], Key: data[corev1.TLSPrivateKeyKey],
			CertName: "Secret " + c.secretName + " tls.crt", KeyName: "Secret " + c.secretName + " tls.key",
			Hosts: s.hosts, Now: c.now, WarnWithin: r.warnWithin(),
		}
		if ca := data["ca.crt"]; len(ca) > 0 {
			in.CA, in.CAName = ca, "Secret "+c.secretName+" ca.crt"
		}
		if in.Key == nil {
			in.Key = []byte{}
		}
		return checkEntry{report: certcheck.Check(in), ca: data["ca.crt"]}
	})
	if err != nil {
		return err
	}
	if !found {
		// cert-manager has not written the Secret yet (or the user's is
		// missing): a fact, not a stop. The Service, the sidecar (withheld)
		// and the probe (pending) steps still run, so their conditions are
		// in the first status write and cert-manager's steps cost none; the
		// Secret's creation wakes the endpoint through the watch.
		c.secretMissing = true
		s.f.cert = c
		return nil
	}
	report := entry.report
	c.report, s.caBundle = &report, entry.ca

	if ca := ep.Spec.TLS.ClientAuth; ca != nil && ca.Mode != "" && ca.Mode != wssv1.ClientAuthNone && ca.CASecretName != "" {
		caEntry, found, err := r.checkSecret(ctx, ep.Namespace, ca.CASecretName, "client-ca", "", false, func(data map[string][]byte) checkEntry {
			return checkEntry{report: certcheck.CheckClientCA(data[injection.CAKey], "Secret "+ca.CASecretName+" "+injection.CAKey, c.now)}
		})
		if err != nil {
			return err
		}
		c.clientCA = &clientCAFacts{secretName: ca.CASecretName, missing: !found, report: caEntry.report}
	}
	s.f.cert = c
	if report.Leaf != nil {
		s.requeueAfter(report.Leaf.NotAfter.Sub(c.now) + time.Second)
		s.requeueAfter(report.Leaf.NotAfter.Add(-r.warnWithin()).Sub(c.now) + time.Second)
	}
	return nil
}

// checkSecret returns the inspection of Secret name, read in full only when
// its metadata (resourceVersion), the inputs (key) or the hour changed;
// found is false when the Secret does not exist. expected says that it
// should exist (cert-manager calls its Certificate Ready): then a Secret
// the metadata cache has not seen yet is looked up on the API server before
// it is called missing, so the cache's lag costs no "does not exist" status
// write.
func (r *WSSEndpointReconciler) checkSecret(ctx context.Context, namespace, name, purpose, key string, expected bool, check func(map[string][]byte) checkEntry) (checkEntry, bool, error) {
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	metaReader := r.MetadataReader
	if metaReader == nil {
		metaReader = r.Client
	}
	hour := r.now().Unix() / 3600 // re-judge validity at least hourly
	err := metaReader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, meta)
	switch {
	case apierrors.IsNotFound(err) && !expected:
		return checkEntry{}, false, nil
	case apierrors.IsNotFound(err): // read below
	case err != nil:
		return checkEntry{}, false, fmt.Errorf("reading Secret %s metadata: %w", name, err)
	default:
		r.checks.mu.Lock()
		cached, ok := r.checks.entries[checkKey{uid: meta.UID, purpose: purpose}]
		r.checks.mu.Unlock()
		if ok && cached.resourceVersion == meta.ResourceVersion && cached.hostsKey == key && cached.hour == hour {
			return cached, true, nil
		}
	}
	secret := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, secret); err != nil {
		if apierrors.IsNotFound(err) { // deleted since the cache saw it
			return checkEntry{}, false, nil
		}
		return checkEntry{}, false, fmt.Errorf("reading Secret %s: %w", name, err)
	}
	cached := check(secret.Data)
	cached.report = compactReport(cached.report)
	cached.resourceVersion, cached.hostsKey, cached.hour = secret.ResourceVersion, key, hour
	r.checks.mu.Lock()
	r.checks.entries[checkKey{uid: secret.UID, purpose: purpose}] = cached
	r.checks.mu.Unlock()
	return cached, true, nil
}

// compactReport keeps of a report what the controller reads (health,
// findings, chain length, and the leaf's validity, serial, issuer, names and
// DER for its SHA-256) and drops the parsed chain and the certificate facts:
// a whole parsed x509 chain per endpoint was most of the check cache.
func compactReport(r certcheck.Report) certcheck.Report {
	out := certcheck.Report{Healthy: r.Healthy, Findings: r.Findings, ChainLength: r.ChainLength}
	if l := r.Leaf; l != nil {
		out.Leaf = &x509.Certificate{
			Raw: bytes.Clone(l.Raw), NotBefore: l.NotBefore, NotAfter: l.NotAfter,
			SerialNumber: l.SerialNumber, Issuer: l.Issuer, DNSNames: l.DNSNames,
		}
	}
	return out
}

func (r *WSSEndpointReconciler) warnWithin() time.Duration {
	if r.WarnWithin > 0 {
		return r.WarnWithin
	}
	return 7 * 24 * time.Hour
}
