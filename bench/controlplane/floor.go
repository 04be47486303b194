package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	cmapiutil "github.com/cert-manager/cert-manager/pkg/api/util"
	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
	"github.com/wss-operator/wss-operator/bench/internal/procstat"
	"github.com/wss-operator/wss-operator/internal/injection"
	"github.com/wss-operator/wss-operator/internal/testenv"
)

const floorNS = "floor"

// floorCertificate is the Certificate the controller applies for endpoint
// name in namespace (see desiredCertificate in controllers/): the same
// names, issuer, key, usages and labels.
func floorCertificate(namespace, name string) *cmv1.Certificate {
	base := name + "." + namespace + ".svc"
	return &cmv1.Certificate{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: map[string]string{injection.EndpointLabel: name}},
		Spec: cmv1.CertificateSpec{
			SecretName: name + "-tls",
			DNSNames:   []string{base, base + ".cluster.local"},
			IssuerRef:  cmmeta.IssuerReference{Name: "demo-ca", Kind: "Issuer", Group: "cert-manager.io"},
			Usages:     []cmv1.KeyUsage{cmv1.UsageDigitalSignature, cmv1.UsageKeyEncipherment, cmv1.UsageServerAuth},
			PrivateKey: &cmv1.CertificatePrivateKey{
				Algorithm: cmv1.ECDSAKeyAlgorithm, Size: 256, RotationPolicy: cmv1.RotationPolicyAlways,
			},
			SecretTemplate: &cmv1.CertificateSecretTemplate{Labels: map[string]string{injection.EndpointLabel: name}},
		},
	}
}

// runFloor applies n Certificates directly (no WSSEndpoints) in their own
// namespace with its own CA Issuer, and times them to all Ready: what
// cert-manager alone costs on this API server.
func (d *driver) runFloor(ctx context.Context, n int, obs *observer) (benchresult.Window, error) {
	env := d.env
	if err := env.EnsureNamespace(ctx, floorNS); err != nil {
		return benchresult.Window{}, err
	}
	if _, err := testenv.ApplyFile(ctx, env.Client, filepath.Join(env.Root, "config", "samples", "certificate-issuers.yaml"), floorNS); err != nil {
		return benchresult.Window{}, err
	}
	c, err := cache.New(env.Config, cache.Options{Scheme: env.Scheme, DefaultNamespaces: map[string]cache.Config{floorNS: {}}})
	if err != nil {
		return benchresult.Window{}, err
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = c.Start(cctx) }()
	if _, err := c.GetInformer(ctx, &cmv1.Certificate{}); err != nil {
		return benchresult.Window{}, err
	}
	c.WaitForCacheSync(ctx)
	// The CA must be issued before the clock starts, as it is in the
	// endpoints' namespace by then.
	if err := waitCertificates(ctx, c, []string{"demo-ca"}, 2*time.Minute); err != nil {
		return benchresult.Window{}, fmt.Errorf("floor CA: %w", err)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("ep-%04d", i)
	}
	before, err := obs.take()
	if err != nil {
		return benchresult.Window{}, err
	}
	if err := parallel(ctx, 16, names, func(ctx context.Context, name string) error {
		return env.Client.Create(ctx, floorCertificate(floorNS, name))
	}); err != nil {
		return benchresult.Window{}, err
	}
	if err := waitCertificates(ctx, c, names, 15*time.Minute); err != nil {
		return benchresult.Window{}, err
	}
	after, err := obs.take()
	if err != nil {
		return benchresult.Window{}, err
	}
	w := after.since(before)
	if w.IssuedAgain, err = issuedAgain(ctx, c, floorNS); err != nil {
		return benchresult.Window{}, err
	}
	return w, nil
}

// issuedAgain counts the scale run's Certificates (ep-NNNN) in namespace
// that cert-manager has issued more than once (status.revision above 1). A second issuance on the
// way to Ready is cert-manager's own doing when it happens in the floor,
// where nothing but cert-manager touches the Certificates.
func issuedAgain(ctx context.Context, r client.Reader, namespace string) (*int, error) {
	list := &cmv1.CertificateList{}
	if err := r.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing Certificates in %s: %w", namespace, err)
	}
	n := 0
	for i := range list.Items {
		crt := &list.Items[i]
		if rev := crt.Status.Revision; strings.HasPrefix(crt.Name, "ep-") && rev != nil && *rev > 1 {
			n++
		}
	}
	return &n, nil
}

// waitCertificates polls the cache until every named Certificate is Ready
// at its generation (the controller's own test).
func waitCertificates(ctx context.Context, c cache.Cache, names []string, limit time.Duration) error {
	return waitAll(ctx, names, limit, "Certificates not Ready", certificatesReady(ctx, c))
}

// certificatesReady is waitCertificates' test, for waitAll: the
// Certificates in c Ready at their generation.
func certificatesReady(ctx context.Context, c cache.Cache) func() (map[string]bool, string, error) {
	return func() (map[string]bool, string, error) {
		list := &cmv1.CertificateList{}
		if err := c.List(ctx, list); err != nil {
			return nil, "", err
		}
		ready := map[string]bool{}
		for i := range list.Items {
			crt := &list.Items[i]
			if cmapiutil.CertificateHasConditionWithObservedGeneration(crt, cmv1.CertificateCondition{
				Type: cmv1.CertificateConditionReady, Status: cmmeta.ConditionTrue, ObservedGeneration: crt.Generation,
			}) {
				ready[crt.Name] = true
			}
		}
		return ready, "", nil
	}
}

// onFirst wraps waitAll's done so that each of names it reports is passed
// to first once, the first time: a driver reacting to each object as it
// turns Ready, on waitAll's poll.
func onFirst(names []string, done func() (map[string]bool, string, error), first func(name string)) func() (map[string]bool, string, error) {
	seen := make(map[string]bool, len(names))
	return func() (map[string]bool, string, error) {
		got, detail, err := done()
		for _, name := range names {
			if got[name] && !seen[name] {
				seen[name] = true
				first(name)
			}
		}
		return got, detail, err
	}
}

// waitAll polls done every 50 ms until it names every one of names, for at
// most limit; the error counts those still missing ("N of M <what> after
// limit") and adds done's detail.
func waitAll(ctx context.Context, names []string, limit time.Duration, what string, done func() (map[string]bool, string, error)) error {
	deadline := time.Now().Add(limit)
	for {
		got, detail, err := done()
		if err != nil {
			return err
		}
		missing := 0
		for _, n := range names {
			if !got[n] {
				missing++
			}
		}
		if missing == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if detail != "" {
				detail = "; " + detail
			}
			return fmt.Errorf("%d of %d %s after %s%s", missing, len(names), what, limit, detail)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// observer takes snapshots of the counters and CPU clocks.
type observer struct {
	apiserver  *http.Client
	apiURL     string
	managerURL string
	pids       map[string]int // kube-apiserver, etcd, manager, driver
}

func newObserver(cfg *rest.Config, managerMetrics string, managerPid int) (*observer, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	o := &observer{apiserver: hc, apiURL: strings.TrimRight(cfg.Host, "/") + "/metrics", pids: map[string]int{}}
	if managerMetrics != "" { // none in the floor + rollouts
		o.managerURL = "http://" + managerMetrics + "/metrics"
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		pid, err := childByName(name)
		if err != nil {
			return nil, err
		}
		o.pids[name] = pid
	}
	if managerPid != 0 {
		o.pids["manager"] = managerPid
	}
	o.pids["driver"] = os.Getpid()
	return o, nil
}

// snapshot is the counters at one moment.
type snapshot struct {
	at          time.Time
	mgrRequests map[string]float64 // verb/resource/subresource
	reconciles  map[string]float64 // result
	apiByVerb   map[string]float64
	apiByRes    map[string]float64 // group/resource/subresource
	cpu         map[string]float64
	machineBusy float64 // every CPU's, other tenants' work included
}

func (o *observer) take() (snapshot, error) {
	s := snapshot{at: time.Now(), cpu: map[string]float64{}}
	var mgr []sample
	if o.managerURL != "" {
		var err error
		if mgr, err = scrape(http.DefaultClient, o.managerURL, "cpbench_manager_requests_total", "controller_runtime_reconcile_total"); err != nil {
			return s, err
		}
	}
	s.mgrRequests = sumBy(mgr, "cpbench_manager_requests_total", nil, "verb", "resource", "subresource")
	s.reconciles = sumBy(mgr, "controller_runtime_reconcile_total", func(l map[string]string) bool { return l["controller"] == "wssendpoint" }, "result")
	api, err := scrape(o.apiserver, o.apiURL, "apiserver_request_total")
	if err != nil {
		return s, err
	}
	s.apiByVerb = sumBy(api, "apiserver_request_total", nil, "verb")
	s.apiByRes = sumBy(api, "apiserver_request_total", nil, "group", "resource", "subresource")
	for name, pid := range o.pids {
		if s.cpu[name], err = procstat.CPUSeconds(pid); err != nil {
			return s, err
		}
	}
	machine, _, err := procstat.ReadCPUTimes()
	s.machineBusy = machine.BusySeconds()
	return s, err
}

// since is what happened between two snapshots.
func (after snapshot) since(before snapshot) benchresult.Window {
	w := benchresult.Window{
		Seconds:         after.at.Sub(before.at).Seconds(),
		ManagerRequests: diff(after.mgrRequests, before.mgrRequests),
		Reconciles:      diff(after.reconciles, before.reconciles),
		APIByVerb:       diff(after.apiByVerb, before.apiByVerb),
		APIByResource:   diff(after.apiByRes, before.apiByRes),
		CPUSeconds:      diff(after.cpu, before.cpu),
		CPUs:            runtime.NumCPU(),
	}
	w.CPUSeconds["machine"] = after.machineBusy - before.machineBusy
	return w
}
