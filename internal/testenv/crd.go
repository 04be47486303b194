package testenv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// WSSEndpointCRD is the generated CRD, relative to the repository root.
const WSSEndpointCRD = "config/crd/bases/wss.operator.dev_wssendpoints.yaml"

// WSSEndpointSchema is the schema of one field of the generated WSSEndpoint
// CRD, found by its path from the root ("spec", "tls", "port"), for unit
// tests that pin Go's enums and defaults to what the API server validates.
// A missing field fails the test, naming it.
func WSSEndpointSchema(t testing.TB, path ...string) apiextensionsv1.JSONSchemaProps {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, WSSEndpointCRD))
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatalf("%s: %v", WSSEndpointCRD, err)
	}
	if len(crd.Spec.Versions) == 0 || crd.Spec.Versions[0].Schema == nil || crd.Spec.Versions[0].Schema.OpenAPIV3Schema == nil {
		t.Fatalf("%s: no schema", WSSEndpointCRD)
	}
	p := *crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	for i, name := range path {
		child, ok := p.Properties[name]
		if !ok {
			t.Fatalf("%s has no %s", WSSEndpointCRD, strings.Join(path[:i+1], "."))
		}
		p = child
	}
	return p
}

// JSONValues decodes a schema's JSON values (an enum, a default).
func JSONValues(t testing.TB, values ...apiextensionsv1.JSON) []any {
	t.Helper()
	out := make([]any, 0, len(values))
	for _, v := range values {
		var x any
		if err := json.Unmarshal(v.Raw, &x); err != nil {
			t.Fatalf("%s: value %s: %v", WSSEndpointCRD, v.Raw, err)
		}
		out = append(out, x)
	}
	return out
}
