package report

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// bigPlan builds a plan with the given number of agents per action; names
// are "<prefix>-<action>-<n>" padded to nameLen characters.
type bigSpec struct {
	create, update, replace, del, noop int
	nameLen                            int
	findings                           int
	// varied gives every update its own maxAgents, so that no two share
	// a shape.
	varied bool
	// moves is how many of the updates also move to another secret set.
	moves int
}

func bigPlan(s bigSpec) *plan.Plan {
	p := &plan.Plan{FormatVersion: plan.FormatVersion, Config: "pipecat.yaml"}
	name := func(kind string, i int) string {
		n := fmt.Sprintf("%s-%05d", kind, i)
		if len(n) < s.nameLen {
			n = kind + strings.Repeat("x", s.nameLen-len(n)) + n[len(kind):]
		}
		return n
	}
	for i := range s.create {
		p.Changes = append(p.Changes, plan.Change{
			Agent: name("create", i), Action: plan.Create, Fingerprint: "absent",
			Fields: []plan.FieldChange{
				{Path: "image", After: fmt.Sprintf("ghcr.io/acme/agent-%d:1.4.0", i)},
				{Path: "region", After: "us-west"},
				{Path: "secretSet", After: "shared-secrets"},
				{Path: "autoScaling.maxAgents", After: 10},
				{Path: "krispViva.audioFilter", After: nil},
			},
		})
	}
	for i := range s.update {
		p.Changes = append(p.Changes, plan.Change{
			Agent: name("update", i), Action: plan.Update, Fingerprint: "x",
			Fields: []plan.FieldChange{
				{Path: "image", Before: fmt.Sprintf("ghcr.io/acme/agent-%d:1.3.0", i), After: fmt.Sprintf("ghcr.io/acme/agent-%d:1.4.0", i)},
				{Path: "autoScaling.minAgents", Before: 0, After: 1},
				{Path: "autoScaling.maxAgents", Before: 10, After: 20 + pick(s.varied, i, 0)},
				{Path: "enableKrisp", Before: false, After: true},
			},
		})
	}
	for i := range s.moves {
		c := &p.Changes[s.create+i*s.update/s.moves]
		c.Fields = append(c.Fields, plan.FieldChange{Path: "secretSet", Before: "shared-secrets", After: fmt.Sprintf("team-%d-secrets", i%7)})
	}
	for i := range s.replace {
		p.Changes = append(p.Changes, plan.Change{
			Agent: name("replace", i), Action: plan.Replace, Fingerprint: "x",
			Reason: "region us-west -> eu-central cannot change in place",
			Fields: []plan.FieldChange{{Path: "region", Before: "us-west", After: "eu-central"}},
		})
	}
	for i := range s.del {
		p.Changes = append(p.Changes, plan.Change{
			Agent: name("delete", i), Action: plan.Delete, Fingerprint: "x",
			Reason: "not in the config and prune is enabled",
		})
	}
	for i := range s.noop {
		p.Changes = append(p.Changes, plan.Change{Agent: name("noop", i), Action: plan.NoOp, Fingerprint: "x"})
	}
	for i := range s.findings {
		p.Findings = append(p.Findings, plan.Finding{
			Severity: plan.Severity(i % 2), Agent: name("create", i), Field: "secretSet", File: "pipecat.yaml", Line: 10 + i, Col: 16,
			Message: `secret set "shared-secrets" is still provisioning (pending); a deploy that binds it is rejected until it is ready`,
		})
	}
	p.Summarize()
	return p
}

var nameToken = regexp.MustCompile(`[a-z0-9][-a-z0-9]*[a-z0-9]`)

// mentioned returns the set of agent-like names the Markdown contains.
func mentioned(md string) map[string]bool {
	out := map[string]bool{}
	for _, n := range nameToken.FindAllString(md, -1) {
		out[n] = true
	}
	return out
}

const runURL = "https://github.com/acme/agents/actions/runs/4242"

func TestPlanMarkdownBudget(t *testing.T) {
	tests := []struct {
		name string
		spec bigSpec
		// truncated: the note must be there (with the run URL) or absent.
		truncated bool
	}{
		{"3,000 agents of every action", bigSpec{create: 1400, update: 900, replace: 120, del: 380, noop: 200, nameLen: 20, findings: 60}, true},
		// Every name fits once written plainly: nothing is left out.
		{"3,000 deletes of 20-character names", bigSpec{del: 3000, nameLen: 20}, false},
		{"2,000 replaces and 1,000 deletes", bigSpec{replace: 2000, del: 1000, nameLen: 20}, true},
		{"2,700 deletes of 22-character names", bigSpec{del: 2700, nameLen: 22}, false},
		{"400 updates of their own shape just over the budget", bigSpec{update: 400, nameLen: 20, varied: true}, true},
		// Updates of one shape are one block: they fit.
		{"400 updates of one shape", bigSpec{update: 400, nameLen: 20}, false},
		{"a plan that fits", bigSpec{create: 20, update: 20, replace: 5, del: 5, noop: 1000, nameLen: 20, findings: 4}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := bigPlan(tt.spec)
			md := PlanMarkdown(p, Meta{Config: "pipecat.yaml", RunURL: runURL})
			checkPlanMarkdown(t, p, md)
			note := "Left out to fit GitHub's comment size limit: "
			if got := strings.Contains(md, note); got != tt.truncated {
				t.Errorf("truncation note present = %v, want %v", got, tt.truncated)
			}
			if tt.truncated && !strings.Contains(md, ". The full plan is in the [workflow run]("+runURL+").\n") {
				t.Errorf("truncation note does not link the run %s", runURL)
			}
			if strings.Count(md, note) > 1 {
				t.Errorf("%d truncation notes, want one", strings.Count(md, note))
			}
			names := mentioned(md)
			for _, c := range p.Changes {
				if (c.Action == plan.Delete || c.Action == plan.Replace) && !names[c.Agent] {
					t.Fatalf("%s agent %s is not named", c.Action, c.Agent)
				}
			}
			if !tt.truncated {
				// Everything is there: every changed agent in the table and
				// a <details> block per agent with fields.
				for _, c := range p.Changes {
					if c.Action != plan.NoOp && !names[c.Agent] {
						t.Errorf("%s agent %s is not named", c.Action, c.Agent)
					}
				}
				want := p.Summary.Create + p.Summary.Update + p.Summary.Replace
				if got := diffsShown(md)["create"] + diffsShown(md)["update"] + diffsShown(md)["replace"]; got != want {
					t.Errorf("%d diffs shown, want %d", got, want)
				}
			}
		})
	}
}

// checkPlanMarkdown checks what every plan comment keeps, whatever its size.
func checkPlanMarkdown(t *testing.T, p *plan.Plan, md string) {
	t.Helper()
	if len(md) > MaxCommentSize {
		t.Errorf("comment is %d bytes, over %d", len(md), MaxCommentSize)
	}
	if !strings.HasPrefix(md, Marker("pipecat.yaml")+"\n") {
		t.Errorf("comment does not start with the marker line: %.80q", md)
	}
	s := p.Summary
	counts := fmt.Sprintf("%d to create, %d to update, %d to replace, %d to delete, %d unchanged", s.Create, s.Update, s.Replace, s.Delete, s.NoOp)
	headline := "### pipecat-gitops plan: " + counts + "\n"
	if s.Errors > 0 {
		// A plan apply refuses says so first, then its counts.
		headline = fmt.Sprintf("### pipecat-gitops plan cannot be applied: %s\n\nPlan: %s.", plural(s.Errors, "error"), counts)
	}
	if !strings.HasPrefix(md, Marker("pipecat.yaml")+"\n"+headline) {
		t.Errorf("headline %q missing", headline)
	}
	names := mentioned(md)
	for _, c := range p.Changes {
		if c.Action == plan.NoOp && names[c.Agent] {
			t.Fatalf("no-op agent %s is listed", c.Agent)
		}
	}
}

// With names too long for all of them to fit, the comment stays within the
// budget and says how many it could not name rather than overflowing.
func TestPlanMarkdownNamesBeyondAnyBudget(t *testing.T) {
	p := bigPlan(bigSpec{del: 3000, nameLen: 54})
	md := PlanMarkdown(p, Meta{RunURL: runURL})
	checkPlanMarkdown(t, p, md)
	named := 0
	names := mentioned(md)
	for _, c := range p.Changes {
		if names[c.Agent] {
			named++
		}
	}
	want := fmt.Sprintf("… and %d more not named here; full plan: the [workflow run](%s)\n", 3000-named, runURL)
	if !strings.Contains(md, want) {
		t.Errorf("comment does not say %q", want)
	}
	// Almost all the budget goes to names: no room is wasted.
	if named < 1000 {
		t.Errorf("only %d names of 54 characters fit in %d bytes", named, MaxCommentSize)
	}
}

func TestResultMarkdownBudget(t *testing.T) {
	r := &apply.Result{Config: "pipecat.yaml"}
	var failed []string
	for i := range 3000 {
		a := apply.AgentResult{
			Agent: fmt.Sprintf("agent-%05d", i), Action: plan.Action(1 + i%4), Outcome: apply.Succeeded,
			DeploymentID: fmt.Sprintf("9f1c2d3e-%012d", i), Duration: time.Duration(i) * time.Millisecond,
		}
		if i%30 == 7 {
			a.Outcome, a.ErrorCode, a.Error = apply.Failed, "SECRET_NOT_FOUND", "Secret set shared-secrets | not found in region eu-central"
			failed = append(failed, a.Agent)
		}
		r.Results = append(r.Results, a)
	}
	md := ResultMarkdown(r, nil, Meta{RunURL: runURL})
	if len(md) > MaxCommentSize {
		t.Errorf("comment is %d bytes, over %d", len(md), MaxCommentSize)
	}
	if !strings.HasPrefix(md, ApplyMarker("pipecat.yaml")+"\n") {
		t.Errorf("comment does not start with the marker line")
	}
	headline := "### ❌ pipecat-gitops apply: 750 created, 700 updated, 750 replaced, 700 deleted, 100 failed\n"
	if !strings.Contains(md, headline) {
		t.Errorf("headline %q missing", headline)
	}
	// The note counts the rows of successes left out, and links the run.
	kept := strings.Count(md, "| ✅ |")
	note := fmt.Sprintf("> Left out to fit GitHub's comment size limit: %d rows of succeeded changes. The full result is in the [workflow run](%s).\n",
		3000-len(failed)-kept, runURL)
	if !strings.Contains(md, note) {
		t.Errorf("truncation note %q missing", note)
	}
	// Failures are kept in preference to successes.
	names := mentioned(md)
	for _, n := range failed {
		if !names[n] {
			t.Fatalf("failed agent %s is not named", n)
		}
	}
}

func TestMarker(t *testing.T) {
	tests := []struct {
		name, config, want string
	}{
		{"plain path", "pipecat.yaml", "<!-- pipecat-gitops: pipecat.yaml -->"},
		{"nested path", "deploy/prod/pipecat.yaml", "<!-- pipecat-gitops: deploy/prod/pipecat.yaml -->"},
		{"path that would close the comment", "a-->b.yaml", "<!-- pipecat-gitops: a--&gt;b.yaml -->"},
		{"line break", "a\nb.yaml", "<!-- pipecat-gitops: a b.yaml -->"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Marker(tt.config)); diff != "" {
				t.Errorf("Marker(%q) (-want +got):\n%s", tt.config, diff)
			}
		})
	}
}

func TestMarkdownEscaping(t *testing.T) {
	const wj = "\u2060"
	tests := []struct {
		name string
		f    func(string) string
		in   string
		want string
	}{
		{"text: emphasis and links", mdEscape, "*a* _b_ [c](d) ~e~", `\*a\* \_b\_ \[c\](d) \~e\~`},
		{"text: html", mdEscape, "<img src=x> & co", "&lt;img src=x&gt; &amp; co"},
		{"text: entity stays literal", mdEscape, "&#64;team", "&amp;#" + wj + "64;team"},
		{"text: backticks and backslash", mdEscape, "`x` \\", "\\`x\\` \\\\"},
		{"text: math", mdEscape, "$x^2$", `\$x^2\$`},
		{"text: line breaks", mdEscape, "a\nb\r\nc", "a b c"},
		{"text: control characters shown", mdEscape, "\x1b[31mred\x1b[0m\x00", `\\x1b\[31mred\\x1b\[0m\\x00`},
		{"text: bidi and zero-width shown", mdEscape, "a\u202eb\u200bc", `a\\u202eb\\u200bc`},
		{"text: user mention", mdEscape, "@octocat", "@" + wj + "octocat"},
		{"text: team mention", mdEscape, "@acme/secops", "@" + wj + "acme/secops"},
		{"text: issue references", mdEscape, "#123 GH-123 gh-4 acme/agents#9", "#" + wj + "123 GH-" + wj + "123 gh-" + wj + "4 acme/agents#" + wj + "9"},
		{"text: commit reference", mdEscape, "acme/agents@9fceb02", "acme/agents@" + wj + "9fceb02"},
		{"text: email", mdEscape, "ops@example.com", "ops@" + wj + "example.com"},
		{"text: urls stay text", mdEscape, "see https://evil.example and WWW.evil.example", "see https:" + wj + "//evil.example and WWW" + wj + ".evil.example"},
		{"text: runner command", mdEscape, "##[error]x", "#" + wj + "#" + wj + "\\[error\\]x"},
		{"code: control characters shown", mdCode, "a\x1bb\nc", "`a\\x1bb\\nc`"},
		{"code: mention left as is", mdCode, "@acme/secops", "`@acme/secops`"},
		{"code: plain", mdCode, "voice-starter", "`voice-starter`"},
		{"code: backtick inside", mdCode, "a`b", "``a`b``"},
		{"code: backtick at the edge", mdCode, "`a", "`` `a ``"},
		{"code: spaces at both edges", mdCode, " a ", "`  a  `"},
		{"code: runner command", mdCode, "##[error]", "`#" + wj + "#[error]`"},
		{"code: empty", mdCode, "", ""},
		{"cell: pipe in code", func(s string) string { return cell(mdCode(s)) }, "a|b", "`a\\|b`"},
		{"html code: markup", htmlCode, "<b>&\"", "&lt;b&gt;&amp;&#34;"},
		{"url: link breakers encoded", mdURL, "https://x.example/a b)(<>", "https://x.example/a%20b%29%28%3C%3E"},
		{"url: javascript refused", mdURL, "javascript:alert(1)", ""},
		{"literal: invisible in a JSON string", func(s string) string { return literal(s) }, "a\u202e\x7f\U000e0041##[", `"a\u202e\u007f\udb40\udc41#\u0023["`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.f(tt.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func BenchmarkPlanMarkdown3000(b *testing.B) {
	p := bigPlan(bigSpec{create: 1400, update: 900, replace: 120, del: 380, noop: 200, nameLen: 20, findings: 60})
	m := Meta{Config: "pipecat.yaml", RunURL: runURL, Commit: "9fceb02d0ae598e95dc970b74767f19372d61af8", Time: time.Unix(0, 0)}
	var md string
	for b.Loop() {
		md = PlanMarkdown(p, m)
	}
	b.ReportMetric(float64(len(md)), "bytes/comment")
}

func BenchmarkPlanMarkdown3000Deletes(b *testing.B) {
	p := bigPlan(bigSpec{del: 3000, nameLen: 20})
	m := Meta{Config: "pipecat.yaml", RunURL: runURL}
	var md string
	for b.Loop() {
		md = PlanMarkdown(p, m)
	}
	b.ReportMetric(float64(len(md)), "bytes/comment")
}
