package adopt

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// Read reads the details of the live agents to import: every agent, or
// those whose names match one of patterns (path.Match globs such as
// "support-*", or plain names). A pattern that matches no live agent is an
// error, so a typo does not pass for an empty import. Invalid patterns
// are refused before any request. Preview agents (names ending -prN,
// reserved for the preview command) are never imported.
func Read(ctx context.Context, r plan.Reader, patterns []string, parallelism int, progress func(done, total int)) (map[string]*cloud.ServiceDetails, error) {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("invalid agent pattern %q: %w (globs use *, ? and [a-z])", p, err)
		}
	}
	// One list, and details only of the agents the patterns select.
	o := plan.RefreshOptions{AllDetails: true, Parallelism: parallelism, Progress: progress}
	o.Filter = func(name string) bool {
		if _, ok := schema.PreviewPR(name); ok {
			return false
		}
		if len(patterns) == 0 {
			return true
		}
		for _, p := range patterns {
			if ok, _ := path.Match(p, name); ok {
				return true
			}
		}
		return false
	}
	live, err := plan.Refresh(ctx, r, o)
	if err != nil {
		return nil, err
	}
	if len(patterns) > 0 {
		var names []string
		for _, it := range live.Agents {
			if _, ok := schema.PreviewPR(it.Name); !ok {
				names = append(names, it.Name)
			}
		}
		if _, err := Select(names, patterns); err != nil {
			return nil, err
		}
	}
	return live.Details, nil
}

// Select returns the names that match at least one pattern, sorted, or an
// error naming the first pattern that matches none.
func Select(names, patterns []string) ([]string, error) {
	var out []string
	used := make([]bool, len(patterns))
	for _, n := range names {
		hit := false
		for i, p := range patterns {
			if ok, err := path.Match(p, n); err != nil {
				return nil, fmt.Errorf("invalid agent pattern %q: %w", p, err)
			} else if ok {
				used[i], hit = true, true
			}
		}
		if hit {
			out = append(out, n)
		}
	}
	for i, p := range patterns {
		if !used[i] {
			return nil, fmt.Errorf("no live agent matches %q", p)
		}
	}
	sort.Strings(out)
	return out, nil
}

// liveHeader is the comment at the top of an imported file. It names the
// write-only fields of schema.Spec, which the API does not return.
var liveHeader = sync.OnceValue(func() []string {
	var wo []string
	for _, f := range schema.AllFields() {
		if f.WriteOnly && f.Wire != "" && f.Path != "buildId" {
			wo = append(wo, f.Path)
		}
	}
	return []string{
		"Imported from the live organization by `pipecat-gitops import`. Every field",
		"the API returns is written, platform defaults included, so this file pins",
		"the live state: `pipecat-gitops plan` on it prints \"No changes.\" Values most",
		"agents share are in defaults; a key under an agent wins.",
		"Delete a field to stop managing it: it is then neither sent nor compared.",
		"Not here, because the API does not return them: buildId (agents deployed",
		"from a build are commented out below until you fill it in) and " + strings.Join(wo, ", ") + ":",
		"write them on the agents that use them.",
	}
})

// FromLive maps live agents to a Config through plan.LiveSpec. An agent
// deployed from a build becomes Unreadable (its buildId is write-only and
// its image redacted); a live value pipecat.yaml does not allow (a profile
// newer than this schema, say) is left out, unmanaged, with a note; an
// agent whose name pipecat.yaml cannot hold is left out with a warning.
func FromLive(details map[string]*cloud.ServiceDetails) (*Config, error) {
	c := &Config{Header: liveHeader()}
	names := make([]string, 0, len(details))
	for n := range details {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if !schema.ValidAgentName(name) {
			c.Warnings = append(c.Warnings, fmt.Sprintf("agent %q is left out: pipecat.yaml cannot hold its name", name))
			continue
		}
		a := Agent{Name: name, Spec: plan.LiveSpec(details[name])}
		if plan.ImageRedacted(a.Spec.Image) {
			a.Spec.Image = nil
			a.Unreadable = "buildId"
			a.Notes = append(a.Notes, name+" runs a build, and the API returns neither its buildId nor its image: "+
				"it stays commented out (unmanaged) until you uncomment it and replace "+Placeholder+" with the build's ID, "+
				"or better, write image: with the build's imageUri, which plans can compare.")
			c.Warnings = append(c.Warnings, fmt.Sprintf("agent %s is commented out: it runs a build, and the API does not return its buildId; fill it in", name))
		}
		dropped, err := dropInvalid(&a.Spec)
		if err != nil {
			return nil, fmt.Errorf("agent %s: %w", name, err)
		}
		for _, d := range dropped {
			a.Notes = append(a.Notes, d)
			c.Warnings = append(c.Warnings, fmt.Sprintf("agent %s: %s", name, d))
		}
		if a.Spec.Image == nil && a.Unreadable == "" {
			// An image the schema refuses: the agent needs one to be declared.
			a.Unreadable = "image"
			c.Warnings = append(c.Warnings, fmt.Sprintf("agent %s is commented out: fill in its image", name))
		}
		c.Agents = append(c.Agents, a)
	}
	return c, nil
}

// validBuildID stands in for an unreadable buildId while a spec is
// validated; it is never written.
const validBuildID = "00000000-0000-4000-8000-000000000000"

// dropInvalid removes from s every field schema.ValidateSpec refuses and
// describes each ("maxSessionDuration: 20000 is greater than the maximum
// (14400); the live value is left out (unmanaged)"). A problem that is
// about no single field is an error.
func dropInvalid(s *schema.Spec) ([]string, error) {
	var out []string
	for range len(schema.AllFields()) + 1 {
		check := s.Clone()
		if check.Image == nil && check.BuildID == nil {
			check.BuildID = ptr(validBuildID)
		}
		msgs := schema.ValidateSpec(check)
		if len(msgs) == 0 {
			return out, nil
		}
		field, msg, _ := strings.Cut(msgs[0], ": ")
		_, managed := s.Get(field)
		if !managed && !isObject(field) {
			return nil, fmt.Errorf("cannot import: %s", msgs[0])
		}
		out = append(out, fmt.Sprintf("%s: %s; the live value is left out (unmanaged)", field, msg))
		*s = without(*s, field)
	}
	return nil, fmt.Errorf("cannot import: %s", strings.Join(schema.ValidateSpec(s), "; "))
}

// isObject reports whether path is an object field (autoScaling, krispViva).
func isObject(path string) bool {
	for _, f := range schema.AllFields() {
		if strings.HasPrefix(f.Path, path+".") {
			return true
		}
	}
	return false
}

// without returns s with the field (or object) at path removed.
func without(s schema.Spec, path string) schema.Spec {
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("marshal spec: %v", err)) // only strings, ints, bools
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(fmt.Sprintf("unmarshal spec: %v", err))
	}
	if top, sub, ok := strings.Cut(path, "."); ok {
		if obj, ok := m[top].(map[string]any); ok {
			delete(obj, sub)
			if len(obj) == 0 || top == "krispViva" {
				// krispViva without its audioFilter is not a value.
				delete(m, top)
			}
		}
	} else {
		delete(m, path)
	}
	return specFrom(m)
}

// specFrom decodes a Spec from its JSON form (config names).
func specFrom(m map[string]any) schema.Spec {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("marshal spec: %v", err))
	}
	var s schema.Spec
	if err := json.Unmarshal(b, &s); err != nil {
		panic(fmt.Sprintf("unmarshal spec: %v", err))
	}
	return s
}

func ptr[T any](v T) *T { return &v }
