package probecmd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/wss-operator/wss-operator/internal/cmd/cliutil"
	"github.com/wss-operator/wss-operator/internal/probe"
	"github.com/wss-operator/wss-operator/internal/tlsnames"
)

// Exit codes of `wss-operator probe`, those of every diagnosis subcommand.
const (
	ExitHealthy   = cliutil.ExitHealthy
	ExitUnhealthy = cliutil.ExitUnhealthy
	ExitUsage     = cliutil.ExitUsage
)

// Command is the probe subcommand with its injectable network seams; the
// zero value uses the system resolver and a net.Dialer.
type Command struct {
	// Resolver, if set, replaces the system resolver (probe.Options.Resolver).
	Resolver func(ctx context.Context, host string) ([]string, error)
	// Dial, if set, replaces the default dialer (probe.Options.Dial).
	Dial probe.DialFunc
}

// Run is `wss-operator probe URL [FLAGS]` with the default network.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return Command{}.Run(ctx, args, stdout, stderr)
}

// flags are the parsed command-line values.
type flags struct {
	connectTo, ca, cert, key string
	minTLS, maxTLS           string
	cipherSuites, curves     string
	serverName, origin, out  string
	subprotocols             []string
	timeout, idle            time.Duration
	compat                   bool
}

func newFlagSet(f *flags) *pflag.FlagSet {
	fs := cliutil.NewFlagSet("probe")
	fs.StringVar(&f.connectTo, "connect-to", "", "dial `ADDR` (host:port) instead of resolving the URL's host; SNI and Host header still come from the URL")
	fs.StringVar(&f.ca, "ca", "", "PEM trust bundle `FILE` (default: system roots)")
	fs.StringVar(&f.cert, "cert", "", "client certificate PEM `FILE` for mutual TLS (needs --key)")
	fs.StringVar(&f.key, "key", "", "client private key PEM `FILE` for mutual TLS (needs --cert)")
	fs.StringVar(&f.minTLS, "min-tls", "", "lowest TLS `VERSION` offered: 1.2 or 1.3 (default 1.2)")
	fs.StringVar(&f.maxTLS, "max-tls", "", "highest TLS `VERSION` offered: 1.2 or 1.3 (default 1.3)")
	fs.StringVar(&f.cipherSuites, "cipher-suites", "", "comma-separated TLS 1.2 `SUITES` to offer, as crypto/tls names them (default: Go's defaults)")
	fs.StringVar(&f.curves, "curves", "", "comma-separated key-exchange `GROUPS` to offer: X25519,P256,P384,P521,X25519MLKEM768,... (default: Go's defaults)")
	fs.StringVar(&f.serverName, "server-name", "", "`NAME` to send as SNI and to verify the certificate for (default: the URL's host)")
	fs.StringArrayVar(&f.subprotocols, "subprotocol", nil, "WebSocket subprotocol `NAME` to request (repeatable)")
	fs.StringVar(&f.origin, "origin", "", "Origin header `URL` to send")
	fs.DurationVar(&f.timeout, "timeout", probe.DefaultTimeout, "bound on the whole probe")
	fs.DurationVar(&f.idle, "idle", 0, "after a healthy ping, hold the connection silent this long, then ping again: a cut meanwhile is IdleTimeout (e.g. 75s; adds to --timeout)")
	fs.StringVar(&f.out, "output", "text", "output `FORMAT`: text or json")
	fs.BoolVar(&f.compat, "compat", false, "instead of one probe, handshake as each client profile (old Android, Java 8, IE 11, current browsers, ...) and print who gets in; exit 0 when at least one does (--min-tls, --max-tls, --cipher-suites and --curves do not apply)")
	return fs
}

var usage = cliutil.Usage{
	Synopsis: "wss-operator probe URL [FLAGS]",
	About: "One-shot live diagnosis of a wss:// (or ws://) endpoint: DNS, TCP connect, TLS handshake,\n" +
		"WebSocket upgrade and ping/pong. Names the exact reason when something fails.\n\n" +
		"  URL   wss://HOST[:PORT][/PATH] or ws://HOST[:PORT][/PATH]",
	Exit: "0 healthy, 1 unhealthy, 2 usage error.",
}

// Run parses args, probes once and prints the result.
func (c Command) Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	run := cliutil.Run{Name: "probe", Stdout: stdout, Stderr: stderr}
	var f flags
	fs := newFlagSet(&f)
	if code, done := run.Parse(fs, args, usage); done {
		return code
	}
	o, err := c.options(&f, fs.Args())
	if err != nil {
		return run.UsageError(err)
	}
	if f.compat {
		return runCompat(ctx, run, o, f.out)
	}
	r := probe.Run(ctx, o)
	run.Output(f.out, r, func(w io.Writer) error {
		writeText(w, r)
		return nil
	})
	return cliutil.Exit(r.Healthy)
}

// options turns the flags into probe options; every error is a usage error
// naming the flag, argument or file at fault.
func (c Command) options(f *flags, args []string) (probe.Options, error) {
	o := probe.Options{
		ConnectTo: f.connectTo, ServerName: f.serverName, Subprotocols: f.subprotocols,
		Origin: f.origin, Timeout: f.timeout, Idle: f.idle, Resolver: c.Resolver, Dial: c.Dial,
	}
	switch {
	case len(args) == 0:
		return o, errors.New("missing URL argument (wss://HOST[:PORT][/PATH])")
	case len(args) > 1:
		return o, fmt.Errorf("want exactly one URL argument, got %d: %q", len(args), args)
	}
	if err := cliutil.CheckOutput(f.out); err != nil {
		return o, err
	}
	switch {
	case f.timeout <= 0:
		return o, fmt.Errorf("--timeout %s: must be positive", f.timeout)
	case f.idle < 0:
		return o, fmt.Errorf("--idle %s: must not be negative", f.idle)
	case (f.cert == "") != (f.key == ""):
		return o, errors.New("--cert and --key must be given together")
	}
	o.URL = args[0]
	var err error
	if f.minTLS != "" {
		if o.MinVersion, err = tlsnames.ParseVersion(f.minTLS); err != nil {
			return o, fmt.Errorf("--min-tls: %w", err)
		}
	}
	if f.maxTLS != "" {
		if o.MaxVersion, err = tlsnames.ParseVersion(f.maxTLS); err != nil {
			return o, fmt.Errorf("--max-tls: %w", err)
		}
	}
	if o.CipherSuites, err = tlsnames.ParseCipherSuites(f.cipherSuites, true); err != nil {
		return o, fmt.Errorf("--cipher-suites: %w", err)
	}
	if o.Curves, err = tlsnames.ParseCurves(f.curves); err != nil {
		return o, fmt.Errorf("--curves: %w", err)
	}
	if f.ca != "" {
		if o.Roots, err = loadRoots(f.ca); err != nil {
			return o, err
		}
	}
	if f.cert != "" {
		if o.ClientCert, err = loadKeyPair(f.cert, f.key); err != nil {
			return o, err
		}
	}
	if err := o.Validate(); err != nil {
		return o, err
	}
	return o, nil
}

func loadRoots(file string) (*x509.CertPool, error) {
	pem, err := cliutil.ReadFile("--ca", file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca %s: no PEM certificate found", file)
	}
	return pool, nil
}

func loadKeyPair(certFile, keyFile string) (*tls.Certificate, error) {
	certPEM, err := cliutil.ReadFile("--cert", certFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := cliutil.ReadFile("--key", keyFile)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("--cert %s / --key %s: %w", certFile, keyFile, err)
	}
	return &pair, nil
}
