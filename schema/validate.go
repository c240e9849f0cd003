package schema

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

//go:embed pipecat.schema.json
var schemaJSON []byte

// SchemaID is the $id of the embedded schema, the URL editors fetch it from.
const SchemaID = "https://raw.githubusercontent.com/pipecat-gitops/pipecat-gitops/main/schema/pipecat.schema.json"

// JSONSchema returns the JSON Schema of pipecat.yaml (draft 2020-12).
func JSONSchema() []byte { return bytes.Clone(schemaJSON) }

var compiled = sync.OnceValues(func() (*jsonschema.Schema, map[string]any) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	if err := c.AddResource(SchemaID, bytes.NewReader(schemaJSON)); err != nil {
		panic(fmt.Sprintf("embedded schema: %v", err)) // a build defect; tests catch it
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		panic(fmt.Sprintf("embedded schema: %v", err))
	}
	var raw map[string]any
	if err := json.Unmarshal(schemaJSON, &raw); err != nil {
		panic(fmt.Sprintf("embedded schema: %v", err))
	}
	return s, raw
})

// validate checks the tree against the schema and turns each failed
// keyword into an Error located at the YAML node it is about.
func (l *loader) validate(tree any) {
	s, raw := compiled()
	var err error
	// Validate cannot look at the context; it is bounded by the node
	// limit, and abandoned when the context is done.
	if cerr := background(l.ctx, func() { err = s.Validate(tree) }); cerr != nil {
		l.ctxErr = cerr
		return
	}
	var ve *jsonschema.ValidationError
	if err == nil || !errors.As(err, &ve) {
		if err != nil {
			l.errorAt(l.root, "", "", "%v", err)
		}
		return
	}
	for _, leaf := range leaves(ve) {
		if !l.alive() {
			return
		}
		l.schemaError(raw, tree, leaf)
	}
}

// leaves returns the failed keywords under ve. A failed oneOf is one
// problem (none or several alternatives matched), not one per alternative.
func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 || strings.HasSuffix(ve.KeywordLocation, "/oneOf") {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// pointer splits a JSON pointer as jsonschema/v5 writes it (tokens are
// also URL-path-escaped).
func pointer(p string) []string {
	if p == "" || p == "/" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, t := range parts {
		if u, err := url.PathUnescape(t); err == nil {
			t = u
		}
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return parts
}

// at resolves tokens in a JSON value.
func at(v any, tokens []string) any {
	for _, t := range tokens {
		switch x := v.(type) {
		case map[string]any:
			v = x[t]
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func (l *loader) schemaError(raw, tree any, ve *jsonschema.ValidationError) {
	inst := pointer(ve.InstanceLocation)
	_, frag, _ := strings.Cut(ve.AbsoluteKeywordLocation, "#")
	kw := pointer(frag)
	if len(kw) == 0 {
		l.errorAt(l.root, "", "", "%s", ve.Message)
		return
	}
	keyword, sub := kw[len(kw)-1], at(raw, kw[:len(kw)-1])
	subMap, _ := sub.(map[string]any)
	k := pathKey(inst)
	for i := range inst {
		if l.bad[pathKey(inst[:i+1])] {
			return // already reported while converting
		}
	}
	node, disp := l.nodes[k], l.display[k]
	if node == nil {
		node = l.root
	}
	value := at(tree, inst)

	if len(kw) >= 2 {
		if what, ok := keyNames[kw[len(kw)-2]]; ok {
			// The instance is the key itself.
			if kn := l.keys[k]; kn != nil {
				node = kn
			}
			l.errorAt(node, disp, "", "invalid %s %s: %s", what[0], quote(inst[len(inst)-1]), what[1])
			return
		}
		if kw[len(kw)-2] == "fromEnv" && keyword == "pattern" {
			l.errorAt(node, disp, "", "%s is not an environment variable name: letters, digits and underscores, not starting with a digit", show(value))
			return
		}
	}

	switch keyword {
	case "additionalProperties":
		m, _ := value.(map[string]any)
		props, _ := subMap["properties"].(map[string]any)
		var valid []string
		for p := range props {
			valid = append(valid, p)
		}
		sort.Strings(valid)
		for name := range m {
			if _, ok := props[name]; ok {
				continue
			}
			ck := pathKey(append(inst[:len(inst):len(inst)], name))
			hint := l.placementHint(inst, name, m[name])
			if s := suggest(name, valid); hint == "" && s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
			} else if hint == "" && len(valid) > 0 {
				hint = "valid keys here: " + strings.Join(valid, ", ")
			}
			l.errorAt(l.keys[ck], l.display[ck], hint, "unknown key %s", quote(name))
		}
	case "required":
		m, _ := value.(map[string]any)
		req, _ := subMap["required"].([]any)
		if kn := l.keys[k]; kn != nil {
			node = kn // point at "krispViva:", not at the first key under it
		}
		for _, r := range req {
			name, _ := r.(string)
			if _, ok := m[name]; ok || l.bad[pathKey(append(inst[:len(inst):len(inst)], name))] {
				continue
			}
			hint := ""
			if name == "audioFilter" {
				hint = "write krispViva: {audioFilter: tel}, or {audioFilter: null} to disable Krisp VIVA"
			}
			l.errorAt(node, disp, hint, "missing required key %q", name)
		}
	case "oneOf":
		// Point at the key of the mapping ("both-set:"), not its first entry.
		if kn := l.keys[k]; kn != nil {
			node = kn
		}
		msg, _ := describe(keyword, subMap, value, inst)
		hint := ""
		if len(inst) == 2 && inst[0] == "secretSets" {
			hint = "write secrets: for a set of keys (type secret), or imagePull: for registry credentials (type imagePullSecret)"
		}
		l.errorAt(node, disp, hint, "%s", msg)
	default:
		if keyword == "type" && len(inst) == 2 && inst[0] == "agents" {
			if msg, hint, ok := l.misplacedAgent(inst[1], value); ok {
				if kn := l.keys[k]; kn != nil {
					node = kn
				}
				l.errorAt(node, disp, hint, "%s", msg)
				return
			}
		}
		msg, hint := describe(keyword, subMap, value, inst)
		if msg == "" {
			msg = ve.Message
		}
		if _, isList := value.([]any); keyword == "type" && isList && len(inst) == 1 && inst[0] == "agents" {
			hint = l.agentsListHint(node)
		}
		l.errorAt(node, disp, hint, "%s", msg)
	}
}

// typeHint is the fix for the commonest wrong types of key: a boolean
// written YAML 1.1 style (yes, on), a number in quotes, prune: true.
func typeHint(key, want string, value any) string {
	str, isStr := value.(string)
	switch {
	case want == "boolean" && isStr:
		switch strings.ToLower(str) {
		case "true", "false":
			return fmt.Sprintf("drop the quotes: write %s: %s", key, strings.ToLower(str))
		case "yes", "y", "on":
			return fmt.Sprintf("YAML 1.2 booleans are true and false: write %s: true", key)
		case "no", "n", "off":
			return fmt.Sprintf("YAML 1.2 booleans are true and false: write %s: false", key)
		}
	case (want == "integer" || want == "number" || want == "integer or null" || want == "number or null") && isStr:
		t := strings.TrimSpace(str)
		if _, err := strconv.ParseInt(t, 10, 64); err == nil || want != "integer" && want != "integer or null" && isFloat(t) {
			return fmt.Sprintf("drop the quotes: write %s: %s", key, t)
		}
	case key == "prune" && want == "mapping":
		if b, ok := value.(bool); ok {
			return fmt.Sprintf("prune is a mapping: write prune: {enabled: %t}", b)
		}
	}
	return ""
}

func isFloat(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// keyNames words an invalid map key by the $defs entry its propertyNames
// refers to: what it names, and what a valid one is.
var keyNames = map[string][2]string{
	"agentName": {"agent name", "a name is 2 to 54 lowercase letters, digits and hyphens, starting and ending with a letter or digit"},
	"setName":   {"secret set name", "a name is 3 to 63 lowercase letters, digits and hyphens, in dot-separated parts that start and end with a letter or digit"},
	"secretKey": {"secret key", "a key is 1 to 64 letters, digits, underscores and hyphens"},
}

// describe words a failed schema keyword for a person: sub is the schema
// object holding the keyword, value the instance at inst. It returns ""
// for keywords it has no words for.
func describe(keyword string, sub map[string]any, value any, inst []string) (msg, hint string) {
	switch keyword {
	case "type":
		if value == nil && len(inst) > 0 && inst[len(inst)-1] == "krispViva" {
			return "krispViva cannot be null", "to disable Krisp VIVA write krispViva: {audioFilter: null}; to leave it unmanaged, remove the key"
		}
		want := yamlTypes(sub["type"])
		if value == nil && len(inst) >= 2 && (inst[0] == "defaults" || inst[0] == "agents" && len(inst) >= 3) {
			hint = "remove the key to leave the field unmanaged"
		}
		if len(inst) > 0 {
			hint = cmp.Or(typeHint(inst[len(inst)-1], want, value), hint)
		}
		return fmt.Sprintf("expected %s, got %s", want, yamlType(value)), hint
	case "const":
		if len(inst) == 1 && inst[0] == "version" {
			if s, ok := value.(string); ok {
				return "version must be the number 1, not the string " + quote(s), "write version: 1, without quotes"
			}
			return fmt.Sprintf("unsupported version %s: this tool reads version 1", show(value)), ""
		}
		return "must be " + show(sub["const"]), ""
	case "enum":
		vals, _ := sub["enum"].([]any)
		shown := make([]string, len(vals))
		for i, v := range vals {
			shown[i] = show(v)
		}
		return fmt.Sprintf("%s is not one of %s", show(value), strings.Join(shown, ", ")), ""
	case "minimum":
		return fmt.Sprintf("%s is less than the minimum (%s)", show(value), show(sub["minimum"])), ""
	case "maximum":
		return fmt.Sprintf("%s is greater than the maximum (%s)", show(value), show(sub["maximum"])), ""
	case "minLength":
		if n, _ := value.(string); n != "" {
			return fmt.Sprintf("%d characters long; the minimum is %s", utf8.RuneCountInString(n), show(sub["minLength"])), ""
		}
		return "must not be empty", ""
	case "minProperties":
		m, _ := value.(map[string]any)
		return fmt.Sprintf("has %d keys; at least %s is required", len(m), show(sub["minProperties"])), ""
	case "maxLength":
		n, _ := value.(string)
		return fmt.Sprintf("%d characters long; the maximum is %s", utf8.RuneCountInString(n), show(sub["maxLength"])), ""
	case "pattern":
		if len(inst) > 0 && inst[len(inst)-1] == "image" {
			return fmt.Sprintf("image %s has no tag or digest", show(value)),
				"pin what runs: add a tag (\"acme/bot:1.4.0\") or a digest (\"acme/bot@sha256:...\")"
		}
		return fmt.Sprintf("%s does not match %s", show(value), show(sub["pattern"])), ""
	case "format":
		format, _ := sub["format"].(string)
		switch format {
		case "uuid":
			format = "UUID"
		case "uri":
			return fmt.Sprintf("%s is not a URL with a scheme", show(value)), "write the registry URL in full, e.g. https://ghcr.io or https://index.docker.io/v1/"
		}
		return fmt.Sprintf("%s is not a valid %s", show(value), format), ""
	case "not":
		if len(inst) > 0 && inst[len(inst)-1] == "image" {
			return fmt.Sprintf("image %s holds a control or invisible character", show(value)),
				"an image reference is letters, digits and . _ - / : @; look for a stray character pasted with the value"
		}
		return "", ""
	case "maxItems":
		return fmt.Sprintf("%d items, more than the %s allowed", len(asList(value)), show(sub["maxItems"])), ""
	case "oneOf":
		var names []string
		alts, _ := sub["oneOf"].([]any)
		for _, alt := range alts {
			req, _ := alt.(map[string]any)["required"].([]any)
			for _, r := range req {
				names = append(names, fmt.Sprint(r))
			}
		}
		if n := len(names); n > 1 {
			names = append(names[:n-2], names[n-2]+" and "+names[n-1])
		}
		return "exactly one of " + strings.Join(names, ", ") + " is required", ""
	}
	return "", ""
}

// yamlType names the type of a tree value as a YAML user knows it.
func yamlType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		if strings.ContainsAny(string(v), ".eE") {
			return "number"
		}
		return "integer"
	case string:
		return "string"
	case []any:
		return "list"
	case map[string]any:
		return "mapping"
	}
	return fmt.Sprintf("%T", v)
}

func yamlTypes(t any) string {
	var names []string
	switch t := t.(type) {
	case string:
		names = []string{t}
	case []any:
		for _, x := range t {
			s, _ := x.(string)
			names = append(names, s)
		}
	}
	for i, n := range names {
		switch n {
		case "object":
			names[i] = "mapping"
		case "array":
			names[i] = "list"
		}
	}
	return strings.Join(names, " or ")
}

// show formats a value for a message the way YAML would write it.
func show(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return quote(v)
	case float64:
		return fmt.Sprint(v)
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	return fmt.Sprint(v)
}

// suggest returns the valid key closest to name, if close enough to be a
// likely typo.
func suggest(name string, valid []string) string {
	best, bestD := "", 1<<30
	for _, v := range valid {
		if strings.EqualFold(v, name) {
			return v
		}
		if d := distance(strings.ToLower(name), strings.ToLower(v)); d < bestD {
			best, bestD = v, d
		}
	}
	if bestD <= max(2, len(name)/3) {
		return best
	}
	return ""
}

// distance is the Levenshtein distance between a and b (byte-wise; keys
// are ASCII). Long keys are cut so a hostile key cannot cost much.
func distance(a, b string) int {
	if len(a) > 64 {
		a = a[:64]
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func asList(v any) []any { l, _ := v.([]any); return l }
