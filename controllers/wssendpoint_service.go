package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/injection"
)

// ServicePortName is the name of the Service's TLS port.
const ServicePortName = "wss"

// reconcileService applies the Service `<name>` that selects the endpoint's
// pods (by the label the sidecar injection puts on the pod template) and
// maps spec.service.port to the sidecar's TLS port.
func (r *WSSEndpointReconciler) reconcileService(ctx context.Context, s *scope) error {
	ep := s.ep
	existing := &corev1.Service{}
	key := client.ObjectKey{Namespace: ep.Namespace, Name: ep.Name}
	err := r.Client.Get(ctx, key, existing)
	if apierrors.IsNotFound(err) {
		// The cache holds only Services with our label; a Service of the
		// same name that is not ours must be found before we apply.
		err = r.APIReader.Get(ctx, key, existing)
	}
	switch {
	case err == nil && !metav1.IsControlledBy(existing, ep):
		return stall(wssv1.ReasonSidecarConflict, "Service %s/%s already exists and is not managed by this WSSEndpoint; rename or delete it "+
			"(then touch the WSSEndpoint, e.g. kubectl annotate, to retry)", ep.Namespace, ep.Name)
	case err != nil && !apierrors.IsNotFound(err):
		return fmt.Errorf("reading Service %s: %w", ep.Name, err)
	}

	svcType := corev1.ServiceType(ep.Spec.Service.Type)
	if svcType == "" {
		svcType = corev1.ServiceTypeClusterIP
	}
	port := servicePort(ep)
	svc := corev1ac.Service(ep.Name, ep.Namespace).
		WithLabels(map[string]string{injection.EndpointLabel: ep.Name}).
		WithOwnerReferences(ownerRef(ep)).
		WithSpec(corev1ac.ServiceSpec().
			WithType(svcType).
			WithSelector(map[string]string{injection.EndpointLabel: ep.Name}).
			WithPorts(corev1ac.ServicePort().
				WithName(ServicePortName).WithProtocol(corev1.ProtocolTCP).WithAppProtocol("https").
				WithPort(port).WithTargetPort(intstr.FromString(injection.TLSPortName))))
	if len(ep.Spec.Service.Annotations) > 0 {
		svc = svc.WithAnnotations(ep.Spec.Service.Annotations)
	}
	var current client.Object
	if err == nil {
		current = existing
	}
	if err := r.applyIfChanged(ctx, current, svc, func(a map[string]string) { svc.WithAnnotations(a) }); err != nil {
		if apierrors.IsInvalid(err) {
			return stall(wssv1.ReasonInvalidSpec, "the Service is rejected: %v", err)
		}
		return fmt.Errorf("applying Service %s: %w", ep.Name, err)
	}
	s.f.service = &serviceFacts{name: ep.Name, port: port, svcType: string(svcType)}
	return nil
}

// endpointURL is status.url: wss://<first host or service DNS>:<port><path>
// (a wildcard host is skipped: it names no single server), or a monitor's URL.
func endpointURL(ep *wssv1.WSSEndpoint, domain string) string {
	if m := ep.Spec.Monitor; m != nil {
		return m.URL
	}
	return serviceURL(ep, domain, backendPath(ep))
}

// serviceURL is the wss:// URL of ep's Service with path: the first host (or
// the Service's DNS name) and the Service port.
func serviceURL(ep *wssv1.WSSEndpoint, domain, path string) string {
	return fmt.Sprintf("wss://%s:%d%s", urlHost(ep, domain), servicePort(ep), path)
}

// servicePort is spec.service.port, 443 when unset (a spec built in Go that
// never went through the API server's defaulting).
func servicePort(ep *wssv1.WSSEndpoint) int32 {
	if p := ep.Spec.Service.Port; p != 0 {
		return p
	}
	return 443
}

// backendPath is spec.backend.path, "/" when unset.
func backendPath(ep *wssv1.WSSEndpoint) string {
	if p := ep.Spec.Backend.Path; p != "" {
		return p
	}
	return "/"
}
