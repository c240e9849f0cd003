package plan

import (
	"encoding/json"
	"os"
	"testing"

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
	updated := Spec{
		Image: sp("your-dockername/voice-starter:0.1"), Region: sp("us-west"), NodeType: sp("arm"),
		AgentProfile: sp("agent-1x"), ImagePullSecretSet: sp("dockerhub-credentials"), SecretSet: sp("voice-starter-secrets"),
		AutoScaling: &AutoScaling{MinAgents: ip(1), MaxAgents: ip(10)}, KrispViva: &KrispViva{AudioFilter: sp("tel")},
		EnableKrisp: bp(false), MaxSessionDuration: ip(3600),
	}
	tests := []struct {
		name   string
		path   string
		method string
		want   Spec
	}{
		{
			name: "create response example", path: "/agents", method: "post",
			want: Spec{
				Image: sp("your-dockername/voice-starter:0.1"), Region: sp("us-west"), NodeType: sp("arm"),
				AgentProfile: sp("agent-1x"), ImagePullSecretSet: sp("dockerhub-credentials"), SecretSet: sp("voice-starter-secrets"),
				AutoScaling: &AutoScaling{MinAgents: ip(1), MaxAgents: ip(20)}, KrispViva: &KrispViva{AudioFilter: sp("tel")},
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
		want Spec
	}{
		{
			name: "no deployment: defaults for session duration and krisp",
			in:   `{"name":"a","region":"eu-central","agentProfile":null,"krispViva":null,"deployment":null}`,
			want: Spec{Region: sp("eu-central"), KrispViva: &KrispViva{}, EnableKrisp: bp(false), MaxSessionDuration: ip(7200)},
		},
		{
			name: "autoScaling falls back to the manifest's",
			in:   `{"name":"a","deployment":{"manifest":{"spec":{"image":"x:1","autoScaling":{"minReplicas":0,"maxReplicas":3},"krispModels":{"enabled":true}}}}}`,
			want: Spec{Image: sp("x:1"), AutoScaling: &AutoScaling{MinAgents: ip(0), MaxAgents: ip(3)}, KrispViva: &KrispViva{}, EnableKrisp: bp(true), MaxSessionDuration: ip(7200)},
		},
		{
			name: "empty secret names mean none",
			in:   `{"name":"a","deployment":{"manifest":{"spec":{"imagePullSecretName":"","envFromSecretNames":[]}}}}`,
			want: Spec{KrispViva: &KrispViva{}, EnableKrisp: bp(false), MaxSessionDuration: ip(7200)},
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

func TestImageHasTag(t *testing.T) {
	for image, want := range map[string]bool{
		"acme/bot:1.0": true, "ghcr.io/acme/bot@sha256:abc": true, "localhost:5000/bot": false,
		"localhost:5000/bot:2": true, "bot": false, "bot:": false,
	} {
		if got := ImageHasTag(image); got != want {
			t.Errorf("ImageHasTag(%q) = %v, want %v", image, got, want)
		}
	}
}
