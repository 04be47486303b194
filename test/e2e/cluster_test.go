//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	wssscheme "github.com/wss-operator/wss-operator/internal/scheme"
	"github.com/wss-operator/wss-operator/internal/testenv"
)

// node is what hack/node-e2e.sh tells the test about the running node.
type node struct {
	root       string // the repository
	kubeconfig string // admin kubeconfig of the node's API server
	kubectl    string
	helm       string
	ctrAddress string // containerd's socket
	apiPort    string // the API server's port on 127.0.0.1
	image      string // repository:tag of the operator image
	imageTar   string // the operator image (make image)
	echoTar    string // the echo backend's image
	c          client.Client
}

// env are the variables hack/node-e2e.sh sets.
var env = []string{
	"WSS_E2E_KUBECONFIG", "WSS_E2E_KUBECTL", "WSS_E2E_HELM", "WSS_E2E_CTR_ADDRESS", "WSS_E2E_API_PORT",
	"WSS_E2E_IMAGE", "WSS_E2E_IMAGE_TAR", "WSS_E2E_ECHO_IMAGE_TAR",
}

func newNode(t *testing.T) *node {
	t.Helper()
	var missing []string
	for _, v := range env {
		if os.Getenv(v) == "" {
			missing = append(missing, v)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("e2e: %s not set: run `make e2e` (as root on Linux), which builds the images and the node binaries, starts the node and sets them", strings.Join(missing, ", "))
	}
	// Everything this test dials is in the node's network namespace, which
	// has only lo: no packet can leave it, whatever a component resolves.
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifaces {
		if i.Name != "lo" {
			t.Fatalf("e2e: the test runs in a network namespace with interface %s; make e2e runs it in the node's, which has only lo", i.Name)
		}
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	n := &node{
		root: root, kubeconfig: os.Getenv("WSS_E2E_KUBECONFIG"), kubectl: os.Getenv("WSS_E2E_KUBECTL"),
		helm: os.Getenv("WSS_E2E_HELM"), ctrAddress: os.Getenv("WSS_E2E_CTR_ADDRESS"), apiPort: os.Getenv("WSS_E2E_API_PORT"),
		image: os.Getenv("WSS_E2E_IMAGE"), imageTar: os.Getenv("WSS_E2E_IMAGE_TAR"), echoTar: os.Getenv("WSS_E2E_ECHO_IMAGE_TAR"),
	}
	// API warnings (and cert-manager's client logs) go to stderr.
	ctrllog.SetLogger(zap.New(zap.WriteTo(os.Stderr)))
	cfg, err := clientcmd.BuildConfigFromFlags("", n.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if n.c, err = client.New(cfg, client.Options{Scheme: wssscheme.New()}); err != nil {
		t.Fatal(err)
	}
	return n
}

// run runs a command and returns its stdout; a failure ends the test with
// the command's output.
func run(ctx context.Context, t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := runErr(ctx, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runErr(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

func (n *node) k(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	return run(ctx, t, n.kubectl, append([]string{"--kubeconfig", n.kubeconfig}, args...)...)
}

// logs are a container's log lines with the runtime's timestamps.
func (n *node) logs(ctx context.Context, t *testing.T, ns, pod, container string) []string {
	t.Helper()
	out := n.k(ctx, t, "logs", "-n", ns, pod, "-c", container, "--timestamps")
	return strings.Split(strings.TrimSpace(out), "\n")
}

// firstLogTime is the timestamp of a container's first log line.
func (n *node) firstLogTime(ctx context.Context, t *testing.T, ns, pod, container string) time.Time {
	t.Helper()
	lines := n.logs(ctx, t, ns, pod, container)
	ts, _, _ := strings.Cut(lines[0], " ")
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		t.Fatalf("%s/%s: first log line %q has no timestamp: %v", pod, container, lines[0], err)
	}
	return at
}

// stages prints each stage of the test with its duration, and a summary.
type stages struct {
	start, last time.Time
	rows        []string
}

func newStages() *stages {
	now := time.Now()
	return &stages{start: now, last: now}
}

// done ends the stage that began when the previous one ended.
func (s *stages) done(name string) time.Duration {
	now := time.Now()
	d := now.Sub(s.last)
	row := fmt.Sprintf("%-62s %7.1fs   (at %6.1fs)", name, d.Seconds(), now.Sub(s.start).Seconds())
	fmt.Println("e2e: " + row)
	s.rows = append(s.rows, row)
	s.last = now
	return d
}

// since marks a measurement inside the current stage, from t0.
func (s *stages) since(name string, t0 time.Time) {
	row := fmt.Sprintf("  %-60s %7.1fs", name, time.Since(t0).Seconds())
	fmt.Println("e2e: " + row)
	s.rows = append(s.rows, row)
}

func (s *stages) summary() {
	fmt.Printf("e2e: stages (total %.1fs):\n", time.Since(s.start).Seconds())
	for _, r := range s.rows {
		fmt.Println("  " + r)
	}
	if p := os.Getenv("WSS_E2E_TIMINGS"); p != "" {
		_ = os.WriteFile(p, []byte(strings.Join(s.rows, "\n")+"\n"), 0o644)
	}
}
