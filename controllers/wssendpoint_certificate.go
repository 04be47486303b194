package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	"github.com/wss-operator/wss-operator/internal/sidecar"
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
// With secretName there is nothing to issue.
func (r *WSSEndpointReconciler) reconcileCertificate(ctx context.Context, s *scope) error {
	ep := s.ep
	s.certSecretName = certSecretName(ep)
	if ep.Spec.TLS.IssuerRef == nil {
		s.hosts = ep.Spec.TLS.Hosts
		if len(s.hosts) == 0 {
			s.hosts = serviceDNSNames(ep, r.clusterDomain())
		}
		return nil
	}
	s.hosts = certificateHosts(ep, r.clusterDomain())
	ref := ep.Spec.TLS.IssuerRef
	spec := cmac.CertificateSpec().
		WithSecretName(s.certSecretName).
		WithDNSNames(s.hosts...).
		WithIssuerRef(cmmetaac.IssuerReference().WithName(ref.Name).WithKind(string(ref.Kind)).WithGroup(ref.Group)).
		WithUsages(cmv1.UsageDigitalSignature, cmv1.UsageKeyEncipherment, cmv1.UsageServerAuth).
		WithSecretTemplate(cmac.CertificateSecretTemplate().WithLabels(map[string]string{sidecar.EndpointLabel: ep.Name}))
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
	cert := cmac.Certificate(ep.Name, ep.Namespace).
		WithLabels(map[string]string{sidecar.EndpointLabel: ep.Name}).
		WithOwnerReferences(ownerRef(ep)).
		WithSpec(spec)
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
		s.obs.certStatus, s.obs.certReason, s.obs.certMessage = metav1.ConditionFalse, wssv1.ReasonCertificateNotReady, "waiting for cert-manager to pick up the new Certificate"
		return nil
	}
	s.cmCert = current
	if !cmapiutil.CertificateHasConditionWithObservedGeneration(current, cmv1.CertificateCondition{
		Type: cmv1.CertificateConditionReady, Status: cmmeta.ConditionTrue, ObservedGeneration: current.Generation,
	}) {
		msg := "waiting for cert-manager to issue the certificate"
		if c := cmapiutil.GetCertificateCondition(current, cmv1.CertificateConditionReady); c != nil {
			msg = fmt.Sprintf("cert-manager: %s: %s", c.Reason, c.Message)
		}
		if c := cmapiutil.GetCertificateCondition(current, cmv1.CertificateConditionIssuing); c != nil && c.Status == cmmeta.ConditionTrue && c.Message != "" {
			msg += fmt.Sprintf(" (issuing: %s: %s)", c.Reason, c.Message)
		}
		s.obs.certStatus, s.obs.certReason, s.obs.certMessage = metav1.ConditionFalse, wssv1.ReasonCertificateNotReady, msg
	}
	return nil
}

// checkCache remembers the Secret check by Secret UID and resourceVersion, so
// a Secret is read in full only when it changed.
type checkCache struct {
	mu      sync.Mutex
	entries map[types.UID]checkEntry
}

type checkEntry struct {
	resourceVersion string
	hostsKey        string
	hour            int64
	report          certcheck.Report
	ca              []byte
}

func newCheckCache() *checkCache { return &checkCache{entries: map[types.UID]checkEntry{}} }

// reconcileSecretCheck inspects the certificate Secret with
// internal/certcheck before anything serves it and fills status.certificate.
func (r *WSSEndpointReconciler) reconcileSecretCheck(ctx context.Context, s *scope) error {
	ep := s.ep
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: ep.Namespace, Name: s.certSecretName}, meta)
	if apierrors.IsNotFound(err) {
		if s.obs.certStatus == "" {
			if ep.Spec.TLS.IssuerRef != nil {
				s.obs.certStatus, s.obs.certReason, s.obs.certMessage = metav1.ConditionFalse, wssv1.ReasonCertificateNotReady, fmt.Sprintf("Secret %s does not exist yet", s.certSecretName)
			} else {
				s.obs.certStatus, s.obs.certReason, s.obs.certMessage = metav1.ConditionFalse, wssv1.ReasonMissingData, fmt.Sprintf("spec.tls.secretName: Secret %s/%s does not exist", ep.Namespace, s.certSecretName)
			}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading Secret %s metadata: %w", s.certSecretName, err)
	}

	now := r.now()
	hostsKey := fmt.Sprint(s.hosts)
	hour := now.Unix() / 3600 // re-judge validity at least hourly
	r.checks.mu.Lock()
	cached, ok := r.checks.entries[meta.UID]
	r.checks.mu.Unlock()
	if !ok || cached.resourceVersion != meta.ResourceVersion || cached.hostsKey != hostsKey || cached.hour != hour {
		secret := &corev1.Secret{}
		if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ep.Namespace, Name: s.certSecretName}, secret); err != nil {
			return fmt.Errorf("reading Secret %s: %w", s.certSecretName, err)
		}
		in := certcheck.Input{
			Cert: secret.Data[corev1.TLSCertKey], Key: secret.Data[corev1.TLSPrivateKeyKey],
			CertName: "Secret " + s.certSecretName + " tls.crt", KeyName: "Secret " + s.certSecretName + " tls.key",
			Hosts: s.hosts, Now: now, WarnWithin: r.warnWithin(),
		}
		if ca := secret.Data["ca.crt"]; len(ca) > 0 {
			in.CA, in.CAName = ca, "Secret "+s.certSecretName+" ca.crt"
		}
		if in.Key == nil {
			in.Key = []byte{}
		}
		cached = checkEntry{resourceVersion: meta.ResourceVersion, hostsKey: hostsKey, hour: hour, report: certcheck.Check(in), ca: secret.Data["ca.crt"]}
		r.checks.mu.Lock()
		r.checks.entries[meta.UID] = cached
		r.checks.mu.Unlock()
	}
	report := cached.report
	s.report, s.caBundle = &report, cached.ca

	ep.Status.Certificate = certificateStatus(s, &report)
	if f, bad := report.Error(); bad {
		s.obs.certStatus, s.obs.certReason, s.obs.certMessage = metav1.ConditionFalse, f.Reason, f.Message+" — "+certcheck.Fix(f.Reason)
	} else if s.obs.certStatus == "" {
		msg := fmt.Sprintf("Secret %s passed inspection", s.certSecretName)
		for _, f := range report.Findings {
			msg += fmt.Sprintf("; warning %s: %s", f.Reason, f.Message)
		}
		s.obs.certStatus, s.obs.certReason, s.obs.certMessage = metav1.ConditionTrue, wssv1.ReasonSucceeded, msg
	}
	if report.Leaf != nil {
		s.requeueAfter(report.Leaf.NotAfter.Sub(now) + time.Second)
		s.requeueAfter(report.Leaf.NotAfter.Add(-r.warnWithin()).Sub(now) + time.Second)
	}
	return nil
}

func (r *WSSEndpointReconciler) warnWithin() time.Duration {
	if r.WarnWithin > 0 {
		return r.WarnWithin
	}
	return 7 * 24 * time.Hour
}

// certificateStatus is status.certificate from the Secret check.
func certificateStatus(s *scope, report *certcheck.Report) *wssv1.CertificateStatus {
	st := &wssv1.CertificateStatus{SecretName: s.certSecretName, ChainLength: int32(report.ChainLength)}
	if leaf := report.Leaf; leaf != nil {
		nb, na := metav1.NewTime(leaf.NotBefore.UTC()), metav1.NewTime(leaf.NotAfter.UTC())
		sum := sha256.Sum256(leaf.Raw)
		st.NotBefore, st.NotAfter = &nb, &na
		st.SerialNumber = leaf.SerialNumber.Text(16)
		st.SHA256 = hex.EncodeToString(sum[:])
		st.Issuer = leaf.Issuer.String()
		st.DNSNames = leaf.DNSNames
	}
	if s.cmCert != nil && s.cmCert.Status.RenewalTime != nil {
		rt := *s.cmCert.Status.RenewalTime
		st.RenewalTime = &rt
	}
	return st
}

// certificateUsable says whether the Secret may be rolled out: it exists and
// has no Error finding.
func (s *scope) certificateUsable() bool {
	return s.report != nil && s.report.Healthy
}
