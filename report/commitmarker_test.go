package report

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCommitMarker(t *testing.T) {
	sha1 := strings.Repeat("0123456789", 4)
	sha256 := strings.Repeat("ab", 32)
	type parsed struct {
		SHA string
		OK  bool
	}
	tests := []struct {
		name, line string
		want       parsed
	}{
		{"sha-1", CommitMarker(sha1), parsed{sha1, true}},
		{"sha-256", CommitMarker(sha256), parsed{sha256, true}},
		{"short sha", CommitMarker("0123456"), parsed{}},
		{"upper case", CommitMarker(strings.ToUpper(sha256)), parsed{}},
		{"not hex", CommitMarker(strings.Repeat("g", 40)), parsed{}},
		{"plan marker", Marker("pipecat.yaml"), parsed{}},
		{"apply marker", ApplyMarker("pipecat.yaml"), parsed{}},
		{"not closed", "<!-- pipecat-gitops commit: " + sha1, parsed{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got parsed
			got.SHA, got.OK = ParseCommitMarker(tt.line)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseCommitMarker(%q) (-want +got):\n%s", tt.line, diff)
			}
		})
	}
	if kind, _, ok := ParseMarker(CommitMarker(sha1)); ok {
		t.Errorf("ParseMarker takes the commit line for a %s marker", kind)
	}
}
