package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/github"
	"github.com/pipecat-gitops/pipecat-gitops/pack"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/preview"
	"github.com/pipecat-gitops/pipecat-gitops/report"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// previewOptions are the flags of preview.
type previewOptions struct {
	file         string
	pr           int
	base         string
	destroy      bool
	gc           bool
	open         []int
	autoApprove  bool
	wait         bool
	waitTimeout  time.Duration
	buildTimeout time.Duration
	format       string
	summaryFile  string
	api          apiFlags
}

func (o previewOptions) mode() string {
	switch {
	case o.gc:
		return preview.ModeGC
	case o.destroy:
		return preview.ModeDestroy
	}
	return preview.ModeDeploy
}

func cmdPreview(ctx context.Context, e *env, args []string) error {
	o, err := parsePreviewFlags(e, args)
	if err != nil {
		return err
	}
	return runPreview(ctx, e, o)
}

func parsePreviewFlags(e *env, args []string) (o previewOptions, err error) {
	fs := newFlagSet(e, "preview", "preview --pr N [--destroy] | --gc --open PR,PR,... [-f FILE] [--base REF] [--auto-approve] [--wait] [--wait-timeout DURATION] [--build-timeout DURATION] [--format text|markdown|json] [--summary-file PATH]")
	fs.StringVarP(&o.file, "file", "f", "pipecat.yaml", "config file (the pull request's)")
	fs.IntVar(&o.pr, "pr", 0, "the pull request `number` whose previews to deploy (or, with --destroy, delete)")
	fs.StringVar(&o.base, "base", "", "compare build, buildId and managedKeys with the config and build contexts at this git `REF` (the pull request's base), as plan does, to find the agents the pull request changes")
	fs.BoolVar(&o.destroy, "destroy", false, "delete every preview agent of --pr, and only those")
	fs.BoolVar(&o.gc, "gc", false, "delete the preview agents of every pull request not in --open")
	open := fs.String("open", "", "with --gc: the open pull requests, numbers separated by commas (an empty list: none is open)")
	fs.BoolVar(&o.autoApprove, "auto-approve", false, "deploy or delete without asking for confirmation")
	fs.BoolVar(&o.wait, "wait", false, "wait until every changed preview agent is ready")
	fs.Var(newTimeoutValue(5*time.Minute, &o.waitTimeout), "wait-timeout", "how long --wait waits for the changed previews to be ready; a bare number is seconds")
	fs.Var(newTimeoutValue(10*time.Minute, &o.buildTimeout), "build-timeout", "how long each cloud build may take; a bare number is seconds")
	fs.StringVar(&o.format, "format", "text", "output format of the result: text, markdown or json")
	fs.StringVar(&o.summaryFile, "summary-file", "", "also write the Markdown rendering of the result (the preview comment) to this file")
	o.api.register(fs)
	o.api.registerTimeout(fs, 0, "; default 30m, or --build-timeout + 2 x --wait-timeout + 10m when that is longer")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if !fs.Changed("timeout") {
		o.api.timeout = applyTimeout(o.buildTimeout, o.waitTimeout)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("preview: unexpected argument %q", fs.Arg(0))
	}
	switch {
	case o.gc && (fs.Changed("pr") || o.destroy):
		return o, errors.New("preview: --gc covers every pull request not in --open; give it without --pr and --destroy")
	case o.gc && !fs.Changed("open"):
		return o, withHint(errors.New("preview: --gc needs --open, the pull requests still open"),
			"pass their numbers, e.g. --open 12,14 (from gh pr list --state open --json number -q '.[].number'); --open '' when none is open deletes every preview")
	case !o.gc && fs.Changed("open"):
		return o, errors.New("preview: --open goes with --gc")
	case !o.gc && o.pr < 1:
		return o, withHint(errors.New("preview: --pr N is required (a pull request number, 1 or more)"), "or --gc --open PR,PR,... to delete the previews of closed pull requests")
	}
	if o.gc {
		for _, f := range strings.FieldsFunc(*open, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
			n, err := strconv.Atoi(strings.TrimPrefix(f, "#"))
			if err != nil || n < 1 {
				return o, fmt.Errorf("preview: --open: %q is not a pull request number", f)
			}
			o.open = append(o.open, n)
		}
	}
	if err := checkFormat(o.format); err != nil {
		return o, err
	}
	return o, o.api.check()
}

func runPreview(ctx context.Context, e *env, o previewOptions) error {
	ctx, cancel := o.api.withTimeout(ctx)
	defer cancel()
	return timedOut(ctx, e.previewWithin(ctx, o))
}

func (e *env) previewWithin(ctx context.Context, o previewOptions) error {
	fail := func(err error, details ...string) error {
		err = timedOut(ctx, err)
		e.reportFailure("preview", e.repoPath(o.file), o.summaryFile, err, details...)
		return err
	}
	cfg, err := e.loadConfig(ctx, o.file)
	if err != nil {
		return fail(err)
	}
	if o.mode() == preview.ModeDeploy && !cfg.Previews.Enabled {
		return fail(withHint(fmt.Errorf("preview: previews are not enabled in %s", o.file),
			"set previews: {enabled: true} in a reviewed change, with overrides.secretSet naming a staging secret set (see docs/previews.md)"))
	}
	e.guardSecretSets(o.api.fingerprintKey(e), configSets(cfg))
	progress := e.progress()
	defer progress.Stop()
	client, closeAPI, err := e.connect(&o.api, progress)
	if err != nil {
		return fail(err)
	}
	defer closeAPI()

	p, sources, contexts, err := e.previewPlan(ctx, cfg, client, o, progress)
	defer sources.close()
	progress.End()
	if err != nil {
		return fail(apiHint(o.api.hostHint(e, err)))
	}

	show, err := e.showPlan(p, o.format)
	if err != nil {
		return err
	}
	if p.HasErrors() {
		return fail(withHint(fmt.Errorf("the preview plan has %s; nothing was deployed", plural(p.Summary.Errors, "error")),
			"fix the errors above (previews.overrides, previews.maxAgents, previews.agents), then run preview again"),
			report.ErrorLines(p)...)
	}
	res := &apply.Result{Config: p.Config}
	if p.Summary.HasChanges() {
		if !o.autoApprove {
			if err := e.confirm(show); err != nil {
				return err
			}
		}
		res, err = apply.Run(ctx, client, p, apply.Options{
			Parallelism:    o.api.parallelism,
			Wait:           o.wait,
			WaitTimeout:    o.waitTimeout,
			BuildTimeout:   o.buildTimeout,
			Contexts:       contexts,
			Progress:       progress.Event,
			Status:         progress.Apply,
			SecretValue:    e.secretLookup,
			FingerprintKey: o.api.fingerprintKey(e),
		})
		progress.End()
		if err != nil {
			return fail(err)
		}
	}
	r := previewResult(ctx, client, p, res, sources.of, o)
	names := make([]string, 0, len(r.Agents))
	for _, a := range r.Agents {
		if a.Action != plan.Delete {
			names = append(names, a.Name)
		}
	}
	if err := e.emit(result{
		text:     func(w io.Writer, _ bool) error { return report.PreviewText(w, r) },
		json:     func(w io.Writer) error { return report.PreviewJSON(w, r) },
		markdown: report.PreviewMarkdown(r, e.meta(p.Config)),
		outputs: []github.Output{
			{Name: "preview-agents", Value: strings.Join(names, ",")},
			{Name: "summary-file", Value: o.summaryFile},
		},
	}, o.format, o.summaryFile); err != nil {
		return err
	}
	if failed := res.Failed(); failed > 0 {
		return fmt.Errorf("preview: %d of %d changes failed", failed, res.Changes())
	}
	return nil
}

// previewSources are the packed contexts of a preview run and the agent
// each preview copies.
type previewSources struct {
	packs []*plan.Sources
	of    map[string]string
}

func (s *previewSources) close() {
	for _, p := range s.packs {
		p.Close()
	}
}

// previewPlan is the plan a preview run executes. Deploy: the plan of the
// pull request's config against the live agents (with --base) tells which
// agents it changes; their previews (package preview) are planned against
// the live previews of this pull request, which it creates, updates in
// place or deletes. Destroy and gc: the plan that deletes the previews of
// their scope. The refusals of package preview are errors of the plan.
func (e *env) previewPlan(ctx context.Context, cfg *schema.Config, client *cloud.Client, o previewOptions, progress *report.Progress) (
	p *plan.Plan, src *previewSources, contexts map[string]*pack.Archive, err error) {
	src = &previewSources{of: map[string]string{}}
	config := e.repoPath(o.file)
	opts := plan.Options{Config: config, Parallelism: o.api.parallelism, SecretValue: e.secretLookup,
		FingerprintKey: o.api.fingerprintKey(e), Progress: progress.Refresh}
	pcfg := &schema.Config{File: cfg.File, Version: cfg.Version}
	var findings []plan.Finding
	switch o.mode() {
	case preview.ModeGC:
		opts.Preview = &plan.PreviewScope{GC: true, Open: o.open}
	case preview.ModeDestroy:
		opts.Preview = &plan.PreviewScope{PR: o.pr}
	default:
		main := opts
		main.Base = o.base
		if main.Sources, err = e.readSources(ctx, cfg, o.base, packHash); err != nil {
			return nil, src, nil, err
		}
		src.packs = append(src.packs, main.Sources)
		mp, err := plan.Make(ctx, cfg, client, main)
		if err != nil {
			return nil, src, nil, err
		}
		pcfg, src.of, findings = preview.Config(cfg, preview.Select(cfg, mp), o.pr)
		opts.Preview = &plan.PreviewScope{PR: o.pr}
		// The API never says which build runs: a preview of a build is
		// deployed again on every run, as the pull request's head moved.
		for _, a := range pcfg.Agents {
			if a.Spec.Build != nil || a.Spec.BuildID != nil {
				opts.Redeploy = append(opts.Redeploy, a.Name)
			}
		}
		if opts.Sources, err = e.readSources(ctx, pcfg, "", packSpool); err != nil {
			return nil, src, nil, err
		}
		src.packs = append(src.packs, opts.Sources)
	}
	if p, err = plan.Make(ctx, pcfg, client, opts); err != nil {
		return nil, src, nil, err
	}
	if len(findings) > 0 {
		p.Findings = append(p.Findings, findings...)
		p.Summarize()
	}
	if opts.Sources != nil {
		contexts = opts.Sources.Archives(p)
	}
	return p, src, contexts, nil
}

// previewResult is what the run did to each preview, with its readiness
// read back from the API (one read per preview left running).
func previewResult(ctx context.Context, client *cloud.Client, p *plan.Plan, res *apply.Result, of map[string]string, o previewOptions) *preview.Result {
	r := &preview.Result{Config: p.Config, PR: o.pr, Mode: o.mode()}
	if o.gc {
		r.PR = 0
	}
	outcomes := map[string]apply.AgentResult{}
	for _, a := range res.Results {
		outcomes[a.Agent] = a
	}
	for _, c := range p.Changes {
		a := preview.Agent{Name: c.Agent, Source: of[c.Agent], Action: c.Action}
		if out, ok := outcomes[c.Agent]; ok {
			a.Outcome, a.Error = out.Outcome.String(), out.Error
		}
		if c.Action != plan.Delete {
			if d, err := client.GetAgent(ctx, c.Agent); err == nil && d != nil {
				a.Ready = d.Ready
			}
		}
		r.Agents = append(r.Agents, a)
	}
	return r
}

var previewDoc = commandDoc{
	summary: "Deploy preview agents of a pull request (NAME-prN), or delete them.",
	about: "preview --pr N plans the config (the pull request's) against the live agents, as plan --base does, and deploys for each agent it creates or updates and that matches previews.agents a copy named NAME-prN, with previews.overrides applied (see docs/previews.md for the name rule). " +
		"Previews of the pull request whose agent it no longer changes are deleted; an existing preview is updated in place. It never touches an agent without the preview suffix, and plan, apply and import never touch previews. " +
		"It refuses, with nothing sent: previews not enabled, more previews than previews.maxAgents, a preview bound to a secret set a declared agent uses (unless previews.allowProductionSecrets). " +
		"--destroy deletes every preview of --pr; --gc --open PR,... deletes the previews of every pull request not listed (--open '' deletes them all). Like apply, it asks on a terminal unless --auto-approve.",
	env: envPlanning,
	exits: []exitDoc{
		{0, "the previews were deployed or deleted, or there was nothing to do"},
		{1, "any error: invalid config, previews not enabled, an error in the preview plan (nothing is sent then), a change that failed, a refused confirmation"},
	},
}
