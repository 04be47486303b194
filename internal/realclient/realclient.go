// Package realclient drives the real clients that are not Go — headless
// Chromium, Node's ws, OpenSSL, curl, sslscan — for the tests
// (test/realclients) and the benchmark (bench/realclients): each runs in a
// process group of its own that is killed afterwards, and the scripted
// ones print one line "RESULT {json}".
package realclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"time"
)

// Process is one client run.
type Process struct {
	// Timeout bounds the run; the whole group is killed when it overruns.
	Timeout time.Duration
	// Env is added to this process's environment.
	Env []string
	// Stdin is the client's standard input (none when nil).
	Stdin io.Reader
	// Pin prefixes the command (e.g. taskset -c 0).
	Pin []string
}

// Run runs name with args in its own process group and returns its
// combined output. The group (Chromium's zygote and renderers included) is
// killed after the client exits or overruns, so no helper outlives it. A
// helper that keeps the output pipe open does not hold it up.
func (p Process) Run(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	argv := append(append(append([]string{}, p.Pin...), name), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdin = p.Stdin
	cmd.Env = append(os.Environ(), p.Env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 3 * time.Second
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		return "", err
	}
	err := cmd.Wait()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%s did not finish within %s", filepath.Base(name), p.Timeout)
	}
	return out.String(), err
}

// ChromiumArgs are headless Chromium's arguments to load url with a fresh
// profile in profileDir, trusting the certificate whose public key hashes
// to spki (SPKIHash), and print the DOM once the page has loaded.
func ChromiumArgs(profileDir, spki, url string) []string {
	return []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + profileDir,
		"--ignore-certificate-errors-spki-list=" + spki,
		"--dump-dom", url,
	}
}

// SPKIHash is the base64 SHA-256 of the leaf's public key, as Chromium's
// --ignore-certificate-errors-spki-list wants it.
func SPKIHash(leaf *x509.Certificate) string {
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// NPMDir is where `make test-deps-clients` installs ws (WSS_NPM_DIR
// overrides it).
func NPMDir() string {
	if d := os.Getenv("WSS_NPM_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "wss-operator", "npm")
}

var resultLine = regexp.MustCompile(`RESULT (\{[^<\n]*\})`)

// ParseResult decodes the "RESULT {json}" line of a client's output into
// v. Chromium's --dump-dom escapes the JSON's quotes; they are unescaped.
func ParseResult(out string, v any) error {
	m := resultLine.FindStringSubmatch(out)
	if m == nil {
		return fmt.Errorf("no RESULT in the output: %s", Tail(out, 600))
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), v); err != nil {
		return fmt.Errorf("RESULT %s: %w", m[1], err)
	}
	return nil
}

// Tail is the last n bytes of s, marked when cut.
func Tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
