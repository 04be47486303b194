package controllers

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/wss-operator/wss-operator/internal/metricsauth"
	wssscheme "github.com/wss-operator/wss-operator/internal/scheme"
)

// ManagerOptions are what differs between the programs that run the
// controller manager: `wss-operator manager`, the controller test suite, the
// demo and the control-plane benchmark. Everything else (scheme, cache and
// client settings, health checks) is the same for all of them.
type ManagerOptions struct {
	// Namespace restricts the cache to one namespace ("" watches all).
	Namespace string
	// MetricsAddr is the /metrics bind address; "" or "0" disables it.
	MetricsAddr string
	// MetricsSecure serves /metrics over HTTPS, authenticated and authorized
	// through the API server.
	MetricsSecure bool
	// MetricsExtraHandlers are served beside /metrics (e.g. pprof).
	MetricsExtraHandlers map[string]http.Handler
	// HealthProbeAddr is the /healthz and /readyz bind address; "" or "0"
	// disables it.
	HealthProbeAddr string
	// LeaderElection enables leader election when not nil.
	LeaderElection *LeaderElection
	// Scheme defaults to internal/scheme.New().
	Scheme *runtime.Scheme
	// NewClient wraps the manager's client (the test suite injects faults).
	NewClient client.NewClientFunc
	// Cache replaces CacheOptions and ClientOptions when not nil: the
	// control-plane benchmark's "naive" manager caches everything whole.
	Cache *cache.Options
}

// LeaderElection configures the manager's Lease.
type LeaderElection struct {
	ID, Namespace                             string
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// NewManager builds the controller-runtime manager with the operator's
// scheme, cache and client settings, metrics, health checks and leader
// election. Setup then adds the controller to it.
func NewManager(cfg *rest.Config, o ManagerOptions) (ctrl.Manager, error) {
	if o.Scheme == nil {
		o.Scheme = wssscheme.New()
	}
	opts := ctrl.Options{
		Scheme:                 o.Scheme,
		NewClient:              o.NewClient,
		HealthProbeBindAddress: disabled(o.HealthProbeAddr),
		Metrics: metricsserver.Options{
			BindAddress: disabled(o.MetricsAddr), SecureServing: o.MetricsSecure, ExtraHandlers: o.MetricsExtraHandlers,
		},
		Cache:  CacheOptions(o.Namespace),
		Client: ClientOptions(),
	}
	if o.MetricsSecure {
		opts.Metrics.FilterProvider = metricsauth.FilterProvider
	}
	if o.Cache != nil {
		opts.Cache, opts.Client = *o.Cache, client.Options{}
	}
	if le := o.LeaderElection; le != nil {
		opts.LeaderElection = true
		opts.LeaderElectionID = le.ID
		opts.LeaderElectionNamespace = le.Namespace
		opts.LeaderElectionReleaseOnCancel = true
		opts.LeaseDuration, opts.RenewDeadline, opts.RetryPeriod = &le.LeaseDuration, &le.RenewDeadline, &le.RetryPeriod
	}
	mgr, err := ctrl.NewManager(cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("informers", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return errors.New("informer caches have not synced")
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("adding ready check: %w", err)
	}
	return mgr, nil
}

// disabled maps "" to controller-runtime's "0" (off).
func disabled(addr string) string {
	if addr == "" {
		return "0"
	}
	return addr
}
