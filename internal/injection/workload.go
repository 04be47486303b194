package injection

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// Workload wraps a pod template into the apply configuration of the workload
// kind: apiVersion apps/v1, kind, metadata name and namespace, and
// spec.template. With tmpl == nil it is the empty intent (apiVersion, kind,
// name and namespace only): applying it under the same field manager removes
// every field that manager owned and nothing else. An unknown kind is an error.
func Workload(kind wssv1.WorkloadKind, namespace, name string, tmpl *corev1ac.PodTemplateSpecApplyConfiguration) (runtime.ApplyConfiguration, error) {
	switch kind {
	case wssv1.WorkloadDeployment:
		ac := appsv1ac.Deployment(name, namespace)
		if tmpl != nil {
			ac.WithSpec(appsv1ac.DeploymentSpec().WithTemplate(tmpl))
		}
		return ac, nil
	case wssv1.WorkloadStatefulSet:
		ac := appsv1ac.StatefulSet(name, namespace)
		if tmpl != nil {
			ac.WithSpec(appsv1ac.StatefulSetSpec().WithTemplate(tmpl))
		}
		return ac, nil
	case wssv1.WorkloadDaemonSet:
		ac := appsv1ac.DaemonSet(name, namespace)
		if tmpl != nil {
			ac.WithSpec(appsv1ac.DaemonSetSpec().WithTemplate(tmpl))
		}
		return ac, nil
	}
	return nil, fmt.Errorf("workload kind %q: want %s, %s or %s",
		kind, wssv1.WorkloadDeployment, wssv1.WorkloadStatefulSet, wssv1.WorkloadDaemonSet)
}
