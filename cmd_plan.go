package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/pipecat-gitops/pipecat-gitops/github"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/report"
)

// planOptions are the flags of plan.
type planOptions struct {
	file             string
	out              string
	format           string
	summaryFile      string
	detailedExitcode bool
	failOnUnhealthy  bool
	decisions        decisionFlags
	api              apiFlags
}

// decisionFlags are the flags that change what a plan does; plan and apply
// -f take them, and they are recorded in the plan.
type decisionFlags struct {
	allowReplace           bool
	redeployBuilds         bool
	redeploy               []string
	updateImagePullSecrets bool
	targets                []string
	base                   string
}

func (f *decisionFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.allowReplace, "allow-replace", false, "plan the replacement (delete, then create) of agents whose region changes; without it such a change is an error")
	fs.BoolVar(&f.redeployBuilds, "redeploy-builds", false, "plan an update of every agent deployed from a build (build or buildId), also unchanged ones (the API cannot tell which build runs)")
	fs.StringArrayVar(&f.redeploy, "redeploy", nil, "plan a forced redeploy (forceRedeploy) of this agent name or glob (repeatable) when it is otherwise unchanged: a mutable tag such as latest is pulled again")
	fs.BoolVar(&f.updateImagePullSecrets, "update-image-pull-secrets", false, "plan sending the credentials of every declared image pull secret set again (the API cannot return them, so no plan sees them change)")
	fs.StringArrayVar(&f.targets, "target", nil, "limit the plan to this agent name or glob (repeatable); prune considers only those")
	fs.StringVar(&f.base, "base", "", "compare build, buildId and managedKeys, which the API never returns, with the config and build contexts at this git `REF` (what its apply deployed)")
}

// decisionFlagNames are the flags decisionFlags registers.
var decisionFlagNames = []string{"allow-replace", "redeploy-builds", "redeploy", "update-image-pull-secrets", "target", "base"}

// options are the plan options of the flags. The values of declared
// secret sets are read from the environment, and their fingerprints are
// keyed with the API key the command uses.
func (f decisionFlags) options(e *env, api *apiFlags, config string) plan.Options {
	return plan.Options{Config: config, Parallelism: api.parallelism, AllowReplace: f.allowReplace, RedeployBuilds: f.redeployBuilds, Redeploy: f.redeploy,
		UpdateImagePullSecrets: f.updateImagePullSecrets, Targets: f.targets, Base: f.base,
		SecretValue: e.secretLookup, FingerprintKey: api.fingerprintKey(e)}
}

func cmdPlan(ctx context.Context, e *env, args []string) error {
	var o planOptions
	fs := newFlagSet(e, "plan", "plan [-f FILE] [--out PLANFILE] [--format text|markdown|json] [--summary-file PATH] [--detailed-exitcode [--fail-on-unhealthy]] [--target NAME]... [--allow-replace] [--redeploy-builds] [--redeploy NAME]... [--update-image-pull-secrets] [--base REF] [--parallelism N] [--timeout DURATION]")
	fs.StringVarP(&o.file, "file", "f", "pipecat.yaml", "config file")
	fs.StringVar(&o.out, "out", "", "save the plan (JSON, with live-state fingerprints) for apply")
	fs.StringVar(&o.format, "format", "text", "output format: text, markdown or json")
	fs.StringVar(&o.summaryFile, "summary-file", "", "also write the Markdown rendering to this file")
	fs.BoolVar(&o.detailedExitcode, "detailed-exitcode", false, "exit 2 when the plan has changes")
	fs.BoolVar(&o.failOnUnhealthy, "fail-on-unhealthy", false, "with --detailed-exitcode, also exit 2 when a managed agent is not ready or its revision failed")
	o.decisions.register(fs)
	o.api.register(fs)
	o.api.registerTimeout(fs, defaultTimeout, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		if err := configArgument("plan", fs.Arg(0)); err != nil {
			return err
		}
		return withHint(fmt.Errorf("plan: unexpected argument %q", fs.Arg(0)), "the config is given with -f FILE")
	}
	if err := checkFormat(o.format); err != nil {
		return err
	}
	if err := o.api.check(); err != nil {
		return err
	}
	return runPlan(ctx, e, o)
}

func runPlan(ctx context.Context, e *env, o planOptions) error {
	ctx, cancel := o.api.withTimeout(ctx)
	defer cancel()
	p, err := e.makePlan(ctx, o)
	if err == nil {
		// A plan of nothing is not shown: it would read "No changes".
		err = targetMiss(p)
	}
	if err != nil {
		err = timedOut(ctx, err)
		// The summary (and so the PR comment) must say so: an older,
		// green plan must not stay up.
		e.reportFailure("plan", e.repoPath(o.file), o.summaryFile, err)
		return err
	}
	if o.out != "" {
		var buf bytes.Buffer
		if err := report.PlanJSON(&buf, p); err != nil {
			return fmt.Errorf("save plan: %w", err)
		}
		if err := e.writeDoc(o.out, buf.Bytes(), false, "apply refuses this plan as edited"); err != nil {
			return fmt.Errorf("save plan: %w", err)
		}
		fmt.Fprintf(e.stderr, "Saved the plan to %s; apply it with: %s\n", report.TerminalText(o.out),
			report.TerminalText("pipecat-gitops apply"+o.api.given()+" "+shellWord(o.out)))
	}
	if err := e.emit(e.planResult(p, o.out, o.summaryFile), o.format, o.summaryFile); err != nil {
		return err
	}
	if p.HasErrors() {
		return fmt.Errorf("the plan has %s; apply would refuse it", plural(p.Summary.Errors, "error"))
	}
	if o.detailedExitcode && (p.Summary.HasChanges() || (o.failOnUnhealthy && p.Summary.Unhealthy > 0)) {
		return exitStatus(2)
	}
	return nil
}

// targetMiss is the error of a plan whose --target globs match no agent,
// with their did-you-mean as hints; nil when every glob matched.
func targetMiss(p *plan.Plan) error {
	var msgs, hints []string
	for _, f := range p.Findings {
		if f.Kind == plan.KindTarget {
			msg, near, _ := strings.Cut(f.Message, "; did you mean ")
			msgs = append(msgs, msg)
			if near != "" {
				hints = append(hints, "did you mean "+near)
			}
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return withHint(errors.New(strings.Join(msgs, "; ")), append(hints, "a target is an agent name or a glob (voice-*) of the config or the organization")...)
}

// makePlan loads the config and makes the plan.
func (e *env) makePlan(ctx context.Context, o planOptions) (*plan.Plan, error) {
	cfg, err := e.loadConfig(ctx, o.file)
	if err != nil {
		return nil, err
	}
	e.guardSecretSets(o.api.fingerprintKey(e), configSets(cfg))
	sources, err := e.readSources(ctx, cfg, o.decisions.base, packHash)
	if err != nil {
		return nil, err
	}
	progress := e.progress()
	defer progress.Stop()
	client, closeAPI, err := e.connect(&o.api, progress)
	if err != nil {
		return nil, err
	}
	defer closeAPI()
	opts := o.decisions.options(e, &o.api, e.repoPath(o.file))
	opts.Progress, opts.Sources = progress.Refresh, sources
	p, err := plan.Make(ctx, cfg, client, opts)
	progress.End()
	if err != nil {
		return nil, apiHint(o.api.hostHint(e, err))
	}
	return p, nil
}

// planResult is a plan in every form plan writes it; inside GitHub
// Actions its findings also become annotations.
func (e *env) planResult(p *plan.Plan, planFile, summaryFile string) result {
	if e.gh.enabled {
		e.annotateFindings(p)
	}
	s := p.Summary
	return result{
		text:     func(w io.Writer, color bool) error { return report.PlanText(w, p, report.TextOptions{Color: color}) },
		json:     func(w io.Writer) error { return report.PlanJSON(w, p) },
		markdown: report.PlanMarkdown(p, e.meta(p.Config)),
		outputs: append([]github.Output{
			{Name: "has-changes", Value: strconv.FormatBool(s.HasChanges())},
			{Name: "created", Value: strconv.Itoa(s.Create)},
			{Name: "updated", Value: strconv.Itoa(s.Update)},
			{Name: "replaced", Value: strconv.Itoa(s.Replace)},
			{Name: "deleted", Value: strconv.Itoa(s.Delete)},
			{Name: "failed", Value: "0"},
			{Name: "unhealthy", Value: strconv.Itoa(s.Unhealthy)},
			{Name: "plan-file", Value: planFile},
			{Name: "summary-file", Value: summaryFile},
		}, planAgentOutputs(p)...),
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

var planDoc = commandDoc{
	summary: "Show what apply would change, without changing anything.",
	about: "Each agent is a create, update, replace, delete or no-op; only the fields the file sets are compared. Each declared secret set too: its keys by name, and whether its values changed (read from the environment, never shown). With --out the plan is saved for 'pipecat-gitops apply PLANFILE' and 'pipecat-gitops show PLANFILE'. " +
		"Agents built from a directory (build:) have their context packed and looked up in the cloud's build cache; with --base REF their build input, buildId and managedKeys (which the API never returns) are compared with those at that git revision, and without it they are shown as not comparable. The Action passes the pull request's base commit.",
	env: envPlanning,
	exits: []exitDoc{
		{0, "the plan was made, with or without changes (see --detailed-exitcode)"},
		{1, "any error: invalid config, wrong flag, API failure, or an error in the plan (a preflight error, a refused replace, a guard, a target matching nothing)"},
		{2, "only with --detailed-exitcode: the plan has changes (unmanaged agents and findings alone are not changes), or, with --fail-on-unhealthy, a managed agent is unhealthy"},
	},
}

// progress starts the stderr progress display of one command: a live
// status line on a terminal, log lines elsewhere. Stop it when done.
func (e *env) progress() *report.Progress {
	p := report.NewProgress(e.stderr, report.ProgressOptions{Live: e.isTTY(e.stderr)})
	p.Start()
	return p
}
