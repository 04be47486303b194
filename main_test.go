package main

import (
	"bytes"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestDispatch(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"version", []string{"version"}, 0, "wss-operator v", ""},
		{"version takes no arguments", []string{"version", "x"}, 2, "", "takes no arguments"},
		{"help lists subcommands", []string{"help"}, 0, "manager", ""},
		{"unknown subcommand", []string{"frobnicate"}, 2, "", `unknown subcommand "frobnicate"`},
		{"manager help", []string{"manager", "--help"}, 0, "--leader-elect", ""},
		{"manager bad flag", []string{"manager", "--no-such-flag"}, 2, "", "no-such-flag"},
		{"default is manager", []string{"--help"}, 0, "--metrics-bind-address", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			var stdout, stderr bytes.Buffer
			g.Expect(run(tc.args, &stdout, &stderr)).To(Equal(tc.code), "stderr: %s", stderr.String())
			g.Expect(stdout.String()).To(ContainSubstring(tc.stdout))
			g.Expect(stderr.String()).To(ContainSubstring(tc.stderr))
		})
	}
}

func TestEverySubcommandIsListedInHelp(t *testing.T) {
	g := NewWithT(t)
	var stdout bytes.Buffer
	g.Expect(run([]string{"help"}, &stdout, &stdout)).To(Equal(0))
	for _, sc := range subcommands {
		g.Expect(stdout.String()).To(ContainSubstring(sc.name))
		g.Expect(strings.TrimSpace(sc.summary)).NotTo(BeEmpty())
	}
}
