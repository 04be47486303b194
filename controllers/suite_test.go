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
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/wss-operator/wss-operator/controllers"
	"github.com/wss-operator/wss-operator/internal/proxy"
	"github.com/wss-operator/wss-operator/internal/testenv"
)

var (
	env    *testenv.Env
	net0   = testenv.NewLoopbackNet()
	faults *faultInjector
)

// managerUser is the identity the manager runs as in these tests.
const managerUser = "system:serviceaccount:wss-operator-system:wss-operator-controller-manager"

// managerConfig binds config/rbac/role.yaml, and nothing else, to
// managerUser and returns a configuration that authenticates as it.
func managerConfig(ctx context.Context) (*rest.Config, error) {
	if _, err := testenv.ApplyFile(ctx, env.Client, filepath.Join(env.Root, "config", "rbac", "role.yaml"), ""); err != nil {
		return nil, fmt.Errorf("applying config/rbac/role.yaml: %w", err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "wss-operator-manager-test"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "wss-operator-manager"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: managerUser}},
	}
	if err := env.Client.Create(ctx, binding); err != nil {
		return nil, err
	}
	return env.UserConfig(managerUser, "system:authenticated")
}

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
	// The manager runs as a user that has only the ClusterRole in
	// config/rbac/role.yaml, so a missing RBAC rule fails the tests, and
	// through clients that inject faults (faults_test.go).
	cfg, err := managerConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	faults = newFaultInjector(env.Scheme)
	mgr, err := controllers.NewManager(cfg, controllers.ManagerOptions{
		Scheme: env.Scheme,
		NewClient: func(config *rest.Config, options client.Options) (client.Client, error) {
			c, err := client.New(config, options)
			if err != nil {
				return nil, err
			}
			return faults.wrap(c), nil
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := controllers.Setup(ctx, mgr, controllers.Options{
		SidecarImage:   "ghcr.io/wss-operator/wss-operator:test",
		APIReader:      faults.wrapReader(mgr.GetAPIReader(), "read"),
		MetadataReader: faults.wrapReader(mgr.GetCache(), "get"),
		Dial:           net0.Dial,
		Resolver:       net0.Resolve,
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
	return startProxy(t, secret, proxy.Config{Backend: backend})
}

// runProxyWith runs the real sidecar with its configuration changed by edit.
func runProxyWith(t *testing.T, secret *corev1.Secret, backend string, edit func(*proxy.Config)) *proxy.Proxy {
	t.Helper()
	c := proxy.Config{Backend: backend}
	edit(&c)
	return startProxy(t, secret, c)
}

func startProxy(t *testing.T, secret *corev1.Secret, c proxy.Config) *proxy.Proxy {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey} {
		if err := os.WriteFile(filepath.Join(dir, k), secret.Data[k], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c.Listen, c.CertDir, c.AdminListen = "127.0.0.1:0", dir, "127.0.0.1:0"
	c.DrainTimeout, c.ReloadInterval = 2*time.Second, time.Second
	p, err := proxy.New(c)
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
