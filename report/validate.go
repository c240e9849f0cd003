package report

import (
	"fmt"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// ValidationMarkdown is the job summary of a successful validate: the
// config's marker and the agent count. A failed one is FailureMarkdown.
func ValidationMarkdown(config string, agents int) string {
	return Marker(config) + "\n" +
		fmt.Sprintf("### ✅ pipecat-gitops validate: %s, %s valid\n", mdCode(config), plural(agents, "agent"))
}

// ErrorLines are the plan's errors as the terminal shows them, one line
// each ("error: agent bot: region: replace needs --allow-replace ...").
func ErrorLines(p *plan.Plan) []string {
	var out []string
	for _, f := range sortedFindings(p.Findings) {
		if f.Severity == plan.Error {
			out = append(out, findingText(f, p.Config, painter(false)))
		}
	}
	return out
}

// FailureMarkdown is the summary of a plan or apply that failed before it
// had a result (an invalid config, an API failure): the marker, a headline
// that says so, the error lines in a code block (errors first, each with
// its file:line:col where it has one; a line break inside a line is shown
// escaped) and the footer naming the commit.
func FailureMarkdown(subject string, errLines []string, m Meta) string {
	var b strings.Builder
	if subject == "apply" {
		// An apply's comment stands beside the plan's, never over it.
		b.WriteString(ApplyMarker(m.Config) + "\n")
		if IsFullSHA(m.Commit) {
			b.WriteString(CommitMarker(m.Commit) + "\n")
		}
	} else if subject == "preview" {
		// The preview comment's failure replaces it, never the plan's.
		b.WriteString(PreviewMarker(m.Config) + "\n")
	} else {
		b.WriteString(Marker(m.Config) + "\n")
	}
	fmt.Fprintf(&b, "### ❌ pipecat-gitops %s failed", subject)
	if m.Commit != "" {
		fmt.Fprintf(&b, " at commit %s", mdCode(shortSHA(m.Commit)))
	}
	b.WriteString("\n\n")
	lines := make([]string, len(errLines))
	for i, l := range errLines {
		lines[i] = terminalLine(l)
	}
	body := strings.Join(lines, "\n")
	fence := codeFence(body)
	b.WriteString(fence + "\n" + body + "\n" + fence + "\n\n")
	b.WriteString(footer(m.Config, m))
	return b.String()
}
