package proxy

import (
	"crypto/tls"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// TestClassifyRealClients drives a Go TLS server (as the sidecar runs one)
// with a real OpenSSL client, `openssl s_client`, in the ways real clients
// fail, and checks the reason the passive classification gives the
// server-side handshake error.
func TestClassifyRealClients(t *testing.T) {
	t.Parallel()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed (make test-deps)")
	}
	ca := newTestCA(t, "Sidecar CA")
	stranger := newTestCA(t, "Stranger CA")
	certPEM, keyPEM := ca.issue(t, leafOpts{})
	expPEM, expKey := ca.issue(t, leafOpts{notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)})
	clientPEM, clientKey := ca.issue(t, leafOpts{cn: "client", client: true})
	strangerPEM, strangerKey := stranger.issue(t, leafOpts{cn: "client", client: true})
	// The files s_client reads.
	dir := t.TempDir()
	plainDir(t, dir, map[string][]byte{"ca.crt": ca.pem, "stranger.crt": stranger.pem,
		"c.crt": clientPEM, "c.key": clientKey, "s.crt": strangerPEM, "s.key": strangerKey})
	file := func(name string) string { return filepath.Join(dir, name) }
	caFile, strangerFile := file("ca.crt"), file("stranger.crt")
	pair := func(c, k []byte) tls.Certificate {
		p, err := tls.X509KeyPair(c, k)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	mtls := func(c *tls.Config) { c.ClientAuth, c.ClientCAs = tls.RequireAndVerifyClientCert, ca.pool() }
	cases := []struct {
		name   string
		cert   tls.Certificate
		tweak  func(*tls.Config)
		args   []string
		plain  bool // send plain HTTP instead of running s_client
		reason string
	}{
		// TLS 1.3: OpenSSL sends the alert in plaintext, crypto/tls sees a
		// bad record MAC and the alert code is lost.
		{name: "client does not trust the CA (TLS 1.3)", args: []string{"-CAfile", strangerFile, "-verify_return_error"}, reason: wssv1.ReasonUnknownAuthority},
		{name: "client sees an expired certificate (TLS 1.3)", cert: pair(expPEM, expKey), args: []string{"-CAfile", caFile, "-verify_return_error"}, reason: wssv1.ReasonUnknownAuthority},
		{name: "client does not trust the CA (TLS 1.2)", args: []string{"-tls1_2", "-CAfile", strangerFile, "-verify_return_error"}, reason: wssv1.ReasonUnknownAuthority},
		{name: "client sees an expired certificate (TLS 1.2)", cert: pair(expPEM, expKey), args: []string{"-tls1_2", "-CAfile", caFile, "-verify_return_error"}, reason: wssv1.ReasonCertificateExpired},
		{name: "client offers TLS 1.1 only", args: []string{"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"}, reason: wssv1.ReasonProtocolVersionMismatch},
		{name: "client offers only RSA suites to an ECDSA key", args: []string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"}, reason: wssv1.ReasonNoSharedCipher},
		{name: "client offers no group the server has", tweak: func(c *tls.Config) { c.CurvePreferences = []tls.CurveID{tls.X25519} }, args: []string{"-groups", "P-384"}, reason: wssv1.ReasonNoSharedCipher},
		{name: "client without a certificate (TLS 1.3)", tweak: mtls, args: []string{"-tls1_3"}, reason: wssv1.ReasonClientCertificateRequired},
		{name: "client without a certificate (TLS 1.2)", tweak: mtls, args: []string{"-tls1_2"}, reason: wssv1.ReasonClientCertificateRequired},
		{name: "client certificate from another CA", tweak: mtls, args: []string{"-cert", file("s.crt"), "-key", file("s.key")}, reason: wssv1.ReasonClientCertificateRequired},
		{name: "ws:// client on the TLS port", plain: true, reason: wssv1.ReasonNotTLS},
		{name: "accepted client certificate", tweak: mtls, args: []string{"-cert", file("c.crt"), "-key", file("c.key")}, reason: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			cfg := &tls.Config{Certificates: []tls.Certificate{pair(certPEM, keyPEM)}, MinVersion: tls.VersionTLS12}
			if tc.cert.Certificate != nil {
				cfg.Certificates = []tls.Certificate{tc.cert}
			}
			if tc.tweak != nil {
				tc.tweak(cfg)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			g.Expect(err).NotTo(HaveOccurred())
			t.Cleanup(func() { _ = ln.Close() })
			result := make(chan string, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					result <- "accept: " + err.Error()
					return
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				rc := &byteCounter{Conn: c}
				tc := tls.Server(rc, cfg)
				err = tc.Handshake()
				if err == nil {
					// TLS 1.3 client certificates are checked after the
					// client's Finished: read once to see the verdict.
					_, err = tc.Read(make([]byte, 1))
					if err != nil && strings.Contains(err.Error(), "EOF") {
						err = nil
					}
				}
				result <- classifyHandshakeError(err, rc.n > 0)
			}()
			if tc.plain {
				c, err := net.Dial("tcp", ln.Addr().String())
				g.Expect(err).NotTo(HaveOccurred())
				_, _ = c.Write([]byte("GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\r\n"))
				defer c.Close()
			} else {
				args := append([]string{"s_client", "-connect", ln.Addr().String(), "-servername", "localhost"}, tc.args...)
				cmd := exec.Command(openssl, args...)
				cmd.Stdin = strings.NewReader("")
				out, _ := cmd.CombinedOutput()
				defer func() {
					if t.Failed() {
						t.Logf("openssl %s:\n%s", strings.Join(args, " "), out)
					}
				}()
			}
			select {
			case got := <-result:
				g.Expect(got).To(Equal(tc.reason))
			case <-time.After(15 * time.Second):
				t.Fatal("no handshake result")
			}
		})
	}
}

// byteCounter records whether the client sent anything.
type byteCounter struct {
	net.Conn
	n int
}

func (c *byteCounter) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n += n
	return n, err
}

// TestClassifyPlaintextAlert pins the error crypto/tls returns when a TLS 1.3
// client sends its handshake alert unencrypted.
func TestClassifyPlaintextAlert(t *testing.T) {
	g := NewWithT(t)
	err := &net.OpError{Op: "local error", Err: errors.New("tls: bad record MAC")}
	g.Expect(classifyHandshakeError(err, true)).To(Equal(wssv1.ReasonUnknownAuthority))
	g.Expect(handshakeReasons).To(ContainElement(wssv1.ReasonUnknownAuthority))
}
