package sandbox

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// undeclaredRequestFields are the agent request fields the OpenAPI
// document declares in no request schema, and who sends them.
var undeclaredRequestFields = map[string]string{
	"enableKrisp":               "the legacy Krisp switch: the CLI and the official deploy action send it",
	"enableIntegratedKeysProxy": "managed keys: the official deploy action's enable-managed-keys",
	"websocketAuth":             "the CLI's websocket_auth (none or token)",
}

// jsonPaths lists the dotted JSON names of t's fields, objects included
// ("autoScaling", "autoScaling.minAgents"); embedded structs are inlined.
func jsonPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			out = append(out, jsonPaths(f.Type, prefix)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = append(out, prefix+name)
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			out = append(out, jsonPaths(ft, prefix+name+".")...)
		}
	}
	return out
}

// specPaths lists the dotted property names of an OpenAPI object schema.
func specPaths(schema map[string]any, prefix string) []string {
	var out []string
	props, _ := schema["properties"].(map[string]any)
	for name, p := range props {
		out = append(out, prefix+name)
		sub := p.(map[string]any)
		if items, ok := sub["items"].(map[string]any); ok {
			sub = items
		}
		out = append(out, specPaths(sub, prefix+name+".")...)
	}
	return out
}

// TestRequestsAreTheDocument: the sandbox's request types hold exactly
// the fields the document's request schemas declare (plus, for agents,
// the listed undeclared ones, none of which the document declares), so
// that decoding them strictly refuses what the API does not define.
func TestRequestsAreTheDocument(t *testing.T) {
	data, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	sorted := cmpopts.SortSlices(func(a, b string) bool { return a < b })
	var extra []string
	for p := range undeclaredRequestFields {
		extra = append(extra, p)
	}
	if diff := cmp.Diff(extra, jsonPaths(reflect.TypeFor[undeclaredFields](), ""), sorted); diff != "" {
		t.Errorf("undeclaredFields vs undeclaredRequestFields (-listed +struct):\n%s", diff)
	}
	tests := []struct {
		typ     reflect.Type
		schemas []string
		extra   []string
	}{
		{reflect.TypeFor[agentRequest](), []string{"CreateServiceRequest", "UpdateServiceRequest"}, extra},
		{reflect.TypeFor[secretSetRequest](), []string{"RegularSecretsRequest", "ImagePullSecretRequest"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.typ.Name(), func(t *testing.T) {
			declared := map[string]bool{}
			for _, name := range tt.schemas {
				for _, p := range specPaths(doc.Components.Schemas[name], "") {
					declared[p] = true
				}
			}
			want := slices.Clone(tt.extra)
			for p := range declared {
				want = append(want, p)
			}
			for _, p := range tt.extra {
				if declared[p] {
					t.Errorf("%s is declared by the document now: move it out of undeclaredFields and undeclaredRequestFields", p)
				}
			}
			if diff := cmp.Diff(want, jsonPaths(tt.typ, ""), sorted); diff != "" {
				t.Errorf("fields (-document and listed extras +struct):\n%s", diff)
			}
		})
	}
}
