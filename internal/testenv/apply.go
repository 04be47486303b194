package testenv

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldManager is the field manager of objects applied by tests and the demo
// in the user's role.
const FieldManager = "wss-test-user"

// ReadObjects decodes every YAML document of path into unstructured objects.
func ReadObjects(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodeObjects(data, path)
}

// DecodeObjects decodes a multi-document YAML stream; name is used in errors.
func DecodeObjects(data []byte, name string) ([]*unstructured.Unstructured, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []*unstructured.Unstructured
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := utilyaml.Unmarshal(doc, &u.Object); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		out = append(out, u)
	}
}

// ApplyFile server-side applies every object in the YAML file at path, as
// field manager FieldManager. Namespaced objects without a namespace go to
// namespace.
func ApplyFile(ctx context.Context, c client.Client, path, namespace string) ([]*unstructured.Unstructured, error) {
	objs, err := ReadObjects(path)
	if err != nil {
		return nil, err
	}
	for _, u := range objs {
		if err := ApplyObject(ctx, c, u, namespace); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return objs, nil
}

// ApplyObject server-side applies u, defaulting its namespace when its kind
// is namespaced.
func ApplyObject(ctx context.Context, c client.Client, u *unstructured.Unstructured, namespace string) error {
	namespaced, err := c.IsObjectNamespaced(u)
	if err != nil {
		return fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
	}
	if namespaced && u.GetNamespace() == "" {
		u.SetNamespace(namespace)
	}
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	return nil
}
