package injection

import (
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/proxy"
	"github.com/wss-operator/wss-operator/internal/testenv"
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

	crdDefault := func(path ...string) string {
		p := testenv.WSSEndpointSchema(t, append([]string{"spec"}, path...)...)
		g.Expect(p.Default).NotTo(BeNil(), "%s: spec.%s has no default", testenv.WSSEndpointCRD, strings.Join(path, "."))
		return fmt.Sprint(testenv.JSONValues(t, *p.Default)[0])
	}
	g.Expect(crdDefault("tls", "port")).To(Equal(fmt.Sprint(proxy.DefaultPort)))
	drain, err := time.ParseDuration(crdDefault("sidecar", "drainTimeout"))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(drain).To(Equal(proxy.DefaultDrainTimeout))
}
