package managercmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/wss-operator/wss-operator/controllers"
	"github.com/wss-operator/wss-operator/internal/cmd/cliutil"
	"github.com/wss-operator/wss-operator/internal/version"
)

// Leader election and the events the manager records.
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=core;events.k8s.io,resources=events,verbs=create;patch
// Authenticated metrics (--metrics-secure).
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// Options are the manager's settings, filled from flags.
type Options struct {
	MetricsAddr             string
	MetricsSecure           bool
	ProbeAddr               string
	LeaderElect             bool
	LeaderElectionID        string
	LeaderElectionNamespace string
	LeaseDuration           time.Duration
	RenewDeadline           time.Duration
	RetryPeriod             time.Duration
	Namespace               string
	SidecarImage            string
	SidecarImagePullPolicy  string
	ClusterDomain           string
	ProbeConcurrency        int
	MaxConcurrentReconciles int
	ProbeConnectTo          ConnectTo
}

// Run parses flags and runs the manager until ctx is cancelled.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	run := cliutil.Run{Name: "manager", Stdout: stdout, Stderr: stderr}
	var o Options
	fs := pflag.NewFlagSet("manager", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8080", "address the /metrics endpoint binds to; \"0\" disables it")
	fs.BoolVar(&o.MetricsSecure, "metrics-secure", false, "serve /metrics over HTTPS, authenticated and authorized through the API server (TokenReview and SubjectAccessReview)")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "address the /healthz and /readyz endpoints bind to")
	fs.BoolVar(&o.LeaderElect, "leader-elect", false, "enable leader election, so only one of several replicas is active")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", "wss-operator.wss.operator.dev", "name of the Lease used for leader election")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election Lease (default: the pod's namespace)")
	fs.DurationVar(&o.LeaseDuration, "leader-election-lease-duration", 15*time.Second, "how long a non-leader waits before trying to take the lease")
	fs.DurationVar(&o.RenewDeadline, "leader-election-renew-deadline", 10*time.Second, "how long the leader retries renewing before giving up")
	fs.DurationVar(&o.RetryPeriod, "leader-election-retry-period", 2*time.Second, "interval between lease acquisition and renewal attempts")
	fs.StringVar(&o.Namespace, "namespace", "", "watch WSSEndpoints only in this namespace (default: all namespaces)")
	fs.StringVar(&o.SidecarImage, "sidecar-image", os.Getenv("WSS_SIDECAR_IMAGE"), "image injected as the TLS sidecar: the operator's own image, so versions never drift (default $WSS_SIDECAR_IMAGE)")
	fs.StringVar(&o.SidecarImagePullPolicy, "sidecar-image-pull-policy", "", "imagePullPolicy of the sidecar: Always, IfNotPresent or Never (default: the cluster's default)")
	fs.StringVar(&o.ClusterDomain, "cluster-domain", "cluster.local", "the cluster's DNS domain, used in the Service names put into certificates")
	fs.IntVar(&o.ProbeConcurrency, "probe-concurrency", 32, "maximum live probes in flight across all WSSEndpoints")
	fs.IntVar(&o.MaxConcurrentReconciles, "max-concurrent-reconciles", 8, "WSSEndpoints reconciled in parallel")
	fs.Var(&o.ProbeConnectTo, "probe-connect-to", "HOST:PORT=ADDR:PORT: the live probe dials ADDR:PORT for HOST:PORT (e.g. a Service's <name>.<namespace>.svc:443), keeping SNI and verification; repeatable, like curl's --connect-to")
	zapOpts := zap.Options{}
	goFlags := flag.NewFlagSet("zap", flag.ContinueOnError)
	zapOpts.BindFlags(goFlags)
	fs.AddGoFlagSet(goFlags)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: wss-operator manager [FLAGS]\n\nRun the controller manager that reconciles WSSEndpoints (the default subcommand).\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return run.UsageError(err)
	}
	if fs.NArg() > 0 {
		return run.UsageError(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}

	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts), zap.WriteTo(stderr)))
	log := ctrl.Log.WithName("setup")
	log.Info("starting", "version", version.String())

	cfg, err := ctrl.GetConfig()
	if err != nil {
		return run.Fail(fmt.Errorf("no cluster configuration (in-cluster, $KUBECONFIG or ~/.kube/config): %w", err))
	}
	switch corev1.PullPolicy(o.SidecarImagePullPolicy) {
	case "", corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		return run.UsageError(fmt.Errorf("--sidecar-image-pull-policy must be Always, IfNotPresent or Never, got %q", o.SidecarImagePullPolicy))
	}
	if o.SidecarImage == "" {
		return run.UsageError(errors.New("--sidecar-image (or $WSS_SIDECAR_IMAGE) is required: the image injected as the sidecar"))
	}
	mgr, err := NewManager(cfg, o)
	if err != nil {
		return run.Fail(err)
	}
	if _, err := controllers.Setup(ctx, mgr, controllers.Options{
		SidecarImage: o.SidecarImage, SidecarImagePullPolicy: corev1.PullPolicy(o.SidecarImagePullPolicy),
		ClusterDomain: o.ClusterDomain, ProbeConcurrency: o.ProbeConcurrency, MaxConcurrentReconciles: o.MaxConcurrentReconciles,
		Dial: o.ProbeConnectTo.Dial(nil), Resolver: o.ProbeConnectTo.Resolver(nil),
	}); err != nil {
		return run.Fail(err)
	}
	if err := mgr.Start(ctx); err != nil {
		return run.Fail(err)
	}
	return 0
}

// NewManager builds the controller manager from the flags' values with
// controllers.NewManager, the one builder every program shares.
func NewManager(cfg *rest.Config, o Options) (manager.Manager, error) {
	mo := controllers.ManagerOptions{
		Namespace: o.Namespace, MetricsAddr: o.MetricsAddr, MetricsSecure: o.MetricsSecure, HealthProbeAddr: o.ProbeAddr,
	}
	if o.LeaderElect {
		mo.LeaderElection = &controllers.LeaderElection{
			ID: o.LeaderElectionID, Namespace: o.LeaderElectionNamespace,
			LeaseDuration: o.LeaseDuration, RenewDeadline: o.RenewDeadline, RetryPeriod: o.RetryPeriod,
		}
	}
	return controllers.NewManager(cfg, mo)
}
