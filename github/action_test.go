package github_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/github"
	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"
)

// repoRoot is where action.yml and examples/ live, one level up.
const repoRoot = ".."

// exampleWorkflows are every workflow under examples/workflows.
var exampleWorkflows = func() []string {
	files, err := filepath.Glob(filepath.Join(repoRoot, "examples/workflows/*.yml"))
	if err != nil || len(files) == 0 {
		panic(fmt.Sprintf("no example workflows: %v", err))
	}
	for i, f := range files {
		files[i], _ = filepath.Rel(repoRoot, f)
	}
	return files
}()

type actionFile struct {
	Name    string
	Inputs  map[string]struct{ Description, Default string }
	Outputs map[string]struct{ Description, Value string }
	Runs    struct {
		Using string
		Steps []yaml.Node
	}
}

func readAction(t *testing.T) (actionFile, []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatalf("parse action.yml: %v", err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using = %q, want composite", a.Runs.Using)
	}
	return a, b
}

// stepFields returns each step's top-level keys with their values as YAML
// text, so a test can look at "run" apart from the rest.
func stepFields(t *testing.T, step yaml.Node) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i := 0; i+1 < len(step.Content); i += 2 {
		k, v := step.Content[i], step.Content[i+1]
		if v.Kind == yaml.ScalarNode {
			out[k.Value] = v.Value
			continue
		}
		b, err := yaml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[k.Value] = string(b)
	}
	return out
}

var inputRef = regexp.MustCompile(`\binputs\.([A-Za-z0-9_-]+)`)

func TestActionInputsAreAllUsed(t *testing.T) {
	a, _ := readAction(t)
	used := map[string]bool{}
	for _, step := range a.Runs.Steps {
		for key, text := range stepFields(t, step) {
			for _, m := range inputRef.FindAllStringSubmatch(text, -1) {
				if key == "run" {
					t.Errorf("step %q interpolates inputs.%s into its script; pass it through env", stepFields(t, step)["name"], m[1])
				}
				used[m[1]] = true
			}
		}
	}
	var declared, referenced []string
	for name := range a.Inputs {
		declared = append(declared, name)
	}
	for name := range used {
		referenced = append(referenced, name)
	}
	slices.Sort(declared)
	slices.Sort(referenced)
	if diff := cmp.Diff(declared, referenced); diff != "" {
		t.Errorf("declared inputs (-) vs inputs the steps use (+):\n%s", diff)
	}
	for _, want := range []string{"command", "config", "api-key", "api-url", "github-token", "comment", "parallelism", "wait", "wait-timeout", "allow-replace", "working-directory", "label"} {
		if _, ok := a.Inputs[want]; !ok {
			t.Errorf("input %q of the design is missing", want)
		}
	}
	if a.Inputs["github-token"].Default != "${{ github.token }}" || a.Inputs["command"].Default != "auto" || a.Inputs["comment"].Default != "true" {
		t.Errorf("defaults of github-token, command, comment: %+v", a.Inputs)
	}
}

func TestActionRunScriptsInterpolateNothing(t *testing.T) {
	a, _ := readAction(t)
	var apiKeyEnv int
	for _, step := range a.Runs.Steps {
		f := stepFields(t, step)
		if strings.Contains(f["run"], "${{") {
			t.Errorf("step %q has an expression in its run script:\n%s", f["name"], f["run"])
		}
		if strings.Contains(f["env"], "inputs.api-key") {
			apiKeyEnv++
			if !strings.Contains(f["env"], "PIPECAT_API_KEY: ${{ inputs.api-key }}") {
				t.Errorf("step %q passes the key other than as PIPECAT_API_KEY:\n%s", f["name"], f["env"])
			}
		}
		for key, text := range f {
			if key != "env" && strings.Contains(text, "api-key") {
				t.Errorf("step %q uses api-key in %q", f["name"], key)
			}
		}
	}
	if apiKeyEnv != 1 {
		t.Errorf("%d steps get the API key, want exactly the run step", apiKeyEnv)
	}
}

func TestActionOutputsComeFromTheBinary(t *testing.T) {
	a, _ := readAction(t)
	var names []string
	for name, o := range a.Outputs {
		names = append(names, name)
		if want := "${{ steps.run.outputs." + name + " }}"; o.Value != want {
			t.Errorf("output %s: value %q, want %q", name, o.Value, want)
		}
		if o.Description == "" {
			t.Errorf("output %s has no description", name)
		}
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(github.OutputNames))
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("action outputs vs github.OutputNames (-want +got):\n%s", diff)
	}
	var ids []string
	var setupGo map[string]string
	for _, step := range a.Runs.Steps {
		f := stepFields(t, step)
		ids = append(ids, f["id"])
		if strings.HasPrefix(f["uses"], "actions/setup-go@") {
			setupGo = f
		}
	}
	if !slices.Contains(ids, "run") {
		t.Errorf("no step has id run; step ids: %q", ids)
	}
	if setupGo == nil || !strings.Contains(setupGo["with"], "go-version-file: ${{ github.action_path }}/go.mod") ||
		!strings.Contains(setupGo["with"], "cache-dependency-path: ${{ github.action_path }}/go.sum") {
		t.Errorf("setup-go does not use the action's own go.mod and go.sum: %v", setupGo)
	}
}

func newLinter(t *testing.T, out *bytes.Buffer) *actionlint.Linter {
	t.Helper()
	opts := &actionlint.LinterOptions{Color: actionlint.ColorOptionKindNever, Oneline: true}
	// shellcheck is an external program; use it when the machine has it.
	if p, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = p
	}
	l, err := actionlint.NewLinter(out, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func lint(t *testing.T, path string, src []byte, project *actionlint.Project) []*actionlint.Error {
	t.Helper()
	var out bytes.Buffer
	errs, err := newLinter(t, &out).Lint(path, src, project)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 {
		t.Logf("actionlint:\n%s", out.String())
	}
	return errs
}

func project(t *testing.T) *actionlint.Project {
	t.Helper()
	abs, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	p, err := actionlint.NewProject(abs)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestActionlintWorkflows lints both example workflows as published, and
// again with the action resolved locally ("uses: ./"), which makes
// actionlint check action.yml's metadata (name, description, branding,
// composite runs) and every "with:" key and required input against it.
func TestActionlintWorkflows(t *testing.T) {
	for _, wf := range exampleWorkflows {
		t.Run(filepath.Base(wf), func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(repoRoot, wf))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(src, []byte("uses: pipecat-gitops/pipecat-gitops@v1")) {
				t.Fatalf("%s does not use pipecat-gitops/pipecat-gitops@v1", wf)
			}
			if errs := lint(t, wf, src, nil); len(errs) > 0 {
				t.Errorf("%d actionlint errors", len(errs))
			}
			local := bytes.ReplaceAll(src, []byte("uses: pipecat-gitops/pipecat-gitops@v1"), []byte("uses: ./"))
			if errs := lint(t, wf, local, project(t)); len(errs) > 0 {
				t.Errorf("%d actionlint errors against the local action.yml", len(errs))
			}
		})
	}
}

// TestActionlintCatchesBadInput proves the local check above is real: a
// misspelt input and a missing required one are errors.
func TestActionlintCatchesBadInput(t *testing.T) {
	src := []byte(`on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - uses: ./
        with:
          comand: plan
`)
	errs := lint(t, "bad.yml", src, project(t))
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Message)
	}
	all := strings.Join(msgs, "\n")
	if !strings.Contains(all, `input "comand" is not defined`) || !strings.Contains(all, `missing input "api-key"`) {
		t.Errorf("actionlint missed the bad inputs; it said:\n%s", all)
	}
}

// TestActionlintCompositeSteps lints action.yml's steps. actionlint reads
// only workflows (and local actions' metadata, above), so the steps are
// put in a workflow_call job whose inputs are the action's: that checks
// their syntax, every ${{ }} expression and its context (inputs, steps,
// github.action_path), the "if:" conditions and, where shellcheck is
// installed, the scripts.
func TestActionlintCompositeSteps(t *testing.T) {
	a, _ := readAction(t)
	src := compositeAsWorkflow(t, a)
	if errs := lint(t, "action.yml (as a workflow)", src, nil); len(errs) > 0 {
		t.Errorf("%d actionlint errors in the composite steps; the workflow linted:\n%s", len(errs), src)
	}

	// The same wrapping reports an undeclared input and a bad step output
	// reference, so a clean result above means something.
	var bad yaml.Node
	if err := yaml.Unmarshal([]byte("name: bad\nif: steps.nope.outputs.x == 'y'\nshell: bash\nenv:\n  X: ${{ inputs.undeclared }}\nrun: echo \"$X\"\n"), &bad); err != nil {
		t.Fatal(err)
	}
	a.Runs.Steps = append(a.Runs.Steps, *bad.Content[0])
	var msgs []string
	for _, e := range lint(t, "bad", compositeAsWorkflow(t, a), nil) {
		msgs = append(msgs, e.Message)
	}
	all := strings.Join(msgs, "\n")
	if !strings.Contains(all, `property "undeclared" is not defined`) || !strings.Contains(all, `property "nope" is not defined`) {
		t.Errorf("the wrapped lint missed the bad step; actionlint said:\n%s", all)
	}
}

func compositeAsWorkflow(t *testing.T, a actionFile) []byte {
	t.Helper()
	inputs := map[string]any{}
	for name := range a.Inputs {
		inputs[name] = map[string]any{"type": "string", "required": false}
	}
	wf := map[string]any{
		"on": map[string]any{"workflow_call": map[string]any{"inputs": inputs}},
		"jobs": map[string]any{"action": map[string]any{
			"runs-on": "ubuntu-latest",
			"steps":   a.Runs.Steps,
		}},
	}
	src, err := yaml.Marshal(wf)
	if err != nil {
		t.Fatal(err)
	}
	return src
}
