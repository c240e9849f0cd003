package report

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

var (
	teams = []string{"billing", "booking", "claims", "concierge", "dispatch", "intake", "onboarding", "retention", "sales", "support"}
	kinds = []string{"voice", "chat", "ivr", "callback", "outbound"}
)

// plan300 is the large plan of issue 11, made the way `plan` makes it:
// a config parsed by schema.Parse and live agents diffed by plan.Diff.
// It holds 100 creates, 150 updates, 5 replaces (allowed), 50 deletes
// (prune), 5 preflight errors and 2 warnings.
func plan300(t testing.TB) *plan.Plan {
	t.Helper()
	var cfg strings.Builder
	cfg.WriteString("version: 1\ndefaults:\n  region: us-west\n  agentProfile: agent-1x\n" +
		"  autoScaling: {minAgents: 0, maxAgents: 10}\n  krispViva: {audioFilter: tel}\nagents:\n")
	live := &plan.Live{
		Details: map[string]*cloud.ServiceDetails{},
		Regions: []cloud.Region{{Code: "us-west", DisplayName: "US West"}, {Code: "eu-central", DisplayName: "EU Central"}},
		Secrets: []cloud.SecretSetSummary{{Name: "eu-secrets", Type: cloud.SecretTypeSecret, Region: "eu-central", Status: cloud.SecretStatusReady}},
	}
	for _, team := range teams {
		live.Secrets = append(live.Secrets, cloud.SecretSetSummary{Name: team + "-secrets", Type: cloud.SecretTypeSecret, Region: "us-west", Status: cloud.SecretStatusReady})
	}
	addLive := func(name string, s schema.Spec) {
		live.Agents = append(live.Agents, cloud.ServiceListItem{Name: name, Region: *s.Region})
		live.Details[name] = liveDetails(name, s)
	}
	liveSpec := func(image, secretSet string) schema.Spec {
		return schema.Spec{
			Image: ptr(image), Region: ptr("us-west"), AgentProfile: ptr("agent-1x"), SecretSet: ptr(secretSet),
			AutoScaling: &schema.AutoScaling{MinAgents: ptr(0), MaxAgents: ptr(10)},
			KrispViva:   &schema.KrispViva{AudioFilter: ptr("tel")}, EnableKrisp: ptr(false),
		}
	}

	// 150 updates: a new image; some raise maxAgents, turn Krisp on or
	// move to a secret set that is failed or still provisioning.
	for i := range 150 {
		team, kind := teams[i%10], kinds[i/10%5]
		name := fmt.Sprintf("%s-%s-%02d", team, kind, i/50+1)
		secretSet := team + "-secrets"
		fmt.Fprintf(&cfg, "  %s:\n    image: ghcr.io/acme/%s-%s:2.4.0\n", name, team, kind)
		switch i {
		case 20:
			secretSet = team + "-secrets-rotated"
			live.Secrets = append(live.Secrets, cloud.SecretSetSummary{Name: secretSet, Type: cloud.SecretTypeSecret,
				Region: "us-west", Status: cloud.SecretStatusFailed, ErrorMessage: "KMS key acme-prod-3 is disabled"})
		case 33, 34:
			secretSet = team + "-secrets-next"
			live.Secrets = append(live.Secrets, cloud.SecretSetSummary{Name: secretSet, Type: cloud.SecretTypeSecret,
				Region: "us-west", Status: cloud.SecretStatusPending})
		}
		fmt.Fprintf(&cfg, "    secretSet: %s\n", secretSet)
		if i%4 == 0 {
			cfg.WriteString("    autoScaling: {maxAgents: 20}\n")
		}
		if i%10 == 9 {
			cfg.WriteString("    enableKrisp: true\n")
		}
		addLive(name, liveSpec(fmt.Sprintf("ghcr.io/acme/%s-%s:2.3.1", team, kind), team+"-secrets"))
	}
	// 100 creates; three name a secret set that does not exist, one names
	// a regular secret set as its image pull secret.
	for i := range 100 {
		team, kind := teams[i%10], kinds[i/10%5]
		name := fmt.Sprintf("%s-%s-%02d", team, kind, i/50+4)
		secretSet := team + "-secrets"
		if i == 3 || i == 41 || i == 77 {
			secretSet = team + "-secret"
		}
		fmt.Fprintf(&cfg, "  %s:\n    image: ghcr.io/acme/%s-%s:2.4.0\n    secretSet: %s\n", name, team, kind, secretSet)
		if i == 12 {
			fmt.Fprintf(&cfg, "    imagePullSecretSet: %s-secrets\n", team)
		}
	}
	// 5 replaces: moved to eu-central.
	for i := range 5 {
		team := teams[i*2]
		name := team + "-assistant"
		fmt.Fprintf(&cfg, "  %s:\n    image: ghcr.io/acme/%s-assistant:3.0.0\n    region: eu-central\n    secretSet: eu-secrets\n", name, team)
		addLive(name, liveSpec("ghcr.io/acme/"+team+"-assistant:3.0.0", team+"-secrets"))
	}
	cfg.WriteString("prune:\n  enabled: true\n")
	// 50 deletes: last year's campaign agents, no longer in the config.
	for i := range 50 {
		addLive(fmt.Sprintf("promo-%s-2024-%02d", teams[i%10], i/10+1), liveSpec("ghcr.io/acme/promo:1.0.0", teams[i%10]+"-secrets"))
	}

	c, err := schema.Parse(context.Background(), "pipecat.yaml", []byte(cfg.String()), schema.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := plan.Diff(c, live, plan.Options{AllowReplace: true})
	if s := p.Summary; s.Create != 100 || s.Update != 150 || s.Replace != 5 || s.Delete != 50 || s.Errors != 5 || s.Warnings != 2 {
		t.Fatalf("plan300 summary = %+v, want 100 creates, 150 updates, 5 replaces, 50 deletes, 5 errors, 2 warnings", s)
	}
	return p
}

// liveDetails is the detail response the API gives for an agent running s.
func liveDetails(name string, s schema.Spec) *cloud.ServiceDetails {
	return &cloud.ServiceDetails{
		Name: name, Region: *s.Region, Ready: true,
		Deployment: &cloud.Deployment{ID: "dep-" + name, Manifest: &cloud.Manifest{Spec: cloud.ManifestSpec{
			Image: *s.Image, EnvFromSecretNames: []string{*s.SecretSet},
			KrispModels: &cloud.KrispModels{Enabled: *s.EnableKrisp},
		}}},
		AgentProfile: s.AgentProfile,
		AutoScaling:  &cloud.ReplicaScaling{MinReplicas: s.AutoScaling.MinAgents, MaxReplicas: s.AutoScaling.MaxAgents},
		KrispViva:    &cloud.KrispVivaState{AudioFilter: s.KrispViva.AudioFilter},
	}
}

// The first 40 lines of the large plan's comment: counts, errors,
// destructive summary, the list of destructive names, the table and the
// start of the first replace's diff.
func TestPlan300Head(t *testing.T) {
	md := PlanMarkdown(plan300(t), sampleMeta)
	lines := strings.SplitAfter(md, "\n")
	golden(t, "plan300_head.md", []byte(strings.Join(lines[:40], "")))
}

// firstScreen is how many lines of a comment a reviewer sees first.
const firstScreen = 25

// TestPlanMarkdownLayout reads the comment as Markdown and checks what a
// reviewer relies on, for plans small and large: the order of the
// sections, errors and destructive changes on the first screen and before
// the table, the size, every deleted or replaced agent named (or counted),
// and the truncation note's counts.
func TestPlanMarkdownLayout(t *testing.T) {
	manyErrors := bigPlan(bigSpec{create: 30, update: 30, del: 3, replace: 4, nameLen: 20})
	for i := range 60 {
		manyErrors.Findings = append(manyErrors.Findings, plan.Finding{Severity: plan.Error, Agent: fmt.Sprintf("create-%05d", i%30),
			Field: "secretSet", File: "pipecat.yaml", Line: 10 + i, Col: 16, Message: fmt.Sprintf(`secret set "s-%d" does not exist`, i)})
	}
	manyErrors.Findings = append(manyErrors.Findings,
		plan.Finding{Severity: plan.Warning, Message: "regions could not be listed, their checks are skipped: 503 Service Unavailable"})
	manyErrors.Summarize()

	tests := []struct {
		name string
		p    *plan.Plan
	}{
		{"sample plan", samplePlan()},
		{"no changes", quietPlan()},
		{"300 agents", plan300(t)},
		{"60 errors, more than the alert lists", manyErrors},
		{"40 deletes in a small plan", bigPlan(bigSpec{del: 40, update: 5, nameLen: 20})},
		{"3,000 agents of every action", bigPlan(bigSpec{create: 1400, update: 900, replace: 120, del: 380, noop: 200, nameLen: 20, findings: 60})},
		{"3,000 deletes", bigPlan(bigSpec{del: 3000, nameLen: 20})},
		{"3,000 deletes of 54-character names", bigPlan(bigSpec{del: 3000, nameLen: 54})},
		{"400 updates", bigPlan(bigSpec{update: 400, nameLen: 20})},
		{"1,500 updates of their own shape, 300 moving to another secret set", bigPlan(bigSpec{update: 1500, moves: 300, nameLen: 24, varied: true})},
		{"40 updates moving to another secret set", bigPlan(bigSpec{update: 40, moves: 40, nameLen: 20})},
		{"3 updates moving to another secret set among 600", bigPlan(bigSpec{update: 600, moves: 3, nameLen: 20, varied: true})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := PlanMarkdown(tt.p, Meta{Config: "pipecat.yaml", RunURL: runURL})
			checkLayout(t, tt.p, md)
		})
	}
}

// layout is where the sections of a plan comment start (line numbers, -1
// when absent).
type layout struct {
	headline, problems, caution, names, table, details, note, findings, unmanaged, footer int
}

func parseLayout(lines []string) layout {
	l := layout{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1}
	first := func(at *int, i int) {
		if *at < 0 {
			*at = i
		}
	}
	for i, s := range lines {
		switch {
		case strings.HasPrefix(s, "### pipecat-gitops plan: ") || strings.HasPrefix(s, "### pipecat-gitops plan cannot be applied: "):
			first(&l.headline, i)
		case s == "> [!WARNING]" || s == "> [!CAUTION]" && i+1 < len(lines) && strings.HasPrefix(lines[i+1], "> **Apply refuses this plan"):
			first(&l.problems, i)
		case s == "> [!CAUTION]":
			first(&l.caution, i)
		case strings.HasPrefix(s, "<details><summary>The names of all "):
			first(&l.names, i)
		case s == "| Agent | Action | Changed fields |" || s == "| Action | Agents | Changed fields |":
			first(&l.table, i)
		case strings.HasPrefix(s, "<details><summary><code>") || s == "#### Replaces" || s == "#### Creates" || s == "#### Updates":
			first(&l.details, i)
		case s == "> [!NOTE]":
			first(&l.note, i)
		case s == "#### Warnings" || s == "#### Findings":
			first(&l.findings, i)
		case strings.HasPrefix(s, "**Unmanaged**"):
			first(&l.unmanaged, i)
		case s == "---":
			first(&l.footer, i)
		}
	}
	return l
}

var (
	noteCount  = regexp.MustCompile(`(\d+) (create|update|replace) diffs?|(\d+) (warning|error|table row)s?`)
	diffBlock  = regexp.MustCompile("(?m)^<details><summary><code>([^<]*)</code> (create|update|replace): ")
	groupBlock = regexp.MustCompile("(?m)^<details><summary>(\\d+) agents, (create|update): ")
)

// diffsShown counts the agents whose diff the comment shows, per action:
// a block each, or a block for the updates of one shape.
func diffsShown(md string) map[string]int {
	out := map[string]int{}
	for _, m := range diffBlock.FindAllStringSubmatch(md, -1) {
		out[m[2]]++
	}
	for _, m := range groupBlock.FindAllStringSubmatch(md, -1) {
		n, _ := strconv.Atoi(m[1])
		out[m[2]] += n
	}
	return out
}

func checkLayout(t *testing.T, p *plan.Plan, md string) {
	t.Helper()
	checkPlanMarkdown(t, p, md)
	lines := strings.Split(md, "\n")
	l := parseLayout(lines)
	s := summarize(p)

	// Sections in order; the absent ones are skipped.
	order := []struct {
		name string
		at   int
	}{
		{"headline", l.headline}, {"errors alert", l.problems}, {"destructive alert", l.caution},
		{"destructive names", l.names}, {"table", l.table}, {"diffs", l.details}, {"truncation note", l.note},
		{"findings", l.findings}, {"unmanaged", l.unmanaged}, {"footer", l.footer},
	}
	last := order[0]
	for _, o := range order[1:] {
		if o.at < 0 {
			continue
		}
		if o.at <= last.at {
			t.Errorf("%s (line %d) comes before %s (line %d)", o.name, o.at+1, last.name, last.at+1)
		}
		last = o
	}
	if l.headline < 0 || l.footer < 0 {
		t.Fatalf("headline or footer missing")
	}
	if s.HasChanges() != (l.table >= 0) {
		t.Errorf("table present = %v, plan has changes = %v", l.table >= 0, s.HasChanges())
	}

	// The first screen: counts, errors (all, or the first ones and how
	// many more), the destructive alert to its end.
	screen := strings.Join(lines[:min(firstScreen, len(lines))], "\n")
	if (s.Errors > 0) != (l.problems >= 0) {
		t.Errorf("errors alert present = %v, plan has %d errors", l.problems >= 0, s.Errors)
	}
	shown := 0
	for _, f := range sortedFindings(p.Findings) {
		if f.Severity != plan.Error {
			continue
		}
		if shown == maxTopErrors {
			want := fmt.Sprintf("> - and %d more errors, listed under Findings below", s.Errors-maxTopErrors)
			if !strings.Contains(screen, want) {
				t.Errorf("first screen does not say %q", want)
			}
			break
		}
		shown++
		if line := "> " + strings.TrimSuffix(findingMarkdown(f, p.Config), "\n"); !strings.Contains(screen, line+"\n") {
			t.Errorf("error not on the first screen: %q", line)
		}
	}
	if s.Replace+s.Delete > 0 {
		if l.caution < 0 {
			t.Fatalf("no destructive alert")
		}
		end := l.caution
		for end < len(lines) && strings.HasPrefix(lines[end], ">") {
			end++
		}
		if end > firstScreen {
			t.Errorf("destructive alert ends on line %d, past the first screen (%d lines)", end, firstScreen)
		}
	}

	// Every deleted or replaced agent, and every agent updating a
	// security field, is named, or counted as not named.
	names := mentioned(md)
	missing := 0
	for _, c := range p.Changes {
		if (c.Action == plan.Delete || c.Action == plan.Replace || c.Action == plan.Update && securityChange(c)) && !names[c.Agent] {
			missing++
		}
	}
	if missing > 0 {
		want := fmt.Sprintf("… and %d more not named here; full plan: the [workflow run](%s)", missing, runURL)
		if !strings.Contains(md, want) {
			t.Errorf("%d deleted or replaced agents are neither named nor counted (want %q)", missing, want)
		}
	}

	// The note counts exactly what is missing, and links the run.
	omitted := map[string]int{}
	if l.note >= 0 {
		note := lines[l.note+1]
		if !strings.HasPrefix(note, "> Left out to fit GitHub's comment size limit: ") ||
			!strings.HasSuffix(note, "The full plan is in the [workflow run]("+runURL+").") {
			t.Errorf("truncation note = %q", note)
		}
		for _, m := range noteCount.FindAllStringSubmatch(note, -1) {
			if m[1] != "" {
				omitted[m[2]+" diff"], _ = strconv.Atoi(m[1])
			} else {
				omitted[m[4]], _ = strconv.Atoi(m[3])
			}
		}
	}
	want := map[string]int{}
	for _, c := range changed(p) {
		if len(c.Fields) > 0 {
			want[c.Action.String()+" diff"]++
		}
	}
	for a, n := range diffsShown(md) {
		want[a+" diff"] -= n
	}
	agentWarnings := 0
	for _, f := range p.Findings {
		if f.Severity == plan.Warning && f.Agent != "" {
			agentWarnings++
		}
	}
	want["warning"] = agentWarnings - countLines(lines, l.findings, "- ⚠️ **warning**")
	want["error"] = max(0, s.Errors-maxTopErrors) - countLines(lines, l.findings, "- ❌ **error**")
	if len(changed(p)) <= maxTableRows && l.table >= 0 {
		// A row per change: the cut ones are creates and updates.
		rows := 0
		for _, s := range lines[l.table+2:] {
			if !strings.HasPrefix(s, "| ") {
				break
			}
			rows++
		}
		want["table row"] = len(changed(p)) - rows
	}
	for k, n := range want {
		if omitted[k] != n {
			t.Errorf("%d %ss are missing from the comment, the note says %d", n, k, omitted[k])
		}
	}
	if len(omitted) > 0 && l.note < 0 {
		t.Errorf("things were cut but there is no note")
	}
}

// countLines counts the lines from line from on that start with prefix.
func countLines(lines []string, from int, prefix string) int {
	if from < 0 {
		return 0
	}
	n := 0
	for _, s := range lines[from:] {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}
