package inspectcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/spf13/pflag"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/internal/certtest"
)

// files are PEM files on disk for the CLI, written once.
type files struct {
	dir                              string
	chain, key, ca                   string // healthy set for app.example.com
	otherKey, expiring, expiringKey  string
	empty                            string
	encryptedKey, misordered, notPEM string
}

var getFiles = sync.OnceValue(func() files {
	dir, err := os.MkdirTemp("", "inspectcmd-test-")
	if err != nil {
		panic(err)
	}
	root := certtest.NewCA(certtest.Options{CommonName: "CLI Root"})
	ica := root.Issue(certtest.Options{CommonName: "CLI Intermediate", IsCA: true})
	leaf := ica.Issue(certtest.Options{Hosts: []string{"app.example.com", "127.0.0.1"}})
	soon := ica.Issue(certtest.Options{Hosts: []string{"app.example.com"}, NotAfter: time.Now().Add(48 * time.Hour)})
	other := ica.Issue(certtest.Options{})
	f := files{dir: dir}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			panic(err)
		}
		return p
	}
	f.chain = write("tls.crt", leaf.ChainPEM())
	f.key = write("tls.key", leaf.KeyPEM)
	f.ca = write("ca.crt", root.CertPEM)
	f.otherKey = write("other.key", other.KeyPEM)
	f.expiring = write("soon.crt", soon.ChainPEM())
	f.expiringKey = write("soon.key", soon.KeyPEM)
	f.empty = write("empty.pem", nil)
	f.encryptedKey = write("encrypted.key", leaf.PKCS8EncryptedKeyPEM("pw"))
	f.misordered = write("misordered.crt", certtest.PEMs(ica, leaf))
	f.notPEM = write("not.pem", []byte("hello\n"))
	return f
})

func TestMain(m *testing.M) {
	code := m.Run()
	if f := getFiles(); f.dir != "" {
		_ = os.RemoveAll(f.dir)
	}
	os.Exit(code)
}

func run(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRunExitCodesAndText(t *testing.T) {
	f := getFiles()
	cases := []struct {
		name      string
		args      []string
		code      int
		firstLine string   // prefix of stdout's first line
		stdout    []string // substrings of stdout
		stderr    []string // substrings of stderr
	}{
		{name: "healthy", args: []string{"--cert", f.chain, "--key", f.key, "--ca", f.ca, "--host", "app.example.com", "--host", "127.0.0.1"},
			code: ExitHealthy, firstLine: "OK", stdout: []string{"subject:     CN=app.example.com", "ipAddresses: 127.0.0.1", "2 certificates in the file", "Findings: none"}},
		{name: "warning only is still exit 0", args: []string{"--cert", f.expiring, "--key", f.expiringKey, "--ca", f.ca, "--warn-within", "3d"},
			code: ExitHealthy, firstLine: "OK", stdout: []string{"Warning ExpiringSoon: " + f.expiring + ": the leaf", "fix: renew before notAfter"}},
		{name: "key mismatch", args: []string{"--cert", f.chain, "--key", f.otherKey, "--ca", f.ca},
			code: ExitUnhealthy, firstLine: "FAIL KeyMismatch: " + f.otherKey + " does not belong to " + f.chain,
			stdout: []string{"Error   KeyMismatch:", "fix: tls.key does not belong to tls.crt, re-export the pair"}},
		{name: "several findings, hosts comma-separated", args: []string{"--cert", f.misordered, "--ca", f.ca, "--host", "a.example.org,app.example.com"},
			code: ExitUnhealthy, firstLine: "FAIL ChainMisordered: ",
			stdout: []string{"Findings (2):", `does not cover "a.example.org"`, "fix: order tls.crt as the leaf"}},
		{name: "encrypted key", args: []string{"--key", f.encryptedKey, "--cert", f.chain, "--ca", f.ca},
			code: ExitUnhealthy, firstLine: "FAIL EncryptedPrivateKey: " + f.encryptedKey, stdout: []string{"openssl pkey -in key.pem -out key-clear.pem"}},
		{name: "empty cert file is MissingData", args: []string{"--cert", f.empty},
			code: ExitUnhealthy, firstLine: "FAIL MissingData: " + f.empty + " is missing or empty"},
		{name: "empty key file is MissingData", args: []string{"--cert", f.chain, "--ca", f.ca, "--key", f.empty},
			code: ExitUnhealthy, firstLine: "FAIL MissingData: " + f.empty},
		{name: "not PEM", args: []string{"--cert", f.notPEM}, code: ExitUnhealthy, firstLine: "FAIL MalformedPEM: " + f.notPEM + " is not PEM"},
		{name: "without --ca the system trust store is used", args: []string{"--cert", f.chain},
			code: ExitUnhealthy, firstLine: "FAIL ChainIncomplete: ", stdout: []string{"the system trust store"}},

		{name: "client CA only: healthy", args: []string{"--client-ca", f.ca}, code: ExitHealthy, firstLine: "OK", stdout: []string{"Findings: none"}},
		{name: "client CA holding a leaf", args: []string{"--client-ca", f.chain},
			code: ExitUnhealthy, firstLine: "FAIL ClientCAInvalid: " + f.chain + ": 1 of its 2 certificates is not a CA",
			stdout: []string{"fix: put the PEM certificates of the CAs that issue client certificates"}},
		{name: "client CA empty, beside a healthy chain", args: []string{"--cert", f.chain, "--ca", f.ca, "--client-ca", f.empty},
			code: ExitUnhealthy, firstLine: "FAIL ClientCAInvalid: " + f.empty + " is missing or empty", stdout: []string{"2 certificates in the file", "Findings (1):"}},
		{name: "usage: unreadable client CA", args: []string{"--client-ca", filepath.Join(f.dir, "nope-client.crt")},
			code: ExitUsage, stderr: []string{"--client-ca: cannot read " + filepath.Join(f.dir, "nope-client.crt")}},
		{name: "usage: --key without --cert", args: []string{"--client-ca", f.ca, "--key", f.key}, code: ExitUsage,
			stderr: []string{"--key, --ca and --host need --cert FILE"}},
		{name: "usage: no flags", args: nil, code: ExitUsage, stderr: []string{"missing --cert FILE", "wss-operator inspect --help"}},
		{name: "usage: --cert without value", args: []string{"--cert"}, code: ExitUsage, stderr: []string{"--cert"}},
		{name: "usage: unreadable cert names the file", args: []string{"--cert", filepath.Join(f.dir, "nope.crt")},
			code: ExitUsage, stderr: []string{"--cert: cannot read " + filepath.Join(f.dir, "nope.crt") + ": no such file or directory"}},
		{name: "usage: unreadable key names the file", args: []string{"--cert", f.chain, "--key", filepath.Join(f.dir, "nope.key")},
			code: ExitUsage, stderr: []string{"--key: cannot read " + filepath.Join(f.dir, "nope.key")}},
		{name: "usage: unreadable CA names the file", args: []string{"--cert", f.chain, "--ca", filepath.Join(f.dir, "nope-ca.crt")},
			code: ExitUsage, stderr: []string{"--ca: cannot read " + filepath.Join(f.dir, "nope-ca.crt")}},
		{name: "usage: directory as cert", args: []string{"--cert", f.dir}, code: ExitUsage, stderr: []string{"--cert: cannot read " + f.dir}},
		{name: "usage: bad --output", args: []string{"--cert", f.chain, "--output", "yaml"}, code: ExitUsage, stderr: []string{`--output "yaml": want text or json`}},
		{name: "usage: bad --warn-within", args: []string{"--cert", f.chain, "--warn-within", "soon"}, code: ExitUsage,
			stderr: []string{`invalid argument "soon" for "--warn-within"`}},
		{name: "usage: negative --warn-within", args: []string{"--cert", f.chain, "--warn-within=-1h"}, code: ExitUsage,
			stderr: []string{"must not be negative"}},
		{name: "usage: empty --host", args: []string{"--cert", f.chain, "--host", ""}, code: ExitUsage, stderr: []string{`--host "": empty host name`}},
		{name: "usage: unknown flag", args: []string{"--cert", f.chain, "--insecure"}, code: ExitUsage, stderr: []string{"unknown flag: --insecure"}},
		{name: "usage: positional argument, even before flags", args: []string{f.chain, "--ca", f.ca}, code: ExitUsage,
			stderr: []string{`unexpected argument "` + f.chain + `"`, "did you mean --cert"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			code, stdout, stderr := run(tc.args...)
			g.Expect(code).To(Equal(tc.code), "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			if tc.code == ExitUsage {
				g.Expect(stdout).To(BeEmpty())
			} else {
				g.Expect(stderr).To(BeEmpty())
				g.Expect(strings.SplitN(stdout, "\n", 2)[0]).To(HavePrefix(tc.firstLine))
			}
			for _, s := range tc.stdout {
				g.Expect(stdout).To(ContainSubstring(s))
			}
			for _, s := range tc.stderr {
				g.Expect(stderr).To(ContainSubstring(s))
			}
		})
	}
}

func TestRunJSON(t *testing.T) {
	f := getFiles()
	cases := []struct {
		name    string
		args    []string
		code    int
		healthy bool
		reasons []string
	}{
		{name: "healthy", args: []string{"--cert", f.chain, "--key", f.key, "--ca", f.ca, "--output", "json"}, code: ExitHealthy, healthy: true},
		{name: "unhealthy", args: []string{"--output=json", "--cert", f.chain, "--key", f.otherKey, "--ca", f.ca, "--host", "x.example.org"},
			code: ExitUnhealthy, reasons: []string{wssv1.ReasonKeyMismatch, wssv1.ReasonHostnameNotCovered}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			code, stdout, stderr := run(tc.args...)
			g.Expect(code).To(Equal(tc.code), stderr)
			var m map[string]any
			g.Expect(json.Unmarshal([]byte(stdout), &m)).To(Succeed(), stdout)
			g.Expect(m).To(HaveLen(3))
			g.Expect(m).To(HaveKeyWithValue("healthy", tc.healthy))
			g.Expect(m["certificate"]).To(SatisfyAll(HaveKeyWithValue("subject", "CN=app.example.com"), HaveKey("issuer"),
				HaveKey("notBefore"), HaveKey("notAfter"), HaveKey("sha256"), HaveKeyWithValue("dnsNames", ContainElement("app.example.com"))))
			findings, ok := m["findings"].([]any)
			g.Expect(ok).To(BeTrue(), "findings must be a list, got %T", m["findings"])
			g.Expect(findings).To(HaveLen(len(tc.reasons)))
			for i, x := range findings {
				g.Expect(x).To(HaveLen(3))
				g.Expect(x).To(HaveKeyWithValue("reason", tc.reasons[i]))
				g.Expect(x).To(HaveKeyWithValue("severity", "Error"))
				g.Expect(x).To(HaveKeyWithValue("message", Not(BeEmpty())))
			}
		})
	}
	t.Run("no certificate key when nothing parsed", func(t *testing.T) {
		g := NewWithT(t)
		code, stdout, _ := run("--cert", f.notPEM, "--output", "json")
		g.Expect(code).To(Equal(ExitUnhealthy))
		var m map[string]any
		g.Expect(json.Unmarshal([]byte(stdout), &m)).To(Succeed())
		g.Expect(m).NotTo(HaveKey("certificate"))
	})
}

// Flags are accepted in any order and in both --flag value and --flag=value form.
func TestRunFlagOrder(t *testing.T) {
	g := NewWithT(t)
	f := getFiles()
	orders := [][]string{
		{"--cert", f.chain, "--key", f.key, "--ca", f.ca, "--host", "app.example.com", "--output", "json", "--warn-within", "1d"},
		{"--output=json", "--host=app.example.com", "--warn-within=24h", "--ca=" + f.ca, "--key=" + f.key, "--cert=" + f.chain},
		{"--warn-within", "24h0m0s", "--ca", f.ca, "--output", "json", "--cert", f.chain, "--host", "app.example.com", "--key", f.key},
	}
	var first string
	for i, args := range orders {
		code, stdout, stderr := run(args...)
		g.Expect(code).To(Equal(ExitHealthy), stderr)
		if i == 0 {
			first = stdout
			continue
		}
		g.Expect(stdout).To(Equal(first))
	}
}

func TestHelpListsEveryFlag(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		t.Run(arg, func(t *testing.T) {
			g := NewWithT(t)
			code, stdout, stderr := run("--cert", "whatever", arg)
			g.Expect(code).To(Equal(ExitHealthy))
			g.Expect(stderr).To(BeEmpty())
			g.Expect(stdout).To(HavePrefix("Usage: wss-operator inspect --cert FILE"))
			var f flags
			n := 0
			newFlagSet(&f).VisitAll(func(fl *pflag.Flag) {
				n++
				g.Expect(stdout).To(ContainSubstring("--"+fl.Name), fl.Name)
				g.Expect(stdout).To(ContainSubstring(strings.SplitN(fl.Usage, "`", 2)[0]), fl.Name)
			})
			g.Expect(n).To(Equal(7))
			g.Expect(stdout).To(ContainSubstring("(default 14d)"))
			g.Expect(stdout).To(ContainSubstring("Exit status: 0"))
		})
	}
}

func TestDaysFlag(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		str  string
		err  bool
	}{
		{in: "30d", want: 30 * 24 * time.Hour, str: "30d"},
		{in: "0", want: 0, str: "0s"},
		{in: "90m", want: 90 * time.Minute, str: "1h30m0s"},
		{in: "48h", want: 48 * time.Hour, str: "2d"},
		{in: "1.5d", err: true},
		{in: "d", err: true},
		{in: "-2d", err: true},
		{in: "tomorrow", err: true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			g := NewWithT(t)
			var d days
			err := d.Set(tc.in)
			if tc.err {
				g.Expect(err).To(HaveOccurred())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(time.Duration(d)).To(Equal(tc.want))
			g.Expect(d.String()).To(Equal(tc.str))
		})
	}
}
