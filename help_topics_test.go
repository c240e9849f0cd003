package main

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestHelpTopics checks the lines a user looks for in each help topic.
func TestHelpTopics(t *testing.T) {
	tests := []struct {
		topic string
		lines []string
	}{
		{"config", []string{
			"Top level:",
			"  version: always 1 (required)",
			"  prune.maxDeletes: integer, at least 0",
			"Agent fields:",
			"  image: string, at most 520 characters",
			"  managedKeys: boolean",
			"Secret set fields:",
			"  secrets.<KEY>.fromEnv: string, 1 to 255 characters (required)",
		}},
		{"action", []string{
			"  - uses: pipecat-gitops/pipecat-gitops@v1",
			"Inputs:",
			"  api-key                    Pipecat Cloud private API key. Pass a secret, e.g.",
			"  parallelism                Maximum API requests in flight. (default \"8\")",
			"Outputs:",
			"  has-changes     \"true\" when the plan has changes.",
		}},
		{"environment", []string{
			"  PIPECAT_API_KEY  the organization's private API key (not needed with",
			"  NO_COLOR  set and not empty: no colour, even on a terminal",
			"  GITHUB_TOKEN      the token comment posts with; a ${VAR} in pipecat.yaml may",
		}},
		{"exit-codes", []string{
			"  0  success (for plan: also when there are changes, unless --detailed-exitcode)",
			"  1  any error: invalid config, bad flag or argument, API failure, preflight",
			"  2  only plan --detailed-exitcode, when the plan has changes (unmanaged agents",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.topic, func(t *testing.T) {
			code, stdout, stderr := runInProcess([]string{"help", tt.topic}, nil)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			lines := map[string]bool{}
			for _, l := range strings.Split(stdout, "\n") {
				lines[l] = true
				if len(l) > helpWidth {
					t.Errorf("line longer than %d: %q", helpWidth, l)
				}
			}
			for _, want := range tt.lines {
				if !lines[want] {
					t.Errorf("no line %q in:\n%s", want, stdout)
				}
			}
		})
	}
}

// TestHelpEnvironmentCoversCommands checks that the environment topic
// names every variable a command's help lists.
func TestHelpEnvironmentCoversCommands(t *testing.T) {
	listed := map[string]bool{}
	for _, g := range environmentRows {
		for _, v := range g.vars {
			listed[v.name] = true
			for _, n := range strings.Split(v.name, ", ") {
				listed[n] = true
			}
		}
	}
	for _, c := range commands {
		for _, v := range c.doc.env {
			for _, n := range strings.Split(v.name, ", ") {
				if !listed[n] {
					t.Errorf("%s reads %s, which help environment does not list", c.name, n)
				}
			}
		}
	}
}

// TestHelpExitCodesCoverCommands checks that every exit code a command
// documents is one the exit-codes topic explains.
func TestHelpExitCodesCoverCommands(t *testing.T) {
	known := map[int]bool{}
	for _, x := range exitCodes {
		known[x.code] = true
	}
	for _, c := range commands {
		for _, x := range c.doc.exits {
			if !known[x.code] {
				t.Errorf("%s exits %d, which help exit-codes does not explain", c.name, x.code)
			}
		}
	}
}

// TestHelpActionListsAction checks that help action lists every input and
// output of action.yml.
func TestHelpActionListsAction(t *testing.T) {
	var doc struct {
		Inputs  map[string]any `yaml:"inputs"`
		Outputs map[string]any `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(actionYAML, &doc); err != nil {
		t.Fatal(err)
	}
	text := actionHelp()
	for _, m := range []map[string]any{doc.Inputs, doc.Outputs} {
		for name := range m {
			if !strings.Contains(text, "\n  "+name+" ") {
				t.Errorf("help action does not list %s", name)
			}
		}
	}
	if len(doc.Inputs) < 10 || len(doc.Outputs) < 5 {
		t.Errorf("action.yml has %d inputs and %d outputs; the decoding is broken", len(doc.Inputs), len(doc.Outputs))
	}
}
