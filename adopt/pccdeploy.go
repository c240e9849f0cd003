package adopt

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// File is one input file: its name (for errors and comments) and contents.
type File struct {
	Name string
	Data []byte
	// Dir is the directory the file's relative paths ([build]
	// context_dir) are relative to; "" means the directory of Name.
	Dir string
}

// pccKey is one key of pcc-deploy.toml, as the official CLI reads it
// (daily-co/pipecat-cloud, src/pipecatcloud/_utils/deploy_utils.py,
// load_deploy_config_file, current and earlier versions).
type pccKey struct {
	// field is the pipecat.yaml path the key maps to; empty for a key
	// that is not carried over.
	field string
	// kind is the TOML type the CLI expects: string, integer, boolean or
	// array.
	kind string
	// note, for a key that changes the deployed agent but has no
	// pipecat.yaml field, says so in a comment on the agent. Keys without
	// field and note are build settings ([docker], [build]), which belong
	// to `pipecat cloud docker` and cloud builds, not to the agent.
	note string
	// deprecated names the key that replaces this one.
	deprecated string
}

// pccOtherKeys are the keys that map to no field of the table on
// schema.Spec (its pcc tags give the rest: see pccKeys).
var pccOtherKeys = map[string]pccKey{
	"agent_name":       {kind: "string"},
	"resources.cpu":    {kind: "string", note: "explicit resources have no pipecat.yaml field, and pipecat-gitops never sends them"},
	"resources.memory": {kind: "string", note: "explicit resources have no pipecat.yaml field, and pipecat-gitops never sends them"},
	// Deprecated, still read by the CLI, which warns.
	"scaling.min_instances": {field: "autoScaling.minAgents", kind: "integer", deprecated: "scaling.min_agents"},
	"scaling.max_instances": {field: "autoScaling.maxAgents", kind: "integer", deprecated: "scaling.max_agents"},

	"docker.registry":          {kind: "string"},
	"docker.registry_username": {kind: "string"},
	"docker.registry_url":      {kind: "string"},
	"docker.auto_latest":       {kind: "boolean"},
	// Read for a file without image or build_id, which builds in the
	// cloud (see convertPCC).
	"build.context_dir":      {kind: "string"},
	"build.dockerfile":       {kind: "string"},
	"build.exclude.patterns": {kind: "array"},
}

// pccKeys are every key pcc-deploy.toml may set.
var pccKeys = sync.OnceValue(func() map[string]pccKey {
	m := maps.Clone(pccOtherKeys)
	for _, f := range schema.AllFields() {
		if f.PCC != "" {
			m[f.PCC] = pccKey{field: f.Path, kind: f.Kind}
		}
	}
	return m
})

// pccTables are the tables pcc-deploy.toml may open.
var pccTables = map[string]bool{"scaling": true, "krisp_viva": true, "resources": true, "docker": true, "build": true, "build.exclude": true}

// pccHeader is the comment at the top of a converted file.
func pccHeader(files []File) []string {
	h := []string{"Converted from pcc-deploy.toml by `pipecat-gitops import --from-pcc-deploy`:"}
	for _, f := range files {
		h = append(h, "  "+f.Name)
	}
	return append(h,
		"Only the keys those files set are written. A field they leave out is",
		"unmanaged here (neither sent nor compared), even where `pipecat cloud",
		"deploy` sends a default of its own (minAgents 0 without [scaling]).")
}

// FromPCCDeploy converts pcc-deploy.toml files, one agent each, into one
// Config to be written in configDir (a file without image or build_id
// becomes a build whose context is relative to it). Every problem of every
// file is returned at once as schema.Errors located in the TOML file:
// syntax errors, unknown keys (with the nearest known one), values of the
// wrong type or that pipecat.yaml does not allow, a missing agent_name,
// and an agent named by two files. Warnings are located too.
func FromPCCDeploy(files []File, configDir string) (*Config, error) {
	c := &Config{Header: pccHeader(files)}
	var errs schema.Errors
	seen := map[string]string{} // agent name -> "file:line"
	for _, f := range files {
		a, warns, ferrs := convertPCC(f, configDir)
		errs = append(errs, ferrs.Sorted()...)
		if a == nil {
			continue
		}
		if first, dup := seen[a.Name]; dup {
			p := a.namePos
			errs = append(errs, &schema.Error{File: f.Name, Line: p.Line, Col: p.Col, Path: "agent_name",
				Msg: fmt.Sprintf("agent %s is also converted from %s", a.Name, first)})
			continue
		}
		seen[a.Name] = fmt.Sprintf("%s:%d", f.Name, a.namePos.Line)
		c.Agents = append(c.Agents, a.Agent)
		c.Warnings = append(c.Warnings, warns...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// pccAgent is a converted agent and where its name was written.
type pccAgent struct {
	Agent
	namePos schema.Position
}

// convertPCC converts one file; the agent is nil when the file has errors.
func convertPCC(f File, configDir string) (*pccAgent, []string, schema.Errors) {
	var errs schema.Errors
	errAt := func(p schema.Position, key, hint, format string, args ...any) {
		errs = append(errs, &schema.Error{File: f.Name, Line: p.Line, Col: p.Col, Path: key, Msg: fmt.Sprintf(format, args...), Hint: hint})
	}
	doc, err := parseTOML(f.Data)
	if err != nil {
		var te *tomlError
		if errors.As(err, &te) {
			errAt(te.pos, "", "", "invalid TOML: %s", te.msg)
		} else {
			errAt(schema.Position{Line: 1, Col: 1}, "", "", "invalid TOML: %v", err)
		}
		return nil, nil, errs
	}

	a := &pccAgent{}
	values := map[string]any{}      // pipecat.yaml path -> value
	where := map[string]tomlEntry{} // pipecat.yaml path -> entry
	build := map[string]tomlEntry{} // [build] key -> entry
	var notes []string
	buildNote := "" // a comment, not a warning: nothing is lost
	type located struct {
		pos schema.Position
		msg string
	}
	var warns []located
	// The CLI lets a deprecated key win over its replacement.
	overridden := map[string]bool{}
	for _, e := range doc.entries {
		k, known := pccKeys()[e.path]
		if !known {
			errAt(e.keyPos, e.path, suggestKey(e.path), "unknown key in pcc-deploy.toml")
			continue
		}
		if got := tomlType(e.value); got != k.kind {
			errAt(e.valPos, e.path, "", "must be %s, not %s", article(k.kind), article(got))
			continue
		}
		switch {
		case e.path == "agent_name":
			a.Name, a.namePos = e.value.(string), e.valPos
			if !schema.ValidAgentName(a.Name) {
				errAt(e.valPos, e.path, "2 to 54 lowercase letters, digits and hyphens, starting and ending with a letter or digit",
					"%s is not a valid agent name", strconv.Quote(a.Name))
			}
		case strings.HasPrefix(e.path, "build."):
			build[e.path] = e
		case k.field != "":
			if k.deprecated != "" {
				warns = append(warns, located{e.keyPos, fmt.Sprintf("%s is deprecated; import reads it as %s (%s), as the CLI does: write %s instead", e.path, k.deprecated, k.field, k.deprecated)})
				overridden[k.field] = true
			} else if overridden[k.field] {
				continue
			}
			v := e.value
			if n, ok := v.(int64); ok {
				v = int(n)
				if int64(int(n)) != n {
					errAt(e.valPos, e.path, "", "%d is out of range", n)
					continue
				}
			}
			values[k.field], where[k.field] = v, e
		case k.note != "":
			notes = append(notes, fmt.Sprintf("%s sets %s = %s: %s.", f.Name, e.path, tomlText(e.value), k.note))
		}
	}
	// An unknown table with keys under it is reported by those keys.
	withKeys := map[string]bool{}
	for _, e := range doc.entries {
		for i, c := range e.path {
			if c == '.' {
				withKeys[e.path[:i]] = true
			}
		}
	}
	for t, p := range doc.tables {
		if !pccTables[t] && !withKeys[t] {
			errAt(p, t, suggestKey(t), "unknown table in pcc-deploy.toml")
		}
	}
	start := schema.Position{Line: 1, Col: 1}
	if a.namePos == (schema.Position{}) {
		errAt(start, "agent_name", "add agent_name = \"my-agent\"", "agent_name is required")
	}
	_, hasImage := values["image"]
	_, hasBuild := values["buildId"]
	switch {
	case hasImage && hasBuild:
		e := where["buildId"]
		errAt(e.keyPos, e.path, "keep one of the two", "image and build_id are mutually exclusive")
	case !hasImage && !hasBuild:
		// What `pipecat cloud deploy` does then: build [build]
		// context_dir (default ".", relative to the file) with [build]
		// dockerfile (default Dockerfile, relative to the context).
		if b, err := pccBuild(f, configDir, build); err != nil {
			e := build["build.context_dir"]
			errAt(e.valPos, e.path, "", "%v", err)
		} else {
			values["build.context"], values["build.dockerfile"] = b.context, b.dockerfile
			buildNote = fmt.Sprintf("%s has no image: the agent is built in Pipecat Cloud from its [build] context_dir with its dockerfile, as `pipecat cloud deploy` does.", f.Name)
		}
		if e, ok := build["build.exclude.patterns"]; ok {
			warns = append(warns, located{e.keyPos, "build.exclude.patterns has no place in pipecat.yaml and is not imported: " +
				"put the patterns in the context's .dockerignore, which builds here honour (docs/migrating.md)"})
		}
	}
	// The values are checked also when the file has other errors, so
	// that every problem is reported at once; a problem the checks find
	// that is about no one key follows from those errors then.
	other := len(errs) > 0
	a.Spec = specFrom(nest(values))
	for _, msg := range schema.ValidateSpec(&a.Spec) {
		field, text, ok := strings.Cut(msg, ": ")
		if e, found := where[field]; ok && found {
			errAt(e.valPos, e.path, "", "%s", text)
		} else if !other {
			errAt(start, "", "", "%s", msg)
		}
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	a.Notes = append([]string{"from " + f.Name}, notes...)
	if buildNote != "" {
		a.Notes = append(a.Notes, buildNote)
	}
	var out []string
	for _, w := range warns {
		out = append(out, fmt.Sprintf("%s:%d:%d: %s", f.Name, w.pos.Line, w.pos.Col, w.msg))
	}
	for _, n := range notes {
		out = append(out, fmt.Sprintf("agent %s: %s", a.Name, n))
	}
	return a, out, nil
}

// pccSource is the build a file without an image stands for.
type pccSource struct{ context, dockerfile string }

// pccBuild resolves [build] context_dir (relative to the file's directory)
// to a path relative to configDir, with forward slashes, as pipecat.yaml
// holds it.
func pccBuild(f File, configDir string, build map[string]tomlEntry) (pccSource, error) {
	ctx, dockerfile := ".", "Dockerfile"
	if e, ok := build["build.context_dir"]; ok {
		ctx = e.value.(string)
	}
	if e, ok := build["build.dockerfile"]; ok {
		dockerfile = e.value.(string)
	}
	dir := f.Dir
	if dir == "" {
		dir = filepath.Dir(f.Name)
	}
	if !filepath.IsAbs(ctx) {
		ctx = filepath.Join(dir, filepath.FromSlash(ctx))
	}
	rel, err := filepath.Rel(configDir, ctx)
	if err != nil {
		return pccSource{}, fmt.Errorf("build context %s cannot be written relative to %s: %w", ctx, configDir, err)
	}
	return pccSource{filepath.ToSlash(rel), dockerfile}, nil
}

// suggestKey is a "did you mean" hint for an unknown key or table.
func suggestKey(key string) string {
	valid := make([]string, 0, len(pccKeys())+len(pccTables))
	for k := range pccKeys() {
		valid = append(valid, k)
	}
	for t := range pccTables {
		valid = append(valid, t)
	}
	sort.Strings(valid)
	if s := schema.Suggest(key, valid); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return ""
}

// nest turns {"autoScaling.minAgents": 1} into {"autoScaling": {"minAgents": 1}}.
func nest(flat map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range flat {
		top, sub, ok := strings.Cut(k, ".")
		if !ok {
			m[k] = v
			continue
		}
		obj, _ := m[top].(map[string]any)
		if obj == nil {
			obj = map[string]any{}
			m[top] = obj
		}
		obj[sub] = v
	}
	return m
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

func article(kind string) string {
	if kind == "integer" || kind == "array" {
		return "an " + kind
	}
	return "a " + kind
}

// tomlText writes a value as TOML would.
func tomlText(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = tomlText(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}
