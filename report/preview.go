package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/preview"
)

// MarkerPreview is the kind of the preview comment: a sticky comment of
// its own beside the plan comment, edited by every preview run of the
// pull request.
const MarkerPreview = "preview"

// PreviewMarker is the hidden first line of the preview comment for one
// config file, escaped as Marker is.
func PreviewMarker(config string) string {
	return markerStart + " " + MarkerPreview + ": " + markerText(config) + markerEnd
}

// StartURL is the endpoint that starts a session with an agent: the
// public API's POST /v1/public/{agentName}/start (OpenAPI: startService),
// called with an organization's public API key.
func StartURL(agent string) string {
	return "https://api.pipecat.daily.co/v1/public/" + agent + "/start"
}

// previewHeadline is the first visible line of a preview run.
func previewHeadline(r *preview.Result) string {
	switch r.Mode {
	case preview.ModeDestroy:
		return fmt.Sprintf("Preview agents of pull request #%d deleted", r.PR)
	case preview.ModeGC:
		return "Preview agents of closed pull requests deleted"
	}
	return fmt.Sprintf("Preview agents of pull request #%d", r.PR)
}

// previewChange is what the run did to one preview, in words.
func previewChange(a preview.Agent) string {
	switch a.Action {
	case plan.Create:
		return "created"
	case plan.Update:
		return "updated"
	case plan.Replace:
		return "replaced"
	case plan.Delete:
		return "deleted"
	}
	return "unchanged"
}

// previewStatus is one preview's status: ready, not ready, deleted, or
// the failure of its change.
func previewStatus(a preview.Agent) string {
	switch {
	case a.Outcome != "" && a.Outcome != "succeeded":
		s := a.Outcome
		if a.Error != "" {
			s += ": " + a.Error
		}
		return s
	case a.Action == plan.Delete:
		return "deleted"
	case a.Ready:
		return "ready"
	}
	return "not ready"
}

// live are the previews the run leaves running.
func live(r *preview.Result) []preview.Agent {
	var out []preview.Agent
	for _, a := range r.Agents {
		if a.Action != plan.Delete {
			out = append(out, a)
		}
	}
	return out
}

// PreviewText writes the terminal rendering of a preview run: a table of
// the preview agents and how to start a session with one.
func PreviewText(w io.Writer, r *preview.Result) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(previewHeadline(r) + "\n\n")
	if len(r.Agents) == 0 {
		bw.WriteString("No preview agents.\n")
		return bw.Flush()
	}
	rows := [][]string{{"PREVIEW AGENT", "OF", "CHANGE", "STATUS"}}
	for _, a := range r.Agents {
		rows = append(rows, []string{terminalLine(a.Name), terminalLine(a.Source), previewChange(a), terminalLine(previewStatus(a))})
	}
	widths := make([]int, 3)
	for _, row := range rows {
		for i := range widths {
			widths[i] = max(widths[i], len(row[i]))
		}
	}
	for _, row := range rows {
		for i := range widths {
			bw.WriteString(row[i] + strings.Repeat(" ", widths[i]-len(row[i])+2))
		}
		bw.WriteString(row[3] + "\n")
	}
	if l := live(r); len(l) > 0 {
		bw.WriteString("\nStart a session with a preview agent by its name, with a public API key:\n")
		for _, a := range l {
			fmt.Fprintf(bw, "  pipecat cloud agent start %s\n", terminalLine(a.Name))
		}
		fmt.Fprintf(bw, "  or POST %s\n", terminalLine(StartURL(l[0].Name)))
	}
	return bw.Flush()
}

// PreviewJSON writes r as JSON, indented two spaces; no agents is [].
func PreviewJSON(w io.Writer, r *preview.Result) error {
	q := *r
	if q.Agents == nil {
		q.Agents = []preview.Agent{}
	}
	return writeJSON(w, &q)
}

// PreviewMarkdown renders r as the preview comment: PreviewMarker, a
// table of the preview agents with their status, and how to start a
// session with each; the footer as the plan comment's. Agent names are
// the API's (lowercase letters, digits, hyphens), so the comment stays
// far below MaxCommentSize; messages are cut as in the plan comment.
func PreviewMarkdown(r *preview.Result, m Meta) string {
	config := m.Config
	if config == "" {
		config = r.Config
	}
	var b strings.Builder
	b.WriteString(PreviewMarker(config) + "\n")
	b.WriteString("### " + previewHeadline(r) + "\n\n")
	if len(r.Agents) == 0 {
		b.WriteString("This pull request changes no agent that gets a preview (`previews.agents`), so no preview agent runs.\n\n")
	} else {
		b.WriteString("| | Preview agent | Of | Change | Status |\n|---|---|---|---|---|\n")
		for _, a := range r.Agents {
			icon := "🟢"
			switch s := previewStatus(a); {
			case a.Outcome != "" && a.Outcome != "succeeded":
				icon = "🔴"
			case s == "deleted":
				icon = "🗑️"
			case s != "ready":
				icon = "🟡"
			}
			src := "–"
			if a.Source != "" {
				src = mdCode(a.Source)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", icon, cell(mdCode(a.Name)), cell(src), previewChange(a), cell(mdMessage(previewStatus(a))))
		}
		b.WriteString("\n")
	}
	if l := live(r); len(l) > 0 {
		b.WriteString("**Talk to the change:** start a session with the preview agent's name where your client names the agent, with your organization's public API key:\n\n```sh\n")
		for _, a := range l {
			b.WriteString("pipecat cloud agent start " + a.Name + "\n")
		}
		b.WriteString("curl -X POST " + StartURL(l[0].Name) + " \\\n  -H \"Authorization: Bearer $PIPECAT_PUBLIC_API_KEY\" \\\n  -H 'Content-Type: application/json' -d '{\"createDailyRoom\": true}'\n```\n\n")
	}
	if r.Mode == preview.ModeDeploy {
		b.WriteString("Each push to this pull request updates its previews in place; they are deleted when it closes. " +
			"They run this pull request's code with the settings of `previews.overrides`.\n\n")
	}
	b.WriteString(footer(config, m))
	return b.String()
}
