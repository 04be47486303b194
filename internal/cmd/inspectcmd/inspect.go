package inspectcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/wss-operator/wss-operator/internal/certcheck"
	"github.com/wss-operator/wss-operator/internal/cmd/cliutil"
)

// Exit codes of `wss-operator inspect`, those of every diagnosis subcommand.
const (
	ExitHealthy   = cliutil.ExitHealthy
	ExitUnhealthy = cliutil.ExitUnhealthy
	ExitUsage     = cliutil.ExitUsage
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
	fs := cliutil.NewFlagSet("inspect")
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

var usage = cliutil.Usage{
	Synopsis: "wss-operator inspect --cert FILE [--key FILE] [--ca FILE] [--client-ca FILE] [--host NAME]... [--warn-within DURATION] [--output text|json]",
	About: "Offline diagnosis of certificate, key and CA PEM files, before anything serves them:\n" +
		"malformed or missing PEM, encrypted or mismatched key, incomplete or misordered chain,\n" +
		"validity, host names, key strength and signature algorithms.",
	Exit: "0 no error finding (warnings allowed), 1 at least one error finding, 2 usage error.",
}

// Run is `wss-operator inspect`.
func Run(_ context.Context, args []string, stdout, stderr io.Writer) int {
	run := cliutil.Run{Name: "inspect", Stdout: stdout, Stderr: stderr}
	var f flags
	fs := newFlagSet(&f)
	if code, done := run.Parse(fs, args, usage); done {
		return code
	}
	in, err := input(&f, fs.Args())
	if err != nil {
		return run.UsageError(err)
	}
	var clientCA []byte
	if f.clientCA != "" {
		if clientCA, err = cliutil.ReadFile("--client-ca", f.clientCA); err != nil {
			return run.UsageError(err)
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
	run.Output(f.output, r, func(w io.Writer) error { return writeText(w, f.cert, r) })
	return cliutil.Exit(r.Healthy)
}

func severityOrder(s certcheck.Severity) int {
	if s == certcheck.SeverityError {
		return 0
	}
	return 1
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
	}
	if err := cliutil.CheckOutput(f.output); err != nil {
		return in, err
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
		if in.Cert, err = cliutil.ReadFile("--cert", f.cert); err != nil {
			return in, err
		}
		in.CertName = f.cert
	}
	if f.key != "" {
		if in.Key, err = cliutil.ReadFile("--key", f.key); err != nil {
			return in, err
		}
		in.KeyName = f.key
	}
	if f.ca != "" {
		if in.CA, err = cliutil.ReadFile("--ca", f.ca); err != nil {
			return in, err
		}
		in.CAName = f.ca
	}
	return in, nil
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
