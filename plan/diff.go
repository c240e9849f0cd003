package plan

import (
	"fmt"
	"path"
	"reflect"
	"sort"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// Live is everything Refresh read: the input of Diff next to the config.
type Live struct {
	// Agents lists every live agent (GET /v1/agents).
	Agents []cloud.ServiceListItem
	// Details holds GET /v1/agents/{name} for every live agent the plan
	// may touch: declared ones, and undeclared ones when prune is on.
	Details map[string]*cloud.ServiceDetails
	// Secrets and Regions feed preflight; a non-nil error means the call
	// failed and the checks are skipped with one warning.
	Secrets    []cloud.SecretSetSummary
	SecretsErr error
	Regions    []cloud.Region
	RegionsErr error
}

// Reasons of changes that are decisions rather than field differences.
const (
	ReasonRedeployBuild = "redeploy build"
	ReasonPrune         = "not in the config and prune is enabled"
)

// Diff computes the plan that makes live equal to cfg, with the decisions
// of o. It is a pure function: no I/O, the same inputs always give the
// same plan.
func Diff(cfg *schema.Config, live *Live, o Options) *Plan {
	p := &Plan{FormatVersion: FormatVersion, Config: cfg.File, Options: o.recorded()}
	if o.Config != "" {
		p.Config = o.Config
	}
	declared := make(map[string]bool, len(cfg.Agents))
	for _, a := range cfg.Agents {
		declared[a.Name] = true
		p.Changes = append(p.Changes, diffAgent(a, live.Details[a.Name], o))
	}
	for _, item := range live.Agents {
		if declared[item.Name] {
			continue
		}
		if !cfg.Prune.Enabled || ignored(cfg.Prune.Ignore, item.Name) {
			p.Unmanaged = append(p.Unmanaged, item.Name)
			continue
		}
		p.Changes = append(p.Changes, deleteChange(item, live.Details[item.Name]))
	}
	sort.Slice(p.Changes, func(i, j int) bool { return p.Changes[i].Agent < p.Changes[j].Agent })
	sort.Strings(p.Unmanaged)
	p.Findings = append(preflight(cfg, live), refusals(cfg, p.Changes, o)...)
	p.Summarize()
	return p
}

func diffAgent(a schema.Agent, d *cloud.ServiceDetails, o Options) Change {
	desired := a.Spec.Clone()
	c := Change{Agent: a.Name, Desired: desired, Line: a.Pos.Line, Fingerprint: Fingerprint(desired, d)}
	if d == nil {
		c.Action = Create
		for _, f := range desired.Fields() {
			c.Fields = append(c.Fields, FieldChange{Path: f.Path, Before: nil, After: f.Value})
		}
		return c
	}
	c.Fields = DiffLive(desired, d)
	live := LiveSpec(d)
	switch {
	case desired.Region != nil && live.Region != nil && *desired.Region != *live.Region:
		c.Action = Replace
		c.Reason = fmt.Sprintf("region %s -> %s cannot change in place", *live.Region, *desired.Region)
	case len(c.Fields) > 0:
		c.Action = Update
	case o.RedeployBuilds && desired.BuildID != nil:
		// The API cannot say which build runs; the user asked to send it.
		c.Action, c.Reason = Update, ReasonRedeployBuild
	default:
		c.Action = NoOp
	}
	return c
}

// DiffLive lists the managed fields of desired that differ from a live
// agent: what an update would change. Apply uses it to finish a create whose
// agent turned out to exist already.
func DiffLive(desired *schema.Spec, d *cloud.ServiceDetails) []FieldChange {
	live := LiveSpec(d)
	var out []FieldChange
	for _, f := range desired.Fields() {
		if f.WriteOnly {
			continue
		}
		have, _ := live.Get(f.Path)
		if !reflect.DeepEqual(f.Value, have) {
			out = append(out, FieldChange{Path: f.Path, Before: have, After: f.Value})
		}
	}
	// A build can be diffed only one way: an agent that runs a plain image
	// (not redacted) while the config names a build is certainly not
	// running that build.
	if desired.BuildID != nil && !ImageRedacted(live.Image) {
		out = append(out, FieldChange{Path: "buildId", Before: nil, After: *desired.BuildID})
	}
	return out
}

func deleteChange(item cloud.ServiceListItem, d *cloud.ServiceDetails) Change {
	c := Change{Agent: item.Name, Action: Delete, Reason: ReasonPrune}
	if d == nil {
		// The list names it but details were not read: fingerprint what
		// the list says.
		d = &cloud.ServiceDetails{Name: item.Name, Region: item.Region}
	}
	c.Fingerprint = Fingerprint(nil, d)
	return c
}

// refusals are the changes the plan's options do not allow, as errors:
// the pull request shows them before merge, and apply refuses a plan with
// errors before it sends anything.
func refusals(cfg *schema.Config, changes []Change, o Options) []Finding {
	pos := map[string]schema.Agent{}
	for _, a := range cfg.Agents {
		pos[a.Name] = a
	}
	var out []Finding
	for _, c := range changes {
		if c.Action != Replace || o.AllowReplace {
			continue
		}
		a := pos[c.Agent]
		f := Finding{Severity: Error, Agent: c.Agent, Field: "region", File: cfg.File,
			Message: "replace needs --allow-replace: " + c.Reason + "; replacing deletes the agent and creates it again, ending its running sessions"}
		at, ok := a.FieldPos["region"]
		if !ok {
			at = a.Pos
		}
		f.Line, f.Col = at.Line, at.Col
		out = append(out, f)
	}
	return out
}

// ignored reports whether name matches one of the prune.ignore globs.
func ignored(globs []string, name string) bool {
	for _, g := range globs {
		if ok, err := path.Match(g, name); err == nil && ok {
			return true
		}
	}
	return false
}
