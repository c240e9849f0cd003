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

// Diff computes the plan that makes live equal to cfg. It is a pure
// function: no I/O, the same inputs always give the same plan.
func Diff(cfg *schema.Config, live *Live) *Plan {
	p := &Plan{FormatVersion: FormatVersion, Config: cfg.File}
	declared := make(map[string]bool, len(cfg.Agents))
	for _, a := range cfg.Agents {
		declared[a.Name] = true
		p.Changes = append(p.Changes, diffAgent(a, live.Details[a.Name]))
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
	p.Findings = preflight(cfg, live)
	p.Summarize()
	return p
}

func diffAgent(a schema.Agent, d *cloud.ServiceDetails) Change {
	desired := DesiredSpec(a)
	c := Change{Agent: a.Name, Desired: &desired, Line: a.Pos.Line}
	if d == nil {
		c.Action = Create
		c.Fingerprint = Fingerprint(&desired, nil)
		for _, f := range fields {
			if v, ok := f.get(&desired); ok {
				c.Fields = append(c.Fields, FieldChange{Path: f.path, Before: nil, After: v})
			}
		}
		if desired.BuildID != nil {
			c.Fields = append(c.Fields, FieldChange{Path: "buildId", Before: nil, After: *desired.BuildID})
		}
		return c
	}
	live := LiveSpec(d)
	c.Fingerprint = Fingerprint(&desired, d)
	c.Fields = diffFields(&desired, &live)
	switch {
	case desired.Region != nil && live.Region != nil && *desired.Region != *live.Region:
		c.Action = Replace
		c.Reason = fmt.Sprintf("region %s -> %s cannot change in place", *live.Region, *desired.Region)
	case len(c.Fields) > 0:
		c.Action = Update
	default:
		c.Action = NoOp
	}
	return c
}

// diffFields lists the managed fields of desired whose live value differs.
func diffFields(desired, live *Spec) []FieldChange {
	var out []FieldChange
	for _, f := range fields {
		want, managed := f.get(desired)
		if !managed {
			continue
		}
		have, _ := f.get(live)
		if !reflect.DeepEqual(want, have) {
			out = append(out, FieldChange{Path: f.path, Before: have, After: want})
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
	c := Change{Agent: item.Name, Action: Delete, Reason: "not in the config and prune is enabled"}
	if d == nil {
		// The list names it but details were not read: fingerprint what
		// the list says.
		d = &cloud.ServiceDetails{Name: item.Name, Region: item.Region}
	}
	c.Fingerprint = Fingerprint(nil, d)
	return c
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

// DiffLive lists the managed fields of desired that differ from a live
// agent: what an update would change. Apply uses it to finish a create whose
// agent turned out to exist already.
func DiffLive(desired *Spec, d *cloud.ServiceDetails) []FieldChange {
	live := LiveSpec(d)
	return diffFields(desired, &live)
}
