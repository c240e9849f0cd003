package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/github"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/report"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

func init() {
	register(command{name: "plan", summary: "show what apply would change", run: cmdPlan})
}

type planFlags struct {
	file             string
	out              string
	format           string
	summaryFile      string
	detailedExitcode bool
	api              apiFlags
}

func cmdPlan(ctx context.Context, e *env, args []string) error {
	var f planFlags
	fs := newFlagSet(e, "plan", "plan [-f FILE] [--out PLANFILE] [--format text|markdown|json] [--summary-file PATH] [--detailed-exitcode] [--parallelism N]")
	fs.StringVarP(&f.file, "file", "f", "pipecat.yaml", "config file")
	fs.StringVar(&f.out, "out", "", "save the plan (JSON, with live-state fingerprints) for apply")
	fs.StringVar(&f.format, "format", "text", "output format: text, markdown or json")
	fs.StringVar(&f.summaryFile, "summary-file", "", "also write the Markdown rendering to this file")
	fs.BoolVar(&f.detailedExitcode, "detailed-exitcode", false, "exit 2 when the plan has changes")
	f.api.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return withHint(fmt.Errorf("plan: unexpected argument %q", fs.Arg(0)), "the config is given with -f FILE")
	}
	if err := checkFormat(f.format); err != nil {
		return err
	}
	if err := f.api.check(); err != nil {
		return err
	}

	cfg, err := e.loadConfig(f.file)
	if err != nil {
		return err
	}
	client, closeAPI, err := e.connect(&f.api)
	if err != nil {
		return err
	}
	defer closeAPI()
	p, err := makePlan(ctx, client, cfg, e.repoPath(f.file), f.api.parallelism)
	if err != nil {
		return err
	}
	if err := e.writePlan(p, f.format, f.out, f.summaryFile); err != nil {
		return err
	}
	if p.HasErrors() {
		return fmt.Errorf("preflight found %s; apply would fail", plural(p.Summary.Errors, "error"))
	}
	if f.detailedExitcode && p.Summary.HasChanges() {
		return exitStatus(2)
	}
	return nil
}

// makePlan refreshes the live state the config needs and diffs it.
func makePlan(ctx context.Context, client *cloud.Client, cfg *schema.Config, configPath string, parallelism int) (*plan.Plan, error) {
	names := make([]string, len(cfg.Agents))
	for i, a := range cfg.Agents {
		names[i] = a.Name
	}
	live, err := plan.Refresh(ctx, client, plan.RefreshOptions{
		Names: names, AllDetails: cfg.Prune.Enabled, Preflight: true, Parallelism: parallelism,
	})
	if err != nil {
		return nil, apiHint(err)
	}
	p := plan.Diff(cfg, live)
	p.Config = configPath
	return p, nil
}

// writePlan renders the plan on stdout in the chosen format, saves it with
// --out, writes the Markdown with --summary-file, and reports to GitHub
// Actions when running there.
func (e *env) writePlan(p *plan.Plan, format, out, summaryFile string) error {
	md := report.PlanMarkdown(p, e.meta(p.Config))
	var err error
	switch format {
	case "json":
		err = report.PlanJSON(e.stdout, p)
	case "markdown":
		_, err = io.WriteString(e.stdout, md)
	default:
		err = report.PlanText(e.stdout, p, report.TextOptions{Color: e.useColor(e.stdout)})
	}
	if err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	if out != "" {
		var buf bytes.Buffer
		if err := report.PlanJSON(&buf, p); err != nil {
			return fmt.Errorf("save plan: %w", err)
		}
		if err := writeFileAtomic(out, buf.Bytes()); err != nil {
			return fmt.Errorf("save plan: %w", err)
		}
		fmt.Fprintf(e.stderr, "Saved the plan to %s; apply it with: pipecat-gitops apply %s\n", out, out)
	}
	if summaryFile != "" {
		if err := os.WriteFile(summaryFile, []byte(md), 0o644); err != nil {
			return fmt.Errorf("write summary: %w", err)
		}
	}
	if e.inActions() {
		e.annotateFindings(p)
		s := p.Summary
		e.actionsOutputs(md, []github.Output{
			{Name: "has-changes", Value: strconv.FormatBool(s.HasChanges())},
			{Name: "created", Value: strconv.Itoa(s.Create)},
			{Name: "updated", Value: strconv.Itoa(s.Update)},
			{Name: "replaced", Value: strconv.Itoa(s.Replace)},
			{Name: "deleted", Value: strconv.Itoa(s.Delete)},
			{Name: "failed", Value: "0"},
			{Name: "plan-file", Value: out},
			{Name: "summary-file", Value: summaryFile},
		})
	}
	return nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
