package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/github"
)

// The hidden "action" command holds the decisions of action.yml's two
// steps, so that they are Go with tests rather than bash:
//
//   - action run: which command an event runs, the base revision (fetched
//     into a shallow checkout), every input checked (also on a pull
//     request, so a bad value fails there, not on merge), then plan or
//     apply with the arguments the inputs mean;
//   - action comment: what to post after it, and which label to keep.
//
// The steps pass each input as INPUT_<NAME> (upper case, "-" as "_"):
// composite actions get no INPUT_ variables of their own.

// actionRunInputs and actionCommentInputs are the inputs each step reads;
// a test checks that action.yml passes each of them.
var (
	actionRunInputs = []string{"command", "config", "api-url", "parallelism", "wait", "wait-for-ready", "wait-timeout",
		"allow-replace", "redeploy-builds", "update-image-pull-secrets", "redeploy", "plan-file", "base", "build-timeout", "open-pull-requests"}
	actionCommentInputs = []string{"label", "plan-file"}
)

// inputEnv is the variable that carries an input into the step.
func inputEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// actionInputs are the values of the inputs by name.
type actionInputs map[string]string

func readActionInputs(e *env, names []string) actionInputs {
	in := actionInputs{}
	for _, n := range names {
		in[n] = strings.TrimSpace(e.getenv(inputEnv(n)))
	}
	return in
}

// boolean reads a boolean input as the runner's getBooleanInput does
// (true, True, TRUE, false, False, FALSE); empty is def.
func (in actionInputs) boolean(name string, def bool) (bool, error) {
	switch in[name] {
	case "":
		return def, nil
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, fmt.Errorf("input %s: %q is not true or false", name, in[name])
}

// actionCommand is the command of an event: auto runs plan on
// pull_request and apply on push.
func actionCommand(in actionInputs, event string) (string, error) {
	switch c := in["command"]; c {
	case "plan", "apply", "preview-gc":
		return c, nil
	case "preview", "preview-destroy":
		if event != "pull_request" {
			return "", fmt.Errorf("command: %s runs on pull_request events (preview on opened, synchronize and reopened; preview-destroy on closed), not on %s", c, event)
		}
		return c, nil
	case "auto", "":
	default:
		return "", fmt.Errorf("command must be auto, plan, apply, preview, preview-destroy or preview-gc, not %s", c)
	}
	switch event {
	case "pull_request":
		return "plan", nil
	case "push":
		return "apply", nil
	case "pull_request_target":
		return "", errors.New("command: auto refuses pull_request_target: that event runs with the repository's secrets (the API key) and a write token, and a workflow that checks out the pull request's head would plan a stranger's change with them. Use pull_request; or, if this workflow checks out the base branch only, set command: plan explicitly.")
	}
	return "", fmt.Errorf("command: auto runs plan on pull_request and apply on push; on %s set command: plan or apply", event)
}

// actionBase is the revision the build inputs are compared with: the base
// input, else what the last apply deployed as far as the event tells (a
// pull request's base commit, the commit before a push). A push that
// creates a branch has no before: all zeros, no base.
func actionBase(in actionInputs, event string, ev github.Event) string {
	base := in["base"]
	if base == "" {
		switch event {
		case "pull_request", "pull_request_target":
			base = ev.BaseSHA
		case "push":
			base = ev.Before
		}
	}
	if strings.Trim(base, "0") == "" {
		return ""
	}
	return base
}

// actionArgs are the arguments of command for the inputs, writing into
// dir. Every input is checked whatever the command, so a wait-timeout
// that apply would refuse fails the pull request's plan already.
func actionArgs(in actionInputs, command string, pr int, base, dir string) ([]string, error) {
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	flag := func(name string) bool {
		v, err := in.boolean(name, false)
		check(err)
		return v
	}
	if n, err := strconv.Atoi(in["parallelism"]); in["parallelism"] != "" && (err != nil || n < 1) {
		check(fmt.Errorf("input parallelism: %q is not a whole number of at least 1", in["parallelism"]))
	}
	// wait-for-ready is the official deploy action's name of wait: either
	// may be set, both only to the same value. Waiting is the default, as
	// there.
	wait, err := in.boolean("wait", true)
	check(err)
	if in["wait-for-ready"] != "" {
		wfr, err := in.boolean("wait-for-ready", true)
		check(err)
		if err == nil && in["wait"] != "" && wfr != wait {
			check(fmt.Errorf("inputs wait (%s) and wait-for-ready (%s) disagree; set one of them", in["wait"], in["wait-for-ready"]))
		}
		wait = wfr
	}
	timeout := func(name, def string) string {
		v := in[name]
		if v == "" {
			v = def
		}
		if _, err := parseTimeout(v); err != nil {
			check(fmt.Errorf("input %s: %w", name, err))
		}
		return v
	}
	waitTimeout := timeout("wait-timeout", "90")
	buildTimeout := timeout("build-timeout", "600")
	allowReplace, redeployBuilds, updatePull := flag("allow-replace"), flag("redeploy-builds"), flag("update-image-pull-secrets")
	redeploy := strings.FieldsFunc(in["redeploy"], func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' })
	for _, r := range redeploy {
		if _, err := path.Match(r, ""); err != nil {
			check(fmt.Errorf("input redeploy: %q is not a name or glob: %w", r, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	args := []string{"--parallelism", cmp.Or(in["parallelism"], "8"), "--summary-file", filepath.Join(dir, "summary.md")}
	if in["api-url"] != "" {
		args = append(args, "--api-url", in["api-url"])
	}
	if command == "apply" && in["plan-file"] != "" {
		// A saved plan carries its own decisions and names its config.
		args = append([]string{in["plan-file"]}, args...)
	} else {
		args = append([]string{"-f", cmp.Or(in["config"], "pipecat.yaml")}, args...)
		// Decisions are made by the plan: plan and apply get the same ones.
		if allowReplace {
			args = append(args, "--allow-replace")
		}
		if redeployBuilds {
			args = append(args, "--redeploy-builds")
		}
		if updatePull {
			args = append(args, "--update-image-pull-secrets")
		}
		for _, r := range redeploy {
			args = append(args, "--redeploy", r)
		}
		if base != "" {
			args = append(args, "--base", base)
		}
	}
	switch command {
	case "plan":
		return append(append([]string{"plan"}, args...), "--out", filepath.Join(dir, "plan.json"), "--format", "text"), nil
	case "preview", "preview-destroy", "preview-gc":
		return previewArgs(in, command, pr, base, dir, buildTimeout, wait, waitTimeout), nil
	}
	args = append(append([]string{"apply"}, args...), "--auto-approve", "--build-timeout", buildTimeout)
	if wait {
		args = append(args, "--wait", "--wait-timeout", waitTimeout)
	}
	return args, nil
}

// previewArgs are the arguments of the preview commands: no plan
// decisions, the pull request's number from the event; preview-gc takes
// the open pull requests from the open-pull-requests input.
func previewArgs(in actionInputs, command string, pr int, base, dir, buildTimeout string, wait bool, waitTimeout string) []string {
	args := []string{"preview", "-f", cmp.Or(in["config"], "pipecat.yaml"), "--parallelism", cmp.Or(in["parallelism"], "8"),
		"--summary-file", filepath.Join(dir, "summary.md"), "--auto-approve"}
	if in["api-url"] != "" {
		args = append(args, "--api-url", in["api-url"])
	}
	switch command {
	case "preview-gc":
		return append(args, "--gc", "--open", in["open-pull-requests"])
	case "preview-destroy":
		return append(args, "--pr", strconv.Itoa(pr), "--destroy")
	}
	args = append(args, "--pr", strconv.Itoa(pr), "--build-timeout", buildTimeout)
	if base != "" {
		args = append(args, "--base", base)
	}
	if wait {
		args = append(args, "--wait", "--wait-timeout", waitTimeout)
	}
	return args
}

// actionCommentArgs are the arguments of comment after the run step:
// nil when there is no summary to post. A saved plan's apply carried that
// plan only, not the changes of pull requests merged before it whose
// apply was dropped (--own-only). A label is kept only after a plan that
// finished (it wrote has-changes).
func actionCommentArgs(in actionInputs, run actionRunOutputs) ([]string, error) {
	label, err := in.boolean("label", false)
	if err != nil {
		return nil, err
	}
	summary := filepath.Join(run.dir, "summary.md")
	if st, err := os.Stat(summary); run.dir == "" || err != nil || st.Size() == 0 {
		return nil, nil
	}
	args := []string{"comment", "--body-file", summary}
	if run.command == "apply" && in["plan-file"] != "" {
		args = append(args, "--own-only")
	}
	if label && run.command == "plan" && run.hasChanges != "" {
		switch {
		case cmp.Or(run.deleted, "0") != "0" || cmp.Or(run.replaced, "0") != "0":
			args = append(args, "--label", github.LabelDeletes)
		case run.hasChanges == "true":
			args = append(args, "--label", github.LabelChanges)
		default:
			args = append(args, "--label", github.LabelNoChanges)
		}
	}
	return args, nil
}

// actionRunOutputs are the run step's outputs the comment step gets.
type actionRunOutputs struct {
	command, dir, hasChanges, deleted, replaced string
}

// runCommand runs one subcommand in this process; tests replace it.
type runCommand func(ctx context.Context, e *env, args []string) error

func runSubcommand(ctx context.Context, e *env, args []string) error {
	c, ok := findCommand(args[0])
	if !ok {
		return fmt.Errorf("no command %s", args[0])
	}
	return c.run(ctx, e, args[1:])
}

// hiddenAction is hidden: usage and help do not list it.
var hiddenAction = command{"action", &actionDoc, cmdAction}

func cmdAction(ctx context.Context, e *env, args []string) error {
	return actionStep(ctx, e, args, runSubcommand, func(ctx context.Context, base string) error { return fetchBase(ctx, "", base) })
}

func actionStep(ctx context.Context, e *env, args []string, run runCommand, fetch func(ctx context.Context, base string) error) error {
	if len(args) != 1 || (args[0] != "run" && args[0] != "comment") {
		return errors.New("action: usage: pipecat-gitops action run|comment (the steps of action.yml; not for use elsewhere)")
	}
	if args[0] == "comment" {
		in := readActionInputs(e, actionCommentInputs)
		cargs, err := actionCommentArgs(in, actionRunOutputs{command: e.getenv("RUN_COMMAND"), dir: e.getenv("RUN_DIR"),
			hasChanges: e.getenv("HAS_CHANGES"), deleted: e.getenv("DELETED"), replaced: e.getenv("REPLACED")})
		if err != nil {
			return e.actionError(err)
		}
		if cargs == nil {
			fmt.Fprintln(e.stdout, "pipecat-gitops: no summary was written; nothing to comment")
			return nil
		}
		return run(ctx, e, cargs)
	}

	in := readActionInputs(e, actionRunInputs)
	command, err := actionCommand(in, e.gh.eventName)
	if err != nil {
		return e.actionError(err)
	}
	temp, output := e.getenv("RUNNER_TEMP"), e.gh.output
	if temp == "" || output == "" {
		return errors.New("action run: RUNNER_TEMP and GITHUB_OUTPUT must be set: this command is a step of the pipecat-gitops GitHub Action")
	}
	// A directory of its own, so two uses of the action in one job never
	// post or report each other's files.
	dir, err := os.MkdirTemp(temp, "pipecat-gitops.")
	if err != nil {
		return fmt.Errorf("action run: %w", err)
	}
	if err := github.WriteOutputs(output, []github.Output{{Name: "command", Value: command}, {Name: "dir", Value: dir}}); err != nil {
		return fmt.Errorf("action run: %w", err)
	}
	var ev github.Event
	if e.gh.eventPath != "" {
		if ev, err = github.ReadEvent(e.gh.eventPath); err != nil {
			return e.actionError(err)
		}
	}
	if strings.HasPrefix(command, "preview") && command != "preview-gc" {
		if ev.Fork() {
			// A fork's workflow has no secrets, and must never get them
			// to run its code: nothing to deploy, and nothing failed.
			e.annotate(github.Annotation{Level: "notice", Title: "pipecat-gitops",
				Message: fmt.Sprintf("%s skipped: pull request #%d comes from the fork %s, and previews run only for pull requests from this repository (%s)", command, ev.PullRequest, ev.HeadRepo, ev.BaseRepo)})
			return nil
		}
		if ev.PullRequest == 0 {
			return e.actionError(fmt.Errorf("command: %s needs the pull request of the event, and %s names none", command, cmp.Or(e.gh.eventPath, "GITHUB_EVENT_PATH")))
		}
	}
	base := ""
	if command == "plan" || command == "preview" || in["plan-file"] == "" && !strings.HasPrefix(command, "preview") {
		base = actionBase(in, e.gh.eventName, ev)
	}
	cargs, err := actionArgs(in, command, ev.PullRequest, base, dir)
	if err != nil {
		// The pull request hears of it through the comment step.
		e.reportFailure(command, e.repoPath(cmp.Or(in["config"], "pipecat.yaml")), filepath.Join(dir, "summary.md"), err)
		return e.actionError(err)
	}
	if base != "" {
		// A shallow checkout lacks it. If it cannot be fetched, the plan
		// warns and shows the build inputs as not comparable.
		if err := fetch(ctx, base); err != nil {
			e.annotate(github.Annotation{Level: "warning", Title: "pipecat-gitops", Message: "could not fetch the base commit; build inputs will not be compared with it"})
		}
	}
	return run(ctx, e, cargs)
}

// actionError writes err as an error annotation, which the runner shows
// on the run, and fails the step.
func (e *env) actionError(err error) error {
	for _, line := range strings.Split(err.Error(), "\n") {
		e.annotate(github.Annotation{Level: "error", Title: "pipecat-gitops", Message: line})
	}
	return exitStatus(1)
}

// fetchBase makes sure the commit base is in the repository at dir ("":
// the working directory), fetching it from origin when the checkout is
// shallow.
func fetchBase(ctx context.Context, dir, base string) error {
	git := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		return cmd.Run()
	}
	if git("cat-file", "-e", base+"^{commit}") == nil {
		return nil
	}
	return git("fetch", "--no-tags", "--quiet", "--depth=1", "origin", base)
}

var actionDoc = commandDoc{
	summary: "The steps of the GitHub Action (action.yml); not for use elsewhere.",
	about:   "action run decides the command of the event, the base revision and the arguments from the INPUT_* variables action.yml sets, then runs plan or apply; action comment posts the summary and keeps the label.",
}
