package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/report"
)

// showOptions are the flags of show.
type showOptions struct {
	planFile string
	format   string
}

func cmdShow(ctx context.Context, e *env, args []string) error {
	var o showOptions
	fs := newFlagSet(e, "show", "show PLANFILE [--format text|markdown|json]")
	fs.StringVar(&o.format, "format", "text", "output format: text, markdown or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return withHint(fmt.Errorf("show: give one PLANFILE, not %d arguments", fs.NArg()),
			"save a plan with: pipecat-gitops plan --out PLANFILE")
	}
	if err := checkFormat(o.format); err != nil {
		return err
	}
	o.planFile = fs.Arg(0)
	return runShow(e, o)
}

// runShow renders a saved plan exactly as plan rendered it, from the file
// alone: no API call, no key, nothing written but stdout.
func runShow(e *env, o showOptions) error {
	p, err := plan.ReadFile(o.planFile)
	if err != nil {
		if ext := filepath.Ext(o.planFile); ext == ".yaml" || ext == ".yml" {
			return withHint(err, "show reads a saved plan, not a config: pipecat-gitops plan -f "+o.planFile+" --out plan.json, then pipecat-gitops show plan.json")
		}
		return err
	}
	switch o.format {
	case "json":
		var buf bytes.Buffer
		if err = report.PlanJSON(&buf, p); err == nil {
			_, err = e.out.WriteData(buf.Bytes())
		}
	case "markdown":
		// The plan file does not say when it was made; the footer leaves
		// the time out rather than name the time it was shown.
		m := report.Meta{Config: p.Config, Commit: e.gh.sha, RunURL: e.gh.runURL()}
		_, err = io.WriteString(e.stdout, report.PlanMarkdown(p, m))
	default:
		err = report.PlanText(e.stdout, p, report.TextOptions{Color: e.useColor(e.stdout)})
	}
	if err != nil {
		return fmt.Errorf("show: %w", err)
	}
	return nil
}

var showDoc = commandDoc{
	summary: "Render a saved plan as text, Markdown or JSON; no API calls.",
	about:   "It shows exactly what 'pipecat-gitops apply PLANFILE' will do, so a reviewer can read a plan file without an API key. The output equals what plan printed, except that the Markdown footer has no time: the plan file does not record when it was made.",
	env: []envDoc{
		envColor,
		{"GITHUB_SHA, GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID", "the commit and workflow run named in the Markdown footer"},
	},
	exits: []exitDoc{
		{0, "the plan was shown (whatever it holds)"},
		{1, "the plan file cannot be read or is not a valid plan, or a flag or argument is wrong"},
	},
}
