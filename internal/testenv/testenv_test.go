package testenv_test

import (
	"crypto/x509"
	"encoding/pem"
	"path/filepath"
	"testing"
	"time"

	cmapiutil "github.com/cert-manager/cert-manager/pkg/api/util"
	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wss-operator/wss-operator/internal/testenv"
)

// TestCertManagerIssuesThroughCAChain runs the real cert-manager controllers
// against the real API server: SelfSigned ClusterIssuer -> CA Certificate ->
// CA Issuer (config/samples/certificate-issuers.yaml) -> leaf Certificate,
// and checks the leaf Secret verifies against the CA.
func TestCertManagerIssuesThroughCAChain(t *testing.T) {
	g := NewWithT(t)
	ctx, env := testenv.StartForTest(t, 3*time.Minute, testenv.Options{CertManager: true})

	const ns = "issuance"
	g.Expect(env.EnsureNamespace(ctx, ns)).To(Succeed())
	_, err := testenv.ApplyFile(ctx, env.Client, filepath.Join(env.Root, "config", "samples", "certificate-issuers.yaml"), ns)
	g.Expect(err).NotTo(HaveOccurred())

	leaf := &cmv1.Certificate{
		ObjectMeta: metav1.ObjectMeta{Name: "leaf", Namespace: ns},
		Spec: cmv1.CertificateSpec{
			SecretName: "leaf-tls",
			DNSNames:   []string{"echo.issuance.svc", "echo.example.test"},
			IssuerRef:  cmmeta.IssuerReference{Name: "demo-ca", Kind: "Issuer", Group: "cert-manager.io"},
			PrivateKey: &cmv1.CertificatePrivateKey{Algorithm: cmv1.ECDSAKeyAlgorithm, Size: 256},
		},
	}
	g.Expect(env.Client.Create(ctx, leaf)).To(Succeed())

	ready := func(name string) func(Gomega) {
		return func(g Gomega) {
			c := &cmv1.Certificate{}
			g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, c)).To(Succeed())
			g.Expect(cmapiutil.CertificateHasConditionWithObservedGeneration(c, cmv1.CertificateCondition{
				Type: cmv1.CertificateConditionReady, Status: cmmeta.ConditionTrue, ObservedGeneration: c.Generation,
			})).To(BeTrue(), "Certificate %s conditions: %+v", name, c.Status.Conditions)
		}
	}
	g.Eventually(ready("demo-ca")).WithTimeout(90 * time.Second).WithPolling(250 * time.Millisecond).Should(Succeed())
	g.Eventually(ready("leaf")).WithTimeout(90 * time.Second).WithPolling(250 * time.Millisecond).Should(Succeed())

	caSecret := &corev1.Secret{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "demo-ca"}, caSecret)).To(Succeed())
	leafSecret := &corev1.Secret{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "leaf-tls"}, leafSecret)).To(Succeed())

	roots := x509.NewCertPool()
	g.Expect(roots.AppendCertsFromPEM(caSecret.Data["tls.crt"])).To(BeTrue())
	g.Expect(leafSecret.Data["ca.crt"]).To(Equal(caSecret.Data["tls.crt"]), "the CA issuer puts its certificate into ca.crt")
	block, _ := pem.Decode(leafSecret.Data["tls.crt"])
	g.Expect(block).NotTo(BeNil())
	cert, err := x509.ParseCertificate(block.Bytes)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "echo.example.test"})
	g.Expect(err).NotTo(HaveOccurred(), "the leaf verifies against the CA for its DNS name")
	g.Expect(cert.IsCA).To(BeFalse())
	g.Expect(leafSecret.Data["tls.key"]).NotTo(BeEmpty())
}
