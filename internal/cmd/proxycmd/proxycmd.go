package proxycmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wss-operator/wss-operator/internal/tlsnames"

	"github.com/go-logr/logr/funcr"
	"github.com/spf13/pflag"

	"github.com/wss-operator/wss-operator/internal/cmd/cliutil"
	"github.com/wss-operator/wss-operator/internal/proxy"
)

// options are the parsed flags.
type options struct {
	listen, backend, certDir, clientAuth, adminListen string
	minTLS, cipherSuites, curves, logLevel            string
	tlsProfile                                        string
	drainTimeout, handshakeTimeout, headerTimeout     time.Duration
	idleTimeout, backendTimeout, reloadInterval       time.Duration
	maxConnections                                    int
}

func newFlagSet(o *options) *pflag.FlagSet {
	fs := pflag.NewFlagSet("proxy", pflag.ContinueOnError)
	fs.SetInterspersed(true)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.StringVar(&o.listen, "listen", proxy.DefaultListen, "TLS listener address (host:port)")
	fs.StringVar(&o.backend, "backend", proxy.DefaultBackend, "the plain ws:// (and HTTP) server to forward to (host:port)")
	fs.StringVar(&o.certDir, "cert-dir", "", "directory with tls.crt, tls.key and optional ca.crt, as a mounted Secret volume lays them out (required); watched and re-read on change")
	fs.StringVar(&o.clientAuth, "client-auth", proxy.ClientAuthNone, "client certificates: none, request (verify one if offered) or require; verified against DIR/ca.crt")
	fs.StringVar(&o.tlsProfile, "tls-profile", tlsnames.DefaultProfile, "TLS versions, suites and groups after Mozilla's guidelines: modern (TLS 1.3 only), intermediate (TLS 1.2+1.3, ECDHE AEAD suites only) or old (TLS 1.0+, adds ECDHE CBC suites); --min-tls, --cipher-suites and --curves override it")
	fs.StringVar(&o.minTLS, "min-tls", "", "minimum TLS version: 1.0, 1.1, 1.2 or 1.3 (default: the profile's)")
	fs.StringVar(&o.cipherSuites, "cipher-suites", "", "comma-separated TLS 1.2 cipher suites by Go's crypto/tls names (default: the profile's; TLS 1.3 suites are not configurable)")
	fs.StringVar(&o.curves, "curves", "", "comma-separated key-exchange groups in preference order: "+strings.Join(tlsnames.CurveNames(), ",")+" (default: the profile's)")
	fs.StringVar(&o.adminListen, "admin-listen", proxy.DefaultAdminListen, `plain-HTTP listener for /healthz, /readyz and /metrics ("" disables it)`)
	fs.DurationVar(&o.drainTimeout, "drain-timeout", proxy.DefaultDrainTimeout, "on SIGTERM/SIGINT: stop accepting, send close 1001 to every WebSocket, let HTTP requests finish, wait at most this long, then close the rest and exit 0")
	fs.DurationVar(&o.handshakeTimeout, "handshake-timeout", proxy.DefaultHandshakeTimeout, "time a client has to complete the TLS handshake")
	fs.DurationVar(&o.headerTimeout, "header-timeout", proxy.DefaultHeaderTimeout, "time a client has to send a request head (each request on a keep-alive connection)")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", proxy.DefaultIdleTimeout, "close HTTP keep-alive connections idle this long, and any connection whose peer accepts no data for this long (idle WebSockets are never closed)")
	fs.DurationVar(&o.backendTimeout, "backend-timeout", proxy.DefaultBackendTimeout, "time to connect to the backend and get its answer to a WebSocket upgrade")
	fs.IntVar(&o.maxConnections, "max-connections", proxy.DefaultMaxConnections, "cap on concurrent client connections; more are closed right after accept (0: no cap)")
	fs.DurationVar(&o.reloadInterval, "reload-interval", proxy.DefaultReloadInterval, "re-read --cert-dir this often in addition to watching it")
	fs.StringVar(&o.logLevel, "log-level", "info", "info, debug (per-connection failures) or trace (every filesystem event and closed probe)")
	return fs
}

func usage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprint(w, `Usage: wss-operator proxy --cert-dir DIR [FLAGS]

TLS-terminating sidecar in front of a plain WebSocket server: clients speak
wss:// (and https://) to --listen, the backend at --backend speaks ws:// (and
http://). Certificates are reloaded from --cert-dir without dropping
connections; SIGTERM drains every WebSocket with close code 1001.

Flags:
`)
	fmt.Fprint(w, fs.FlagUsagesWrapped(100))
	fmt.Fprint(w, `
Example, in front of any ws:// server on port 8080:
  wss-operator proxy --cert-dir ./certs --backend 127.0.0.1:8080 --listen :8443
`)
}

// Run is `wss-operator proxy`. It serves until ctx is cancelled (main
// cancels it on SIGTERM/SIGINT), drains, and returns 0; 1 when it cannot
// start (the message names the file or address); 2 on a usage error.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	run := cliutil.Run{Name: "proxy", Stdout: stdout, Stderr: stderr}
	var o options
	fs := newFlagSet(&o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			usage(stdout, fs)
			return 0
		}
		return run.UsageError(err)
	}
	if fs.NArg() > 0 {
		return run.UsageError(fmt.Errorf("unexpected argument %q: proxy takes flags only", fs.Arg(0)))
	}
	cfg, verbosity, err := o.config()
	if err != nil {
		return run.UsageError(err)
	}
	cfg.Logger = funcr.NewJSON(func(obj string) { fmt.Fprintln(stderr, obj) },
		funcr.Options{LogTimestamp: true, Verbosity: verbosity}).WithName("proxy")
	p, err := proxy.New(cfg)
	if err != nil {
		return run.Fail(err)
	}
	if err := p.Run(ctx); err != nil {
		return run.Fail(err)
	}
	return 0
}

// config turns flags into a proxy.Config; errors name the flag.
func (o *options) config() (proxy.Config, int, error) {
	cfg := proxy.Config{
		Listen: o.listen, Backend: o.backend, CertDir: o.certDir, ClientAuth: o.clientAuth,
		AdminListen: o.adminListen, DrainTimeout: o.drainTimeout, HandshakeTimeout: o.handshakeTimeout,
		HeaderTimeout: o.headerTimeout, IdleTimeout: o.idleTimeout, BackendTimeout: o.backendTimeout,
		ReloadInterval: o.reloadInterval, MaxConnections: o.maxConnections, TLSProfile: o.tlsProfile,
	}
	var errs []error
	if o.certDir == "" {
		errs = append(errs, errors.New("--cert-dir: required"))
	}
	if o.listen == "" {
		errs = append(errs, errors.New("--listen: must not be empty"))
	}
	if o.backend == "" {
		errs = append(errs, errors.New("--backend: must not be empty"))
	}
	if cfg.AdminListen == "" {
		cfg.AdminListen = proxy.AdminDisabled
	}
	if o.maxConnections < 0 {
		errs = append(errs, fmt.Errorf("--max-connections %d: must not be negative", o.maxConnections))
	} else if o.maxConnections == 0 {
		cfg.MaxConnections = -1
	}
	if _, err := proxy.ParseClientAuth(o.clientAuth); err != nil {
		errs = append(errs, fmt.Errorf("--client-auth: %w", err))
	}
	var err error
	if _, err := tlsnames.LookupProfile(o.tlsProfile); err != nil {
		errs = append(errs, fmt.Errorf("--tls-profile: %w", err))
	}
	if o.minTLS != "" {
		if cfg.MinVersion, err = tlsnames.ParseAnyVersion(o.minTLS); err != nil {
			errs = append(errs, fmt.Errorf("--min-tls: %w", err))
		}
	}
	if cfg.CipherSuites, err = tlsnames.ParseCipherSuites(o.cipherSuites, false); err != nil {
		errs = append(errs, fmt.Errorf("--cipher-suites: %w", err))
	}
	if cfg.Curves, err = tlsnames.ParseCurves(o.curves); err != nil {
		errs = append(errs, fmt.Errorf("--curves: %w", err))
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"--drain-timeout", o.drainTimeout}, {"--handshake-timeout", o.handshakeTimeout},
		{"--header-timeout", o.headerTimeout}, {"--idle-timeout", o.idleTimeout},
		{"--backend-timeout", o.backendTimeout}, {"--reload-interval", o.reloadInterval},
	} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s %s: must be positive", d.flag, d.v))
		}
	}
	verbosity := 0
	switch strings.ToLower(o.logLevel) {
	case "info":
	case "debug":
		verbosity = 1
	case "trace":
		verbosity = 2
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want info, debug or trace", o.logLevel))
	}
	return cfg, verbosity, errors.Join(errs...)
}
