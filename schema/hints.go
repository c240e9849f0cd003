package schema

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// A key at the wrong depth is the commonest YAML mistake, and the schema
// only sees its effect: an unknown key, or an agent that is a string.
// These hints name the fix from where the key would be valid.

// fieldNames are the agent fields (the keys of $defs/settings) and, for
// each key of an object field, that field ("minAgents": "autoScaling").
var fieldNames = sync.OnceValues(func() (map[string]bool, map[string]string) {
	_, raw := compiled()
	props, _ := at(raw, []string{"$defs", "settings", "properties"}).(map[string]any)
	fields, sub := map[string]bool{}, map[string]string{}
	for name, p := range props {
		fields[name] = true
		inner, _ := p.(map[string]any)["properties"].(map[string]any)
		for k := range inner {
			sub[k] = name
		}
	}
	return fields, sub
})

// placementHint says where an unknown key belongs when it is valid at
// another depth; inst is the mapping holding it, v its value.
func (l *loader) placementHint(inst []string, name string, v any) string {
	fields, sub := fieldNames()
	switch {
	case len(inst) == 0: // top level
		switch m, _ := v.(map[string]any); {
		case fields[name]:
			if a, line := l.agentAbove(l.keyLine(inst, name)); a != "" {
				return fmt.Sprintf("%s is an agent field: indent it under the agent %s (line %d), or under defaults: to set it for every agent", name, a, line)
			}
			return fmt.Sprintf("%s is an agent field: indent it under an agent in agents:, or under defaults: to set it for every agent", name)
		case sub[name] != "":
			return fmt.Sprintf("%s belongs under %s: of an agent or of defaults:", name, sub[name])
		case len(m) > 0 && allFields(m):
			return fmt.Sprintf("%s looks like an agent: indent it under agents:", name)
		}
	case isSettings(inst):
		if p := sub[name]; p != "" {
			return fmt.Sprintf("%s belongs under %s: indent it under %s:", name, p, p)
		}
	case len(inst) >= 2 && isSettings(inst[:len(inst)-1]) && fields[name]:
		p := inst[len(inst)-1]
		return fmt.Sprintf("%s is an agent field, not part of %s: indent it as much as %s:", name, p, p)
	}
	return ""
}

// misplacedAgent words the error of an entry of agents: that is not a
// mapping, when it is in fact a field or an agent whose fields are not
// indented under it. ok is false for other entries.
func (l *loader) misplacedAgent(name string, v any) (msg, hint string, ok bool) {
	fields, _ := fieldNames()
	if _, isMap := v.(map[string]any); isMap {
		return "", "", false
	}
	if fields[name] {
		msg = fmt.Sprintf("%s is an agent field, not an agent", name)
		if a, line := l.agentAbove(l.keyLine([]string{"agents"}, name)); a != "" {
			return msg, fmt.Sprintf("indent it under the agent %s (line %d)", a, line), true
		}
		return msg, "agents: maps each agent's name to its fields: write the name first (my-agent:), then the fields indented under it", true
	}
	if v == nil {
		if next, line := l.fieldAfter(name); next != "" {
			return fmt.Sprintf("agent %s has no fields", name), fmt.Sprintf("indent %s: (line %d) and the fields after it under %s:", next, line, name), true
		}
	}
	return "", "", false
}

func isSettings(inst []string) bool {
	return len(inst) == 1 && inst[0] == "defaults" || len(inst) == 2 && inst[0] == "agents"
}

func allFields(m map[string]any) bool {
	fields, _ := fieldNames()
	for k := range m {
		if !fields[k] {
			return false
		}
	}
	return true
}

// keyLine is the line of key name in the mapping at inst, or 0.
func (l *loader) keyLine(inst []string, name string) int {
	if kn := l.keys[pathKey(append(inst[:len(inst):len(inst)], name))]; kn != nil {
		return kn.Line
	}
	return 0
}

// agentsNode is the agents: mapping, or nil.
func (l *loader) agentsNode() *yaml.Node {
	n := l.nodes[pathKey([]string{"agents"})]
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	return n
}

// agentAbove returns the last entry of agents: written before line that
// is not itself an agent field, and its line.
func (l *loader) agentAbove(line int) (string, int) {
	fields, _ := fieldNames()
	n := l.agentsNode()
	if n == nil || line == 0 {
		return "", 0
	}
	name, at := "", 0
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Line < line && !fields[k.Value] && k.Line > at {
			name, at = k.Value, k.Line
		}
	}
	return name, at
}

// fieldAfter returns the entry of agents: right after agent name when it
// is an agent field, and its line.
func (l *loader) fieldAfter(name string) (string, int) {
	fields, _ := fieldNames()
	n := l.agentsNode()
	if n == nil {
		return "", 0
	}
	for i := 0; i+3 < len(n.Content); i += 2 {
		if n.Content[i].Value == name {
			if next := n.Content[i+2]; fields[next.Value] {
				return next.Value, next.Line
			}
			return "", 0
		}
	}
	return "", 0
}

// maxHintLines bounds the converted entry an agents-list hint shows.
const maxHintLines = 12

// agentsListHint is the fix for agents: written as a list: it is a
// mapping keyed by agent name, shown with the first entry converted, one
// hint line each. list is the agents: node.
func (l *loader) agentsListHint(list *yaml.Node) string {
	const head = "agents: is a mapping keyed by agent name, not a list"
	if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) == 0 || list.Content[0].Kind != yaml.MappingNode {
		return head + "; write each agent as NAME: followed by its fields indented under it"
	}
	first := list.Content[0]
	var name string
	fields := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(first.Content); i += 2 {
		k, v := first.Content[i], first.Content[i+1]
		if k.Value == "name" && v.Kind == yaml.ScalarNode && name == "" {
			name = v.Value
			continue
		}
		fields.Content = append(fields.Content, k, v)
	}
	// "- my-agent: {image: ...}": the entry is already NAME: fields.
	if name == "" && len(first.Content) == 2 && first.Content[1].Kind == yaml.MappingNode {
		name, fields = first.Content[0].Value, first.Content[1]
	}
	if name == "" {
		return head + "; write each agent as NAME: followed by its fields indented under it"
	}
	var body bytes.Buffer
	enc := yaml.NewEncoder(&body)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: name}, plainCopy(fields)}}); err != nil {
		return head
	}
	lines := []string{head + "; the first entry as a mapping:", "agents:"}
	for _, line := range strings.Split(strings.TrimRight(body.String(), "\n"), "\n") {
		if len(lines) == maxHintLines {
			lines = append(lines, "  ...")
			break
		}
		lines = append(lines, "  "+line)
	}
	return strings.Join(lines, "\n")
}

// plainCopy is n in block style without comments or positions, so the
// encoder writes it as a fresh mapping.
func plainCopy(n *yaml.Node) *yaml.Node {
	c := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Value: n.Value, Style: n.Style &^ yaml.FlowStyle}
	for _, x := range n.Content {
		c.Content = append(c.Content, plainCopy(x))
	}
	return c
}
