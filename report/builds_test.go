package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

const (
	hashNow  = "a1b2c3d4e5f6a7b8"
	hashWas  = "0f1e2d3c4b5a6978"
	cachedID = "7d3e9a41-5b2c-4f8e-9a1d-2c3b4a5d6e7f"
)

// buildsPlan is a plan made with --base: a context that changed (a new
// build), one that changed to a context built before (reused), one
// unchanged, a new agent, and an agent that is not comparable because
// it is not in the base.
func buildsPlan() *plan.Plan {
	src := func(dir string) *schema.Spec {
		return &schema.Spec{Build: &schema.BuildSource{Context: ptr(dir)}, Region: ptr("us-west")}
	}
	bp := func(ctx, hash, compared, was, cached string) *plan.BuildPlan {
		return &plan.BuildPlan{Context: ctx, Dockerfile: "Dockerfile", Region: "us-west", ContextHash: hash, Files: 12, Size: 3481,
			Compared: compared, BaseContextHash: was, CachedBuildID: cached}
	}
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		Config:        "pipecat.yaml",
		Options:       plan.Options{Base: "origin/main", BaseCommit: "9fceb02d0ae598e95dc970b74767f19372d61af8"},
		Changes: []plan.Change{
			{Agent: "changed-bot", Action: plan.Update, Line: 4, Fingerprint: "sha256:changed",
				Reason:  "build: context changed 0f1e2d3c -> a1b2c3d4; new cloud build",
				Desired: src("agents/voice"), Build: bp("agents/voice", hashNow, plan.CompareChanged, hashWas, "")},
			{Agent: "fresh-bot", Action: plan.Create, Line: 8, Fingerprint: "absent",
				Fields:  []plan.FieldChange{{Path: "build.context", After: "agents/voice"}, {Path: "build.dockerfile", After: "prod.Dockerfile"}, {Path: "region", After: "us-west"}, {Path: "managedKeys", After: true}},
				Desired: &schema.Spec{Build: &schema.BuildSource{Context: ptr("agents/voice"), Dockerfile: ptr("prod.Dockerfile")}, Region: ptr("us-west"), ManagedKeys: ptr(true)},
				Build: &plan.BuildPlan{Context: "agents/voice", Dockerfile: "prod.Dockerfile", Region: "us-west", ContextHash: hashNow, Files: 12, Size: 3481,
					Compared: plan.CompareNew}},
			{Agent: "keys-bot", Action: plan.Update, Line: 12, Fingerprint: "sha256:keys",
				Fields:  []plan.FieldChange{{Path: "managedKeys", Before: false, After: true}},
				Desired: &schema.Spec{Image: ptr("acme/keys:1"), ManagedKeys: ptr(true)}},
			{Agent: "reused-bot", Action: plan.Update, Line: 16, Fingerprint: "sha256:reused",
				Reason:  "build: context changed 0f1e2d3c -> 5a5a5a5a; reuse build " + cachedID,
				Desired: src("agents/support"), Build: bp("agents/support", "5a5a5a5a5a5a5a5a", plan.CompareChanged, hashWas, cachedID)},
			{Agent: "same-bot", Action: plan.NoOp, Line: 20, Fingerprint: "sha256:same",
				Desired: src("agents/voice"), Build: bp("agents/voice", hashNow, plan.CompareUnchanged, "", cachedID)},
		},
	}
	p.Summarize()
	return p
}

// unbasedPlan is the same kind of agent planned without --base.
func unbasedPlan() *plan.Plan {
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		Config:        "pipecat.yaml",
		Changes: []plan.Change{
			{Agent: "same-bot", Action: plan.NoOp, Line: 20, Fingerprint: "sha256:same",
				Desired: &schema.Spec{Build: &schema.BuildSource{Context: ptr(".")}},
				Build:   &plan.BuildPlan{Context: ".", Dockerfile: "Dockerfile", Region: "us-west", ContextHash: hashNow, Files: 1, Size: 17, Compared: plan.CompareNone}},
		},
	}
	p.Summarize()
	return p
}

// buildsResult has a failed build shared by two agents, a new build and
// a reused one.
func buildsResult() *apply.Result {
	failed := &apply.BuildResult{ID: "c4d5e6f7-0a1b-4c2d-8e3f-4a5b6c7d8e9f", ContextHash: hashNow, Status: "failed",
		LogsURL:      "https://pipecat.daily.co/acme/builds/c4d5e6f7-0a1b-4c2d-8e3f-4a5b6c7d8e9f",
		ErrorMessage: `Docker build failed: process "/bin/sh -c exit 1" did not complete successfully: exit code: 1`,
		Logs: []string{
			"[Container] 2025/03/14 08:26:50.000000 Entering phase BUILD",
			"#2 [1/2] FROM python:3.12",
			"#3 [2/2] RUN exit 1",
			"#3 ERROR: process \"/bin/sh -c exit 1\" did not complete successfully: exit code: 1 \x1b[31m```",
			"[Container] 2025/03/14 08:26:53.000000 Phase complete: BUILD State: FAILED",
		},
		Duration: 3 * time.Second}
	msg := "build " + failed.ID + " failed: " + failed.ErrorMessage
	return &apply.Result{
		Config: "pipecat.yaml",
		Results: []apply.AgentResult{
			{Agent: "changed-bot", Action: plan.Update, Outcome: apply.Failed, ErrorCode: apply.CodeBuildFailed, Error: msg, Build: failed, Duration: 3 * time.Second},
			{Agent: "fresh-bot", Action: plan.Create, Outcome: apply.Succeeded, DeploymentID: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", Duration: 95 * time.Second,
				Build: &apply.BuildResult{ID: "e1e2e3e4-0a1b-4c2d-8e3f-4a5b6c7d8e9f", ContextHash: "b0b0b0b0b0b0b0b0", Status: "success", Duration: 90 * time.Second}},
			{Agent: "reused-bot", Action: plan.Update, Outcome: apply.Succeeded, DeploymentID: "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", Duration: 130 * time.Millisecond,
				Build: &apply.BuildResult{ID: cachedID, ContextHash: "5a5a5a5a5a5a5a5a", Status: "success", Cached: true}},
			{Agent: "twin-bot", Action: plan.Update, Outcome: apply.Failed, ErrorCode: apply.CodeBuildFailed, Error: msg, Build: failed, Duration: 3 * time.Second},
		},
	}
}

func TestBuildsGolden(t *testing.T) {
	planText := func(p *plan.Plan) func() ([]byte, error) {
		return func() ([]byte, error) {
			var b bytes.Buffer
			err := PlanText(&b, p, TextOptions{})
			return b.Bytes(), err
		}
	}
	tests := []struct {
		file   string
		render func() ([]byte, error)
	}{
		{"plan_builds.txt", planText(buildsPlan())},
		{"plan_builds_unbased.txt", planText(unbasedPlan())},
		{"plan_builds.md", func() ([]byte, error) { return []byte(PlanMarkdown(buildsPlan(), sampleMeta)), nil }},
		{"plan_builds.json", func() ([]byte, error) {
			var b bytes.Buffer
			err := PlanJSON(&b, buildsPlan())
			return b.Bytes(), err
		}},
		{"result_builds.txt", func() ([]byte, error) {
			var b bytes.Buffer
			err := ResultText(&b, buildsResult(), TextOptions{})
			return b.Bytes(), err
		}},
		{"result_builds.md", func() ([]byte, error) { return []byte(ResultMarkdown(buildsResult(), nil, sampleMeta)), nil }},
		{"result_builds.json", func() ([]byte, error) {
			var b bytes.Buffer
			err := ResultJSON(&b, buildsResult())
			return b.Bytes(), err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := tt.render()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, got)
		})
	}
}

// TestBuildProgress: a build's events name the build and its agents, and
// the building stage shows its elapsed time.
func TestBuildProgress(t *testing.T) {
	got := ProgressLine(apply.Event{Agent: "bot, twin", Build: "agents/bot (a1b2c3d4)", State: "uploading", Detail: "4096 bytes"})
	if want := "build agents/bot (a1b2c3d4) for bot, twin: uploading (4096 bytes)"; got != want {
		t.Errorf("ProgressLine = %q, want %q", got, want)
	}
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	var out strings.Builder
	p := NewProgress(&out, ProgressOptions{Now: func() time.Time { return now }, LogEvery: time.Second})
	p.Apply(apply.Status{Stage: apply.StageBuilding, Total: 2, Started: now})
	now = now.Add(83 * time.Second)
	p.tick()
	if want := "building 0/2, 1m23s elapsed\n"; out.String() != want {
		t.Errorf("log line %q, want %q", out.String(), want)
	}
}
