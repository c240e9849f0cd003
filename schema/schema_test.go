package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"
)

// TestSchemaIsValid checks that the embedded schema is a valid draft
// 2020-12 schema and is the file in the repository.
func TestSchemaIsValid(t *testing.T) {
	meta, err := jsonschema.Compile("https://json-schema.org/draft/2020-12/schema")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(JSONSchema(), &doc); err != nil {
		t.Fatal(err)
	}
	if err := meta.Validate(doc); err != nil {
		t.Errorf("schema is not a valid 2020-12 schema: %#v", err)
	}
	if got := doc["$schema"]; got != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", got)
	}
	if got := doc["$id"]; got != SchemaID {
		t.Errorf("$id = %v, want %v", got, SchemaID)
	}
	onDisk, err := os.ReadFile("pipecat.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, JSONSchema()) {
		t.Error("JSONSchema() differs from pipecat.schema.json")
	}
	compiled() // panics if it does not compile with the options the loader uses
}

// TestExamples checks that every pipecat config under examples/ validates,
// with no environment variable set, both through Parse and against the
// schema alone (as an editor would check it). GitHub workflow files under
// examples/workflows are not pipecat configs.
func TestExamples(t *testing.T) {
	var files []string
	err := filepath.WalkDir("../examples", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "workflows" {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found %d example files, want at least pipecat.yaml and minimal.yaml", len(files))
	}
	s, _ := compiled()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := Load(context.Background(), f, LoadOptions{}); err != nil {
				t.Fatalf("Load: %v", err)
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := yaml.Unmarshal(data, &v); err != nil {
				t.Fatal(err)
			}
			v = jsonValue(v)
			if err := s.Validate(v); err != nil {
				t.Errorf("schema rejects %s: %v", f, err)
			}
		})
	}
}

// jsonValue turns what yaml.v3 decodes into what the schema validator
// takes.
func jsonValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = jsonValue(x)
		}
	case []any:
		for i, x := range v {
			v[i] = jsonValue(x)
		}
	case int:
		return float64(v)
	}
	return v
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])$`)

// FuzzLoad checks that Parse never panics, that every error is located
// inside the file and shows no credential, and that whatever it accepts
// obeys the documented rules and holds no credential.
func FuzzLoad(f *testing.F) {
	for _, p := range []string{"../examples/pipecat.yaml", "../examples/minimal.yaml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"version: 1\nagents: {}\n",
		hdr + "  bot:\n    image: a:${TAG:-1}\n    secretSet: $${x}\n",
		hdr + "  bot:\n    image: a:1\n    autoScaling: {minAgents: 30, maxAgents: 20}\n",
		hdr + "  bot: &x {image: a:1}\n  bot2: *x\n",
		"version: 1\ndefaults:\n  krispViva: {audioFilter: tel}\nagents:\n  bot:\n    buildId: 123e4567-e89b-12d3-a456-426614174000\n",
		"a:\n  b: 1\n c: 2\n",
		"a: [1, 2\n",
		"a: \"\\q\"\n",
		"version: 1\nagents: " + strings.Repeat("[", 50),
		"\ufeffversion: 1\r\nagents: {}\r\n",
		"version: 1\n---\nagents: {}\n",
		"version: 1\nagents: {}\nprune: {ignore: ['[']}\n",
		hdr + "  bot:\n    image: a:${KEY}\n    region: ${UNSET:-${TAG}}\n    secretSet: pk_fuzz_secret_42\n",
		hdr + "  bot:\n\timage: a:1\n",
		"version: \"1\"\nagents:\n  bot:\n  image: a:1\nregion: x\n",
	} {
		f.Add([]byte(s))
	}
	const secret = "pk_fuzz_secret_42"
	opts := LoadOptions{
		Lookup:  envOf(map[string]string{"TAG": "1.0", "EMPTY": "", "KEY": secret, "PIPECAT_API_KEY": secret}),
		Secrets: map[string]string{"PIPECAT_API_KEY": secret},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(context.Background(), "f.yaml", data, opts)
		if err != nil {
			errs, ok := err.(Errors)
			if !ok || len(errs) == 0 {
				t.Fatalf("error is %T %v, want non-empty Errors", err, err)
			}
			// A lone CR ends a line too.
			lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n")) + 1
			for _, e := range errs {
				if e.File != "f.yaml" || e.Line < 1 || e.Col < 1 || e.Line > lines || e.Msg == "" {
					t.Fatalf("badly located error %+v in a file of %d lines", e, lines)
				}
				if strings.ContainsAny(e.Source, "\n") || e.Source != "" && e.SourceCol < 1 || utf8.RuneCountInString(e.Source) > maxSource+6 {
					t.Fatalf("bad source line %q, column %d", e.Source, e.SourceCol)
				}
				for _, s := range []string{e.Error(), e.Hint, e.Source} {
					if strings.Contains(strings.ToLower(s), secret) {
						t.Fatalf("an error shows the credential: %q", s)
					}
				}
			}
			if !sort.SliceIsSorted(errs, func(i, j int) bool {
				return errs[i].Line < errs[j].Line || errs[i].Line == errs[j].Line && errs[i].Col < errs[j].Col
			}) {
				t.Fatalf("errors not sorted:\n%v", errs)
			}
			return
		}
		if cfg.Version != 1 {
			t.Fatalf("accepted version %d", cfg.Version)
		}
		if b, err := json.Marshal(cfg); err != nil || strings.Contains(strings.ToLower(string(b)), secret) {
			t.Fatalf("accepted a config holding the credential (or not JSON: %v)", err)
		}
		for i, a := range cfg.Agents {
			if i > 0 && cfg.Agents[i-1].Name >= a.Name {
				t.Fatalf("agents not sorted and unique: %q then %q", cfg.Agents[i-1].Name, a.Name)
			}
			if !nameRE.MatchString(a.Name) || len(a.Name) > 54 {
				t.Fatalf("accepted agent name %q", a.Name)
			}
			if (a.Spec.Image == nil) == (a.Spec.BuildID == nil) {
				t.Fatalf("agent %s: image %v, buildId %v: want exactly one", a.Name, a.Spec.Image, a.Spec.BuildID)
			}
			if as := a.Spec.AutoScaling; as != nil && as.MinAgents != nil && as.MaxAgents != nil && *as.MinAgents > *as.MaxAgents {
				t.Fatalf("agent %s: minAgents %d > maxAgents %d", a.Name, *as.MinAgents, *as.MaxAgents)
			}
			for k, p := range a.FieldPos {
				if p.Line < 1 || p.Col < 1 {
					t.Fatalf("agent %s: FieldPos[%s] = %+v", a.Name, k, p)
				}
			}
		}
	})
}
