package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// actionEnv is the environment of one action step: the runner's
// variables, the inputs as action.yml passes them, and extra variables.
func actionEnv(t *testing.T, event string, payload map[string]any, inputs map[string]string, extra map[string]string) (*env, *bytes.Buffer, *bytes.Buffer, map[string]string) {
	t.Helper()
	temp := t.TempDir()
	vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event, "RUNNER_TEMP": temp,
		"GITHUB_OUTPUT": filepath.Join(temp, "output"), "PIPECAT_API_KEY": "pk_test"}
	if payload != nil {
		b, _ := json.Marshal(payload)
		path := filepath.Join(temp, "event.json")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		vars["GITHUB_EVENT_PATH"] = path
	}
	for k, v := range inputs {
		vars[inputEnv(k)] = v
	}
	for k, v := range extra {
		vars[k] = v
	}
	var stdout, stderr bytes.Buffer
	e := newEnv(strings.NewReader(""), &stdout, &stderr, func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, func(any) bool { return false })
	return e, &stdout, &stderr, vars
}

// TestActionRun runs "action run", the Action's run step, with a recorder
// in place of plan and apply: which command each event runs, the base it
// compares with (fetched into a shallow checkout), and that the plan's
// decisions reach plan and apply alike. The inputs are action.yml's
// defaults unless a case sets them.
func TestActionRun(t *testing.T) {
	// A repository with two commits, and a shallow clone of it that has
	// only the second: the base of a pull request must be fetched there.
	origin := t.TempDir()
	gitIn(t, origin, "init", "-q")
	gitIn(t, origin, "commit", "-q", "--allow-empty", "-m", "one")
	first := gitIn(t, origin, "rev-parse", "HEAD")
	gitIn(t, origin, "commit", "-q", "--allow-empty", "-m", "two")
	second := gitIn(t, origin, "rev-parse", "HEAD")
	// GitHub serves any commit by id; a local repository must be told to.
	gitIn(t, origin, "config", "uploadpack.allowAnySHA1InWant", "true")
	shallow := func(t *testing.T) string {
		dir := t.TempDir()
		gitIn(t, dir, "clone", "-q", "--depth=1", "file://"+origin, ".")
		if exec.Command("git", "-C", dir, "cat-file", "-e", first+"^{commit}").Run() == nil {
			t.Fatal("the shallow clone has the first commit")
		}
		return dir
	}
	pr := func(base string) map[string]any {
		return map[string]any{"number": 7, "pull_request": map[string]any{"number": 7, "base": map[string]any{"sha": base}}}
	}
	push := func(before string) map[string]any { return map[string]any{"before": before} }
	const zeros = "0000000000000000000000000000000000000000"
	const planArgs = "plan -f pipecat.yaml --parallelism 8 --summary-file DIR/summary.md"
	const applyArgs = "apply -f pipecat.yaml --parallelism 8 --summary-file DIR/summary.md"
	const waiting = " --auto-approve --build-timeout 600 --wait --wait-timeout 90"
	tests := []struct {
		name     string
		event    string
		payload  map[string]any
		inputs   map[string]string
		workdir  func(t *testing.T) string // default: an empty directory
		wantArgs string                    // "" when the step must fail before running a command
		wantErr  string                    // an annotation the step must write
		check    func(t *testing.T, workdir string)
	}{
		{
			name: "a pull request is compared with its base commit", event: "pull_request", workdir: shallow, payload: pr(second),
			wantArgs: planArgs + " --base " + second + " --out DIR/plan.json --format text",
		},
		{
			name: "a base a shallow checkout lacks is fetched", event: "pull_request", workdir: shallow, payload: pr(first),
			wantArgs: planArgs + " --base " + first + " --out DIR/plan.json --format text",
			check: func(t *testing.T, dir string) {
				gitIn(t, dir, "cat-file", "-e", first+"^{commit}")
			},
		},
		{
			name: "a base that cannot be fetched is a warning, not a failure", event: "pull_request", payload: pr(first),
			wantErr:  "::warning title=pipecat-gitops::could not fetch the base commit; build inputs will not be compared with it",
			wantArgs: planArgs + " --base " + first + " --out DIR/plan.json --format text",
		},
		{
			name: "a push is compared with the commit before it", event: "push", workdir: shallow, payload: push(second),
			wantArgs: applyArgs + " --base " + second + waiting,
		},
		{
			name: "the push that creates a branch has no base", event: "push", payload: push(zeros),
			wantArgs: applyArgs + waiting,
		},
		{
			name: "the base input wins", event: "pull_request", workdir: shallow, payload: pr(first),
			inputs:   map[string]string{"base": second},
			wantArgs: planArgs + " --base " + second + " --out DIR/plan.json --format text",
		},
		{
			name: "a saved plan carries its own base", event: "push", payload: push(second),
			inputs:   map[string]string{"plan-file": "reviewed/plan.json", "build-timeout": "30m"},
			wantArgs: "apply reviewed/plan.json --parallelism 8 --summary-file DIR/summary.md --auto-approve --build-timeout 30m --wait --wait-timeout 90",
		},
		{
			name: "auto plans a pull request", event: "pull_request",
			wantArgs: planArgs + " --out DIR/plan.json --format text",
		},
		{
			name: "auto applies a push and waits by default, 90 seconds as the official action", event: "push",
			wantArgs: applyArgs + waiting,
		},
		{
			name: "wait: false does not wait", event: "push", inputs: map[string]string{"wait": "false"},
			wantArgs: applyArgs + " --auto-approve --build-timeout 600",
		},
		{
			name: "the official action's wait-for-ready: false does not wait either", event: "push", inputs: map[string]string{"wait-for-ready": "false"},
			wantArgs: applyArgs + " --auto-approve --build-timeout 600",
		},
		{
			name: "the official action's timeouts in seconds pass as given", event: "push",
			inputs:   map[string]string{"wait-for-ready": "true", "wait-timeout": "300", "build-timeout": "1200"},
			wantArgs: applyArgs + " --auto-approve --build-timeout 1200 --wait --wait-timeout 300",
		},
		{
			name: "wait and wait-for-ready that disagree are refused", event: "push", inputs: map[string]string{"wait": "true", "wait-for-ready": "false"},
			wantErr: "::error title=pipecat-gitops::inputs wait (true) and wait-for-ready (false) disagree; set one of them",
		},
		{
			name: "a bad wait-timeout fails the pull request's plan, not the merge", event: "pull_request", inputs: map[string]string{"wait-timeout": "90 seconds"},
			wantErr: `::error title=pipecat-gitops::input wait-timeout: "90 seconds" is neither a number of seconds (90) nor a duration (90s, 5m)`,
		},
		{
			name: "a bad build-timeout too", event: "pull_request", inputs: map[string]string{"build-timeout": "0"},
			wantErr: "::error title=pipecat-gitops::input build-timeout: must be positive, not 0",
		},
		{
			name: "a boolean input that is not one is refused", event: "pull_request", inputs: map[string]string{"allow-replace": "yes"},
			wantErr: `::error title=pipecat-gitops::input allow-replace: "yes" is not true or false`,
		},
		{
			name: "a redeploy glob that is none is refused", event: "pull_request", inputs: map[string]string{"redeploy": "voice-bot,support-["},
			wantErr: `::error title=pipecat-gitops::input redeploy: "support-[" is not a name or glob: syntax error in pattern`,
		},
		{
			name: "decisions go to plan too", event: "pull_request",
			inputs:   map[string]string{"allow-replace": "true", "redeploy-builds": "true", "update-image-pull-secrets": "true", "redeploy": "voice-bot, support-*\nivr"},
			wantArgs: planArgs + " --allow-replace --redeploy-builds --update-image-pull-secrets --redeploy voice-bot --redeploy support-* --redeploy ivr --out DIR/plan.json --format text",
		},
		{
			name: "and to apply", event: "push",
			inputs:   map[string]string{"allow-replace": "true", "redeploy-builds": "true", "update-image-pull-secrets": "true", "redeploy": "voice-bot"},
			wantArgs: applyArgs + " --allow-replace --redeploy-builds --update-image-pull-secrets --redeploy voice-bot" + waiting,
		},
		{
			name: "apply of a saved plan takes no decision flags", event: "push",
			inputs:   map[string]string{"plan-file": "reviewed/plan.json", "allow-replace": "true", "update-image-pull-secrets": "true", "redeploy": "voice-bot"},
			wantArgs: "apply reviewed/plan.json --parallelism 8 --summary-file DIR/summary.md" + waiting,
		},
		{
			name: "the other inputs reach the command", event: "pull_request",
			inputs:   map[string]string{"config": "envs/prod.yaml", "api-url": "https://api.example.test", "parallelism": "3"},
			wantArgs: "plan -f envs/prod.yaml --parallelism 3 --summary-file DIR/summary.md --api-url https://api.example.test --out DIR/plan.json --format text",
		},
		{
			name: "auto refuses pull_request_target with the reason", event: "pull_request_target",
			wantErr: "::error title=pipecat-gitops::command: auto refuses pull_request_target: that event runs with the repository's secrets",
		},
		{
			name: "an explicit plan on pull_request_target is the workflow's choice", event: "pull_request_target",
			inputs:   map[string]string{"command": "plan"},
			wantArgs: planArgs + " --out DIR/plan.json --format text",
		},
		{
			name: "auto on another event says what to do", event: "schedule",
			wantErr: "::error title=pipecat-gitops::command: auto runs plan on pull_request and apply on push; on schedule set command: plan or apply",
		},
		{
			name: "a command that is none is refused", event: "push", inputs: map[string]string{"command": "destroy"},
			wantErr: "::error title=pipecat-gitops::command must be auto, plan, apply, preview, preview-destroy or preview-gc, not destroy",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			workdir := t.TempDir()
			if tt.workdir != nil {
				workdir = tt.workdir(t)
			}
			// action.yml's defaults, then the case's inputs.
			inputs := map[string]string{"command": "auto", "config": "pipecat.yaml", "parallelism": "8", "wait-timeout": "90", "build-timeout": "600",
				"allow-replace": "false", "redeploy-builds": "false", "update-image-pull-secrets": "false"}
			for k, v := range tt.inputs {
				inputs[k] = v
			}
			e, _, stderr, vars := actionEnv(t, tt.event, tt.payload, inputs, nil)
			var got []string
			record := func(_ context.Context, _ *env, args []string) error { got = args; return nil }
			fetch := func(ctx context.Context, base string) error { return fetchBase(ctx, workdir, base) }
			err := actionStep(context.Background(), e, []string{"run"}, record, fetch)
			if tt.wantErr != "" && !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.wantErr)
			}
			if tt.wantArgs == "" {
				if err == nil || got != nil {
					t.Errorf("ran %q (error %v); want a refusal", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("step failed: %v\n%s", err, stderr)
			}
			outputs := readOutputs(t, vars["GITHUB_OUTPUT"])
			if wantCmd := strings.Fields(tt.wantArgs)[0]; outputs["command"] != wantCmd {
				t.Errorf("output command=%q, want %q", outputs["command"], wantCmd)
			}
			if dir := outputs["dir"]; !strings.HasPrefix(dir, vars["RUNNER_TEMP"]) {
				t.Errorf("output dir=%q is not under RUNNER_TEMP", dir)
			}
			if diff := cmp.Diff(tt.wantArgs, strings.ReplaceAll(strings.Join(got, " "), outputs["dir"], "DIR")); diff != "" {
				t.Errorf("command arguments (-want +got):\n%s", diff)
			}
			if tt.check != nil {
				tt.check(t, workdir)
			}
		})
	}
}

// TestActionRunBadInputIsPosted: an input refused on a pull request still
// leaves a summary for the comment step, which says why nothing was
// planned.
func TestActionRunBadInputIsPosted(t *testing.T) {
	e, _, _, vars := actionEnv(t, "pull_request", nil, map[string]string{"wait-timeout": "soon"}, nil)
	err := actionStep(context.Background(), e, []string{"run"}, func(context.Context, *env, []string) error {
		t.Error("a command ran")
		return nil
	}, func(context.Context, string) error { return nil })
	if err == nil {
		t.Fatal("the step succeeded")
	}
	dir := readOutputs(t, vars["GITHUB_OUTPUT"])["dir"]
	summary, rerr := os.ReadFile(filepath.Join(dir, "summary.md"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	if !strings.Contains(string(summary), "### ❌ pipecat-gitops plan failed") || !strings.Contains(string(summary), `input wait-timeout: "soon" is neither`) {
		t.Errorf("summary does not say which input is wrong:\n%s", summary)
	}
}

// gitIn runs git in dir with a fixed identity and returns its output.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestActionComment runs "action comment", the Action's comment step,
// with a recorder in place of comment: what it posts after each command,
// which label a plan keeps, and that the apply of a saved plan is posted
// on its own pull request only (it carried no earlier merge's changes).
func TestActionComment(t *testing.T) {
	tests := []struct {
		name     string
		inputs   map[string]string
		run      map[string]string // the run step's outputs, as the step passes them
		summary  bool              // a summary was written
		wantArgs string            // "" when comment must not run
		wantOut  string
	}{
		{
			name: "a plan's summary, no label", summary: true,
			run:      map[string]string{"RUN_COMMAND": "plan", "HAS_CHANGES": "true"},
			wantArgs: "comment --body-file DIR/summary.md",
		},
		{
			name: "a plan that deletes keeps pipecat:deletes", summary: true, inputs: map[string]string{"label": "true"},
			run:      map[string]string{"RUN_COMMAND": "plan", "HAS_CHANGES": "true", "DELETED": "1"},
			wantArgs: "comment --body-file DIR/summary.md --label pipecat:deletes",
		},
		{
			name: "a plan that replaces keeps pipecat:deletes too", summary: true, inputs: map[string]string{"label": "true"},
			run:      map[string]string{"RUN_COMMAND": "plan", "HAS_CHANGES": "true", "DELETED": "0", "REPLACED": "2"},
			wantArgs: "comment --body-file DIR/summary.md --label pipecat:deletes",
		},
		{
			name: "a plan with other changes keeps pipecat:changes", summary: true, inputs: map[string]string{"label": "true"},
			run:      map[string]string{"RUN_COMMAND": "plan", "HAS_CHANGES": "true", "DELETED": "0", "REPLACED": "0"},
			wantArgs: "comment --body-file DIR/summary.md --label pipecat:changes",
		},
		{
			name: "a plan without changes keeps pipecat:no-changes", summary: true, inputs: map[string]string{"label": "true"},
			run:      map[string]string{"RUN_COMMAND": "plan", "HAS_CHANGES": "false", "DELETED": "0", "REPLACED": "0"},
			wantArgs: "comment --body-file DIR/summary.md --label pipecat:no-changes",
		},
		{
			name: "a failed plan is posted without a label", summary: true, inputs: map[string]string{"label": "true"},
			run:      map[string]string{"RUN_COMMAND": "plan"},
			wantArgs: "comment --body-file DIR/summary.md",
		},
		{
			name: "an apply also tells earlier merges", summary: true,
			run:      map[string]string{"RUN_COMMAND": "apply"},
			wantArgs: "comment --body-file DIR/summary.md",
		},
		{
			name: "the apply of a saved plan tells its own pull request only", summary: true, inputs: map[string]string{"plan-file": "reviewed/plan.json"},
			run:      map[string]string{"RUN_COMMAND": "apply"},
			wantArgs: "comment --body-file DIR/summary.md --own-only",
		},
		{
			name: "no summary, nothing to post", run: map[string]string{"RUN_COMMAND": "apply"},
			wantOut: "pipecat-gitops: no summary was written; nothing to comment",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.summary {
				if err := os.WriteFile(filepath.Join(dir, "summary.md"), []byte("<!-- pipecat-gitops: pipecat.yaml -->\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			run := map[string]string{"RUN_DIR": dir}
			for k, v := range tt.run {
				run[k] = v
			}
			inputs := map[string]string{"label": "false"}
			for k, v := range tt.inputs {
				inputs[k] = v
			}
			e, stdout, stderr, _ := actionEnv(t, "pull_request", nil, inputs, run)
			var got []string
			err := actionStep(context.Background(), e, []string{"comment"}, func(_ context.Context, _ *env, args []string) error { got = args; return nil }, nil)
			if err != nil {
				t.Fatalf("step failed: %v\n%s", err, stderr)
			}
			if tt.wantOut != "" && !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout %q does not contain %q", stdout, tt.wantOut)
			}
			if diff := cmp.Diff(tt.wantArgs, strings.ReplaceAll(strings.Join(got, " "), dir, "DIR")); diff != "" {
				t.Errorf("comment arguments (-want +got):\n%s", diff)
			}
		})
	}
}

// TestActionStepsPassTheirInputs: each step of action.yml passes every
// input its "action" subcommand reads, as INPUT_<NAME> from inputs.<name>,
// and runs that subcommand.
func TestActionStepsPassTheirInputs(t *testing.T) {
	src, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Inputs map[string]any
		Runs   struct {
			Steps []struct {
				Name, ID, Run string
				Env           map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(src, &a); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		step, run string
		inputs    []string
	}{
		{"Run pipecat-gitops", `"$RUNNER_TEMP/pipecat-gitops" action run`, actionRunInputs},
		{"Comment on the pull request", `"$RUNNER_TEMP/pipecat-gitops" action comment`, actionCommentInputs},
	} {
		i := slices.IndexFunc(a.Runs.Steps, func(st struct {
			Name, ID, Run string
			Env           map[string]string
		}) bool {
			return st.Name == s.step
		})
		if i < 0 {
			t.Fatalf("no step %q", s.step)
		}
		st := a.Runs.Steps[i]
		if strings.TrimSpace(st.Run) != s.run {
			t.Errorf("step %q runs %q, want %q", s.step, st.Run, s.run)
		}
		for _, name := range s.inputs {
			if _, declared := a.Inputs[name]; !declared {
				t.Errorf("input %s is read by %q but not declared", name, s.run)
			}
			if got, want := st.Env[inputEnv(name)], "${{ inputs."+name+" }}"; got != want {
				t.Errorf("step %q: %s=%q, want %q", s.step, inputEnv(name), got, want)
			}
		}
	}
}

// TestActionRunPreview checks the preview commands of the Action: the
// pull request's previews on pull_request, their deletion on closed, the
// scheduled gc, and a fork's pull request skipped with a notice and
// success, never run and never failed.
func TestActionRunPreview(t *testing.T) {
	pr := func(head string) map[string]any {
		return map[string]any{"number": 7, "pull_request": map[string]any{"number": 7,
			"base": map[string]any{"sha": "", "repo": map[string]any{"full_name": "acme/agents"}},
			"head": map[string]any{"repo": map[string]any{"full_name": head}}}}
	}
	const common = "preview -f pipecat.yaml --parallelism 8 --summary-file DIR/summary.md --auto-approve"
	tests := []struct {
		name     string
		event    string
		payload  map[string]any
		inputs   map[string]string
		wantArgs string // "" when nothing runs
		wantErr  bool
		wantNote string // in stderr
	}{
		{name: "preview deploys the pull request's previews and waits", event: "pull_request", payload: pr("acme/agents"),
			inputs:   map[string]string{"command": "preview"},
			wantArgs: common + " --pr 7 --build-timeout 600 --wait --wait-timeout 90"},
		{name: "preview-destroy deletes them", event: "pull_request", payload: pr("acme/agents"),
			inputs:   map[string]string{"command": "preview-destroy"},
			wantArgs: common + " --pr 7 --destroy"},
		{name: "preview-gc keeps the open pull requests' previews", event: "schedule",
			inputs:   map[string]string{"command": "preview-gc", "open-pull-requests": "12,14"},
			wantArgs: common + " --gc --open 12,14"},
		{name: "a fork's pull request is skipped, not failed", event: "pull_request", payload: pr("stranger/agents"),
			inputs:   map[string]string{"command": "preview"},
			wantNote: "::notice title=pipecat-gitops::preview skipped: pull request #7 comes from the fork stranger/agents, and previews run only for pull requests from this repository (acme/agents)"},
		{name: "a fork's closed pull request too", event: "pull_request", payload: pr("stranger/agents"),
			inputs:   map[string]string{"command": "preview-destroy"},
			wantNote: "::notice title=pipecat-gitops::preview-destroy skipped"},
		{name: "preview on a push is refused", event: "push", inputs: map[string]string{"command": "preview"}, wantErr: true,
			wantNote: "::error title=pipecat-gitops::command: preview runs on pull_request events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inputs := map[string]string{"config": "pipecat.yaml", "parallelism": "8", "wait-timeout": "90", "build-timeout": "600"}
			for k, v := range tt.inputs {
				inputs[k] = v
			}
			e, _, stderr, vars := actionEnv(t, tt.event, tt.payload, inputs, nil)
			var got []string
			record := func(_ context.Context, _ *env, args []string) error { got = args; return nil }
			fetch := func(context.Context, string) error { return nil }
			err := actionStep(context.Background(), e, []string{"run"}, record, fetch)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %t\n%s", err, tt.wantErr, stderr)
			}
			if !strings.Contains(stderr.String(), tt.wantNote) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.wantNote)
			}
			if tt.wantArgs == "" {
				if got != nil {
					t.Errorf("ran %q; want nothing run", got)
				}
				return
			}
			outputs := readOutputs(t, vars["GITHUB_OUTPUT"])
			if diff := cmp.Diff(tt.wantArgs, strings.ReplaceAll(strings.Join(got, " "), outputs["dir"], "DIR")); diff != "" {
				t.Errorf("command arguments (-want +got):\n%s", diff)
			}
		})
	}
}
