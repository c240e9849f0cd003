package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// agentNamePattern is $defs/agentName of the embedded schema, the one
// definition of a valid agent name.
var agentNamePattern = sync.OnceValues(func() (*regexp.Regexp, int) {
	_, raw := compiled()
	def := at(raw, []string{"$defs", "agentName"}).(map[string]any)
	maxLen, _ := def["maxLength"].(float64)
	return regexp.MustCompile(def["pattern"].(string)), int(maxLen)
})

// ValidAgentName reports whether name is a valid agent name (the API's
// serviceName), as the JSON Schema defines it.
func ValidAgentName(name string) bool {
	re, maxLen := agentNamePattern()
	return len(name) <= maxLen && re.MatchString(name)
}

// defSchemas compiles the $defs that check what a saved plan holds.
var defSchemas = sync.OnceValue(func() map[string]*jsonschema.Schema {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	if err := c.AddResource(SchemaID, bytes.NewReader(schemaJSON)); err != nil {
		panic(fmt.Sprintf("embedded schema: %v", err))
	}
	out := map[string]*jsonschema.Schema{}
	for _, def := range []string{"agent", "secretSet", "setName"} {
		out[def] = c.MustCompile(SchemaID + "#/$defs/" + def)
	}
	return out
})

// validateDef checks v (any JSON-encodable value) against one of
// defSchemas and returns one message per problem, each starting with the
// path of the value it is about.
func validateDef(def string, x any) []string {
	b, err := json.Marshal(x)
	if err != nil {
		return []string{err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []string{err.Error()}
	}
	var out []string
	var ve *jsonschema.ValidationError
	if err := defSchemas()[def].Validate(v); errors.As(err, &ve) {
		_, raw := compiled()
		for _, leaf := range leaves(ve) {
			inst := pointer(leaf.InstanceLocation)
			_, frag, _ := strings.Cut(leaf.AbsoluteKeywordLocation, "#")
			msg := leaf.Message
			if kw := pointer(frag); len(kw) > 0 {
				sub, _ := at(raw, kw[:len(kw)-1]).(map[string]any)
				if m, _ := describe(kw[len(kw)-1], sub, at(v, inst), inst); m != "" {
					msg = m
				}
			}
			if len(inst) > 0 {
				msg = strings.Join(inst, ".") + ": " + msg
			}
			out = append(out, msg)
		}
	} else if err != nil {
		out = append(out, err.Error())
	}
	return out
}

// ValidateSpec checks one merged agent spec (as a saved plan holds it)
// against the schema's $defs/agent and the cross-field rules, so nothing
// reaches the API that validate would refuse. It returns one message per
// problem, sorted, each starting with the field's path when it is about
// one field ("maxSessionDuration: 5 is less than the minimum (60)").
func ValidateSpec(s *Spec) []string {
	out := validateDef("agent", s)
	if a := s.AutoScaling; a != nil && a.MinAgents != nil && a.MaxAgents != nil && *a.MinAgents > *a.MaxAgents {
		out = append(out, fmt.Sprintf("autoScaling.minAgents: %d is greater than maxAgents (%d)", *a.MinAgents, *a.MaxAgents))
	}
	sort.Strings(out)
	return out
}

// ValidateSecretSet checks one declared secret set (as a saved plan holds
// it) as Load would: its name, the schema's $defs/secretSet, and the
// rules on fromEnv and key names, so that a hand-edited plan cannot send
// the API key to a set. Messages are sorted, as ValidateSpec's.
func ValidateSecretSet(name string, s *SecretSetSpec) []string {
	var out []string
	for _, msg := range validateDef("setName", name) {
		out = append(out, "name: "+msg)
	}
	out = append(out, validateDef("secretSet", s)...)
	for _, key := range s.Keys() {
		if reservedKey(key) {
			out = append(out, fmt.Sprintf("secrets.%s: starts with the reserved prefix %s", key, ReservedKeyPrefix))
		}
		if why := refusedSource(s.Secrets[key].FromEnv); why != "" {
			out = append(out, fmt.Sprintf("secrets.%s.fromEnv: %s", key, why))
		}
	}
	if p := s.ImagePull; p != nil {
		if why := refusedSource(p.FromEnv); why != "" {
			out = append(out, "imagePull.fromEnv: "+why)
		}
		if s.RestartOnChange {
			out = append(out, "restartOnChange: applies to sets of type secret only")
		}
	}
	sort.Strings(out)
	return out
}
