package report

import (
	"fmt"
	"strings"
)

// ValidationMarkdown is the job summary of validate: the config's marker,
// then either the agent count or every error line in a code block (the
// lines are the ones validate prints, FILE:LINE:COL: path: message).
func ValidationMarkdown(config string, agents int, errs []string) string {
	var b strings.Builder
	b.WriteString(Marker(config) + "\n")
	if len(errs) == 0 {
		fmt.Fprintf(&b, "### ✅ pipecat-gitops validate: %s, %s valid\n", mdCode(config), plural(agents, "agent"))
		return b.String()
	}
	fmt.Fprintf(&b, "### ❌ pipecat-gitops validate: %s, %s\n\n", mdCode(config), plural(len(errs), "error"))
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = terminalLine(e)
	}
	body := strings.Join(lines, "\n")
	fence := codeFence(body)
	b.WriteString(fence + "\n" + body + "\n" + fence + "\n")
	return b.String()
}
