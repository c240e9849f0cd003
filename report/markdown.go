package report

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// Layout limits of the plan comment. They keep the first screen (about 25
// lines) to what a reviewer must see before anything else: the counts, the
// errors and the destructive changes.
const (
	// maxTopErrors errors are listed under the headline; the rest go to
	// the findings after the details.
	maxTopErrors = 8
	// maxCautionBullets destructive changes or fewer get a bullet each,
	// with the reason; more get one line per kind.
	maxCautionBullets = 5
	// maxCautionNames names per kind are on that line; the rest are
	// counted there and listed further down.
	maxCautionNames = 10
	// maxTableRows changes or fewer get a table row each; a larger plan
	// gets a row per action, because a row per agent would only repeat,
	// line for line, the list of <details> blocks after it.
	maxTableRows = 50
	// maxTextBytes bounds one message (finding, reason, API error) in a
	// comment, so that no single value can take the whole budget.
	maxTextBytes = 1000
)

// PlanMarkdown renders p as the pull-request comment, in this order:
//
//   - the marker and the headline: the counts, or, for a plan with
//     errors, that it cannot be applied and why, the counts after it;
//   - an alert with the errors (preflight errors and refusals, each with
//     its file:line; past maxTopErrors, the rest are counted and listed
//     with the findings; red: apply refuses the plan) and the plan-wide
//     warnings, which say that some checks did not run and so qualify
//     "no errors";
//   - an alert with the destructive changes: a bullet per agent with its
//     reason for up to maxCautionBullets of them, else one line per kind
//     naming up to maxCautionNames agents and counting the rest;
//   - an alert with the updates of a security field (shapes.go);
//   - in a large plan, the full list of those names in a <details> block;
//   - the table: a row per change (in plan order) for up to maxTableRows
//     changes, else a row per action with the agents and the changed
//     fields counted, security fields and rare ones first, the agents of
//     a field named when maxFieldNames or fewer;
//   - a <details> block with the diff of each agent that has fields: in
//     plan order, or grouped replace, create, update in a large plan,
//     where the creates or updates of one shape are one block;
//   - the note saying what the size budget cut, linking m.RunURL;
//   - the remaining findings (agent warnings, errors past the first
//     maxTopErrors); the unmanaged agents; the footer.
//
// The result is at most MaxCommentSize bytes. The budget goes to the
// destructive changes and the errors first, changes of security fields
// next, then creates, updates last, and within each to the change few
// agents make before the one many share: past it, routine update diffs
// are cut (the most common first), then create diffs, warnings, table
// rows of creates and updates, security diffs, replace diffs, and errors
// past the first maxTopErrors; then the full list of names is written
// more compactly. The marker, the headline, the alerts and the
// name of every agent to be deleted or replaced always stay, with one
// exception no layout can avoid: when those names alone exceed the budget
// (thousands of deletes of long names; 3,000 names of 20 characters still
// fit), the list names as many as fit and counts the others.
func PlanMarkdown(p *plan.Plan, m Meta) string {
	config := m.Config
	if config == "" {
		config = p.Config
	}
	s := summarize(p)
	changes := changed(p)
	big := len(changes) > maxTableRows
	var dels, reps []plan.Change
	for _, c := range changes {
		switch c.Action {
		case plan.Delete:
			dels = append(dels, c)
		case plan.Replace:
			reps = append(reps, c)
		}
	}

	// Findings: the first errors and the plan-wide warnings on top, the
	// rest after the details.
	var topFindings, restFindings []plan.Finding
	restErrors := 0
	for _, f := range sortedFindings(p.Findings) {
		switch {
		case f.Severity == plan.Error && len(topFindings) < maxTopErrors:
			topFindings = append(topFindings, f)
		case f.Severity == plan.Error:
			restFindings = append(restFindings, f)
			restErrors++
		case f.Agent == "":
			topFindings = append(topFindings, f)
		default:
			restFindings = append(restFindings, f)
		}
	}

	var top strings.Builder
	top.WriteString(Marker(config) + "\n")
	line := runLine("Planned", m)
	if s.Errors > 0 {
		// A plan apply refuses says so before anything else; its counts
		// come next, with the run.
		top.WriteString("### pipecat-gitops plan cannot be applied: " + plural(s.Errors, "error") + "\n\n")
		line = strings.TrimSpace("Plan: " + planCounts(s) + ". " + line)
	} else {
		top.WriteString("### pipecat-gitops plan: " + planCounts(s) + "\n\n")
	}
	if line != "" {
		top.WriteString(line + "\n\n")
	}
	if line := setCounts(p); line != "" {
		top.WriteString(line + ".\n\n")
	}
	if line := targetLine(p); line != "" {
		top.WriteString(mdEscape(line) + "\n\n")
	}
	top.WriteString(organizationMarkdown(p))
	if len(changes) == 0 && len(changedSets(p)) == 0 && s.Organization == 0 {
		top.WriteString("No changes. Live agents match " + mdCode(config) + ".\n\n")
	}
	top.WriteString(problemsAlert(topFindings, s.Errors, restErrors, p.Config))
	top.WriteString(cautionAlert(dels, reps, pick(big, "all listed below", "all in the table below")))
	top.WriteString(setCaution(p))
	top.WriteString(securityAlert(changes, pick(big, "all listed below", "all in the table below")))

	d := &mdDoc{top: top.String(), runURL: m.RunURL, subject: "plan"}
	if big {
		d.names = namesList(dels, reps, changes, m.RunURL)
	}
	counts := fieldCounts(changes)

	table := &section{head: "| Agent | Action | Changed fields |\n| --- | --- | --- |\n", tail: "\n"}
	if big {
		table.head = "| Action | Agents | Changed fields |\n| --- | ---: | --- |\n"
		for _, a := range []plan.Action{plan.Replace, plan.Delete, plan.Create, plan.Update} {
			if row := actionRow(a, changes); row != "" {
				table.add(row, nil)
			}
		}
	} else {
		for _, c := range changes {
			label := tableRowLabel
			if c.Action == plan.Delete || c.Action == plan.Replace || c.Action == plan.Update && securityChange(c) {
				label = nil // the complete list of their names: never cut
			}
			table.add(planRow(c), label)
		}
	}

	// The diffs: in plan order, or in a large plan one section per action
	// under a heading, so that a reader can find the creates among 300.
	// In a large plan the creates or updates of one shape are one block.
	var diffs []diffItem
	addDiff := func(s *section, c plan.Change, n int, text string) {
		s.items = append(s.items, item{text: text, label: diffLabels[c.Action], n: n})
		diffs = append(diffs, diffItem{s: s, index: len(s.items) - 1, action: c.Action,
			security: securityChange(c), common: max(n, commonness(c, counts))})
	}
	details := []*section{{}}
	if big {
		details = nil
		for _, a := range []plan.Action{plan.Replace, plan.Create, plan.Update} {
			group := &section{head: "#### " + diffHeadings[a] + "\n\n"}
			if a == plan.Replace {
				// Each replace is destroyed and made again: one by one.
				for _, c := range changes {
					if c.Action == a && len(c.Fields) > 0 {
						addDiff(group, c, 1, planDetails(c))
					}
				}
			} else {
				for _, g := range shapes(changes, a) {
					if len(g.changes) == 1 {
						addDiff(group, g.changes[0], 1, planDetails(g.changes[0]))
					} else {
						addDiff(group, g.changes[0], len(g.changes), groupDetails(g))
					}
				}
			}
			details = append(details, group)
		}
	} else {
		for _, c := range changes {
			if len(c.Fields) > 0 {
				addDiff(details[0], c, 1, planDetails(c))
			}
		}
	}
	sortForCut(diffs)

	findings := &section{head: "#### Warnings\n\n", tail: "\n"}
	if restErrors > 0 {
		findings.head = "#### Findings\n\n"
	}
	for _, f := range restFindings {
		findings.add(findingMarkdown(f, p.Config), pick(f.Severity == plan.Error, errorLabel, warningLabel))
	}

	// The secret sets, after the agents' table; a delete or replace is
	// never cut (the caution alert names it too).
	sets := &section{head: "| Secret set | Action | Keys and values |\n| --- | --- | --- |\n", tail: "\n"}
	for _, c := range changedSets(p) {
		label := setRowLabel
		if c.Action == plan.Delete || c.Action == plan.Replace {
			label = nil
		}
		sets.add(setRow(c), label)
	}
	builds := buildsSection(p)
	d.sections = append(append([]*section{table, sets}, details...), builds, findings)
	d.noteAfter = builds
	// The budget goes to destructive changes and errors first, changes of
	// secrets, placement or build next, then creates, updates last; the
	// change few agents make before the one many share. Cut in the
	// opposite order.
	cutDiffs := func(a plan.Action, security bool) {
		for _, x := range diffs {
			if x.action == a && x.security == security {
				d.cuts = append(d.cuts, cut{x.s, x.index})
			}
		}
	}
	cutDiffs(plan.Update, false)
	d.cutOrder(builds, buildRowLabel)
	cutDiffs(plan.Create, false)
	d.cutOrder(findings, warningLabel)
	d.cutOrder(table, tableRowLabel)
	d.cutOrder(sets, setRowLabel)
	cutDiffs(plan.Create, true)
	cutDiffs(plan.Update, true)
	cutDiffs(plan.Replace, false)
	cutDiffs(plan.Replace, true)
	d.cutOrder(findings, errorLabel)

	var bottom strings.Builder
	if len(p.Unmanaged) > 0 {
		bottom.WriteString("**Unmanaged** (live, not in the config; not changed): " + nameList(p.Unmanaged, maxUnmanaged, mdCode) + "\n\n")
	}
	if p.PreviewsEnabled {
		bottom.WriteString("**Previews** are enabled: the agents this pull request changes get preview agents (`NAME-prN`); " +
			"their names, status and how to talk to them are in the *Preview agents of pull request* comment below.\n\n")
	}
	if len(p.Previews) > 0 {
		bottom.WriteString("**Previews**" + strings.TrimPrefix(previewsLine(p.Previews), "Previews") + "\n\n")
	}
	bottom.WriteString(footer(config, m))
	d.bottom = bottom.String()
	return d.render()
}

// What the truncation note counts.
var (
	diffLabels = map[plan.Action]*noun{
		plan.Create:  {"create diff", "create diffs"},
		plan.Update:  {"update diff", "update diffs"},
		plan.Replace: {"replace diff", "replace diffs"},
	}
	diffHeadings  = map[plan.Action]string{plan.Create: "Creates", plan.Update: "Updates", plan.Replace: "Replaces"}
	tableRowLabel = &noun{"table row", "table rows"}
	setRowLabel   = &noun{"secret set row", "secret set rows"}
	warningLabel  = &noun{"warning", "warnings"}
	errorLabel    = &noun{"error", "errors"}
	resultLabel   = &noun{"row of a succeeded change", "rows of succeeded changes"}
	// appliedDiffLabel names the field diffs of an apply result.
	appliedDiffLabel = &noun{"field diff", "field diffs"}
	failureLabel     = &noun{"row of a failed change", "rows of failed changes"}
)

// problemsAlert lists the errors and plan-wide warnings shown under the
// headline; empty when there are none.
func problemsAlert(fs []plan.Finding, errors, more int, config string) string {
	if len(fs) == 0 {
		return ""
	}
	var b strings.Builder
	if errors > 0 {
		fmt.Fprintf(&b, "> [!CAUTION]\n> **Apply refuses this plan; nothing is sent.** It has %s; fix %s and plan again.\n>\n",
			plural(errors, "error"), pick(errors == 1, "it", "them"))
	} else {
		b.WriteString("> [!WARNING]\n> Some preflight checks did not run: apply may fail where they would have found an error.\n>\n")
	}
	for _, f := range fs {
		b.WriteString("> " + findingMarkdown(f, config))
	}
	if more > 0 {
		fmt.Fprintf(&b, "> - and %d more %s, listed under Findings below\n", more, pick(more == 1, "error", "errors"))
	}
	return b.String() + "\n"
}

// cautionAlert names the agents to be deleted or replaced: a bullet each
// with its reason when there are few, else one line per kind naming the
// first maxCautionNames and counting the rest (where is the complete
// list). Empty when nothing is deleted or replaced.
func cautionAlert(dels, reps []plan.Change, where string) string {
	if len(dels)+len(reps) == 0 {
		return ""
	}
	var verbs []string
	if len(dels) > 0 {
		verbs = append(verbs, "deletes "+plural(len(dels), "agent"))
	}
	if len(reps) > 0 {
		verbs = append(verbs, "replaces "+plural(len(reps), "agent")+" (delete, then create)")
	}
	var b strings.Builder
	b.WriteString("> [!CAUTION]\n> This plan " + strings.Join(verbs, " and ") + ".\n>\n")
	if len(dels)+len(reps) <= maxCautionBullets {
		for _, c := range dels {
			b.WriteString("> - delete " + mdCode(c.Agent) + "\n")
		}
		for _, c := range reps {
			b.WriteString("> - replace " + mdCode(c.Agent))
			if c.Reason != "" {
				b.WriteString(": " + mdMessage(c.Reason))
			}
			b.WriteString("\n")
		}
		return b.String() + "\n"
	}
	for _, group := range []struct {
		kind    string
		changes []plan.Change
	}{{"Delete", dels}, {"Replace", reps}} {
		if len(group.changes) == 0 {
			continue
		}
		fmt.Fprintf(&b, "> - **%s (%d):** %s", group.kind, len(group.changes), nameList(agents(group.changes), maxCautionNames, mdCode))
		if len(group.changes) > maxCautionNames {
			b.WriteString(" (" + where + ")")
		}
		b.WriteString("\n")
	}
	return b.String() + "\n"
}

func agents(cs []plan.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Agent
	}
	return out
}

// namesList returns the layouts, most detailed first, of the collapsed
// <details> block that names every agent the alerts could not name in
// full: of each kind of destructive change, and of each security field
// updated; mdDoc.render uses the first that fits. The last names only as
// many as fit avail bytes. Nil when the alerts named them all.
func namesList(dels, reps, changes []plan.Change, runURL string) []func(avail int) string {
	type group struct {
		kind    string
		changes []plan.Change
	}
	var groups []group
	var what []string
	for _, g := range []struct {
		kind, verb string
		changes    []plan.Change
	}{{"Delete", "delete", dels}, {"Replace", "replace", reps}} {
		if len(g.changes) > maxCautionNames {
			groups = append(groups, group{g.kind, g.changes})
			what = append(what, fmt.Sprintf("%d %sto %s", len(g.changes), pick(len(what) == 0, "agents ", ""), g.verb))
		}
	}
	paths, by := securityUpdates(changes)
	total := 0
	for _, p := range paths {
		total += len(by[p])
	}
	if total > maxCautionBullets {
		for _, p := range paths {
			if len(by[p]) > maxCautionNames {
				groups = append(groups, group{mdCode(p) + " changes", by[p]})
				what = append(what, fmt.Sprintf("%d %swhose %s changes", len(by[p]), pick(len(what) == 0, "agents ", ""), p))
			}
		}
	}
	if len(groups) == 0 {
		return nil
	}
	head := "<details><summary>The names of all " + joinAnd(what) + "</summary>\n\n"
	tail := "</details>\n\n"
	lists := func(quote func(string) string, sep string) func(int) string {
		return func(int) string {
			var b strings.Builder
			b.WriteString(head)
			for _, g := range groups {
				fmt.Fprintf(&b, "**%s (%d):** ", g.kind, len(g.changes))
				for j, c := range g.changes {
					if j > 0 {
						b.WriteString(sep)
					}
					b.WriteString(quote(c.Agent))
				}
				b.WriteString("\n\n")
			}
			return b.String() + tail
		}
	}
	// partial is the last resort: the names do not fit at all.
	partial := func(avail int) string {
		var b strings.Builder
		b.WriteString(head)
		var all []plan.Change
		for _, g := range groups {
			all = append(all, g.changes...)
		}
		for i, c := range all {
			name := mdEscape(c.Agent) + " "
			rest := fmt.Sprintf("… and %d more not named here; full plan: %s\n\n", len(all)-i, runLink(runURL, "the output of `pipecat-gitops plan`")) + tail
			if b.Len()+len(name)+len(rest) > avail {
				return b.String() + rest
			}
			b.WriteString(name)
		}
		return b.String() + "\n\n" + tail
	}
	return []func(int) string{
		lists(mdCode, ", "),
		lists(mdEscape, ", "),
		lists(mdEscape, " "),
		partial,
	}
}

// joinAnd joins "a", "b", "c" as "a, b and c".
func joinAnd(parts []string) string {
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// actionRow is the large plan's table row for one action: how many agents,
// and each changed field with the number of agents it changes in when that
// is not all of them. Empty when no change has that action.
func actionRow(a plan.Action, changes []plan.Change) string {
	n := 0
	count := map[string]int{}
	var paths []string
	for _, c := range changes {
		if c.Action != a {
			continue
		}
		n++
		for _, f := range c.Fields {
			if count[f.Path] == 0 {
				paths = append(paths, f.Path)
			}
			count[f.Path]++
		}
	}
	if n == 0 {
		return ""
	}
	// What a reviewer must see first: secrets, placement and build, then
	// the fields few agents change; ties keep plan order, which is schema
	// order.
	sort.SliceStable(paths, func(i, j int) bool {
		if si, sj := isSecurityField(paths[i]), isSecurityField(paths[j]); si != sj {
			return si
		}
		return count[paths[i]] < count[paths[j]]
	})
	fields := make([]string, len(paths))
	for i, p := range paths {
		fields[i] = mdCode(p)
		if count[p] < n {
			fields[i] += fmt.Sprintf(" (%d of %d", count[p], n)
			if count[p] <= maxFieldNames {
				var names []string
				for _, c := range changes {
					if c.Action == a && hasField(c, p) {
						names = append(names, mdCode(c.Agent))
					}
				}
				fields[i] += ": " + strings.Join(names, ", ")
			}
			fields[i] += ")"
		}
	}
	action := a.String()
	if a == plan.Delete || a == plan.Replace {
		action = "**" + action + "**"
	}
	return "| " + action + " | " + fmt.Sprint(n) + " | " + cell(strings.Join(fields, ", ")) + " |\n"
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
	c, sc := r.Tally(), r.TallySets()
	icon := "✅"
	if c.NotDone()+sc.NotDone() > 0 || r.Organization != nil && r.Organization.Outcome != apply.Succeeded {
		icon = "❌"
	}
	var top strings.Builder
	// Its own marker: the apply result is a comment beside the plan's,
	// which keeps the plan as it was reviewed. The commit line tells a
	// re-run of this apply (edit) from a later one (a new comment).
	top.WriteString(ApplyMarker(config) + "\n")
	if IsFullSHA(m.Commit) {
		top.WriteString(CommitMarker(m.Commit) + "\n")
	}
	fmt.Fprintf(&top, "### %s pipecat-gitops apply: %s", icon, countsText(c))
	if p != nil {
		fmt.Fprintf(&top, ", %d unchanged", summarize(p).NoOp)
	}
	top.WriteString("\n\n")
	if line := runLine("Applied", m); line != "" {
		top.WriteString(line + "\n\n")
	}
	if len(r.SecretSets) > 0 {
		top.WriteString(setLabel + ": " + countsText(sc) + ".\n\n")
	}
	top.WriteString(organizationResult(r, true))
	if len(r.Results)+len(r.SecretSets) == 0 && r.Organization == nil {
		top.WriteString("No changes to apply.\n\n")
	}
	if r.Cancelled {
		top.WriteString("> [!WARNING]\n> " + interruptedNote(withSets(c, r)) + "\n\n")
	}

	changes := map[string]plan.Change{}
	if p != nil {
		for _, ch := range p.Changes {
			changes[ch.Agent] = ch
		}
	}
	d := &mdDoc{top: top.String(), runURL: m.RunURL, subject: "result"}
	// The secret sets first, as apply wrote them first.
	sets := &section{head: "| | Secret set | Action | Result |\n| --- | --- | --- | --- |\n", tail: "\n"}
	for _, a := range setsAsAgents(r) {
		sets.add(setResultRow(a), pick(a.Outcome == apply.Succeeded, resultLabel, failureLabel))
	}
	table := &section{head: "| | Agent | Action | Changed | Result |\n| --- | --- | --- | --- | --- |\n", tail: "\n"}
	details := &section{}
	for _, a := range r.Results {
		ch := changes[a.Agent]
		table.add(resultRow(a, ch), pick(a.Outcome == apply.Succeeded, resultLabel, failureLabel))
		if len(ch.Fields) > 0 {
			details.add(planDetails(ch), appliedDiffLabel)
		}
	}
	logs := buildLogsSection(r)
	deployLogs := deployLogsSection(r)
	d.sections = []*section{sets, table, details, logs, deployLogs}
	d.noteAfter = deployLogs
	// The diffs go first, then successes: the failures and the build
	// logs are what the reader needs.
	d.cutOrder(details, appliedDiffLabel)
	d.cutOrder(table, resultLabel)
	d.cutOrder(sets, resultLabel)
	d.cutOrder(logs, buildLogLabel)
	d.cutOrder(deployLogs, deployLogLabel)
	d.cutOrder(table, failureLabel)
	d.cutOrder(sets, failureLabel)
	d.bottom = footer(config, m)
	return d.render()
}

// runLine says at which commit and by which run a plan or an apply was
// made ("Planned at commit abc1234 by the workflow run."), when known.
func runLine(verb string, m Meta) string {
	var parts []string
	if m.Commit != "" {
		parts = append(parts, verb+" at commit "+mdCode(shortSHA(m.Commit)))
	}
	if link := runLink(m.RunURL, ""); link != "" {
		if len(parts) == 0 {
			parts = append(parts, verb)
		}
		parts = append(parts, "by "+link)
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, " ") + "."
}

func planRow(c plan.Change) string {
	action := c.Action.String()
	if c.Action == plan.Delete || c.Action == plan.Replace {
		action = "**" + action + "**"
	}
	return "| " + cell(mdCode(c.Agent)) + " | " + action + " | " + cell(changedFields(c)) + " |\n"
}

// changedFields names the fields a change sets, or its reason when it sets
// none (a redeploy).
func changedFields(c plan.Change) string {
	paths := make([]string, len(c.Fields))
	for i, f := range c.Fields {
		paths[i] = mdCode(f.Path)
	}
	if len(c.Fields) == 0 && c.Action == plan.Update && c.Reason != "" {
		return "_" + mdMessage(c.Reason) + "_"
	}
	return strings.Join(paths, ", ")
}

// planDetails is one agent's fields as a diff block inside <details>.
func planDetails(c plan.Change) string {
	paths := make([]string, len(c.Fields))
	width := 0
	for i, f := range c.Fields {
		paths[i] = terminalLine(f.Path)
		width = max(width, utf8.RuneCountInString(paths[i])+1)
	}
	var body strings.Builder
	for i, f := range c.Fields {
		label := paths[i] + ":" + strings.Repeat(" ", width-utf8.RuneCountInString(paths[i])-1)
		if c.Action != plan.Create {
			body.WriteString("- " + label + " " + literal(f.Before) + "\n")
		}
		body.WriteString("+ " + label + " " + literal(f.After) + "\n")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary><code>%s</code> %s: %s</summary>\n\n",
		htmlCode(c.Agent), c.Action, plural(len(c.Fields), "field"))
	if c.Action == plan.Replace && c.Reason != "" {
		b.WriteString("Reason: " + mdMessage(c.Reason) + "\n\n")
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
	b.WriteString(": " + mdMessage(f.Message))
	if pos := position(f, config); pos != "" {
		b.WriteString(" (" + mdCode(pos) + ")")
	}
	return b.String() + "\n"
}

// resultRow is one agent's row of the apply comment: what it changed
// (from the plan) and how it ended.
func resultRow(a apply.AgentResult, c plan.Change) string {
	icon, result := resultCells(a)
	return "| " + icon + " | " + cell(mdCode(a.Agent)) + " | " + a.Action.String() + " | " + cell(changedFields(c)) + " | " + cell(result) + " |\n"
}

// setResultRow is one secret set's row of the apply comment.
func setResultRow(a apply.AgentResult) string {
	icon, result := resultCells(a)
	return "| " + icon + " | " + cell(mdCode(a.Agent)) + " | " + a.Action.String() + " | " + cell(result) + " |\n"
}

// resultCells are the icon and the result text of one outcome.
func resultCells(a apply.AgentResult) (icon, result string) {
	icon = "✅"
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
		if b := resultBuild(a); b != "" {
			parts = append(parts, mdMessage(b))
		}
	case apply.Failed:
		parts = append(parts, "**failed**")
	case apply.Skipped:
		parts = append(parts, "**skipped** (not started)")
	case apply.Unknown:
		parts = append(parts, "**unknown**")
	}
	if a.Outcome != apply.Succeeded && a.Error != "" {
		msg := mdMessage(a.Error)
		if a.ErrorCode != "" {
			msg = mdCode(a.ErrorCode) + ": " + msg
		}
		parts = append(parts, msg)
	}
	if a.Note != "" {
		parts = append(parts, mdMessage(a.Note))
	}
	if b := a.Build; b != nil && a.Outcome == apply.Failed {
		if u := mdURL(b.LogsURL); u != "" {
			parts = append(parts, "[build log]("+u+")")
		}
	}
	if a.Outcome != apply.Skipped {
		parts = append(parts, durationText(a.Duration))
	}
	return icon, strings.Join(parts, " · ")
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
	if u := mdURL(m.RunURL); u != "" {
		parts = append(parts, "[workflow run]("+u+")")
	}
	return "---\n<sub>" + strings.Join(parts, " · ") + "</sub>\n"
}

// noun names what the truncation note counts.
type noun struct{ one, many string }

// item is one piece of a section the budget may cut; label is nil for an
// item that always stays.
type item struct {
	text  string
	label *noun
	n     int // how many the note counts when it is cut; 0 is 1
}

// section is a run of items (table rows, <details> blocks, findings). head
// and tail frame the items and go with the last one kept.
type section struct {
	head, tail string
	items      []item
}

func (s *section) add(text string, label *noun) {
	s.items = append(s.items, item{text: text, label: label})
}

// mdDoc is a comment under construction: fixed parts that always stay,
// the layouts of the destructive names list, and the sections the budget
// may cut.
type mdDoc struct {
	top   string
	names []func(avail int) string
	// sections are in output order; the truncation note goes after
	// noteAfter.
	sections  []*section
	noteAfter *section
	// cuts is the order in which items are cut.
	cuts    []cut
	bottom  string
	runURL  string
	subject string // "plan" or "result", for the note
}

type cut struct {
	s *section
	i int
}

// cutOrder appends the items of s labelled label to the cut order, from
// the last to the first.
func (d *mdDoc) cutOrder(s *section, label *noun) {
	for i := len(s.items) - 1; i >= 0; i-- {
		if s.items[i].label == label {
			d.cuts = append(d.cuts, cut{s, i})
		}
	}
}

// render assembles the comment within MaxCommentSize bytes.
func (d *mdDoc) render() string {
	kept := make(map[*section][]bool, len(d.sections))
	size := len(d.top) + len(d.bottom)
	for _, s := range d.sections {
		k := make([]bool, len(s.items))
		for i := range k {
			k[i] = true
			size += len(s.items[i].text)
		}
		if len(s.items) > 0 {
			size += len(s.head) + len(s.tail)
		}
		kept[s] = k
	}
	names, level := "", 0
	if len(d.names) > 0 {
		names = d.names[0](MaxCommentSize)
	}
	size += len(names)

	// The labels in the order the note lists them, with how many items
	// each could lose.
	var labels []*noun
	total := map[*noun]int{}
	for _, c := range d.cuts {
		l := c.s.items[c.i].label
		if total[l] == 0 {
			labels = append(labels, l)
		}
		total[l] += max(1, c.s.items[c.i].n)
	}
	// Reserve room for the longest note this document could need, so that
	// cutting never has to be redone once the note is written.
	var reserve int
	if size > MaxCommentSize {
		reserve = len(d.note(labels, total))
	}

	omitted := map[*noun]int{}
	left := map[*section]int{}
	for _, s := range d.sections {
		left[s] = len(s.items)
	}
	for _, c := range d.cuts {
		if size+reserve <= MaxCommentSize {
			break
		}
		kept[c.s][c.i] = false
		size -= len(c.s.items[c.i].text)
		omitted[c.s.items[c.i].label] += max(1, c.s.items[c.i].n)
		if left[c.s]--; left[c.s] == 0 {
			size -= len(c.s.head) + len(c.s.tail)
		}
	}
	for size+reserve > MaxCommentSize && level < len(d.names)-1 {
		size -= len(names)
		level++
		names = d.names[level](MaxCommentSize - size - reserve)
		size += len(names)
	}

	var b strings.Builder
	b.Grow(size + reserve)
	b.WriteString(d.top)
	b.WriteString(names)
	for _, s := range d.sections {
		if left[s] > 0 {
			b.WriteString(s.head)
			for i, it := range s.items {
				if kept[s][i] {
					b.WriteString(it.text)
				}
			}
			b.WriteString(s.tail)
		}
		if s == d.noteAfter && len(omitted) > 0 {
			b.WriteString(d.note(labels, omitted))
		}
	}
	b.WriteString(d.bottom)
	return b.String()
}

// note says what the budget cut, counted per label, and where the whole
// document is.
func (d *mdDoc) note(labels []*noun, counts map[*noun]int) string {
	var parts []string
	for _, l := range labels {
		if n := counts[l]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, pick(n == 1, l.one, l.many)))
		}
	}
	return "> [!NOTE]\n> Left out to fit GitHub's comment size limit: " + strings.Join(parts, ", ") +
		". The full " + d.subject + " is in " + runLink(d.runURL, "the output of `pipecat-gitops "+pick(d.subject == "plan", "plan", "apply")+"`") + ".\n\n"
}

// runLink links the workflow run, or names fallback when there is none.
func runLink(url, fallback string) string {
	if u := mdURL(url); u != "" {
		return "the [workflow run](" + u + ")"
	}
	return fallback
}

// mdMessage is a free-text message (a finding, a reason, an API error) in
// a comment: escaped, on one line, and at most maxTextBytes long.
func mdMessage(s string) string {
	if len(s) > maxTextBytes {
		cut := maxTextBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return mdEscape(s)
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func pick[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}
