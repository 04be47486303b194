package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/wss-operator/wss-operator/bench/internal/benchresult"
	"github.com/wss-operator/wss-operator/bench/internal/procstat"
	"github.com/wss-operator/wss-operator/internal/realclient"
)

// defaultBase is the last sidecar before its splice path read, forwarded
// and waited in one RawConn.Read per message (this round's hot-path change;
// the round before checked 83dfe45^, before the frame tracker used
// internal/wsframe).
const defaultBase = "e3a0e15"

func main() {
	base := flag.String("base", defaultBase, "the git revision of the sidecar to compare with (built once per commit, cached)")
	headBin := flag.String("head-bin", "", "the head sidecar's wss-operator binary (default: go build of the working tree)")
	reps := flag.Int("reps", 5, "repetitions; base and head take turns in each, in alternating order")
	out := flag.String("out", "bench/results/realclients.json", "where the raw results go")
	handshakes := flag.Int("handshakes", 300, "WebSockets each client opens and closes one after another, per run")
	echoes := flag.Int("echoes", 1000, "echo round trips per message size (64 B, 16 KiB), per run")
	clients := flag.String("clients", "node,chromium", "the clients, comma-separated: node, chromium")
	pin := flag.Bool("pin", true, "with 2 or more CPUs and taskset: the clients on CPU 0, the sidecar and the backend on CPU 1")
	backend := flag.String("serve-backend", "", "internal: serve the ws:// backend on this loopback address and nothing else")
	flag.Parse()
	if *backend != "" {
		if err := serveBackend(*backend); err != nil {
			log.Fatalf("backend: %v", err)
		}
		return
	}
	log.SetPrefix("[realclients] ")
	log.SetFlags(log.Ltime)
	if *reps < 1 || *handshakes < 1 || *echoes < 1 {
		log.Fatal("-reps, -handshakes and -echoes must be at least 1")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, options{base: *base, headBin: *headBin, reps: *reps, out: *out, handshakes: *handshakes,
		echoes: *echoes, clients: strings.Split(*clients, ","), pin: *pin}); err != nil {
		log.Fatal(err)
	}
}

type options struct {
	base, headBin, out string
	reps               int
	handshakes, echoes int
	clients            []string
	pin                bool
}

func workloads(o options) []benchresult.Workload {
	return []benchresult.Workload{
		{Name: "handshake", Kind: "handshake", Count: o.handshakes, Warmup: max(1, o.handshakes/10)},
		{Name: "echo-64B", Kind: "echo", Size: 64, Count: o.echoes, Warmup: max(1, o.echoes/10)},
		{Name: "echo-16KiB", Kind: "echo", Size: 16 << 10, Count: o.echoes, Warmup: max(1, o.echoes/10)},
	}
}

func run(ctx context.Context, o options) error {
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	tmp, err := os.MkdirTemp("", "wss-realclients-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()

	res := &benchresult.RealClients{Reps: o.reps, Workloads: workloads(o), Machine: machine(),
		Compression: "off (Chromium offers it and the backend declines it; Node's ws does not offer it)"}
	baseBuild, err := buildBase(goCmd, o.base)
	if err != nil {
		return err
	}
	headBuild, err := buildHead(goCmd, o.headBin, tmp)
	if err != nil {
		return err
	}
	res.Builds = []benchresult.Build{baseBuild, headBuild}

	var clientPin, serverPin []string
	if _, err := exec.LookPath("taskset"); o.pin && err == nil && runtime.NumCPU() >= 2 {
		clientPin, serverPin = []string{"taskset", "-c", "0"}, []string{"taskset", "-c", "1"}
		res.Pinning = "clients on CPU 0; the sidecar (GOMAXPROCS=1) and the backend (GOMAXPROCS=1) on CPU 1"
	}
	p, err := newPKI(tmp)
	if err != nil {
		return err
	}
	cs, err := newClients(o.clients, tmp, p, clientPin)
	if err != nil {
		return err
	}
	for _, c := range cs {
		res.Machine = addVersions(res.Machine, c)
	}

	backendAddr, err := freeAddr()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	be, err := start(append(append([]string{}, serverPin...), self, "-serve-backend", backendAddr), os.Stderr, "GOMAXPROCS=1")
	if err != nil {
		return err
	}
	defer be.stop()
	if err := waitTCP(ctx, be, backendAddr); err != nil {
		return fmt.Errorf("backend: %w", err)
	}

	failed := 0
	for rep := range o.reps {
		builds := res.Builds
		if rep%2 == 1 {
			builds = []benchresult.Build{res.Builds[1], res.Builds[0]}
		}
		for _, c := range cs {
			for _, b := range builds {
				runs, err := runOne(ctx, rep, c, b, serverPin, p, backendAddr, res.Workloads)
				if err != nil {
					return err
				}
				for _, r := range runs {
					if r.Error != "" {
						failed++
					}
				}
				res.Runs = append(res.Runs, runs...)
			}
		}
	}
	if err := write(o.out, res); err != nil {
		return err
	}
	log.Printf("wrote %s", o.out)
	if failed > 0 {
		return fmt.Errorf("%d runs failed (their errors are in %s)", failed, o.out)
	}
	return nil
}

// runOne starts a fresh sidecar of build b and runs every workload with
// client c through it.
func runOne(ctx context.Context, rep int, c client, b benchresult.Build, pin []string, p *pki, backend string,
	ws []benchresult.Workload) ([]benchresult.ClientRun, error) {
	sc, addr, err := startSidecar(ctx, b.Binary, pin, p, backend)
	if err != nil {
		return nil, err
	}
	defer sc.stop()
	var runs []benchresult.ClientRun
	for _, w := range ws {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cpu0, _ := procstat.CPUSeconds(sc.pid())
		r, err := c.run(ctx, addr, w)
		cpu1, _ := procstat.CPUSeconds(sc.pid())
		cr := benchresult.ClientRun{Rep: rep, Client: c.name(), Build: b.Name, Workload: w.Name, ClientTiming: r.ClientTiming,
			SidecarCPUSec: cpu1 - cpu0}
		if err != nil {
			cr.Error = err.Error()
			log.Printf("rep %d %s %s %s: %v", rep+1, c.name(), b.Name, w.Name, err)
		} else {
			log.Printf("rep %d %-8s %s %-10s %8.3f ms/op (p50 %.3f, sidecar CPU %.2f s)", rep+1, c.name(), b.Name, w.Name,
				cr.PerOpMs(), r.P50Ms, cr.SidecarCPUSec)
		}
		runs = append(runs, cr)
	}
	return runs, nil
}

// newClients finds the clients' programs; a missing one is an error that
// says what to install.
func newClients(names []string, tmp string, p *pki, pin []string) ([]client, error) {
	const hint = "run `make test-deps-clients`"
	var cs []client
	for _, n := range names {
		switch strings.TrimSpace(n) {
		case "node":
			node, err := exec.LookPath("node")
			if err != nil {
				return nil, fmt.Errorf("node not installed: %s", hint)
			}
			modules := filepath.Join(realclient.NPMDir(), "node_modules")
			if _, err := os.Stat(filepath.Join(modules, "ws", "package.json")); err != nil {
				return nil, fmt.Errorf("npm package ws not in %s: %s", modules, hint)
			}
			script := filepath.Join(tmp, "client.js")
			if err := os.WriteFile(script, []byte(nodeJS), 0o600); err != nil {
				return nil, err
			}
			cs = append(cs, nodeClient{node: node, script: script, modules: modules, caFile: p.caFile, pin: pin})
		case "chromium":
			chromium, err := exec.LookPath("chromium")
			if err != nil {
				return nil, fmt.Errorf("chromium not installed: %s", hint)
			}
			cs = append(cs, chromiumClient{chromium: chromium, spki: p.spki, tmp: tmp, pin: pin, tokens: &tokens{}})
		default:
			return nil, fmt.Errorf("-clients: unknown client %q (node, chromium)", n)
		}
	}
	if len(cs) == 0 {
		return nil, errors.New("-clients: none")
	}
	return cs, nil
}

func write(path string, res *benchresult.RealClients) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// machine is what this machine is: CPU, memory, kernel and Go.
func machine() map[string]string {
	m := map[string]string{"cpus": strconv.Itoa(runtime.NumCPU()), "go": runtime.Version()}
	if model, _ := procstat.CPUInfo(); model != "" {
		m["cpu"] = model
	}
	if kib := procstat.MemTotalKiB(); kib > 0 {
		m["memory"] = fmt.Sprintf("%.0f GiB", float64(kib)/(1<<20))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m["kernel"] = strings.TrimSpace(string(b))
	}
	return m
}

// addVersions adds a client's version (Node and ws, Chromium) to m.
func addVersions(m map[string]string, c client) map[string]string {
	switch c := c.(type) {
	case nodeClient:
		m["node"] = firstLine(c.node, "--version")
		m["ws"] = firstLine(c.node, "-p", "require('"+filepath.Join(c.modules, "ws", "package.json")+"').version")
	case chromiumClient:
		// Debian's wrapper script may print a shell warning first.
		for _, line := range strings.Split(output(c.chromium, "--version"), "\n") {
			if strings.HasPrefix(line, "Chromium ") {
				m["chromium"] = strings.TrimSpace(line)
			}
		}
	}
	return m
}

func output(name string, args ...string) string {
	b, _ := exec.Command(name, args...).CombinedOutput()
	return string(b)
}

func firstLine(name string, args ...string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(output(name, args...)), "\n")
	return line
}
