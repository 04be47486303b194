package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	wssscheme "github.com/wss-operator/wss-operator/internal/scheme"
)

// Options configure Start.
type Options struct {
	// CertManager runs cert-manager's controllers in this process (leave it
	// false for API-only tests).
	CertManager bool
	// ExtraCRDPaths are installed besides ours and cert-manager's.
	ExtraCRDPaths []string
	// ClusterResourceNamespace is where ClusterIssuers keep their Secrets.
	// Defaults to "cert-manager"; it is created.
	ClusterResourceNamespace string
	// Verbose sends cert-manager's and the API server's logs to stderr.
	// Defaults to $WSS_TEST_VERBOSE != "".
	Verbose bool
}

// Env is a running control plane.
type Env struct {
	// Config reaches the API server as an admin.
	Config *rest.Config
	// Client is an uncached client with the project's scheme.
	Client client.Client
	// Scheme has the built-in, WSSEndpoint and cert-manager types.
	Scheme *runtime.Scheme
	// KubeconfigPath is a kubeconfig file for the API server, for kubectl
	// and for cert-manager's context factory.
	KubeconfigPath string
	// Root is the repository root.
	Root string
	// BinDir holds the kube-apiserver, etcd and kubectl binaries.
	BinDir string

	env        *envtest.Environment
	dir        string
	cancel     context.CancelFunc
	certMgrErr chan error
}

// Start starts kube-apiserver and etcd with our CRDs and cert-manager's, and
// (with opts.CertManager) cert-manager's controllers. Stop it with Stop.
func Start(ctx context.Context, opts Options) (*Env, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	assets, err := BinaryAssets(root)
	if err != nil {
		return nil, err
	}
	cmCRDs, err := CertManagerCRDs(root)
	if err != nil {
		return nil, err
	}
	if opts.ClusterResourceNamespace == "" {
		opts.ClusterResourceNamespace = "cert-manager"
	}
	if os.Getenv("WSS_TEST_VERBOSE") != "" {
		opts.Verbose = true
	}

	scheme := wssscheme.New()
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     append([]string{filepath.Join(root, "config", "crd", "bases"), cmCRDs}, opts.ExtraCRDPaths...),
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme,
	}
	if opts.Verbose {
		env.AttachControlPlaneOutput = true
	}
	// envtest's default Service range is a /24: 256 Services. The benchmark
	// runs 1,000 endpoints, each with a Service; nothing ever dials these IPs.
	env.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", "10.0.0.0/16")
	cfg, err := env.Start()
	if err != nil {
		// envtest leaves etcd and kube-apiserver running when a later step
		// of its Start (installing CRDs) fails.
		_ = env.Stop()
		return nil, fmt.Errorf("testenv: starting kube-apiserver and etcd from %s: %w", assets, err)
	}
	e := &Env{Config: cfg, Scheme: scheme, Root: root, BinDir: assets, env: env}
	ok := false
	defer func() {
		if !ok {
			_ = e.Stop()
		}
	}()

	if e.Client, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return nil, fmt.Errorf("testenv: client: %w", err)
	}
	if e.dir, err = os.MkdirTemp("", "wss-testenv-"); err != nil {
		return nil, err
	}
	e.KubeconfigPath = filepath.Join(e.dir, "kubeconfig")
	if err := os.WriteFile(e.KubeconfigPath, env.KubeConfig, 0o600); err != nil {
		return nil, fmt.Errorf("testenv: writing kubeconfig: %w", err)
	}
	if err := e.EnsureNamespace(ctx, opts.ClusterResourceNamespace); err != nil {
		return nil, err
	}

	if opts.CertManager {
		runCtx, cancel := context.WithCancel(context.Background())
		e.cancel = cancel
		e.certMgrErr = make(chan error, 1)
		started := make(chan error, 1)
		go func() {
			e.certMgrErr <- runCertManager(runCtx, CertManagerOptions{
				Kubeconfig:               e.KubeconfigPath,
				ClusterResourceNamespace: opts.ClusterResourceNamespace,
				Verbose:                  opts.Verbose,
			}, started)
		}()
		select {
		case err := <-started:
			if err != nil {
				return nil, err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ok = true
	return e, nil
}

// EnsureNamespace creates namespace name unless it exists.
func (e *Env) EnsureNamespace(ctx context.Context, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := e.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("testenv: creating namespace %s: %w", name, err)
	}
	return nil
}

// Stop stops cert-manager's controllers, then the API server and etcd.
func (e *Env) Stop() error {
	var errs []error
	if e.cancel != nil {
		e.cancel()
		select {
		case err := <-e.certMgrErr:
			if err != nil && !errors.Is(err, context.Canceled) {
				errs = append(errs, fmt.Errorf("cert-manager controllers: %w", err))
			}
		case <-time.After(30 * time.Second):
			errs = append(errs, errors.New("cert-manager controllers did not stop within 30s"))
		}
	}
	if e.env != nil {
		if err := e.env.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
	return errors.Join(errs...)
}

// UserConfig returns a configuration that authenticates to the API server
// as user name in groups (not system:masters): it may do only what RBAC
// grants it, so a test run under it fails on a missing rule.
func (e *Env) UserConfig(name string, groups ...string) (*rest.Config, error) {
	u, err := e.env.AddUser(envtest.User{Name: name, Groups: groups}, e.Config)
	if err != nil {
		return nil, fmt.Errorf("testenv: adding user %s: %w", name, err)
	}
	return u.Config(), nil
}

// StartForTest starts the control plane for one test, with a context that
// ends after timeout; the control plane stops when the test ends (a failure
// to start or stop fails the test).
func StartForTest(t testing.TB, timeout time.Duration, opts Options) (context.Context, *Env) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	env, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("starting the test control plane: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping the test control plane: %v", err)
		}
	})
	return ctx, env
}
