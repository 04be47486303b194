package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wss-operator/wss-operator/internal/tlsnames"
)

// Defaults for the zero values of Config (and the proxy subcommand's flags).
// The operator's injected sidecar (internal/injection) uses the same ports
// and drain timeout; the CRD's defaults for spec.tls.port and
// spec.sidecar.drainTimeout are checked against them by a test.
const (
	// DefaultPort is the TLS port of DefaultListen.
	DefaultPort = 8443
	// DefaultAdminPort is the admin port of DefaultAdminListen.
	DefaultAdminPort        = 9090
	DefaultListen           = ":8443" // ":" + DefaultPort (TestDefaultsAgree)
	DefaultBackend          = "127.0.0.1:8080"
	DefaultAdminListen      = ":9090" // ":" + DefaultAdminPort (TestDefaultsAgree)
	DefaultDrainTimeout     = 25 * time.Second
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultHeaderTimeout    = 10 * time.Second
	DefaultIdleTimeout      = 90 * time.Second
	DefaultBackendTimeout   = 10 * time.Second
	DefaultMaxConnections   = 10000
	DefaultReloadInterval   = time.Minute
)

// maxHeaderBytes bounds a request head (request line plus headers).
const maxHeaderBytes = 64 << 10

// closeGrace is how long one side of a WebSocket may take to close after the
// other side has finished (or after the close handshake on that side is
// complete) before the proxy closes it.
const closeGrace = 5 * time.Second

// Config is everything a Proxy needs. Zero values take the defaults above.
type Config struct {
	// Listen is the TLS listener address, e.g. ":8443" or "127.0.0.1:0".
	Listen string
	// Backend is the plain WebSocket/HTTP server, host:port.
	Backend string
	// CertDir holds tls.crt, tls.key and (for client auth) ca.crt, laid out
	// as a mounted Kubernetes Secret volume or as plain files.
	CertDir string
	// ClientAuth is none (default), request or require.
	ClientAuth string
	// TLSProfile is modern, intermediate (default) or old
	// (tlsnames.LookupProfile): the versions, suites and groups served.
	// MinVersion, CipherSuites and Curves, when set, override its choices.
	TLSProfile string
	// MinVersion is the lowest TLS version served (tls.VersionTLS10 to
	// tls.VersionTLS13); 0 means the profile's.
	MinVersion uint16
	// CipherSuites are the suites offered below TLS 1.3; nil means the profile's.
	CipherSuites []uint16
	// Curves are the key-exchange groups in preference order; nil means the profile's.
	Curves []tls.CurveID
	// AdminListen is the plain HTTP listener for /healthz, /readyz and
	// /metrics. "-" disables it; empty means DefaultAdminListen.
	AdminListen string
	// DrainTimeout bounds the graceful drain after the context is cancelled.
	DrainTimeout time.Duration
	// HandshakeTimeout bounds a client's TLS handshake.
	HandshakeTimeout time.Duration
	// HeaderTimeout bounds reading a request head (the first one and every
	// later one on a keep-alive connection).
	HeaderTimeout time.Duration
	// IdleTimeout closes HTTP keep-alive connections idle this long, and a
	// WebSocket whose peer accepts no data for this long (a write that does
	// not complete; up to an eighth longer, as the write deadline moves
	// lazily rather than before every message). Idle WebSockets are never closed (TCP keep-alive
	// detects dead peers).
	IdleTimeout time.Duration
	// BackendTimeout bounds dialling the backend and waiting for its answer
	// to a WebSocket upgrade.
	BackendTimeout time.Duration
	// MaxConnections caps concurrent client connections; connections beyond
	// it are closed right after accept. Negative means no cap.
	MaxConnections int
	// ReloadInterval is the safety-net period for re-reading CertDir in
	// addition to watching it.
	ReloadInterval time.Duration
	// Logger receives structured logs; the zero value discards them.
	Logger logr.Logger
	// Registry receives the proxy's metrics and Go runtime/process
	// collectors. Use a registry of your own (not the global one) so that
	// several proxies can run in one process; nil creates a private one.
	Registry *prometheus.Registry

	// maxVersion is the profile's highest version (set by withDefaults).
	maxVersion uint16
}

// AdminDisabled is the AdminListen value that turns the admin listener off.
const AdminDisabled = "-"

// withDefaults returns a copy of c with zero values replaced by defaults
// and checks what cannot work.
func (c Config) withDefaults() (Config, error) {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Backend == "" {
		c.Backend = DefaultBackend
	}
	if c.AdminListen == "" {
		c.AdminListen = DefaultAdminListen
	}
	var errs []error
	profile, err := tlsnames.LookupProfile(c.TLSProfile)
	if err != nil {
		errs = append(errs, err)
	}
	c.TLSProfile = profile.Name
	c.maxVersion = profile.MaxVersion
	if c.MinVersion == 0 {
		c.MinVersion = profile.MinVersion
	}
	if c.CipherSuites == nil {
		c.CipherSuites = profile.CipherSuites
	}
	if c.Curves == nil {
		c.Curves = profile.Curves
	}
	setDuration(&c.DrainTimeout, DefaultDrainTimeout)
	setDuration(&c.HandshakeTimeout, DefaultHandshakeTimeout)
	setDuration(&c.HeaderTimeout, DefaultHeaderTimeout)
	setDuration(&c.IdleTimeout, DefaultIdleTimeout)
	setDuration(&c.BackendTimeout, DefaultBackendTimeout)
	setDuration(&c.ReloadInterval, DefaultReloadInterval)
	if c.MaxConnections == 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	if c.CertDir == "" {
		errs = append(errs, errors.New("cert dir: required"))
	}
	if _, _, err := net.SplitHostPort(c.Backend); err != nil {
		errs = append(errs, fmt.Errorf("backend %q: want host:port: %w", c.Backend, err))
	}
	if c.MinVersion < tls.VersionTLS10 || c.MinVersion > tls.VersionTLS13 {
		errs = append(errs, fmt.Errorf("min version %#x: want TLS 1.0 to 1.3", c.MinVersion))
	}
	if _, err := ParseClientAuth(c.ClientAuth); err != nil {
		errs = append(errs, err)
	}
	for name, d := range map[string]time.Duration{
		"drain timeout": c.DrainTimeout, "handshake timeout": c.HandshakeTimeout,
		"header timeout": c.HeaderTimeout, "idle timeout": c.IdleTimeout,
		"backend timeout": c.BackendTimeout, "reload interval": c.ReloadInterval,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s %s: must not be negative", name, d))
		}
	}
	return c, errors.Join(errs...)
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}
