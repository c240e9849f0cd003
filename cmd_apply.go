package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/github"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/report"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

func init() {
	register(command{name: "apply", summary: "make Pipecat Cloud match the config (or a saved plan)", run: cmdApply})
}

type applyFlags struct {
	file           string
	autoApprove    bool
	wait           bool
	waitTimeout    time.Duration
	allowReplace   bool
	redeployBuilds bool
	format         string
	summaryFile    string
	api            apiFlags
}

func cmdApply(ctx context.Context, e *env, args []string) error {
	var f applyFlags
	fs := newFlagSet(e, "apply", "apply [-f FILE | PLANFILE] [--auto-approve] [--parallelism N] [--wait] [--wait-timeout DURATION] [--allow-replace] [--redeploy-builds] [--format text|markdown|json] [--summary-file PATH]")
	fs.StringVarP(&f.file, "file", "f", "pipecat.yaml", "config file (ignored when a PLANFILE is given)")
	fs.BoolVar(&f.autoApprove, "auto-approve", false, "apply without asking for confirmation")
	fs.BoolVar(&f.wait, "wait", false, "wait until every changed agent is ready")
	fs.DurationVar(&f.waitTimeout, "wait-timeout", 5*time.Minute, "how long --wait waits for each agent")
	fs.BoolVar(&f.allowReplace, "allow-replace", false, "allow replacing (deleting and recreating) agents whose region changes")
	fs.BoolVar(&f.redeployBuilds, "redeploy-builds", false, "send buildId to every buildId agent, also unchanged ones")
	fs.StringVar(&f.format, "format", "text", "output format of the result: text, markdown or json")
	fs.StringVar(&f.summaryFile, "summary-file", "", "also write the Markdown rendering of the result to this file")
	f.api.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("apply: at most one PLANFILE, got %d arguments", fs.NArg())
	}
	if err := checkFormat(f.format); err != nil {
		return err
	}
	if err := f.api.check(); err != nil {
		return err
	}
	if f.waitTimeout <= 0 {
		return fmt.Errorf("--wait-timeout must be positive, not %s", f.waitTimeout)
	}
	planFile := fs.Arg(0)
	if planFile != "" && fs.Changed("file") {
		return errors.New("apply: give either -f FILE or a PLANFILE, not both")
	}

	// Read everything local before the first request.
	var (
		p   *plan.Plan
		cfg *schema.Config
		err error
	)
	if planFile != "" {
		p, err = plan.ReadFile(planFile)
	} else {
		cfg, err = e.loadConfig(f.file)
	}
	if err != nil {
		return err
	}
	client, closeAPI, err := e.connect(&f.api)
	if err != nil {
		return err
	}
	defer closeAPI()

	// The plan to execute: computed now, or a saved one checked against
	// the live state it was made from.
	if p == nil {
		if p, err = makePlan(ctx, client, cfg, e.repoPath(f.file), f.api.parallelism); err != nil {
			return err
		}
	} else if err := checkSavedPlan(ctx, client, p, f.api.parallelism); err != nil {
		return err
	}

	show := e.stdout
	if f.format != "text" {
		show = e.stderr // stdout carries only the result document
	}
	if err := report.PlanText(show, p, report.TextOptions{Color: e.useColor(show)}); err != nil {
		return err
	}
	if p.HasErrors() {
		return withHint(fmt.Errorf("preflight found %s; nothing was applied", plural(p.Summary.Errors, "error")),
			"fix the findings above (create the missing secret sets, fix regions), then run apply again")
	}
	willRun := p.Summary.HasChanges() || (f.redeployBuilds && hasBuildAgents(p))
	if !willRun {
		return e.finishApply(&apply.Result{Config: p.Config}, p, f)
	}
	// A saved plan was reviewed when it was made (as with terraform apply
	// PLANFILE); only a plan computed here needs a yes.
	if !f.autoApprove && planFile == "" {
		if err := e.confirm(show); err != nil {
			return err
		}
	}

	// Live rows on a terminal, one log line per change of state elsewhere.
	progress := report.NewProgress(e.stderr, e.isTTY(e.stderr), len(p.Changes))
	res := apply.Run(ctx, client, p, apply.Options{
		Parallelism:    f.api.parallelism,
		AllowReplace:   f.allowReplace,
		RedeployBuilds: f.redeployBuilds,
		Wait:           f.wait,
		WaitTimeout:    f.waitTimeout,
		Progress:       progress.Event,
	})
	return e.finishApply(res, p, f)
}

// checkSavedPlan re-reads the live state of every agent the plan names and
// refuses the plan when any of it moved since the plan was made.
func checkSavedPlan(ctx context.Context, client plan.Reader, p *plan.Plan, parallelism int) error {
	names := make([]string, len(p.Changes))
	for i, c := range p.Changes {
		names[i] = c.Agent
	}
	live, err := plan.Refresh(ctx, client, plan.RefreshOptions{Names: names, Parallelism: parallelism})
	if err != nil {
		return apiHint(err)
	}
	return plan.CheckStale(p, live)
}

func hasBuildAgents(p *plan.Plan) bool {
	for _, c := range p.Changes {
		if c.Desired != nil && c.Desired.BuildID != nil {
			return true
		}
	}
	return false
}

// confirm asks for "yes" on a terminal and refuses without one, because an
// unattended apply must say --auto-approve explicitly.
func (e *env) confirm(w io.Writer) error {
	if !e.isTTY(e.stdin) {
		return withHint(errors.New("apply needs confirmation, but standard input is not a terminal"),
			"rerun with --auto-approve to apply without asking (as CI does)")
	}
	fmt.Fprint(w, "\nDo you want to perform these actions? Only 'yes' will be accepted: ")
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("read confirmation: %w", err)
	}
	if strings.TrimSpace(line) != "yes" {
		return errors.New("apply cancelled: nothing was changed")
	}
	return nil
}

// finishApply renders the result, writes the summary and outputs, and
// turns failures into the exit code.
func (e *env) finishApply(res *apply.Result, p *plan.Plan, f applyFlags) error {
	md := report.ResultMarkdown(res, p, e.meta(p.Config))
	var err error
	switch f.format {
	case "json":
		err = report.ResultJSON(e.stdout, res)
	case "markdown":
		_, err = io.WriteString(e.stdout, md)
	default:
		err = report.ResultText(e.stdout, res, report.TextOptions{Color: e.useColor(e.stdout)})
	}
	if err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	if f.summaryFile != "" {
		if err := os.WriteFile(f.summaryFile, []byte(md), 0o644); err != nil {
			return fmt.Errorf("write summary: %w", err)
		}
	}
	failed := res.Failed()
	e.actionsOutputs(md, []github.Output{
		{Name: "has-changes", Value: strconv.FormatBool(p.Summary.HasChanges())},
		{Name: "created", Value: strconv.Itoa(res.Count(plan.Create))},
		{Name: "updated", Value: strconv.Itoa(res.Count(plan.Update))},
		{Name: "replaced", Value: strconv.Itoa(res.Count(plan.Replace))},
		{Name: "deleted", Value: strconv.Itoa(res.Count(plan.Delete))},
		{Name: "failed", Value: strconv.Itoa(failed)},
		{Name: "plan-file", Value: ""},
		{Name: "summary-file", Value: f.summaryFile},
	})
	switch {
	case res.Cancelled:
		return fmt.Errorf("apply interrupted: %d of %d changes not done", failed, len(res.Results))
	case failed > 0:
		return fmt.Errorf("apply: %d of %d changes failed", failed, len(res.Results))
	}
	return nil
}
