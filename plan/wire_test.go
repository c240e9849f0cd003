package plan

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/pipecat-gitops/pipecat-gitops/schema"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// specExample returns the JSON example of a 200 response in the official
// spec.
func specExample(t *testing.T, path, method string) *cloud.ServiceDetails {
	t.Helper()
	raw, err := os.ReadFile("../cloud/testdata/pipecat-cloud-openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var op struct {
		Responses map[string]struct {
			Content map[string]struct {
				Example json.RawMessage `json:"example"`
			} `json:"content"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(doc.Paths[path][method], &op); err != nil {
		t.Fatal(err)
	}
	ex := op.Responses["200"].Content["application/json"].Example
	if len(ex) == 0 {
		t.Fatalf("no example for %s %s", method, path)
	}
	var d cloud.ServiceDetails
	if err := json.Unmarshal(ex, &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

func TestLiveSpecFromSpecExamples(t *testing.T) {
	// The update and get examples describe the same agent after the update.
	updated := schema.Spec{
		Image: sp("your-dockername/voice-starter:0.1"), Region: sp("us-west"), NodeType: sp("arm"),
		AgentProfile: sp("agent-1x"), ImagePullSecretSet: sp("dockerhub-credentials"), SecretSet: sp("voice-starter-secrets"),
		AutoScaling: &schema.AutoScaling{MinAgents: ip(1), MaxAgents: ip(10)}, KrispViva: &schema.KrispViva{AudioFilter: sp("tel")},
		EnableKrisp: bp(false), MaxSessionDuration: ip(3600),
	}
	tests := []struct {
		name   string
		path   string
		method string
		want   schema.Spec
	}{
		{
			name: "create response example", path: "/agents", method: "post",
			want: schema.Spec{
				Image: sp("your-dockername/voice-starter:0.1"), Region: sp("us-west"), NodeType: sp("arm"),
				AgentProfile: sp("agent-1x"), ImagePullSecretSet: sp("dockerhub-credentials"), SecretSet: sp("voice-starter-secrets"),
				AutoScaling: &schema.AutoScaling{MinAgents: ip(1), MaxAgents: ip(20)}, KrispViva: &schema.KrispViva{AudioFilter: sp("tel")},
				EnableKrisp: bp(false), MaxSessionDuration: ip(3600),
			},
		},
		{
			name: "update response example", path: "/agents/{agentName}", method: "post",
			want: updated,
		},
		{
			name: "get response example", path: "/agents/{agentName}", method: "get",
			want: updated,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LiveSpec(specExample(t, tt.path, tt.method))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LiveSpec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLiveSpecEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want schema.Spec
	}{
		{
			name: "no deployment: defaults for session duration and krisp",
			in:   `{"name":"a","region":"eu-central","agentProfile":null,"krispViva":null,"deployment":null}`,
			want: schema.Spec{Region: sp("eu-central"), KrispViva: &schema.KrispViva{}, EnableKrisp: bp(false), MaxSessionDuration: ip(7200)},
		},
		{
			name: "autoScaling falls back to the manifest's",
			in:   `{"name":"a","deployment":{"manifest":{"spec":{"image":"x:1","autoScaling":{"minReplicas":0,"maxReplicas":3},"krispModels":{"enabled":true}}}}}`,
			want: schema.Spec{Image: sp("x:1"), AutoScaling: &schema.AutoScaling{MinAgents: ip(0), MaxAgents: ip(3)}, KrispViva: &schema.KrispViva{}, EnableKrisp: bp(true), MaxSessionDuration: ip(7200)},
		},
		{
			name: "empty secret names mean none",
			in:   `{"name":"a","deployment":{"manifest":{"spec":{"imagePullSecretName":"","envFromSecretNames":[]}}}}`,
			want: schema.Spec{KrispViva: &schema.KrispViva{}, EnableKrisp: bp(false), MaxSessionDuration: ip(7200)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d cloud.ServiceDetails
			if err := json.Unmarshal([]byte(tt.in), &d); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, LiveSpec(&d)); diff != "" {
				t.Errorf("LiveSpec (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRequestBodies pins what apply sends: the managed fields and nothing
// else, buildId on create and update, never serviceName or region on
// update, a disabled Krisp VIVA as an explicit null, managedKeys as
// enableIntegratedKeysProxy, and a build only as its buildId.
func TestRequestBodies(t *testing.T) {
	full := schema.Spec{
		Image: sp("acme/bot:1.0"), Region: sp("eu-central"), SecretSet: sp("bot-secrets"),
		AutoScaling: &schema.AutoScaling{MinAgents: ip(0)}, KrispViva: &schema.KrispViva{}, MaxSessionDuration: ip(600),
	}
	build := schema.Spec{BuildID: sp("123e4567-e89b-12d3-a456-426614174000"), Region: sp("us-west")}
	tests := []struct {
		name string
		body any
		want string
	}{
		{"create sends every managed field", CreateRequest("bot", &full),
			`{"serviceName":"bot","image":"acme/bot:1.0","region":"eu-central","secretSet":"bot-secrets","autoScaling":{"minAgents":0},"krispViva":{"audioFilter":null},"maxSessionDuration":600}`},
		{"update leaves out serviceName and region", UpdateRequest(&full),
			`{"image":"acme/bot:1.0","secretSet":"bot-secrets","autoScaling":{"minAgents":0},"krispViva":{"audioFilter":null},"maxSessionDuration":600}`},
		{"create of a build agent sends buildId", CreateRequest("built", &build),
			`{"serviceName":"built","buildId":"123e4567-e89b-12d3-a456-426614174000","region":"us-west"}`},
		{"update of a build agent sends buildId", UpdateRequest(&build),
			`{"buildId":"123e4567-e89b-12d3-a456-426614174000"}`},
		{"nothing managed sends nothing", UpdateRequest(&schema.Spec{}), `{}`},
		{"managed keys are enableIntegratedKeysProxy, false included", CreateRequest("keyed", &schema.Spec{Image: sp("a:1"), ManagedKeys: bp(false)}),
			`{"serviceName":"keyed","image":"a:1","enableIntegratedKeysProxy":false}`},
		{"and on update", UpdateRequest(&schema.Spec{ManagedKeys: bp(true)}), `{"enableIntegratedKeysProxy":true}`},
		{"a build is never sent as such: apply sends its buildId", UpdateRequest(&schema.Spec{
			Build: &schema.BuildSource{Context: sp("agents/bot")}, BuildID: sp("123e4567-e89b-12d3-a456-426614174000")}),
			`{"buildId":"123e4567-e89b-12d3-a456-426614174000"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// jsonType follows a dotted JSON path through the types of t (a number
// steps into a slice) and reports whether every step exists.
func jsonType(t reflect.Type, path []string) bool {
	for _, name := range path {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Slice {
			t = t.Elem()
			continue
		}
		found := false
		for i := range t.NumField() {
			if n, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); n == name {
				t, found = t.Field(i).Type, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// TestFieldTableNamesTheWireTypes: every wire name of the field table is a
// field of both request types (an immutable one of the create request
// only), and every live path one of the detail response, so a table that
// misnames one fails here rather than at run time.
func TestFieldTableNamesTheWireTypes(t *testing.T) {
	create, update := reflect.TypeFor[cloud.CreateServiceRequest](), reflect.TypeFor[cloud.UpdateServiceRequest]()
	details := reflect.TypeFor[cloud.ServiceDetails]()
	for _, f := range schema.AllFields() {
		if f.Wire != "" {
			wire := strings.Split(f.Wire, ".")
			if !jsonType(create, wire) {
				t.Errorf("%s: cloud.CreateServiceRequest has no %s", f.Path, f.Wire)
			}
			if !f.Immutable && !jsonType(update, wire) {
				t.Errorf("%s: cloud.UpdateServiceRequest has no %s", f.Path, f.Wire)
			}
		}
		for _, p := range f.Live {
			if !jsonType(details, strings.Split(p, ".")) {
				t.Errorf("%s: cloud.ServiceDetails has no %s", f.Path, p)
			}
		}
	}
}
