package probecmd

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/probe"
)

// gcmOnlyServer is a TLS 1.2+ server on loopback with AES-GCM suites only.
func gcmOnlyServer(t *testing.T) (url, ca string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: []uint16{
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return "wss://" + srv.Listener.Addr().String() + "/", caFile(t, srv)
}

func TestCompatJSON(t *testing.T) {
	g := NewWithT(t)
	url, ca := gcmOnlyServer(t)
	code, stdout, stderr := run(url, "--compat", "--ca", ca, "--output", "json")
	g.Expect(code).To(Equal(ExitHealthy), stderr)
	var rep probe.CompatReport
	g.Expect(json.Unmarshal([]byte(stdout), &rep)).To(Succeed())
	g.Expect(rep.URL).To(Equal(url))
	got := map[string]string{}
	for _, c := range rep.Clients {
		got[c.Profile] = c.Reason
		g.Expect(c.OK).To(Equal(c.Reason == wssv1.ReasonHealthy))
	}
	g.Expect(got).To(Equal(map[string]string{
		probe.ClientTLS13: wssv1.ReasonHealthy, probe.ClientTLS12GCM: wssv1.ReasonHealthy,
		probe.ClientTLS12CBC: wssv1.ReasonNoSharedCipher, probe.ClientTLS10CBC: wssv1.ReasonProtocolVersionMismatch,
	}))
	// The JSON contract's field names.
	g.Expect(stdout).To(ContainSubstring(`"clients": [`))
	g.Expect(stdout).To(ContainSubstring(`"profile": "tls13"`))
	g.Expect(stdout).To(ContainSubstring(`"ok": true`))
}

func TestCompatText(t *testing.T) {
	g := NewWithT(t)
	url, ca := gcmOnlyServer(t)
	code, stdout, _ := run("--compat", "--ca", ca, url)
	g.Expect(code).To(Equal(ExitHealthy))
	g.Expect(stdout).To(HavePrefix("Client compatibility of " + url + ": 2 of 4 client profiles connect (refused: tls12-cbc, tls10-cbc)\n"))
	lines := strings.Split(stdout, "\n")
	row := func(profile string) string {
		for _, l := range lines {
			if strings.Contains(l, " "+profile+" ") {
				return l
			}
		}
		return ""
	}
	g.Expect(row("tls13")).To(HavePrefix("✔"))
	g.Expect(row("tls13")).To(ContainSubstring("TLS 1.3, TLS_"))
	g.Expect(row("tls12-cbc")).To(HavePrefix("✖"))
	g.Expect(row("tls12-cbc")).To(ContainSubstring("NoSharedCipher: "))
	g.Expect(row("tls10-cbc")).To(ContainSubstring("ProtocolVersionMismatch: "))
	g.Expect(stdout).To(ContainSubstring("Who each profile stands for:\n  tls13: current browsers"))

	// Nobody gets in without the CA: exit 1.
	code, _, _ = run("--compat", url)
	g.Expect(code).To(Equal(ExitUnhealthy))
}
