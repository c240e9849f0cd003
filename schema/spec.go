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

var agentSchema = sync.OnceValue(func() *jsonschema.Schema {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	if err := c.AddResource(SchemaID, bytes.NewReader(schemaJSON)); err != nil {
		panic(fmt.Sprintf("embedded schema: %v", err))
	}
	return c.MustCompile(SchemaID + "#/$defs/agent")
})

// ValidateSpec checks one merged agent spec (as a saved plan holds it)
// against the schema's $defs/agent and the cross-field rules, so nothing
// reaches the API that validate would refuse. It returns one message per
// problem, sorted, each starting with the field's path when it is about
// one field ("maxSessionDuration: 5 is less than the minimum (60)").
func ValidateSpec(s *Spec) []string {
	b, err := json.Marshal(s)
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
	if err := agentSchema().Validate(v); errors.As(err, &ve) {
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
	if a := s.AutoScaling; a != nil && a.MinAgents != nil && a.MaxAgents != nil && *a.MinAgents > *a.MaxAgents {
		out = append(out, fmt.Sprintf("autoScaling.minAgents: %d is greater than maxAgents (%d)", *a.MinAgents, *a.MaxAgents))
	}
	sort.Strings(out)
	return out
}
