package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// TestResultCountsSayWhatHappened is the result of the second of two
// applies of one config racing: of its 40 creates, 2 created their
// agent, 37 found it already in place and 1 found it with another spec
// and updated it. Text, comment and JSON count what happened, not what
// was planned, and agree with Result.Count (the Action's outputs).
func TestResultCountsSayWhatHappened(t *testing.T) {
	r := &apply.Result{Config: "pipecat.yaml"}
	for i := range 40 {
		a := apply.AgentResult{Agent: fmt.Sprintf("bot-%02d", i), Action: plan.Create, Outcome: apply.Succeeded, Effect: apply.AlreadyInPlace,
			Note: "already existed with the desired spec"}
		switch {
		case i < 2:
			a.Effect, a.Note = apply.Created, ""
		case i == 2:
			a.Effect, a.Note = apply.Updated, "already existed; updated to the desired spec"
		}
		r.Results = append(r.Results, a)
	}
	const counts = "2 created, 1 updated, 0 replaced, 0 deleted, 37 already in place, 0 failed"

	var text bytes.Buffer
	if err := ResultText(&text, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	if got, want := lines[len(lines)-1], "Apply: "+counts+"."; got != want {
		t.Errorf("text counts:\n got %q\nwant %q", got, want)
	}

	md := ResultMarkdown(r, nil, Meta{})
	if headline := strings.Split(md, "\n")[1]; headline != "### ✅ pipecat-gitops apply: "+counts {
		t.Errorf("comment headline = %q", headline)
	}

	var js bytes.Buffer
	if err := ResultJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Summary map[string]int }
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"created": 2, "updated": 1, "replaced": 0, "deleted": 0, "already_in_place": 37,
		"failed": 0, "skipped": 0, "unknown": 0, "readiness_unknown": 0}
	if diff := cmp.Diff(want, doc.Summary); diff != "" {
		t.Errorf("JSON summary (-want +got):\n%s", diff)
	}

	outputs := map[string]int{"created": r.Count(plan.Create), "updated": r.Count(plan.Update)}
	if diff := cmp.Diff(map[string]int{"created": 2, "updated": 1}, outputs); diff != "" {
		t.Errorf("Action outputs (-want +got):\n%s", diff)
	}
}
