package report

import (
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
// An empty result list is written as [], never null.
func ResultJSON(w io.Writer, r *apply.Result) error {
	if r.Results == nil {
		q := *r
		q.Results = []apply.AgentResult{}
		r = &q
	}
	return writeJSON(w, r)
}

// writeJSON leaves <, > and & as they are: the documents are read by
// programs and people, never embedded in HTML.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
