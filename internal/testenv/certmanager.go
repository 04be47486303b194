package testenv

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	cmcontroller "github.com/cert-manager/cert-manager/pkg/controller"
	"github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	crca "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	crselfsigned "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	"github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	"github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	"github.com/cert-manager/cert-manager/pkg/controller/issuers"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"
	"k8s.io/klog/v2"

	// Issuer implementations the issuers/clusterissuers controllers set up.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// CertManagerControllers are the cert-manager controllers the control plane
// runs: everything needed for Certificates issued by SelfSigned and CA
// issuers (no ACME, Vault or Venafi: they need the network).
var CertManagerControllers = []string{
	trigger.ControllerName,
	keymanager.ControllerName,
	requestmanager.ControllerName,
	issuing.ControllerName,
	readiness.ControllerName,
	revisionmanager.ControllerName,
	approver.ControllerName,
	crselfsigned.CRControllerName,
	crca.CRControllerName,
	issuers.ControllerName,
	clusterissuers.ControllerName,
}

// CertManagerOptions configure RunCertManager.
type CertManagerOptions struct {
	// Kubeconfig reaches the API server.
	Kubeconfig string
	// ClusterResourceNamespace is where ClusterIssuers keep their Secrets.
	ClusterResourceNamespace string
	// Verbose keeps cert-manager's logs (klog) on stderr.
	Verbose bool
}

// RunCertManager runs cert-manager's controllers (CertManagerControllers)
// until ctx is cancelled, exactly as cert-manager's controller binary wires
// them: one ContextFactory, each registered constructor, then the shared
// informer factories.
func RunCertManager(ctx context.Context, opts CertManagerOptions) error {
	return runCertManager(ctx, opts, nil)
}

func runCertManager(ctx context.Context, opts CertManagerOptions, started chan<- error) error {
	signal := func(err error) {
		if started != nil {
			started <- err
			started = nil
		}
	}
	if !opts.Verbose {
		quietKlog()
		ctx = logf.NewContext(ctx, logr.Discard())
	} else {
		ctx = logf.NewContext(ctx, klog.Background(), "cert-manager")
	}

	factory, err := cmcontroller.NewContextFactory(ctx, cmcontroller.ContextOptions{
		Kubeconfig:         opts.Kubeconfig,
		KubernetesAPIQPS:   1000,
		KubernetesAPIBurst: 2000,
		IssuerOptions: cmcontroller.IssuerOptions{
			ClusterResourceNamespace: opts.ClusterResourceNamespace,
		},
		CertificateOptions: cmcontroller.CertificateOptions{
			// Tests break issuance on purpose; retry in seconds, not hours.
			CertificateRequestMinimumBackoffDuration: 2 * time.Second,
			CertificateRequestMaximumBackoffDuration: 30 * time.Second,
		},
	})
	if err != nil {
		err = fmt.Errorf("testenv: cert-manager context: %w", err)
		signal(err)
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	known := cmcontroller.Known()
	for _, name := range CertManagerControllers {
		constructor, ok := known[name]
		if !ok {
			err := fmt.Errorf("testenv: cert-manager controller %q is not registered", name)
			signal(err)
			return err
		}
		iface, err := constructor(factory)
		if err != nil {
			err = fmt.Errorf("testenv: constructing cert-manager controller %q: %w", name, err)
			signal(err)
			return err
		}
		g.Go(func() error {
			if err := iface.Run(2, gctx); err != nil {
				return fmt.Errorf("cert-manager controller %q: %w", name, err)
			}
			return nil
		})
	}

	shared, err := factory.Build()
	if err != nil {
		err = fmt.Errorf("testenv: cert-manager context: %w", err)
		signal(err)
		return err
	}
	shared.SharedInformerFactory.Start(gctx.Done())
	shared.KubeSharedInformerFactory.Start(gctx.Done())
	shared.HTTP01ResourceMetadataInformersFactory.Start(gctx.Done())
	signal(nil)

	err = g.Wait()
	shared.HTTP01ResourceMetadataInformersFactory.Shutdown()
	shared.KubeSharedInformerFactory.Shutdown()
	shared.SharedInformerFactory.Shutdown()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// quietKlog silences klog (used by client-go and cert-manager) unless a test
// asks for verbose output.
func quietKlog() {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
	klog.SetLogger(logr.Discard())
}
