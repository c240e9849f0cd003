package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// readOutputs parses a $GITHUB_OUTPUT file of single-line values; a later
// value of a name wins, as on the runner.
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		name, value, _ := strings.Cut(line, "=")
		out[name] = value
	}
	return out
}

// TestAgentOutputs runs plan and apply in turn against one sandbox and
// checks the outputs that name agents: the official action's build-id and
// service-name, set only for exactly one agent, and the JSON build-ids and
// changed-agents for any number.
func TestAgentOutputs(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bot"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bot", "Dockerfile"), []byte("FROM python:3.12\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(content string) string {
		path := filepath.Join(dir, "pipecat.yaml")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	url, _ := startTestAPI(t)
	// build is the ID of the one build; steps after the first build
	// compare with it.
	var build string
	const agentKeys = "changed-agents service-name build-ids build-id"
	steps := []struct {
		name   string
		config string
		args   []string
		want   func() map[string]string
	}{
		{"a plan of one image agent names it", "version: 1\nagents:\n  voice:\n    image: acme/voice:1.0\n", []string{"plan"},
			func() map[string]string {
				return map[string]string{"changed-agents": `["voice"]`, "service-name": "voice", "build-ids": "{}", "build-id": ""}
			}},
		{"its apply names it too", "", []string{"apply", "--auto-approve"},
			func() map[string]string {
				return map[string]string{"changed-agents": `["voice"]`, "service-name": "voice", "build-ids": "{}", "build-id": ""}
			}},
		{"a plan with nothing to change names nothing", "", []string{"plan"},
			func() map[string]string {
				return map[string]string{"changed-agents": "[]", "service-name": "", "build-ids": "{}", "build-id": ""}
			}},
		{"two changed agents leave service-name empty; the one build is build-id", "version: 1\nagents:\n  voice:\n    image: acme/voice:1.1\n  bot:\n    build: {context: bot}\n",
			[]string{"apply", "--auto-approve"},
			func() map[string]string {
				return map[string]string{"changed-agents": `["bot","voice"]`, "service-name": "", "build-ids": `{"bot":"` + build + `"}`, "build-id": build}
			}},
		{"a plan knows a cached build before apply", "version: 1\nagents:\n  voice:\n    image: acme/voice:1.1\n  bot:\n    build: {context: bot}\n    agentProfile: agent-2x\n  bot2:\n    build: {context: bot}\n",
			[]string{"plan"},
			func() map[string]string {
				return map[string]string{"changed-agents": `["bot","bot2"]`, "service-name": "", "build-ids": `{"bot":"` + build + `","bot2":"` + build + `"}`, "build-id": ""}
			}},
		{"deletes count as changes", "version: 1\nagents:\n  bot:\n    build: {context: bot}\n    agentProfile: agent-2x\n  bot2:\n    build: {context: bot}\nprune: {enabled: true}\n", []string{"apply", "--auto-approve"},
			func() map[string]string {
				return map[string]string{"changed-agents": `["bot","bot2","voice"]`, "service-name": "", "build-ids": `{"bot":"` + build + `","bot2":"` + build + `"}`, "build-id": ""}
			}},
		{"one deleted agent is a change but no service", "version: 1\nagents:\n  bot:\n    build: {context: bot}\n    agentProfile: agent-2x\nprune: {enabled: true}\n", []string{"apply", "--auto-approve"},
			func() map[string]string {
				return map[string]string{"changed-agents": `["bot2"]`, "service-name": "", "build-ids": "{}", "build-id": ""}
			}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			cfg := filepath.Join(dir, "pipecat.yaml")
			if st.config != "" {
				cfg = write(st.config)
			}
			out := filepath.Join(t.TempDir(), "output")
			vars := map[string]string{"PIPECAT_API_URL": url, "PIPECAT_API_KEY": "k", "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out}
			var stdout, stderr bytes.Buffer
			e := newEnv(strings.NewReader(""), &stdout, &stderr,
				func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
				func(any) bool { return false })
			args := append(append([]string{}, st.args...), "-f", cfg)
			if code := dispatch(context.Background(), e, args); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			got := readOutputs(t, out)
			if build == "" && got["build-id"] != "" {
				build = got["build-id"]
			}
			picked := map[string]string{}
			for _, k := range strings.Fields(agentKeys) {
				picked[k] = got[k]
			}
			if diff := cmp.Diff(st.want(), picked); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
		})
	}
	if build == "" {
		t.Error("no build ID was ever output")
	}
}

// TestApplyAgentOutputs covers what a sandbox run cannot easily stage:
// a deploy that fails after its build succeeded, a failed build, a create
// that found its work done, an agent deployed from a buildId.
func TestApplyAgentOutputs(t *testing.T) {
	id := "b-1"
	p := &plan.Plan{Changes: []plan.Change{
		{Agent: "pinned", Action: plan.Update, Desired: &schema.Spec{BuildID: &id}},
		{Agent: "pinned-failed", Action: plan.Update, Desired: &schema.Spec{BuildID: &id}},
	}}
	tests := []struct {
		name    string
		results []apply.AgentResult
		want    map[string]string
	}{
		{"a deploy that failed after its build still names the build",
			[]apply.AgentResult{{Agent: "voice", Action: plan.Update, Outcome: apply.Failed, Build: &apply.BuildResult{ID: "b-2", Status: "success"}}},
			map[string]string{"changed-agents": "[]", "service-name": "", "build-ids": `{"voice":"b-2"}`, "build-id": "b-2"}},
		{"a failed build is no build",
			[]apply.AgentResult{{Agent: "voice", Action: plan.Update, Outcome: apply.Failed, Build: &apply.BuildResult{ID: "b-3", Status: "failed"}}},
			map[string]string{"changed-agents": "[]", "service-name": "", "build-ids": "{}", "build-id": ""}},
		{"a create that found its work done changed nothing",
			[]apply.AgentResult{{Agent: "voice", Action: plan.Create, Outcome: apply.Succeeded, Effect: apply.AlreadyInPlace}},
			map[string]string{"changed-agents": "[]", "service-name": "", "build-ids": "{}", "build-id": ""}},
		{"an agent deployed from a buildId names it; a failed one does not",
			[]apply.AgentResult{{Agent: "pinned", Action: plan.Update, Outcome: apply.Succeeded, Effect: apply.Updated},
				{Agent: "pinned-failed", Action: plan.Update, Outcome: apply.Failed}},
			map[string]string{"changed-agents": `["pinned"]`, "service-name": "pinned", "build-ids": `{"pinned":"b-1"}`, "build-id": "b-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			for _, o := range applyAgentOutputs(&apply.Result{Results: tt.results}, p) {
				got[o.Name] = o.Value
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
		})
	}
}
