// Command wss-operator is one binary with several jobs: the controller
// manager (default), the TLS-terminating sidecar (proxy), and one-shot
// diagnosis tools (probe, inspect).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/wss-operator/wss-operator/internal/cmd/inspectcmd"
	"github.com/wss-operator/wss-operator/internal/cmd/managercmd"
	"github.com/wss-operator/wss-operator/internal/cmd/probecmd"
	"github.com/wss-operator/wss-operator/internal/cmd/proxycmd"
	"github.com/wss-operator/wss-operator/internal/version"
)

// A subcommand runs with its own arguments (the subcommand name removed) and
// returns the process exit code. Its context is cancelled on SIGINT/SIGTERM,
// for every subcommand: the manager stops, probe and inspect give up, and
// proxy starts its drain.
type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var subcommands = []subcommand{
	{"manager", "run the controller manager (the default)", managercmd.Run},
	{"probe", "one-shot live diagnosis of a wss:// or ws:// endpoint", probecmd.Run},
	{"inspect", "offline diagnosis of certificate/key/CA PEM files", inspectcmd.Run},
	{"proxy", "TLS-terminating sidecar in front of a plain WebSocket server", proxycmd.Run},
	{"version", "print the version and exit", runVersion},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	name := "manager"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		usage(stdout)
		return 0
	}
	for _, sc := range subcommands {
		if sc.name == name {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return sc.run(ctx, args, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "wss-operator: unknown subcommand %q\n\n", name)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: wss-operator [SUBCOMMAND] [FLAGS]")
	fmt.Fprintln(w, "\nSubcommands:")
	for _, sc := range subcommands {
		fmt.Fprintf(w, "  %-10s %s\n", sc.name, sc.summary)
	}
	fmt.Fprintln(w, "\nRun 'wss-operator SUBCOMMAND --help' for the flags of one.")
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "wss-operator version: takes no arguments, got %q\n", args)
		return 2
	}
	fmt.Fprintln(stdout, version.String())
	return 0
}
