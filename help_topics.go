package main

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// helpTopic is what `help TOPIC` prints besides the commands: what a user
// looks up with the binary alone at hand.
type helpTopic struct {
	name, summary string
	text          func() string
}

// helpTopics are listed in the usage after the commands, in this order.
var helpTopics = []helpTopic{
	{"config", "Every key of pipecat.yaml, from its JSON Schema.", configHelp},
	{"action", "The GitHub Action: its inputs and outputs.", actionHelp},
	{"environment", "The environment variables pipecat-gitops reads.", environmentHelp},
	{"exit-codes", "What each exit code means.", exitCodesHelp},
}

func findTopic(name string) (helpTopic, bool) {
	for _, t := range helpTopics {
		if t.name == name {
			return t, true
		}
	}
	return helpTopic{}, false
}

// unknownHelp is the error of `help NAME` for a name that is neither a
// command nor a topic, with the nearest of either as a hint.
func unknownHelp(name string) error {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	for _, t := range helpTopics {
		names = append(names, t.name)
	}
	hints := []string{"run 'pipecat-gitops help' for the list of commands and topics"}
	if near := schema.Suggest(name, names); near != "" {
		hints = append([]string{fmt.Sprintf("did you mean %q?", near)}, hints...)
	}
	return withHint(fmt.Errorf("unknown command or help topic %q", name), hints...)
}

// configHelp is the field reference of docs/configuration.md, as text.
func configHelp() string {
	return wrap("The keys of pipecat.yaml, from its JSON Schema ('pipecat-gitops schema' prints the schema itself). "+
		"A key left out is unmanaged: it is neither sent nor compared.", "", helpWidth) +
		"\n\n" + schema.ConfigReference().Text(helpWidth)
}

// actionYAML is the action.yml of this version, so `help action` tells the
// inputs and outputs of the action that runs this binary.
//
//go:embed action.yml
var actionYAML []byte

// actionHelp lists the action's inputs and outputs from action.yml.
func actionHelp() string {
	var doc struct {
		Inputs  yaml.Node `yaml:"inputs"`
		Outputs yaml.Node `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(actionYAML, &doc); err != nil {
		panic(fmt.Sprintf("embedded action.yml: %v", err)) // a build defect; tests catch it
	}
	var b strings.Builder
	b.WriteString(wrap("The GitHub Action runs pipecat-gitops in a workflow: plan on pull requests, "+
		"with the plan as a comment, and apply on a push to the default branch. The smallest step:", "", helpWidth))
	b.WriteString("\n\n  - uses: pipecat-gitops/pipecat-gitops@v1\n    with:\n      api-key: ${{ secrets.PIPECAT_API_KEY }}\n")
	for _, part := range []struct {
		title string
		node  *yaml.Node
	}{{"Inputs", &doc.Inputs}, {"Outputs", &doc.Outputs}} {
		b.WriteString("\n" + part.title + ":\n")
		var rows [][2]string
		for i := 0; i+1 < len(part.node.Content); i += 2 {
			var in struct {
				Description string `yaml:"description"`
				Required    bool   `yaml:"required"`
				Default     string `yaml:"default"`
			}
			if err := part.node.Content[i+1].Decode(&in); err != nil {
				panic(fmt.Sprintf("embedded action.yml: %s: %v", part.node.Content[i].Value, err))
			}
			text := in.Description
			switch {
			case in.Required:
				text += " (required)"
			case in.Default != "" && part.title == "Inputs":
				text += fmt.Sprintf(" (default %q)", in.Default)
			}
			rows = append(rows, [2]string{part.node.Content[i].Value, text})
		}
		writeRows(&b, rows)
	}
	b.WriteString("\n" + wrap("The pull-request flow, permissions, forks, environments and strict mode: "+
		"docs/github-action.md in the repository.", "", helpWidth) + "\n")
	return b.String()
}

// environmentRows are the variables every command's help lists, grouped;
// TestHelpEnvironmentCoversCommands keeps it complete.
var environmentRows = []struct {
	group string
	vars  []envDoc
}{
	{"Pipecat Cloud (plan, apply, import)", envAPI},
	{"The config (validate, plan, apply)", []envDoc{envConfig, envSecretSets}},
	{"Output (plan, apply, show)", []envDoc{envColor}},
	{"GitHub Actions (set by the runner)", append(slices.Clip(envRun), []envDoc{
		{"GITHUB_REF_NAME", "the branch of the run: comment, on a push, finds the last successful apply on it"},
		{"GITHUB_TOKEN", "the token comment posts with; a ${VAR} in pipecat.yaml may not read it"},
		{"GITHUB_API_URL", "the GitHub API comment talks to (default https://api.github.com)"},
		{"GITHUB_EVENT_NAME, GITHUB_EVENT_PATH", "the workflow event, to find the pull request comment writes to"},
	}...)},
}

func environmentHelp() string {
	var b strings.Builder
	b.WriteString(wrap("Environment variables pipecat-gitops reads. Each command's help lists those it reads "+
		"and what for.", "", helpWidth) + "\n")
	for _, g := range environmentRows {
		b.WriteString("\n" + g.group + ":\n")
		rows := make([][2]string, len(g.vars))
		for i, v := range g.vars {
			rows[i] = [2]string{v.name, v.what}
		}
		writeRows(&b, rows)
	}
	return b.String()
}

// exitCodes are the codes of every command; each command's help says what
// each means for it.
var exitCodes = []exitDoc{
	{0, "success (for plan: also when there are changes, unless --detailed-exitcode)"},
	{1, "any error: invalid config, bad flag or argument, API failure, preflight error, a failed or interrupted apply (even partly), a stale saved plan, a refused replace, a refused confirmation"},
	{2, "only plan --detailed-exitcode, when the plan has changes (unmanaged agents and findings alone are not changes), or, with --fail-on-unhealthy, a managed agent is unhealthy"},
}

func exitCodesHelp() string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	rows := make([][2]string, len(exitCodes))
	for i, x := range exitCodes {
		rows[i] = [2]string{fmt.Sprint(x.code), x.what}
	}
	writeRows(&b, rows)
	b.WriteString("\n" + wrap("A bad flag exits 1, never 2, so scripts can trust 2 to mean \"changes\". "+
		"Each command's help says what its codes mean: pipecat-gitops help <command>.", "", helpWidth) + "\n")
	return b.String()
}
