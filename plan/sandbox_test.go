package plan_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

func sp(s string) *string { return &s }
func ip(i int) *int       { return &i }
func bp(b bool) *bool     { return &b }

// TestLiveSpecFromSandbox creates agents through the API with every managed
// field set, reads them back, and checks that normalization returns exactly
// what was sent: the request and response shapes differ, and this is where
// a renaming would go wrong.
func TestLiveSpecFromSandbox(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{SecretSets: []sandbox.SecretSetSeed{
		{Name: "bot-secrets", Type: "secret", Region: "eu-central", Status: "ready"},
		{Name: "pull", Type: "imagePullSecret", Region: "eu-central", Status: "ready"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	client, err := cloud.New(cloud.Options{BaseURL: srv.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		spec schema.Spec
	}{
		{"every field set", schema.Spec{
			Image: sp("ghcr.io/acme/bot:1.4.0"), Region: sp("eu-central"), NodeType: sp("arm"), AgentProfile: sp("agent-3x"),
			ImagePullSecretSet: sp("pull"), SecretSet: sp("bot-secrets"),
			AutoScaling: &schema.AutoScaling{MinAgents: ip(2), MaxAgents: ip(7)}, KrispViva: &schema.KrispViva{AudioFilter: sp("pro")},
			EnableKrisp: bp(true), MaxSessionDuration: ip(900),
		}},
		{"zero minimum, krisp off, no secrets", schema.Spec{
			Image: sp("acme/bot@sha256:0123456789abcdef0123456789abcdef"), Region: sp("eu-central"), NodeType: sp("arm"), AgentProfile: sp("agent-1x"),
			AutoScaling: &schema.AutoScaling{MinAgents: ip(0), MaxAgents: ip(1)}, KrispViva: &schema.KrispViva{},
			EnableKrisp: bp(false), MaxSessionDuration: ip(14400),
		}},
	}
	// "Every field" must stay true when a field is added to schema.Spec:
	// one the wire mapping or the sandbox forgets then fails here.
	var readable []string
	for _, f := range schema.AllFields() {
		if !f.WriteOnly {
			readable = append(readable, f.Path)
		}
	}
	var set []string
	for _, f := range tests[0].spec.Fields() {
		set = append(set, f.Path)
	}
	if diff := cmp.Diff(readable, set); diff != "" {
		t.Fatalf("the \"every field set\" case does not set every readable field of schema.Spec (-all +set):\n%s", diff)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := []string{"full-bot", "bare-bot"}[i]
			created, err := client.CreateAgent(context.Background(), plan.CreateRequest(name, &tt.spec))
			if err != nil {
				t.Fatal(err)
			}
			got, err := client.GetAgent(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range []*cloud.ServiceDetails{created, got} {
				if diff := cmp.Diff(tt.spec, plan.LiveSpec(d)); diff != "" {
					t.Errorf("LiveSpec of the sandbox's answer (-sent +normalized):\n%s", diff)
				}
			}
			// And an update of every field comes back the same way.
			tt.spec.Image, tt.spec.MaxSessionDuration = sp("acme/bot:2.0"), ip(60)
			if _, err := client.UpdateAgent(context.Background(), name, plan.UpdateRequest(&tt.spec)); err != nil {
				t.Fatal(err)
			}
			got, err = client.GetAgent(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.spec, plan.LiveSpec(got)); diff != "" {
				t.Errorf("LiveSpec after update (-sent +normalized):\n%s", diff)
			}
		})
	}
}
