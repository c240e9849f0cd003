package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidationMarkdown(t *testing.T) {
	tests := []struct {
		name   string
		agents int
		errs   []string
		want   string
	}{
		{
			name: "valid", agents: 3,
			want: "<!-- pipecat-gitops: pipecat.yaml -->\n### ✅ pipecat-gitops validate: `pipecat.yaml`, 3 agents valid\n",
		},
		{
			name: "errors in a fence their backticks cannot close",
			errs: []string{"pipecat.yaml:4:12: agents.bot.image: bad ```", "pipecat.yaml:9:3: agents.x: unknown key \"x\"\x1b[31m"},
			want: "<!-- pipecat-gitops: pipecat.yaml -->\n### ❌ pipecat-gitops validate: `pipecat.yaml`, 2 errors\n\n" +
				"````\npipecat.yaml:4:12: agents.bot.image: bad ```\npipecat.yaml:9:3: agents.x: unknown key \"x\"\\x1b[31m\n````\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ValidationMarkdown("pipecat.yaml", tt.agents, tt.errs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
