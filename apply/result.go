package apply

import (
	"fmt"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// Outcome is how one change ended.
type Outcome int

// Outcomes. Skipped means the change was never started (Ctrl-C; a replace
// without --allow-replace is Failed, not Skipped). Unknown means the API
// may have applied the change and apply could not tell: the run was
// interrupted with its request in flight (CodeInterrupted), or its answer
// was lost and the read-back failed too (CodeNoAnswer); only a new plan
// can tell. Failed means it was not applied, or was and then failed
// (a deployment that failed, a conflict).
const (
	Succeeded Outcome = iota
	Failed
	Skipped
	Unknown
)

var outcomeNames = [...]string{"succeeded", "failed", "skipped", "unknown"}

func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return "unknown"
	}
	return outcomeNames[o]
}

// MarshalText makes an Outcome a JSON string.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// Effect is what a succeeded change did in fact. It is the planned action
// unless apply found the work done by someone else: a create that found
// the agent there with the desired spec, or a delete that found it gone,
// changed nothing (AlreadyInPlace); a create that found it with another
// spec updated it (Updated). Two applies of one config at once therefore
// do not both count the same agents as created.
type Effect int

// Effects. NoEffect is that of a change that did not succeed.
const (
	NoEffect Effect = iota
	Created
	Updated
	Replaced
	Deleted
	AlreadyInPlace
)

var effectNames = [...]string{"", "created", "updated", "replaced", "deleted", "already-in-place"}

func (e Effect) String() string {
	if e < 0 || int(e) >= len(effectNames) {
		return fmt.Sprintf("Effect(%d)", int(e))
	}
	return effectNames[e]
}

// MarshalText makes an Effect a JSON string.
func (e Effect) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// Error codes apply sets itself (the API's codes pass through).
const (
	// CodeConflict: after this run changed the agent, it no longer holds
	// what this run sent (another apply, or a change in the dashboard).
	CodeConflict = "CONFLICT"
	// CodeInterrupted: the run was interrupted with the request in flight.
	CodeInterrupted = "INTERRUPTED"
	// CodeNoAnswer: the API's answer to a write was lost (or was a 5xx)
	// and reading the agent back failed too; the outcome is Unknown.
	CodeNoAnswer = "NO_ANSWER"
	// CodeDeploymentFailed and CodeWaitTimeout: --wait saw the deployment
	// fail, or not become ready in time.
	CodeDeploymentFailed = "DEPLOYMENT_FAILED"
	CodeWaitTimeout      = "WAIT_TIMEOUT"
	// CodeSecretSetFailed: a secret set failed to provision (its
	// errorMessage is the error).
	CodeSecretSetFailed = "SECRET_SET_FAILED"
	// CodeSecretSetNotReady: an agent was not sent because a secret set
	// it needs from this run failed or is not ready.
	CodeSecretSetNotReady = "SECRET_SET_NOT_READY"
	// CodeBuildFailed: the agent's cloud build failed or did not end in
	// time; the agent was not sent.
	CodeBuildFailed = "BUILD_FAILED"
	// CodeStale: what the plan recorded no longer holds (the cached build
	// it deploys is gone or did not succeed); nothing else is done in its
	// place: run plan.
	CodeStale = "STALE_PLAN"
	// CodeNotVerified: the API accepted a write, but reading the agent
	// back never showed it; the outcome is Unknown.
	CodeNotVerified = "NOT_VERIFIED"
)

// BuildResult is what happened to the cloud build of an agent built from
// a context; agents sharing a build carry the same.
type BuildResult struct {
	// ID is the build's; empty when none was made (an upload failed).
	ID          string `json:"id,omitempty"`
	ContextHash string `json:"context_hash"`
	// Status is the build's last known status: success, failed, timeout,
	// or pending or building when it did not end in time.
	Status string `json:"status,omitempty"`
	// Cached is set when an existing successful build was reused.
	Cached  bool   `json:"cached,omitempty"`
	LogsURL string `json:"logs_url,omitempty"`
	// ErrorMessage is the build's, and Logs the last lines of its log,
	// when it failed.
	ErrorMessage string        `json:"error_message,omitempty"`
	Logs         []string      `json:"logs,omitempty"`
	Duration     time.Duration `json:"duration_ns"`
}

// UnknownMessage is the error of an Unknown outcome.
const UnknownMessage = "may have been applied; run plan"

// AgentResult is what happened to one agent's change.
type AgentResult struct {
	Agent   string      `json:"agent"`
	Action  plan.Action `json:"action"`
	Outcome Outcome     `json:"outcome"`
	// Effect is what the change did, set when it succeeded.
	Effect Effect `json:"effect,omitempty"`
	// ErrorCode and Error carry the API's code and message (or the local
	// reason) of a failure, and UnknownMessage for an Unknown outcome.
	ErrorCode string `json:"error_code,omitempty"`
	Error     string `json:"error,omitempty"`
	// Note says how a change converged when it took a detour, e.g. "already
	// existed; updated to the desired spec" or "the API's answer was lost
	// (…); read back: applied".
	Note         string        `json:"note,omitempty"`
	DeploymentID string        `json:"deployment_id,omitempty"`
	Duration     time.Duration `json:"duration_ns"`
	// Ready is set when --wait saw the deployment become ready.
	Ready bool `json:"ready,omitempty"`
	// ReadinessUnknown is set when the change was sent but the run was
	// interrupted while --wait waited for it: it succeeded, but whether
	// it became ready is not known.
	ReadinessUnknown bool `json:"readiness_unknown,omitempty"`
	// Build is the agent's cloud build, for an agent built from a context.
	Build *BuildResult `json:"build,omitempty"`
	// Logs are the last lines of the deployment's log (oldest first,
	// each bounded), when --wait saw it fail or not become ready.
	Logs []string `json:"logs,omitempty"`
}

// SecretSetResult is what happened to one secret set's change. It names
// the set, never a value.
type SecretSetResult struct {
	Name      string      `json:"name"`
	Action    plan.Action `json:"action"`
	Outcome   Outcome     `json:"outcome"`
	ErrorCode string      `json:"error_code,omitempty"`
	Error     string      `json:"error,omitempty"`
	Note      string      `json:"note,omitempty"`
	// Ready is set when the run saw the set become ready.
	Ready    bool          `json:"ready,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Result is the outcome of applying one plan, in agent-name order. No-op
// changes are not listed.
type Result struct {
	Config string `json:"config"`
	// Summary counts Results (Tally) as Run made them.
	Summary Counts        `json:"summary"`
	Results []AgentResult `json:"results"`
	// SecretSets are the secret set changes, in name order; absent when
	// the plan has none.
	SecretSets []SecretSetResult `json:"secret_sets,omitempty"`
	// Organization is the change of the organization's properties;
	// absent when the plan changes none.
	Organization *OrganizationResult `json:"organization,omitempty"`
	// Cancelled is set when the run was interrupted before every change
	// (and, with --wait, every wait) finished.
	Cancelled bool `json:"cancelled,omitempty"`
}

// Failed counts the changes, of agents and secret sets, that did not
// succeed (failed, skipped or unknown).
func (r *Result) Failed() int {
	n := 0
	if r.Organization != nil && r.Organization.Outcome != Succeeded {
		n++
	}
	for _, a := range r.Results {
		if a.Outcome != Succeeded {
			n++
		}
	}
	for _, s := range r.SecretSets {
		if s.Outcome != Succeeded {
			n++
		}
	}
	return n
}

// Outcomes counts the changes, of agents and secret sets, that ended
// with o.
func (r *Result) Outcomes(o Outcome) int {
	n := 0
	for _, a := range r.Results {
		if a.Outcome == o {
			n++
		}
	}
	for _, s := range r.SecretSets {
		if s.Outcome == o {
			n++
		}
	}
	return n
}

// Changes counts the changes of agents and secret sets.
func (r *Result) Changes() int { return len(r.Results) + len(r.SecretSets) }

// Count returns how many agent changes in fact did a (see Effect): a
// create that found the agent already in place counts for no action, one
// that updated it as an Update.
func (r *Result) Count(a plan.Action) int {
	return r.Tally().Of(a)
}

// Of is the count of changes that in fact did a.
func (c Counts) Of(a plan.Action) int {
	switch a {
	case plan.Create:
		return c.Created
	case plan.Update:
		return c.Updated
	case plan.Replace:
		return c.Replaced
	case plan.Delete:
		return c.Deleted
	}
	return 0
}

// Counts counts the agent changes of a result: the succeeded ones by
// Effect, the others by Outcome.
type Counts struct {
	Created        int `json:"created"`
	Updated        int `json:"updated"`
	Replaced       int `json:"replaced"`
	Deleted        int `json:"deleted"`
	AlreadyInPlace int `json:"already_in_place"`
	Failed         int `json:"failed"`
	Skipped        int `json:"skipped"`
	Unknown        int `json:"unknown"`
	// ReadinessUnknown counts succeeded changes --wait did not see to the
	// end because the run was interrupted.
	ReadinessUnknown int `json:"readiness_unknown"`
}

// Tally counts r's agent changes, whatever r.Summary says.
func (r *Result) Tally() Counts { return tally(r.Results) }

// TallySets counts r's secret set changes as Tally counts agents.
func (r *Result) TallySets() Counts {
	sets := make([]AgentResult, len(r.SecretSets))
	for i, s := range r.SecretSets {
		sets[i] = s.AsAgent()
	}
	return tally(sets)
}

// AsAgent is a set result in the shape of an agent result, so that sets
// are counted and rendered as agents are.
func (s SecretSetResult) AsAgent() AgentResult {
	return AgentResult{Agent: s.Name, Action: s.Action, Outcome: s.Outcome, ErrorCode: s.ErrorCode,
		Error: s.Error, Note: s.Note, Ready: s.Ready, Duration: s.Duration}
}

// NotDone counts the changes that did not succeed.
func (c Counts) NotDone() int { return c.Failed + c.Skipped + c.Unknown }

func tally(results []AgentResult) Counts {
	var c Counts
	for _, a := range results {
		switch a.Outcome {
		case Failed:
			c.Failed++
			continue
		case Skipped:
			c.Skipped++
			continue
		case Unknown:
			c.Unknown++
			continue
		}
		if a.ReadinessUnknown {
			c.ReadinessUnknown++
		}
		switch effect(a) {
		case Created:
			c.Created++
		case Updated:
			c.Updated++
		case Replaced:
			c.Replaced++
		case Deleted:
			c.Deleted++
		case AlreadyInPlace:
			c.AlreadyInPlace++
		}
	}
	return c
}

// effect is a's Effect, or for a succeeded result that carries none (made
// by hand, or by an older version) its action's.
func effect(a AgentResult) Effect {
	if a.Effect != NoEffect {
		return a.Effect
	}
	switch a.Action {
	case plan.Create:
		return Created
	case plan.Update:
		return Updated
	case plan.Replace:
		return Replaced
	case plan.Delete:
		return Deleted
	}
	return NoEffect
}
