package preview

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

func ptr[T any](v T) *T { return &v }

func agent(name, image, set string) schema.Agent {
	a := schema.Agent{Name: name, Spec: schema.Spec{Image: ptr(image), AutoScaling: &schema.AutoScaling{MinAgents: ptr(2), MaxAgents: ptr(10)}},
		Pos: schema.Position{Line: 3, Col: 3}, FieldPos: map[string]schema.Position{}}
	if set != "" {
		a.Spec.SecretSet = ptr(set)
		a.FieldPos["secretSet"] = schema.Position{Line: 5, Col: 16}
	}
	return a
}

func changes(actions map[string]plan.Action) *plan.Plan {
	p := &plan.Plan{}
	for name, a := range actions {
		p.Changes = append(p.Changes, plan.Change{Agent: name, Action: a})
	}
	return p
}

func TestSelect(t *testing.T) {
	cfg := &schema.Config{Agents: []schema.Agent{agent("a-bot", "a:1", ""), agent("b-bot", "b:1", ""), agent("c-bot", "c:1", ""), agent("voice-d", "d:1", "")}}
	p := changes(map[string]plan.Action{"a-bot": plan.Update, "b-bot": plan.NoOp, "c-bot": plan.Create, "voice-d": plan.Replace, "gone": plan.Delete})
	tests := []struct {
		name  string
		globs []string
		want  []string
	}{
		{"no globs: every changed agent", nil, []string{"a-bot", "c-bot", "voice-d"}},
		{"globs narrow", []string{"voice-*", "a-*"}, []string{"a-bot", "voice-d"}},
		{"a no-op never gets a preview", []string{"b-bot"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg.Previews.Agents = tt.globs
			var got []string
			for _, a := range Select(cfg, p) {
				got = append(got, a.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("selected (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name       string
		base, over schema.Spec
		want       schema.Spec
	}{
		{"objects merge key by key, fields replace",
			schema.Spec{Image: ptr("a:1"), SecretSet: ptr("prod"), AutoScaling: &schema.AutoScaling{MinAgents: ptr(2), MaxAgents: ptr(10)}},
			schema.Spec{SecretSet: ptr("staging"), AutoScaling: &schema.AutoScaling{MinAgents: ptr(0)}},
			schema.Spec{Image: ptr("a:1"), SecretSet: ptr("staging"), AutoScaling: &schema.AutoScaling{MinAgents: ptr(0), MaxAgents: ptr(10)}}},
		{"an override of what to run replaces the agent's choice",
			schema.Spec{BuildID: ptr("0b0e4c6a-1111-4222-8333-944455556666"), Region: ptr("us-west")},
			schema.Spec{Image: ptr("b:2")},
			schema.Spec{Image: ptr("b:2"), Region: ptr("us-west")}},
		{"no overrides: the agent's spec", schema.Spec{Image: ptr("a:1")}, schema.Spec{}, schema.Spec{Image: ptr("a:1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Merge(tt.base, tt.over)); diff != "" {
				t.Errorf("Merge (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	prodA, prodB := agent("a-bot", "a:1", "prod"), agent("b-bot", "b:1", "")
	tests := []struct {
		name     string
		previews schema.Previews
		agents   []schema.Agent
		want     []schema.Agent
		findings []string
	}{
		{
			name:     "overrides applied, names by the rule, staging set allowed",
			previews: schema.Previews{Overrides: schema.Spec{SecretSet: ptr("staging"), AutoScaling: &schema.AutoScaling{MinAgents: ptr(0), MaxAgents: ptr(1)}}},
			agents:   []schema.Agent{prodA},
			want:     []schema.Agent{{Name: "a-bot-pr7", Spec: schema.Spec{Image: ptr("a:1"), SecretSet: ptr("staging"), AutoScaling: &schema.AutoScaling{MinAgents: ptr(0), MaxAgents: ptr(1)}}}},
		},
		{
			name:     "a production secret set is refused",
			previews: schema.Previews{},
			agents:   []schema.Agent{prodA},
			want:     []schema.Agent{{Name: "a-bot-pr7", Spec: prodA.Spec}},
			findings: []string{`pipecat.yaml:5:16: a-bot-pr7: preview would run the pull request's code with secret set "prod", which agent a-bot uses; set previews.overrides.secretSet to a staging secret set (or, knowingly, previews.allowProductionSecrets: true)`},
		},
		{
			name:     "a production secret set another agent uses is refused too",
			previews: schema.Previews{Overrides: schema.Spec{SecretSet: ptr("prod")}},
			agents:   []schema.Agent{prodB},
			want:     []schema.Agent{{Name: "b-bot-pr7", Spec: schema.Spec{Image: ptr("b:1"), SecretSet: ptr("prod"), AutoScaling: prodB.Spec.AutoScaling}}},
			findings: []string{`pipecat.yaml:0:0: b-bot-pr7: preview would run the pull request's code with secret set "prod", which agent a-bot uses; set previews.overrides.secretSet to a staging secret set (or, knowingly, previews.allowProductionSecrets: true)`},
		},
		{
			name:     "allowProductionSecrets lets it be",
			previews: schema.Previews{AllowProductionSecrets: true},
			agents:   []schema.Agent{prodA},
			want:     []schema.Agent{{Name: "a-bot-pr7", Spec: prodA.Spec}},
		},
		{
			name:     "more previews than maxAgents is an error, not a cut",
			previews: schema.Previews{MaxAgents: 1, Pos: schema.Position{Line: 9, Col: 1}},
			agents:   []schema.Agent{prodB, agent("c-bot", "c:1", "")},
			want:     []schema.Agent{{Name: "b-bot-pr7", Spec: prodB.Spec}, {Name: "c-bot-pr7", Spec: agent("c-bot", "c:1", "").Spec}},
			findings: []string{"pipecat.yaml:9:1: : pull request #7 changes 2 agents that get previews (b-bot, c-bot), more than previews.maxAgents (1); raise previews.maxAgents or narrow previews.agents in a reviewed change"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &schema.Config{File: "pipecat.yaml", Version: 1, Agents: []schema.Agent{prodA, prodB}, Previews: tt.previews}
			out, sources, findings := Config(cfg, tt.agents, 7)
			var got []schema.Agent
			for _, a := range out.Agents {
				got = append(got, schema.Agent{Name: a.Name, Spec: a.Spec})
				if src, want := sources[a.Name], strings.TrimSuffix(a.Name, "-pr7"); src != want {
					t.Errorf("source of %s = %q, want %q", a.Name, src, want)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("previews (-want +got):\n%s", diff)
			}
			var msgs []string
			for _, f := range findings {
				if f.Severity != plan.Error || f.Kind != plan.KindRefusal {
					t.Errorf("finding %+v is not a refusal", f)
				}
				msgs = append(msgs, f.File+":"+itoa(f.Line)+":"+itoa(f.Col)+": "+f.Agent+": "+f.Message)
			}
			if diff := cmp.Diff(tt.findings, msgs); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if out.Prune.Enabled || len(out.SecretSets) > 0 || out.Organization != nil {
				t.Errorf("the preview config manages more than its agents: %+v", out)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
