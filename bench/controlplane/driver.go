package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wssv1 "github.com/wss-operator/wss-operator/api/v1alpha1"
	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
	"github.com/wss-operator/wss-operator/bench/internal/procstat"
	"github.com/wss-operator/wss-operator/internal/injection"
	"github.com/wss-operator/wss-operator/internal/testenv"
)

const ns = "bench"

type driver struct {
	env    *testenv.Env
	cache  cache.Cache
	pods   map[string]string // Deployment -> its Pod's IP (the kubelet loop's own)
	next   int
	status statusChanges

	fleet       *fleet
	child       *exec.Cmd // the manager
	metricsAddr string
	obs         *observer
	managerBin  string
	cancel      context.CancelFunc
}

// memoryRun is one manager whose memory is measured.
type memoryRun struct{ cache, limit string }

type logFunc func(format string, args ...any)

// drive runs o.reps repetitions of the floor and the endpoints, taking
// turns which goes first, each on a fresh API server; save is called with
// the results after each repetition.
func drive(ctx context.Context, o options, save func(*benchresult.ControlPlane) error) (*benchresult.ControlPlane, error) {
	start := time.Now()
	log := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", since(start), fmt.Sprintf(format, args...))
	}
	ctrl.SetLogger(logr.Discard())
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil, err
	}
	managerBin, err := buildManager(ctx, root)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(filepath.Dir(managerBin))

	res := &benchresult.ControlPlane{Machine: machine(), Endpoints: o.n, NoiseSecrets: o.noise, GoMemLimit: o.goMemLimit, MaxConcurrentReconciles: o.maxConcurrent}
	for i := 0; i < o.reps; i++ {
		rep := benchresult.Repetition{Order: partOrder(i, o)}
		for _, part := range rep.Order {
			log("repetition %d of %d: %s", i+1, o.reps, partName(part))
			// The floor + rollouts and the ordered ceiling run no manager:
			// what they measure is work that needs none.
			d, err := startCluster(ctx, o, managerBin, part == "floor" || part == "endpoints", log)
			if err != nil {
				return nil, err
			}
			switch part {
			case "floor":
				err = d.floor(ctx, o, &rep, log)
			case "ceiling":
				err = d.ceiling(ctx, o, &rep, log)
			case "ordered":
				err = d.ordered(ctx, o, &rep, log)
			default:
				err = d.endpoints(ctx, o, &rep, i, log)
			}
			d.stop()
			if err != nil {
				return nil, fmt.Errorf("repetition %d, %s: %w", i+1, part, err)
			}
		}
		if rep.Floor != nil && rep.Floor.Seconds > 0 && rep.Ours != nil {
			log("repetition %d: all Ready ÷ floor = %.2f", i+1, rep.AllReadySeconds/rep.Floor.Seconds)
		}
		if rep.Floor != nil && rep.Floor.Seconds > 0 && rep.Ceiling != nil && rep.Ceiling.Seconds > 0 {
			log("repetition %d: floor + rollouts ÷ floor = %.2f", i+1, rep.Ceiling.Seconds/rep.Floor.Seconds)
			if rep.Ours != nil {
				log("repetition %d: all Ready ÷ floor + rollouts = %.2f", i+1, rep.AllReadySeconds/rep.Ceiling.Seconds)
			}
		}
		if rep.Floor != nil && rep.Floor.Seconds > 0 && rep.OrderedCeiling != nil && rep.OrderedCeiling.Seconds > 0 {
			log("repetition %d: ordered ceiling ÷ floor = %.2f", i+1, rep.OrderedCeiling.Seconds/rep.Floor.Seconds)
			if rep.Ours != nil {
				log("repetition %d: all Ready ÷ ordered ceiling = %.2f", i+1, rep.AllReadySeconds/rep.OrderedCeiling.Seconds)
			}
		}
		res.Repetitions = append(res.Repetitions, rep)
		if err := save(res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// partOrder is the order of repetition i's parts: the floor, the floor +
// rollouts ("ceiling"), the ordered ceiling ("ordered") and the endpoints,
// reversed in every other repetition, so the floor and the endpoints take
// turns going first as they did before the ceilings; -no-floor,
// -no-ceiling and -no-ordered leave theirs out.
func partOrder(i int, o options) []string {
	all := []string{"floor", "ceiling", "ordered", "endpoints"}
	if i%2 == 1 {
		all = []string{"endpoints", "ordered", "ceiling", "floor"}
	}
	var order []string
	for _, p := range all {
		if (p == "floor" && o.noFloor) || (p == "ceiling" && o.noCeiling) || (p == "ordered" && o.noOrdered) {
			continue
		}
		order = append(order, p)
	}
	return order
}

// partName is how the log names a part.
func partName(part string) string {
	switch part {
	case "ceiling":
		return "floor + rollouts"
	case "ordered":
		return "ordered ceiling"
	}
	return part
}

// startCluster starts a fresh control plane (kube-apiserver, etcd,
// cert-manager's controllers) with the noise Secrets and the CA Issuer,
// the driver's cache, the stand-in sidecars and kubelet, and, with
// withManager, the manager (optimized cache, the chart's GOMEMLIMIT): the
// same for every part.
func startCluster(ctx context.Context, o options, managerBin string, withManager bool, log logFunc) (_ *driver, err error) {
	t0 := time.Now()
	env, err := testenv.Start(ctx, testenv.Options{CertManager: true})
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithCancel(ctx)
	d := &driver{env: env, pods: map[string]string{}, managerBin: managerBin, cancel: cancel}
	defer func() {
		if err != nil {
			d.stop()
		}
	}()
	for _, n := range []string{ns, "noise"} {
		if err := env.EnsureNamespace(ctx, n); err != nil {
			return nil, err
		}
	}
	if _, err := testenv.ApplyFile(ctx, env.Client, filepath.Join(env.Root, "config", "samples", "certificate-issuers.yaml"), ns); err != nil {
		return nil, err
	}
	if err := d.noise(ctx, o.noise); err != nil {
		return nil, err
	}

	ours, _ := labels.NewRequirement(injection.EndpointLabel, selection.Exists, nil)
	d.cache, err = cache.New(env.Config, cache.Options{
		Scheme: env.Scheme, DefaultNamespaces: map[string]cache.Config{ns: {}},
		ByObject: map[client.Object]cache.ByObject{&corev1.Secret{}: {Label: labels.NewSelector().Add(*ours)}},
	})
	if err != nil {
		return nil, err
	}
	go func() { _ = d.cache.Start(cctx) }()
	for _, obj := range []client.Object{&corev1.Secret{}, &appsv1.Deployment{}, &wssv1.WSSEndpoint{}} {
		if _, err := d.cache.GetInformer(ctx, obj); err != nil {
			return nil, err
		}
	}
	inf, err := d.cache.GetInformer(ctx, &wssv1.WSSEndpoint{})
	if err != nil {
		return nil, err
	}
	if _, err := inf.AddEventHandler(d.status.handler()); err != nil {
		return nil, err
	}
	d.cache.WaitForCacheSync(ctx)
	if d.fleet, err = startFleet(cctx, d.cache, ns); err != nil {
		return nil, err
	}
	go d.kubelet(cctx, d.fleet)

	if !withManager {
		if d.obs, err = newObserver(env.Config, "", 0); err != nil {
			return nil, err
		}
		log("fresh control plane up in %.1fs; %d noise Secrets; no manager", since(t0), o.noise)
		return d, nil
	}
	if d.child, d.metricsAddr, err = startManagerBin(ctx, managerBin, env, d.fleet.addr, "optimized", o.goMemLimit, o.maxConcurrent); err != nil {
		return nil, err
	}
	if d.obs, err = newObserver(env.Config, d.metricsAddr, d.child.Process.Pid); err != nil {
		return nil, err
	}
	log("fresh control plane up in %.1fs; %d noise Secrets; manager (optimized cache, GOMEMLIMIT=%s) pid %d",
		since(t0), o.noise, o.goMemLimit, d.child.Process.Pid)
	return d, nil
}

// stop stops the manager, the driver's loops and the control plane.
func (d *driver) stop() {
	if d.child != nil {
		stopProcess(d.child)
		d.child = nil
	}
	d.cancel()
	if d.fleet != nil {
		_ = d.fleet.srv.Close()
	}
	_ = d.env.Stop()
}

// floor times the floor (runFloor) into rep.
func (d *driver) floor(ctx context.Context, o options, rep *benchresult.Repetition, log logFunc) error {
	w, err := d.runFloor(ctx, o.n, d.obs)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	rep.Floor = &w
	log("floor: %d Certificates (no WSSEndpoints) all Ready after %.1fs", o.n, w.Seconds)
	return nil
}

// endpoints measures apply-to-Ready one by one, then o.n endpoints to all
// Ready, then the manager's memory, into rep (repetition repIndex, from 0).
func (d *driver) endpoints(ctx context.Context, o options, rep *benchresult.Repetition, repIndex int, log logFunc) error {
	for i := 0; i < o.latencyN; i++ {
		name := fmt.Sprintf("lat-%02d", i)
		t0 := time.Now()
		if err := d.create(ctx, name); err != nil {
			return err
		}
		if err := d.waitReady(ctx, []string{name}, 2*time.Minute); err != nil {
			return err
		}
		rep.ApplyToReadyMs = append(rep.ApplyToReadyMs, float64(time.Since(t0).Microseconds())/1000)
	}
	sorted := append([]float64(nil), rep.ApplyToReadyMs...)
	sort.Float64s(sorted)
	rep.P50Ms, rep.P95Ms = percentile(sorted, 0.50), percentile(sorted, 0.95)
	rep.P25Ms, rep.P75Ms = percentile(sorted, 0.25), percentile(sorted, 0.75)
	if len(sorted) > 0 {
		rep.MinMs, rep.MaxMs = sorted[0], sorted[len(sorted)-1]
	}
	log("apply-to-Ready over %d: p50 %.0f ms (IQR %.0f–%.0f), p95 %.0f ms", o.latencyN, rep.P50Ms, rep.P25Ms, rep.P75Ms, rep.P95Ms)

	names := make([]string, o.n)
	for i := range names {
		names[i] = fmt.Sprintf("ep-%04d", i)
	}
	obs := d.obs
	before, err := obs.take()
	if err != nil {
		return err
	}
	changesBefore, writesBefore, afterBefore := d.status.snapshot()
	t0 := time.Now()
	if err := parallel(ctx, 16, names, d.create); err != nil {
		return err
	}
	log("%d endpoints and Deployments applied in %.1fs", o.n, since(t0))
	if err := d.waitReady(ctx, names, 15*time.Minute); err != nil {
		return err
	}
	rep.AllReadySeconds = since(t0)
	log("all %d Ready after %.1fs", o.n, rep.AllReadySeconds)
	after, err := obs.take()
	if err != nil {
		return err
	}
	// Events leave the broadcaster asynchronously: count them a moment later.
	time.Sleep(2 * time.Second)
	late, err := obs.take()
	if err != nil {
		return err
	}
	w := after.since(before)
	if w.IssuedAgain, err = issuedAgain(ctx, d.env.Client, ns); err != nil {
		return err
	}
	rep.EventsByReason, err = d.eventsByReason(ctx, names)
	if err != nil {
		return err
	}
	changes, writes, afterReady := d.status.snapshot()
	rep.StatusChanges, rep.StatusWritesSeen, rep.StatusWritesAfterReady = diff(changes, changesBefore), writes-writesBefore, afterReady-afterBefore
	log("status writes seen on the way to Ready %.2f per endpoint, after Ready %.2f; what they changed, all endpoints: %v", rep.StatusWritesSeen/float64(o.n),
		rep.StatusWritesAfterReady/float64(o.n), rep.StatusChanges)
	w.ManagerRequests, w.Reconciles = late.since(before).ManagerRequests, late.since(before).Reconciles
	rep.Ours = &w
	log("ours: status writes %.2f, events %.2f, reconciles %.2f per endpoint; kube-apiserver %.0f%% of the machine",
		w.ManagerCount("patch", "wssendpoints", "status")/float64(o.n), w.ManagerCount("", "events", "*")/float64(o.n),
		benchresult.Sum(w.Reconciles)/float64(o.n), 100*w.Share("kube-apiserver"))

	if o.noMemory {
		return nil
	}
	// The manager that did the work, measured as it stands; then, in the
	// first o.variantReps repetitions, managers started afresh without
	// GOMEMLIMIT and with naive cache settings.
	memRuns := []memoryRun{{"optimized", o.goMemLimit}}
	if o.variantReps < 0 || repIndex < o.variantReps {
		memRuns = append(memRuns, memoryRun{"optimized", ""}, memoryRun{"naive", ""})
	}
	for k, m := range memRuns {
		if k > 0 {
			var err error
			if d.child, d.metricsAddr, err = startManagerBin(ctx, d.managerBin, d.env, d.fleet.addr, m.cache, m.limit, o.maxConcurrent); err != nil {
				return err
			}
		}
		mem, err := settleAndMeasure(ctx, d.child, d.metricsAddr, m.cache)
		stopProcess(d.child)
		d.child = nil
		if err != nil {
			return err
		}
		mem.GoMemLimit = m.limit
		rep.Memory = append(rep.Memory, mem)
		log("%s cache, GOMEMLIMIT=%q: RSS %.1f MiB (anon %.1f), heap in use %.1f MiB", m.cache, m.limit, mem.RSSMiB, mem.AnonMiB, mem.HeapMiB)
	}
	return nil
}

// create applies one user Deployment and its WSSEndpoint.
func (d *driver) create(ctx context.Context, name string) error {
	c := d.env.Client
	if err := c.Create(ctx, userDeployment(name)); err != nil {
		return fmt.Errorf("creating Deployment %s: %w", name, err)
	}
	if err := c.Create(ctx, benchEndpoint(name)); err != nil {
		return fmt.Errorf("WSSEndpoint %s: %w", name, err)
	}
	return nil
}

// userDeployment is the user's Deployment for endpoint name, before the
// injection.
func userDeployment(name string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "jmalloc/echo-server:v0.3.7",
					Ports: []corev1.ContainerPort{{Name: "ws", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
				}}},
			},
		},
	}
}

// benchEndpoint is the WSSEndpoint for name, as applied (before the API
// server's defaults).
func benchEndpoint(name string) *wssv1.WSSEndpoint {
	return &wssv1.WSSEndpoint{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: wssv1.WSSEndpointSpec{
			WorkloadRef: wssv1.WorkloadReference{Kind: wssv1.WorkloadDeployment, Name: name},
			Backend:     wssv1.Backend{Port: 8080, Path: "/ws"},
			TLS:         wssv1.TLS{IssuerRef: &wssv1.IssuerReference{Name: "demo-ca", Kind: "Issuer", Group: "cert-manager.io"}},
		},
	}
}

// kubelet plays the Deployment controller and the kubelet: a Deployment
// whose template carries the sidecar is rolled out and gets one Ready Pod at
// a 127.x.y.z address — once its stand-in sidecar has the certificate, as a
// real sidecar's readiness probe would require. Like the controllers and
// kubelets it stands in for, it works on several Deployments at once (8
// workers), so it is not the bottleneck of the scale run.
func (d *driver) kubelet(ctx context.Context, fl *fleet) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	type job struct {
		name, ip         string
		rollOut, makePod bool
	}
	created := map[string]bool{} // Deployments whose Pod exists
	var mu sync.Mutex
	for {
		list := &appsv1.DeploymentList{}
		if err := d.cache.List(ctx, list); err == nil {
			var jobs []job
			for i := range list.Items {
				dep := &list.Items[i]
				if injection.Find(&dep.Spec.Template) == nil || !fl.serves(dep.Name+"."+ns+".svc") {
					continue
				}
				j := job{name: dep.Name, rollOut: dep.Status.ObservedGeneration < dep.Generation, makePod: !created[dep.Name]}
				if !j.rollOut && !j.makePod {
					continue
				}
				if d.pods[dep.Name] == "" {
					d.next++
					d.pods[dep.Name] = fmt.Sprintf("127.%d.%d.%d", 10+d.next/62500, (d.next/250)%250, d.next%250+1)
				}
				j.ip = d.pods[dep.Name]
				jobs = append(jobs, j)
			}
			work := make(chan job)
			var wg sync.WaitGroup
			for w := 0; w < 8 && w < len(jobs); w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := range work {
						// As in a cluster: the Pod is Ready before the
						// Deployment reports it available.
						if j.makePod {
							if err := testenv.CreatePodFor(ctx, d.env.Client, ns, j.name, j.name+"-0", j.ip); err == nil {
								mu.Lock()
								created[j.name] = true
								mu.Unlock()
							}
						}
						if j.rollOut {
							_ = testenv.RollOutDeployment(ctx, d.env.Client, ns, j.name)
						}
					}
				}()
			}
			for _, j := range jobs {
				work <- j
			}
			close(work)
			wg.Wait()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// waitReady polls the cache until every named endpoint is Ready; the
// error counts those that are not by their Ready reason.
func (d *driver) waitReady(ctx context.Context, names []string, limit time.Duration) error {
	return waitAll(ctx, names, limit, "endpoints not Ready", func() (map[string]bool, string, error) {
		list := &wssv1.WSSEndpointList{}
		if err := d.cache.List(ctx, list); err != nil {
			return nil, "", err
		}
		ready, notReady := map[string]bool{}, map[string]int{}
		for i := range list.Items {
			ep := &list.Items[i]
			c := meta.FindStatusCondition(ep.Status.Conditions, wssv1.ConditionReady)
			switch {
			case c != nil && c.Status == metav1.ConditionTrue:
				ready[ep.Name] = true
			case c != nil:
				notReady[c.Reason]++
			default:
				notReady["<none>"]++
			}
		}
		return ready, fmt.Sprintf("not ready by reason: %v", notReady), nil
	})
}

func (d *driver) noise(ctx context.Context, n int) error {
	blob := []byte(strings.Repeat("x", 8<<10))
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("noise-%05d", i)
	}
	return parallel(ctx, 16, names, func(ctx context.Context, name string) error {
		return d.env.Client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "noise"}, Data: map[string][]byte{"blob": blob}})
	})
}

// parallel runs f on every item, workers at a time; it stops at the first
// error and returns it.
func parallel(ctx context.Context, workers int, items []string, f func(context.Context, string) error) error {
	p := startPool(ctx, workers, 0, f)
	for _, it := range items {
		if p.failed() {
			break
		}
		p.submit(it)
	}
	return p.wait()
}

// pool runs f on the names submitted to it, workers at a time, in the
// background; after an error it skips the rest.
type pool struct {
	ch  chan string
	wg  sync.WaitGroup
	mu  sync.Mutex
	err error
}

// startPool starts workers running f; up to queue names wait without
// blocking submit.
func startPool(ctx context.Context, workers, queue int, f func(context.Context, string) error) *pool {
	p := &pool{ch: make(chan string, queue)}
	for w := 0; w < workers; w++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for it := range p.ch {
				if p.failed() {
					continue
				}
				if err := f(ctx, it); err != nil {
					p.mu.Lock()
					if p.err == nil {
						p.err = err
					}
					p.mu.Unlock()
				}
			}
		}()
	}
	return p
}

func (p *pool) submit(name string) { p.ch <- name }

func (p *pool) failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err != nil
}

// wait closes the pool to submissions, waits for the workers and returns
// the first error.
func (p *pool) wait() error {
	close(p.ch)
	p.wg.Wait()
	return p.err
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted)) + 0.5)
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

// buildManager builds ./bench/controlplane/cpmanager into a temporary directory.
func buildManager(ctx context.Context, root string) (string, error) {
	dir, err := os.MkdirTemp("", "cpbench-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "cpmanager")
	goTool := os.Getenv("GO")
	if goTool == "" {
		goTool = "go"
	}
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./bench/controlplane/cpmanager")
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("building the manager: %w", err)
	}
	return bin, nil
}

// startManagerBin starts the manager child process.
func startManagerBin(ctx context.Context, bin string, env *testenv.Env, fleet, mode, goMemLimit string, maxConcurrent int) (*exec.Cmd, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.CommandContext(ctx, bin, "-manager-kubeconfig="+env.KubeconfigPath, "-fleet="+fleet, "-cache="+mode, "-metrics="+addr,
		"-max-concurrent-reconciles="+strconv.Itoa(maxConcurrent))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if goMemLimit != "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+goMemLimit)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // never outlive the driver
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	for i := 0; i < 300; i++ {
		if _, err := scrapeHeap(addr); err == nil {
			return cmd, addr, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopProcess(cmd)
	return nil, "", fmt.Errorf("manager (%s) did not serve metrics on %s", mode, addr)
}

func stopProcess(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// settleAndMeasure waits for the manager to reach a steady state (caches
// synced, a probe round through every endpoint) and reads its RSS and heap.
func settleAndMeasure(ctx context.Context, cmd *exec.Cmd, metricsAddr, mode string) (benchresult.Memory, error) {
	const settle = 45 * time.Second
	t0 := time.Now()
	select {
	case <-ctx.Done():
		return benchresult.Memory{}, ctx.Err()
	case <-time.After(settle):
	}
	rss, anon, err := rssMiB(cmd.Process.Pid)
	if err != nil {
		return benchresult.Memory{}, err
	}
	heap, err := scrapeHeap(metricsAddr)
	if err != nil {
		return benchresult.Memory{}, err
	}
	if dir := os.Getenv("CPBENCH_PROFILE_DIR"); dir != "" {
		if resp, err := http.Get("http://" + metricsAddr + "/debug/pprof/heap"); err == nil {
			if f, err := os.Create(filepath.Join(dir, "heap-"+mode+"-"+os.Getenv("CPBENCH_PROFILE_TAG")+".pb.gz")); err == nil {
				_, _ = f.ReadFrom(resp.Body)
				_ = f.Close()
			}
			_ = resp.Body.Close()
		}
	}
	return benchresult.Memory{Cache: mode, RSSMiB: rss, AnonMiB: anon, HeapMiB: heap / (1 << 20), SettleSec: since(t0)}, nil
}

// rssMiB is the resident set of pid, and its anonymous part (heap, stacks:
// what GOMEMLIMIT governs; the rest is the binary's code pages).
func rssMiB(pid int) (rss, anon float64, err error) {
	st, err := procstat.Status(pid)
	if err != nil {
		return 0, 0, err
	}
	if _, ok := st["VmRSS"]; !ok {
		return 0, 0, fmt.Errorf("no VmRSS for pid %d", pid)
	}
	return float64(st["VmRSS"]) / 1024, float64(st["RssAnon"]) / 1024, nil
}

func scrapeHeap(addr string) (float64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "go_memstats_heap_inuse_bytes "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("no go_memstats_heap_inuse_bytes at %s", addr)
}

func machine() map[string]string {
	m := map[string]string{"cpus": strconv.Itoa(runtime.NumCPU()), "go": runtime.Version()}
	if model, _ := procstat.CPUInfo(); model != "" {
		m["cpu"] = model
	}
	if kib := procstat.MemTotalKiB(); kib > 0 {
		m["memory"] = strconv.FormatInt(kib, 10) + " kB"
	}
	return m
}

// eventsByReason counts the events recorded on the named endpoints by
// type/reason.
func (d *driver) eventsByReason(ctx context.Context, names []string) (map[string]float64, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	list := &eventsv1.EventList{}
	if err := d.env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, e := range list.Items {
		if e.Regarding.Kind == "WSSEndpoint" && want[e.Regarding.Name] {
			count := 1.0
			if e.Series != nil {
				count = float64(e.Series.Count)
			}
			out[e.Type+"/"+e.Reason] += count
		}
	}
	return out, nil
}
