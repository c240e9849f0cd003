package schema

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestReferenceListsEveryKey checks that every property the schema
// defines, at any depth, is a row of the reference.
func TestReferenceListsEveryKey(t *testing.T) {
	var raw any
	if err := json.Unmarshal(schemaJSON, &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				for k := range props {
					want[k] = true
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(raw)
	got := map[string]bool{}
	for _, s := range ConfigReference().Sections {
		for _, f := range s.Fields {
			got[f.Key[strings.LastIndex(f.Key, ".")+1:]] = true
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("the schema's key %q is not in the reference", k)
		}
	}
	if len(want) < 25 {
		t.Errorf("found only %d keys in the schema; the walk is broken", len(want))
	}
}

// TestReferenceShowsANewField adds a made-up agent field to the schema, as
// a contributor would, and checks it shows in both renderings with its
// bounds and description, and that rows keep the schema's order.
func TestReferenceShowsANewField(t *testing.T) {
	const anchor = `"protect": {`
	scratch := `"scratchTimeout": {"description": "A made-up field.", "type": "integer", "minimum": 1, "maximum": 9},
        `
	data := strings.Replace(string(schemaJSON), anchor, scratch+anchor, 1)
	if data == string(schemaJSON) {
		t.Fatalf("the schema has no %s to insert before", anchor)
	}
	r, err := reference([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	var agent Section
	for _, s := range r.Sections {
		if s.Title == "Agent fields" {
			agent = s
		}
	}
	var keys []string
	for _, f := range agent.Fields {
		keys = append(keys, f.Key)
	}
	wantKeys := []string{"image", "buildId", "build", "build.context", "build.dockerfile", "region", "nodeType",
		"imagePullSecretSet", "secretSet", "autoScaling", "autoScaling.minAgents", "autoScaling.maxAgents",
		"agentProfile", "krispViva", "krispViva.audioFilter", "enableKrisp", "maxSessionDuration", "managedKeys",
		"scratchTimeout", "protect"}
	// Other fields may sit between these; the order is the schema's.
	if !containsInOrder(keys, wantKeys) {
		t.Errorf("agent keys are %q, want %q in this order", keys, wantKeys)
	}
	md := r.Markdown()
	if !strings.Contains(md, "\n| `scratchTimeout` | integer, 1 to 9 |  | A made-up field. |\n") {
		t.Errorf("Markdown lacks the new field's row:\n%s", md)
	}
	text := r.Text(80)
	if !strings.Contains(text, "\n  scratchTimeout: integer, 1 to 9\n      A made-up field.\n") {
		t.Errorf("Text lacks the new field:\n%s", text)
	}
}

// containsInOrder reports whether want is a subsequence of got.
func containsInOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// TestReferenceTypes checks how the value of each kind of key is told.
func TestReferenceTypes(t *testing.T) {
	rows := map[string]RefField{}
	for _, s := range ConfigReference().Sections {
		for _, f := range s.Fields {
			rows[s.Title+": "+f.Key] = f
		}
	}
	for key, want := range map[string]string{
		"Top level: version":                       "always 1",
		"Top level: agents":                        "map",
		"Top level: agents.<name>":                 "agent fields (below)",
		"Top level: prune.ignore":                  "list of string, 1 to 255 characters, at most 1000 items",
		"Top level: prune.maxDeletes":              "integer, at least 0",
		"Agent fields: image":                      "string, at most 520 characters",
		"Agent fields: buildId":                    "string (UUID)",
		"Agent fields: autoScaling.minAgents":      "integer, 0 to 50",
		"Agent fields: krispViva.audioFilter":      "one of tel, pro, null",
		"Agent fields: enableKrisp":                "boolean",
		"Secret set fields: secrets":               "map, not empty",
		"Secret set fields: secrets.<KEY>.fromEnv": "string, 1 to 255 characters",
	} {
		if got := rows[key].Type; got != want {
			t.Errorf("%s: type %q, want %q", key, got, want)
		}
	}
	for _, key := range []string{"Top level: version", "Top level: agents", "Agent fields: krispViva.audioFilter", "Secret set fields: region"} {
		if !rows[key].Required {
			t.Errorf("%s is not marked required", key)
		}
	}
	if rows["Agent fields: image"].Required {
		t.Error("image is marked required; exactly one of image, buildId and build is")
	}
}
