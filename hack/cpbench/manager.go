package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/wss-operator/wss-operator/controllers"
	wssscheme "github.com/wss-operator/wss-operator/internal/scheme"
)

// runManager is the child process: the real controller with either the
// shipped cache settings or naive ones, its prober routed to the stand-in
// sidecars on loopback.
func runManager(ctx context.Context, o options) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return err
	}
	// As `wss-operator manager` gets it from ctrl.GetConfig: no client-side
	// rate limit, API Priority and Fairness on the server decides.
	cfg.QPS = -1
	ctrl.SetLogger(logr.Discard())
	opts := ctrl.Options{Scheme: wssscheme.New(), HealthProbeBindAddress: "0", Metrics: metricsserver.Options{
		BindAddress:   o.metrics,
		ExtraHandlers: map[string]http.Handler{"/debug/pprof/heap": pprof.Handler("heap")},
	}}
	switch o.cacheMode {
	case "optimized":
		opts.Cache, opts.Client = controllers.CacheOptions(""), controllers.ClientOptions()
	case "naive":
		// What an operator gets without thinking about it: every object
		// cached whole, managedFields included, and every Secret's data.
		opts.Cache = cache.Options{}
	default:
		return fmt.Errorf("-cache must be optimized or naive, got %q", o.cacheMode)
	}
	mgr, err := ctrl.NewManager(cfg, opts)
	if err != nil {
		return err
	}
	fleet := o.fleet
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		ip := net.ParseIP(host)
		if !strings.HasSuffix(host, ".svc") && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("cpbench: refusing to dial %s (not a stand-in address)", addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, fleet)
	}
	resolve := func(_ context.Context, host string) ([]string, error) {
		if strings.HasSuffix(host, ".svc") {
			return []string{host}, nil
		}
		return nil, &net.DNSError{Err: "not a stand-in name", Name: host, IsNotFound: true}
	}
	if _, err := controllers.Setup(ctx, mgr, controllers.Options{
		SidecarImage: "ghcr.io/wss-operator/wss-operator:bench", Dial: dial, Resolver: resolve,
	}); err != nil {
		return err
	}
	if o.cacheMode == "naive" {
		// The controller itself reads Secrets directly; a naive operator
		// would have watched them whole. Make the cache hold them all.
		if _, err := mgr.GetCache().GetInformer(ctx, &corev1.Secret{}); err != nil {
			return err
		}
	}
	return mgr.Start(ctx)
}
