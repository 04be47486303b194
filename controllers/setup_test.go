package controllers

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

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
