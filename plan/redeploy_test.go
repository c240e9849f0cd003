package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// TestRedeploy: --redeploy turns an unchanged matching agent into an
// update with reason "redeploy requested"; an agent that changes anyway
// keeps its fields, others are untouched; a glob that matches nothing is
// refused; the decision is recorded in the plan.
func TestRedeploy(t *testing.T) {
	agent := func(name, image string) schema.Agent {
		return schema.Agent{Name: name, Spec: fullLive(image), Pos: schema.Position{Line: 3, Col: 3},
			FieldPos: map[string]schema.Position{"image": {Line: 4, Col: 12}}}
	}
	cfg := config(schema.Prune{}, agent("bot", "acme/bot:1.0"), agent("bot-changed", "acme/bot:2.0"), agent("other", "acme/other:1.0"))
	live := liveOf(liveAgent("bot", fullLive("acme/bot:1.0")), liveAgent("bot-changed", fullLive("acme/bot:1.0")), liveAgent("other", fullLive("acme/other:1.0")))
	live.Details["bot"].DesiredDeploymentID = "dep-1"
	p := Diff(cfg, live, Options{Redeploy: []string{"bot*"}})
	want := []brief{
		{Agent: "bot", Action: "update", Reason: ReasonRedeploy},
		{Agent: "bot-changed", Action: "update", Fields: []FieldChange{{Path: "image", Before: "acme/bot:1.0", After: "acme/bot:2.0"}}},
		{Agent: "other", Action: "no-op"},
	}
	if diff := cmp.Diff(want, briefs(p)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if p.Changes[0].Deployment != "dep-1" {
		t.Errorf("a redeploy binds the live deployment (stale once applied): %q", p.Changes[0].Deployment)
	}
	if diff := cmp.Diff([]string{"bot*"}, p.Options.Redeploy); diff != "" || len(p.Findings) != 0 {
		t.Errorf("recorded options %v, findings %+v", p.Options.Redeploy, p.Findings)
	}

	p = Diff(cfg, live, Options{Redeploy: []string{"nobody"}})
	if len(p.Findings) != 1 || p.Findings[0].Message != `--redeploy "nobody" matches no agent in the config` || !p.HasErrors() {
		t.Errorf("findings %+v", p.Findings)
	}
}

// TestMutableTagWarning: an image without a tag or with a mutable one is
// a warning at its value.
func TestMutableTagWarning(t *testing.T) {
	a := schema.Agent{Name: "bot", Spec: schema.Spec{Image: sp("acme/bot:latest")}, FieldPos: map[string]schema.Position{"image": {Line: 4, Col: 12}}}
	p := Diff(config(schema.Prune{}, a), liveOf(), Options{})
	want := []Finding{{Severity: Warning, Agent: "bot", Field: "image", File: "pipecat.yaml", Line: 4, Col: 12,
		Message: schema.TagWarning("bot", "acme/bot:latest", "has the mutable tag latest")}}
	if diff := cmp.Diff(want, p.Findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}
