package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// secretsPlan has a set change of every kind, a restart caused by one,
// and hostile names where the API supplies them (a key to remove, a set
// to prune).
func secretsPlan() *plan.Plan {
	voice := &schema.SecretSetSpec{Region: "us-west", RestartOnChange: true, Secrets: map[string]schema.SecretSource{
		"OPENAI_API_KEY": {FromEnv: "OPENAI_API_KEY"}, "DAILY_API_KEY": {FromEnv: "DAILY_API_KEY"}}}
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		Config:        "pipecat.yaml",
		Changes: []plan.Change{
			{Agent: "support-bot", Action: plan.NoOp, Line: 20, Fingerprint: "sha256:s", Desired: &schema.Spec{Image: ptr("acme/support:1")}},
			{Agent: "voice-starter", Action: plan.Update, Line: 12, Fingerprint: "sha256:v", Reason: plan.RestartReason("voice-secrets"),
				RestartFor: "voice-secrets", Desired: &schema.Spec{Image: ptr("acme/voice:1"), SecretSet: ptr("voice-secrets")}},
		},
		SecretSets: []plan.SecretSetChange{
			{Name: "app-secrets", Action: plan.Create, Type: "secret", Region: "us-west", Line: 30, Fingerprint: "absent",
				KeysAdded: []string{"A_KEY", "B_KEY"},
				Desired:   &schema.SecretSetSpec{Region: "us-west", Secrets: map[string]schema.SecretSource{"A_KEY": {FromEnv: "A"}, "B_KEY": {FromEnv: "B"}}}},
			{Name: "eu-secrets", Action: plan.Replace, Type: "secret", Region: "eu-central", Line: 40, Fingerprint: "sha256:e",
				Reason: "region us-west -> eu-central cannot change in place", KeysAdded: []string{"K"},
				Desired: &schema.SecretSetSpec{Region: "eu-central", Secrets: map[string]schema.SecretSource{"K": {FromEnv: "K"}}}},
			{Name: "ghcr-pull", Action: plan.Create, Type: "imagePullSecret", Region: "us-west", Line: 44, Fingerprint: "absent",
				Desired: &schema.SecretSetSpec{Region: "us-west", ImagePull: &schema.ImagePull{Host: "https://ghcr.io", FromEnv: "GHCR_PULL_TOKEN"}}},
			{Name: "old|set`<b>", Action: plan.Delete, Type: "secret", Region: "us-west", Reason: plan.ReasonPruneSecretSet, Fingerprint: "sha256:o"},
			{Name: "quiet-secrets", Action: plan.NoOp, Type: "secret", Region: "us-west", Values: plan.ValuesUnchanged, Line: 50, Fingerprint: "sha256:q",
				Desired: &schema.SecretSetSpec{Region: "us-west", Secrets: map[string]schema.SecretSource{"Q": {FromEnv: "Q"}}}},
			{Name: "voice-secrets", Action: plan.Update, Type: "secret", Region: "us-west", Values: plan.ValuesChanged, Line: 34, Fingerprint: "sha256:v",
				KeysAdded: []string{"DAILY_API_KEY"}, KeysRemoved: []string{"LEGACY_*_|KEY\x1b[31m"}, Desired: voice},
		},
		Findings: []plan.Finding{
			{Severity: plan.Error, Field: "secretSets.app-secrets.secrets.B_KEY.fromEnv", File: "pipecat.yaml", Line: 33, Col: 23,
				Message: "environment variable B is not set or empty: it holds a value of this secret set (in GitHub Actions, map the repository secret into the step's env:)"},
		},
	}
	p.Summarize()
	return p
}

func secretsResult() *apply.Result {
	return &apply.Result{
		Config: "pipecat.yaml",
		Results: []apply.AgentResult{
			{Agent: "voice-starter", Action: plan.Update, Outcome: apply.Failed, Duration: 0,
				ErrorCode: apply.CodeSecretSetNotReady, Error: "secret set voice-secrets is not ready (Secret set provisioning failed. Please retry or contact support.); the agent was not sent"},
		},
		SecretSets: []apply.SecretSetResult{
			{Name: "app-secrets", Action: plan.Create, Outcome: apply.Succeeded, Ready: true, Duration: 310 * time.Millisecond},
			{Name: "old|set`<b>", Action: plan.Delete, Outcome: apply.Succeeded, Duration: 40 * time.Millisecond},
			{Name: "voice-secrets", Action: plan.Update, Outcome: apply.Failed, Duration: 2 * time.Second,
				ErrorCode: apply.CodeSecretSetFailed, Error: "Secret set provisioning failed. Please retry or contact support."},
		},
	}
}

func TestSecretSetsGolden(t *testing.T) {
	tests := []struct {
		file   string
		render func() (string, error)
	}{
		{"plan_secrets.txt", func() (string, error) {
			var b strings.Builder
			err := PlanText(&b, secretsPlan(), TextOptions{})
			return b.String(), err
		}},
		{"plan_secrets.md", func() (string, error) { return PlanMarkdown(secretsPlan(), sampleMeta), nil }},
		{"plan_secrets.json", func() (string, error) {
			var b bytes.Buffer
			err := PlanJSON(&b, secretsPlan())
			return b.String(), err
		}},
		{"result_secrets.txt", func() (string, error) {
			var b strings.Builder
			err := ResultText(&b, secretsResult(), TextOptions{})
			return b.String(), err
		}},
		{"result_secrets.md", func() (string, error) { return ResultMarkdown(secretsResult(), secretsPlan(), sampleMeta), nil }},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := tt.render()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, []byte(got))
		})
	}
}

// TestOnlySecretSetsChange: a plan whose agents are unchanged but whose
// sets change is not "No changes", in either rendering.
func TestOnlySecretSetsChange(t *testing.T) {
	p := secretsPlan()
	p.Changes = p.Changes[:1]
	p.Summarize()
	var b strings.Builder
	if err := PlanText(&b, p, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": b.String(), "markdown": PlanMarkdown(p, Meta{})} {
		if strings.Contains(out, "No changes") {
			t.Errorf("%s says no changes:\n%s", name, out)
		}
		if !strings.Contains(out, "Secret sets: 2 to create, 1 to update, 1 to replace, 1 to delete, 1 unchanged.") {
			t.Errorf("%s has no secret set counts:\n%s", name, out)
		}
	}
	if !p.Summary.HasChanges() {
		t.Error("HasChanges is false for a plan that changes secret sets")
	}
}
