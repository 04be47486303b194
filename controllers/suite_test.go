package controllers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/wss-operator/wss-operator/controllers"
	"github.com/wss-operator/wss-operator/internal/proxy"
	"github.com/wss-operator/wss-operator/internal/testenv"
)

var (
	env  *testenv.Env
	net0 = testenv.NewLoopbackNet()
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var err error
	env, err = testenv.Start(ctx, testenv.Options{CertManager: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	if os.Getenv("WSS_TEST_VERBOSE") != "" {
		ctrl.SetLogger(zap.New(zap.UseDevMode(true)))
	}
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:  env.Scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
		Cache:   controllers.CacheOptions(""),
		Client:  controllers.ClientOptions(),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := controllers.Setup(ctx, mgr, controllers.Options{
		SidecarImage: "ghcr.io/wss-operator/wss-operator:test",
		Dial:         net0.Dial,
		Resolver:     net0.Resolve,
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
	}
	return code
}

// startEcho starts a real WebSocket echo backend on /ws (addr "" for any port).
func startEcho(t *testing.T, addr string) *testenv.EchoServer {
	t.Helper()
	e, err := testenv.StartEcho(addr, "/ws")
	if err != nil {
		t.Fatalf("echo backend: %v", err)
	}
	t.Cleanup(e.Stop)
	return e
}

// runProxy runs the real sidecar (internal/proxy) on loopback with the given
// Secret's files, as the kubelet would mount them, in front of backend.
func runProxy(t *testing.T, secret *corev1.Secret, backend string) *proxy.Proxy {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey} {
		if err := os.WriteFile(filepath.Join(dir, k), secret.Data[k], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p, err := proxy.New(proxy.Config{
		Listen: "127.0.0.1:0", Backend: backend, CertDir: dir, AdminListen: "127.0.0.1:0",
		DrainTimeout: 2 * time.Second, ReloadInterval: time.Second,
	})
	if err != nil {
		t.Fatalf("starting the proxy: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

func getSecret(g Gomega, ctx context.Context, ns, name string) *corev1.Secret {
	s := &corev1.Secret{}
	g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, s)).To(Succeed())
	return s
}
