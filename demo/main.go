// Command demo runs the real thing on a machine with no cluster: a local
// kube-apiserver and etcd (built from source by hack/envtest-bins.sh), our
// CRD and cert-manager's, cert-manager's controllers, the wss-operator
// controller, and — standing in for a pod, since there is no kubelet — a
// WebSocket echo server and the real `proxy` sidecar on loopback. It applies
// config/samples, narrates what happens, breaks the endpoint on purpose and
// shows the reason appear in status and clear again.
//
//	make demo                    # runs until Ctrl-C
//	DEMO_EXIT_AFTER=1 make demo  # exits 0 after the scenario (CI)
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/wss-operator/wss-operator/controllers"
	"github.com/wss-operator/wss-operator/internal/testenv"
	"github.com/wss-operator/wss-operator/internal/version"
)

const namespace = "wss-demo"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := &demo{start: time.Now()}
	err := d.run(ctx)
	d.shutdown()
	switch {
	case err != nil && ctx.Err() != nil:
		fmt.Println("\ninterrupted; everything stopped.")
	case err != nil:
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
}

type demo struct {
	start   time.Time
	env     *testenv.Env
	net     *testenv.LoopbackNet
	cleanup []func()

	backend   *testenv.EchoServer
	proxyAddr string
	seen      map[string]string // "endpoint/condition" -> last printed "Status/Reason"
}

// say prints one progress line with the time since the start.
func (d *demo) say(format string, args ...any) {
	fmt.Printf("[%5.1fs] %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

// detail prints an indented line under the last progress line.
func (d *demo) detail(format string, args ...any) {
	fmt.Printf("         %s\n", fmt.Sprintf(format, args...))
}

func (d *demo) defer_(f func()) { d.cleanup = append(d.cleanup, f) }

// background runs run until the demo shuts down, then cancels its context,
// waits for it, and reports its error (name says what it was).
func (d *demo) background(ctx context.Context, name string, run func(context.Context) error) {
	ctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	d.defer_(func() {
		stop()
		if err := <-done; err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		}
	})
}

func (d *demo) shutdown() {
	for i := len(d.cleanup) - 1; i >= 0; i-- {
		d.cleanup[i]()
	}
}

func (d *demo) run(ctx context.Context) error {
	fmt.Println("wss-operator demo: the real operator, cert-manager and sidecar on a local control plane.")
	fmt.Println("There is no kubelet here: the demo plays its part. It runs the sidecar (the real")
	fmt.Println("`wss-operator proxy` code) and a WebSocket echo server in this process on loopback,")
	fmt.Println("and gives pods 127.0.x.y addresses.")
	fmt.Println()

	ctrl.SetLogger(logr.Discard())
	d.say("starting kube-apiserver and etcd (built from source and cached on first use)")
	env, err := testenv.Start(ctx, testenv.Options{CertManager: true})
	if err != nil {
		return err
	}
	d.env = env
	d.defer_(func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		}
	})
	d.say("control plane up; cert-manager's controllers run in-process")
	d.detail("export KUBECONFIG=%s", env.KubeconfigPath)
	d.detail("%s get wss -A     # works while the demo runs", filepath.Join(env.BinDir, "kubectl"))

	d.net = testenv.NewLoopbackNet()
	mgr, err := controllers.NewManager(env.Config, controllers.ManagerOptions{Scheme: env.Scheme})
	if err != nil {
		return err
	}
	if _, err := controllers.Setup(ctx, mgr, controllers.Options{
		SidecarImage: "ghcr.io/wss-operator/wss-operator:" + version.Version,
		Dial:         d.net.Dial, Resolver: d.net.Resolve,
	}); err != nil {
		return err
	}
	d.background(ctx, "manager", mgr.Start)
	d.say("wss-operator controller running (version %s)", version.Version)

	if err := d.healthyEndpoint(ctx); err != nil {
		return err
	}
	if err := d.oldClient(ctx); err != nil {
		return err
	}
	if err := d.breakBackend(ctx); err != nil {
		return err
	}
	if err := d.bringYourOwnCertificate(ctx); err != nil {
		return err
	}

	fmt.Println()
	if os.Getenv("DEMO_EXIT_AFTER") != "" {
		d.say("demo complete (DEMO_EXIT_AFTER is set): stopping everything")
		return nil
	}
	d.say("demo complete; everything keeps running (the probe goes on every 5s). Ctrl-C stops it all.")
	<-ctx.Done()
	return ctx.Err()
}
