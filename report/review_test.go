package report

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// The agent of plan22 that alone moves to another secret set.
const mover = "voice-137"

// plan22 is the plan of issue 22, made the way `plan` makes it: 300
// agents, of which 250 get the same routine update of several fields
// (a new build of the image, a larger profile, more agents) and one of
// them alone also moves to another secret set; 30 are created (two name
// a secret set that does not exist: the plan cannot be applied) and 20
// deleted by prune.
func plan22(t testing.TB) *plan.Plan {
	t.Helper()
	var cfg strings.Builder
	cfg.WriteString("version: 1\ndefaults:\n  region: us-west\n  autoScaling: {minAgents: 0, maxAgents: 10}\n  krispViva: {audioFilter: tel}\nagents:\n")
	live := &plan.Live{
		Details: map[string]*cloud.ServiceDetails{},
		Regions: []cloud.Region{{Code: "us-west", DisplayName: "US West"}},
		Secrets: []cloud.SecretSetSummary{
			{Name: "voice-secrets", Type: cloud.SecretTypeSecret, Region: "us-west", Status: cloud.SecretStatusReady},
			{Name: "payments-secrets", Type: cloud.SecretTypeSecret, Region: "us-west", Status: cloud.SecretStatusReady},
		},
	}
	addLive := func(name, image string) {
		s := schema.Spec{
			Image: ptr(image), Region: ptr("us-west"), AgentProfile: ptr("agent-1x"), SecretSet: ptr("voice-secrets"),
			AutoScaling: &schema.AutoScaling{MinAgents: ptr(0), MaxAgents: ptr(10)},
			KrispViva:   &schema.KrispViva{AudioFilter: ptr("tel")}, EnableKrisp: ptr(false),
		}
		live.Agents = append(live.Agents, cloud.ServiceListItem{Name: name, Region: "us-west"})
		live.Details[name] = liveDetails(name, s)
	}
	for i := range 250 {
		name := fmt.Sprintf("voice-%03d", i+1)
		secretSet := "voice-secrets"
		if name == mover {
			secretSet = "payments-secrets"
		}
		fmt.Fprintf(&cfg, "  %s:\n    image: voice:1.1.0-build.%d\n    agentProfile: agent-2x\n    secretSet: %s\n    autoScaling: {maxAgents: 20}\n", name, 100+i, secretSet)
		addLive(name, "voice:1.0.0")
	}
	for i := range 30 {
		secretSet := "voice-secrets"
		if i == 4 || i == 17 {
			secretSet = "voice-secret" // a typo: no such set
		}
		fmt.Fprintf(&cfg, "  voice-%03d:\n    image: voice:1.1.0-build.%d\n    agentProfile: agent-2x\n    secretSet: %s\n", 251+i, 400+i, secretSet)
	}
	for i := range 20 {
		addLive(fmt.Sprintf("legacy-ivr-%02d", i+1), "ivr:0.9.0")
	}
	cfg.WriteString("prune:\n  enabled: true\n")
	c, err := schema.Parse(context.Background(), "pipecat.yaml", []byte(cfg.String()), schema.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := plan.Diff(c, live, plan.Options{})
	if s := p.Summary; s.Create != 30 || s.Update != 250 || s.Delete != 20 || s.Errors != 2 {
		t.Fatalf("plan22 summary = %+v, want 30 creates, 250 updates, 20 deletes, 2 errors", s)
	}
	return p
}

// The first screen of issue 22's comment: it cannot be applied and why,
// the counts, the deletes, and the one agent that moves to another secret
// set, named with its values.
func TestPlan22Head(t *testing.T) {
	md := PlanMarkdown(plan22(t), sampleMeta)
	lines := strings.SplitAfter(md, "\n")
	golden(t, "plan22_head.md", []byte(strings.Join(lines[:firstScreen], "")))
}

// TestPlan22KeepsWhatAReviewerMustSee checks issue 22's comment as a
// reviewer reads it: the lone secret set move named on the first screen,
// in the table and with its diff; every delete named; the 249 routine
// updates one block.
func TestPlan22KeepsWhatAReviewerMustSee(t *testing.T) {
	p := plan22(t)
	md := PlanMarkdown(p, Meta{Config: "pipecat.yaml", RunURL: runURL})
	checkLayout(t, p, md)
	lines := strings.Split(md, "\n")
	screen := strings.Join(lines[:firstScreen], "\n")

	for _, want := range []string{
		"### pipecat-gitops plan cannot be applied: 2 errors",
		"Plan: 30 to create, 250 to update, 0 to replace, 20 to delete, 0 unchanged.",
		"**Apply refuses this plan; nothing is sent.**",
		"This plan deletes 20 agents.",
		"> - `" + mover + "` `secretSet`: `\"voice-secrets\"` → `\"payments-secrets\"`",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("first screen does not hold %q:\n%s", want, screen)
		}
	}
	// The table names the agents of a field few change.
	if want := "`secretSet` (1 of 250: `" + mover + "`)"; !strings.Contains(md, want) {
		t.Errorf("table does not name the mover: want %q", want)
	}
	// Its diff is there, on its own.
	if !strings.Contains(md, "<details><summary><code>"+mover+"</code> update: ") {
		t.Errorf("no diff of %s", mover)
	}
	// Every delete and every security change is named.
	names := mentioned(md)
	for _, c := range p.Changes {
		if (c.Action == plan.Delete || securityChange(c) && c.Action == plan.Update) && !names[c.Agent] {
			t.Errorf("%s of %s is not named", c.Action, c.Agent)
		}
	}
	// The 249 routine updates are one block, with their shared change.
	want := "<details><summary>249 agents, update: <code>image</code> &#34;voice:1.0.0&#34; → &#34;voice:1.1.0-build.N&#34;, " +
		"<code>agentProfile</code> &#34;agent-1x&#34; → &#34;agent-2x&#34;, <code>autoScaling.maxAgents</code> 10 → 20</summary>"
	if !strings.Contains(md, want) {
		t.Errorf("no block of the routine updates: want %q", want)
	}
	// The creates of one shape too; the two that name the missing set
	// apart, that set on their summary.
	for _, want := range []string{
		"<details><summary>28 agents, create: <code>region</code> &#34;us-west&#34;, <code>secretSet</code> &#34;voice-secrets&#34;, ",
		"<details><summary>2 agents, create: <code>region</code> &#34;us-west&#34;, <code>secretSet</code> &#34;voice-secret&#34;, ",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("no block of the creates: want %q", want)
		}
	}
	if n := strings.Count(md, "update: "); n != 2 {
		t.Errorf("%d update blocks, want 2 (the routine ones and the mover)", n)
	}
}

// TestRareChangesAreNeverCut checks the order of the budget: in a plan
// whose diffs cannot all fit, those of a security field and of a field
// few agents change stay, and the routine ones go.
func TestRareChangesAreNeverCut(t *testing.T) {
	p := bigPlan(bigSpec{update: 900, nameLen: 24, varied: true})
	// The last agents in name order, where a cut by plan order would
	// start.
	rare := map[string]plan.FieldChange{
		p.Changes[899].Agent: {Path: "secretSet", Before: "shared-secrets", After: "payments-secrets"},
		p.Changes[898].Agent: {Path: "websocketAuth", Before: "token", After: "none"},
		p.Changes[897].Agent: {Path: "agentProfile", Before: "agent-1x", After: "agent-2x"},
	}
	for i, c := range p.Changes {
		if f, ok := rare[c.Agent]; ok {
			p.Changes[i].Fields = append(c.Fields, f)
		}
	}
	p.Summarize()
	md := PlanMarkdown(p, Meta{Config: "pipecat.yaml", RunURL: runURL})
	checkLayout(t, p, md)
	if !strings.Contains(md, "Left out to fit GitHub's comment size limit: ") {
		t.Fatal("nothing was cut: the test needs a plan over the budget")
	}
	for name, f := range rare {
		if !strings.Contains(md, "<details><summary><code>"+name+"</code> update: ") {
			t.Errorf("the diff of %s (%s) was cut", name, f.Path)
		}
	}
}

func TestTemplate(t *testing.T) {
	tests := []struct {
		name string
		vs   []any
		want string
	}{
		{"one value", []any{"agent-2x", "agent-2x"}, `"agent-2x"`},
		{"a few values are listed", []any{"a:1", "b:2", "a:1"}, `"a:1" / "b:2"`},
		{"numbers that differ are N", []any{"voice:1.1.0-build.110", "voice:1.1.0-build.120", "voice:1.1.0-build.130", "voice:1.1.0-build.7"}, `"voice:1.1.0-build.N"`},
		{"a number is never split at its end", []any{"v10-x", "v20-x", "v30-x", "v40-x"}, `"vN-x"`},
		{"other differences are …", []any{"ghcr.io/acme/a:2.4.0", "ghcr.io/acme/bb:2.4.0", "ghcr.io/acme/c:2.4.0", "ghcr.io/acme/d:2.4.0"}, `"ghcr.io/acme/…:2.4.0"`},
		{"non-strings are listed", []any{10, 20, 30, 40}, `10 / 20 / 30 / 40`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := template(tt.vs); got != tt.want {
				t.Errorf("template(%v) = %s, want %s", tt.vs, got, tt.want)
			}
		})
	}
}

// TestLongValuesAreShortOnOneLine checks that a long value cannot make an
// alert bullet or a group's summary line long: they cut it, the diff
// shows it whole.
func TestLongValuesAreShortOnOneLine(t *testing.T) {
	long := strings.Repeat("k", 5000)
	p := &plan.Plan{FormatVersion: plan.FormatVersion, Config: "pipecat.yaml"}
	for i := range 60 {
		p.Changes = append(p.Changes, plan.Change{Agent: fmt.Sprintf("bot-%02d", i), Action: plan.Update, Fingerprint: "x",
			Fields: []plan.FieldChange{{Path: "image", Before: "a:1", After: long}}})
	}
	p.Changes[0].Fields = append(p.Changes[0].Fields, plan.FieldChange{Path: "secretSet", Before: "s", After: long})
	p.Summarize()
	md := PlanMarkdown(p, Meta{Config: "pipecat.yaml"})
	for _, line := range strings.Split(md, "\n") {
		if (strings.HasPrefix(line, "> - ") || strings.HasPrefix(line, "<details><summary>")) && len(line) > 400 {
			t.Errorf("line of %d bytes: %.100s…", len(line), line)
		}
	}
	if !strings.Contains(md, "+ image: \""+long+"\"") {
		t.Error("the diff does not show the long value whole")
	}
}
