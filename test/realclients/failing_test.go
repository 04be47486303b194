package realclients

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/proxy"
)

// TestOpenSSLFailuresInHandshakes makes OpenSSL's s_client fail against the
// sidecar the ways real clients do, and checks that GET /handshakes names
// each with its reason and what the client offered, and that port-scanner
// style connections are not counted.
func TestOpenSSLFailuresInHandshakes(t *testing.T) {
	openssl := needTool(t, "openssl")
	p := newPKI(t)
	be := startBackend(t, "")
	sc := startSidecar(t, p, be.addr, "")

	connect := []string{"s_client", "-connect", sc.tlsAddr}
	clients := []struct {
		name   string
		args   []string
		reason string
		check  func(g Gomega, ex proxy.HandshakeExample)
	}{
		{
			// OpenSSL 3 needs security level 0 to offer TLS 1.1 at all.
			name: "TLS 1.1 only", args: []string{"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-servername", "localhost"},
			reason: wssv1.ReasonProtocolVersionMismatch,
			check: func(g Gomega, ex proxy.HandshakeExample) {
				g.Expect(ex.OfferedVersions).NotTo(ContainElements("TLS 1.2", "TLS 1.3"))
				g.Expect(ex.OfferedVersions).To(ContainElement("TLS 1.1"))
			},
		},
		{
			// Rejects our certificate under TLS 1.3: its unknown_ca alert is
			// encrypted, and crypto/tls sees a record it cannot decrypt.
			name: "distrusts our CA", args: []string{"-verify_return_error", "-CAfile", p.otherCAFile, "-servername", "localhost"},
			reason: wssv1.ReasonUnknownAuthority,
			check: func(g Gomega, ex proxy.HandshakeExample) {
				g.Expect(ex.OfferedVersions).To(ContainElement("TLS 1.3"))
				g.Expect(ex.SNI).To(Equal("localhost"))
				g.Expect(ex.Message).To(ContainSubstring("unknown_ca"))
			},
		},
		{
			// The same under TLS 1.2, where the alert travels in the clear.
			name: "distrusts our CA, TLS 1.2", args: []string{"-tls1_2", "-verify_return_error", "-CAfile", p.otherCAFile, "-servername", "localhost"},
			reason: wssv1.ReasonUnknownAuthority,
			check: func(g Gomega, ex proxy.HandshakeExample) {
				g.Expect(ex.Alert).To(Equal("unknown_ca"))
				g.Expect(ex.OfferedVersions).NotTo(ContainElement("TLS 1.3"))
			},
		},
		{
			name: "no suite in common", args: []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES256-SHA", "-servername", "localhost"},
			reason: wssv1.ReasonNoSharedCipher,
			check: func(g Gomega, ex proxy.HandshakeExample) {
				g.Expect(ex.OfferedVersions).To(ContainElement("TLS 1.2"))
				g.Expect(ex.OfferedVersions).NotTo(ContainElement("TLS 1.3"))
				g.Expect(ex.SharedSuites).To(HaveValue(BeFalse()))
				g.Expect(ex.SharedGroups).To(HaveValue(BeTrue()))
			},
		},
		{
			name: "uncovered SNI", args: []string{"-servername", "chat.example.com", "-verify_hostname", "chat.example.com",
				"-verify_return_error", "-CAfile", p.caFile, "-alpn", "http/1.1"},
			reason: wssv1.ReasonHostnameMismatch,
			check: func(g Gomega, ex proxy.HandshakeExample) {
				g.Expect(ex.SNI).To(Equal("chat.example.com"))
				g.Expect(ex.ALPN).To(Equal([]string{"http/1.1"}))
				g.Expect(ex.Message).To(ContainSubstring(`add "chat.example.com" to spec.tls.hosts`))
			},
		},
	}
	for _, c := range clients {
		out, err := run(t, 20*time.Second, "", nil, openssl, append(connect, c.args...)...)
		NewWithT(t).Expect(err).To(HaveOccurred(), "%s: s_client should fail:\n%s", c.name, out)
	}

	// Port scanners and TCP health checks: connect+close, connect+garbage.
	g := NewWithT(t)
	for _, send := range []string{"", "\x16\x03\x01\x00\x05hello", "SSH-2.0-scanner\r\n"} {
		conn, err := net.Dial("tcp", sc.tlsAddr)
		g.Expect(err).NotTo(HaveOccurred())
		if send != "" {
			_, _ = conn.Write([]byte(send))
			_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, _ = bufio.NewReader(conn).ReadString('\n')
		}
		_ = conn.Close()
	}
	// A client that works is not counted either.
	out, err := run(t, 20*time.Second, "", nil, openssl, append(connect, "-verify_return_error", "-CAfile", p.caFile, "-servername", "localhost")...)
	g.Expect(err).NotTo(HaveOccurred(), out)
	g.Expect(out).To(ContainSubstring("Verify return code: 0 (ok)"))

	var r proxy.HandshakeReport
	g.Eventually(func() int {
		r = sc.handshakes(t)
		total := 0
		for _, f := range r.Failures {
			total += int(f.Count)
		}
		return total
	}, 10*time.Second, 50*time.Millisecond).Should(Equal(len(clients)), "one failure per failing client, none for scanners")
	for i, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			var f *proxy.HandshakeFailure
			for j := range r.Failures {
				if r.Failures[j].Reason == c.reason {
					f = &r.Failures[j]
				}
			}
			g.Expect(f).NotTo(BeNil(), "no %s in %+v", c.reason, r.Failures)
			// Examples are newest first: this client's is behind those of
			// the later clients with the same reason.
			same, later := 0, 0
			for j, o := range clients {
				if o.reason == c.reason {
					same++
					if j > i {
						later++
					}
				}
			}
			g.Expect(f.Count).To(Equal(uint64(same)))
			g.Expect(f.Examples).To(HaveLen(same))
			ex := f.Examples[later]
			g.Expect(ex.ClientPrefix).To(Equal("127.0.0.0/24"))
			g.Expect(ex.OfferedVersions).NotTo(BeEmpty())
			g.Expect(ex.Time).To(BeTemporally("~", time.Now(), time.Minute))
			g.Expect(f.LastSeen).To(Equal(f.Examples[0].Time))
			g.Expect(strings.TrimSpace(ex.Message)).NotTo(BeEmpty())
			c.check(g, ex)
		})
	}
}
