package controllers

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	cmapiutil "github.com/cert-manager/cert-manager/pkg/api/util"
	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

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

// TestWorkloadFacts: the cached Deployment, StatefulSet or DaemonSet keeps
// what reconcileSidecar reads, so every judgement made from it — conflicts,
// injected or not, drain against the grace period, the rollout — is the
// same as on the whole workload; the rest of the pod spec, a StatefulSet's
// claim templates and the status conditions are dropped.
func TestWorkloadFacts(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	template := func(tlsPort int32) corev1.PodTemplateSpec {
		heavy := func(c corev1.Container) corev1.Container {
			c.Env = []corev1.EnvVar{{Name: "A", Value: "b"}}
			c.Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}}
			c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}}
			c.VolumeMounts = []corev1.VolumeMount{{Name: injection.VolumeName, MountPath: "/tls"}}
			return c
		}
		return corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "chat", injection.EndpointLabel: "chat"},
				Annotations: map[string]string{injection.ConfigHashAnnotation: "h1"}},
			Spec: corev1.PodSpec{
				TerminationGracePeriodSeconds: ptr.To[int64](20),
				Containers: []corev1.Container{heavy(corev1.Container{Name: "app", Image: "chat:1",
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {ContainerPort: tlsPort}}})},
				InitContainers: []corev1.Container{heavy(corev1.Container{Name: injection.ContainerName, Image: "wss:1", RestartPolicy: &always,
					Ports: []corev1.ContainerPort{{Name: injection.TLSPortName, ContainerPort: 8443}}})},
				Volumes: []corev1.Volume{{Name: injection.VolumeName, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
					Sources: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{
						LocalObjectReference: corev1.LocalObjectReference{Name: "chat-tls"},
						Items:                []corev1.KeyToPath{{Key: corev1.TLSCertKey, Path: corev1.TLSCertKey}}}}}}}}},
			},
		}
	}
	meta := metav1.ObjectMeta{Name: "chat", Namespace: "apps", Generation: 4, ResourceVersion: "11",
		Labels: map[string]string{"app": "chat"}, ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate}}}
	cond := []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Message: "has minimum availability"}}
	workloads := map[wssv1.WorkloadKind]func(tlsPort int32, rolledOut bool) client.Object{
		wssv1.WorkloadDeployment: func(tlsPort int32, rolledOut bool) client.Object {
			d := &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2), Template: template(tlsPort)},
				Status: appsv1.DeploymentStatus{ObservedGeneration: 4, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 1, Conditions: cond}}
			if rolledOut {
				d.Status.AvailableReplicas = 2
			}
			return d
		},
		wssv1.WorkloadStatefulSet: func(tlsPort int32, rolledOut bool) client.Object {
			s := &appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](2), Template: template(tlsPort),
				VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}}}},
				Status: appsv1.StatefulSetStatus{ObservedGeneration: 4, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2,
					CurrentRevision: "r1", UpdateRevision: "r2", Conditions: []appsv1.StatefulSetCondition{{Type: "x", Message: "y"}}}}
			if rolledOut {
				s.Status.CurrentRevision = "r2"
			}
			return s
		},
		wssv1.WorkloadDaemonSet: func(tlsPort int32, rolledOut bool) client.Object {
			ds := &appsv1.DaemonSet{ObjectMeta: meta, Spec: appsv1.DaemonSetSpec{Template: template(tlsPort)},
				Status: appsv1.DaemonSetStatus{ObservedGeneration: 4, DesiredNumberScheduled: 3, CurrentNumberScheduled: 3,
					UpdatedNumberScheduled: 2, NumberAvailable: 3, Conditions: []appsv1.DaemonSetCondition{{Type: "x", Message: "y"}}}}
			if rolledOut {
				ds.Status.UpdatedNumberScheduled = 3
			}
			return ds
		},
	}
	endpoints := []*wssv1.WSSEndpoint{
		{ObjectMeta: metav1.ObjectMeta{Name: "chat", Namespace: "apps"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: "apps"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "chat", Namespace: "apps"}, Spec: wssv1.WSSEndpointSpec{
			Sidecar: wssv1.Sidecar{DrainTimeout: &metav1.Duration{Duration: 5 * time.Second}}}},
	}
	for kind, build := range workloads {
		for _, tlsPort := range []int32{9000, injection.TLSPort(endpoints[0])} {
			for _, rolledOut := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s port %d rolled out %v", kind, tlsPort, rolledOut), func(t *testing.T) {
					g := NewWithT(t)
					whole := build(tlsPort, rolledOut)
					out, err := workloadFacts(whole)
					g.Expect(err).NotTo(HaveOccurred())
					facts := out.(client.Object)
					g.Expect(facts.GetManagedFields()).To(BeNil())
					g.Expect(whole.GetManagedFields()).To(HaveLen(1), "the informer's object is not modified")
					ref := wssv1.WorkloadReference{Kind: kind, Name: "chat"}
					read := func(o client.Object) *workload {
						wl, err := getWorkload(context.Background(), oneObject{o}, "apps", ref)
						g.Expect(err).NotTo(HaveOccurred())
						return wl
					}
					w, f := read(whole), read(facts)
					for _, ep := range endpoints {
						g.Expect(injection.Conflicts(f.template, ep)).To(Equal(injection.Conflicts(w.template, ep)))
						g.Expect(injection.Conflicts(w.template, ep) == nil).To(Equal(ep.Name == "chat" && tlsPort == 9000))
						e1, m1 := injection.DrainExceedsGracePeriod(f.template, ep)
						e2, m2 := injection.DrainExceedsGracePeriod(w.template, ep)
						g.Expect([]any{e1, m1}).To(Equal([]any{e2, m2}))
					}
					for _, hash := range []string{"h1", "h2"} {
						g.Expect(injection.Injected(f.template, hash)).To(Equal(injection.Injected(w.template, hash)))
					}
					ok1, msg1 := f.rollout()
					ok2, msg2 := w.rollout()
					g.Expect([]any{ok1, msg1}).To(Equal([]any{ok2, msg2}))
					g.Expect(ok2).To(Equal(rolledOut))
					// Dropped.
					for _, c := range append(f.template.Spec.Containers, f.template.Spec.InitContainers...) {
						g.Expect(c.Env).To(BeNil())
						g.Expect(c.Resources).To(Equal(corev1.ResourceRequirements{}))
						g.Expect(c.ReadinessProbe).To(BeNil())
						g.Expect(c.VolumeMounts).To(BeNil())
					}
					if s, ok := facts.(*appsv1.StatefulSet); ok {
						g.Expect(s.Spec.VolumeClaimTemplates).To(BeNil())
						g.Expect(s.Status.Conditions).To(BeNil())
					}
					if d, ok := facts.(*appsv1.Deployment); ok {
						g.Expect(d.Status.Conditions).To(BeNil())
					}
				})
			}
		}
	}
	tomb := toolscache.DeletedFinalStateUnknown{Key: "apps/chat", Obj: workloads[wssv1.WorkloadDeployment](9000, true)}
	out, err := workloadFacts(tomb)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	NewWithT(t).Expect(out).To(Equal(tomb))
}

// oneObject is a client.Reader that holds one object: Get returns a copy
// of it, whatever the key.
type oneObject struct{ obj client.Object }

func (r oneObject) Get(_ context.Context, _ client.ObjectKey, out client.Object, _ ...client.GetOption) error {
	reflect.ValueOf(out).Elem().Set(reflect.ValueOf(r.obj.DeepCopyObject()).Elem())
	return nil
}

func (r oneObject) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return fmt.Errorf("oneObject does not list")
}
