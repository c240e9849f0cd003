package github_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestActionRunStep runs action.yml's "Run pipecat-gitops" step with bash
// and a stub binary that records its arguments: which command each event
// runs, and that the plan's decisions reach plan and apply alike.
func TestActionRunStep(t *testing.T) {
	step := actionStep(t, "Run pipecat-gitops")
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
	const zeros = "0000000000000000000000000000000000000000"
	tests := []struct {
		name     string
		event    string
		inputs   map[string]string
		workdir  func(t *testing.T) string // default: an empty directory
		wantArgs string                    // "" when the step must fail before running the binary
		wantOut  string                    // a line the step must print
		check    func(t *testing.T, workdir string)
	}{
		{
			name: "a pull request is compared with its base commit", event: "pull_request", workdir: shallow,
			inputs:   map[string]string{"github.event.pull_request.base.sha": second},
			wantArgs: "plan -f pipecat.yaml --parallelism 8 --summary-file DIR/summary.md --base " + second + " --out DIR/plan.json --format text",
		},
		{
			name: "a base a shallow checkout lacks is fetched", event: "pull_request", workdir: shallow,
			inputs:   map[string]string{"github.event.pull_request.base.sha": first},
			wantArgs: "plan -f pipecat.yaml --parallelism 8 --summary-file DIR/summary.md --base " + first + " --out DIR/plan.json --format text",
			check: func(t *testing.T, dir string) {
				gitIn(t, dir, "cat-file", "-e", first+"^{commit}")
			},
		},
		{
			name: "a base that cannot be fetched is a warning, not a failure", event: "pull_request",
			inputs:   map[string]string{"github.event.pull_request.base.sha": first},
			wantOut:  "::warning title=pipecat-gitops::could not fetch the base commit; build inputs will not be compared with it",
			wantArgs: "plan -f pipecat.yaml --parallelism 8 --summary-file DIR/summary.md --base " + first + " --out DIR/plan.json --format text",
		},
		{
			name: "a push is compared with the commit before it", event: "push", workdir: shallow,
			inputs:   map[string]string{"github.event.before": second},
			wantArgs: "apply -f pipecat.yaml --parallelism 8 --summary-file DIR/summary.md --base " + second + " --auto-approve --build-timeout 10m",
		},
		{
			name: "the push that creates a branch has no base", event: "push",
			inputs:   map[string]string{"github.event.before": zeros},
			wantArgs: "apply -f pipecat.yaml --parallelism 8 --summary-file DIR/summary.md --auto-approve --build-timeout 10m",
		},
		{
			name: "the base input wins", event: "pull_request", workdir: shallow,
			inputs:   map[string]string{"inputs.base": second, "github.event.pull_request.base.sha": first},
			wantArgs: "plan -f pipecat.yaml --parallelism 8 --summary-file DIR/summary.md --base " + second + " --out DIR/plan.json --format text",
		},
		{
			name: "a saved plan carries its own base", event: "push",
			inputs:   map[string]string{"inputs.plan-file": "reviewed/plan.json", "github.event.before": second, "inputs.build-timeout": "30m"},
			wantArgs: "apply reviewed/plan.json --parallelism 8 --summary-file DIR/summary.md --auto-approve --build-timeout 30m",
		},
		{
			name: "auto plans a pull request", event: "pull_request",
			wantArgs: "plan -f pipecat.yaml --parallelism 8 --summary-file DIR/summary.md --out DIR/plan.json --format text",
		},
		{
			name: "auto applies a push, waiting", event: "push", inputs: map[string]string{"inputs.wait": "true"},
			wantArgs: "apply -f pipecat.yaml --parallelism 8 --summary-file DIR/summary.md --auto-approve --build-timeout 10m --wait --wait-timeout 5m",
		},
		{
			name: "decisions go to plan too", event: "pull_request",
			inputs:   map[string]string{"inputs.allow-replace": "true", "inputs.redeploy-builds": "true", "inputs.update-image-pull-secrets": "true"},
			wantArgs: "plan -f pipecat.yaml --parallelism 8 --summary-file DIR/summary.md --allow-replace --redeploy-builds --update-image-pull-secrets --out DIR/plan.json --format text",
		},
		{
			name: "and to apply", event: "push",
			inputs:   map[string]string{"inputs.allow-replace": "true", "inputs.redeploy-builds": "true", "inputs.update-image-pull-secrets": "true"},
			wantArgs: "apply -f pipecat.yaml --parallelism 8 --summary-file DIR/summary.md --allow-replace --redeploy-builds --update-image-pull-secrets --auto-approve --build-timeout 10m",
		},
		{
			name: "apply of a saved plan takes no decision flags", event: "push",
			inputs:   map[string]string{"inputs.plan-file": "reviewed/plan.json", "inputs.allow-replace": "true", "inputs.update-image-pull-secrets": "true"},
			wantArgs: "apply reviewed/plan.json --parallelism 8 --summary-file DIR/summary.md --auto-approve --build-timeout 10m",
		},
		{
			name: "auto refuses pull_request_target with the reason", event: "pull_request_target",
			wantOut: "::error title=pipecat-gitops::command: auto refuses pull_request_target: that event runs with the repository's secrets",
		},
		{
			name: "an explicit plan on pull_request_target is the workflow's choice", event: "pull_request_target",
			inputs:   map[string]string{"inputs.command": "plan"},
			wantArgs: "plan -f pipecat.yaml --parallelism 8 --summary-file DIR/summary.md --out DIR/plan.json --format text",
		},
		{
			name: "auto on another event says what to do", event: "schedule",
			wantOut: "::error title=pipecat-gitops::command: auto runs plan on pull_request and apply on push; on schedule set command: plan or apply",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			temp := t.TempDir()
			argsFile := filepath.Join(temp, "args")
			stub := "#!/bin/sh\necho \"$@\" > " + argsFile + "\n"
			if err := os.WriteFile(filepath.Join(temp, "pipecat-gitops"), []byte(stub), 0o755); err != nil {
				t.Fatal(err)
			}
			workdir := t.TempDir()
			if tt.workdir != nil {
				workdir = tt.workdir(t)
			}
			values := map[string]string{
				"inputs.working-directory": workdir, "inputs.api-key": "pk_test", "inputs.command": "auto",
				"inputs.config": "pipecat.yaml", "inputs.api-url": "", "inputs.parallelism": "8", "inputs.wait": "false",
				"inputs.wait-timeout": "5m", "inputs.allow-replace": "false", "inputs.redeploy-builds": "false", "inputs.update-image-pull-secrets": "false", "inputs.plan-file": "",
				"inputs.base": "", "inputs.build-timeout": "10m", "github.event.pull_request.base.sha": "", "github.event.before": "",
			}
			for k, v := range tt.inputs {
				values[k] = v
			}
			out, err := runStep(t, step, values, map[string]string{
				"GITHUB_EVENT_NAME": tt.event, "RUNNER_TEMP": temp, "GITHUB_OUTPUT": filepath.Join(temp, "output"),
			})
			if tt.wantOut != "" && !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout %q does not contain %q", out, tt.wantOut)
			}
			data, readErr := os.ReadFile(argsFile)
			if tt.wantArgs == "" {
				if err == nil || readErr == nil {
					t.Errorf("step ran the binary (%q) or succeeded (%v); want a refusal", data, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("step failed: %v\n%s", err, out)
			}
			outputs, _ := os.ReadFile(filepath.Join(temp, "output"))
			_, dir, _ := strings.Cut(string(outputs), "dir=")
			got := strings.ReplaceAll(strings.TrimSpace(string(data)), strings.TrimSpace(dir), "DIR")
			if diff := cmp.Diff(tt.wantArgs, got); diff != "" {
				t.Errorf("binary arguments (-want +got):\n%s", diff)
			}
			if tt.check != nil {
				tt.check(t, workdir)
			}
		})
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

// TestActionCommentStep runs action.yml's "Comment on the pull request"
// step with a stub binary: what it posts after each command, which label
// a plan keeps, and that the apply of a saved plan is posted on its own
// pull request only (it carried no earlier merge's changes).
func TestActionCommentStep(t *testing.T) {
	step := actionStep(t, "Comment on the pull request")
	tests := []struct {
		name     string
		values   map[string]string
		summary  bool   // a summary was written
		wantArgs string // "" when the binary must not run
		wantOut  string
	}{
		{
			name: "a plan's summary, no label", summary: true,
			values:   map[string]string{"steps.run.outputs.command": "plan", "steps.run.outputs.has-changes": "true"},
			wantArgs: "comment --body-file DIR/summary.md",
		},
		{
			name: "a plan that deletes keeps pipecat:deletes", summary: true,
			values:   map[string]string{"inputs.label": "true", "steps.run.outputs.command": "plan", "steps.run.outputs.has-changes": "true", "steps.run.outputs.deleted": "1"},
			wantArgs: "comment --body-file DIR/summary.md --label pipecat:deletes",
		},
		{
			name: "a failed plan is posted without a label", summary: true,
			values:   map[string]string{"inputs.label": "true", "steps.run.outputs.command": "plan"},
			wantArgs: "comment --body-file DIR/summary.md",
		},
		{
			name: "an apply also tells earlier merges", summary: true,
			values:   map[string]string{"steps.run.outputs.command": "apply"},
			wantArgs: "comment --body-file DIR/summary.md",
		},
		{
			name: "the apply of a saved plan tells its own pull request only", summary: true,
			values:   map[string]string{"steps.run.outputs.command": "apply", "inputs.plan-file": "reviewed/plan.json"},
			wantArgs: "comment --body-file DIR/summary.md --own-only",
		},
		{
			name: "no summary, nothing to post", values: map[string]string{"steps.run.outputs.command": "apply"},
			wantOut: "pipecat-gitops: no summary was written; nothing to comment",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			temp, dir := t.TempDir(), t.TempDir()
			argsFile := filepath.Join(temp, "args")
			stub := "#!/bin/sh\necho \"$@\" > " + argsFile + "\n"
			if err := os.WriteFile(filepath.Join(temp, "pipecat-gitops"), []byte(stub), 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.summary {
				if err := os.WriteFile(filepath.Join(dir, "summary.md"), []byte("<!-- pipecat-gitops: pipecat.yaml -->\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			values := map[string]string{
				"inputs.working-directory": t.TempDir(), "inputs.github-token": "ghs_x", "inputs.label": "false", "inputs.plan-file": "",
				"steps.run.outputs.dir": dir, "steps.run.outputs.command": "", "steps.run.outputs.has-changes": "",
				"steps.run.outputs.deleted": "", "steps.run.outputs.replaced": "",
			}
			for k, v := range tt.values {
				values[k] = v
			}
			out, err := runStep(t, step, values, map[string]string{"RUNNER_TEMP": temp})
			if err != nil {
				t.Fatalf("step failed: %v\n%s", err, out)
			}
			if tt.wantOut != "" && !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout %q does not contain %q", out, tt.wantOut)
			}
			data, readErr := os.ReadFile(argsFile)
			if tt.wantArgs == "" {
				if readErr == nil {
					t.Errorf("the binary ran (%q); want it not run", data)
				}
				return
			}
			got := strings.ReplaceAll(strings.TrimSpace(string(data)), dir, "DIR")
			if diff := cmp.Diff(tt.wantArgs, got); diff != "" {
				t.Errorf("binary arguments (-want +got):\n%s", diff)
			}
		})
	}
}
