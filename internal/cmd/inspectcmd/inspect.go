package inspectcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/wss-operator/wss-operator/internal/certcheck"
)

// Exit codes of `wss-operator inspect`.
const (
	ExitHealthy   = 0
	ExitUnhealthy = 1
	ExitUsage     = 2
)

// DefaultWarnWithin is the default ExpiringSoon window: cert-manager renews a
// 90-day certificate 30 days before it expires, so 14 days left means renewal
// has been failing for two weeks.
const DefaultWarnWithin = 14 * 24 * time.Hour

type flags struct {
	cert, key, ca string
	clientCA      string
	hosts         []string
	warnWithin    days
	output        string
}

func newFlagSet(f *flags) *pflag.FlagSet {
	fs := pflag.NewFlagSet("inspect", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&f.cert, "cert", "", "certificate chain PEM `FILE` (tls.crt): the leaf first, then its intermediates (required)")
	fs.StringVar(&f.key, "key", "", "private key PEM `FILE` (tls.key); checked to be unencrypted, parseable, strong and to match the leaf")
	fs.StringVar(&f.ca, "ca", "", "CA bundle PEM `FILE` (ca.crt) the chain must reach (default: the system trust store)")
	fs.StringVar(&f.clientCA, "client-ca", "", "client CA bundle PEM `FILE` (the ca.crt of spec.tls.clientAuth.caSecretName): CA certificates only, valid now")
	fs.StringArrayVar(&f.hosts, "host", nil, "host `NAME` (or IP) the leaf must cover; repeatable or comma-separated")
	f.warnWithin = days(DefaultWarnWithin)
	fs.Var(&f.warnWithin, "warn-within", "warn (ExpiringSoon) when the leaf expires within this `DURATION`: Go syntax (720h, 90m) or whole days (30d); 0 disables")
	fs.StringVar(&f.output, "output", "text", "output `FORMAT`: text or json")
	return fs
}

func usage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintln(w, "Usage: wss-operator inspect --cert FILE [--key FILE] [--ca FILE] [--client-ca FILE] [--host NAME]... [--warn-within DURATION] [--output text|json]")
	fmt.Fprintln(w, "\nOffline diagnosis of certificate, key and CA PEM files, before anything serves them:")
	fmt.Fprintln(w, "malformed or missing PEM, encrypted or mismatched key, incomplete or misordered chain,")
	fmt.Fprintln(w, "validity, host names, key strength and signature algorithms.")
	fmt.Fprintln(w, "\nFlags:")
	fmt.Fprint(w, fs.FlagUsages())
	fmt.Fprintln(w, "\nExit status: 0 no error finding (warnings allowed), 1 at least one error finding, 2 usage error.")
}

// Run is `wss-operator inspect`.
func Run(_ context.Context, args []string, stdout, stderr io.Writer) int {
	var f flags
	fs := newFlagSet(&f)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			usage(stdout, fs)
			return ExitHealthy
		}
		return usageError(stderr, err)
	}
	in, err := input(&f, fs.Args())
	if err != nil {
		return usageError(stderr, err)
	}
	var clientCA []byte
	if f.clientCA != "" {
		if clientCA, err = readFile("--client-ca", f.clientCA); err != nil {
			return usageError(stderr, err)
		}
	}
	r := certcheck.Report{Healthy: true, Findings: []certcheck.Finding{}}
	if f.cert != "" {
		r = certcheck.Check(in)
	}
	if f.clientCA != "" {
		ca := certcheck.CheckClientCA(clientCA, f.clientCA, in.Now)
		// Errors stay before warnings: the verdict line is the first error.
		r.Findings = append(r.Findings, ca.Findings...)
		slices.SortStableFunc(r.Findings, func(a, b certcheck.Finding) int {
			return severityOrder(a.Severity) - severityOrder(b.Severity)
		})
		r.Healthy = r.Healthy && ca.Healthy
	}
	if f.output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(stderr, "wss-operator inspect: writing output: %v\n", err)
		}
	} else if err := writeText(stdout, f.cert, r); err != nil {
		fmt.Fprintf(stderr, "wss-operator inspect: writing output: %v\n", err)
	}
	if r.Healthy {
		return ExitHealthy
	}
	return ExitUnhealthy
}

func severityOrder(s certcheck.Severity) int {
	if s == certcheck.SeverityError {
		return 0
	}
	return 1
}

func usageError(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "wss-operator inspect: %v\nRun 'wss-operator inspect --help' for usage.\n", err)
	return ExitUsage
}

// input validates the flags and reads the files; every error names the flag,
// argument or file at fault.
func input(f *flags, args []string) (certcheck.Input, error) {
	in := certcheck.Input{WarnWithin: time.Duration(f.warnWithin)}
	switch {
	case len(args) > 0:
		return in, fmt.Errorf("unexpected argument %q: inspect takes only flags (did you mean --cert %s?)", args[0], args[0])
	case f.cert == "" && f.clientCA == "":
		return in, errors.New("missing --cert FILE (or --client-ca FILE)")
	case f.cert == "" && (f.key != "" || f.ca != "" || len(f.hosts) > 0):
		return in, errors.New("--key, --ca and --host need --cert FILE")
	case f.output != "text" && f.output != "json":
		return in, fmt.Errorf("--output %q: want text or json", f.output)
	}
	for _, v := range f.hosts {
		for h := range strings.SplitSeq(v, ",") {
			if h = strings.TrimSpace(h); h == "" {
				return in, fmt.Errorf("--host %q: empty host name", v)
			}
			in.Hosts = append(in.Hosts, h)
		}
	}
	var err error
	if f.cert != "" {
		if in.Cert, err = readFile("--cert", f.cert); err != nil {
			return in, err
		}
		in.CertName = f.cert
	}
	if f.key != "" {
		if in.Key, err = readFile("--key", f.key); err != nil {
			return in, err
		}
		in.KeyName = f.key
	}
	if f.ca != "" {
		if in.CA, err = readFile("--ca", f.ca); err != nil {
			return in, err
		}
		in.CAName = f.ca
	}
	return in, nil
}

// readFile reads a file named by flag; the contents are never nil, so that
// an empty file is inspected as empty rather than as not given.
func readFile(flag, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: cannot read %s: %w", flag, path, pe.Err)
		}
		return nil, fmt.Errorf("%s: cannot read %s: %w", flag, path, err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// days is a duration flag that also accepts whole days ("30d").
type days time.Duration

func (d *days) String() string {
	v := time.Duration(*d)
	if v != 0 && v%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(v/(24*time.Hour)), 10) + "d"
	}
	return v.String()
}

func (d *days) Set(s string) error {
	var v time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		i, err := strconv.ParseInt(n, 10, 32)
		if err != nil {
			return fmt.Errorf("invalid duration %q: want Go syntax (720h) or whole days (30d)", s)
		}
		v = time.Duration(i) * 24 * time.Hour
	} else {
		var err error
		if v, err = time.ParseDuration(s); err != nil {
			return fmt.Errorf("invalid duration %q: want Go syntax (720h) or whole days (30d)", s)
		}
	}
	if v < 0 {
		return fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	*d = days(v)
	return nil
}

func (d *days) Type() string { return "duration" }
