package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// TestDiffPreviews checks that preview agents (-prN) are never part of a
// plan of the config, even with prune, and that a preview plan covers the
// previews of its scope only.
func TestDiffPreviews(t *testing.T) {
	bot := schema.Agent{Name: "bot", Spec: schema.Spec{Image: sp("acme/bot:1.0")}}
	preview := func(name string) schema.Agent {
		return schema.Agent{Name: name, Spec: schema.Spec{Image: sp("acme/bot:2.0")}}
	}
	live := liveOf(liveAgent("bot", fullLive("acme/bot:1.0")), liveAgent("bot-pr12", fullLive("acme/bot:2.0")),
		liveAgent("other-pr12", fullLive("x:1")), liveAgent("bot-pr14", fullLive("x:1")), liveAgent("stray", fullLive("x:1")))
	tests := []struct {
		name          string
		cfg           *schema.Config
		o             Options
		want          []brief
		wantUnmanaged []string
		wantPreviews  []PreviewRef
		wantFindings  []string
	}{
		{
			name:          "a plan of the config lists previews apart, without prune",
			cfg:           config(schema.Prune{}, bot),
			want:          []brief{{"bot", "no-op", "", nil}},
			wantUnmanaged: []string{"stray"},
			wantPreviews:  []PreviewRef{{12, []string{"bot-pr12", "other-pr12"}}, {14, []string{"bot-pr14"}}},
		},
		{
			name:         "prune never deletes a preview",
			cfg:          config(schema.Prune{Enabled: true}, bot),
			want:         []brief{{"bot", "no-op", "", nil}, {"stray", "delete", ReasonPrune, nil}},
			wantPreviews: []PreviewRef{{12, []string{"bot-pr12", "other-pr12"}}, {14, []string{"bot-pr14"}}},
		},
		{
			name:         "targets never reach a preview",
			cfg:          config(schema.Prune{Enabled: true}, bot),
			o:            Options{Targets: []string{"*"}},
			want:         []brief{{"bot", "no-op", "", nil}, {"stray", "delete", ReasonPrune, nil}},
			wantPreviews: []PreviewRef{{12, []string{"bot-pr12", "other-pr12"}}, {14, []string{"bot-pr14"}}},
		},
		{
			name:         "a target that matches only previews matches nothing",
			cfg:          config(schema.Prune{}, bot),
			o:            Options{Targets: []string{"*-pr12"}},
			wantPreviews: []PreviewRef{{12, []string{"bot-pr12", "other-pr12"}}, {14, []string{"bot-pr14"}}},
			wantFindings: []string{`--target "*-pr12" matches no agent in the config or the organization`},
		},
		{
			name: "a preview plan of one pull request deletes its previews no longer declared, and nothing else",
			cfg:  config(schema.Prune{}, preview("bot-pr12")),
			o:    Options{Preview: &PreviewScope{PR: 12}},
			want: []brief{{"bot-pr12", "no-op", "", nil}, {"other-pr12", "delete", ReasonPreviewGone, nil}},
		},
		{
			name: "destroy: an empty preview plan deletes every preview of the pull request",
			cfg:  config(schema.Prune{}),
			o:    Options{Preview: &PreviewScope{PR: 14}},
			want: []brief{{"bot-pr14", "delete", ReasonPreviewGone, nil}},
		},
		{
			name: "gc deletes the previews of pull requests not open",
			cfg:  config(schema.Prune{}),
			o:    Options{Preview: &PreviewScope{GC: true, Open: []int{14}}},
			want: []brief{{"bot-pr12", "delete", ReasonPreviewGone, nil}, {"other-pr12", "delete", ReasonPreviewGone, nil}},
		},
		{
			name: "gc with no pull request open deletes every preview",
			cfg:  config(schema.Prune{}),
			o:    Options{Preview: &PreviewScope{GC: true}},
			want: []brief{{"bot-pr12", "delete", ReasonPreviewGone, nil}, {"bot-pr14", "delete", ReasonPreviewGone, nil},
				{"other-pr12", "delete", ReasonPreviewGone, nil}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Diff(tt.cfg, live, tt.o)
			if diff := cmp.Diff(tt.want, briefs(p)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantUnmanaged, p.Unmanaged); diff != "" {
				t.Errorf("unmanaged (-want +got):\n%s", diff)
			}
			var findings []string
			for _, f := range p.Findings {
				findings = append(findings, f.Message)
			}
			if diff := cmp.Diff(tt.wantFindings, findings); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantPreviews, p.Previews); diff != "" {
				t.Errorf("previews (-want +got):\n%s", diff)
			}
		})
	}
}
