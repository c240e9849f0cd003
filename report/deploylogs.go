package report

import (
	"fmt"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
)

// deployLogLabel counts the deployment logs the budget cut.
var deployLogLabel = &noun{"deployment log", "deployment logs"}

// deployLogsText writes the end of the log of every deployment that
// failed or did not become ready.
func deployLogsText(sb *strings.Builder, r *apply.Result) {
	for _, a := range r.Results {
		if len(a.Logs) == 0 {
			continue
		}
		fmt.Fprintf(sb, "\nLog of deployment %s of %s (last %s):\n", terminalLine(a.DeploymentID), terminalLine(a.Agent), plural(len(a.Logs), "line"))
		for _, l := range a.Logs {
			sb.WriteString("  | " + terminalLine(l) + "\n")
		}
	}
}

// deployLogsSection is the Markdown of those logs: each line one line of
// plain text in a fence no line can close.
func deployLogsSection(r *apply.Result) *section {
	s := &section{}
	for _, a := range r.Results {
		if len(a.Logs) == 0 {
			continue
		}
		var body strings.Builder
		for _, l := range a.Logs {
			body.WriteString(terminalLine(l) + "\n")
		}
		fence := codeFence(body.String())
		s.add(fmt.Sprintf("<details><summary>Log of deployment <code>%s</code> of <code>%s</code> (last %s)</summary>\n\n%stext\n%s%s\n\n</details>\n\n",
			htmlCode(a.DeploymentID), htmlCode(a.Agent), plural(len(a.Logs), "line"), fence, body.String(), fence), deployLogLabel)
	}
	return s
}
