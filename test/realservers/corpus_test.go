package realservers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/probe"
)

// corpusCase is one real server with one fault, the verdict the probe must
// reach, and (for faults in the PEM files) the one `inspect` must reach.
type corpusCase struct {
	name string
	// set is the PEM set the server serves.
	set pemSet
	// serve starts the server and returns its address.
	serve func(t *testing.T, set pemSet) string
	// url defaults to wss://echo.test/ws.
	url   string
	tweak func(t *testing.T, o *probe.Options)
	// reason and phase are the probe's verdict.
	reason, phase string
	// inspect is the first Error finding of `inspect` on set ("" for none).
	inspect string
	check   func(g Gomega, r *probe.Result)
}

func withNginx(server, location string) func(*testing.T, pemSet) string {
	return func(t *testing.T, set pemSet) string {
		return nginx(t, set, echoBackend(t), server, location).addr
	}
}

// withHAProxy serves a PEM set with HAProxy in mode in front of the backend
// that backend starts.
func withHAProxy(mode string, backend func(*testing.T) string, timeouts string) func(*testing.T, pemSet) string {
	return func(t *testing.T, set pemSet) string {
		return haproxy(t, set, mode, backend(t), timeouts).addr
	}
}

// withStunnel serves a PEM set with stunnel in front of the backend that
// backend starts.
func withStunnel(backend func(*testing.T) string) func(*testing.T, pemSet) string {
	return func(t *testing.T, set pemSet) string { return stunnel(t, set, backend(t)).addr }
}

// withPHP serves a PEM set with PHP's TLS stream server.
func withPHP(t *testing.T, set pemSet) string { return phpTLS(t, set).addr }

// nginxMTLS serves a PEM set with nginx requiring client certificates
// from the client CA whose certificate is clientCA.
func nginxMTLS(clientCA []byte) func(*testing.T, pemSet) string {
	return func(t *testing.T, set pemSet) string {
		ca := writeFile(t, t.TempDir(), "client-ca.crt", clientCA)
		return nginx(t, set, echoBackend(t), "ssl_verify_client on;\n    ssl_client_certificate "+ca+";", wsProxy).addr
	}
}

func clientCert(s pemSet) func(*testing.T, *probe.Options) {
	return func(t *testing.T, o *probe.Options) {
		c, err := tls.X509KeyPair(s.cert, s.key)
		if err != nil {
			t.Fatal(err)
		}
		o.ClientCert = &c
	}
}

// corpus is the cases, serving the PEM sets of p.
func corpus(p *pki) []corpusCase {
	msg := func(sub ...string) func(Gomega, *probe.Result) {
		return func(g Gomega, r *probe.Result) {
			for _, s := range sub {
				g.Expect(r.Message + "\n" + r.Advice()).To(ContainSubstring(s))
			}
		}
	}
	return []corpusCase{
		// nginx
		{name: "nginx/healthy", set: p.good, serve: withNginx("", wsProxy), reason: wssv1.ReasonHealthy},
		{name: "nginx/incomplete chain", set: p.incomplete, serve: withNginx("", wsProxy),
			reason: wssv1.ReasonChainIncomplete, phase: probe.PhaseTLS, inspect: wssv1.ReasonChainIncomplete},
		{name: "nginx/expired", set: p.expired, serve: withNginx("", wsProxy),
			reason: wssv1.ReasonCertificateExpired, phase: probe.PhaseTLS, inspect: wssv1.ReasonCertificateExpired},
		{name: "nginx/wrong host", set: p.wrongHost, serve: withNginx("", wsProxy),
			reason: wssv1.ReasonHostnameMismatch, phase: probe.PhaseTLS, inspect: wssv1.ReasonHostnameNotCovered},
		// nginx 1.22 defaults to TLS 1.0-1.2: on TLS 1.2 alone the wire cannot
		// tell a mismatched key from a key type no configured suite fits.
		{name: "nginx/EC key beside RSA certificate, TLS 1.2", set: p.ecKeyRSACert, serve: withNginx("", wsProxy),
			reason: wssv1.ReasonNoSharedCipher, phase: probe.PhaseTLS, inspect: wssv1.ReasonKeyMismatch,
			check: msg("likely causes, in order: (1) the server's private key does not belong to its certificate", "(2) its key type fits none", "wss-operator inspect")},
		// With TLS 1.3, whose suites do not depend on the key, it can.
		{name: "nginx/EC key beside RSA certificate, TLS 1.3", set: p.ecKeyRSACert,
			serve:  withNginx("ssl_protocols TLSv1.2 TLSv1.3;", wsProxy),
			reason: wssv1.ReasonKeyMismatch, phase: probe.PhaseTLS, inspect: wssv1.ReasonKeyMismatch,
			check: msg("(1) the server's private key does not belong to its certificate", "wss-operator inspect")},
		{name: "nginx/no shared suite", set: p.good,
			serve: withNginx("ssl_protocols TLSv1.2;\n    ssl_ciphers ECDHE-RSA-AES256-GCM-SHA384;", wsProxy),
			tweak: func(_ *testing.T, o *probe.Options) {
				o.MaxVersion, o.CipherSuites = tls.VersionTLS12, []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
			},
			reason: wssv1.ReasonNoSharedCipher, phase: probe.PhaseTLS,
			check: msg("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "RSA 2048 key, which allows in TLS 1.2 only the *_RSA_* suites")},
		{name: "nginx/client certificate required, none sent", set: p.good, serve: nginxMTLS(p.clientCAPEM),
			reason: wssv1.ReasonClientCertificateRequired, phase: probe.PhaseTLS, check: msg("none was given", "No required SSL certificate was sent")},
		{name: "nginx/client certificate not trusted", set: p.good, serve: nginxMTLS(p.clientCAPEM), tweak: clientCert(p.untrustedClient),
			reason: wssv1.ReasonClientCertificateRequired, phase: probe.PhaseTLS, check: msg("was not accepted", "The SSL certificate error")},
		{name: "nginx/client certificate accepted", set: p.good, serve: nginxMTLS(p.clientCAPEM), tweak: clientCert(p.client),
			reason: wssv1.ReasonHealthy},
		{name: "nginx/proxy speaks HTTP/1.0 to the backend", set: p.good, serve: withNginx("", ""),
			reason: wssv1.ReasonUpgradeRejected, phase: probe.PhaseUpgrade, check: msg("proxy_http_version 1.1", `Server: "nginx`)},
		{name: "nginx/backend down", set: p.good, serve: func(t *testing.T, set pemSet) string {
			return nginx(t, set, deadPort(t), "", wsProxy).addr
		}, reason: wssv1.ReasonBackendUnavailable, phase: probe.PhaseUpgrade, check: msg("502")},
		{name: "nginx/idle cut by proxy_read_timeout 2s", set: p.good, serve: withNginx("", wsProxy+"\n      proxy_read_timeout 2s;"),
			tweak:  func(_ *testing.T, o *probe.Options) { o.Idle = 4 * time.Second },
			reason: wssv1.ReasonIdleTimeout, phase: probe.PhaseIdle, check: func(g Gomega, r *probe.Result) {
				g.Expect(r.Timings.IdleMs).To(BeNumerically("~", 2000, 900))
				g.Expect(r.Advice()).To(ContainSubstring("proxy_read_timeout"))
			}},
		{name: "nginx/ws:// to the TLS port", set: p.good, serve: withNginx("", wsProxy), url: "ws://echo.test/ws",
			reason: wssv1.ReasonUpgradeRejected, phase: probe.PhaseUpgrade, check: msg("The plain HTTP request was sent to HTTPS port")},

		// HAProxy
		{name: "haproxy/healthy", set: p.good, serve: withHAProxy("http", echoBackend, ""), reason: wssv1.ReasonHealthy},
		{name: "haproxy/incomplete chain", set: p.incomplete, serve: withHAProxy("http", echoBackend, ""),
			reason: wssv1.ReasonChainIncomplete, phase: probe.PhaseTLS, inspect: wssv1.ReasonChainIncomplete},
		{name: "haproxy/backend down (mode http)", set: p.good, serve: withHAProxy("http", deadPort, ""),
			reason: wssv1.ReasonBackendUnavailable, phase: probe.PhaseUpgrade, check: msg("503")},
		{name: "haproxy/backend down (mode tcp)", set: p.good, serve: withHAProxy("tcp", deadPort, ""),
			reason: wssv1.ReasonBackendUnavailable, phase: probe.PhaseUpgrade, check: msg("could not reach its backend")},
		{name: "haproxy/idle cut by timeout tunnel 2s", set: p.good, serve: withHAProxy("http", echoBackend, "timeout tunnel 2s"),
			tweak:  func(_ *testing.T, o *probe.Options) { o.Idle = 4 * time.Second },
			reason: wssv1.ReasonIdleTimeout, phase: probe.PhaseIdle, check: msg("timeout tunnel")},

		// stunnel: an L4 terminator
		{name: "stunnel/healthy", set: p.good, serve: withStunnel(echoBackend), reason: wssv1.ReasonHealthy},
		{name: "stunnel/backend down", set: p.good, serve: withStunnel(deadPort),
			reason: wssv1.ReasonBackendUnavailable, phase: probe.PhaseUpgrade, check: msg("could not reach its backend")},
		{name: "stunnel/ws:// to the TLS port", set: p.good, url: "ws://echo.test/ws", serve: withStunnel(echoBackend),
			reason: wssv1.ReasonUnknown, phase: probe.PhaseUpgrade, check: msg("this port speaks TLS", "wss://")},

		// PHP stream_socket_server('tls://…') serving testdata/ws_echo.php
		{name: "php/healthy", set: p.good, serve: withPHP, reason: wssv1.ReasonHealthy},
		{name: "php/RSA key of another certificate", set: p.rsaKey, serve: withPHP,
			reason: wssv1.ReasonConnectionReset, phase: probe.PhaseTLS, inspect: wssv1.ReasonKeyMismatch,
			check: msg("without sending a single byte", "error log")},
		{name: "php/EC key beside RSA certificate", set: p.ecKeyRSACert, serve: withPHP,
			reason: wssv1.ReasonNoSharedCipher, phase: probe.PhaseTLS, inspect: wssv1.ReasonKeyMismatch,
			check: msg("(1) the server's private key does not belong to its certificate", "wss-operator inspect")},
		// The intermediate's EC key slot gets the leaf's RSA key: no usable pair.
		{name: "php/leaf after its intermediate", set: p.misordered, serve: withPHP,
			reason: wssv1.ReasonNoSharedCipher, phase: probe.PhaseTLS, inspect: wssv1.ReasonChainMisordered,
			check: msg("a certificate file that starts with an intermediate instead of the leaf", "wss-operator inspect")},
		{name: "php/encrypted key, no passphrase", set: p.encryptedKey, serve: withPHP,
			reason: wssv1.ReasonConnectionReset, phase: probe.PhaseTLS, inspect: wssv1.ReasonEncryptedPrivateKey,
			check: msg("without sending a single byte", "encrypted")},
		{name: "php/ws:// to the TLS port", set: p.good, url: "ws://echo.test/ws", serve: withPHP,
			reason: wssv1.ReasonUnknown, phase: probe.PhaseUpgrade, check: msg("this port speaks TLS")},
	}
}

// TestCorpus probes every real server and checks the verdict.
func TestCorpus(t *testing.T) {
	t.Parallel()
	for _, tc := range corpus(corpusPKI()) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			addr := tc.serve(t, tc.set)
			o := probe.Options{URL: tc.url, ConnectTo: addr, Roots: x509.NewCertPool(), Timeout: 5 * time.Second}
			if o.URL == "" {
				o.URL = "wss://echo.test/ws"
			}
			o.Roots.AppendCertsFromPEM(tc.set.root)
			if tc.tweak != nil {
				tc.tweak(t, &o)
			}
			r := probe.Run(context.Background(), o)
			g.Expect(r.Reason).To(Equal(tc.reason), "message: %s", r.Message)
			g.Expect(r.Phase).To(Equal(tc.phase), "message: %s", r.Message)
			if tc.check != nil {
				tc.check(g, r)
			}
			t.Logf("%s (phase %s): %s", r.Reason, r.Phase, r.Message)
		})
	}
}

// TestInspectAgrees runs `inspect` (certcheck) on every PEM set of the
// corpus: where the probe blames the files, inspect names the same fault;
// where the probe blames the server's configuration or the network, the
// files are clean.
func TestInspectAgrees(t *testing.T) {
	t.Parallel()
	for _, tc := range corpus(corpusPKI()) {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			rep := certcheck.Check(certcheck.Input{Cert: tc.set.cert, Key: tc.set.key, CA: tc.set.root, Hosts: []string{"echo.test"}})
			f, bad := rep.Error()
			if tc.inspect == "" {
				g.Expect(bad).To(BeFalse(), "inspect found %s: %s", f.Reason, f.Message)
				return
			}
			g.Expect(bad).To(BeTrue())
			g.Expect(f.Reason).To(Equal(tc.inspect), f.Message)
			if strings.HasPrefix(tc.name, "nginx/") || strings.HasPrefix(tc.name, "php/") || strings.HasPrefix(tc.name, "haproxy/") {
				g.Expect(f.Message).NotTo(BeEmpty())
			}
		})
	}
}
