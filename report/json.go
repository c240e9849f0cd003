package report

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// PlanJSON writes the --format json document (also the saved plan file):
// the JSON encoding of p, indented two spaces, with a trailing newline and
// nothing else.
func PlanJSON(w io.Writer, p *plan.Plan) error {
	return writeJSON(w, p)
}

// ResultJSON writes r as JSON, indented two spaces, with a trailing newline.
// An empty result list is written as [], never null; the summary is
// counted from the results (Result.Tally), whatever r.Summary says.
func ResultJSON(w io.Writer, r *apply.Result) error {
	q := *r
	if q.Results == nil {
		q.Results = []apply.AgentResult{}
	}
	q.Summary = r.Tally()
	return writeJSON(w, &q)
}

// writeJSON leaves <, > and & as they are: the documents are read by
// programs and people, never embedded in HTML. Characters JSON allows raw
// but a terminal or a runner would act on (bidi and zero-width
// characters, DEL, C1 controls, "##[") are written as \u escapes: the
// same document to a decoder.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(jsonVisible(b.Bytes()))
	return err
}
