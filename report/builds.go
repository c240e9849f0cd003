package report

// Cloud builds in plans and results: every agent built from a context is
// listed with its context (what is uploaded: files, size, hash), how it
// compares with the base revision, and whether a build of it exists; a
// failed build's error and the end of its log are in the result.

import (
	"fmt"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/pack"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// buildChanges are the changes of agents built from a context, in plan
// order, no-ops included: their build input may be the news.
func buildChanges(p *plan.Plan) []plan.Change {
	var out []plan.Change
	for _, c := range p.Changes {
		if c.Build != nil {
			out = append(out, c)
		}
	}
	return out
}

// buildSource is where a build comes from: "agents/bot, us-west", with the
// Dockerfile when it is not the default.
func buildSource(b *plan.BuildPlan) string {
	s := b.Context
	if b.Dockerfile != pack.DefaultDockerfile {
		s += " (" + b.Dockerfile + ")"
	}
	if b.Region == "" {
		// The organization's default could not be read.
		return s + ", the organization's default region"
	}
	return s + ", " + b.Region
}

// buildContents is what is uploaded: "12 files, 3.4 KB".
func buildContents(b *plan.BuildPlan) string {
	return fmt.Sprintf("%s, %s", plural(b.Files, "file"), pack.FormatSize(b.Size))
}

// buildCompared says how the build input compares with the base revision.
func buildCompared(b *plan.BuildPlan, o plan.Options) string {
	base := o.Base
	switch b.Compared {
	case plan.CompareUnchanged:
		return "unchanged since " + base
	case plan.CompareChanged:
		if b.BaseContextHash != "" {
			return fmt.Sprintf("changed since %s (was %s)", base, b.BaseContextHash)
		}
		return "changed since " + base
	case plan.CompareNew:
		return "new since " + base
	}
	if o.Base != "" {
		return "not comparable (--base " + o.Base + " could not be read)"
	}
	return "not comparable without --base"
}

// buildOutcome says what apply does about the build, or what exists.
func buildOutcome(c plan.Change) string {
	b := c.Build
	switch {
	case c.Action == plan.Delete:
		return ""
	case c.Action != plan.NoOp && b.CachedBuildID != "":
		return "apply deploys the existing build " + b.CachedBuildID
	case c.Action != plan.NoOp:
		return "apply runs a cloud build"
	case b.CachedBuildID != "":
		return "built as " + b.CachedBuildID
	}
	return "no build of it yet"
}

// buildsText writes the "Cloud builds" section of a text plan.
func buildsText(sb *strings.Builder, p *plan.Plan) {
	cs := buildChanges(p)
	if len(cs) == 0 {
		return
	}
	head := "Cloud builds:"
	if n := summarize(p).Builds; n > 0 {
		head = fmt.Sprintf("Cloud builds (%s to run):", plural(n, "build"))
	}
	width := 0
	for _, c := range cs {
		width = max(width, len(terminalLine(c.Agent)))
	}
	sb.WriteString("\n" + head + "\n")
	for _, c := range cs {
		b := c.Build
		fmt.Fprintf(sb, "  %-*s  %s: %s, context %s; %s; %s\n", width, terminalLine(c.Agent),
			terminalLine(buildSource(b)), buildContents(b), terminalLine(b.ContextHash),
			terminalLine(buildCompared(b, p.Options)), terminalLine(buildOutcome(c)))
	}
}

// buildRowLabel counts the rows of the Markdown builds table the budget
// cut.
var buildRowLabel = &noun{"cloud build row", "cloud build rows"}

// buildsSection is the Markdown table of the agents built from a context.
func buildsSection(p *plan.Plan) *section {
	s := &section{head: "#### Cloud builds\n\n| Agent | Context | Uploaded | Context hash | Since base | Build |\n| --- | --- | --- | --- | --- | --- |\n", tail: "\n"}
	for _, c := range buildChanges(p) {
		b := c.Build
		s.add("| "+cell(mdCode(c.Agent))+" | "+cell(mdCode(buildSource(b)))+" | "+buildContents(b)+" | "+cell(mdCode(b.ContextHash))+
			" | "+cell(mdMessage(buildCompared(b, p.Options)))+" | "+cell(mdMessage(buildOutcome(c)))+" |\n", buildRowLabel)
	}
	return s
}

// resultBuild is the part of a result line about an agent's build that
// succeeded: "build ID" or "existing build ID".
func resultBuild(a apply.AgentResult) string {
	b := a.Build
	if b == nil || b.ID == "" || a.Outcome == apply.Failed {
		return ""
	}
	if b.Cached {
		return "existing build " + b.ID
	}
	return "build " + b.ID
}

// failedBuilds are the failed builds of r, each once, with the agents
// that waited for it.
func failedBuilds(r *apply.Result) []failedBuild {
	var out []failedBuild
	at := map[string]int{}
	for _, a := range r.Results {
		b := a.Build
		if b == nil || a.ErrorCode != apply.CodeBuildFailed {
			continue
		}
		key := b.ID + "\x00" + b.ContextHash
		if i, ok := at[key]; ok {
			out[i].agents = append(out[i].agents, a.Agent)
			continue
		}
		at[key] = len(out)
		out = append(out, failedBuild{build: b, agents: []string{a.Agent}})
	}
	return out
}

type failedBuild struct {
	build  *apply.BuildResult
	agents []string
}

// title names a failed build: "build ID of bot, twin".
func (f failedBuild) title() string {
	what := "the build"
	if f.build.ID != "" {
		what = "build " + f.build.ID
	}
	return what + " of " + strings.Join(f.agents, ", ")
}

// buildLogsText writes the end of the log of every failed build.
func buildLogsText(sb *strings.Builder, r *apply.Result) {
	for _, f := range failedBuilds(r) {
		b := f.build
		if len(b.Logs) == 0 && b.LogsURL == "" {
			continue
		}
		fmt.Fprintf(sb, "\nLog of %s", terminalLine(f.title()))
		if len(b.Logs) > 0 {
			fmt.Fprintf(sb, " (last %s)", plural(len(b.Logs), "line"))
		}
		if b.LogsURL != "" {
			sb.WriteString(", " + terminalLine(b.LogsURL))
		}
		sb.WriteString(":\n")
		for _, l := range b.Logs {
			sb.WriteString("  | " + terminalLine(l) + "\n")
		}
	}
}

// buildLogLabel counts the build logs the budget cut.
var buildLogLabel = &noun{"build log", "build logs"}

// buildLogsSection is the Markdown of the failed builds' logs.
func buildLogsSection(r *apply.Result) *section {
	s := &section{}
	for _, f := range failedBuilds(r) {
		b := f.build
		if len(b.Logs) == 0 && b.LogsURL == "" {
			continue
		}
		var body strings.Builder
		for _, l := range b.Logs {
			body.WriteString(terminalLine(l) + "\n")
		}
		var out strings.Builder
		fmt.Fprintf(&out, "<details><summary>Log of %s (last %s)</summary>\n\n", htmlCode(f.title()), plural(len(b.Logs), "line"))
		if u := mdURL(b.LogsURL); u != "" {
			out.WriteString("[The whole log](" + u + ")\n\n")
		}
		if body.Len() > 0 {
			fence := codeFence(body.String())
			out.WriteString(fence + "text\n" + body.String() + fence + "\n\n")
		}
		out.WriteString("</details>\n\n")
		s.add(out.String(), buildLogLabel)
	}
	return s
}
