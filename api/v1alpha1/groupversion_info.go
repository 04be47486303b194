// Package v1alpha1 contains the API of wss-operator: the WSSEndpoint resource
// of group wss.operator.dev.
//
// +kubebuilder:object:generate=true
// +groupName=wss.operator.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of this API.
	GroupVersion = schema.GroupVersion{Group: "wss.operator.dev", Version: "v1alpha1"}

	// SchemeBuilder adds the types of this API to a scheme. It is
	// apimachinery's builder: the API package depends on nothing but
	// apimachinery (controller-runtime's scheme.Builder is deprecated for
	// that reason).
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types of this API to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// addKnownTypes registers WSSEndpoint and WSSEndpointList, and the meta
// types (ListOptions, ...) for the group version.
func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &WSSEndpoint{}, &WSSEndpointList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
