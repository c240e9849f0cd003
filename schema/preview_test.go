package schema

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPreviewName(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name  string
		agent string
		pr    int
		want  string
	}{
		{"short name keeps its name", "voice-bot", 12, "voice-bot-pr12"},
		{"exactly the limit is not cut", long(49), 12, long(49) + "-pr12"},
		{"one past the limit is cut with a hash", long(50), 12, long(44) + "-160b-pr12"},
		{"a longer pull request number cuts more", long(54), 12345, long(41) + "-a3f0-pr12345"},
		{"hyphens at the cut are dropped", long(39) + "-----------x", 7, long(39) + "-9208-pr7"},
		{"two long names with the same start differ", long(50) + "b", 12, long(44) + "-327f-pr12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PreviewName(tt.agent, tt.pr)
			if got != tt.want {
				t.Errorf("PreviewName(%q, %d) = %q, want %q", tt.agent, tt.pr, got, tt.want)
			}
			if len(got) > MaxAgentName {
				t.Errorf("PreviewName(%q, %d) is %d characters, more than %d", tt.agent, tt.pr, len(got), MaxAgentName)
			}
			if pr, ok := PreviewPR(got); !ok || pr != tt.pr {
				t.Errorf("PreviewPR(%q) = %d, %t; want %d, true", got, pr, ok, tt.pr)
			}
		})
	}
}

func TestPreviewPR(t *testing.T) {
	tests := []struct {
		name string
		pr   int
		ok   bool
	}{
		{"voice-pr12", 12, true},
		{"a-pr0", 0, true},
		{"voice-pr", 0, false},
		{"voice-pr12x", 0, false},
		{"voice-pr-12", 0, false},
		{"-pr12", 0, false},
		{"voice-prod", 0, false},
		{"voice-pr99999999999999999999999", 0, false},
	}
	for _, tt := range tests {
		pr, ok := PreviewPR(tt.name)
		if pr != tt.pr || ok != tt.ok {
			t.Errorf("PreviewPR(%q) = %d, %t; want %d, %t", tt.name, pr, ok, tt.pr, tt.ok)
		}
	}
}

func TestParsePreviews(t *testing.T) {
	doc := hdr + "  bot:\n    image: a:1\npreviews:\n  enabled: true\n  agents: [\"voice-*\"]\n  maxAgents: 3\n  allowProductionSecrets: true\n" +
		"  overrides:\n    secretSet: staging\n    autoScaling: {minAgents: 0, maxAgents: 1}\n"
	cfg, err := Parse(context.Background(), "pipecat.yaml", []byte(doc), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := Previews{Enabled: true, Agents: []string{"voice-*"}, MaxAgents: 3, AllowProductionSecrets: true,
		Overrides:   Spec{SecretSet: ptr("staging"), AutoScaling: &AutoScaling{MinAgents: ptr(0), MaxAgents: ptr(1)}},
		OverridePos: map[string]Position{"secretSet": {11, 16}, "autoScaling": {12, 18}, "autoScaling.minAgents": {12, 30}, "autoScaling.maxAgents": {12, 44}},
		Pos:         Position{5, 1}}
	if diff := cmp.Diff(want, cfg.Previews); diff != "" {
		t.Errorf("Previews (-want +got):\n%s", diff)
	}
	if got := (Previews{}).Max(); got != DefaultMaxPreviews {
		t.Errorf("Max of unset = %d, want %d", got, DefaultMaxPreviews)
	}
}

func TestReservedPreviewName(t *testing.T) {
	errs := parseErrors(t, hdr+"  bot:\n    image: a:1\n  voice-pr12:\n    image: a:1\n", nil)
	got := errs[0]
	if got.Error() != `pipecat.yaml:5:3: agents.voice-pr12: agent name "voice-pr12" looks like a preview agent of pull request #12` {
		t.Errorf("error = %q", got.Error())
	}
	if !strings.Contains(got.Hint, "reserved for the preview agents") {
		t.Errorf("hint = %q, want it to say the names are reserved", got.Hint)
	}
}
