package adopt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// Config is a pipecat.yaml to write.
type Config struct {
	// Header holds comment lines written under the schema line: where the
	// file comes from and what it cannot hold.
	Header []string
	Agents []Agent
	// Warnings are what the caller should tell the user besides the file
	// (agents left out or commented out, settings not carried over).
	Warnings []string
}

// Agent is one agent to write.
type Agent struct {
	Name string
	// Spec holds the values to write; a nil field is left out (unmanaged).
	Spec schema.Spec
	// Notes are comment lines written above the agent.
	Notes []string
	// Unreadable names a required field the source could not give: the
	// buildId of an agent deployed from a build. Such an agent is written
	// commented out, with a placeholder for the field, because a file
	// that validated with a made-up value would deploy it.
	Unreadable string
}

// Count says how many agents c declares, and how many more it holds
// commented out: "3 agents (1 more commented out)".
func (c *Config) Count() string {
	off := 0
	for _, a := range c.Agents {
		if a.Unreadable != "" {
			off++
		}
	}
	s := fmt.Sprintf("%d agents", len(c.Agents)-off)
	if len(c.Agents)-off == 1 {
		s = "1 agent"
	}
	if off > 0 {
		s += fmt.Sprintf(" (%d more commented out)", off)
	}
	return s
}

// Placeholder is the value written for an Unreadable field.
const Placeholder = "FILL-IN"

// neverDefault are the fields that stay with each agent even when most
// agents share a value: its code (image, buildId) and its secrets, which a
// default would also hand to every agent added later.
var neverDefault = map[string]bool{"image": true, "buildId": true, "secretSet": true}

// Render writes c as a pipecat.yaml (see the package contract).
func Render(c *Config) ([]byte, error) {
	agents := append([]Agent(nil), c.Agents...)
	sort.Slice(agents, func(i, j int) bool { return agents[i].Name < agents[j].Name })
	defaults := factor(agents)

	var b strings.Builder
	b.WriteString("# yaml-language-server: $schema=" + schema.SchemaID + "\n")
	if len(c.Header) > 0 {
		b.WriteString("#\n")
		for _, l := range c.Header {
			b.WriteString(commentLine("", l))
		}
	}
	b.WriteString("version: 1\n")
	if len(defaults) > 0 {
		b.WriteString("\ndefaults:\n")
		if err := writeFields(&b, "  ", defaults); err != nil {
			return nil, err
		}
	}
	enabled := 0
	for _, a := range agents {
		if a.Unreadable == "" {
			enabled++
		}
	}
	b.WriteString("\nagents:")
	if enabled == 0 {
		b.WriteString(" {}")
	}
	b.WriteString("\n")
	for i, a := range agents {
		if i > 0 {
			b.WriteString("\n")
		}
		if err := writeAgent(&b, a, defaults); err != nil {
			return nil, err
		}
	}
	out := []byte(b.String())
	if err := readsBack(out, agents); err != nil {
		return nil, err
	}
	return out, nil
}

// factor returns the defaults: for each field (but neverDefault), the
// value held by more than half of the agents, and by at least two, when
// every agent manages the field. An agent without the field cannot opt
// out of a default, so a field some agent leaves unmanaged stays out of
// defaults; an agent with another value overrides it.
func factor(agents []Agent) []schema.Field {
	if len(agents) < 2 {
		return nil
	}
	var out []schema.Field
	for _, f := range schema.AllFields() {
		if neverDefault[f.Path] {
			continue
		}
		counts := map[string]int{}
		values := map[string]any{}
		all := true
		for _, a := range agents {
			v, ok := a.Spec.Get(f.Path)
			if !ok {
				all = false
				break
			}
			k := valueKey(v)
			counts[k]++
			values[k] = v
		}
		if !all {
			continue
		}
		for k, n := range counts {
			if n >= 2 && 2*n > len(agents) {
				out = append(out, schema.Field{Path: f.Path, Value: values[k]})
			}
		}
	}
	return out
}

func valueKey(v any) string { return fmt.Sprintf("%T %v", v, v) }

// writeAgent writes one agent's notes, key and the fields that differ from
// defaults; an Unreadable agent is written commented out.
func writeAgent(b *strings.Builder, a Agent, defaults []schema.Field) error {
	for _, n := range a.Notes {
		for _, l := range wrapWords(n, commentWidth-len("  # ")) {
			b.WriteString(commentLine("  ", l))
		}
	}
	var fields []schema.Field
	if a.Unreadable != "" {
		fields = append(fields, schema.Field{Path: a.Unreadable, Value: Placeholder})
	}
	for _, f := range a.Spec.Fields() {
		if d, ok := lookup(defaults, f.Path); ok && reflect.DeepEqual(d, f.Value) {
			continue
		}
		fields = append(fields, f)
	}
	var body strings.Builder
	name, err := yamlString(a.Name, false)
	if err != nil {
		return fmt.Errorf("agent %q: %w", a.Name, err)
	}
	body.WriteString("  " + name + ":")
	if len(fields) == 0 {
		// Every value comes from defaults; YAML needs an empty mapping.
		body.WriteString(" {}")
	}
	body.WriteString("\n")
	if err := writeFields(&body, "    ", fields); err != nil {
		return fmt.Errorf("agent %s: %w", a.Name, err)
	}
	if a.Unreadable == "" {
		b.WriteString(body.String())
		return nil
	}
	for _, l := range strings.SplitAfter(strings.TrimSuffix(body.String(), "\n"), "\n") {
		b.WriteString("  # " + strings.TrimPrefix(strings.TrimSuffix(l, "\n"), "  ") + "\n")
	}
	return nil
}

func lookup(fields []schema.Field, path string) (any, bool) {
	for _, f := range fields {
		if f.Path == path {
			return f.Value, true
		}
	}
	return nil, false
}

// writeFields writes fields (in Spec order) one per line; the leaves of an
// object (autoScaling, krispViva) go on one line as a flow mapping.
func writeFields(b *strings.Builder, indent string, fields []schema.Field) error {
	for i := 0; i < len(fields); {
		top, _, nested := strings.Cut(fields[i].Path, ".")
		if !nested {
			v, err := scalar(fields[i].Value, false)
			if err != nil {
				return fmt.Errorf("%s: %w", top, err)
			}
			b.WriteString(indent + top + ": " + v + "\n")
			i++
			continue
		}
		var parts []string
		for ; i < len(fields); i++ {
			t, sub, ok := strings.Cut(fields[i].Path, ".")
			if !ok || t != top {
				break
			}
			v, err := scalar(fields[i].Value, true)
			if err != nil {
				return fmt.Errorf("%s: %w", fields[i].Path, err)
			}
			parts = append(parts, sub+": "+v)
		}
		b.WriteString(indent + top + ": {" + strings.Join(parts, ", ") + "}\n")
	}
	return nil
}

// scalar is the YAML of one field value; flow says it goes inside a flow
// mapping, where a plain scalar may not hold , [ ] { }.
func scalar(v any, flow bool) (string, error) {
	switch x := v.(type) {
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case string:
		return yamlString(x, flow)
	}
	return "", fmt.Errorf("unexpected value %v (%T)", v, v)
}

// yamlString quotes s as YAML needs, with ${ escaped as $${ so the loader
// does not expand it, and double quotes (with escapes) for anything that
// is not printable, so a value cannot break the file's layout.
func yamlString(s string, flow bool) (string, error) {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.ReplaceAll(s, "${", "$${")}
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) >= 0 ||
		flow && strings.ContainsAny(s, ",[]{}") {
		n.Style = yaml.DoubleQuotedStyle
	}
	out, err := yaml.Marshal(n)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(out), "\n"), nil
}

// commentWidth is the width notes are wrapped to.
const commentWidth = 80

// wrapWords breaks text into lines of at most width bytes; a longer word
// stays whole.
func wrapWords(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// commentLine writes text as a comment at indent, with control characters
// (a line break from an API value, say) made visible instead of ending the
// comment.
func commentLine(indent, text string) string {
	text = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) && r != ' ' {
			return '?'
		}
		return r
	}, text)
	if text == "" {
		return indent + "#\n"
	}
	return indent + "# " + text + "\n"
}

// readsBack parses out as the loader does and checks that each written
// agent reads back as its Spec: defaults factored wrongly or a value
// quoted wrongly would otherwise change what apply does.
func readsBack(out []byte, agents []Agent) error {
	cfg, err := schema.Parse(context.Background(), "pipecat.yaml", out, schema.LoadOptions{}) // its own output: small and bounded
	if err != nil {
		return fmt.Errorf("the generated pipecat.yaml does not validate (a bug in pipecat-gitops; please report it):\n%w", err)
	}
	got := map[string]schema.Spec{}
	for _, a := range cfg.Agents {
		got[a.Name] = a.Spec
	}
	n := 0
	for _, a := range agents {
		if a.Unreadable != "" {
			continue
		}
		n++
		g, ok := got[a.Name]
		if !ok || !reflect.DeepEqual(g, a.Spec) {
			return fmt.Errorf("the generated pipecat.yaml gives agent %s %s, not %s (a bug in pipecat-gitops; please report it)", a.Name, specJSON(g), specJSON(a.Spec))
		}
	}
	if n != len(cfg.Agents) {
		return fmt.Errorf("the generated pipecat.yaml has %d agents, not %d (a bug in pipecat-gitops; please report it)", len(cfg.Agents), n)
	}
	return nil
}

func specJSON(s schema.Spec) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return fmt.Sprint(s)
	}
	return strings.TrimSpace(b.String())
}
