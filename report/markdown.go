package report

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// PlanMarkdown renders p as the pull-request comment. The marker names
// m.Config, or p.Config when m.Config is empty. Then come the headline
// counts, a caution block naming every agent to be deleted or replaced, a
// table of the changes, a <details> block per agent, the findings, the
// unmanaged agents and a footer.
//
// The result is at most MaxCommentSize bytes. Past that budget it drops
// <details> blocks (from the end), then table rows, then findings, and says
// so in one note linking to m.RunURL; then it writes the caution block's
// names more compactly. The marker, the headline and the name of every
// agent to be deleted or replaced always stay, with one exception no layout
// can avoid: when those names alone exceed the budget (thousands of deletes
// of long names; 3,000 names of 20 characters still fit), the block names
// as many as fit and says how many more there are.
func PlanMarkdown(p *plan.Plan, m Meta) string {
	config := m.Config
	if config == "" {
		config = p.Config
	}
	s := summarize(p)
	changes := changed(p)

	var top strings.Builder
	top.WriteString(Marker(config) + "\n")
	top.WriteString("### pipecat-gitops plan: " + planCounts(s) + "\n\n")
	if len(changes) == 0 {
		top.WriteString("No changes. Live agents match " + mdCode(config) + ".\n\n")
	}
	if s.Errors > 0 {
		fmt.Fprintf(&top, "> [!WARNING]\n> Preflight found %s: apply would fail until %s fixed. See the findings below.\n\n",
			plural(s.Errors, "error"), pick(s.Errors == 1, "it is", "they are"))
	}

	d := &mdDoc{top: top.String(), runURL: m.RunURL, subject: "plan"}
	d.caution = cautionBlock(changes, m.RunURL)

	table := &section{label: "rows", head: "| Agent | Action | Changed fields |\n| --- | --- | --- |\n", tail: "\n"}
	details := &section{label: "details"}
	for _, c := range changes {
		table.add(planRow(c))
		if len(c.Fields) > 0 {
			details.add(planDetails(c))
		}
	}
	findings := &section{label: "findings", head: "#### Findings\n\n", tail: "\n"}
	for _, f := range sortedFindings(p.Findings) {
		findings.add(findingMarkdown(f, p.Config))
	}
	d.sections = []*section{table, details, findings}
	d.cutOrder = []*section{details, table, findings}

	var bottom strings.Builder
	if len(p.Unmanaged) > 0 {
		bottom.WriteString("**Unmanaged** (live, not in the config; not changed): " + nameList(p.Unmanaged, maxUnmanaged, mdCode) + "\n\n")
	}
	bottom.WriteString(footer(config, m))
	d.bottom = bottom.String()
	return d.render()
}

// ResultMarkdown renders r as a comment with the same marker and style as
// the plan comment: a headline with the counts (✅ or ❌), a row per agent,
// and the footer. p, when not nil, gives the unchanged count. Past the size
// budget, rows of succeeded changes go first (from the end), then rows of
// failures.
func ResultMarkdown(r *apply.Result, p *plan.Plan, m Meta) string {
	config := m.Config
	if config == "" {
		config = r.Config
	}
	if config == "" && p != nil {
		config = p.Config
	}
	c := countResult(r)
	icon := "✅"
	if c.notDone() > 0 {
		icon = "❌"
	}
	var top strings.Builder
	top.WriteString(Marker(config) + "\n")
	fmt.Fprintf(&top, "### %s pipecat-gitops apply: %s", icon, c)
	if p != nil {
		fmt.Fprintf(&top, ", %d unchanged", summarize(p).NoOp)
	}
	top.WriteString("\n\n")
	if len(r.Results) == 0 {
		top.WriteString("No changes to apply.\n\n")
	}
	if r.Cancelled {
		top.WriteString("> [!WARNING]\n> " + interruptedNote(c) + "\n\n")
	}

	d := &mdDoc{top: top.String(), runURL: m.RunURL, subject: "result"}
	table := &section{label: "rows", head: "| | Agent | Action | Result |\n| --- | --- | --- | --- |\n", tail: "\n"}
	var failures []int
	for i, a := range r.Results {
		table.add(resultRow(a))
		if a.Outcome != apply.Succeeded {
			failures = append(failures, i)
		} else {
			table.order = append(table.order, i)
		}
	}
	// Successes are cut first: the failures are what the reader needs.
	table.order = append(table.order, failures...)
	d.sections = []*section{table}
	d.cutOrder = []*section{table}
	d.bottom = footer(config, m)
	return d.render()
}

func planRow(c plan.Change) string {
	action := c.Action.String()
	if c.Action == plan.Delete || c.Action == plan.Replace {
		action = "**" + action + "**"
	}
	paths := make([]string, len(c.Fields))
	for i, f := range c.Fields {
		paths[i] = mdCode(f.Path)
	}
	what := strings.Join(paths, ", ")
	if len(c.Fields) == 0 && c.Action == plan.Update && c.Reason != "" {
		what = "_" + mdEscape(c.Reason) + "_"
	}
	return "| " + cell(mdCode(c.Agent)) + " | " + action + " | " + cell(what) + " |\n"
}

// planDetails is one agent's fields as a diff block inside <details>.
func planDetails(c plan.Change) string {
	width := 0
	for _, f := range c.Fields {
		width = max(width, len(f.Path)+1)
	}
	var body strings.Builder
	for _, f := range c.Fields {
		label := f.Path + ":" + strings.Repeat(" ", width-len(f.Path)-1)
		if c.Action != plan.Create {
			body.WriteString("- " + label + " " + literal(f.Before) + "\n")
		}
		body.WriteString("+ " + label + " " + literal(f.After) + "\n")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary><code>%s</code> %s: %s</summary>\n\n",
		html.EscapeString(oneLine(c.Agent)), c.Action, plural(len(c.Fields), "field"))
	if c.Action == plan.Replace && c.Reason != "" {
		b.WriteString("Reason: " + mdEscape(c.Reason) + "\n\n")
	}
	fence := codeFence(body.String())
	b.WriteString(fence + "diff\n" + body.String() + fence + "\n\n</details>\n\n")
	return b.String()
}

func findingMarkdown(f plan.Finding, config string) string {
	var b strings.Builder
	if f.Severity == plan.Error {
		b.WriteString("- ❌ **error**")
	} else {
		b.WriteString("- ⚠️ **warning**")
	}
	if f.Agent != "" {
		b.WriteString(" agent " + mdCode(f.Agent))
	}
	if f.Field != "" {
		b.WriteString(" " + mdCode(f.Field))
	}
	b.WriteString(": " + mdEscape(f.Message))
	if pos := position(f, config); pos != "" {
		b.WriteString(" (" + mdCode(pos) + ")")
	}
	return b.String() + "\n"
}

func resultRow(a apply.AgentResult) string {
	icon := "✅"
	switch a.Outcome {
	case apply.Unknown:
		icon = "❔"
	case apply.Failed, apply.Skipped:
		icon = "❌"
	}
	var parts []string
	switch a.Outcome {
	case apply.Succeeded:
		if a.DeploymentID != "" {
			parts = append(parts, "deployment "+mdCode(a.DeploymentID))
		}
		if a.Ready {
			parts = append(parts, "ready")
		}
		if a.ReadinessUnknown {
			parts = append(parts, "readiness unknown (interrupted while waiting)")
		}
	case apply.Failed:
		parts = append(parts, "**failed**")
	case apply.Skipped:
		parts = append(parts, "**skipped** (not started)")
	case apply.Unknown:
		parts = append(parts, "**unknown**")
	}
	if a.Outcome != apply.Succeeded && a.Error != "" {
		msg := mdEscape(a.Error)
		if a.ErrorCode != "" {
			msg = mdCode(a.ErrorCode) + ": " + msg
		}
		parts = append(parts, msg)
	}
	if a.Note != "" {
		parts = append(parts, mdEscape(a.Note))
	}
	if a.Outcome != apply.Skipped {
		parts = append(parts, durationText(a.Duration))
	}
	return "| " + icon + " | " + cell(mdCode(a.Agent)) + " | " + a.Action.String() + " | " + cell(strings.Join(parts, " · ")) + " |\n"
}

// footer names the config, the commit, the time and the run, when known.
func footer(config string, m Meta) string {
	parts := []string{"pipecat-gitops", mdCode(config)}
	if m.Commit != "" {
		parts = append(parts, "commit "+mdCode(shortSHA(m.Commit)))
	}
	if !m.Time.IsZero() {
		parts = append(parts, m.Time.UTC().Format(time.RFC3339))
	}
	if m.RunURL != "" {
		parts = append(parts, "[workflow run]("+m.RunURL+")")
	}
	return "---\n<sub>" + strings.Join(parts, " · ") + "</sub>\n"
}

// cautionBlock returns the block naming every agent to be deleted or
// replaced, from the most to the least detailed layout; mdDoc.render uses
// the first that fits. The last layout names only as many as fit avail
// bytes. Nil when nothing is deleted or replaced.
func cautionBlock(changes []plan.Change, runURL string) []func(avail int) string {
	var dels, reps []plan.Change
	for _, c := range changes {
		switch c.Action {
		case plan.Delete:
			dels = append(dels, c)
		case plan.Replace:
			reps = append(reps, c)
		}
	}
	if len(dels)+len(reps) == 0 {
		return nil
	}
	var verbs []string
	if len(dels) > 0 {
		verbs = append(verbs, "deletes "+plural(len(dels), "agent"))
	}
	if len(reps) > 0 {
		verbs = append(verbs, "replaces "+plural(len(reps), "agent")+" (delete, then create)")
	}
	intro := "> [!CAUTION]\n> This plan " + strings.Join(verbs, " and ") + ".\n>\n"

	full := func(int) string {
		var b strings.Builder
		b.WriteString(intro)
		for _, c := range dels {
			b.WriteString("> - delete " + mdCode(c.Agent) + "\n")
		}
		for _, c := range reps {
			b.WriteString("> - replace " + mdCode(c.Agent))
			if c.Reason != "" {
				b.WriteString(": " + mdEscape(c.Reason))
			}
			b.WriteString("\n")
		}
		return b.String() + "\n"
	}
	// lists writes one paragraph per action, names joined by sep.
	lists := func(quote func(string) string, sep string) func(int) string {
		return func(int) string {
			var b strings.Builder
			b.WriteString(intro)
			for i, group := range [][]plan.Change{dels, reps} {
				if len(group) == 0 {
					continue
				}
				if i == 1 && len(dels) > 0 {
					b.WriteString(">\n")
				}
				fmt.Fprintf(&b, "> **%s (%d):** ", pick(i == 0, "Delete", "Replace"), len(group))
				for j, c := range group {
					if j > 0 {
						b.WriteString(sep)
					}
					b.WriteString(quote(c.Agent))
				}
				b.WriteString("\n")
			}
			return b.String() + "\n"
		}
	}
	// partial is the last resort: the names do not fit at all.
	partial := func(avail int) string {
		var b strings.Builder
		b.WriteString(intro + "> ")
		all := append(append([]plan.Change(nil), dels...), reps...)
		for i, c := range all {
			name := mdEscape(oneLine(c.Agent)) + " "
			rest := fmt.Sprintf("… and %d more not named here; full plan: %s\n\n", len(all)-i, runURLOr(runURL, "the workflow run"))
			if b.Len()+len(name)+len(rest) > avail {
				return b.String() + rest
			}
			b.WriteString(name)
		}
		return b.String() + "\n\n"
	}
	return []func(int) string{
		full,
		lists(mdCode, ", "),
		lists(func(s string) string { return mdEscape(oneLine(s)) }, ", "),
		lists(func(s string) string { return mdEscape(oneLine(s)) }, " "),
		partial,
	}
}

// section is a run of items (table rows, <details> blocks, findings) that
// the size budget may cut. head and tail frame the items and go with the
// last one kept.
type section struct {
	label      string // names the items in the truncation note
	head, tail string
	items      []string
	// order is the order in which items are cut; nil means from the end.
	order []int
}

func (s *section) add(item string) { s.items = append(s.items, item) }

// mdDoc is a comment under construction: fixed parts that always stay, the
// caution block's layouts, and the sections the budget may cut.
type mdDoc struct {
	top      string
	caution  []func(avail int) string
	sections []*section // in output order
	cutOrder []*section // which section loses items first
	bottom   string
	runURL   string
	subject  string // "plan" or "result", for the note's link
}

// render assembles the comment within MaxCommentSize bytes.
func (d *mdDoc) render() string {
	kept := make(map[*section][]bool, len(d.sections))
	size := len(d.top) + len(d.bottom)
	for _, s := range d.sections {
		k := make([]bool, len(s.items))
		for i := range k {
			k[i] = true
			size += len(s.items[i])
		}
		if len(s.items) > 0 {
			size += len(s.head) + len(s.tail)
		}
		kept[s] = k
	}
	caution, level := "", 0
	if len(d.caution) > 0 {
		caution = d.caution[0](MaxCommentSize)
	}
	size += len(caution)

	// Reserve room for the longest note this document could need, so that
	// cutting never has to be redone once the note is written.
	var reserve int
	if size > MaxCommentSize {
		var all []string
		for _, s := range d.cutOrder {
			all = append(all, fmt.Sprintf("%d %s", len(s.items), s.label))
		}
		reserve = len(d.note(all))
	}

	omitted := make(map[*section]int)
	for _, s := range d.cutOrder {
		order := s.order
		if order == nil {
			order = make([]int, len(s.items))
			for i := range order {
				order[i] = len(s.items) - 1 - i
			}
		}
		for _, i := range order {
			if size+reserve <= MaxCommentSize {
				break
			}
			kept[s][i] = false
			size -= len(s.items[i])
			omitted[s]++
			if omitted[s] == len(s.items) {
				size -= len(s.head) + len(s.tail)
			}
		}
	}
	for size+reserve > MaxCommentSize && level < len(d.caution)-1 {
		size -= len(caution)
		level++
		avail := MaxCommentSize - size - reserve
		caution = d.caution[level](avail)
		size += len(caution)
	}

	var b strings.Builder
	b.Grow(size + reserve)
	b.WriteString(d.top)
	b.WriteString(caution)
	var counts []string
	for _, s := range d.cutOrder {
		if omitted[s] > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", omitted[s], s.label))
		}
	}
	if len(counts) > 0 {
		b.WriteString(d.note(counts))
	}
	for _, s := range d.sections {
		if omitted[s] == len(s.items) {
			continue
		}
		b.WriteString(s.head)
		for i, item := range s.items {
			if kept[s][i] {
				b.WriteString(item)
			}
		}
		b.WriteString(s.tail)
	}
	b.WriteString(d.bottom)
	return b.String()
}

// note is the one line that says what the budget cut.
func (d *mdDoc) note(counts []string) string {
	s := "> [!NOTE]\n> Output truncated: " + strings.Join(counts, " / ") + " omitted."
	if d.runURL != "" {
		s += " Full " + d.subject + ": " + d.runURL
	}
	return s + "\n\n"
}

func runURLOr(url, fallback string) string {
	if url == "" {
		return fallback
	}
	return url
}

// mdText escapes text from user files and the API so Markdown and HTML
// take it literally; line breaks become spaces so it stays in its line or
// table cell.
var mdText = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "~", `\~`,
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"\r\n", " ", "\n", " ", "\r", " ",
)

func mdEscape(s string) string { return noControl(mdText.Replace(s)) }

// cell makes content safe inside a table cell: GitHub splits cells on
// every unescaped pipe, even inside code spans.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// mdCode writes s as a code span, with a backtick fence longer than any run
// of backticks inside it.
func mdCode(s string) string {
	s = oneLine(s)
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// codeFence returns a fence for a fenced code block that body cannot close.
func codeFence(body string) string {
	return strings.Repeat("`", max(3, longestRun(body, '`')+1))
}

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

var lineBreaks = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

func oneLine(s string) string { return noControl(lineBreaks.Replace(s)) }

// noControl replaces control characters (an API message may carry ANSI
// colour codes) with U+FFFD, which shows that something was there.
func noControl(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}
