package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/preview"
)

// samplePreview is a deploy of three previews: one updated and ready, one
// created and not ready yet, one failed; and one deleted, whose agent the
// pull request no longer changes.
func samplePreview() *preview.Result {
	return &preview.Result{Config: "pipecat.yaml", PR: 12, Mode: preview.ModeDeploy, Agents: []preview.Agent{
		{Name: "billing-bot-pr12", Action: plan.Delete, Outcome: "succeeded"},
		{Name: "support-bot-pr12", Source: "support-bot", Action: plan.Update, Outcome: "succeeded", Ready: true},
		{Name: "triage-bot-pr12", Source: "triage-bot", Action: plan.Create, Outcome: "failed", Error: "Invalid agentProfile 'agent-9x' | <b>"},
		{Name: "voice-starter-pr12", Source: "voice-starter", Action: plan.Create, Outcome: "succeeded"},
	}}
}

// frontPreview is a typical run: two previews deployed and ready, one
// deleted because the pull request no longer changes its agent.
func frontPreview() *preview.Result {
	return &preview.Result{Config: "pipecat.yaml", PR: 42, Mode: preview.ModeDeploy, Agents: []preview.Agent{
		{Name: "concierge-pr42", Action: plan.Delete, Outcome: "succeeded"},
		{Name: "support-bot-pr42", Source: "support-bot", Action: plan.Update, Outcome: "succeeded", Ready: true},
		{Name: "voice-starter-pr42", Source: "voice-starter", Action: plan.Create, Outcome: "succeeded", Ready: true},
	}}
}

func TestPreviewGolden(t *testing.T) {
	destroy := &preview.Result{Config: "pipecat.yaml", PR: 12, Mode: preview.ModeDestroy, Agents: []preview.Agent{
		{Name: "support-bot-pr12", Action: plan.Delete, Outcome: "succeeded"}}}
	empty := &preview.Result{Config: "pipecat.yaml", PR: 14, Mode: preview.ModeDeploy}
	text := func(r *preview.Result) []byte {
		var b bytes.Buffer
		if err := PreviewText(&b, r); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	js := func(r *preview.Result) []byte {
		var b bytes.Buffer
		if err := PreviewJSON(&b, r); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for _, g := range []struct {
		name string
		got  []byte
	}{
		{"preview.md", []byte(PreviewMarkdown(samplePreview(), sampleMeta))},
		{"preview.txt", text(samplePreview())},
		{"preview.json", js(samplePreview())},
		{"preview_destroy.md", []byte(PreviewMarkdown(destroy, Meta{}))},
		{"preview_destroy.txt", text(destroy)},
		{"preview_empty.md", []byte(PreviewMarkdown(empty, Meta{}))},
		{"preview_empty.json", js(empty)},
		// The comment of the README's screenshot (docs/images/preview-comment.png).
		{"preview_front.md", []byte(PreviewMarkdown(frontPreview(), sampleMeta))},
	} {
		t.Run(g.name, func(t *testing.T) { golden(t, g.name, g.got) })
	}
}

// TestPreviewMarker checks that the preview comment has a marker of its
// own: the comment command edits it, never the plan or apply comment.
func TestPreviewMarker(t *testing.T) {
	md := PreviewMarkdown(samplePreview(), Meta{})
	first, _, _ := strings.Cut(md, "\n")
	kind, path, ok := ParseMarker(first)
	if !ok || kind != MarkerPreview || path != "pipecat.yaml" {
		t.Errorf("ParseMarker(%q) = %q, %q, %t; want preview, pipecat.yaml, true", first, kind, path, ok)
	}
	if first == Marker("pipecat.yaml") || first == ApplyMarker("pipecat.yaml") {
		t.Errorf("preview marker %q is the plan's or apply's", first)
	}
}
