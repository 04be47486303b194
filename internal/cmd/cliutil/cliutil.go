package cliutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"
)

// Exit codes of the diagnosis subcommands.
const (
	ExitHealthy   = 0
	ExitUnhealthy = 1
	ExitUsage     = 2
)

// Exit is the exit code of a verdict: ExitHealthy or ExitUnhealthy.
func Exit(healthy bool) int {
	if healthy {
		return ExitHealthy
	}
	return ExitUnhealthy
}

// NewFlagSet is the flag set of `wss-operator name`: parse errors are
// returned, never printed (Run.Parse prints them).
func NewFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// Run is one run of a subcommand: its name (as in `wss-operator NAME`) and
// where its output goes.
type Run struct {
	Name           string
	Stdout, Stderr io.Writer
}

// Usage is a subcommand's --help text around its flags.
type Usage struct {
	// Synopsis follows "Usage: " on the first line.
	Synopsis string
	// About says what the command does, after a blank line.
	About string
	// Exit says what the exit statuses mean, after the flags.
	Exit string
}

// Write prints u with the flags of fs.
func (u Usage) Write(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n\nFlags:\n%s\nExit status: %s\n", u.Synopsis, u.About, fs.FlagUsages(), u.Exit)
}

// Parse parses args into fs. With --help (-h) it prints usage to stdout,
// with a bad flag a usage error to stderr; either way done is true and code
// is the exit code. done is false when the command goes on.
func (r Run) Parse(fs *pflag.FlagSet, args []string, usage Usage) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, pflag.ErrHelp):
		usage.Write(r.Stdout, fs)
		return ExitHealthy, true
	}
	return r.UsageError(err), true
}

// UsageError prints err and where the usage is to stderr and returns
// ExitUsage.
func (r Run) UsageError(err error) int {
	fmt.Fprintf(r.Stderr, "wss-operator %s: %v\nRun 'wss-operator %s --help' for usage.\n", r.Name, err, r.Name)
	return ExitUsage
}

// Fail prints err to stderr as "wss-operator NAME: err" and returns 1: a
// subcommand that could not start or stopped on an error.
func (r Run) Fail(err error) int {
	fmt.Fprintf(r.Stderr, "wss-operator %s: %v\n", r.Name, err)
	return 1
}

// CheckOutput validates the value of --output.
func CheckOutput(format string) error {
	if format != "text" && format != "json" {
		return fmt.Errorf("--output %q: want text or json", format)
	}
	return nil
}

// Output writes the result to stdout: v as indented JSON when format is
// "json", else what text writes. A failed write is reported on stderr.
func (r Run) Output(format string, v any, text func(io.Writer) error) {
	var err error
	if format == "json" {
		enc := json.NewEncoder(r.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(v)
	} else {
		err = text(r.Stdout)
	}
	if err != nil {
		fmt.Fprintf(r.Stderr, "wss-operator %s: writing output: %v\n", r.Name, err)
	}
}

// ReadFile reads the file named by flag; errors name the flag and the file.
// The contents are never nil, so that an empty file reads as empty rather
// than as not given.
func ReadFile(flag, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if pe, ok := errors.AsType[*os.PathError](err); ok {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: cannot read %s: %w", flag, path, err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}
