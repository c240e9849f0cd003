package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestApplyMarker(t *testing.T) {
	if got, want := ApplyMarker("deploy/a-->b.yaml"), "<!-- pipecat-gitops apply: deploy/a--&gt;b.yaml -->"; got != want {
		t.Errorf("ApplyMarker = %q, want %q", got, want)
	}
}

func TestParseMarker(t *testing.T) {
	type parsed struct {
		Kind, Path string
		OK         bool
	}
	tests := []struct {
		name, line string
		want       parsed
	}{
		{"plan", Marker("deploy/pipecat.yaml"), parsed{MarkerPlan, "deploy/pipecat.yaml", true}},
		{"apply", ApplyMarker("deploy/pipecat.yaml"), parsed{MarkerApply, "deploy/pipecat.yaml", true}},
		{"escaped path stays escaped", Marker("a-->b.yaml"), parsed{MarkerPlan, "a--&gt;b.yaml", true}},
		{"path with spaces", Marker("my config.yaml"), parsed{MarkerPlan, "my config.yaml", true}},
		{"blank path", "<!-- pipecat-gitops:  -->", parsed{}},
		{"unknown kind", "<!-- pipecat-gitops destroy: p.yaml -->", parsed{}},
		{"no colon", "<!-- pipecat-gitops p.yaml -->", parsed{}},
		{"not closed", "<!-- pipecat-gitops: p.yaml", parsed{}},
		{"path closes the comment", "<!-- pipecat-gitops: a>b -->", parsed{}},
		{"text before", "x <!-- pipecat-gitops: p.yaml -->", parsed{}},
		{"heading", "## Plan", parsed{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got parsed
			got.Kind, got.Path, got.OK = ParseMarker(tt.line)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseMarker(%q) (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

// TestMaxCommentSizeIsGitHubs pins the one comment size limit to GitHub's
// documented maximum body of an issue comment, 65,536 characters.
func TestMaxCommentSizeIsGitHubs(t *testing.T) {
	if MaxCommentSize != 1<<16 {
		t.Errorf("MaxCommentSize = %d, want GitHub's 65,536", MaxCommentSize)
	}
}
