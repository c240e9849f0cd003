package plan

import (
	"fmt"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"

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
	// DefaultRegion is the organization's (GET /v1/properties): where
	// the API puts an agent, build or secret set that names no region.
	// Empty when not read; PropertiesErr says the read failed, and the
	// checks that need it are skipped with one warning.
	DefaultRegion string
	PropertiesErr error
	// SecretKeys holds GET /v1/secrets/{name} (key names, never values)
	// for every declared set of type secret that exists, and for every
	// live one when prune.secretSets is on.
	SecretKeys map[string]*cloud.SecretSetDetails
	// CachedBuilds maps each build the plan needs to the successful
	// build found for it (LookupBuilds); BuildsErr says a lookup failed.
	CachedBuilds map[BuildKey]string
	BuildsErr    error
	// BuildIDs holds GET /v1/builds/{id} for every distinct buildId the
	// config names (preflight); BuildIDErrs the reads that failed.
	BuildIDs    map[string]*cloud.Build
	BuildIDErrs map[string]error
}

// Reasons of changes that are decisions rather than field differences.
const (
	ReasonRedeployBuild = "redeploy build"
	// ReasonRedeploy is the update --redeploy asks for: apply sends it
	// with forceRedeploy.
	ReasonRedeploy = "redeploy requested"
	ReasonPrune    = "not in the config and prune is enabled"
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
	var agents []schema.Agent // the targeted ones
	for _, a := range cfg.Agents {
		declared[a.Name] = true
		if o.targeted(a.Name) {
			agents = append(agents, a)
			p.Changes = append(p.Changes, diffAgent(a, live, o, defaultRegion(cfg, live)))
		}
	}
	for _, item := range live.Agents {
		if declared[item.Name] || !o.targeted(item.Name) {
			continue
		}
		if o.Preview != nil {
			// A preview of the scope that the config no longer has.
			p.Changes = append(p.Changes, previewDelete(item, live.Details[item.Name]))
			continue
		}
		if !cfg.Prune.Enabled || matchAny(cfg.Prune.Ignore, item.Name) {
			p.Unmanaged = append(p.Unmanaged, item.Name)
			continue
		}
		p.Changes = append(p.Changes, deleteChange(item, live.Details[item.Name]))
	}
	sort.Slice(p.Changes, func(i, j int) bool { return p.Changes[i].Agent < p.Changes[j].Agent })
	sort.Strings(p.Unmanaged)
	if o.Preview == nil {
		p.Previews = previewRefs(live.Agents)
		p.PreviewsEnabled = cfg.Previews.Enabled
	}
	scoped := *cfg
	scoped.Agents = agents
	p.Organization = organizationChange(cfg.Organization, live.DefaultRegion)
	p.Findings = organizationFindings(cfg, live)
	p.Findings = append(p.Findings, preflight(&scoped, live)...)
	p.Findings = append(p.Findings, health(&scoped, live)...)
	p.Findings = append(p.Findings, refusals(&scoped, p.Changes, o)...)
	var setFindings []Finding
	p.SecretSets, setFindings = diffSecretSets(cfg, live, o)
	restarts(p.Changes, p.SecretSets, live)
	bindDeployments(p.Changes, live.Details)
	p.Findings = append(p.Findings, setFindings...)
	p.Findings = append(p.Findings, setRefusals(cfg, p.SecretSets, p.Changes, live, o)...)
	p.Findings = append(p.Findings, writeOnlyFindings(&scoped, o)...)
	p.Findings = append(p.Findings, switchFindings(&scoped, p.Changes, live)...)
	if live.BuildsErr != nil {
		p.Findings = append(p.Findings, Finding{Severity: Warning, Message: fmt.Sprintf(
			"the build cache could not be read, so this plan does not say which builds exist (apply looks again): %v", live.BuildsErr)})
	}
	if len(o.Targets) > 0 {
		p.Target, p.Findings = target(cfg, live, o, p.Findings)
	}
	for _, g := range o.Redeploy {
		if !slices.ContainsFunc(cfg.Agents, func(a schema.Agent) bool { return matchAny([]string{g}, a.Name) }) {
			p.Findings = append(p.Findings, Finding{Severity: Error, Kind: KindRefusal,
				Message: fmt.Sprintf("--redeploy %q matches no agent in the config", g)})
		}
	}
	p.Findings = append(p.Findings, mutableTagFindings(&scoped)...)
	p.Summarize()
	return p
}

func diffAgent(a schema.Agent, l *Live, o Options, def string) Change {
	d := l.Details[a.Name]
	woFields, bp, buildReason := writeOnly(a, agentRegion(a, d, def), o.Sources, l.CachedBuilds)
	c := agentChange(a.Name, a.Spec.Clone(), d, woFields, buildReason, o)
	c.Build, c.Line = bp, a.Pos.Line
	return c
}

// agentChange decides the change of a declared agent from its desired
// spec and live details (nil: absent). woFields and buildReason are what
// only the base revision tells of the write-only inputs (writeOnly).
// Recheck decides a saved change again with it, so a saved plan is held
// to the very rules that made it.
func agentChange(name string, desired *schema.Spec, d *cloud.ServiceDetails, woFields []FieldChange, buildReason string, o Options) Change {
	c := Change{Agent: name, Desired: desired, Fingerprint: Fingerprint(desired, d)}
	if d == nil {
		c.Action = Create
		for _, f := range desired.Fields() {
			c.Fields = append(c.Fields, FieldChange{Path: f.Path, Before: nil, After: f.Value})
		}
		return c
	}
	c.Fields = DiffLive(desired, d)
	for _, f := range woFields {
		// The live agent's plain image may have told already.
		if !slices.ContainsFunc(c.Fields, func(g FieldChange) bool { return g.Path == f.Path }) {
			c.Fields = append(c.Fields, f)
		}
	}
	live := LiveSpec(d)
	switch moved := immutableChange(desired, &live); {
	case moved != nil:
		c.Action = Replace
		c.Reason = fmt.Sprintf("%s %v -> %v cannot change in place", moved.Path, moved.Before, moved.After)
	case len(c.Fields) > 0 || buildReason != "":
		c.Action, c.Reason = Update, buildReason
	case o.RedeployBuilds && (desired.BuildID != nil || desired.Build != nil):
		// The API cannot say which build runs; the user asked to send it.
		c.Action, c.Reason = Update, ReasonRedeployBuild
	case matchAny(o.Redeploy, name):
		c.Action, c.Reason = Update, ReasonRedeploy
	default:
		c.Action = NoOp
	}
	return c
}

// immutableChange is the first field an update cannot change (region)
// that both specs manage and that differs, or nil.
func immutableChange(desired, live *schema.Spec) *FieldChange {
	for _, f := range desired.Fields() {
		if !f.Immutable {
			continue
		}
		if have, ok := live.Get(f.Path); ok && !reflect.DeepEqual(have, f.Value) {
			return &FieldChange{Path: f.Path, Before: have, After: f.Value}
		}
	}
	return nil
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
	if !ImageRedacted(live.Image) {
		switch {
		case desired.BuildID != nil:
			out = append(out, FieldChange{Path: "buildId", Before: nil, After: *desired.BuildID})
		case desired.Build != nil && desired.Build.Context != nil:
			out = append(out, FieldChange{Path: "build.context", Before: nil, After: *desired.Build.Context})
		}
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

// ReasonPreviewGone is the delete of a preview agent whose pull request no
// longer changes its agent, or is closed.
const ReasonPreviewGone = "preview no longer needed"

func previewDelete(item cloud.ServiceListItem, d *cloud.ServiceDetails) Change {
	c := deleteChange(item, d)
	c.Reason = ReasonPreviewGone
	return c
}

// previewRefs groups the live preview agents by pull request.
func previewRefs(agents []cloud.ServiceListItem) []PreviewRef {
	by := map[int][]string{}
	for _, item := range agents {
		if pr, ok := schema.PreviewPR(item.Name); ok {
			by[pr] = append(by[pr], item.Name)
		}
	}
	var out []PreviewRef
	for pr, names := range by {
		sort.Strings(names)
		out = append(out, PreviewRef{PR: pr, Agents: names})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PR < out[j].PR })
	return out
}

// refusals are the changes the plan's guards do not allow, as errors: the
// pull request shows them before merge, and apply refuses a plan with
// errors before it sends anything. cfg holds the targeted agents.
func refusals(cfg *schema.Config, changes []Change, o Options) []Finding {
	agents := map[string]schema.Agent{}
	for _, a := range cfg.Agents {
		agents[a.Name] = a
	}
	var out []Finding
	refuse := func(a schema.Agent, field, format string, args ...any) {
		f := Finding{Severity: Error, Kind: KindRefusal, Agent: a.Name, Field: field, File: cfg.File, Message: fmt.Sprintf(format, args...)}
		at, ok := a.FieldPos[field]
		if !ok {
			at = a.Pos
		}
		f.Line, f.Col = at.Line, at.Col
		out = append(out, f)
	}
	deletes := 0
	for _, c := range changes {
		a := agents[c.Agent]
		switch {
		case c.Action == Delete:
			deletes++
		case c.Action != Replace:
		case a.Protect:
			refuse(a, "protect", "agent is protected (protect: true) and this plan replaces it: %s; remove protect in a reviewed change first", c.Reason)
		case !o.AllowReplace && !matchAny(cfg.Replace.Allowed, c.Agent):
			refuse(a, "region", "replace needs --allow-replace (or the agent in replace.allowed): %s; replacing deletes the agent and creates it again, ending its running sessions", c.Reason)
		}
	}
	if m := cfg.Prune.MaxDeletes; m != nil && deletes > *m {
		out = append(out, Finding{Severity: Error, Kind: KindRefusal, Field: "prune.maxDeletes", File: cfg.File,
			Line: cfg.Prune.MaxDeletesPos.Line, Col: cfg.Prune.MaxDeletesPos.Col,
			Message: fmt.Sprintf("this plan deletes %d agents, more than prune.maxDeletes (%d); if that is intended, raise the limit in a reviewed change", deletes, *m)})
	}
	return out
}

// health reports every targeted agent that is live but not ready, or
// whose current revision failed or has an infrastructure issue, with the
// reason and since when.
func health(cfg *schema.Config, live *Live) []Finding {
	var out []Finding
	for _, a := range cfg.Agents {
		d := live.Details[a.Name]
		if d == nil {
			continue
		}
		rev := d.CurrentRevision
		failed := rev != nil && (rev.Phase == "Failed" || rev.HasInfrastructureIssue)
		if d.Ready && !failed && len(d.Errors) == 0 {
			continue
		}
		msg := "not ready"
		if d.Ready && !failed {
			msg = "ready" // but the platform reports errors, below
		}
		if rev != nil && msg != "ready" {
			switch {
			case rev.Phase == "Failed":
				msg = "current revision failed"
			case rev.HasInfrastructureIssue:
				msg = "current revision has an infrastructure issue"
			case rev.Phase != "":
				msg = "not ready (revision " + rev.Phase + ")"
			}
			if h := rev.Health; h != nil && h.Reason != "" {
				msg += ": " + h.Reason
				if h.RestartCount > 0 {
					msg += fmt.Sprintf(" (%d restarts)", h.RestartCount)
				}
			}
			if rev.PhaseStartedAt != "" {
				msg += ", since " + rev.PhaseStartedAt
			}
		}
		var errs []string
		for _, e := range d.Errors {
			if t := e.Text(); t != "" {
				errs = append(errs, t)
			}
		}
		if len(errs) > 0 {
			msg += "; platform errors: " + strings.Join(errs, "; ")
		}
		out = append(out, Finding{Severity: Warning, Kind: KindHealth, Agent: a.Name, Field: "health", File: cfg.File,
			Line: a.Pos.Line, Col: a.Pos.Col, Message: msg})
	}
	return out
}

// target counts what a targeted plan covers and refuses targets that match
// no agent: a mistyped target must not pass as "no changes".
func target(cfg *schema.Config, live *Live, o Options, findings []Finding) (*Target, []Finding) {
	all := map[string]bool{}
	for _, a := range cfg.Agents {
		all[a.Name] = true
	}
	for _, item := range live.Agents {
		if _, preview := schema.PreviewPR(item.Name); !preview {
			all[item.Name] = true
		}
	}
	t := &Target{Of: len(all)}
	for name := range all {
		if o.targeted(name) {
			t.Agents++
		}
	}
	for _, g := range o.Targets {
		hit := false
		for name := range all {
			if ok, _ := path.Match(g, name); ok {
				hit = true
				break
			}
		}
		if !hit {
			msg := fmt.Sprintf("--target %q matches no agent in the config or the organization", g)
			if near := nearTarget(g, all); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			findings = append(findings, Finding{Severity: Error, Kind: KindTarget, Message: msg})
		}
	}
	return t, findings
}

// nearTarget is the glob nearest to g that matches an agent in names
// ("voise-00*" gives "voice-00*"): g's literal start, before its first
// wildcard, changed into the start of an agent name; "" when none is near.
func nearTarget(g string, names map[string]bool) string {
	lit, rest := g, ""
	if i := strings.IndexAny(g, `*?[\`); i >= 0 {
		lit, rest = g[:i], g[i:]
	}
	var starts []string
	seen := map[string]bool{}
	for name := range names {
		for n := max(1, len(lit)-2); n <= min(len(name), len(lit)+2); n++ {
			start := name[:n]
			if seen[start] {
				continue
			}
			seen[start] = true
			if ok, _ := path.Match(start+rest, name); ok {
				starts = append(starts, start)
			}
		}
	}
	sort.Strings(starts) // the same suggestion on every run
	if near := schema.Suggest(lit, starts); near != "" && near != lit {
		return near + rest
	}
	return ""
}

// matchAny reports whether name matches one of the path.Match globs.
func matchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, err := path.Match(g, name); err == nil && ok {
			return true
		}
	}
	return false
}
