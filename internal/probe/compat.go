package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"time"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
)

// ClientProfile is a restricted TLS client the probe can play with Go's
// crypto/tls: the versions, suites and groups a family of real clients
// offers, cut down to the part that decides whether a server accepts them.
// The families come from Mozilla's Server Side TLS guidelines ("oldest
// compatible clients" of each configuration) and SSL Labs' client
// handshake simulations; docs/probe.md lists the sources.
type ClientProfile struct {
	// Name identifies the profile in results (stable; the operator keys on it).
	Name string
	// Offers says what the profile offers, for people.
	Offers string
	// StandsFor names the real clients that offer no more than this.
	StandsFor string
	// MinVersion and MaxVersion bound the TLS versions offered.
	MinVersion, MaxVersion uint16
	// CipherSuites are the suites offered below TLS 1.3 (nil for TLS 1.3 only).
	CipherSuites []uint16
	// Curves are the key-exchange groups offered.
	Curves []tls.CurveID
}

// Client profile names.
const (
	ClientTLS13    = "tls13"
	ClientTLS12GCM = "tls12-gcm-p256"
	ClientTLS12CBC = "tls12-cbc"
	ClientTLS10CBC = "tls10-cbc"
)

const (
	compatCBCSuites  = "ECDHE with AES-CBC-SHA"
	compatCBCSGroups = "P-256, P-384"
)

var cbcSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
}

var clientProfiles = []ClientProfile{
	{
		Name: ClientTLS13, Offers: "TLS 1.3 only; X25519, P-256",
		StandsFor:  "current browsers (Chrome 70+, Firefox 63+, Safari 12.1+, Edge 79+), Android 10+, Java 11+, OpenSSL 1.1.1+, Go 1.13+, Node.js 12+",
		MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13,
		Curves: []tls.CurveID{tls.X25519, tls.CurveP256},
	},
	{
		Name: ClientTLS12GCM, Offers: "TLS 1.2 only; ECDHE with AES-GCM; P-256 only",
		StandsFor:  "Java 8 before 8u261, Android 5-9, OpenSSL 1.0.2, IE 11 and Edge on Windows 10, Safari 9-12",
		MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		},
		Curves: []tls.CurveID{tls.CurveP256},
	},
	{
		Name: ClientTLS12CBC, Offers: "TLS 1.2 only; " + compatCBCSuites + "; " + compatCBCSGroups,
		StandsFor:  "TLS 1.2 stacks without an AEAD suite for the key type: IE 11 on Windows 7 and 8.1 against an RSA certificate, Safari 7-8 (OS X 10.9-10.10, iOS 7-8)",
		MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		CipherSuites: cbcSuites, Curves: []tls.CurveID{tls.CurveP256, tls.CurveP384},
	},
	{
		Name: ClientTLS10CBC, Offers: "TLS 1.0 and 1.1; " + compatCBCSuites + "; " + compatCBCSGroups,
		StandsFor:  "Android 4.0-4.3, Java 7, IE 8-10 on Windows 7, Safari 5-6, OpenSSL 0.9.8 and 1.0.0 with ECDHE",
		MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11,
		CipherSuites: cbcSuites, Curves: []tls.CurveID{tls.CurveP256, tls.CurveP384},
	},
}

// ClientProfiles returns the client profiles Compat plays, newest first.
// The slices in them are copies.
func ClientProfiles() []ClientProfile {
	out := make([]ClientProfile, len(clientProfiles))
	for i, p := range clientProfiles {
		p.CipherSuites = slices.Clone(p.CipherSuites)
		p.Curves = slices.Clone(p.Curves)
		out[i] = p
	}
	return out
}

// CompatResult is whether one client profile gets through the TLS
// handshake and certificate check of the endpoint.
type CompatResult struct {
	// Profile is the ClientProfile's name.
	Profile string `json:"profile"`
	// OK is true when the handshake completed and the certificate verified.
	OK bool `json:"ok"`
	// Reason is Healthy or the live-probe reason of the failure.
	Reason string `json:"reason"`
	// Message explains Reason (for OK: the version and suite negotiated).
	Message string `json:"message"`
	// Version and CipherSuite are what was negotiated ("" on failure).
	Version     string `json:"version,omitempty"`
	CipherSuite string `json:"cipherSuite,omitempty"`
	// StandsFor names the real clients the profile represents.
	StandsFor string `json:"standsFor"`
}

// CompatReport is the `probe --compat --output json` answer.
type CompatReport struct {
	// URL is the probed URL.
	URL string `json:"url"`
	// Clients has one result per client profile, in ClientProfiles order.
	Clients []CompatResult `json:"clients"`
}

// Compat handshakes with o.URL (a wss:// URL) once as each client profile
// and reports who gets in. Everything in o but the TLS versions, suites and
// groups applies (ConnectTo, Dial, Roots, ClientCert, ServerName, Timeout
// per handshake); no WebSocket upgrade is sent. It never returns nil.
func Compat(ctx context.Context, o Options) []CompatResult {
	out := make([]CompatResult, 0, len(clientProfiles))
	for _, cp := range ClientProfiles() {
		po := o
		po.MinVersion, po.MaxVersion = cp.MinVersion, cp.MaxVersion
		po.CipherSuites, po.Curves = cp.CipherSuites, cp.Curves
		res := handshakeOnly(ctx, po)
		res.Profile, res.StandsFor = cp.Name, cp.StandsFor
		out = append(out, res)
	}
	return out
}

// handshakeOnly runs the dns, connect and tls phases of a probe.
func handshakeOnly(ctx context.Context, o Options) CompatResult {
	if err := o.Validate(); err != nil {
		return CompatResult{Reason: wssv1.ReasonUnknown, Message: "invalid probe options: " + err.Error()}
	}
	t, _ := parseTarget(o.URL)
	if !t.secure {
		return CompatResult{Reason: wssv1.ReasonNotTLS, Message: "client compatibility needs a wss:// URL: " + o.URL + " is not TLS"}
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	p := &attempt{o: o, t: t, r: &Result{URL: o.URL}, ctx: ctx, start: time.Now(), budget: o.Timeout}
	conn, f := p.connect()
	if f != nil {
		return CompatResult{Reason: f.reason, Message: f.message}
	}
	defer func() { _ = conn.Close() }()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	tc, f := p.handshake(conn)
	if f != nil {
		return CompatResult{Reason: f.reason, Message: f.message}
	}
	_ = tc.Close()
	return CompatResult{
		OK: true, Reason: wssv1.ReasonHealthy, Version: p.r.TLS.Version, CipherSuite: p.r.TLS.CipherSuite,
		Message: fmt.Sprintf("%s with %s, certificate verified for %q", p.r.TLS.Version, p.r.TLS.CipherSuite, p.st.serverName),
	}
}

// CompatSummary is one line for people: "3 of 4 client profiles connect
// (refused: tls10-cbc)".
func CompatSummary(results []CompatResult) string {
	var refused []string
	for _, r := range results {
		if !r.OK {
			refused = append(refused, r.Profile)
		}
	}
	s := fmt.Sprintf("%d of %d client profiles connect", len(results)-len(refused), len(results))
	if len(refused) > 0 {
		s += " (refused: " + strings.Join(refused, ", ") + ")"
	}
	return s
}
