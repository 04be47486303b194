//go:build e2e

package e2e

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wss-operator/wss-operator/internal/certtest"
)

// parseLeaf is the first certificate of a PEM bundle (tls.crt).
func parseLeaf(pemData []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(pemData)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New("no certificate in tls.crt")
	}
	return x509.ParseCertificate(b.Bytes)
}

// mismatchedTLSSecret is a kubernetes.io/tls Secret that is right in every
// way but one: a CA-signed leaf for hosts, valid now, with ca.crt; and a
// tls.key that belongs to another certificate.
func mismatchedTLSSecret(namespace, name string, hosts []string) *corev1.Secret {
	notAfter := time.Now().Add(24 * time.Hour)
	ca := certtest.NewCA(certtest.Options{CommonName: "e2e broken-secret CA", NotAfter: notAfter})
	leaf := ca.Issue(certtest.Options{Hosts: hosts, NotAfter: notAfter, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	other := certtest.NewKey(certtest.ECDSAP256, 0)
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Type:       corev1.SecretTypeTLS,
		Data: map[string][]byte{
			"tls.crt": leaf.CertPEM,
			"tls.key": certtest.KeyPEM(other, certtest.PKCS8),
			"ca.crt":  ca.CertPEM,
		},
	}
}
