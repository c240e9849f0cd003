package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

func TestPlanJSONRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		p    *plan.Plan
	}{
		{"every action, findings, unmanaged, null values", samplePlan()},
		{"no changes", quietPlan()},
		{"markup in every string", hostilePlan()},
		{"empty plan", &plan.Plan{FormatVersion: plan.FormatVersion, Config: "pipecat.yaml"}},
		{"3,000 agents", bigPlan(bigSpec{create: 1400, update: 900, replace: 120, del: 380, noop: 200, nameLen: 20, findings: 60})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := PlanJSON(&b, tt.p); err != nil {
				t.Fatal(err)
			}
			var got plan.Plan
			if err := json.Unmarshal(b.Bytes(), &got); err != nil {
				t.Fatalf("decode PlanJSON output: %v", err)
			}
			// EquateEmpty: the document writes empty lists as [] where the
			// plan may hold nil; that is its documented shape.
			if diff := cmp.Diff(tt.p, &got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// The document is the only thing on the writer: one JSON value, a newline,
// nothing else, so `plan --format json | jq` always works.
func TestJSONIsPure(t *testing.T) {
	tests := []struct {
		name   string
		render func(io.Writer) error
	}{
		{"plan", func(w io.Writer) error { return PlanJSON(w, samplePlan()) }},
		{"empty plan", func(w io.Writer) error { return PlanJSON(w, &plan.Plan{FormatVersion: plan.FormatVersion}) }},
		{"result", func(w io.Writer) error { return ResultJSON(w, sampleResult()) }},
		{"empty result", func(w io.Writer) error { return ResultJSON(w, &apply.Result{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.render(&b); err != nil {
				t.Fatal(err)
			}
			out := b.Bytes()
			if !json.Valid(out) {
				t.Fatalf("output is not valid JSON:\n%s", out)
			}
			if !bytes.HasPrefix(out, []byte("{\n  \"")) || !bytes.HasSuffix(out, []byte("\n}\n")) {
				t.Errorf("output is not one object indented two spaces with a trailing newline:\n%s", out)
			}
		})
	}
}

func TestPlanJSONEmptyListsAreArrays(t *testing.T) {
	var b bytes.Buffer
	if err := PlanJSON(&b, &plan.Plan{FormatVersion: plan.FormatVersion, Config: "pipecat.yaml"}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"changes", "unmanaged", "findings"} {
		if got := string(doc[key]); got != "[]" {
			t.Errorf("%s = %s, want []", key, got)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// A write error reaches the caller, which must not claim success.
func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name   string
		render func(io.Writer) error
	}{
		{"PlanJSON", func(w io.Writer) error { return PlanJSON(w, samplePlan()) }},
		{"ResultJSON", func(w io.Writer) error { return ResultJSON(w, sampleResult()) }},
		{"PlanText", func(w io.Writer) error { return PlanText(w, samplePlan(), TextOptions{}) }},
		{"ResultText", func(w io.Writer) error { return ResultText(w, sampleResult(), TextOptions{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.render(failingWriter{}); err == nil {
				t.Error("write error not returned")
			}
		})
	}
}
