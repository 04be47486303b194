package deploytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wss-operator/wss-operator/internal/testenv"
)

// prometheusOperatorVersion is the Prometheus Operator whose CRDs
// (ServiceMonitor, PodMonitor, PrometheusRule) the API server gets, from the
// Go module cache like cert-manager's, so those objects are checked against
// their real schema.
const prometheusOperatorVersion = "v0.85.0"

var (
	env *testenv.Env
	// helmBin is the pinned helm, bin/helm (make helm).
	helmBin string
	// helmHome isolates helm's cache, config and data from the user's.
	helmHome string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	defer func() {
		if env != nil {
			if err := env.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}
		if helmHome != "" {
			_ = os.RemoveAll(helmHome)
		}
	}()
	if err := setUp(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// setUp finds (or installs) the pinned helm, gives it an isolated home and
// starts the control plane with the Prometheus Operator's CRDs; run undoes
// what it did, also when it fails halfway.
func setUp() error {
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	if helmBin, err = ensureHelm(root); err != nil {
		return err
	}
	if helmHome, err = os.MkdirTemp("", "wss-deploytest-helm-"); err != nil {
		return err
	}
	crds, err := prometheusOperatorCRDs()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if env, err = testenv.Start(ctx, testenv.Options{ExtraCRDPaths: crds}); err != nil {
		return err
	}
	// The tests read and delete CustomResourceDefinitions through env.Client.
	return apiextensionsv1.AddToScheme(env.Scheme)
}

// ensureHelm returns bin/helm, installing it with `make helm` (pinned, built
// with go install) when it is missing.
func ensureHelm(root string) (string, error) {
	bin := filepath.Join(root, "bin", "helm")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	cmd := exec.Command("make", "helm")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("installing helm with `make helm`: %w", err)
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("`make helm` did not produce %s: %w", bin, err)
	}
	return bin, nil
}

// prometheusOperatorCRDs returns the CRD files of the ServiceMonitor,
// PodMonitor and PrometheusRule kinds from the pinned Prometheus Operator
// module (downloaded into the module cache through the Go module proxy).
func prometheusOperatorCRDs() ([]string, error) {
	mod := "github.com/prometheus-operator/prometheus-operator@" + prometheusOperatorVersion
	cmd := exec.Command("go", "mod", "download", "-json", mod)
	cmd.Dir = os.TempDir() // outside our module: go.mod stays untouched
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download %s: %w: %s", mod, err, stderr.String())
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return nil, fmt.Errorf("go mod download %s: %w", mod, err)
	}
	if info.Error != "" || info.Dir == "" {
		return nil, fmt.Errorf("go mod download %s: %s", mod, info.Error)
	}
	var files []string
	for _, kind := range []string{"servicemonitors", "podmonitors", "prometheusrules"} {
		f := filepath.Join(info.Dir, "example", "prometheus-operator-crd", "monitoring.coreos.com_"+kind+".yaml")
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("prometheus-operator CRD: %w", err)
		}
		files = append(files, f)
	}
	return files, nil
}

// chartDir is the chart under test.
func chartDir() string { return filepath.Join(env.Root, "charts", "wss-operator") }

// helm runs the pinned helm with an isolated home and returns its stdout; the
// error carries stderr.
func helm(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, helmBin, args...)
	cmd.Dir = env.Root
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(helmHome, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(helmHome, "config"),
		"HELM_DATA_HOME="+filepath.Join(helmHome, "data"),
		"KUBECONFIG="+env.KubeconfigPath,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// render is `helm template` of the chart as release "wss" in namespace
// "wss-system" with extra arguments (--values, --set), decoded.
func render(args ...string) ([]*unstructured.Unstructured, error) {
	out, err := helm(append([]string{"template", "wss", chartDir(), "--namespace", "wss-system"}, args...)...)
	if err != nil {
		return nil, err
	}
	return testenv.DecodeObjects([]byte(out), "helm template")
}

// find returns the one object of kind (and name, unless empty) in objs.
func find(objs []*unstructured.Unstructured, kind, name string) (*unstructured.Unstructured, error) {
	var hits []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind && (name == "" || o.GetName() == name) {
			hits = append(hits, o)
		}
	}
	if len(hits) != 1 {
		return nil, fmt.Errorf("want exactly one %s %q, found %d among %v", kind, name, len(hits), kinds(objs))
	}
	return hits[0], nil
}

// kinds lists "Kind/name" of objs.
func kinds(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	return out
}

// normalize round-trips v through JSON, so typed objects, unstructured
// content and YAML values compare with Equal.
func normalize(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("normalize: %v", err))
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		panic(fmt.Sprintf("normalize: %v", err))
	}
	return out
}

// errNotOne is returned by readOne for files that do not hold one object.
var errNotOne = errors.New("not exactly one object")

// readOne reads the single object of a YAML file.
func readOne(path string) (*unstructured.Unstructured, error) {
	objs, err := testenv.ReadObjects(path)
	if err != nil {
		return nil, err
	}
	if len(objs) != 1 {
		return nil, fmt.Errorf("%s: %w (%d)", path, errNotOne, len(objs))
	}
	return objs[0], nil
}
