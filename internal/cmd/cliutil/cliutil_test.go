package cliutil

import (
	"bytes"
	"errors"
	"testing"

	. "github.com/onsi/gomega"
)

// TestRunMessages pins what every subcommand prints on a usage error and on
// a failure, and the exit codes.
func TestRunMessages(t *testing.T) {
	g := NewWithT(t)
	var stdout, stderr bytes.Buffer
	r := Run{Name: "proxy", Stdout: &stdout, Stderr: &stderr}

	g.Expect(r.UsageError(errors.New("--listen: missing port"))).To(Equal(ExitUsage))
	g.Expect(stderr.String()).To(Equal("wss-operator proxy: --listen: missing port\nRun 'wss-operator proxy --help' for usage.\n"))

	stderr.Reset()
	g.Expect(r.Fail(errors.New("listen tcp :8443: address already in use"))).To(Equal(1))
	g.Expect(stderr.String()).To(Equal("wss-operator proxy: listen tcp :8443: address already in use\n"))
	g.Expect(stdout.String()).To(BeEmpty())

	fs := NewFlagSet("proxy")
	fs.String("listen", "", "TLS listener")
	code, done := r.Parse(fs, []string{"--help"}, Usage{Synopsis: "wss-operator proxy [FLAGS]", About: "TLS sidecar", Exit: "0 ok"})
	g.Expect(done).To(BeTrue())
	g.Expect(code).To(Equal(ExitHealthy))
	g.Expect(stdout.String()).To(ContainSubstring("Usage: wss-operator proxy [FLAGS]"))
	g.Expect(stdout.String()).To(ContainSubstring("--listen"))

	code, done = r.Parse(fs, []string{"--no-such-flag"}, Usage{})
	g.Expect(done).To(BeTrue())
	g.Expect(code).To(Equal(ExitUsage))
	_, done = r.Parse(NewFlagSet("proxy"), nil, Usage{})
	g.Expect(done).To(BeFalse())
}
