package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wss-operator/wss-operator/internal/certinfo"
	"github.com/wss-operator/wss-operator/internal/certtest"
)

// testCA is a throw-away certificate authority for tests (internal/certtest,
// ECDSA P-256), valid from an hour ago for a day.
type testCA struct {
	ca   *certtest.Cert
	cert *x509.Certificate
	pem  []byte
}

func newTestCA(_ testing.TB, name string) *testCA {
	ca := certtest.NewCA(certtest.Options{CommonName: name, NotAfter: time.Now().Add(24 * time.Hour)})
	return &testCA{ca: ca, cert: ca.Cert, pem: ca.CertPEM}
}

func (ca *testCA) pool() *x509.CertPool { return ca.ca.Pool() }

// leafOpts describe a leaf certificate; the zero value is a server
// certificate for localhost, 127.0.0.1 and ::1, valid from an hour ago for
// 12 hours.
type leafOpts struct {
	cn        string
	client    bool
	notBefore time.Time
	notAfter  time.Time
}

// issue returns PEM certificate and key.
func (ca *testCA) issue(_ testing.TB, o leafOpts) (certPEM, keyPEM []byte) {
	co := certtest.Options{CommonName: o.cn, NotBefore: o.notBefore, NotAfter: o.notAfter,
		Hosts: []string{"localhost", "127.0.0.1", "::1"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if co.CommonName == "" {
		co.CommonName = "localhost"
	}
	if co.NotAfter.IsZero() {
		co.NotAfter = time.Now().Add(12 * time.Hour)
	}
	if o.client {
		co.Hosts, co.ExtKeyUsage = nil, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	leaf := ca.ca.Issue(co)
	return leaf.CertPEM, leaf.KeyPEM
}

func (ca *testCA) clientCert(t testing.TB, cn string) tls.Certificate {
	t.Helper()
	c, k := ca.issue(t, leafOpts{cn: cn, client: true})
	pair, err := tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

func fingerprintPEM(t testing.TB, certPEM []byte) string {
	t.Helper()
	b, _ := pem.Decode(certPEM)
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return certinfo.Fingerprint(c)
}

// secretDir writes files the way kubelet's AtomicWriter publishes a Secret
// volume: the data goes into a fresh ..<timestamp> directory, a ..data_tmp
// symlink to it is renamed over ..data (atomic), each file name is a
// symlink through ..data, and the previous version's directory is removed.
func secretDir(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	ts := fmt.Sprintf("..%s.%09d", time.Now().UTC().Format("2006_01_02_15_04_05"), time.Now().Nanosecond())
	if err := os.Mkdir(filepath.Join(dir, ts), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, ts, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, _ := os.Readlink(filepath.Join(dir, dataDir))
	tmp := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(ts, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, dataDir)); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join(dataDir, name), link); err != nil {
			t.Fatal(err)
		}
	}
	if old != "" && old != ts {
		_ = os.RemoveAll(filepath.Join(dir, old))
	}
}

// plainDir writes files directly (a non-Kubernetes layout).
func plainDir(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
