package github_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestActionBinarySteps runs action.yml's "Run pipecat-gitops" and
// "Comment on the pull request" steps with bash and a stub binary that
// records its arguments and the variables it gets: each step hands the
// binary its inputs and the run step's outputs, each value intact, and
// decides nothing itself. What the binary decides (the command of an
// event, the base revision, the label) is tested in the main package
// (TestActionRun, TestActionComment).
func TestActionBinarySteps(t *testing.T) {
	a, _ := readAction(t)
	for _, tt := range []struct {
		step     string
		wantArgs string
	}{
		{"Run pipecat-gitops", "action run"},
		{"Comment on the pull request", "action comment"},
	} {
		t.Run(tt.step, func(t *testing.T) {
			step := actionStep(t, tt.step)
			temp := t.TempDir()
			record := filepath.Join(temp, "record")
			stub := "#!/bin/sh\necho \"$*\" > '" + record + "'\nenv | sort >> '" + record + "'\n"
			if err := os.WriteFile(filepath.Join(temp, "pipecat-gitops"), []byte(stub), 0o755); err != nil {
				t.Fatal(err)
			}
			// Every expression gets a value of its own, with characters a
			// shell would act on, so a value passed wrongly shows.
			values := map[string]string{}
			for _, m := range expression.FindAllStringSubmatch(step["env"]+step["working-directory"], -1) {
				values[m[1]] = m[1] + ` $(x) "q" 'a;b'`
			}
			values["inputs.working-directory"] = t.TempDir()
			if _, err := runStep(t, step, values, map[string]string{"RUNNER_TEMP": temp}); err != nil {
				t.Fatalf("step failed: %v", err)
			}
			data, err := os.ReadFile(record)
			if err != nil {
				t.Fatal(err)
			}
			args, env, _ := strings.Cut(string(data), "\n")
			if args != tt.wantArgs {
				t.Errorf("binary arguments %q, want %q", args, tt.wantArgs)
			}
			got := map[string]string{}
			for _, line := range strings.Split(env, "\n") {
				if k, v, ok := strings.Cut(line, "="); ok {
					got[k] = v
				}
			}
			var inputs []string
			for name, expr := range envExpressions(t, step["env"]) {
				if want := values[expr]; got[name] != want {
					t.Errorf("%s=%q, want %q (from %s)", name, got[name], want, expr)
				}
				if in, ok := strings.CutPrefix(expr, "inputs."); ok && in != "api-key" && in != "github-token" {
					inputs = append(inputs, in)
					if want := "INPUT_" + strings.ToUpper(strings.ReplaceAll(in, "-", "_")); name != want {
						t.Errorf("input %s is passed as %s, want %s", in, name, want)
					}
				}
			}
			if len(inputs) == 0 {
				t.Error("the step passes no input")
			}
			if tt.step == "Run pipecat-gitops" {
				// Every input of the action but those of the other steps.
				var want []string
				for name := range a.Inputs {
					if !slices.Contains([]string{"api-key", "github-token", "comment", "label", "working-directory"}, name) {
						want = append(want, name)
					}
				}
				slices.Sort(want)
				slices.Sort(inputs)
				if diff := cmp.Diff(want, inputs); diff != "" {
					t.Errorf("inputs the run step passes (-want +got):\n%s", diff)
				}
			}
		})
	}
}

var envLine = regexp.MustCompile(`^([A-Z_]+): \$\{\{ (\S+) \}\}$`)

// envExpressions maps each variable of a step's env to the expression it
// holds.
func envExpressions(t *testing.T, env string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(env), "\n") {
		m := envLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("env line %q is not NAME: ${{ expression }}", line)
		}
		out[m[1]] = m[2]
	}
	return out
}
