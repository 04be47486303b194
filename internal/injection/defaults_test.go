package injection

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/wss-operator/wss-operator/internal/proxy"
)

// TestDefaultsAgree pins the one source of the sidecar's defaults: the
// proxy's flag defaults, the injected container's ports and drain timeout,
// and the CRD's defaults for spec.tls.port and spec.sidecar.drainTimeout.
func TestDefaultsAgree(t *testing.T) {
	g := NewWithT(t)
	g.Expect(proxy.DefaultListen).To(Equal(fmt.Sprintf(":%d", proxy.DefaultPort)))
	g.Expect(proxy.DefaultAdminListen).To(Equal(fmt.Sprintf(":%d", proxy.DefaultAdminPort)))
	g.Expect(int(DefaultTLSPort)).To(Equal(proxy.DefaultPort))
	g.Expect(AdminPort).To(Equal(proxy.DefaultAdminPort))
	g.Expect(DefaultDrainTimeout).To(Equal(proxy.DefaultDrainTimeout))

	const crdFile = "../../config/crd/bases/wss.operator.dev_wssendpoints.yaml"
	raw, err := os.ReadFile(crdFile)
	g.Expect(err).NotTo(HaveOccurred())
	var crd apiextensionsv1.CustomResourceDefinition
	g.Expect(yaml.Unmarshal(raw, &crd)).To(Succeed(), crdFile)
	g.Expect(crd.Spec.Versions).NotTo(BeEmpty())
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	crdDefault := func(path ...string) string {
		p := spec
		for _, name := range path {
			child, ok := p.Properties[name]
			g.Expect(ok).To(BeTrue(), "%s has no %s", crdFile, strings.Join(path, "."))
			p = child
		}
		g.Expect(p.Default).NotTo(BeNil(), "%s: spec.%s has no default", crdFile, strings.Join(path, "."))
		var v any
		g.Expect(json.Unmarshal(p.Default.Raw, &v)).To(Succeed())
		return fmt.Sprint(v)
	}
	g.Expect(crdDefault("tls", "port")).To(Equal(fmt.Sprint(proxy.DefaultPort)))
	drain, err := time.ParseDuration(crdDefault("sidecar", "drainTimeout"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(drain).To(Equal(proxy.DefaultDrainTimeout))
}
