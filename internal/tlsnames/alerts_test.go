package tlsnames

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/wss-operator/wss-operator/internal/certtest"
)

// TestRemoteAlertFromCryptoTLS reads the alert out of the error crypto/tls
// itself returns for a received alert (its unexported alert type inside a
// net.OpError), on both sides of a real handshake.
func TestRemoteAlertFromCryptoTLS(t *testing.T) {
	g := NewWithT(t)
	leaf := certtest.NewSelfSigned(certtest.Options{Hosts: []string{"alert.test"}})
	handshake := func(server, client *tls.Config) (serverErr, clientErr error) {
		// Loopback TCP, not net.Pipe: a side that fails mid-flight writes
		// its alert while the other may still be writing.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		g.Expect(err).NotTo(HaveOccurred())
		defer func() { _ = ln.Close() }()
		done := make(chan error, 1)
		go func() {
			sc, err := ln.Accept()
			if err != nil {
				done <- err
				return
			}
			done <- tls.Server(sc, server).Handshake()
			_ = sc.Close()
		}()
		cc, err := net.Dial("tcp", ln.Addr().String())
		g.Expect(err).NotTo(HaveOccurred())
		clientErr = tls.Client(cc, client).Handshake()
		_ = cc.Close()
		return <-done, clientErr
	}

	// The server refuses a TLS 1.2-only client: protocol_version reaches the client.
	_, err := handshake(&tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{leaf.TLSCertificate()}},
		&tls.Config{MaxVersion: tls.VersionTLS12, ServerName: "alert.test", RootCAs: leaf.Pool()})
	a, ok := RemoteAlert(err)
	g.Expect(ok).To(BeTrue(), "%v", err)
	g.Expect(a).To(Equal(AlertProtocolVersion))
	g.Expect(AlertName(a)).To(Equal("protocol_version"))

	// The client distrusts the server's certificate: Go sends bad_certificate.
	err, _ = handshake(&tls.Config{MaxVersion: tls.VersionTLS12, Certificates: []tls.Certificate{leaf.TLSCertificate()}},
		&tls.Config{ServerName: "alert.test"})
	a, ok = RemoteAlert(err)
	g.Expect(ok).To(BeTrue(), "%v", err)
	g.Expect(a).To(Equal(AlertBadCertificate))

	// Wrapped, and as tls.AlertError (crypto/tls's QUIC form).
	a, ok = RemoteAlert(fmt.Errorf("x: %w", tls.AlertError(70)))
	g.Expect(ok).To(BeTrue())
	g.Expect(a).To(Equal(AlertProtocolVersion))
	// Only a received alert counts, not one crypto/tls sent.
	_, ok = RemoteAlert(&net.OpError{Op: "local error", Err: errors.New(tls.AlertError(40).Error())})
	g.Expect(ok).To(BeFalse())
	_, ok = RemoteAlert(errors.New("EOF"))
	g.Expect(ok).To(BeFalse())
}

func TestAlertName(t *testing.T) {
	g := NewWithT(t)
	g.Expect(AlertName(AlertUnknownCA)).To(Equal("unknown_ca"))
	g.Expect(AlertName(AlertCertificateRequired)).To(Equal("certificate_required"))
	g.Expect(AlertName(200)).To(Equal("alert(200)"))
}
