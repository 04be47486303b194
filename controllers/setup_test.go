package controllers

import (
	"testing"
	"time"

	cmapiutil "github.com/cert-manager/cert-manager/pkg/api/util"
	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/injection"
)

// TestPodFacts: the cached Pod keeps what probeTarget and the Pod watch
// read (labels, deletion, IP, Ready) and drops the rest.
func TestPodFacts(t *testing.T) {
	g := NewWithT(t)
	now := metav1.Now()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "chat-7d9f-abcde", Namespace: "apps", Labels: map[string]string{injection.EndpointLabel: "chat"},
			DeletionTimestamp: &now, ResourceVersion: "42",
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubelet"}},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "chat:1", Env: []corev1.EnvVar{{Name: "A", Value: "b"}}}}},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: "10.1.2.3", PodIPs: []corev1.PodIP{{IP: "10.1.2.3"}},
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true}},
		},
	}
	out, err := podFacts(pod)
	g.Expect(err).NotTo(HaveOccurred())
	p := out.(*corev1.Pod)
	g.Expect(p.Name).To(Equal("chat-7d9f-abcde"))
	g.Expect(p.Labels).To(HaveKeyWithValue(injection.EndpointLabel, "chat"))
	g.Expect(p.DeletionTimestamp).NotTo(BeNil())
	g.Expect(p.ResourceVersion).To(Equal("42"))
	g.Expect(p.ManagedFields).To(BeNil())
	g.Expect(p.Status.PodIP).To(Equal("10.1.2.3"))
	g.Expect(podReady(p)).To(BeTrue())
	g.Expect(p.Spec.Containers).To(BeEmpty())
	g.Expect(p.Status.ContainerStatuses).To(BeEmpty())
	g.Expect(pod.Spec.Containers).To(HaveLen(1), "the informer's object is not modified")

	tomb := toolscache.DeletedFinalStateUnknown{Key: "apps/chat-7d9f-abcde", Obj: pod}
	out, err = podFacts(tomb)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(Equal(tomb))
}

// TestServiceMeta: the cached Service keeps what reconcileService,
// reconcileLeaveInjection and the Owns watch read (owner, labels, the
// applied hash, resourceVersion) and drops the spec and status.
func TestServiceMeta(t *testing.T) {
	g := NewWithT(t)
	ep := &wssv1.WSSEndpoint{ObjectMeta: metav1.ObjectMeta{Name: "chat", Namespace: "apps", UID: "uid-1"}}
	svc := &corev1.Service{
		TypeMeta: metav1.TypeMeta{Kind: "Service", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "chat", Namespace: "apps", ResourceVersion: "7", Generation: 1,
			Labels:          map[string]string{injection.EndpointLabel: "chat"},
			Annotations:     map[string]string{AppliedHashAnnotation: "abc"},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ep, wssv1.GroupVersion.WithKind("WSSEndpoint"))},
			ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: FieldManager}},
		},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.0.0.7", ClusterIPs: []string{"10.0.0.7"},
			Selector: map[string]string{injection.EndpointLabel: "chat"},
			Ports:    []corev1.ServicePort{{Name: ServicePortName, Port: 443}},
		},
	}
	out, err := serviceMeta(svc)
	g.Expect(err).NotTo(HaveOccurred())
	s := out.(*corev1.Service)
	g.Expect(s.TypeMeta).To(Equal(svc.TypeMeta))
	want := svc.ObjectMeta.DeepCopy()
	want.ManagedFields = nil
	g.Expect(s.ObjectMeta).To(Equal(*want))
	g.Expect(metav1.IsControlledBy(s, ep)).To(BeTrue())
	g.Expect(s.Spec).To(Equal(corev1.ServiceSpec{}))
	g.Expect(s.Status).To(Equal(corev1.ServiceStatus{}))
	g.Expect(svc.Spec.Ports).To(HaveLen(1), "the informer's object is not modified")
	g.Expect(svc.ManagedFields).To(HaveLen(1), "the informer's object is not modified")

	tomb := toolscache.DeletedFinalStateUnknown{Key: "apps/chat", Obj: svc}
	out, err = serviceMeta(tomb)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out).To(Equal(tomb))
}

// TestCertificateFacts: the cached Certificate keeps what the controller
// reads (metadata, status conditions, renewal time), so every judgement made
// from it — ready at its generation, the not-ready message, the renewal
// time, ownership — is the same as on the whole object.
func TestCertificateFacts(t *testing.T) {
	ep := &wssv1.WSSEndpoint{ObjectMeta: metav1.ObjectMeta{Name: "chat", Namespace: "apps", UID: "uid-1"}}
	renew := metav1.NewTime(time.Date(2027, 1, 29, 16, 0, 0, 0, time.UTC))
	after := metav1.NewTime(renew.Add(30 * 24 * time.Hour))
	base := func(conds ...cmv1.CertificateCondition) *cmv1.Certificate {
		return &cmv1.Certificate{
			TypeMeta: metav1.TypeMeta{Kind: "Certificate", APIVersion: "cert-manager.io/v1"},
			ObjectMeta: metav1.ObjectMeta{
				Name: "chat", Namespace: "apps", Generation: 3, ResourceVersion: "9",
				Labels:          map[string]string{injection.EndpointLabel: "chat"},
				Annotations:     map[string]string{AppliedHashAnnotation: "abc"},
				OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ep, wssv1.GroupVersion.WithKind("WSSEndpoint"))},
				ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "cert-manager-certificates-issuing"}},
			},
			Spec: cmv1.CertificateSpec{SecretName: "chat-tls", DNSNames: []string{"chat.apps.svc"},
				IssuerRef: cmmeta.IssuerReference{Name: "ca", Kind: "ClusterIssuer"}},
			Status: cmv1.CertificateStatus{Conditions: conds, RenewalTime: &renew, NotAfter: &after, Revision: ptr.To(2)},
		}
	}
	cases := map[string]*cmv1.Certificate{
		"ready": base(cmv1.CertificateCondition{Type: cmv1.CertificateConditionReady, Status: cmmeta.ConditionTrue, ObservedGeneration: 3}),
		"ready at an older generation": base(cmv1.CertificateCondition{
			Type: cmv1.CertificateConditionReady, Status: cmmeta.ConditionTrue, ObservedGeneration: 2}),
		"issuance failed": base(
			cmv1.CertificateCondition{Type: cmv1.CertificateConditionReady, Status: cmmeta.ConditionFalse, Reason: "Failed", Message: "nope"},
			cmv1.CertificateCondition{Type: cmv1.CertificateConditionIssuing, Status: cmmeta.ConditionFalse, Reason: "Failed", Message: "issuer down"}),
		"not ready for another reason": base(cmv1.CertificateCondition{
			Type: cmv1.CertificateConditionReady, Status: cmmeta.ConditionFalse, Reason: "IncorrectIssuer", Message: "wrong issuer"}),
		"no conditions yet": base(),
	}
	for name, cert := range cases {
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			out, err := certificateFacts(cert)
			g.Expect(err).NotTo(HaveOccurred())
			c := out.(*cmv1.Certificate)
			want := cert.ObjectMeta.DeepCopy()
			want.ManagedFields = nil
			g.Expect(c.ObjectMeta).To(Equal(*want))
			g.Expect(c.TypeMeta).To(Equal(cert.TypeMeta))
			g.Expect(metav1.IsControlledBy(c, ep)).To(BeTrue())
			ready := cmv1.CertificateCondition{Type: cmv1.CertificateConditionReady, Status: cmmeta.ConditionTrue, ObservedGeneration: c.Generation}
			g.Expect(cmapiutil.CertificateHasConditionWithObservedGeneration(c, ready)).
				To(Equal(cmapiutil.CertificateHasConditionWithObservedGeneration(cert, ready)))
			g.Expect(certificateNotReadyMessage(c)).To(Equal(certificateNotReadyMessage(cert)))
			g.Expect(c.Status.RenewalTime).To(Equal(cert.Status.RenewalTime))
			// Dropped: the spec (applied whole, never read back) and the rest of the status.
			g.Expect(c.Spec).To(Equal(cmv1.CertificateSpec{}))
			g.Expect(c.Status.NotAfter).To(BeNil())
			g.Expect(c.Status.Revision).To(BeNil())
			g.Expect(cert.Spec.SecretName).To(Equal("chat-tls"), "the informer's object is not modified")
		})
	}
	tomb := toolscache.DeletedFinalStateUnknown{Key: "apps/chat", Obj: base()}
	out, err := certificateFacts(tomb)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	NewWithT(t).Expect(out).To(Equal(tomb))
}
