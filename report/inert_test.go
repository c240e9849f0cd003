package report

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// hostile are strings a config or the API could carry, each aimed at one
// way Markdown on GitHub (or a runner reading the output) acts on text.
var hostile = []struct{ name, v string }{
	{"team mention", "@acme/secops"},
	{"user mention", "cc @octocat please"},
	{"issue references", "fixes #123, GH-45 and acme/agents#67"},
	{"commit reference", "acme/agents@9fceb02d0ae5"},
	{"email", "ops@example.com"},
	{"html", `<img src=x onerror="alert(1)"><b>bold</b>`},
	{"closing our html", "</code></summary></details><script>alert(1)</script>"},
	{"entities", "&lt;b&gt; &#64;acme &amp;"},
	{"backticks", "`code` ``x`` ```fence"},
	{"emphasis", "*em* _em_ **strong** ~~gone~~"},
	{"link", "[click](javascript:alert(1)) ![img](https://evil.example/x.png)"},
	{"autolinks", "<javascript:alert(1)> https://evil.example/login www.evil.example"},
	{"math", "$x^2$ and $$y$$"},
	{"heading and list", "# title\n- item\n> quote\n| a | b |\n| - | - |"},
	{"pipes and backslashes", `a|b\|c\\`},
	{"terminal escapes", "\x1b[31mred\x1b[0m \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 \x00\x7f\u009b"},
	{"hidden text", "safe\u202eexe.txt\u202c zero\u200bwidth\ufeff tag\U000E0041\U000E0042"},
	{"runner commands", "::error::boom\n::add-mask::x\n  ::stop-commands::t ##[error]legacy"},
	{"line breaks", "one\r\ntwo\rthree\u2028four"},
}

// positions are every place a config or API string lands in a comment.
// Each builds a document with v in that one place.
var positions = []struct {
	name string
	md   func(v string) string
}{
	{"plan: created agent", func(v string) string {
		return planWith(plan.Change{Agent: v, Action: plan.Create, Fields: []plan.FieldChange{{Path: "image", After: "a:1"}}})
	}},
	{"plan: deleted agent, bullets", func(v string) string {
		return planWith(plan.Change{Agent: v, Action: plan.Delete, Reason: plan.ReasonPrune})
	}},
	{"plan: deleted agent, one line per kind", func(v string) string {
		cs := []plan.Change{{Agent: v, Action: plan.Delete}}
		for i := range 6 {
			cs = append(cs, plan.Change{Agent: fmt.Sprintf("old-%d", i), Action: plan.Delete})
		}
		return planWith(cs...)
	}},
	{"plan: deleted agent, list of a large plan", func(v string) string {
		p := bigPlan(bigSpec{del: 60, update: 10, nameLen: 20})
		p.Changes = append([]plan.Change{{Agent: v, Action: plan.Delete}}, p.Changes...)
		return PlanMarkdown(p, Meta{RunURL: runURL})
	}},
	{"plan: deleted agent, names beyond the budget", func(v string) string {
		p := bigPlan(bigSpec{del: 1300, nameLen: 54})
		p.Changes = append([]plan.Change{{Agent: v, Action: plan.Delete}}, p.Changes...)
		return PlanMarkdown(p, Meta{RunURL: runURL})
	}},
	{"plan: field path", func(v string) string {
		return planWith(plan.Change{Agent: "bot", Action: plan.Update, Fields: []plan.FieldChange{{Path: v, Before: 1, After: 2}}})
	}},
	{"plan: field value", func(v string) string {
		return planWith(plan.Change{Agent: "bot", Action: plan.Update, Fields: []plan.FieldChange{{Path: "image", Before: v, After: v + "2"}}})
	}},
	{"plan: replace reason", func(v string) string {
		return planWith(plan.Change{Agent: "bot", Action: plan.Replace, Reason: v, Fields: []plan.FieldChange{{Path: "region", Before: "a", After: "b"}}})
	}},
	{"plan: update reason", func(v string) string {
		return planWith(plan.Change{Agent: "bot", Action: plan.Update, Reason: v})
	}},
	{"plan: error", func(v string) string {
		return planFinding(plan.Finding{Severity: plan.Error, Agent: "bot", Field: "secretSet", Message: v, Line: 3, Col: 5})
	}},
	{"plan: warning", func(v string) string {
		return planFinding(plan.Finding{Severity: plan.Warning, Agent: "bot", Field: "secretSet", Message: v, Line: 3, Col: 5})
	}},
	{"plan: plan-wide warning", func(v string) string {
		return planFinding(plan.Finding{Severity: plan.Warning, Message: v})
	}},
	{"plan: finding agent and field", func(v string) string {
		return planFinding(plan.Finding{Severity: plan.Error, Agent: v, Field: v, Message: "m"})
	}},
	{"plan: finding file", func(v string) string {
		return planFinding(plan.Finding{Severity: plan.Error, File: v, Line: 3, Message: "m"})
	}},
	{"plan: config path", func(v string) string {
		return PlanMarkdown(&plan.Plan{Config: v, Changes: []plan.Change{{Agent: "bot", Action: plan.NoOp}}}, Meta{})
	}},
	{"plan: unmanaged agent", func(v string) string {
		return PlanMarkdown(&plan.Plan{Config: "pipecat.yaml", Unmanaged: []string{"legacy", v}}, Meta{})
	}},
	{"plan: commit", func(v string) string {
		return PlanMarkdown(&plan.Plan{Config: "pipecat.yaml"}, Meta{Commit: v})
	}},
	{"plan: run URL", func(v string) string {
		return PlanMarkdown(bigPlan(bigSpec{update: 400, nameLen: 20}), Meta{RunURL: "https://github.example/" + v})
	}},
	{"result: agent", func(v string) string {
		return resultWith(apply.AgentResult{Agent: v, Action: plan.Update, Outcome: apply.Succeeded})
	}},
	{"result: error and code", func(v string) string {
		return resultWith(apply.AgentResult{Agent: "bot", Action: plan.Update, Outcome: apply.Failed, ErrorCode: v, Error: v})
	}},
	{"result: note and deployment", func(v string) string {
		return resultWith(apply.AgentResult{Agent: "bot", Action: plan.Create, Outcome: apply.Succeeded, Note: v, DeploymentID: v})
	}},
	{"result: deployment log", func(v string) string {
		return resultWith(apply.AgentResult{Agent: "bot", Action: plan.Update, Outcome: apply.Failed, ErrorCode: apply.CodeDeploymentFailed,
			DeploymentID: v, Logs: []string{"Traceback (most recent call last):", v, "ModuleNotFoundError: " + v}})
	}},
	{"result: organization", func(v string) string {
		r := &apply.Result{Config: "pipecat.yaml", Organization: &apply.OrganizationResult{Outcome: apply.Failed,
			Fields: []plan.FieldChange{{Path: "defaultRegion", Before: v, After: v}}, Error: v}}
		return ResultMarkdown(r, nil, Meta{})
	}},
	{"plan: organization", func(v string) string {
		p := &plan.Plan{Config: "pipecat.yaml", Organization: &plan.OrganizationChange{Action: plan.Update,
			Fields: []plan.FieldChange{{Path: "defaultRegion", Before: v, After: v}}}}
		return PlanMarkdown(p, Meta{})
	}},
	{"result: run URL", func(v string) string {
		r := &apply.Result{Config: "pipecat.yaml"}
		for i := range 1000 {
			r.Results = append(r.Results, apply.AgentResult{Agent: fmt.Sprintf("agent-%05d", i), Action: plan.Update,
				Outcome: apply.Succeeded, DeploymentID: fmt.Sprintf("9f1c2d3e-%012d", i), Duration: time.Second})
		}
		return ResultMarkdown(r, nil, Meta{RunURL: "https://github.example/" + v})
	}},
	{"validate: error line and config", func(v string) string {
		return FailureMarkdown("validate", []string{"pipecat.yaml:1:1: " + v}, Meta{Config: v})
	}},
}

func planWith(cs ...plan.Change) string {
	p := &plan.Plan{Config: "pipecat.yaml", Changes: cs}
	return PlanMarkdown(p, Meta{Config: "pipecat.yaml"})
}

// planFinding is a plan with one update and the finding f.
func planFinding(f plan.Finding) string {
	p := &plan.Plan{Config: "pipecat.yaml", Findings: []plan.Finding{f},
		Changes: []plan.Change{{Agent: "bot", Action: plan.Update, Fields: []plan.FieldChange{{Path: "image", Before: "a:1", After: "a:2"}}}}}
	return PlanMarkdown(p, Meta{Config: "pipecat.yaml"})
}

func resultWith(a apply.AgentResult) string {
	return ResultMarkdown(&apply.Result{Config: "pipecat.yaml", Results: []apply.AgentResult{a}}, nil, Meta{})
}

// TestMarkdownInert puts each hostile string in each position, between
// two markers, and checks what the Markdown around it becomes: the value
// stays inside one context (text, code span, HTML <code>, fenced code,
// link destination) and, there, can do nothing: no markup, HTML, mention,
// reference or link in text; no way out of code; nothing invisible
// anywhere; no workflow command for a runner reading the output.
func TestMarkdownInert(t *testing.T) {
	for _, pos := range positions {
		for _, h := range hostile {
			t.Run(pos.name+"/"+h.name, func(t *testing.T) {
				for _, p := range inertProblems(pos.md("QQ" + h.v + "ZZ")) {
					t.Error(p)
				}
			})
		}
	}
}

// ctx is what Markdown makes of a byte of the document.
type ctx byte

const (
	ctxText     ctx = iota
	ctxCode         // code span
	ctxHTMLCode     // <code> in raw HTML
	ctxFence        // fenced code block
	ctxHidden       // the marker comment
	ctxLinkDest     // the destination of one of our links
)

var ctxNames = [...]string{"text", "code span", "HTML code", "fenced code", "comment", "link destination"}

// contexts assigns a context to every byte of md: the subset of GFM this
// package writes (fences, code spans, backslash escapes, raw <code>, our
// own links).
func contexts(md string) []ctx {
	out := make([]ctx, len(md))
	mark := func(from, to int, c ctx) {
		for i := from; i < to; i++ {
			out[i] = c
		}
	}
	fence := ""
	for o := 0; o < len(md); {
		end := strings.IndexByte(md[o:], '\n')
		if end < 0 {
			end = len(md) - o
		}
		l := md[o : o+end]
		switch {
		case fence != "":
			mark(o, o+end, ctxFence)
			if strings.TrimRight(l, "`") == "" && len(l) >= len(fence) {
				fence = ""
			}
		case strings.HasPrefix(l, "```"):
			fence = l[:longestRun(l, '`')]
			mark(o, o+end, ctxFence)
		case strings.HasPrefix(l, "<!--"):
			mark(o, o+end, ctxHidden)
		default:
			for i := 0; i < len(l); {
				switch {
				case l[i] == '\\' && i+1 < len(l) && strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", l[i+1]) >= 0:
					i += 2
				case l[i] == '`':
					n := 0
					for i+n < len(l) && l[i+n] == '`' {
						n++
					}
					closeAt := -1
					for j := i + n; j < len(l); {
						if l[j] != '`' {
							j++
							continue
						}
						m := 0
						for j+m < len(l) && l[j+m] == '`' {
							m++
						}
						if m == n {
							closeAt = j
							break
						}
						j += m
					}
					if closeAt < 0 {
						i += n
						continue
					}
					mark(o+i, o+closeAt+n, ctxCode)
					i = closeAt + n
				case strings.HasPrefix(l[i:], "<code>"):
					c := strings.Index(l[i:], "</code>")
					mark(o+i, o+i+c, ctxHTMLCode)
					i += c + len("</code>")
				case strings.HasPrefix(l[i:], "](https://"):
					c := strings.IndexByte(l[i:], ')')
					mark(o+i+2, o+i+c, ctxLinkDest)
					i += c + 1
				default:
					i++
				}
			}
		}
		o += end + 1
	}
	return out
}

var (
	ghRef       = regexp.MustCompile(`(?i)gh-\d|#\d|www\.|://`)
	textEscaped = "\\`*_[]~$"
)

// inertProblems lists what a hostile value between QQ and ZZ could do in
// md; empty when it can do nothing.
func inertProblems(md string) []string {
	var out []string
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " \t"), "::") {
			out = append(out, fmt.Sprintf("line starts a workflow command: %q", l))
		}
	}
	for _, l := range strings.Split(md, "\n") {
		if strings.Contains(l, "##[") && !strings.HasPrefix(l, markerStart) {
			out = append(out, fmt.Sprintf("line holds a legacy workflow command ##[: %q", l))
		}
	}
	cs := contexts(md)
	found := 0
	for i := 0; ; {
		a := strings.Index(md[i:], "QQ")
		if a < 0 {
			break
		}
		a += i
		b := strings.Index(md[a:], "ZZ")
		if b < 0 {
			out = append(out, fmt.Sprintf("value opened at byte %d never closes: %q", a, md[a:]))
			break
		}
		b += a + 2
		i = b
		c := cs[a]
		if c == ctxHidden {
			// The marker line belongs to Marker, which the comment
			// command matches byte for byte; it is not rendered.
			continue
		}
		found++
		seg := md[a:b]
		for j := a; j < b; j++ {
			if cs[j] != c {
				out = append(out, fmt.Sprintf("value leaves its %s for %s: %q", ctxNames[c], ctxNames[cs[j]], seg))
				break
			}
		}
		line := md[strings.LastIndexByte(md[:a], '\n')+1:]
		if strings.HasPrefix(line, "| ") && strings.Contains(strings.ReplaceAll(seg, `\|`, ""), "|") {
			out = append(out, fmt.Sprintf("unescaped pipe splits a table cell: %q", seg))
		}
		for k, r := range seg {
			if r == wordJoiner {
				continue
			}
			if r == '\n' || invisible(r) {
				out = append(out, fmt.Sprintf("raw %U at %d in %s: %q", r, k, ctxNames[c], seg))
			}
		}
		switch c {
		case ctxText:
			out = append(out, textProblems(seg)...)
		case ctxHTMLCode:
			if strings.ContainsAny(seg, `<>"`) || strings.Contains(strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "", "&#34;", "", "&#39;", "").Replace(seg), "&") {
				out = append(out, fmt.Sprintf("raw markup in HTML code: %q", seg))
			}
		case ctxLinkDest:
			if strings.ContainsAny(seg, " ()<>[]`\"'\\|") {
				out = append(out, fmt.Sprintf("link destination holds a character that ends it: %q", seg))
			}
		}
	}
	if found == 0 {
		out = append(out, "the value is nowhere in the document")
	}
	return out
}

func textProblems(seg string) []string {
	var out []string
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c == '\\' && i+1 < len(seg) && strings.IndexByte(textEscaped+"|", seg[i+1]) >= 0:
			i++ // an escape pair (a pipe is escaped in table cells)
		case strings.IndexByte(textEscaped, c) >= 0:
			out = append(out, fmt.Sprintf("unescaped %q in text: %q", c, seg))
		case c == '<' || c == '>':
			out = append(out, fmt.Sprintf("raw %q in text: %q", c, seg))
		case c == '&' && !strings.HasPrefix(seg[i:], "&amp;") && !strings.HasPrefix(seg[i:], "&lt;") && !strings.HasPrefix(seg[i:], "&gt;"):
			out = append(out, fmt.Sprintf("entity in text: %q", seg))
		case (c == '@' || c == '#') && !strings.HasPrefix(seg[i+1:], string(wordJoiner)):
			out = append(out, fmt.Sprintf("%q not broken in text: %q", c, seg))
		}
	}
	if m := ghRef.FindString(seg); m != "" {
		out = append(out, fmt.Sprintf("reference or link %q in text: %q", m, seg))
	}
	return out
}
