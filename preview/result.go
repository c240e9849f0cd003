package preview

import "github.com/pipecat-gitops/pipecat-gitops/plan"

// Result is what one preview run did: the preview agents of a pull
// request after a deploy (or those a destroy or gc deleted), as the
// preview command prints and comments them.
type Result struct {
	// Config is the config file's path as the marker names it.
	Config string `json:"config"`
	// PR is the pull request; 0 for a gc of several.
	PR int `json:"pr,omitempty"`
	// Mode is deploy, destroy or gc.
	Mode string `json:"mode"`
	// Agents are the preview agents in name order.
	Agents []Agent `json:"agents"`
}

// The modes of a run.
const (
	ModeDeploy  = "deploy"
	ModeDestroy = "destroy"
	ModeGC      = "gc"
)

// Agent is one preview agent after the run.
type Agent struct {
	Name string `json:"name"`
	// Source is the agent it previews; empty for one deleted.
	Source string      `json:"source,omitempty"`
	Action plan.Action `json:"action"`
	// Outcome is apply's outcome of its change (succeeded, failed,
	// unknown, skipped); empty for a no-op.
	Outcome string `json:"outcome,omitempty"`
	Error   string `json:"error,omitempty"`
	// Ready is the live agent's readiness read after the run; false for
	// one deleted.
	Ready bool `json:"ready"`
}

// Deleted reports whether the run deleted the agent.
func (a Agent) Deleted() bool {
	return a.Action == plan.Delete && (a.Outcome == "" || a.Outcome == "succeeded")
}
