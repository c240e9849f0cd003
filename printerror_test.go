package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// TestPrintErrorSource checks how config errors are printed: the first
// line as before, then the source line with a caret under the column,
// everything a terminal or CI log would not show as text escaped.
func TestPrintErrorSource(t *testing.T) {
	tests := []struct {
		name string
		err  *schema.Error
		want string
	}{
		{"caret under the column",
			&schema.Error{File: "p.yaml", Line: 7, Col: 18, Path: "a.b", Msg: "bad", Hint: "fix it", Source: "    autoScaling: {x}", SourceCol: 18},
			"p.yaml:7:18: a.b: bad\n    7 |     autoScaling: {x}\n      |                  ^\nhint: fix it\n"},
		{"a long line number widens the gutter",
			&schema.Error{File: "p.yaml", Line: 123456, Col: 3, Msg: "bad", Source: "a: b", SourceCol: 3},
			"p.yaml:123456:3: bad\n123456 | a: b\n       |   ^\n"},
		{"escapes before the column move the caret",
			&schema.Error{File: "p.yaml", Line: 1, Col: 4, Msg: "bad", Source: "\t\x01\xffx", SourceCol: 4},
			"p.yaml:1:4: bad\n    1 | \\t\\x01\\xffx\n      |           ^\n"},
		{"a column past the end of the line",
			&schema.Error{File: "p.yaml", Line: 2, Col: 8, Msg: "bad", Source: "agents:", SourceCol: 8},
			"p.yaml:2:8: bad\n    2 | agents:\n      |        ^\n"},
		{"a key cannot start a line of its own",
			&schema.Error{File: "p.yaml", Line: 1, Col: 1, Path: "x\n::error::owned", Msg: "unknown key", Source: "\"x\\n::error::owned\": 1", SourceCol: 1},
			"p.yaml:1:1: x\\x0a::error::owned: unknown key\n    1 | \"x\\n::error::owned\": 1\n      | ^\n"},
		{"no source, no lines",
			&schema.Error{File: "p.yaml", Line: 1, Col: 1, Msg: "bad"},
			"p.yaml:1:1: bad\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			printError(&b, schema.Errors{tt.err})
			want := tt.want + "pipecat-gitops: error: p.yaml: 1 error\n"
			if diff := cmp.Diff(want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestPrintErrorAPIText: an error message from the network is data. A
// server's message with a terminal escape or a workflow command after a
// line break is printed escaped, on the error's one line; a hint's own
// line breaks are kept, and no line begins with "::".
func TestPrintErrorAPIText(t *testing.T) {
	err := withHint(fmt.Errorf("list agents: %w", &cloud.Error{Method: "GET", Path: "/v1/agents", Status: 500,
		Code: "INTERNAL", Message: "boom\n::add-mask::x\n\x1b]8;;http://evil\x07link\x1b[2J ##[error]legacy"}), "try\n::stop-commands::t")
	var b bytes.Buffer
	printError(&b, err)
	want := "pipecat-gitops: error: list agents: GET /v1/agents: 500 INTERNAL: boom" +
		`\n::add-mask::x\n` +
		`\x1b]8;;http://evil\x07link\x1b[2J #\x23[error]legacy` + "\n" +
		"hint: try\n" + `\x3a:stop-commands::t` + "\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("printed (-want +got):\n%s", diff)
	}
}

// TestFileNamesAreData: a config or plan file named with a line break and
// a workflow command never puts that command at the start of a line of
// output (validate, plan --out, and an invalid file's errors).
func TestFileNamesAreData(t *testing.T) {
	dir := t.TempDir()
	sb := httptest.NewServer(mustSandbox(t))
	defer sb.Close()
	name := filepath.Join(dir, "nl\n::error::x.yaml")
	bad := filepath.Join(dir, "bad\n::add-mask::y.yaml")
	if err := os.WriteFile(name, []byte("version: 1\nagents:\n  bot:\n    image: acme/bot:1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("version: 1\nagents:\n  bot:\n    image: acme/bot\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"PIPECAT_API_URL": sb.URL, "PIPECAT_API_KEY": "pk_test_0123456789"}
	for _, args := range [][]string{
		{"validate", "-f", name},
		{"plan", "-f", name, "--out", filepath.Join(dir, "out\n::error::p.json")},
		{"validate", "-f", bad},
	} {
		var stdout, stderr bytes.Buffer
		e := newEnv(strings.NewReader(""), &stdout, &stderr, func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, func(any) bool { return false })
		dispatch(context.Background(), e, args)
		for _, l := range strings.Split(stdout.String()+stderr.String(), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "::") {
				t.Errorf("%v: a line starts a workflow command: %q", args, l)
			}
		}
	}
}

func mustSandbox(t *testing.T) *sandbox.Server {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

// TestPrintErrorCounts: the last line counts every error found, also those
// past the listed 100, and names the file, or counts the files when the
// errors are in several (pcc-deploy.toml conversion).
func TestPrintErrorCounts(t *testing.T) {
	var many schema.Errors
	for i := range 100 {
		many = append(many, &schema.Error{File: "e150.yaml", Line: i + 1, Col: 1, Msg: "bad"})
	}
	many = append(many, &schema.Error{File: "e150.yaml", Line: 101, Col: 1, Msg: "too many errors: 50 more not shown", Omitted: 50})
	two := schema.Errors{
		{File: "a/pcc-deploy.toml", Line: 1, Col: 1, Msg: "bad"},
		{File: "bad/pcc-deploy.toml", Line: 2, Col: 1, Msg: "bad"},
		{File: "bad/pcc-deploy.toml", Line: 3, Col: 1, Msg: "bad"},
	}
	for _, tt := range []struct {
		errs schema.Errors
		last string
	}{
		{many, "pipecat-gitops: error: e150.yaml: 150 errors"},
		{two, "pipecat-gitops: error: 3 errors in 2 files"},
		{many[:1], "pipecat-gitops: error: e150.yaml: 1 error"},
	} {
		var b bytes.Buffer
		printError(&b, tt.errs)
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if got := lines[len(lines)-1]; got != tt.last {
			t.Errorf("last line %q, want %q", got, tt.last)
		}
	}
}
