package apply

import (
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// Outcome is how one change ended.
type Outcome int

// Outcomes. Skipped means the change was never started (Ctrl-C, or a
// replace without --allow-replace is Failed, not Skipped).
const (
	Succeeded Outcome = iota
	Failed
	Skipped
)

var outcomeNames = [...]string{"succeeded", "failed", "skipped"}

func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return "unknown"
	}
	return outcomeNames[o]
}

// MarshalText makes an Outcome a JSON string.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// AgentResult is what happened to one agent's change.
type AgentResult struct {
	Agent   string      `json:"agent"`
	Action  plan.Action `json:"action"`
	Outcome Outcome     `json:"outcome"`
	// ErrorCode and Error carry the API's code and message (or the local
	// reason) of a failure.
	ErrorCode string `json:"error_code,omitempty"`
	Error     string `json:"error,omitempty"`
	// Note says how a change converged when it took a detour, e.g. "already
	// existed; read back and updated".
	Note         string        `json:"note,omitempty"`
	DeploymentID string        `json:"deployment_id,omitempty"`
	Duration     time.Duration `json:"duration_ns"`
	// Ready is set when --wait saw the deployment become ready.
	Ready bool `json:"ready,omitempty"`
}

// Result is the outcome of applying one plan, in agent-name order. No-op
// changes are not listed.
type Result struct {
	Config  string        `json:"config"`
	Results []AgentResult `json:"results"`
	// Cancelled is set when the run was interrupted before every change
	// finished.
	Cancelled bool `json:"cancelled,omitempty"`
}

// Failed counts the changes that did not succeed (failed or skipped).
func (r *Result) Failed() int {
	n := 0
	for _, a := range r.Results {
		if a.Outcome != Succeeded {
			n++
		}
	}
	return n
}

// Count returns how many changes of the given action succeeded.
func (r *Result) Count(a plan.Action) int {
	n := 0
	for _, x := range r.Results {
		if x.Action == a && x.Outcome == Succeeded {
			n++
		}
	}
	return n
}
