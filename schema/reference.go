package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Reference is the field reference of pipecat.yaml, read from the embedded
// JSON Schema: docs/configuration.md shows its Markdown and `help config`
// its Text, so a key added to the schema is documented with no hand edit.
type Reference struct {
	Sections []Section
}

// Section is one group of keys: the top level, the settings of an agent,
// or those of a secret set.
type Section struct {
	Title string
	// Intro says where the keys are written.
	Intro  string
	Fields []RefField
}

// RefField is one key as the schema describes it.
type RefField struct {
	// Key is the dotted path within its section; a map's key is written
	// <name> ("prune.ignore", "agents.<name>", "autoScaling.minAgents").
	Key string
	// Type is the value the key takes, with its bounds ("integer, 0 to 50").
	Type        string
	Required    bool
	Description string
}

// ConfigReference returns the field reference of the embedded schema.
func ConfigReference() Reference {
	r, err := reference(schemaJSON)
	if err != nil {
		panic(fmt.Sprintf("embedded schema: %v", err)) // a build defect; tests catch it
	}
	return r
}

// sectionDefs are the $defs that get a section of their own; a reference
// to one elsewhere is a row pointing at that section.
var sectionDefs = []struct{ def, title, intro, ref string }{
	{"settings", "Agent fields", "Under `agents.<name>` and under `defaults`. The names are the API's own (`POST /v1/agents`) where the API has the field.", "agent fields (below)"},
	{"secretSet", "Secret set fields", "Under `secretSets.<set>`.", "secret set fields (below)"},
}

// mapKeys name the key of a map by the $def its propertyNames refer to.
var mapKeys = map[string]string{"agentName": "<name>", "setName": "<set>", "secretKey": "<KEY>"}

// reference builds the Reference of a schema document, keeping the order
// in which the file lists its properties.
func reference(data []byte) (Reference, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err != nil {
		return Reference{}, err
	}
	root, ok := v.(*object)
	if !ok {
		return Reference{}, fmt.Errorf("schema is not an object")
	}
	defs, _ := root.get("$defs").(*object)
	w := refWalker{defs: defs}
	top := Section{Title: "Top level", Intro: "The keys of the file itself."}
	w.walk(&top, "", root, false)
	r := Reference{Sections: []Section{top}}
	for _, sd := range sectionDefs {
		def, ok := defs.get(sd.def).(*object)
		if !ok {
			return Reference{}, fmt.Errorf("no $defs/%s", sd.def)
		}
		s := Section{Title: sd.title, Intro: sd.intro}
		w.walk(&s, "", def, false)
		r.Sections = append(r.Sections, s)
	}
	return r, nil
}

type refWalker struct{ defs *object }

// walk adds the row of the key at path (none for the root) and those of
// the keys below it.
func (w refWalker) walk(s *Section, path string, n *object, required bool) {
	desc, _ := n.get("description").(string)
	if ref, ok := n.get("$ref").(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		for _, sd := range sectionDefs {
			if sd.def == name {
				s.Fields = append(s.Fields, RefField{Key: path, Type: sd.ref, Required: required, Description: desc})
				return
			}
		}
		if def, ok := w.defs.get(name).(*object); ok {
			// A reference to a plain type: its description unless the
			// key has its own, and its type.
			merged := &object{m: map[string]any{}}
			for _, k := range def.keys {
				merged.set(k, def.m[k])
			}
			for _, k := range n.keys {
				if k != "$ref" {
					merged.set(k, n.m[k])
				}
			}
			n = merged
			desc, _ = n.get("description").(string)
		}
	}
	if path != "" {
		s.Fields = append(s.Fields, RefField{Key: path, Type: w.typeOf(n), Required: required, Description: desc})
	}
	req := map[string]bool{}
	if list, ok := n.get("required").([]any); ok {
		for _, k := range list {
			if k, ok := k.(string); ok {
				req[k] = true
			}
		}
	}
	if props, ok := n.get("properties").(*object); ok {
		for _, k := range props.keys {
			if p, ok := props.m[k].(*object); ok {
				w.walk(s, join(path, k), p, req[k])
			}
		}
	}
	if ap, ok := n.get("additionalProperties").(*object); ok {
		w.walk(s, join(path, w.mapKey(n)), ap, false)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mapKey is how the key of a map is written in a path.
func (w refWalker) mapKey(n *object) string {
	if pn, ok := n.get("propertyNames").(*object); ok {
		if ref, ok := pn.get("$ref").(string); ok {
			if k, ok := mapKeys[strings.TrimPrefix(ref, "#/$defs/")]; ok {
				return k
			}
		}
	}
	return "<key>"
}

// typeOf says what value a key takes, with its bounds.
func (w refWalker) typeOf(n *object) string {
	if c, ok := n.m["const"]; ok {
		return "always " + literal(c)
	}
	if enum, ok := n.get("enum").([]any); ok {
		vals := make([]string, len(enum))
		for i, v := range enum {
			vals[i] = literal(v)
		}
		return "one of " + strings.Join(vals, ", ")
	}
	t, _ := n.get("type").(string)
	switch t {
	case "string":
		if f, ok := n.get("format").(string); ok {
			t = "string (" + strings.ToUpper(f) + ")"
		}
		return t + bounds(n, "minLength", "maxLength", " characters")
	case "integer", "number":
		return t + bounds(n, "minimum", "maximum", "")
	case "array":
		item := "value"
		if items, ok := n.get("items").(*object); ok {
			item = w.typeOf(items)
		}
		return "list of " + item + bounds(n, "minItems", "maxItems", " items")
	case "object":
		if _, ok := n.get("additionalProperties").(*object); ok {
			return "map" + bounds(n, "minProperties", "maxProperties", " keys")
		}
		return "object"
	}
	if t == "" {
		return "any"
	}
	return t
}

// bounds writes a range (", 1 to 63 characters", ", at most 520
// characters", ", at least 0"), or nothing when unbounded.
func bounds(n *object, minKey, maxKey, unit string) string {
	lo, hasLo := n.get(minKey).(json.Number)
	hi, hasHi := n.get(maxKey).(json.Number)
	switch {
	case hasLo && hasHi:
		return fmt.Sprintf(", %s to %s%s", lo, hi, unit)
	case hasHi:
		return fmt.Sprintf(", at most %s%s", hi, unit)
	case hasLo && lo == "1" && unit != "":
		return ", not empty"
	case hasLo && !(lo == "0" && unit != ""):
		return fmt.Sprintf(", at least %s%s", lo, unit)
	}
	return ""
}

func literal(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(v)
}

// Markdown writes the reference as one table per section, each under a
// "###" heading.
func (r Reference) Markdown() string {
	var b strings.Builder
	for i, s := range r.Sections {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "### %s\n\n%s\n\n| key | value | required | meaning |\n| --- | --- | --- | --- |\n", s.Title, s.Intro)
		for _, f := range s.Fields {
			req := ""
			if f.Required {
				req = "yes"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.Key, mdEscape(f.Type), req, mdEscape(f.Description))
		}
	}
	return b.String()
}

// mdEscape keeps schema text literal in a Markdown table cell.
var mdEscape = strings.NewReplacer("|", `\|`, "*", `\*`, "<", "&lt;", "`", "\\`").Replace

// Text writes the reference as plain text of at most width columns: per
// key, its path and value, then its meaning indented below.
func (r Reference) Text(width int) string {
	var b strings.Builder
	for i, s := range r.Sections {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s:\n%s\n", s.Title, wrapText(strings.ReplaceAll(s.Intro, "`", ""), "  ", width))
		for _, f := range s.Fields {
			line := "  " + f.Key + ": " + f.Type
			if f.Required {
				line += " (required)"
			}
			b.WriteString("\n" + line + "\n")
			if f.Description != "" {
				b.WriteString(wrapText(f.Description, "      ", width) + "\n")
			}
		}
	}
	return b.String()
}

// wrapText breaks text into lines of at most width characters (a longer
// word stays whole), each starting with indent.
func wrapText(text, indent string, width int) string {
	var lines []string
	line := indent
	for _, word := range strings.Fields(text) {
		if line != indent && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	return strings.Join(append(lines, line), "\n")
}

// object is a JSON object that keeps the order of its keys, which is the
// order the reference lists them in.
type object struct {
	keys []string
	m    map[string]any
}

func (o *object) get(k string) any {
	if o == nil {
		return nil
	}
	return o.m[k]
}

func (o *object) set(k string, v any) {
	if _, ok := o.m[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.m[k] = v
}

// decodeOrdered decodes one JSON value, objects as *object.
func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := &object{m: map[string]any{}}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			o.set(k.(string), v)
		}
		_, err := dec.Token() // '}'
		return o, err
	case json.Delim('['):
		var list []any
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := dec.Token() // ']'
		return list, err
	}
	return tok, nil
}
