package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the current output")

func ptr[T any](v T) *T { return &v }

// sampleBuild is a build id as the API makes them.
const sampleBuild = "5f0c7b9e-3d1a-4c2b-9e8f-0a1b2c3d4e5f"

// samplePlan has every action, findings of both severities, unmanaged
// agents, a null value and a buildId agent.
func samplePlan() *plan.Plan {
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		Config:        "pipecat.yaml",
		Options:       plan.Options{AllowReplace: true, RedeployBuilds: true},
		Changes: []plan.Change{
			{
				Agent: "build-bot", Action: plan.Create, Line: 22, Fingerprint: "absent",
				Fields: []plan.FieldChange{
					{Path: "buildId", After: sampleBuild},
					{Path: "region", After: "us-west"},
				},
				Desired: &schema.Spec{BuildID: ptr(sampleBuild), Region: ptr("us-west")},
			},
			{
				Agent: "eu-bot", Action: plan.Replace, Line: 17, Fingerprint: "sha256:eu",
				Reason: "region us-west -> eu-central cannot change in place",
				Fields: []plan.FieldChange{
					{Path: "region", Before: "us-west", After: "eu-central"},
					{Path: "autoScaling.minAgents", Before: 0, After: 1},
				},
				Desired: &schema.Spec{Image: ptr("acme/eu:2.0"), Region: ptr("eu-central"), AutoScaling: &schema.AutoScaling{MinAgents: ptr(1)}},
			},
			{Agent: "idle-bot", Action: plan.NoOp, Line: 30, Fingerprint: "sha256:idle", Desired: &schema.Spec{Image: ptr("acme/idle:1")}},
			{Agent: "old-bot", Action: plan.Delete, Reason: "not in the config and prune is enabled", Fingerprint: "sha256:old"},
			{Agent: "quiet-bot", Action: plan.NoOp, Line: 34, Fingerprint: "sha256:quiet", Desired: &schema.Spec{Image: ptr("acme/quiet:1")}},
			{
				Agent: "relay-bot", Action: plan.Update, Line: 26, Fingerprint: "sha256:relay", Reason: plan.ReasonRedeployBuild,
				Desired: &schema.Spec{BuildID: ptr(sampleBuild)},
			},
			{
				Agent: "support-bot", Action: plan.Update, Line: 12, Fingerprint: "sha256:support",
				Fields: []plan.FieldChange{
					{Path: "image", Before: "acme/support:1.0", After: "acme/support:1.1"},
					{Path: "autoScaling.maxAgents", Before: 10, After: 20},
					{Path: "krispViva.audioFilter", Before: "tel", After: nil},
					{Path: "enableKrisp", Before: false, After: true},
				},
				Desired: &schema.Spec{
					Image:       ptr("acme/support:1.1"),
					AutoScaling: &schema.AutoScaling{MaxAgents: ptr(20)},
					KrispViva:   &schema.KrispViva{},
					EnableKrisp: ptr(true),
				},
			},
			{Agent: "tiny-bot", Action: plan.NoOp, Line: 38, Fingerprint: "sha256:tiny", Desired: &schema.Spec{Image: ptr("acme/tiny:1")}},
			{
				Agent: "voice-starter", Action: plan.Create, Line: 5, Fingerprint: "absent",
				Fields: []plan.FieldChange{
					{Path: "image", After: "ghcr.io/acme/voice-starter:1.4.0"},
					{Path: "secretSet", After: "voice-starter-secrets"},
					{Path: "autoScaling.minAgents", After: 1},
					{Path: "krispViva.audioFilter", After: nil},
					{Path: "maxSessionDuration", After: 3600},
				},
				Desired: &schema.Spec{
					Image:              ptr("ghcr.io/acme/voice-starter:1.4.0"),
					SecretSet:          ptr("voice-starter-secrets"),
					AutoScaling:        &schema.AutoScaling{MinAgents: ptr(1)},
					KrispViva:          &schema.KrispViva{},
					MaxSessionDuration: ptr(3600),
				},
			},
		},
		Unmanaged:       []string{"legacy-ivr", "legacy-sms"},
		PreviewsEnabled: true,
		Previews:        []plan.PreviewRef{{PR: 12, Agents: []string{"support-bot-pr12", "voice-starter-pr12"}}, {PR: 14, Agents: []string{"voice-starter-pr14"}}},
		Findings: []plan.Finding{
			{
				Severity: plan.Warning, Agent: "build-bot", Field: "buildId", File: "pipecat.yaml", Line: 23, Col: 14,
				Message: "deployed from build " + sampleBuild + ": the API does not report which build runs, so this plan cannot show a change of build",
			},
			{
				Severity: plan.Error, Agent: "voice-starter", Field: "secretSet", File: "pipecat.yaml", Line: 12, Col: 16,
				Message: `secret set "voice-starter-secrets" does not exist`,
			},
			{Severity: plan.Warning, Message: "regions could not be listed, their checks are skipped: 503 Service Unavailable"},
		},
	}
	p.Summarize()
	return p
}

// appliedPlan is samplePlan as apply runs it: without the preflight error,
// which would have stopped apply before it sent anything.
func appliedPlan() *plan.Plan {
	p := samplePlan()
	// The agents sampleResult has beyond samplePlan's changes.
	p.Changes = append(p.Changes,
		plan.Change{Agent: "ivr-bot", Action: plan.Create, Line: 40, Fingerprint: "absent",
			Fields:  []plan.FieldChange{{Path: "image", After: "acme/ivr:3.0"}},
			Desired: &schema.Spec{Image: ptr("acme/ivr:3.0")}},
		plan.Change{Agent: "queue-bot", Action: plan.Update, Line: 44, Fingerprint: "sha256:queue",
			Fields:  []plan.FieldChange{{Path: "autoScaling.maxAgents", Before: 5, After: 8}},
			Desired: &schema.Spec{Image: ptr("acme/queue:1"), AutoScaling: &schema.AutoScaling{MaxAgents: ptr(8)}}},
		plan.Change{Agent: "zeta-bot", Action: plan.Update, Line: 48, Fingerprint: "sha256:zeta",
			Fields:  []plan.FieldChange{{Path: "image", Before: "acme/zeta:1", After: "acme/zeta:2"}},
			Desired: &schema.Spec{Image: ptr("acme/zeta:2")}},
	)
	sort.Slice(p.Changes, func(i, j int) bool { return p.Changes[i].Agent < p.Changes[j].Agent })
	var keep []plan.Finding
	for _, f := range p.Findings {
		if f.Severity != plan.Error {
			keep = append(keep, f)
		}
	}
	p.Findings = keep
	p.Summarize()
	return p
}

// quietPlan has no changes: only no-ops and an unmanaged agent.
func quietPlan() *plan.Plan {
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		Config:        "deploy/pipecat.yaml",
		Changes: []plan.Change{
			{Agent: "support-bot", Action: plan.NoOp, Fingerprint: "a"},
			{Agent: "voice-starter", Action: plan.NoOp, Fingerprint: "b"},
		},
		Unmanaged: []string{"legacy-ivr"},
	}
	p.Summarize()
	return p
}

// hostilePlan carries Markdown and HTML in every user-controlled string.
func hostilePlan() *plan.Plan {
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion,
		Config:        "odd|dir/pipecat.yaml",
		Changes: []plan.Change{
			{
				Agent: "pipe|bot`x`<b>", Action: plan.Update, Fingerprint: "x",
				Fields: []plan.FieldChange{
					{Path: "image", Before: "a|b:1", After: "```\n</details><script>alert(1)</script>:2"},
				},
			},
			{
				Agent: "<img src=x>", Action: plan.Replace, Fingerprint: "y",
				Reason: "region *bold* -> [link](http://evil) | # not a heading\nsecond line",
				Fields: []plan.FieldChange{{Path: "region", Before: "a", After: "b"}},
			},
		},
		Findings: []plan.Finding{
			{Severity: plan.Error, Agent: "pipe|bot`x`<b>", Field: "secretSet", Message: "set \"<b>x</b>\" | _under_ `tick` does not exist", Line: 3, Col: 5},
			{Severity: plan.Warning, Message: "terminal \x1b[2Jclear\nand a second line"},
		},
	}
	p.Summarize()
	return p
}

func sampleResult() *apply.Result {
	return &apply.Result{
		Config: "pipecat.yaml",
		Results: []apply.AgentResult{
			{
				Agent: "build-bot", Action: plan.Create, Outcome: apply.Succeeded, Effect: apply.Updated, DeploymentID: "0c6d2f4e-8a1b-4f3c-9d2e-7b5a4c3d2e1f",
				Duration: 412345678 * time.Nanosecond, Ready: true, Note: "already existed; updated to the desired spec",
			},
			{
				Agent: "chat-bot", Action: plan.Create, Outcome: apply.Succeeded, Effect: apply.AlreadyInPlace, DeploymentID: "7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b",
				Duration: 52 * time.Millisecond, Note: "already existed with the desired spec",
			},
			{
				Agent: "eu-bot", Action: plan.Replace, Outcome: apply.Failed, Duration: 640 * time.Millisecond,
				ErrorCode: "GENERIC_BAD_REQUEST", Error: "Invalid agentProfile 'agent-9x'. Valid values are: agent-1x, agent-2x, agent-3x.",
			},
			{
				Agent: "ivr-bot", Action: plan.Create, Outcome: apply.Unknown, Duration: 730 * time.Millisecond,
				ErrorCode: "INTERRUPTED", Error: "may have been applied; run plan",
			},
			{Agent: "old-bot", Action: plan.Delete, Outcome: apply.Succeeded, Effect: apply.Deleted, Duration: 88 * time.Millisecond},
			{
				Agent: "queue-bot", Action: plan.Update, Outcome: apply.Succeeded, Effect: apply.Updated, DeploymentID: "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a",
				Duration: 3 * time.Second, ReadinessUnknown: true,
			},
			{
				Agent: "relay-bot", Action: plan.Update, Outcome: apply.Succeeded, Effect: apply.Updated, DeploymentID: "3f2a9c1d-5e6b-4a7c-8d9e-0f1a2b3c4d5e",
				Duration: 1234567890 * time.Nanosecond, Note: apply.LostAnswerNote,
			},
			{
				Agent: "voice-starter", Action: plan.Create, Outcome: apply.Failed, Duration: 2500 * time.Millisecond,
				ErrorCode: "NOT_FOUND", Error: "Secret set not found",
			},
			{Agent: "zeta-bot", Action: plan.Update, Outcome: apply.Skipped, Error: "interrupted"},
		},
		Cancelled: true,
	}
}

// hostileResult has a multi-line error with control characters, as a
// crash-looping agent's health reason can be.
func hostileResult() *apply.Result {
	return &apply.Result{
		Config: "pipecat.yaml",
		Results: []apply.AgentResult{
			{
				Agent: "voice-starter", Action: plan.Update, Outcome: apply.Failed, Duration: 300 * time.Second,
				ErrorCode: "DEPLOYMENT_FAILED", Error: "deployment 3f2a9c1d-5e6b-4a7c-8d9e-0f1a2b3c4d5e failed: CrashLoopBackOff (exit code 1):\nTraceback (most recent call last):\n\x1b[31mKeyError: 'OPENAI_API_KEY'\x1b[0m | <missing>",
			},
		},
	}
}

func okResult() *apply.Result {
	return &apply.Result{
		Config: "pipecat.yaml",
		Results: []apply.AgentResult{
			{Agent: "support-bot", Action: plan.Update, Outcome: apply.Succeeded, DeploymentID: "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", Duration: 95 * time.Millisecond},
			{Agent: "voice-starter", Action: plan.Create, Outcome: apply.Succeeded, DeploymentID: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", Duration: 130 * time.Millisecond, Ready: true},
		},
	}
}

var sampleMeta = Meta{
	Config: "pipecat.yaml",
	Commit: "9fceb02d0ae598e95dc970b74767f19372d61af8",
	Time:   time.Date(2025, 3, 14, 9, 26, 53, 0, time.FixedZone("CET", 3600)),
	RunURL: "https://github.com/acme/agents/actions/runs/4242",
}

func TestGolden(t *testing.T) {
	text := func(p *plan.Plan, color bool) func() ([]byte, error) {
		return func() ([]byte, error) {
			var b bytes.Buffer
			err := PlanText(&b, p, TextOptions{Color: color})
			return b.Bytes(), err
		}
	}
	markdown := func(p *plan.Plan, m Meta) func() ([]byte, error) {
		return func() ([]byte, error) { return []byte(PlanMarkdown(p, m)), nil }
	}
	resultText := func(r *apply.Result, color bool) func() ([]byte, error) {
		return func() ([]byte, error) {
			var b bytes.Buffer
			err := ResultText(&b, r, TextOptions{Color: color})
			return b.Bytes(), err
		}
	}
	tests := []struct {
		file   string
		render func() ([]byte, error)
	}{
		{"plan.txt", text(samplePlan(), false)},
		{"plan_color.txt", text(samplePlan(), true)},
		{"plan.md", markdown(samplePlan(), sampleMeta)},
		{"plan.json", func() ([]byte, error) {
			var b bytes.Buffer
			err := PlanJSON(&b, samplePlan())
			return b.Bytes(), err
		}},
		{"plan_nochanges.txt", text(quietPlan(), false)},
		{"plan_nochanges.md", markdown(quietPlan(), Meta{})},
		{"plan_escaping.txt", text(hostilePlan(), false)},
		{"plan_escaping.md", markdown(hostilePlan(), Meta{Commit: "abc"})},
		{"result.txt", resultText(sampleResult(), false)},
		{"result_color.txt", resultText(sampleResult(), true)},
		{"result_ok.txt", resultText(okResult(), false)},
		{"result_empty.txt", resultText(&apply.Result{Config: "pipecat.yaml"}, false)},
		{"result_escaping.txt", resultText(hostileResult(), false)},
		{"result_escaping.md", func() ([]byte, error) { return []byte(ResultMarkdown(hostileResult(), nil, Meta{})), nil }},
		{"result.md", func() ([]byte, error) { return []byte(ResultMarkdown(sampleResult(), appliedPlan(), sampleMeta)), nil }},
		{"result_ok.md", func() ([]byte, error) { return []byte(ResultMarkdown(okResult(), nil, Meta{})), nil }},
		{"result.json", func() ([]byte, error) {
			var b bytes.Buffer
			err := ResultJSON(&b, sampleResult())
			return b.Bytes(), err
		}},
		{"result_empty.json", func() ([]byte, error) {
			var b bytes.Buffer
			err := ResultJSON(&b, &apply.Result{Config: "pipecat.yaml"})
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

// golden compares got with testdata/<name>.golden, or rewrites the file
// with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report/ -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s\nrun go test ./report/ -update if the change is intended", path, diff)
	}
}
