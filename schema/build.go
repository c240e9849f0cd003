package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// field is one set agent field after merging: its value, the node it was
// written at, and its YAML path there (under the agent or under defaults).
type field struct {
	v       any
	node    *yaml.Node
	key     *yaml.Node
	path    string
	builtin bool // true when taken from defaults
}

// flatten lists the fields set in one settings mapping, keyed by their path
// relative to the agent ("secretSet", "autoScaling.minAgents").
func (l *loader) flatten(m map[string]any, tokens []string, fromDefaults bool) map[string]field {
	out := map[string]field{}
	for name, v := range m {
		t := append(tokens[:len(tokens):len(tokens)], name)
		k := pathKey(t)
		out[name] = field{v, l.nodes[k], l.keys[k], l.display[k], fromDefaults}
		sub, ok := v.(map[string]any)
		if !ok || !isObjectField(name) {
			continue
		}
		for sn, sv := range sub {
			sk := pathKey(append(t[:len(t):len(t)], sn))
			out[name+"."+sn] = field{sv, l.nodes[sk], l.keys[sk], l.display[sk], fromDefaults}
		}
	}
	return out
}

// isObjectField reports whether name is an agent field that holds an
// object (autoScaling, krispViva), which defaults merge key by key.
func isObjectField(name string) bool {
	for _, f := range AllFields() {
		if strings.HasPrefix(f.Path, name+".") {
			return true
		}
	}
	return false
}

// build turns the validated tree into a Config and checks the rules the
// schema cannot express. It tolerates a tree the schema rejected (values
// of the wrong type are skipped) so that those checks still run and every
// error is reported at once.
func (l *loader) build(tree any) *Config {
	top, _ := tree.(map[string]any)
	cfg := &Config{File: l.file}
	if n, ok := top["version"].(json.Number); ok {
		if v, err := n.Int64(); err == nil && v == 1 {
			cfg.Version = 1
		}
	}
	if p, ok := top["prune"].(map[string]any); ok {
		cfg.Prune.Enabled, _ = p["enabled"].(bool)
		cfg.Prune.Ignore = l.globs(p["ignore"], "prune", "ignore")
		if n, ok := intValue(p["maxDeletes"]); ok {
			cfg.Prune.MaxDeletes = &n
			cfg.Prune.MaxDeletesPos = pos(l.nodes[pathKey([]string{"prune", "maxDeletes"})])
		}
		cfg.Prune.SecretSets, _ = p["secretSets"].(bool)
	}
	if sets, ok := top["secretSets"].(map[string]any); ok {
		cfg.SecretSets = l.buildSecretSets(sets)
	}
	if o, ok := top["organization"].(map[string]any); ok {
		cfg.Organization = &Organization{Pos: pos(l.keys[pathKey([]string{"organization"})])}
		if r, ok := o["defaultRegion"].(string); ok {
			cfg.Organization.DefaultRegion = &r
			cfg.Organization.DefaultRegionPos = pos(l.nodes[pathKey([]string{"organization", "defaultRegion"})])
		}
	}
	if r, ok := top["replace"].(map[string]any); ok {
		cfg.Replace.Allowed = l.globs(r["allowed"], "replace", "allowed")
	}
	if p, ok := top["previews"].(map[string]any); ok {
		cfg.Previews.Pos = pos(l.keys[pathKey([]string{"previews"})])
		cfg.Previews.Enabled, _ = p["enabled"].(bool)
		cfg.Previews.AllowProductionSecrets, _ = p["allowProductionSecrets"].(bool)
		cfg.Previews.Agents = l.globs(p["agents"], "previews", "agents")
		if n, ok := intValue(p["maxAgents"]); ok {
			cfg.Previews.MaxAgents = n
		}
		if o, ok := p["overrides"].(map[string]any); ok {
			fs := l.flatten(o, []string{"previews", "overrides"}, false)
			l.checkAgent(fs, true)
			a := newAgent("", nil, fs)
			cfg.Previews.Overrides, cfg.Previews.OverridePos = a.Spec, a.FieldPos
		}
	}

	defaults := map[string]field{}
	if d, ok := top["defaults"].(map[string]any); ok {
		defaults = l.flatten(d, []string{"defaults"}, true)
		l.checkAgent(defaults, true)
	}
	agents, _ := top["agents"].(map[string]any)
	names := make([]string, 0, len(agents))
	for name := range agents {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !l.alive() {
			return nil
		}
		m, ok := agents[name].(map[string]any)
		if !ok {
			continue
		}
		own := l.flatten(m, []string{"agents", name}, false)
		merged := map[string]field{}
		ownSource := source(own)
		for k, f := range defaults {
			// An agent that picks image, buildId or build takes none of
			// the others from defaults: the three are one choice. (A
			// build merges key by key, like any object.)
			if top, _, _ := strings.Cut(k, "."); ownSource != "" && top != ownSource && slices.Contains(sourceKeys, top) {
				continue
			}
			merged[k] = f
		}
		for k, f := range own {
			merged[k] = f
		}
		keyNode := l.keys[pathKey([]string{"agents", name})]
		if pr, ok := PreviewPR(name); ok {
			l.errorAt(keyNode, "agents."+name, "rename the agent: names ending in -pr<number> are reserved for the preview agents of pull requests (see docs/previews.md)",
				"agent name %s looks like a preview agent of pull request #%d", quote(name), pr)
		}
		if source(merged) == "" && !l.reported(name) {
			l.errorAt(keyNode, "agents."+name, "add image: REGISTRY/IMAGE:TAG (or buildId: BUILD-UUID, or build: {context: DIR})", "one of image, buildId or build is required")
		}
		l.checkAgent(merged, false)
		l.checkBuild(name, keyNode, merged)
		cfg.Agents = append(cfg.Agents, newAgent(name, keyNode, merged))
	}
	return cfg
}

// globs returns the valid path.Match globs of a list at tokens, reporting
// the invalid ones.
func (l *loader) globs(list any, tokens ...string) []string {
	items, _ := list.([]any)
	var out []string
	for i, g := range items {
		s, ok := g.(string)
		if !ok {
			continue
		}
		if _, err := path.Match(s, ""); err != nil {
			k := pathKey(append(tokens[:len(tokens):len(tokens)], fmt.Sprint(i)))
			l.errorAt(l.nodes[k], l.display[k], "globs use *, ? and [a-z]; see Go's path.Match", "invalid glob %s: %v", quote(s), err)
			continue
		}
		out = append(out, s)
	}
	return out
}

// checkAgent applies the cross-field rules to one merged agent, or to
// defaults alone. A conflict that lies wholly within defaults is reported
// once, for defaults, not again for every agent.
func (l *loader) checkAgent(fs map[string]field, isDefaults bool) {
	first := source(fs)
	for _, k := range sourceKeys {
		f := fs[k]
		if f.node == nil || k == first || !isDefaults && f.builtin {
			continue
		}
		l.errorAt(f.node, f.path, "keep one of the two", "%s and %s are mutually exclusive", first, k)
	}

	minF, maxF := fs["autoScaling.minAgents"], fs["autoScaling.maxAgents"]
	lo, okLo := intValue(minF.v)
	hi, okHi := intValue(maxF.v)
	switch {
	case !okLo || !okHi || lo <= hi:
	case !isDefaults && minF.builtin && maxF.builtin:
	case !isDefaults && minF.builtin:
		l.errorAt(maxF.node, maxF.path, "", "%d is less than minAgents (%d, from %s)", hi, lo, minF.path)
	case !isDefaults && maxF.builtin:
		l.errorAt(minF.node, minF.path, "", "%d is greater than maxAgents (%d, from %s)", lo, hi, maxF.path)
	default:
		l.errorAt(minF.node, minF.path, "", "%d is greater than maxAgents (%d)", lo, hi)
	}
}

// sourceKeys are the agent fields that say what to run: exactly one of
// them is set, after defaults.
var sourceKeys = []string{"image", "buildId", "build"}

// source is the first of sourceKeys set in fs, or "".
func source(fs map[string]field) string {
	for _, k := range sourceKeys {
		if fs[k].node != nil {
			return k
		}
	}
	return ""
}

// checkBuild requires a build's context once defaults are merged: defaults
// may hold the Dockerfile alone, the agent its context.
func (l *loader) checkBuild(name string, agentKey *yaml.Node, fs map[string]field) {
	b := fs["build"]
	m, isMap := b.v.(map[string]any)
	if !isMap || fs["build.context"].node != nil {
		return
	}
	for k := range m {
		if k != "dockerfile" {
			return // a misspelt key, which the schema reports with a suggestion
		}
	}
	for _, at := range [][]string{{"agents", name, "build", "context"}, {"defaults", "build", "context"}} {
		if l.bad[pathKey(at)] {
			return // written, and reported already
		}
	}
	at, path := b.key, b.path
	if b.builtin {
		at, path = agentKey, "agents."+name
	}
	l.errorAt(at, path, "name the directory to build, relative to the config file: build: {context: DIR}", "build has no context")
}

// reported tells whether an image, buildId or build was written for the
// agent but already reported as invalid (a failed ${VAR} expansion, say),
// so that "one of image, buildId or build is required" does not follow it.
func (l *loader) reported(agent string) bool {
	for _, k := range sourceKeys {
		if l.bad[pathKey([]string{"agents", agent, k})] || l.bad[pathKey([]string{"defaults", k})] {
			return true
		}
	}
	return false
}

func intValue(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	if err != nil || i < -1<<31 || i > 1<<31-1 {
		return 0, false
	}
	return int(i), true
}

// protectKey is the one agent setting that is a guard of the plan, not a
// field of the agent sent to the API.
const protectKey = "protect"

// newAgent builds the agent from its merged fields. The Spec is decoded
// from the merged values by their JSON names, so a field added to Spec and
// to the JSON Schema needs no code here. A tree the schema rejected may not
// decode; its Config is never returned, so the Spec is left empty then.
func newAgent(name string, key *yaml.Node, fs map[string]field) Agent {
	a := Agent{Name: name, FieldPos: map[string]Position{}}
	if key != nil {
		a.Pos = Position{Line: key.Line, Col: key.Column}
	}
	tree := map[string]any{}
	for k, f := range fs {
		a.FieldPos[k] = pos(f.node)
		if k == protectKey {
			a.Protect, _ = f.v.(bool)
			continue
		}
		parent, child, nested := strings.Cut(k, ".")
		if !nested {
			if _, isObject := f.v.(map[string]any); !isObject || !isObjectField(k) {
				tree[k] = f.v
			} else if tree[k] == nil {
				tree[k] = map[string]any{}
			}
			continue
		}
		m, ok := tree[parent].(map[string]any)
		if !ok {
			m = map[string]any{}
			tree[parent] = m
		}
		m[child] = f.v
	}
	b, err := json.Marshal(tree)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if dec.Decode(&a.Spec) != nil {
			a.Spec = Spec{}
		}
	}
	return a
}

func pos(n *yaml.Node) Position {
	if n == nil {
		return Position{}
	}
	return Position{Line: n.Line, Col: n.Column}
}
