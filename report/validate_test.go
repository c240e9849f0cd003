package report

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestValidationMarkdown(t *testing.T) {
	want := "<!-- pipecat-gitops: pipecat.yaml -->\n### ✅ pipecat-gitops validate: `pipecat.yaml`, 3 agents valid\n"
	if diff := cmp.Diff(want, ValidationMarkdown("pipecat.yaml", 3)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFailureMarkdown(t *testing.T) {
	m := Meta{Config: "pipecat.yaml", Commit: "9fceb02d0ae598e95dc970b74767f19372d61af8",
		Time: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC), RunURL: "https://github.com/acme/agents/actions/runs/7"}
	tests := []struct {
		name, subject string
		errLines      []string
		meta          Meta
		want          string
	}{
		{
			name: "config errors first, in a fence their backticks cannot close, at the commit", subject: "plan",
			errLines: []string{"pipecat.yaml:4:12: agents.bot.image: bad ```", "hint: add a tag", "pipecat.yaml:9:3: agents.x: unknown key \"x\"\x1b[31m", "pipecat-gitops: error: pipecat.yaml: 2 errors"},
			meta:     m,
			want: "<!-- pipecat-gitops: pipecat.yaml -->\n### ❌ pipecat-gitops plan failed at commit `9fceb02`\n\n" +
				"````\npipecat.yaml:4:12: agents.bot.image: bad ```\nhint: add a tag\npipecat.yaml:9:3: agents.x: unknown key \"x\"\\x1b[31m\npipecat-gitops: error: pipecat.yaml: 2 errors\n````\n\n" +
				"---\n<sub>pipecat-gitops · `pipecat.yaml` · commit `9fceb02` · 2026-11-30T08:00:00Z · [workflow run](https://github.com/acme/agents/actions/runs/7)</sub>\n",
		},
		{
			name: "an API failure outside Actions", subject: "plan",
			errLines: []string{"pipecat-gitops: error: list agents: GET /v1/agents: 503 Service Unavailable (gave up after 5 attempts)"},
			meta:     Meta{Config: "deploy/pipecat.yaml"},
			want: "<!-- pipecat-gitops: deploy/pipecat.yaml -->\n### ❌ pipecat-gitops plan failed\n\n" +
				"```\npipecat-gitops: error: list agents: GET /v1/agents: 503 Service Unavailable (gave up after 5 attempts)\n```\n\n" +
				"---\n<sub>pipecat-gitops · `deploy/pipecat.yaml`</sub>\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, FailureMarkdown(tt.subject, tt.errLines, tt.meta)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
