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
// way but one: a CA-signed leaf for hosts (the first one its CN), valid from
// an hour ago for a day, with ca.crt; and a tls.key that belongs to another
// certificate. It fails only without hosts.
func mismatchedTLSSecret(namespace, name string, hosts []string) (*corev1.Secret, error) {
	if len(hosts) == 0 {
		return nil, errors.New("mismatchedTLSSecret: no hosts")
	}
	day := time.Now().Add(24 * time.Hour)
	ca := certtest.NewCA(certtest.Options{CommonName: "e2e broken-secret CA", NotAfter: day})
	leaf := ca.Issue(certtest.Options{Hosts: hosts, NotAfter: day, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Type:       corev1.SecretTypeTLS,
		Data: map[string][]byte{
			"tls.crt": leaf.CertPEM,
			"tls.key": certtest.KeyPEM(certtest.NewKey(certtest.ECDSAP256, 0), certtest.PKCS8),
			"ca.crt":  ca.CertPEM,
		},
	}, nil
}
