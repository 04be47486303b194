package probe

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"github.com/wss-operator/wss-operator/internal/tlsnames"
	"net"
	"strings"
	"time"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certinfo"
)

// tlsState is what the handshake revealed, whether or not it completed.
type tlsState struct {
	// serverName is the name sent as SNI and verified.
	serverName string
	// certRequested is true once the server sent a CertificateRequest.
	certRequested bool
	// clientCertSent is true when a non-empty client certificate was sent.
	clientCertSent bool
	// peerCerts are the certificates the server sent, captured in
	// VerifyConnection so that they survive a later handshake failure.
	peerCerts []*x509.Certificate
	// requestSent is true once the upgrade request was written, httpRead
	// counts the bytes of the answer read since.
	requestSent bool
	httpRead    int64
}

// tlsConfig builds the client configuration. Verification is skipped here
// (InsecureSkipVerify) and done by verify after the handshake, so that the
// served chain is always captured and each verification failure can be
// classified from it. crypto/tls still checks the server's handshake
// signature against the leaf's key, which is how KeyMismatch is detected.
func (p *attempt) tlsConfig() *tls.Config {
	p.st.serverName = p.o.ServerName
	if p.st.serverName == "" {
		p.st.serverName = p.t.host
	}
	return &tls.Config{
		ServerName:         p.st.serverName,
		InsecureSkipVerify: true, //nolint:gosec // verified by attempt.verify with the same roots and name
		MinVersion:         p.o.MinVersion,
		MaxVersion:         p.o.MaxVersion,
		CipherSuites:       p.o.CipherSuites,
		CurvePreferences:   p.o.Curves,
		NextProtos:         probeALPN,
		VerifyConnection: func(cs tls.ConnectionState) error {
			p.st.peerCerts = cs.PeerCertificates
			p.noteState(cs)
			return nil
		},
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			p.st.certRequested = true
			if p.o.ClientCert != nil && len(p.o.ClientCert.Certificate) > 0 {
				p.st.clientCertSent = true
				return p.o.ClientCert, nil
			}
			return &tls.Certificate{}, nil
		},
	}
}

// probeALPN: every probe offers tlsnames.ProbeALPN after http/1.1.
var probeALPN = []string{"http/1.1", tlsnames.ProbeALPN}

// handshake runs the TLS phase over conn.
func (p *attempt) handshake(conn net.Conn) (*tls.Conn, *failure) {
	tc := tls.Client(conn, p.tlsConfig())
	err := tc.Handshake()
	p.r.TLS.PeerCertificates = certinfo.OfChain(p.st.peerCerts)
	p.r.ServedChain = p.st.peerCerts
	if err != nil {
		return nil, p.classify(PhaseTLS, err)
	}
	p.noteState(tc.ConnectionState())
	if f := p.verify(time.Now()); f != nil {
		return nil, f
	}
	p.r.TLS.Verified = true
	return tc, nil
}

func (p *attempt) noteState(cs tls.ConnectionState) {
	if cs.Version != 0 {
		p.r.TLS.Version = tls.VersionName(cs.Version)
	}
	if cs.CipherSuite != 0 {
		p.r.TLS.CipherSuite = tls.CipherSuiteName(cs.CipherSuite)
	}
	p.r.TLS.ALPN = cs.NegotiatedProtocol
}

// verify checks the served chain against the roots and the server name,
// as crypto/tls would have without InsecureSkipVerify.
func (p *attempt) verify(now time.Time) *failure {
	certs := p.st.peerCerts
	if len(certs) == 0 {
		return fail(wssv1.ReasonUnknown, PhaseTLS, "the server sent no certificate")
	}
	opts := x509.VerifyOptions{
		Roots:         p.o.Roots,
		DNSName:       p.st.serverName,
		Intermediates: x509.NewCertPool(),
		CurrentTime:   now,
	}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := certs[0].Verify(opts); err != nil {
		reason, msg := classifyVerify(err, certs, now)
		return fail(reason, PhaseTLS, msg)
	}
	return nil
}

// offered describes what this client offered, for NoSharedCipher and
// ProtocolVersionMismatch messages.
func offered(o Options) string {
	lo, hi := "TLS 1.2", "TLS 1.3"
	if o.MinVersion != 0 {
		lo = tls.VersionName(o.MinVersion)
	}
	if o.MaxVersion != 0 {
		hi = tls.VersionName(o.MaxVersion)
	}
	versions := lo + " to " + hi
	if lo == hi {
		versions = lo
	}
	var parts []string
	if lo == "TLS 1.2" {
		suites := "Go's default TLS 1.2 suites"
		if len(o.CipherSuites) > 0 {
			suites = "TLS 1.2 suites " + joinNames(o.CipherSuites, tls.CipherSuiteName)
		}
		parts = append(parts, suites)
	}
	if hi == "TLS 1.3" {
		parts = append(parts, "all TLS 1.3 suites")
	}
	groups := "Go's default groups"
	if len(o.Curves) > 0 {
		groups = "groups " + joinNames(o.Curves, tlsnames.CurveName)
	}
	parts = append(parts, groups)
	return fmt.Sprintf("the client offered %s with %s", versions, strings.Join(parts, "; "))
}

// joinNames is the names of ids, comma-separated.
func joinNames[T any](ids []T, name func(T) string) string {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		names = append(names, name(id))
	}
	return strings.Join(names, ",")
}
