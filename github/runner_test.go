package github

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestWriteAnnotationGolden(t *testing.T) {
	annotations := []Annotation{
		{Level: "error", File: "pipecat.yaml", Line: 12, Col: 7, Message: "agents.voice-starter.autoScaling.minAgents: 30 is greater than maxAgents (20)"},
		{Level: "warning", File: "deploy/pipecat.yaml", Line: 3, Title: "secret set pending", Message: `secret set "voice-secrets" is pending`},
		{Level: "notice", Message: "no file, no line"},
		{Level: "error", File: "odd,name:x.yaml", Line: 1, Col: 1, Title: "title: with, punctuation", Message: "line one\nline two\r\n100% sure, a:b"},
		{Level: "warning", Title: "%0A is literal", Message: "%25 stays %25"},
	}
	var b strings.Builder
	for _, a := range annotations {
		if err := WriteAnnotation(&b, a); err != nil {
			t.Fatal(err)
		}
	}
	golden(t, "annotations.golden", b.String())
}

func TestWriteAnnotationRejectsLevel(t *testing.T) {
	var b strings.Builder
	if err := WriteAnnotation(&b, Annotation{Level: "debug", Message: "x"}); err == nil {
		t.Error("level debug accepted")
	}
	if b.Len() != 0 {
		t.Errorf("wrote %q for a rejected annotation", b.String())
	}
}

func TestFormatOutputsGolden(t *testing.T) {
	outs := []Output{
		{Name: "has-changes", Value: "true"},
		{Name: "created", Value: "2"},
		{Name: "empty", Value: ""},
		{Name: "plan-file", Value: "/tmp/run 1/plan.json"},
		{Name: "percent", Value: "100% done"},
		{Name: "looks-like-heredoc", Value: "a<<EOF"},
		{Name: "summary", Value: "## Plan\n\n| agent | action |\n|---|---|\n| voice-starter | create |"},
		{Name: "crlf", Value: "one\r\ntwo"},
	}
	n := 0
	var b strings.Builder
	err := formatOutputs(&b, outs, func() string {
		n++
		return "DELIM" + strings.Repeat("x", n)
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "outputs.golden", b.String())
}

func TestFormatOutputsDelimiterNotInValue(t *testing.T) {
	// The first two delimiters offered occur in the value; a value must
	// never be able to end its own block.
	offered := []string{"D1", "D2", "D3"}
	var b strings.Builder
	err := formatOutputs(&b, []Output{{Name: "v", Value: "x\nD1\nD2 y"}}, func() string {
		d := offered[0]
		offered = offered[1:]
		return d
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "v<<D3\nx\nD1\nD2 y\nD3\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestFormatOutputsRejectsNames(t *testing.T) {
	for _, name := range []string{"", "a=b", "a\nb", "a<<b"} {
		var b strings.Builder
		if err := formatOutputs(&b, []Output{{Name: name, Value: "v"}}, randomDelimiter); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
}

func TestWriteOutputsAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(path, []byte("command=plan\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteOutputs(path, []Output{{Name: "created", Value: "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := WriteOutputs(path, []Output{{Name: "summary", Value: "a\nb"}}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	lines := strings.Split(string(got), "\n")
	if len(lines) != 7 || lines[0] != "command=plan" || lines[1] != "created=1" ||
		!strings.HasPrefix(lines[2], "summary<<ghadelimiter_") || lines[5] != strings.TrimPrefix(lines[2], "summary<<") {
		t.Errorf("output file:\n%s", got)
	}
}

func TestAppendStepSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.md")
	for _, md := range []string{"## Plan\n", "no newline at the end"} {
		if err := AppendStepSummary(path, md); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(path)
	if want := "## Plan\nno newline at the end\n"; string(got) != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	if err := AppendStepSummary("", "x"); err == nil {
		t.Error("empty path accepted")
	}
}

func TestConfigPathForMarker(t *testing.T) {
	ws := filepath.FromSlash("/home/runner/work/agents/agents")
	tests := []struct {
		name                  string
		config, workspace, wd string
		want                  string
	}{
		{name: "plain", config: "pipecat.yaml", workspace: ws, wd: ws, want: "pipecat.yaml"},
		{name: "dot slash", config: "./pipecat.yaml", workspace: ws, wd: ws, want: "pipecat.yaml"},
		{name: "from a subdirectory", config: "pipecat.yaml", workspace: ws, wd: filepath.Join(ws, "deploy"), want: "deploy/pipecat.yaml"},
		{name: "up and down", config: "../deploy/./pipecat.yaml", workspace: ws, wd: filepath.Join(ws, "src"), want: "deploy/pipecat.yaml"},
		{name: "absolute", config: filepath.Join(ws, "envs", "prod.yaml"), workspace: ws, wd: "/", want: "envs/prod.yaml"},
		{name: "no workspace", config: "./envs//prod.yaml", wd: ws, want: "envs/prod.yaml"},
		{name: "outside the workspace", config: "../other/pipecat.yaml", workspace: ws, wd: ws, want: "../other/pipecat.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ConfigPathForMarker(tt.config, tt.workspace, tt.wd); got != tt.want {
				t.Errorf("ConfigPathForMarker(%q, %q, %q) = %q, want %q", tt.config, tt.workspace, tt.wd, got, tt.want)
			}
		})
	}
}
