package cloud_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// specExample returns the example of one response in the official spec
// (testdata copy of ../shared/reference/pipecat-cloud-openapi.json).
func specExample(t *testing.T, path, method, status string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/pipecat-cloud-openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	// Path items also hold a "parameters" array: decode operations lazily.
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	var op struct {
		Responses map[string]struct {
			Content map[string]struct {
				Example json.RawMessage `json:"example"`
			} `json:"content"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(spec.Paths[path][method], &op); err != nil {
		t.Fatalf("spec operation %s %s: %v", method, path, err)
	}
	ex := op.Responses[status].Content["application/json"].Example
	if len(ex) == 0 {
		t.Fatalf("spec has no example for %s %s %s", method, path, status)
	}
	return ex
}

// decodeStrict decodes like the client does, but fails on any field the
// types do not have, proving that nothing the API sends is dropped.
func decodeStrict(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %T: %v", v, err)
	}
}

// planView is what plan and apply read from an agent's details.
type planView struct {
	Region                    string
	MinReplicas, MaxReplicas  *int // top-level autoScaling
	SpecMin, SpecMax          *int // manifest autoScaling
	Image                     string
	ImagePullSecretName       string
	EnvFromSecretNames        []string
	AgentProfile              *string
	AudioFilter               *string
	KrispVivaOn               *bool
	KrispEnabled              *bool
	MaxSessionDurationSeconds *int
	DesiredDeploymentID       string
	ReconciledDeploymentID    *string
	Ready                     bool
	Available                 bool
	ActiveDeploymentReady     bool
	Phase                     string
	HealthReady               *bool
	HealthState               string
}

func viewOf(d *cloud.ServiceDetails) planView {
	v := planView{
		Region:                 d.Region,
		AgentProfile:           d.AgentProfile,
		DesiredDeploymentID:    d.DesiredDeploymentID,
		ReconciledDeploymentID: d.ReconciledDeploymentID,
		Ready:                  d.Ready,
		Available:              d.Available,
		ActiveDeploymentReady:  d.ActiveDeploymentReady,
	}
	if d.AutoScaling != nil {
		v.MinReplicas, v.MaxReplicas = d.AutoScaling.MinReplicas, d.AutoScaling.MaxReplicas
	}
	if d.KrispViva != nil {
		v.AudioFilter = d.KrispViva.AudioFilter
	}
	if d.Deployment != nil && d.Deployment.Manifest != nil {
		s := d.Deployment.Manifest.Spec
		v.Image, v.ImagePullSecretName, v.EnvFromSecretNames = s.Image, s.ImagePullSecretName, s.EnvFromSecretNames
		v.MaxSessionDurationSeconds = s.MaxSessionDurationSeconds
		if s.AutoScaling != nil {
			v.SpecMin, v.SpecMax = s.AutoScaling.MinReplicas, s.AutoScaling.MaxReplicas
		}
		if s.KrispModels != nil {
			v.KrispEnabled = &s.KrispModels.Enabled
		}
		if s.KrispViva != nil {
			v.KrispVivaOn = &s.KrispViva.AudioFilters
		}
	}
	if r := d.CurrentRevision; r != nil {
		v.Phase = r.Phase
		if r.Health != nil {
			v.HealthReady, v.HealthState = &r.Health.Ready, r.Health.State
		}
	}
	return v
}

func TestSpecAgentExamplesDecode(t *testing.T) {
	const activeID = "19db578d-808c-420a-a047-87edde4410c1"
	running := planView{
		Region: "us-west", MinReplicas: ptr(1), MaxReplicas: ptr(10), SpecMin: ptr(1), SpecMax: ptr(10),
		Image: "your-dockername/voice-starter:0.1", ImagePullSecretName: "dockerhub-credentials",
		EnvFromSecretNames: []string{"voice-starter-secrets"}, AgentProfile: ptr("agent-1x"),
		AudioFilter: ptr("tel"), KrispVivaOn: ptr(true), KrispEnabled: ptr(false), MaxSessionDurationSeconds: ptr(3600),
		DesiredDeploymentID: activeID, ReconciledDeploymentID: ptr(activeID),
		Ready: true, Available: true, ActiveDeploymentReady: true,
		Phase: "Active", HealthReady: ptr(true), HealthState: "running",
	}
	tests := []struct {
		name                 string
		path, method, status string
		want                 planView
	}{
		{
			// The product seed's create response ({"name":"voice-starter",
			// "ready":false,...}) is this example: not yet reconciled.
			name: "create 200 (seed create response)", path: "/agents", method: "post", status: "200",
			want: planView{
				Region: "us-west", MinReplicas: ptr(1), MaxReplicas: ptr(20), SpecMin: ptr(1), SpecMax: ptr(20),
				Image: "your-dockername/voice-starter:0.1", ImagePullSecretName: "dockerhub-credentials",
				EnvFromSecretNames: []string{"voice-starter-secrets"}, AgentProfile: ptr("agent-1x"),
				AudioFilter: ptr("tel"), KrispVivaOn: ptr(true), KrispEnabled: ptr(false), MaxSessionDurationSeconds: ptr(3600),
				DesiredDeploymentID: "13c0be89-5ae8-4b0b-ad22-79565e11de3b", ReconciledDeploymentID: nil,
			},
		},
		{name: "get 200", path: "/agents/{agentName}", method: "get", status: "200", want: running},
		{name: "update 200", path: "/agents/{agentName}", method: "post", status: "200", want: running},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d cloud.ServiceDetails
			decodeStrict(t, specExample(t, tt.path, tt.method, tt.status), &d)
			if d.Name != "voice-starter" {
				t.Errorf("name = %q", d.Name)
			}
			if diff := cmp.Diff(tt.want, viewOf(&d)); diff != "" {
				t.Errorf("plan fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSpecListExamplesDecode(t *testing.T) {
	t.Run("agents", func(t *testing.T) {
		var got cloud.ListServicesResponse
		decodeStrict(t, specExample(t, "/agents", "get", "200"), &got)
		var view [][3]string
		for _, s := range got.Services {
			view = append(view, [3]string{s.Name, s.Region, s.DesiredDeploymentID})
		}
		want := [][3]string{
			{"voice-starter", "us-west", "4cab03c7-8f53-418d-9c3c-91a1265d179e"},
			{"voice-starter-krisp", "us-west", "62e89096-23c6-4265-984b-f419696c58da"},
		}
		if diff := cmp.Diff(want, view); diff != "" {
			t.Errorf("agents (-want +got):\n%s", diff)
		}
	})
	t.Run("secret sets", func(t *testing.T) {
		var got cloud.ListSecretSetsResponse
		decodeStrict(t, specExample(t, "/secrets", "get", "200"), &got)
		want := []cloud.SecretSetSummary{
			{Name: "my-app-secrets", Type: cloud.SecretTypeSecret, Region: "us-west", Status: cloud.SecretStatusReady},
			{Name: "dockerhub-credentials", Type: cloud.SecretTypeImagePullSecret, Region: "us-west", Status: cloud.SecretStatusPending},
		}
		if diff := cmp.Diff(want, got.Sets); diff != "" {
			t.Errorf("sets (-want +got):\n%s", diff)
		}
	})
	t.Run("secret set", func(t *testing.T) {
		var got cloud.SecretSetDetails
		decodeStrict(t, specExample(t, "/secrets/{setName}", "get", "200"), &got)
		want := cloud.SecretSetDetails{Region: "us-west", Status: "ready", Secrets: []cloud.SecretKey{{FieldName: "API_KEY"}, {FieldName: "DATABASE_URL"}, {FieldName: "JWT_SECRET"}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("set (-want +got):\n%s", diff)
		}
	})
	t.Run("secret set accepted", func(t *testing.T) {
		var got cloud.SecretSetAccepted
		decodeStrict(t, specExample(t, "/secrets/{setName}", "put", "202"), &got)
		if diff := cmp.Diff(cloud.SecretSetAccepted{Status: "OK", Region: "us-west"}, got); diff != "" {
			t.Errorf("accepted (-want +got):\n%s", diff)
		}
	})
	t.Run("regions", func(t *testing.T) {
		var got cloud.ListRegionsResponse
		decodeStrict(t, specExample(t, "/regions", "get", "200"), &got)
		want := []cloud.Region{
			{Code: "us-west", DisplayName: "US West (Oregon)"},
			{Code: "us-east", DisplayName: "US East (Virginia)"},
			{Code: "eu-central", DisplayName: "Europe (Frankfurt)"},
			{Code: "ap-south", DisplayName: "Asia Pacific (Mumbai)"},
		}
		if diff := cmp.Diff(want, got.Regions); diff != "" {
			t.Errorf("regions (-want +got):\n%s", diff)
		}
	})
	t.Run("delete", func(t *testing.T) {
		var got cloud.DeleteResponse
		decodeStrict(t, specExample(t, "/agents/{agentName}", "delete", "200"), &got)
		if got.Status != "OK" {
			t.Errorf("status = %q", got.Status)
		}
	})
	t.Run("error", func(t *testing.T) {
		var got cloud.ErrorResponse
		decodeStrict(t, specExample(t, "/agents/{agentName}", "get", "404"), &got)
		if diff := cmp.Diff(cloud.ErrorResponse{Error: "Not found", Code: "NOT_FOUND"}, got); diff != "" {
			t.Errorf("error (-want +got):\n%s", diff)
		}
	})
}
