package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// ANSI colours, used only when TextOptions.Color is set.
const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
)

// fieldIndent starts a field line under its agent line.
const fieldIndent = "      "

// unmanagedLabel introduces the list of live agents the config does not
// declare and prune leaves alone.
const unmanagedLabel = "Unmanaged (live, not in the config; not changed): "

// textSymbol is the terraform-style prefix of an agent line, and the colour
// of its symbol.
func textSymbol(a plan.Action) (prefix, symbol, color string) {
	switch a {
	case plan.Create:
		return "  ", "+", ansiGreen
	case plan.Update:
		return "  ", "~", ansiYellow
	case plan.Delete:
		return "  ", "-", ansiRed
	case plan.Replace:
		return " ", "-/+", ansiMagenta
	}
	return "  ", " ", ""
}

type painter bool

func (p painter) paint(color, s string) string {
	if !p || color == "" {
		return s
	}
	return color + s + ansiReset
}

// PlanText writes the terminal rendering of p: one block per change in plan
// order (no-ops only counted), the unmanaged agents, the findings, and a
// last line with the counts. Every string from the config or the API goes
// through TerminalText's escaping.
func PlanText(w io.Writer, p *plan.Plan, o TextOptions) error {
	bw := bufio.NewWriter(w)
	pt := painter(o.Color)
	changes := changed(p)

	// One column for actions and values, so the plan reads as a table.
	names := make([]string, len(changes))
	paths := make([][]string, len(changes))
	col := 0
	for i, c := range changes {
		names[i] = terminalLine(c.Agent)
		prefix, symbol, _ := textSymbol(c.Action)
		col = max(col, len(prefix)+len(symbol)+1+len(names[i])+2)
		if c.Action == plan.Delete {
			continue
		}
		paths[i] = make([]string, len(c.Fields))
		for j, f := range c.Fields {
			paths[i][j] = terminalLine(f.Path)
			col = max(col, len(fieldIndent)+len(paths[i][j])+1+1)
		}
	}

	// A plan apply refuses says so first, with the errors.
	sum := summarize(p)
	if sum.Errors > 0 {
		fmt.Fprintf(bw, "%s %s; apply refuses this plan, nothing is sent.\n", pt.paint(ansiRed+ansiBold, "This plan cannot be applied:"), plural(sum.Errors, "error"))
		for _, f := range sortedFindings(p.Findings) {
			if f.Severity == plan.Error {
				bw.WriteString(findingText(f, p.Config, pt) + "\n")
			}
		}
		bw.WriteString("\n")
	}
	if line := targetLine(p); line != "" {
		bw.WriteString(line + "\n\n")
	}
	bw.WriteString(organizationText(p, pt))
	if len(changes) == 0 && len(changedSets(p)) == 0 && summarize(p).Organization == 0 {
		config := terminalLine(p.Config)
		if config == "" {
			config = "the config"
		}
		fmt.Fprintf(bw, "No changes. Live agents match %s.\n", config)
	}
	for i, c := range changes {
		prefix, symbol, color := textSymbol(c.Action)
		head := prefix + symbol + " " + names[i]
		fmt.Fprintf(bw, "%s%s %s%s%s", prefix, pt.paint(color, symbol), names[i], strings.Repeat(" ", col-len(head)), c.Action)
		if (c.Action == plan.Replace || c.Action == plan.Update) && c.Reason != "" {
			fmt.Fprintf(bw, " (%s)", terminalLine(oneLine(c.Reason)))
		}
		bw.WriteString("\n")
		if c.Action == plan.Delete {
			continue
		}
		for j, f := range c.Fields {
			label := fieldIndent + paths[i][j] + ":"
			bw.WriteString(label + strings.Repeat(" ", col-len(label)))
			if c.Action != plan.Create {
				bw.WriteString(literal(f.Before) + " -> ")
			}
			bw.WriteString(literal(f.After) + "\n")
		}
	}

	var sets strings.Builder
	setsText(&sets, p, pt, len(changes) > 0)
	bw.WriteString(sets.String())
	var builds strings.Builder
	buildsText(&builds, p)
	bw.WriteString(builds.String())

	if len(p.Unmanaged) > 0 {
		fmt.Fprintf(bw, "\n%s%s\n", unmanagedLabel, nameList(p.Unmanaged, maxUnmanaged, terminalLine))
	}
	if len(p.Previews) > 0 {
		fmt.Fprintf(bw, "\n%s\n", previewsLine(p.Previews))
	}

	if sum.Warnings > 0 {
		bw.WriteString("\n")
		for _, f := range p.Findings {
			if f.Severity != plan.Error {
				bw.WriteString(findingText(f, p.Config, pt) + "\n")
			}
		}
	}

	fmt.Fprintf(bw, "\n%s %s.\n", pt.paint(ansiBold, "Plan:"), planCounts(sum))
	if line := setCounts(p); line != "" {
		bw.WriteString(line + ".\n")
	}
	return bw.Flush()
}

// findingText is one finding on one line, compiler style:
// `error: agent voice-starter: secretSet: message (pipecat.yaml:12:16)`.
func findingText(f plan.Finding, config string, pt painter) string {
	color := ansiYellow
	if f.Severity == plan.Error {
		color = ansiRed
	}
	var b strings.Builder
	b.WriteString(pt.paint(color, f.Severity.String()+":"))
	if f.Agent != "" {
		b.WriteString(" agent " + terminalLine(f.Agent) + ":")
	}
	if f.Field != "" {
		b.WriteString(" " + terminalLine(f.Field) + ":")
	}
	b.WriteString(" " + terminalLines(f.Message, findingIndent))
	if pos := position(f, config); pos != "" {
		b.WriteString(" (" + terminalLine(pos) + ")")
	}
	return b.String()
}

// nameList joins at most limit names with ", ", adding "and N more" for
// the rest.
// previewsLine is the one line a plan says of the live preview agents:
// "Previews of pull requests #12, #14: 3 agents (...)".
func previewsLine(refs []plan.PreviewRef) string {
	prs := make([]string, len(refs))
	n := 0
	for i, r := range refs {
		prs[i] = "#" + strconv.Itoa(r.PR)
		n += len(r.Agents)
	}
	noun := "pull request"
	if len(refs) > 1 {
		noun += "s"
	}
	return fmt.Sprintf("Previews of %s %s: %s (kept by pipecat-gitops preview; never changed by plan or apply)",
		noun, nameList(prs, maxUnmanaged, func(s string) string { return s }), plural(n, "agent"))
}

func nameList(names []string, limit int, quote func(string) string) string {
	n := min(len(names), limit)
	parts := make([]string, 0, n+1)
	for _, name := range names[:n] {
		parts = append(parts, quote(name))
	}
	s := strings.Join(parts, ", ")
	if rest := len(names) - n; rest > 0 {
		s += fmt.Sprintf(" and %d more", rest)
	}
	return s
}

// Result statuses in the terminal: words rather than symbols, so CI logs can
// be searched for FAILED.
const (
	statusOK      = "ok"
	statusFailed  = "FAILED"
	statusSkipped = "skipped"
	statusUnknown = "UNKNOWN"
)

// ResultText writes the terminal rendering of r: one line per agent and a
// last line with the counts, with TerminalText's escaping.
func ResultText(w io.Writer, r *apply.Result, o TextOptions) error {
	bw := bufio.NewWriter(w)
	pt := painter(o.Color)
	bw.WriteString(organizationResult(r, false))
	if len(r.Results)+len(r.SecretSets) == 0 && r.Organization == nil {
		bw.WriteString("No changes to apply.\n")
	}
	// The secret sets first, as apply wrote them first, in the same
	// columns as the agents.
	var lines []apply.AgentResult
	for _, s := range setsAsAgents(r) {
		s.Agent = "secret set " + s.Agent
		lines = append(lines, s)
	}
	resultLines(bw, append(lines, r.Results...), pt)
	var logs strings.Builder
	buildLogsText(&logs, r)
	deployLogsText(&logs, r)
	bw.WriteString(logs.String())
	counts := r.Tally()
	if r.Cancelled {
		bw.WriteString("\n" + interruptedNote(withSets(counts, r)) + "\n")
	}
	fmt.Fprintf(bw, "\n%s %s.\n", pt.paint(ansiBold, "Apply:"), countsText(counts))
	if len(r.SecretSets) > 0 {
		fmt.Fprintf(bw, "%s: %s.\n", setLabel, countsText(r.TallySets()))
	}
	return bw.Flush()
}

// resultLines writes one line per result: status, name, action, detail.
func resultLines(bw *bufio.Writer, results []apply.AgentResult, pt painter) {
	names := make([]string, len(results))
	width := 0
	for i, a := range results {
		names[i] = terminalLine(a.Agent)
		width = max(width, len(names[i]))
	}
	for i, a := range results {
		status, color := statusOK, ansiGreen
		switch a.Outcome {
		case apply.Failed:
			status, color = statusFailed, ansiRed
		case apply.Skipped:
			status, color = statusSkipped, ansiYellow
		case apply.Unknown:
			status, color = statusUnknown, ansiYellow
		}
		fmt.Fprintf(bw, "%s%s  %-*s  %-7s  %s\n", pt.paint(color, status), strings.Repeat(" ", 7-len(status)),
			width, names[i], a.Action, terminalLines(resultDetail(a), strings.Repeat(" ", 7+2+width+2+7+2)))
	}
}

// resultDetail is what happened to one agent, in one line: the error for a
// failure, the deployment for a success, the note, and the duration.
func resultDetail(a apply.AgentResult) string {
	var parts []string
	switch a.Outcome {
	case apply.Succeeded:
		if a.DeploymentID != "" {
			parts = append(parts, "deployment "+a.DeploymentID)
		}
		if a.Ready {
			parts = append(parts, "ready")
		}
		if a.ReadinessUnknown {
			parts = append(parts, "readiness unknown (interrupted while waiting)")
		}
		if b := resultBuild(a); b != "" {
			parts = append(parts, b)
		}
	case apply.Skipped:
		parts = append(parts, "not started")
	}
	if a.Outcome != apply.Succeeded && a.Error != "" {
		msg := a.Error
		if a.ErrorCode != "" {
			msg = a.ErrorCode + ": " + msg
		}
		parts = append(parts, msg)
	}
	if a.Note != "" {
		parts = append(parts, a.Note)
	}
	s := strings.Join(parts, "; ")
	if a.Outcome == apply.Skipped {
		return s
	}
	if s != "" {
		s += " "
	}
	return s + "(" + durationText(a.Duration) + ")"
}

// findingIndent starts the continuation lines of a multi-line finding.
const findingIndent = "    "
