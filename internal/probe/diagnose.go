package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"time"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/tlsnames"
)

// countingConn counts the bytes that crossed a connection, so that a close
// or reset can be placed: before the client wrote anything, or after it
// wrote but before the server sent a single byte. One goroutine uses it.
type countingConn struct {
	net.Conn
	read, written int64
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.read += int64(n)
	return n, err
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.written += int64(n)
	return n, err
}

// outcome is what one follow-up handshake found.
type outcome struct {
	err   error
	state tls.ConnectionState
	certs []*x509.Certificate
	// spoke is true when the server sent at least one byte.
	spoke bool
}

func (o outcome) ok() bool { return o.err == nil }

func (o outcome) alert() (tls.AlertError, bool) {
	if o.err == nil {
		return 0, false
	}
	return tlsnames.RemoteAlert(o.err)
}

// followUpWait bounds one follow-up handshake.
const followUpWait = 2 * time.Second

// followUp opens a second connection and runs a TLS handshake configured by
// tweak (from a broad, unverified base), to learn what the first one could
// not show. It never sends application data.
func (p *attempt) followUp(tweak func(*tls.Config)) outcome {
	ctx, cancel := context.WithTimeout(p.ctx, followUpWait)
	defer cancel()
	saved := p.ctx
	p.ctx = ctx
	conn, f := p.connect()
	p.ctx = saved
	if f != nil {
		return outcome{err: errors.New(f.message)}
	}
	cc := &countingConn{Conn: conn}
	defer func() { _ = cc.Close() }()
	if dl, ok := ctx.Deadline(); ok {
		_ = cc.SetDeadline(dl)
	}
	var out outcome
	cfg := &tls.Config{
		ServerName:         p.st.serverName,
		InsecureSkipVerify: true, //nolint:gosec // a diagnostic handshake: nothing is sent over it
		MinVersion:         tls.VersionTLS12,
		MaxVersion:         tls.VersionTLS13,
		NextProtos:         probeALPN,
		VerifyConnection: func(cs tls.ConnectionState) error {
			out.certs = cs.PeerCertificates
			return nil
		},
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &tls.Certificate{}, nil
		},
	}
	if tweak != nil {
		tweak(cfg)
	}
	tc := tls.Client(cc, cfg)
	out.err = tc.HandshakeContext(ctx)
	out.state = tc.ConnectionState()
	out.spoke = cc.read > 0
	return out
}

// allSuites offers every TLS 1.2 suite crypto/tls implements, the insecure
// ones included: a follow-up that must not fail for want of a suite.
func allSuites(c *tls.Config) {
	for _, s := range tls.CipherSuites() {
		c.CipherSuites = append(c.CipherSuites, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		c.CipherSuites = append(c.CipherSuites, s.ID)
	}
}

// refine improves a classified failure with what the probe knows beyond the
// error: where in the byte stream it happened, and what follow-up
// handshakes reveal.
func (p *attempt) refine(phase string, err error, f *failure) *failure {
	closed := isReset(err) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	generic := f.reason == wssv1.ReasonConnectionReset || f.reason == wssv1.ReasonUnknown
	switch {
	case phase == PhaseTLS && closed && generic && p.tcp != nil && p.tcp.written > 0 && p.tcp.read == 0:
		how := "closed"
		if isReset(err) {
			how = "reset"
		}
		// One reason whether the kernel sent FIN or RST: that depends only on
		// whether the server had read the whole ClientHello when it gave up
		// (OpenSSL-based servers such as PHP do either, run to run).
		f.reason = wssv1.ReasonConnectionReset
		f.message = "after the ClientHello was sent, the server " + how + " the connection without sending a single byte: it could not complete a TLS handshake at all (typically it cannot load its certificate or key: they do not match, the certificate file does not start with the leaf, or the key is encrypted without a passphrase); check the server's error log (" + err.Error() + ")"
		f.advice = silentServerAdvice
	case phase == PhaseUpgrade && closed && generic && p.t.secure && p.st.httpRead == 0:
		// The request written or not: a terminator that finds its backend
		// down may drop the connection before the request is even written
		// (the write then fails with a reset), run to run.
		how := "closed"
		if isReset(err) {
			how = "reset"
		}
		sent := "the upgrade request was sent, then"
		if !p.st.requestSent {
			sent = "while the upgrade request was being sent"
		}
		return &failure{reason: wssv1.ReasonBackendUnavailable, phase: PhaseUpgrade, advice: terminatorAdvice,
			message: "TLS completed and " + sent + " the server " + how + " the connection before any HTTP byte: the TLS terminator (stunnel, HAProxy mode tcp, a TCP load balancer) could not reach its backend (" + err.Error() + ")"}
	case phase == PhaseUpgrade && closed && generic && !p.t.secure && p.st.httpRead == 0:
		if o := p.followUp(nil); o.ok() || o.spoke && isTLSAnswer(o.err) {
			f.message = "the server closed the connection on the plain HTTP upgrade request without answering, and a TLS ClientHello on a second connection got a TLS answer: this port speaks TLS, probe it with wss:// (" + err.Error() + ")"
			f.advice = tlsPortAdvice
		}
	}
	return f
}

// isTLSAnswer reports whether a follow-up handshake error still shows that
// the server speaks TLS (it sent an alert or a handshake message).
func isTLSAnswer(err error) bool {
	if err == nil {
		return true
	}
	if _, ok := tlsnames.RemoteAlert(err); ok {
		return true
	}
	_, notTLS := errors.AsType[tls.RecordHeaderError](err)
	return !notTLS && !isTimeout(err) && !isReset(err) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF)
}
