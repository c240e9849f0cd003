package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

func TestTerminalText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text unchanged", "secret set \"voice\" does not exist", "secret set \"voice\" does not exist"},
		{"tab kept", "a\tb", "a\tb"},
		{"ESC and OSC shown", "\x1b[31mred\x1b]8;;https://x\x07link", `\x1b[31mred\x1b]8;;https://x\x07link`},
		{"carriage return shown", "ok\rFAILED", `ok\rFAILED`},
		{"NUL and DEL shown", "a\x00b\x7f", `a\x00b\x7f`},
		{"C1 CSI shown", "\u009b2J", `\u009b2J`},
		{"bidi controls shown", "a\u202eb\u2066c\u200fd", `a\u202eb\u2066c\u200fd`},
		{"zero-width characters shown", "a\u200bb\u200dc\ufeffd\u2060e", `a\u200bb\u200dc\ufeffd\u2060e`},
		{"tag characters shown", "x\U000E0041", `x\U000e0041`},
		{"line separators shown", "a\u2028b", `a\u2028b`},
		{"invalid UTF-8 replaced", "a\xffb", "a\uFFFDb"},
		{"line breaks kept", "a\r\nb\nc", "a\nb\nc"},
		{"workflow command first", "::error::boom", `\x3a:error::boom`},
		{"workflow command after white space", " \t\u00a0::add-mask::x", " \t\u00a0\\x3a:add-mask::x"},
		{"workflow command on a later line", "ok\n  ::stop-commands::t", "ok\n  \\x3a:stop-commands::t"},
		{"after a zero-width space, which is shown", "\u200b::error::x", `\u200b::error::x`},
		{"colons inside a line left alone", "host::port", "host::port"},
		{"legacy command anywhere", "see ##[error]x", `see #\x23[error]x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, TerminalText(tt.in)); diff != "" {
				t.Errorf("TerminalText(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// textPositions are every place a config or API string lands in terminal
// and log output (and the JSON document, which is printed too).
var textPositions = []struct {
	name string
	out  func(v string) string
}{
	{"plan: agent", func(v string) string {
		return planText(&plan.Plan{Changes: []plan.Change{
			{Agent: v, Action: plan.Create, Fields: []plan.FieldChange{{Path: "image", After: "a:1"}}},
			{Agent: v + "2", Action: plan.Delete},
		}})
	}},
	{"plan: field path and value", func(v string) string {
		return planText(&plan.Plan{Changes: []plan.Change{{Agent: "bot", Action: plan.Update, Fields: []plan.FieldChange{{Path: v, Before: v, After: 1}}}}})
	}},
	{"plan: reasons", func(v string) string {
		return planText(&plan.Plan{Changes: []plan.Change{
			{Agent: "a", Action: plan.Replace, Reason: v, Fields: []plan.FieldChange{{Path: "region", Before: "x", After: "y"}}},
			{Agent: "b", Action: plan.Update, Reason: v},
		}})
	}},
	{"plan: finding", func(v string) string {
		return planText(&plan.Plan{Findings: []plan.Finding{
			{Severity: plan.Error, Agent: v, Field: v, Message: v, File: v, Line: 1},
			{Severity: plan.Warning, Message: v},
		}})
	}},
	{"plan: config and unmanaged", func(v string) string {
		return planText(&plan.Plan{Config: v, Unmanaged: []string{v}})
	}},
	{"result: agent, code, error, note, deployment", func(v string) string {
		var b bytes.Buffer
		ResultText(&b, &apply.Result{Results: []apply.AgentResult{
			{Agent: v, Action: plan.Update, Outcome: apply.Failed, ErrorCode: v, Error: v, Note: v},
			{Agent: "b", Action: plan.Create, Outcome: apply.Succeeded, DeploymentID: v, Note: v},
		}}, TextOptions{})
		return b.String()
	}},
	{"progress: log line", func(v string) string {
		var b bytes.Buffer
		p := NewProgress(&b, ProgressOptions{})
		p.Event(apply.Event{Agent: v, State: v, Detail: v})
		p.Event(apply.Event{Agent: "b", State: "failed", Detail: "x\n" + v})
		return b.String()
	}},
	{"progress: live view", func(v string) string {
		var b bytes.Buffer
		p := NewProgress(&b, ProgressOptions{Live: true})
		p.Apply(apply.Status{Stage: "applying", Done: 1, Total: 2})
		p.Event(apply.Event{Agent: v, State: "done", Detail: v})
		p.Event(apply.Event{Agent: "b", State: "failed", Detail: v})
		p.Line(v)
		p.End()
		// The view's own cursor moves are the only escapes allowed.
		return liveControls.ReplaceAllString(b.String(), "")
	}},
	{"json: plan", func(v string) string {
		var b bytes.Buffer
		PlanJSON(&b, &plan.Plan{Config: v, Changes: []plan.Change{{Agent: v, Action: plan.Update, Reason: v,
			Fields: []plan.FieldChange{{Path: v, Before: v, After: v}}}}, Findings: []plan.Finding{{Message: v}}})
		return b.String()
	}},
	{"json: result", func(v string) string {
		var b bytes.Buffer
		ResultJSON(&b, &apply.Result{Config: v, Results: []apply.AgentResult{{Agent: v, Error: v, Note: v}}})
		return b.String()
	}},
}

var liveControls = regexp.MustCompile(`\r\x1b\[2K`)

func planText(p *plan.Plan) string {
	var b bytes.Buffer
	PlanText(&b, p, TextOptions{})
	return b.String()
}

// TestTextInert puts each hostile string in each place of the terminal,
// log and JSON output: nothing invisible is written raw, no line is a
// workflow command, and the value is there (escaped).
func TestTextInert(t *testing.T) {
	for _, pos := range textPositions {
		for _, h := range hostile {
			t.Run(pos.name+"/"+h.name, func(t *testing.T) {
				out := pos.out("QQ" + h.v + "ZZ")
				if !strings.Contains(out, "QQ") || !strings.Contains(out, "ZZ") {
					t.Fatalf("the value is not in the output:\n%s", out)
				}
				for _, p := range terminalProblems(out) {
					t.Error(p)
				}
			})
		}
	}
}

func terminalProblems(out string) []string {
	var probs []string
	for i, r := range out {
		if r != '\n' && r != '\t' && invisible(r) {
			probs = append(probs, fmt.Sprintf("raw %U at byte %d: %q", r, i, out))
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimLeftFunc(l, unicode.IsSpace), "::") {
			probs = append(probs, fmt.Sprintf("line is a workflow command: %q", l))
		}
		if strings.Contains(l, "##[") {
			probs = append(probs, fmt.Sprintf("line holds a legacy workflow command: %q", l))
		}
	}
	return probs
}

// The JSON document shows invisible characters as \u escapes and decodes
// to exactly the plan it encodes.
func TestPlanJSONShowsInvisible(t *testing.T) {
	v := "a\u202eb\u200b\x7f\u009b\U000E0041 ##[error]x"
	p := &plan.Plan{FormatVersion: plan.FormatVersion, Config: "pipecat.yaml", Changes: []plan.Change{{Agent: "bot", Action: plan.Update, Reason: v}}}
	var b bytes.Buffer
	if err := PlanJSON(&b, p); err != nil {
		t.Fatal(err)
	}
	want := `"reason": "a\u202eb\u200b\u007f\u009b\udb40\udc41 #\u0023[error]x"`
	if !strings.Contains(b.String(), want) {
		t.Errorf("document does not hold %s:\n%s", want, b.String())
	}
	var got plan.Plan
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Changes[0].Reason != v {
		t.Errorf("reason decodes to %q, want %q", got.Changes[0].Reason, v)
	}
}
