package schema

import (
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Secret sets are declared by the names of the environment variables that
// hold their values (fromEnv); the loader never reads those variables:
// plan and apply do, when they need the values. The credential rules of
// ${VAR} expansion (secrets.go) do not apply to fromEnv, whose variables
// are secrets by design, but a few variables may never be one.

// ReservedKeyPrefix starts the names of the keys pipecat-gitops keeps in
// a set for itself (the fingerprint of its values); a declared key may
// not start with it, in any letter case.
const ReservedKeyPrefix = "PIPECAT_GITOPS_"

// refusedSource says why the variable name may not be a fromEnv, or "".
// The API key and the GitHub tokens in a secret set would hand every
// agent (and everyone who can deploy one) the organization or the
// repository: almost surely a mistake. The runner's own variables
// (ACTIONS_*, RUNNER_*) are its internals.
func refusedSource(name string) string {
	n := strings.ToUpper(name)
	for _, c := range CredentialVars {
		if n == c {
			return name + " holds a credential of pipecat-gitops or of the GitHub Actions runner; a secret set must not carry it to every agent"
		}
	}
	if strings.HasPrefix(n, "ACTIONS_") || strings.HasPrefix(n, "RUNNER_") {
		return name + " is a variable of the GitHub Actions runner itself, not a value for agents"
	}
	return ""
}

// reservedKey reports whether a declared key takes a name pipecat-gitops
// keeps for itself.
func reservedKey(key string) bool {
	return strings.HasPrefix(strings.ToUpper(key), ReservedKeyPrefix)
}

// buildSecretSets reads the secretSets map of a tree the schema may have
// rejected (values of the wrong type are skipped) and applies the rules
// the schema cannot express, reporting each at its node.
func (l *loader) buildSecretSets(m map[string]any) []SecretSet {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []SecretSet
	for _, name := range names {
		if !l.alive() {
			return nil
		}
		body, ok := m[name].(map[string]any)
		if !ok {
			continue
		}
		base := []string{"secretSets", name}
		at := func(rel ...string) []string { return append(base[:len(base):len(base)], rel...) }
		set := SecretSet{Name: name, Pos: pos(l.keys[pathKey(base)]), FieldPos: map[string]Position{}}
		record := func(rel string, n *yaml.Node) {
			if n != nil {
				set.FieldPos[rel] = pos(n)
			}
		}
		set.Spec.Region, _ = body["region"].(string)
		record("region", l.nodes[pathKey(at("region"))])
		set.Spec.RestartOnChange, _ = body["restartOnChange"].(bool)
		record("restartOnChange", l.nodes[pathKey(at("restartOnChange"))])
		if secrets, ok := body["secrets"].(map[string]any); ok {
			record("secrets", l.keys[pathKey(at("secrets"))])
			set.Spec.Secrets = map[string]SecretSource{}
			for key, v := range secrets {
				keyNode := l.keys[pathKey(at("secrets", key))]
				record("secrets."+key, keyNode)
				if reservedKey(key) {
					l.errorAt(keyNode, l.display[pathKey(at("secrets", key))], "pipecat-gitops keeps the fingerprint of the set's values under that prefix; choose another name",
						"key %s starts with the reserved prefix %s", quote(key), ReservedKeyPrefix)
				}
				src, _ := v.(map[string]any)
				env, _ := src["fromEnv"].(string)
				set.Spec.Secrets[key] = SecretSource{FromEnv: env}
				l.checkSource(env, at("secrets", key, "fromEnv"))
				record("secrets."+key+".fromEnv", l.nodes[pathKey(at("secrets", key, "fromEnv"))])
			}
		}
		if pull, ok := body["imagePull"].(map[string]any); ok {
			record("imagePull", l.keys[pathKey(at("imagePull"))])
			host, _ := pull["host"].(string)
			env, _ := pull["fromEnv"].(string)
			set.Spec.ImagePull = &ImagePull{Host: host, FromEnv: env}
			record("imagePull.host", l.nodes[pathKey(at("imagePull", "host"))])
			record("imagePull.fromEnv", l.nodes[pathKey(at("imagePull", "fromEnv"))])
			l.checkSource(env, at("imagePull", "fromEnv"))
			if set.Spec.RestartOnChange {
				k := pathKey(at("restartOnChange"))
				l.errorAt(l.keys[k], l.display[k], "remove restartOnChange: an image pull secret is read when an image is pulled, so running agents need no restart",
					"restartOnChange applies to sets of type secret only")
			}
		}
		out = append(out, set)
	}
	return out
}

// checkSource reports a fromEnv naming a variable that may not be one.
func (l *loader) checkSource(env string, tokens []string) {
	if env == "" {
		return
	}
	if why := refusedSource(env); why != "" {
		k := pathKey(tokens)
		l.errorAt(l.nodes[k], l.display[k], "map the value into another variable", "fromEnv %s is refused: %s", quote(env), why)
	}
}

// secretSources finds, before anything is expanded, the fromEnv variables
// of the file's secret sets (sources: variable -> set) and, for those set
// to a value long enough to be told from ordinary text, their values as
// secrets: expansion refuses the first by name and the second by value
// (a copy under another name), and no error quotes one.
func secretSources(root *yaml.Node, lookup func(string) (string, bool)) (sources map[string]string, values secrets) {
	sources = map[string]string{}
	get := func(m *yaml.Node, key string) *yaml.Node {
		if m == nil || m.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return m.Content[i+1]
			}
		}
		return nil
	}
	add := func(n *yaml.Node, set string) {
		if n != nil && n.Kind == yaml.ScalarNode && n.Value != "" {
			sources[n.Value] = set
		}
	}
	sets := get(root, "secretSets")
	if sets == nil || sets.Kind != yaml.MappingNode {
		return sources, secrets{}
	}
	for i := 0; i+1 < len(sets.Content); i += 2 {
		name, body := sets.Content[i].Value, sets.Content[i+1]
		if keys := get(body, "secrets"); keys != nil && keys.Kind == yaml.MappingNode {
			for j := 1; j < len(keys.Content); j += 2 {
				add(get(keys.Content[j], "fromEnv"), name)
			}
		}
		add(get(get(body, "imagePull"), "fromEnv"), name)
	}
	m := map[string]string{}
	for env := range sources {
		// Short values too: they are refused as whole values.
		if v, ok := lookup(env); ok && v != "" {
			m[env] = v
		}
	}
	return sources, newSecrets(m)
}
