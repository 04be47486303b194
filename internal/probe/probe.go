package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certinfo"
	"github.com/wss-operator/wss-operator/internal/tlsnames"
)

// DefaultTimeout bounds a whole probe when Options.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Phases of a probe, as reported in Result.Phase (the api/v1alpha1
// constants).
const (
	PhaseDNS     = wssv1.PhaseDNS
	PhaseConnect = wssv1.PhaseConnect
	PhaseTLS     = wssv1.PhaseTLS
	PhaseUpgrade = wssv1.PhaseUpgrade
	PhasePing    = wssv1.PhasePing
	PhaseIdle    = wssv1.PhaseIdle
)

// DialFunc opens a TCP connection; net.Dialer.DialContext has this shape.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Options says what to probe and how.
type Options struct {
	// URL is wss://HOST[:PORT][/PATH] or ws://HOST[:PORT][/PATH].
	URL string
	// ConnectTo, if set, is the host:port dialled instead of resolving the
	// URL's host; SNI and the Host header still come from the URL.
	ConnectTo string
	// Dial opens the TCP connection (default: a net.Dialer).
	Dial DialFunc
	// Resolver resolves a host name to addresses (default:
	// net.DefaultResolver.LookupHost). Its error becomes DNSFailure.
	Resolver func(ctx context.Context, host string) ([]string, error)
	// Roots are the trusted roots; nil means the system roots.
	Roots *x509.CertPool
	// ClientCert is presented when the server asks for a client certificate.
	ClientCert *tls.Certificate
	// MinVersion and MaxVersion bound the TLS versions offered (0: Go defaults).
	MinVersion, MaxVersion uint16
	// CipherSuites are the TLS 1.2 suites offered (nil: Go defaults).
	CipherSuites []uint16
	// Curves are the key-exchange groups offered (nil: Go defaults).
	Curves []tls.CurveID
	// ServerName overrides the SNI and the name verified (default: URL host).
	ServerName string
	// Subprotocols are offered in Sec-WebSocket-Protocol.
	Subprotocols []string
	// Origin, if set, is sent as the Origin header.
	Origin string
	// Timeout bounds the whole probe (default DefaultTimeout), not counting
	// Idle.
	Timeout time.Duration
	// Idle, if positive, holds the connection silent for this long after a
	// healthy ping and then pings again (phase idle): a close, reset or EOF
	// meanwhile is IdleTimeout. The probe's deadline is Timeout + Idle.
	Idle time.Duration
	// IdleStarted, if set, is called once when the silent wait begins, so a
	// caller that bounds concurrent probes can release the slot: a parked
	// connection costs no CPU.
	IdleStarted func()
}

// Result is what a probe found. It marshals to the `probe --output json`
// contract.
type Result struct {
	// URL is the probed URL.
	URL string `json:"url"`
	// Healthy is true when Reason is Healthy.
	Healthy bool `json:"healthy"`
	// Reason is one of the live-probe reasons of api/v1alpha1.
	Reason string `json:"reason"`
	// Phase is where the probe failed: dns, connect, tls, upgrade, ping, idle; ""
	// when healthy (or when the options themselves were invalid).
	Phase string `json:"phase"`
	// Message explains Reason with the facts observed.
	Message string `json:"message"`
	// ServedChain is what the server sent in its Certificate message, in
	// order, also when verification failed (not in JSON: TLS.PeerCertificates
	// carries its facts).
	ServedChain []*x509.Certificate `json:"-"`
	// TLS describes the handshake (empty for ws://).
	TLS TLSInfo `json:"tls"`
	// WebSocket describes the upgrade answer.
	WebSocket WebSocketInfo `json:"websocket"`
	// Timings are the durations of each phase.
	Timings Timings `json:"timings"`

	// advice, when set, replaces Advice(Reason) for this result: the fix
	// that the facts of this failure point to.
	advice string
}

// Advice is what to do about r: the advice specific to what this probe
// observed when there is one, else Advice(r.Reason); "" when healthy.
func (r *Result) Advice() string {
	if r.Healthy {
		return ""
	}
	if r.advice != "" {
		return r.advice
	}
	return Advice(r.Reason)
}

// TLSInfo describes the TLS session, as far as the handshake got.
type TLSInfo struct {
	// Version is e.g. "TLS 1.3".
	Version string `json:"version"`
	// CipherSuite is the negotiated suite's crypto/tls name.
	CipherSuite string `json:"cipherSuite"`
	// ALPN is the negotiated application protocol.
	ALPN string `json:"alpn"`
	// Verified is true when the served chain verified for the host.
	Verified bool `json:"verified"`
	// PeerCertificates are the certificates the server sent, in order,
	// reported even when verification fails.
	PeerCertificates []certinfo.Facts `json:"peerCertificates"`
}

// WebSocketInfo describes the upgrade answer.
type WebSocketInfo struct {
	// Status is the HTTP status code of the upgrade answer (0: none).
	Status int `json:"status"`
	// Subprotocol is the subprotocol the server chose.
	Subprotocol string `json:"subprotocol"`
}

// Timings are phase durations in milliseconds. ConnectMs includes name
// resolution.
type Timings struct {
	ConnectMs float64 `json:"connectMs"`
	TLSMs     float64 `json:"tlsMs"`
	UpgradeMs float64 `json:"upgradeMs"`
	PingMs    float64 `json:"pingMs"`
	// IdleMs is how long the connection was held silent (probe --idle):
	// until the cut, or the whole Idle when it survived.
	IdleMs  float64 `json:"idleMs"`
	TotalMs float64 `json:"totalMs"`
}

// target is a parsed probe URL.
type target struct {
	secure     bool
	host       string // host name or IP, without brackets
	port       string
	hostHeader string // as written in the URL
	requestURI string
}

// Validate reports whether o can be probed at all (URL scheme and host,
// --connect-to shape, version bounds, header-safe subprotocols and origin).
func (o Options) Validate() error {
	if _, err := parseTarget(o.URL); err != nil {
		return err
	}
	if o.ConnectTo != "" {
		if h, p, err := net.SplitHostPort(o.ConnectTo); err != nil || h == "" || p == "" {
			return fmt.Errorf("connect-to %q: want host:port", o.ConnectTo)
		}
	}
	if o.MinVersion != 0 && o.MaxVersion != 0 && o.MinVersion > o.MaxVersion {
		return fmt.Errorf("minimum TLS version %s is above maximum %s", tls.VersionName(o.MinVersion), tls.VersionName(o.MaxVersion))
	}
	for _, p := range o.Subprotocols {
		if !httpguts.ValidHeaderFieldName(p) {
			return fmt.Errorf("subprotocol %q is not an HTTP token", p)
		}
	}
	if strings.ContainsFunc(o.Origin, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("origin %q contains control characters", o.Origin)
	}
	if o.Timeout < 0 {
		return fmt.Errorf("timeout %s is negative", o.Timeout)
	}
	if o.Idle < 0 {
		return fmt.Errorf("idle %s is negative", o.Idle)
	}
	return nil
}

func parseTarget(raw string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, fmt.Errorf("URL %q: %w", raw, err)
	}
	var t target
	switch strings.ToLower(u.Scheme) {
	case "wss":
		t.secure, t.port = true, "443"
	case "ws":
		t.port = "80"
	default:
		return target{}, fmt.Errorf("URL %q: scheme must be wss or ws", raw)
	}
	if u.Hostname() == "" {
		return target{}, fmt.Errorf("URL %q: no host", raw)
	}
	if u.User != nil {
		return target{}, fmt.Errorf("URL %q: user information is not supported", raw)
	}
	t.host, t.hostHeader = u.Hostname(), u.Host
	if p := u.Port(); p != "" {
		t.port = p
	}
	t.requestURI = u.RequestURI()
	if strings.ContainsAny(t.requestURI+t.hostHeader, " \r\n") {
		return target{}, fmt.Errorf("URL %q: invalid characters in host or path", raw)
	}
	return t, nil
}

// failure is a classified probe failure; advice, when set, is specific to
// what was observed and replaces the reason's general advice.
type failure struct {
	reason, phase, message string
	advice                 string
}

// Run probes o.URL once and reports what it found. It never returns nil.
func Run(ctx context.Context, o Options) *Result {
	start := time.Now()
	r := &Result{URL: o.URL, TLS: TLSInfo{PeerCertificates: []certinfo.Facts{}}}
	defer func() {
		if r.Timings.TotalMs == 0 {
			r.Timings.TotalMs = ms(time.Since(start))
		}
	}()

	if err := o.Validate(); err != nil {
		r.Reason, r.Message = wssv1.ReasonUnknown, "invalid probe options: "+err.Error()
		return r
	}
	t, _ := parseTarget(o.URL)
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	budget := o.Timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < budget {
		budget = time.Until(dl).Round(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout+o.Idle)
	defer cancel()
	p := &attempt{o: o, t: t, r: r, ctx: ctx, start: start, budget: budget}
	if f := p.run(); f != nil {
		r.Reason, r.Phase, r.Message, r.advice = f.reason, f.phase, f.message, f.advice
		return r
	}
	r.Healthy, r.Reason = true, wssv1.ReasonHealthy
	r.Message = p.healthyMessage()
	return r
}

// attempt carries the state of one probe of an endpoint (for Compat, of
// one client profile's handshake) through its phases.
type attempt struct {
	o   Options
	t   target
	r   *Result
	ctx context.Context
	st  tlsState
	// tcp counts the bytes of the probe's TCP connection.
	tcp *countingConn
	// start is when the probe began; budget is the time it was given.
	start  time.Time
	budget time.Duration
}

func (p *attempt) run() *failure {
	phaseStart := time.Now()
	conn, f := p.connect()
	p.r.Timings.ConnectMs = ms(time.Since(phaseStart))
	if f != nil {
		return f
	}
	p.tcp = &countingConn{Conn: conn}
	conn = p.tcp
	// One deadline for the whole probe, on the TCP connection under any TLS;
	// cancelling the parent context (e.g. SIGINT) moves it to the past so
	// that any blocked read or write returns.
	tcp := conn
	defer func() { _ = conn.Close() }() // the outermost layer: TLS sends close_notify
	if dl, ok := p.ctx.Deadline(); ok {
		_ = tcp.SetDeadline(dl)
	}
	stop := context.AfterFunc(p.ctx, func() { _ = tcp.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if p.t.secure {
		phaseStart = time.Now()
		tc, f := p.handshake(conn)
		p.r.Timings.TLSMs = ms(time.Since(phaseStart))
		if f != nil {
			return f
		}
		conn = tc
	}

	phaseStart = time.Now()
	ws, f := p.upgrade(conn)
	p.r.Timings.UpgradeMs = ms(time.Since(phaseStart))
	if f != nil {
		return f
	}

	upgraded := time.Now()
	phaseStart = upgraded
	f = p.ping(ws)
	p.r.Timings.PingMs = ms(time.Since(phaseStart))
	if f != nil {
		return f
	}
	if p.o.Idle > 0 {
		if f := p.idle(ws, upgraded); f != nil {
			return f
		}
	}
	// The verdict is in: the polite close below is not part of the timings.
	p.r.Timings.TotalMs = ms(time.Since(p.start))
	p.closePolitely(ws)
	return nil
}

// connect resolves (phase dns) and dials (phase connect) the target.
func (p *attempt) connect() (net.Conn, *failure) {
	host, port := p.t.host, p.t.port
	if p.o.ConnectTo != "" {
		host, port, _ = net.SplitHostPort(p.o.ConnectTo)
	}
	addrs := []string{host}
	if net.ParseIP(host) == nil {
		resolve := p.o.Resolver
		if resolve == nil {
			resolve = net.DefaultResolver.LookupHost
		}
		var err error
		addrs, err = resolve(p.ctx, host)
		if err == nil && len(addrs) == 0 {
			err = &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
		if err != nil {
			if p.ctx.Err() != nil || isTimeout(err) {
				return nil, p.classify(PhaseDNS, err)
			}
			return nil, fail(wssv1.ReasonDNSFailure, PhaseDNS, fmt.Sprintf("cannot resolve %q: %v", host, err))
		}
	}
	dial := p.o.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	var firstErr error
	for _, a := range addrs {
		conn, err := dial(p.ctx, "tcp", net.JoinHostPort(a, port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if p.ctx.Err() != nil {
			break
		}
	}
	return nil, p.classify(PhaseConnect, firstErr)
}

func (p *attempt) healthyMessage() string {
	var b strings.Builder
	if p.t.secure {
		fmt.Fprintf(&b, "%s verified for %q, ", p.r.TLS.Version, p.st.serverName)
	}
	fmt.Fprintf(&b, "upgrade answered 101 with a correct Sec-WebSocket-Accept")
	if p.r.WebSocket.Subprotocol != "" {
		fmt.Fprintf(&b, " (subprotocol %q)", p.r.WebSocket.Subprotocol)
	}
	fmt.Fprintf(&b, ", ping answered in %.2f ms", p.r.Timings.PingMs)
	if p.o.Idle > 0 {
		fmt.Fprintf(&b, "; the connection stayed open through %s without traffic and answered a ping again", p.o.Idle)
	}
	return b.String()
}

// classify names a failure in phase from err and what the handshake saw.
func (p *attempt) classify(phase string, err error) *failure {
	if errors.Is(err, context.Canceled) || (p.ctx.Err() == context.Canceled && isTimeout(err)) {
		return fail(wssv1.ReasonUnknown, phase, fmt.Sprintf("probe cancelled during the %s phase", phase))
	}
	reason, rphase, msg := classifyError(phase, err, &p.st, p.o)
	if reason == wssv1.ReasonTimeout {
		msg = fmt.Sprintf("no answer within %s: timed out in the %s phase (%s)", p.budget, phase, msg)
	}
	f := p.refine(phase, err, fail(reason, rphase, msg))
	if a, ok := tlsnames.RemoteAlert(err); ok && f.reason == wssv1.ReasonNoSharedCipher && (a == tlsnames.AlertHandshakeFailure || a == tlsnames.AlertInsufficientSecurity) {
		f = p.diagnoseNoShared(f)
	}
	return f
}

// ms converts d to fractional milliseconds, rounded to microseconds.
func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// fail is a failure with the reason's general advice.
func fail(reason, phase, message string) *failure {
	return &failure{reason: reason, phase: phase, message: message}
}
