// Package preview decides the preview agents of a pull request: a copy
// named NAME-prN (schema.PreviewName) of each agent the pull request's
// plan changes, with the config's previews.overrides. It is pure: the
// preview command plans the config it returns with plan.Make (scoped by
// plan.PreviewScope) and executes that plan with package apply.
//
//   - Select picks the changes that get a preview: a create, update or
//     replace of a declared agent matching previews.agents.
//   - Config builds the desired previews as a config of their own, and
//     the findings that refuse it: more previews than previews.maxAgents,
//     a preview bound to a production secret set.
//   - Result is what a preview run did, as package report renders it.
package preview

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// Select returns the declared agents of cfg whose change in p (the plan of
// the pull request's config against the live agents) gets a preview, in
// name order.
func Select(cfg *schema.Config, p *plan.Plan) []schema.Agent {
	changed := map[string]bool{}
	for _, c := range p.Changes {
		switch c.Action {
		case plan.Create, plan.Update, plan.Replace:
			changed[c.Agent] = true
		}
	}
	var out []schema.Agent
	for _, a := range cfg.Agents {
		if changed[a.Name] && matches(cfg.Previews.Agents, a.Name) {
			out = append(out, a)
		}
	}
	return out
}

// matches reports whether name matches one of globs; no globs match all.
func matches(globs []string, name string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// Config returns the config of pull request pr's previews of agents (see
// Select): one agent each, named by schema.PreviewName, its spec with
// cfg.Previews.Overrides merged over it. sources maps each preview to its
// agent. The findings are the errors that refuse the preview plan.
// A preview may always be replaced: it holds nothing worth keeping.
func Config(cfg *schema.Config, agents []schema.Agent, pr int) (out *schema.Config, sources map[string]string, findings []plan.Finding) {
	out = &schema.Config{File: cfg.File, Version: cfg.Version, Replace: schema.Replace{Allowed: []string{"*"}}}
	sources = map[string]string{}
	pv := cfg.Previews
	for _, a := range agents {
		spec := Merge(a.Spec, pv.Overrides)
		fieldPos := map[string]schema.Position{}
		for k, v := range a.FieldPos {
			fieldPos[k] = v
		}
		for k, v := range pv.OverridePos {
			fieldPos[k] = v
		}
		name := schema.PreviewName(a.Name, pr)
		out.Agents = append(out.Agents, schema.Agent{Name: name, Spec: spec, Pos: a.Pos, FieldPos: fieldPos})
		sources[name] = a.Name
	}
	sort.Slice(out.Agents, func(i, j int) bool { return out.Agents[i].Name < out.Agents[j].Name })
	if n := len(out.Agents); n > pv.Max() {
		names := make([]string, len(agents))
		for i, a := range agents {
			names[i] = a.Name
		}
		findings = append(findings, plan.Finding{Severity: plan.Error, Kind: plan.KindRefusal, Field: "previews.maxAgents", File: cfg.File,
			Line: pv.Pos.Line, Col: pv.Pos.Col,
			Message: fmt.Sprintf("pull request #%d changes %d agents that get previews (%s), more than previews.maxAgents (%d); raise previews.maxAgents or narrow previews.agents in a reviewed change",
				pr, n, strings.Join(names, ", "), pv.Max())})
	}
	if !pv.AllowProductionSecrets {
		findings = append(findings, productionSecrets(cfg, out)...)
	}
	return out, sources, findings
}

// productionSecrets refuses every preview whose secret set a declared
// agent uses: a preview runs the pull request's code, and that code would
// read the production values.
func productionSecrets(cfg, previews *schema.Config) []plan.Finding {
	users := map[string]string{} // set -> the first agent using it
	for _, a := range cfg.Agents {
		if s := a.Spec.SecretSet; s != nil && users[*s] == "" {
			users[*s] = a.Name
		}
	}
	var out []plan.Finding
	for _, a := range previews.Agents {
		s := a.Spec.SecretSet
		if s == nil || users[*s] == "" {
			continue
		}
		at := a.FieldPos["secretSet"]
		out = append(out, plan.Finding{Severity: plan.Error, Kind: plan.KindRefusal, Agent: a.Name, Field: "secretSet", File: cfg.File,
			Line: at.Line, Col: at.Col,
			Message: fmt.Sprintf("preview would run the pull request's code with secret set %q, which agent %s uses; set previews.overrides.secretSet to a staging secret set (or, knowingly, previews.allowProductionSecrets: true)", *s, users[*s])})
	}
	return out
}

// Merge returns base with the fields over sets replacing its own, as an
// agent's own settings replace defaults: objects (autoScaling, krispViva,
// build) merge key by key, and an over that names what to run (image,
// buildId or build) replaces base's choice.
func Merge(base, over schema.Spec) schema.Spec {
	var b, o map[string]any
	mustRoundTrip(base, &b)
	mustRoundTrip(over, &o)
	sources := []string{"image", "buildId", "build"}
	for _, k := range sources {
		if _, ok := o[k]; ok {
			for _, drop := range sources {
				if drop != k {
					delete(b, drop)
				}
			}
		}
	}
	for k, v := range o {
		bm, bok := b[k].(map[string]any)
		om, ook := v.(map[string]any)
		if bok && ook {
			for kk, vv := range om {
				bm[kk] = vv
			}
			continue
		}
		b[k] = v
	}
	var out schema.Spec
	mustRoundTrip(b, &out)
	return out
}

// mustRoundTrip converts between a Spec and its JSON map; a Spec always
// encodes and decodes.
func mustRoundTrip(from, to any) {
	data, err := json.Marshal(from)
	if err == nil {
		err = json.Unmarshal(data, to)
	}
	if err != nil {
		panic(fmt.Sprintf("preview: spec round trip: %v", err))
	}
}
