package scheme

import (
	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// New returns a scheme with the built-in, WSSEndpoint and cert-manager types.
func New() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(wssv1.AddToScheme(s))
	utilruntime.Must(cmv1.AddToScheme(s))
	return s
}
