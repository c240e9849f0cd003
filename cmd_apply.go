package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/github"
	"github.com/pipecat-gitops/pipecat-gitops/pack"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/report"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// applyOptions are the flags of apply.
type applyOptions struct {
	file         string
	planFile     string // a saved plan to apply instead of planning -f now
	autoApprove  bool
	wait         bool
	waitTimeout  time.Duration
	buildTimeout time.Duration
	format       string
	summaryFile  string
	decisions    decisionFlags
	api          apiFlags
}

func cmdApply(ctx context.Context, e *env, args []string) error {
	o, err := parseApplyFlags(e, args)
	if err != nil {
		return err
	}
	return runApply(ctx, e, o)
}

// parseApplyFlags reads and checks apply's flags.
func parseApplyFlags(e *env, args []string) (o applyOptions, err error) {
	fs := newFlagSet(e, "apply", "apply [-f FILE | PLANFILE] [--auto-approve] [--parallelism N] [--wait] [--wait-timeout DURATION] [--build-timeout DURATION] [--timeout DURATION] [--target NAME]... [--allow-replace] [--redeploy-builds] [--redeploy NAME]... [--update-image-pull-secrets] [--base REF] [--format text|markdown|json] [--summary-file PATH]")
	fs.StringVarP(&o.file, "file", "f", "pipecat.yaml", "config file (ignored when a PLANFILE is given)")
	fs.BoolVar(&o.autoApprove, "auto-approve", false, "apply without asking for confirmation")
	fs.BoolVar(&o.wait, "wait", false, "wait until every changed agent is ready")
	fs.Var(newTimeoutValue(5*time.Minute, &o.waitTimeout), "wait-timeout", "how long --wait waits, once every change is sent, for the changed agents to be ready; it also bounds the wait for written secret sets to be ready, before agents are deployed; a bare number is seconds (90), as in the official deploy action")
	fs.Var(newTimeoutValue(10*time.Minute, &o.buildTimeout), "build-timeout", "how long each cloud build may take, from its start; an agent whose build takes longer fails; a bare number is seconds (600)")
	o.decisions.register(fs)
	fs.StringVar(&o.format, "format", "text", "output format of the result: text, markdown or json")
	fs.StringVar(&o.summaryFile, "summary-file", "", "also write the Markdown rendering of the result to this file")
	o.api.register(fs)
	o.api.registerTimeout(fs, 0, "; default 30m, or --build-timeout + 2 x --wait-timeout + 10m when that is longer")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if !fs.Changed("timeout") {
		o.api.timeout = applyTimeout(o.buildTimeout, o.waitTimeout)
	}
	if fs.NArg() > 1 {
		return o, fmt.Errorf("apply: at most one PLANFILE, got %d arguments", fs.NArg())
	}
	if err := checkFormat(o.format); err != nil {
		return o, err
	}
	if err := o.api.check(); err != nil {
		return o, err
	}
	o.planFile = fs.Arg(0)
	if o.planFile != "" && fs.Changed("file") {
		return o, errors.New("apply: give either -f FILE or a PLANFILE, not both")
	}
	for _, name := range decisionFlagNames {
		if o.planFile != "" && fs.Changed(name) {
			return o, withHint(fmt.Errorf("apply: a saved plan carries its own decisions; --%s applies only with -f", name),
				"make the plan again with the flag: pipecat-gitops plan --out PLANFILE --"+name+" ...")
		}
	}
	return o, nil
}

// showPlan prints the plan a command is about to carry out, as text: on
// stdout, or on stderr when stdout carries a result document (format
// other than text). It returns the writer it used, for the question that
// follows.
func (e *env) showPlan(p *plan.Plan, format string) (io.Writer, error) {
	show := e.stdout
	if format != "text" {
		show = e.stderr
	}
	// Rendered whole, then written at once, for the redacting writer.
	var shown bytes.Buffer
	if err := report.PlanText(&shown, p, report.TextOptions{Color: e.useColor(show)}); err != nil {
		return nil, err
	}
	_, err := show.Write(shown.Bytes())
	return show, err
}

// applyTimeout is apply's default --timeout: room for a plan (10m), the
// builds and both waits (secret sets, then agents).
func applyTimeout(build, wait time.Duration) time.Duration {
	return max(30*time.Minute, build+2*wait+defaultTimeout)
}

func runApply(ctx context.Context, e *env, o applyOptions) error {
	ctx, cancel := o.api.withTimeout(ctx)
	defer cancel()
	return timedOut(ctx, e.applyWithin(ctx, o))
}

func (e *env) applyWithin(ctx context.Context, o applyOptions) error {
	// Until there is a result, a failure is the summary: the merged pull
	// request hears that nothing was applied, and why.
	var p *plan.Plan
	fail := func(err error, details ...string) error {
		err = timedOut(ctx, err)
		config := e.repoPath(o.file)
		if p != nil {
			config = p.Config
		}
		e.reportFailure("apply", config, o.summaryFile, err, details...)
		return err
	}

	// Read everything local before the first request.
	var (
		cfg      *schema.Config
		sources  *plan.Sources
		contexts map[string]*pack.Archive
		err      error
	)
	if o.planFile != "" {
		if p, err = plan.ReadFile(o.planFile); err != nil {
			if cerr := configArgument("apply", o.planFile); cerr != nil {
				err = cerr
			}
		} else {
			// The contexts it builds must still be what was planned.
			contexts, err = plan.Repack(ctx, p, savedPlanRoot(p))
			defer plan.RemoveArchives(contexts)
		}
	} else if cfg, err = e.loadConfig(ctx, o.file); err == nil {
		sources, err = e.readSources(ctx, cfg, o.decisions.base, packSpool)
		defer sources.Close()
	}
	if err != nil {
		return fail(err)
	}
	if p != nil {
		e.guardSecretSets(o.api.fingerprintKey(e), planSets(p))
	} else {
		e.guardSecretSets(o.api.fingerprintKey(e), configSets(cfg))
	}
	progress := e.progress()
	defer progress.Stop()
	client, closeAPI, err := e.connect(&o.api, progress)
	if err != nil {
		return fail(err)
	}
	defer closeAPI()

	// The plan to execute: made now, or a saved one checked against the
	// live state it was made from.
	if p == nil {
		opts := o.decisions.options(e, &o.api, e.repoPath(o.file))
		opts.Progress, opts.Sources = progress.Refresh, sources
		if p, err = plan.Make(ctx, cfg, client, opts); err == nil && sources != nil {
			contexts = sources.Archives(p)
		}
	} else {
		err = plan.Recheck(ctx, p, client, plan.Options{Parallelism: o.api.parallelism, Progress: progress.Refresh,
			SecretValue: e.secretLookup, FingerprintKey: o.api.fingerprintKey(e)})
	}
	progress.End()
	if err != nil {
		return fail(apiHint(o.api.hostHint(e, err)))
	}
	if err := targetMiss(p); err != nil {
		return fail(err)
	}

	show, err := e.showPlan(p, o.format)
	if err != nil {
		return err
	}
	if p.HasErrors() {
		return fail(withHint(fmt.Errorf("the plan has %s; nothing was applied", plural(p.Summary.Errors, "error")),
			"fix the errors above (create the missing secret sets, fix regions, or plan with --allow-replace), then run apply again"),
			report.ErrorLines(p)...)
	}
	if !p.Summary.HasChanges() {
		return e.finishApply(&apply.Result{Config: p.Config}, p, o)
	}
	// A saved plan was reviewed when it was made (as with terraform apply
	// PLANFILE); only a plan made here needs a yes.
	if !o.autoApprove && o.planFile == "" {
		if err := e.confirm(show); err != nil {
			return err
		}
	}

	res, err := apply.Run(ctx, client, p, apply.Options{
		Parallelism:  o.api.parallelism,
		Wait:         o.wait,
		WaitTimeout:  o.waitTimeout,
		BuildTimeout: o.buildTimeout,
		Contexts:     contexts,
		Progress:     progress.Event,
		Status:       progress.Apply,
		// The values of the plan's secret sets, read again here: a saved
		// plan holds none.
		SecretValue:    e.secretLookup,
		FingerprintKey: o.api.fingerprintKey(e),
	})
	progress.End()
	if err != nil {
		return fail(err)
	}
	return e.finishApply(res, p, o)
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

// finishApply writes the result and turns failures into the exit code.
func (e *env) finishApply(res *apply.Result, p *plan.Plan, o applyOptions) error {
	counts := res.Tally()
	failed := res.Failed()
	err := e.emit(result{
		text: func(w io.Writer, color bool) error {
			return report.ResultText(w, res, report.TextOptions{Color: color})
		},
		json:     func(w io.Writer) error { return report.ResultJSON(w, res) },
		markdown: report.ResultMarkdown(res, p, e.meta(p.Config)),
		outputs: append([]github.Output{
			{Name: "has-changes", Value: strconv.FormatBool(p.Summary.HasChanges())},
			{Name: "created", Value: strconv.Itoa(counts.Created)},
			{Name: "updated", Value: strconv.Itoa(counts.Updated)},
			{Name: "replaced", Value: strconv.Itoa(counts.Replaced)},
			{Name: "deleted", Value: strconv.Itoa(counts.Deleted)},
			{Name: "failed", Value: strconv.Itoa(failed)},
			{Name: "unhealthy", Value: strconv.Itoa(p.Summary.Unhealthy)},
			{Name: "plan-file", Value: ""},
			{Name: "summary-file", Value: o.summaryFile},
		}, applyAgentOutputs(res, p)...),
	}, o.format, o.summaryFile)
	if err != nil {
		return err
	}
	switch {
	case res.Cancelled:
		err := fmt.Errorf("apply interrupted: %d of %d changes not done", failed, res.Changes())
		if n := res.Outcomes(apply.Unknown); n > 0 {
			return withHint(err, fmt.Sprintf("%s in flight may have been applied: run %s to see where they stand", plural(n, "change"), planCommand(o)))
		}
		return err
	case failed > 0:
		return fmt.Errorf("apply: %d of %d changes failed", failed, res.Changes())
	}
	return nil
}

var applyDoc = commandDoc{
	summary: "Make the live agents match pipecat.yaml, or carry out a saved plan.",
	about: "Without --auto-approve, apply shows the plan and asks for yes on a terminal, and refuses when there is none. A saved plan (PLANFILE) is refused, with nothing sent, when the live agents or secret sets changed since it was made, when the environment holds other values for a secret set than the plan was made with, when a build context it deploys changed, or when the file does not say what apply would send (a hand edit). " +
		"Secret sets are written first; an agent is deployed once the sets it uses are ready. Cloud builds run next, in parallel, once per distinct context, Dockerfile and region, reusing an existing build when there is one; an agent whose build fails (or takes longer than --build-timeout) fails alone, with the build's error and the end of its log.",
	env: envPlanning,
	exits: []exitDoc{
		{0, "every change was applied, or there was nothing to change"},
		{1, "any error: invalid config, wrong flag, API failure, a change that failed or was interrupted (even one), a stale saved plan, an error in the plan (nothing is sent then), a refused confirmation"},
	},
}

// planCommand is the plan command that looks at what apply with o
// changed: the same config and API, as given.
func planCommand(o applyOptions) string {
	cmd := "pipecat-gitops plan"
	if o.planFile == "" && o.file != "pipecat.yaml" {
		cmd += " -f " + shellWord(o.file)
	}
	return cmd + o.api.given()
}
