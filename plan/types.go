package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// FormatVersion is the version of the JSON document (and saved plan file).
const FormatVersion = "1"

// Action is what apply does to one agent.
type Action int

// The actions. The zero value is NoOp.
const (
	NoOp Action = iota
	Create
	Update
	Replace
	Delete
)

var actionNames = [...]string{"no-op", "create", "update", "replace", "delete"}

func (a Action) String() string {
	if a < 0 || int(a) >= len(actionNames) {
		return fmt.Sprintf("Action(%d)", int(a))
	}
	return actionNames[a]
}

// MarshalText makes an Action a JSON string.
func (a Action) MarshalText() ([]byte, error) {
	if a < 0 || int(a) >= len(actionNames) {
		return nil, fmt.Errorf("unknown action %d", int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText reads an Action written by MarshalText.
func (a *Action) UnmarshalText(b []byte) error {
	for i, n := range actionNames {
		if n == string(b) {
			*a = Action(i)
			return nil
		}
	}
	return fmt.Errorf("unknown action %q", b)
}

// Severity of a preflight finding.
type Severity int

// Severities. Errors make plan and apply exit 1; warnings do not.
const (
	Warning Severity = iota
	Error
)

func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// MarshalText makes a Severity a JSON string.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a Severity written by MarshalText.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// FieldChange is one managed field that differs. Before is nil for a
// create; After is nil for a delete. Values are strings, ints, bools or nil
// (JSON null, e.g. krispViva.audioFilter disabled).
type FieldChange struct {
	Path   string `json:"path"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// UnmarshalJSON reads the values back as the types Diff produces (string,
// int, bool or nil): plain encoding/json would make every number a float64,
// and a saved plan must read back as the plan that was written. Unknown keys are refused, as Decode does elsewhere.
func (f *FieldChange) UnmarshalJSON(b []byte) error {
	var raw struct {
		Path   string          `json:"path"`
		Before json.RawMessage `json:"before"`
		After  json.RawMessage `json:"after"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	before, err := fieldValue(raw.Before)
	if err != nil {
		return fmt.Errorf("field %s: before: %w", raw.Path, err)
	}
	after, err := fieldValue(raw.After)
	if err != nil {
		return fmt.Errorf("field %s: after: %w", raw.Path, err)
	}
	*f = FieldChange{Path: raw.Path, Before: before, After: after}
	return nil
}

// fieldValue decodes one FieldChange value; absent means null.
func fieldValue(b json.RawMessage) (any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case nil, string, bool:
		return x, nil
	case json.Number:
		n, err := strconv.Atoi(x.String())
		if err != nil {
			return nil, fmt.Errorf("%s is not an integer", x)
		}
		return n, nil
	}
	return nil, fmt.Errorf("%s is not a string, integer, boolean or null", b)
}

// Change is the plan for one agent.
type Change struct {
	Agent  string `json:"agent"`
	Action Action `json:"action"`
	// Reason explains a replace, a delete or an update that changes no
	// field in one line, e.g. "region us-west -> eu-central cannot change
	// in place", "redeploy build".
	Reason string `json:"reason,omitempty"`
	// Fields lists the managed fields that change: every desired field on
	// create, the differing ones on update and replace, none on delete and
	// no-op.
	Fields []FieldChange `json:"fields,omitempty"`
	// Desired is the spec apply sends; nil for delete. A build is sent as
	// the buildId apply gets for it.
	Desired *schema.Spec `json:"desired,omitempty"`
	// RestartFor names the declared secret set, used by the agent, whose
	// values or keys change and which asks for a restart
	// (restartOnChange): apply waits until the set is ready, then
	// redeploys the agent even when its spec is unchanged
	// (forceRedeploy), since a running agent keeps its old environment.
	RestartFor string `json:"restart_for,omitempty"`
	// Build is the agent's cloud build, when it is built from a context.
	Build *BuildPlan `json:"build,omitempty"`
	// Fingerprint identifies the live state this change was planned
	// against (existence plus normalized managed fields); apply of a saved
	// plan refuses to run when it no longer matches.
	Fingerprint string `json:"fingerprint"`
	// Deployment is the live agent's desiredDeploymentId, for an update
	// whose only effect is a new deployment (no readable field changes:
	// a redeploy, a restart, a build): its fingerprint covers it, so that
	// once applied the same saved plan is stale.
	Deployment string `json:"deployment,omitempty"`
	// Line is the line of the agent's key in the config, 0 when unknown
	// (deletes).
	Line int `json:"line,omitempty"`
}

// Finding is a preflight result: something in live data that would make
// apply fail (error) or is worth a look (warning).
type Finding struct {
	Severity Severity `json:"severity"`
	// Kind tells findings about the plan's own guards (KindRefusal) and
	// the live agents' health (KindHealth) from the preflight checks of
	// references (empty).
	Kind string `json:"kind,omitempty"`
	// Agent is empty for findings about the whole plan (e.g. the secrets
	// endpoint was unavailable).
	Agent string `json:"agent,omitempty"`
	// Field is the config path relative to the agent, e.g. "secretSet".
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
}

// Kinds of findings.
const (
	KindRefusal = "refusal"
	KindHealth  = "health"
	// KindTarget is a --target that matches no agent: the plan covers
	// nothing, and the CLI says only that.
	KindTarget = "target"
)

// Target says how much of the organization a targeted plan covers: Agents
// of the Of agents declared or live.
type Target struct {
	Agents int `json:"agents"`
	Of     int `json:"of"`
}

// Summary counts the changes by action.
type Summary struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Replace   int `json:"replace"`
	Delete    int `json:"delete"`
	NoOp      int `json:"no_op"`
	Unmanaged int `json:"unmanaged"`
	Errors    int `json:"errors"`
	Warnings  int `json:"warnings"`
	// Unhealthy counts the managed agents that are not ready or whose
	// revision failed (findings of KindHealth).
	Unhealthy int `json:"unhealthy"`
	// SecretSets counts the secret set changes; absent from the JSON of
	// a plan without any.
	SecretSets SetCounts `json:"secret_sets,omitzero"`
	// Organization counts the organization's properties that change.
	Organization int `json:"organization,omitempty"`
	// Builds counts the cloud builds apply will run: distinct contexts,
	// Dockerfiles and regions of the agents it deploys, without an
	// existing build to reuse.
	Builds int `json:"builds,omitempty"`
}

// SetCounts counts the secret set changes by action.
type SetCounts struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Replace int `json:"replace"`
	Delete  int `json:"delete"`
	NoOp    int `json:"no_op"`
}

// HasChanges reports whether the counts hold a change.
func (c SetCounts) HasChanges() bool { return c.Create+c.Update+c.Replace+c.Delete > 0 }

// HasChanges reports whether applying would change anything. Unmanaged
// agents and findings are not changes.
func (s Summary) HasChanges() bool {
	return s.Create+s.Update+s.Replace+s.Delete+s.Organization > 0 || s.SecretSets.HasChanges()
}

// Plan is plain data: what to do to every declared agent and every agent to
// prune, in agent-name order. Render it with package report; execute it
// with package apply.
type Plan struct {
	FormatVersion string `json:"format_version"`
	// Config is the config file's path as the marker and annotations name
	// it (relative to the repository root where known).
	Config string `json:"config"`
	// Options are the decisions the plan was made with; apply of a saved
	// plan follows them.
	Options Options `json:"options"`
	// Target is set when Options.Targets limited the plan.
	Target    *Target   `json:"target,omitempty"`
	Summary   Summary   `json:"summary"`
	Changes   []Change  `json:"changes"`
	Unmanaged []string  `json:"unmanaged"`
	Findings  []Finding `json:"findings"`
	// SecretSets are the declared secret sets (and those to prune), in
	// name order; absent from the JSON of a config without any.
	SecretSets []SecretSetChange `json:"secret_sets,omitempty"`
	// Organization is the plan of the organization's properties; absent
	// when the config has no organization key.
	Organization *OrganizationChange `json:"organization,omitempty"`
	// Previews are the live preview agents (names ending -prN) by pull
	// request, in number order: never part of a plan's changes, listed
	// apart; absent from the JSON when there are none, and in a preview
	// plan.
	Previews []PreviewRef `json:"previews,omitempty"`
	// PreviewsEnabled records that the config enables previews (never in
	// a preview plan): the pull request comment then says where they
	// appear.
	PreviewsEnabled bool `json:"previews_enabled,omitempty"`
	// MAC authenticates the document: HMAC-SHA256, keyed by the API key,
	// of the rest of it (see Make). Apply of a saved plan refuses a file
	// whose MAC does not match: edited, or made with another key.
	MAC string `json:"mac,omitempty"`
}

// PreviewRef is one pull request's live preview agents.
type PreviewRef struct {
	PR     int      `json:"pr"`
	Agents []string `json:"agents"`
}

// HasErrors reports whether any finding is an error.
func (p *Plan) HasErrors() bool { return p.Summary.Errors > 0 }

// Summarize recomputes p.Summary from the changes, unmanaged agents and
// findings.
func (p *Plan) Summarize() {
	s := Summary{Unmanaged: len(p.Unmanaged)}
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			s.Create++
		case Update:
			s.Update++
		case Replace:
			s.Replace++
		case Delete:
			s.Delete++
		default:
			s.NoOp++
		}
	}
	for _, c := range p.SecretSets {
		switch c.Action {
		case Create:
			s.SecretSets.Create++
		case Update:
			s.SecretSets.Update++
		case Replace:
			s.SecretSets.Replace++
		case Delete:
			s.SecretSets.Delete++
		default:
			s.SecretSets.NoOp++
		}
	}
	builds := map[BuildKey]bool{}
	for _, c := range p.Changes {
		if c.Build != nil && deploys(c.Action) && c.Build.CachedBuildID == "" {
			builds[c.Build.Key()] = true
		}
	}
	s.Builds = len(builds)
	if o := p.Organization; o != nil && o.Action == Update {
		s.Organization = len(o.Fields)
	}
	for _, f := range p.Findings {
		if f.Kind == KindHealth {
			s.Unhealthy++
		}
		if f.Severity == Error {
			s.Errors++
		} else {
			s.Warnings++
		}
	}
	p.Summary = s
}

// MarshalJSON keeps empty lists as [] rather than null, so consumers of the
// JSON document never need a null check.
func (p Plan) MarshalJSON() ([]byte, error) {
	type plain Plan
	q := plain(p)
	if q.Changes == nil {
		q.Changes = []Change{}
	}
	if q.Unmanaged == nil {
		q.Unmanaged = []string{}
	}
	if q.Findings == nil {
		q.Findings = []Finding{}
	}
	// No HTML escaping: reasons read "us-west -> eu-central", not "-\u003e".
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(q); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
