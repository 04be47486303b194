package certcheck

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

const pemA = "-----BEGIN CERTIFICATE-----\nQUFBQQ==\n-----END CERTIFICATE-----\n"
const pemB = "-----BEGIN X509 CRL-----\nQkJCQg==\n-----END X509 CRL-----\n"

func TestScanPEM(t *testing.T) {
	cases := []struct {
		name     string
		data     string
		types    []string
		lines    []int
		problems []string // substrings, one per problem, in order
	}{
		{name: "one block", data: pemA, types: []string{"CERTIFICATE"}, lines: []int{1}},
		{name: "openssl bag attributes and subject lines are ignored",
			data:  "Bag Attributes\n    localKeyID: 01\nsubject=/CN=x\n" + pemA + "subject=/CN=y\nissuer=/CN=z\n" + pemB,
			types: []string{"CERTIFICATE", "X509 CRL"}, lines: []int{4, 9}},
		{name: "CRLF line endings", data: strings.ReplaceAll(pemA+pemB, "\n", "\r\n"),
			types: []string{"CERTIFICATE", "X509 CRL"}, lines: []int{1, 4}},
		{name: "trailing white space is fine", data: pemA + "\n\n \t\n", types: []string{"CERTIFICATE"}, lines: []int{1}},
		{name: "trailing text", data: pemA + "\n# comment\n", types: []string{"CERTIFICATE"}, lines: []int{1},
			problems: []string{"9 bytes of text after the last PEM block (from line 5)"}},
		{name: "BEGIN inside a line is text", data: "see -----BEGIN CERTIFICATE-----\n"},
		{name: "END type does not match", data: "-----BEGIN CERTIFICATE-----\nQUFBQQ==\n-----END PRIVATE KEY-----\n" + pemB,
			types: []string{"X509 CRL"}, lines: []int{4}, problems: []string{"the PEM block at line 1 does not decode"}},
		{name: "bad base64", data: "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
			problems: []string{"the PEM block at line 1 does not decode"}},
		{name: "unterminated block before a good one", data: "-----BEGIN CERTIFICATE-----\nQUFB\n" + pemB,
			types: []string{"X509 CRL"}, lines: []int{3}, problems: []string{"the PEM block at line 1 has no END line"}},
		{name: "unterminated last block", data: pemA + "-----BEGIN CERTIFICATE-----\nQUFB",
			types: []string{"CERTIFICATE"}, lines: []int{1}, problems: []string{"the PEM block at line 4 has no END line"}},
		{name: "no final newline", data: strings.TrimSuffix(pemA, "\n"), types: []string{"CERTIFICATE"}, lines: []int{1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			blocks, problems := scanPEM([]byte(tc.data))
			var types []string
			var lines []int
			for _, b := range blocks {
				types, lines = append(types, b.Type), append(lines, b.line)
			}
			g.Expect(types).To(Equal(tc.types))
			g.Expect(lines).To(Equal(tc.lines))
			g.Expect(problems).To(HaveLen(len(tc.problems)), "problems: %q", problems)
			for i, p := range tc.problems {
				g.Expect(problems[i]).To(ContainSubstring(p))
			}
		})
	}
}

func TestHuman(t *testing.T) {
	g := NewWithT(t)
	for d, want := range map[string]string{
		"30s": "30s", "59m59s": "59m", "1h": "1h0m", "25h": "1d1h", "48h": "2d", "-90m": "1h30m",
	} {
		dur, err := time.ParseDuration(d)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(human(dur)).To(Equal(want), d)
	}
}
