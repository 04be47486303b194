// Command cpmanager is the manager cpbench measures: the real controller
// (controllers.Setup) with the shipped cache settings or naive ones, its
// prober routed to cpbench's stand-in sidecars on loopback, and a count of
// its API requests by verb and resource on /metrics
// (cpbench_manager_requests_total). It is its own binary, apart from
// cpbench (which links cert-manager's controllers), so that its RSS is that
// of a manager.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/wss-operator/wss-operator/controllers"
)

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "manager-kubeconfig", "", "kubeconfig of the API server")
	flag.StringVar(&o.fleet, "fleet", "", "loopback address of the stand-in sidecars")
	flag.StringVar(&o.cacheMode, "cache", "optimized", "optimized or naive cache settings")
	flag.StringVar(&o.metrics, "metrics", "", "metrics bind address")
	flag.IntVar(&o.maxConcurrent, "max-concurrent-reconciles", 0, "WSSEndpoints reconciled in parallel (0: the manager's default, as --max-concurrent-reconciles)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "cpmanager:", err)
		os.Exit(1)
	}
}

type options struct {
	kubeconfig, fleet, cacheMode, metrics string
	maxConcurrent                         int
}

// run starts the manager and blocks until ctx ends.
func run(ctx context.Context, o options) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return err
	}
	// As `wss-operator manager` gets it from ctrl.GetConfig: no client-side
	// rate limit, API Priority and Fairness on the server decides.
	cfg.QPS = -1
	cfg.Wrap(countRequests)
	ctrl.SetLogger(logr.Discard())
	mo := controllers.ManagerOptions{
		MetricsAddr:          o.metrics,
		MetricsExtraHandlers: map[string]http.Handler{"/debug/pprof/heap": pprof.Handler("heap")},
	}
	switch o.cacheMode {
	case "optimized":
	case "naive":
		// What an operator gets without thinking about it: every object
		// cached whole, managedFields included, and every Secret's data.
		mo.Cache = &cache.Options{}
	default:
		return fmt.Errorf("-cache must be optimized or naive, got %q", o.cacheMode)
	}
	mgr, err := controllers.NewManager(cfg, mo)
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
		MaxConcurrentReconciles: o.maxConcurrent,
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

// managerRequests counts the manager's API requests by verb, resource and
// subresource. It is registered in the manager's metrics registry.
var managerRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "cpbench_manager_requests_total",
	Help: "API requests the manager sent, by verb, resource and subresource.",
}, []string{"verb", "resource", "subresource"})

var registerOnce sync.Once

// countRequests wraps the manager's transport.
func countRequests(rt http.RoundTripper) http.RoundTripper {
	registerOnce.Do(func() { metrics.Registry.MustRegister(managerRequests) })
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		verb, resource, sub := classify(req)
		managerRequests.WithLabelValues(verb, resource, sub).Inc()
		return rt.RoundTrip(req)
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// classify names a request the way the API server's request info does:
// verb (get, list, watch, create, update, patch, apply, delete), resource
// and subresource.
func classify(req *http.Request) (verb, resource, sub string) {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	// /api/v1/... or /apis/group/version/...
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		parts = parts[3:]
	default:
		return strings.ToLower(req.Method), "nonresource", ""
	}
	if len(parts) >= 2 && parts[0] == "namespaces" && len(parts) > 2 {
		parts = parts[2:]
	}
	name := ""
	if len(parts) > 0 {
		resource = parts[0]
	}
	if len(parts) > 1 {
		name = parts[1]
	}
	if len(parts) > 2 {
		sub = parts[2]
	}
	switch req.Method {
	case http.MethodGet:
		switch {
		case req.URL.Query().Get("watch") == "true" || req.URL.Query().Get("watch") == "1":
			verb = "watch"
		case name == "":
			verb = "list"
		default:
			verb = "get"
		}
	case http.MethodPost:
		verb = "create"
	case http.MethodPut:
		verb = "update"
	case http.MethodPatch:
		verb = "patch"
		if strings.HasPrefix(req.Header.Get("Content-Type"), "application/apply-patch") {
			verb = "apply"
		}
	case http.MethodDelete:
		verb = "delete"
	default:
		verb = strings.ToLower(req.Method)
	}
	return verb, resource, sub
}
