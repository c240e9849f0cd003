package adopt

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// flat is an entry as the tests compare it: "path@line:col=value".
func flat(doc *tomlDoc) []string {
	var out []string
	for _, e := range doc.entries {
		out = append(out, fmt.Sprintf("%s@%d:%d=%#v", e.path, e.keyPos.Line, e.keyPos.Col, e.value))
	}
	return out
}

func TestParseTOML(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		want   []string
		tables []string
	}{
		{"keys, comments and a table",
			"# deploy\nagent_name = \"bot\" # the name\n\n[scaling]\nmin_agents = 1\n",
			[]string{`agent_name@2:1="bot"`, `scaling.min_agents@5:1=1`}, []string{"scaling"}},
		{"dotted keys open their table",
			"scaling.max_agents = 10\nkrisp_viva . audio_filter = 'tel'\n",
			[]string{`scaling.max_agents@1:1=10`, `krisp_viva.audio_filter@2:1="tel"`}, []string{"krisp_viva", "scaling"}},
		{"inline table",
			"scaling = { min_agents = 0, max_agents = 20 }\n",
			[]string{`scaling.min_agents@1:13=0`, `scaling.max_agents@1:29=20`}, []string{"scaling"}},
		{"integers with sign and underscores",
			"a = +1_000\nb = -5\nc = 0\n",
			[]string{`a@1:1=1000`, `b@2:1=-5`, `c@3:1=0`}, nil},
		{"booleans",
			"a = true\nb = false\n",
			[]string{`a@1:1=true`, `b@2:1=false`}, nil},
		{"escapes and quoted keys",
			"\"agent name\" = \"a\\tb\\u00e9\\\"\"\n'lit' = 'C:\\x'\n",
			[]string{`agent name@1:1="a\tbé\""`, `lit@2:1="C:\\x"`}, nil},
		{"array over lines with comments and a trailing comma",
			"[build.exclude]\npatterns = [\n  \"*.md\", # docs\n  'tests/',\n]\n",
			[]string{`build.exclude.patterns@2:1=[]interface {}{"*.md", "tests/"}`}, []string{"build", "build.exclude"}},
		{"CRLF line ends",
			"a = 1\r\n[t]\r\nb = 'x'\r\n",
			[]string{`a@1:1=1`, `t.b@3:1="x"`}, []string{"t"}},
		{"columns count characters, not bytes",
			"é = 1\n",
			nil, nil},
		{"a sub-table before its parent",
			"[a.b]\nx = 1\n[a]\ny = 2\n",
			[]string{`a.b.x@2:1=1`, `a.y@4:1=2`}, []string{"a", "a.b"}},
		{"empty file", "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := parseTOML([]byte(tt.src))
			if tt.name == "columns count characters, not bytes" {
				// A non-ASCII bare key is invalid; its error is after one character.
				var te *tomlError
				if !errors.As(err, &te) || te.pos != (schema.Position{Line: 1, Col: 1}) {
					t.Fatalf("got %v, want an error at 1:1", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, flat(doc)); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			var tables []string
			for k := range doc.tables {
				tables = append(tables, k)
			}
			if diff := cmp.Diff(tt.tables, tables, sortStrings); diff != "" {
				t.Errorf("tables (-want +got):\n%s", diff)
			}
		})
	}
}

var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestParseTOMLErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"duplicate key", "a = 1\na = 2\n", "2:1: a is defined twice (first as a value at line 1)"},
		{"duplicate through a table", "[scaling]\nmin_agents = 1\n[scaling]\n", "3:1: table [scaling] is defined twice (first at line 1)"},
		{"dotted key then the same table's key", "scaling.min_agents = 1\n[scaling]\nmin_agents = 2\n", "3:1: scaling.min_agents is defined twice (first as a value at line 1)"},
		{"value used as a table", "scaling = 1\n[scaling]\n", "2:1: scaling is already a value (line 1), not a table"},
		{"key under a value", "a = 1\na.b = 2\n", "2:1: a is already a value (line 1), not a table"},
		{"missing equals", "agent_name \"x\"\n", "1:12: expected '=' after key"},
		{"unquoted string", "image = acme/bot:1\n", "1:9: invalid value acme/bot:1: strings are quoted (\"acme/bot:1\")"},
		{"float", "max_session_duration = 3600.5\n", "1:24: 3600.5: floats and dates are not supported in pcc-deploy.toml"},
		{"date", "d = 2024-01-01\n", "1:5: 2024-01-01: floats and dates are not supported in pcc-deploy.toml"},
		{"hex", "n = 0x10\n", "1:5: hexadecimal, octal and binary integers are not supported; write 0x10 in decimal"},
		{"leading zero", "n = 010\n", "1:5: integers cannot have leading zeroes"},
		{"double underscore", "n = 1__0\n", "1:6: number must have at least one digit between underscores"},
		{"out of range", "n = 99999999999999999999\n", "1:5: integer 99999999999999999999 is out of range"},
		{"unterminated string", "a = \"abc\nb = 1\n", "1:9: basic strings cannot have new lines"},
		{"unterminated literal", "a = 'abc\n", "1:9: literal strings cannot have new lines"},
		{"bad escape", "a = \"\\q\"\n", "1:6: invalid escape character U+0071 'q'"},
		{"bad unicode escape", "a = \"\\uD800\"\n", "1:6: escape sequence is not a valid unicode code point"},
		{"control character", "a = \"x\x01\"\n", "1:7: basic strings cannot have control characters"},
		{"multi-line string", "a = \"\"\"x\"\"\"\n", "1:5: multi-line strings are not supported in pcc-deploy.toml"},
		{"array of tables", "[[agents]]\n", "1:1: arrays of tables ([[...]]) are not supported in pcc-deploy.toml"},
		{"garbage after a value", "a = 1 2\n", "1:7: expected newline but got U+0032 '2'"},
		{"unclosed header", "[scaling\n", "1:9: expected ']' to close table name"},
		{"unterminated array", "a = [1,\n", "1:8: array is incomplete"},
		{"missing comma in array", "a = [1 2]\n", "1:8: expected ',' or ']' after array value"},
		{"inline table in an array", "a = [{b = 1}]\n", "1:6: inline tables are supported only as the value of a key, not inside arrays"},
		{"invalid UTF-8", "a = 'x'\nb = '\xff'\n", "2:6: invalid UTF-8: the file must be UTF-8 encoded"},
		{"key too deep", "a" + strings.Repeat(".a", 20) + " = 1\n", "1:33: key nested more than 16 levels deep"},
		{"too deep", "a = " + strings.Repeat("[", 20) + "\n", "1:21: nested more than 16 levels deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseTOML([]byte(tt.src))
			var te *tomlError
			if !errors.As(err, &te) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if got := fmt.Sprintf("%d:%d: %s", te.pos.Line, te.pos.Col, te.msg); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// FuzzParseTOML: the parser never panics, and an error is located inside
// the file.
func FuzzParseTOML(f *testing.F) {
	for _, s := range []string{
		"agent_name = \"a\"\n[scaling]\nmin_agents = 1\n",
		"scaling = { min_agents = 0, max_agents = 20 }\n",
		"p = [\n 'a', # c\n \"b\",\n]\n",
		"a = \"\\u00e9\\U0001F600\"\n",
		"a.b.c = 1\n[a.b]\n",
		"[[x]]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := parseTOML(data)
		if err == nil {
			return
		}
		var te *tomlError
		if !errors.As(err, &te) {
			t.Fatalf("error without a position: %v", err)
		}
		lines := strings.Count(string(data), "\n") + 1
		if te.pos.Line < 1 || te.pos.Line > lines || te.pos.Col < 1 {
			t.Fatalf("position %d:%d outside the file (%d lines): %s", te.pos.Line, te.pos.Col, lines, te.msg)
		}
	})
}
