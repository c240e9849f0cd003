package apply_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

func sp(s string) *string { return &s }
func ip(i int) *int       { return &i }

// env is a sandbox on a loopback listener and a client for it.
type env struct {
	sb     *sandbox.Server
	client *cloud.Client
}

func newEnv(t testing.TB, opts sandbox.Options) *env {
	t.Helper()
	if opts.SecretSets == nil {
		opts.SecretSets = []sandbox.SecretSetSeed{{Name: "bot-secrets", Type: "secret", Region: "us-west", Status: "ready", Keys: []string{"KEY"}}}
	}
	sb, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	client, err := cloud.New(cloud.Options{
		BaseURL: srv.URL, APIKey: "test-key", MaxAttempts: 12,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRetryAfter: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &env{sb: sb, client: client}
}

func (e *env) plan(t testing.TB, cfg *schema.Config) *plan.Plan {
	t.Helper()
	return e.planWith(t, cfg, plan.Options{})
}

func (e *env) planWith(t testing.TB, cfg *schema.Config, o plan.Options) *plan.Plan {
	t.Helper()
	o.Parallelism = 4
	p, err := plan.Make(context.Background(), cfg, e.client, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// run applies p and fails the test if apply refuses it.
func run(t testing.TB, ctx context.Context, api apply.API, p *plan.Plan, o apply.Options) *apply.Result {
	t.Helper()
	res, err := apply.Run(ctx, api, p, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (e *env) create(t *testing.T, name, image string) {
	t.Helper()
	// Under DropRate a retried create answers "already exists": it is there.
	if _, err := e.client.CreateAgent(context.Background(), &cloud.CreateServiceRequest{ServiceName: name, Image: image}); err != nil && !cloud.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func (e *env) count(method string) int {
	n := 0
	for _, r := range e.sb.Requests() {
		if r.Method == method {
			n++
		}
	}
	return n
}

func agents(names ...string) []schema.Agent {
	var out []schema.Agent
	for _, n := range names {
		out = append(out, schema.Agent{Name: n, Spec: schema.Spec{Image: sp("acme/" + n + ":1.0"), SecretSet: sp("bot-secrets"), AutoScaling: &schema.AutoScaling{MinAgents: ip(0), MaxAgents: ip(5)}}})
	}
	return out
}

type outcome struct {
	Agent, Action, Outcome, Code, Note string
}

func outcomes(r *apply.Result) []outcome {
	var out []outcome
	for _, a := range r.Results {
		out = append(out, outcome{a.Agent, a.Action.String(), a.Outcome.String(), a.ErrorCode, a.Note})
	}
	return out
}

func TestApplyThenPlanIsEmpty(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.create(t, "changed", "acme/changed:0.9")
	e.create(t, "gone", "acme/gone:1.0")
	cfg := &schema.Config{File: "pipecat.yaml", Agents: agents("changed", "fresh-1", "fresh-2"), Prune: schema.Prune{Enabled: true}}
	p := e.plan(t, cfg)
	res := run(t, context.Background(), e.client, p, apply.Options{Parallelism: 2})
	want := []outcome{
		{"changed", "update", "succeeded", "", ""},
		{"fresh-1", "create", "succeeded", "", ""},
		{"fresh-2", "create", "succeeded", "", ""},
		{"gone", "delete", "succeeded", "", ""},
	}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if again := e.plan(t, cfg); again.Summary.HasChanges() {
		t.Errorf("plan after apply has changes: %+v", again.Summary)
	}
}

// TestApplyConvergesUnderFaults runs apply against an API that fails, rate
// limits and drops responses after committing, and checks that the result
// is exactly the config, with no duplicate agent and no failure reported.
func TestApplyConvergesUnderFaults(t *testing.T) {
	faults := map[int]int{}
	for _, seed := range []int64{1, 2, 3, 4, 5} {
		e := newEnv(t, sandbox.Options{Seed: seed, FaultRate: 0.2, RateLimitRate: 0.15, DropRate: 0.3})
		for _, n := range []string{"upd-1", "upd-2", "del-1", "del-2"} {
			e.create(t, n, "acme/old:0.1")
		}
		names := []string{"new-1", "new-2", "new-3", "new-4", "upd-1", "upd-2"}
		cfg := &schema.Config{File: "pipecat.yaml", Agents: agents(names...), Prune: schema.Prune{Enabled: true}}
		p := e.plan(t, cfg)
		if p.Summary.Create != 4 || p.Summary.Update != 2 || p.Summary.Delete != 2 {
			t.Fatalf("seed %d: unexpected plan %+v", seed, p.Summary)
		}
		res := run(t, context.Background(), e.client, p, apply.Options{Parallelism: 3})
		if n := res.Failed(); n != 0 {
			t.Fatalf("seed %d: %d failures: %+v", seed, n, res.Results)
		}
		list, err := e.client.ListAgents(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range list {
			got = append(got, a.Name)
		}
		if diff := cmp.Diff(names, got); diff != "" {
			t.Errorf("seed %d: live agents (-want +got):\n%s", seed, diff)
		}
		if again := e.plan(t, cfg); again.Summary.HasChanges() {
			t.Errorf("seed %d: plan after apply has changes: %+v", seed, again.Summary)
		}
		for _, r := range e.sb.Requests() {
			faults[r.Status]++
		}
	}
	// The test proves nothing unless the faults really happened.
	for _, status := range []int{0, http.StatusTooManyRequests, http.StatusInternalServerError} {
		if faults[status] == 0 {
			t.Errorf("no request answered %d (0 = dropped) across the seeds", status)
		}
	}
	t.Logf("requests by status: %v", faults)
}

func TestPartialFailureIsReportedPerAgent(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	cfg := &schema.Config{File: "pipecat.yaml", Agents: agents("bad", "good-1", "good-2")}
	cfg.Agents[0].Spec.SecretSet = sp("no-such-set")
	p := e.plan(t, cfg)
	// As if the set was deleted between plan and apply: the plan saw no
	// error, the API refuses the create.
	p.Findings = nil
	p.Summarize()
	res := run(t, context.Background(), e.client, p, apply.Options{})
	want := []outcome{
		{"bad", "create", "failed", "NOT_FOUND", ""},
		{"good-1", "create", "succeeded", "", ""},
		{"good-2", "create", "succeeded", "", ""},
	}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if res.Results[0].Error != "Secret set not found" {
		t.Errorf("error = %q, want the API's message", res.Results[0].Error)
	}
	if res.Failed() != 1 {
		t.Errorf("Failed() = %d, want 1", res.Failed())
	}
}

func TestNothingOutsideThePlanIsTouched(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.create(t, "other-team", "acme/other:1.0")
	e.create(t, "legacy-ivr", "acme/ivr:1.0")
	cfg := &schema.Config{File: "pipecat.yaml", Agents: agents("mine")}
	p := e.plan(t, cfg)
	res := run(t, context.Background(), e.client, p, apply.Options{})
	if res.Failed() != 0 {
		t.Fatalf("failures: %+v", res.Results)
	}
	if n := e.count(http.MethodDelete); n != 0 {
		t.Errorf("%d DELETE requests sent for a plan with no delete", n)
	}
	for _, r := range e.sb.Requests() {
		if r.Method == http.MethodPost && strings.Contains(r.Path, "other-team") {
			t.Errorf("request to an agent outside the plan: %+v", r)
		}
	}
}

func TestReplace(t *testing.T) {
	for _, allow := range []bool{false, true} {
		e := newEnv(t, sandbox.Options{SecretSets: []sandbox.SecretSetSeed{}})
		e.create(t, "eu-bot", "acme/eu-bot:1.0")
		a := schema.Agent{Name: "eu-bot", Spec: schema.Spec{Image: sp("acme/eu-bot:1.0"), Region: sp("eu-central")}}
		p := e.planWith(t, &schema.Config{File: "pipecat.yaml", Agents: []schema.Agent{a}}, plan.Options{AllowReplace: allow})
		if p.Changes[0].Action != plan.Replace {
			t.Fatalf("action = %s, want replace", p.Changes[0].Action)
		}
		res, err := apply.Run(context.Background(), e.client, p, apply.Options{})
		d, getErr := e.client.GetAgent(context.Background(), "eu-bot")
		if getErr != nil {
			t.Fatal(getErr)
		}
		if allow {
			if err != nil || res.Failed() != 0 || d.Region != "eu-central" {
				t.Errorf("allowed replace: error %v, result %+v, region %s", err, res, d.Region)
			}
			continue
		}
		// The plan refused the replace: apply refuses the whole plan and
		// sends nothing.
		if err == nil || res != nil {
			t.Errorf("refused replace: error %v, result %+v; want an error and no result", err, res)
		}
		if d.Region != "us-west" || e.count(http.MethodDelete) != 0 || e.count(http.MethodPost) != 1 {
			t.Errorf("refused replace changed the agent: region %s, %d deletes, %d POSTs (1 is the setup's create)",
				d.Region, e.count(http.MethodDelete), e.count(http.MethodPost))
		}
	}
}

func TestRecoveries(t *testing.T) {
	t.Run("create of an agent that appeared meanwhile finishes as update", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{})
		p := e.plan(t, &schema.Config{File: "pipecat.yaml", Agents: agents("racy")})
		e.create(t, "racy", "acme/racy:0.1")
		res := run(t, context.Background(), e.client, p, apply.Options{})
		want := []outcome{{"racy", "create", "succeeded", "", "already existed; updated to the desired spec"}}
		if diff := cmp.Diff(want, outcomes(res)); diff != "" {
			t.Fatalf("outcomes (-want +got):\n%s", diff)
		}
		d, _ := e.client.GetAgent(context.Background(), "racy")
		if got := d.Deployment.Manifest.Spec.Image; got != "acme/racy:1.0" {
			t.Errorf("image = %q, want the desired one", got)
		}
	})
	t.Run("delete of an agent already gone is done", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{})
		e.create(t, "old", "acme/old:1.0")
		p := e.plan(t, &schema.Config{File: "pipecat.yaml", Prune: schema.Prune{Enabled: true}})
		if err := e.client.DeleteAgent(context.Background(), "old"); err != nil {
			t.Fatal(err)
		}
		res := run(t, context.Background(), e.client, p, apply.Options{})
		want := []outcome{{"old", "delete", "succeeded", "", "already gone"}}
		if diff := cmp.Diff(want, outcomes(res)); diff != "" {
			t.Fatalf("outcomes (-want +got):\n%s", diff)
		}
	})
}

func TestWait(t *testing.T) {
	t.Run("waits until the deployment is ready", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{ReadyDelay: 30 * time.Millisecond})
		p := e.plan(t, &schema.Config{File: "pipecat.yaml", Agents: agents("slow")})
		var states []string
		res := run(t, context.Background(), e.client, p, apply.Options{Wait: true, PollInterval: 5 * time.Millisecond,
			Progress: func(ev apply.Event) { states = append(states, ev.State) }})
		if res.Failed() != 0 || !res.Results[0].Ready {
			t.Fatalf("result = %+v", res.Results)
		}
		d, _ := e.client.GetAgent(context.Background(), "slow")
		if !d.Ready || d.ReconciledDeploymentID == nil || *d.ReconciledDeploymentID != res.Results[0].DeploymentID {
			t.Errorf("agent not ready and reconciled after wait: %+v", d)
		}
		if states[0] != "creating" || states[len(states)-1] != "done" {
			t.Errorf("progress states = %v", states)
		}
	})
	t.Run("a failed revision fails at once with its reason", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{ReadyDelay: 10 * time.Millisecond})
		cfg := &schema.Config{File: "pipecat.yaml", Agents: agents("crashy")}
		cfg.Agents[0].Spec.Image = sp("acme/crashy:fail-crash")
		p := e.plan(t, cfg)
		res := run(t, context.Background(), e.client, p, apply.Options{Wait: true, PollInterval: 5 * time.Millisecond, WaitTimeout: time.Hour})
		r := res.Results[0]
		if r.Outcome != apply.Failed || r.ErrorCode != "DEPLOYMENT_FAILED" || !strings.Contains(r.Error, "CrashLoopBackOff") || !strings.Contains(r.Error, "exit code 1") {
			t.Errorf("result = %+v", r)
		}
	})
	t.Run("times out", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{ReadyDelay: time.Hour})
		p := e.plan(t, &schema.Config{File: "pipecat.yaml", Agents: agents("never")})
		res := run(t, context.Background(), e.client, p, apply.Options{Wait: true, PollInterval: 5 * time.Millisecond, WaitTimeout: 30 * time.Millisecond})
		r := res.Results[0]
		if r.Outcome != apply.Failed || r.ErrorCode != "WAIT_TIMEOUT" {
			t.Errorf("result = %+v", r)
		}
	})
}

func TestCancelledBeforeStartSkipsEverything(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	p := e.plan(t, &schema.Config{File: "pipecat.yaml", Agents: agents("one", "two")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := run(t, ctx, e.client, p, apply.Options{})
	if !res.Cancelled || res.Failed() != 2 {
		t.Errorf("result = %+v", res)
	}
	if n := e.count(http.MethodPost); n != 0 {
		t.Errorf("%d POSTs after cancel", n)
	}
}

// TestRedeployBuilds: apply does exactly what the plan says. Without the
// decision an unchanged build agent is a no-op and nothing is sent; with it
// the plan holds the update, and apply sends exactly that one update.
func TestRedeployBuilds(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	build := "123e4567-e89b-12d3-a456-426614174000"
	// A successful build in the agent's region, as the sandbox requires.
	if err := e.sb.Mutate(func(st *sandbox.State) error {
		st.Builds[build] = &sandbox.Build{Region: "us-west", Result: cloud.BuildStatusSuccess}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cfg := &schema.Config{File: "pipecat.yaml", Agents: []schema.Agent{{Name: "built", Spec: schema.Spec{BuildID: &build}}}}
	if res := run(t, context.Background(), e.client, e.plan(t, cfg), apply.Options{}); res.Failed() != 0 {
		t.Fatalf("create: %+v", res.Results)
	}
	p := e.plan(t, cfg)
	if p.Summary.HasChanges() {
		t.Fatalf("build agent planned as changed: %+v", p.Changes)
	}
	if res := run(t, context.Background(), e.client, p, apply.Options{}); len(res.Results) != 0 {
		t.Errorf("no-op apply ran %+v", res.Results)
	}
	p = e.planWith(t, cfg, plan.Options{RedeployBuilds: true})
	if p.Summary.Update != 1 || p.Changes[0].Reason != plan.ReasonRedeployBuild {
		t.Fatalf("redeploy plan = %+v, want one update with reason %q", p.Changes, plan.ReasonRedeployBuild)
	}
	before := e.count(http.MethodPost)
	res := run(t, context.Background(), e.client, p, apply.Options{})
	if len(res.Results) != 1 || res.Results[0].Action != plan.Update || res.Results[0].Outcome != apply.Succeeded {
		t.Errorf("redeploy result = %+v", res.Results)
	}
	if e.count(http.MethodPost) != before+1 {
		t.Errorf("redeploy sent %d POSTs, want 1", e.count(http.MethodPost)-before)
	}
}

// TestInterruptStopsNewWork cancels the run (as Ctrl-C does) when the first
// change finishes: that change is reported done (its read-back never
// happened, and the note says so), the rest never start.
func TestInterruptStopsNewWork(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	p := e.plan(t, &schema.Config{File: "pipecat.yaml", Agents: agents("one", "two", "three")})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := run(t, ctx, e.client, p, apply.Options{Parallelism: 1, Progress: func(ev apply.Event) {
		if ev.State == "done" {
			cancel()
		}
	}})
	want := []outcome{
		{"one", "create", "succeeded", "", "not verified: interrupted"},
		{"three", "create", "skipped", "", ""},
		{"two", "create", "skipped", "", ""},
	}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if !res.Cancelled {
		t.Error("Cancelled = false")
	}
	if n := e.count(http.MethodPost); n != 1 {
		t.Errorf("%d creates sent, want 1", n)
	}
}

// manualClock is a sandbox clock that moves only when the test moves it.
func manualClock() (now func() time.Time, advance func(time.Duration)) {
	var offset atomic.Int64
	t0 := time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)
	return func() time.Time { return t0.Add(time.Duration(offset.Load())) },
		func(d time.Duration) { offset.Add(int64(d)) }
}

// agentRequests lists the sandbox's agent requests as "METHOD path".
func (e *env) agentRequests() []string {
	var out []string
	for _, r := range e.sb.Requests() {
		if strings.HasPrefix(r.Path, "/v1/agents") {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// TestWaitHoldsNoSlot: at parallelism 1, every change is sent before the
// first poll, so a wait never delays another agent's send. The sandbox's
// clock stands still until all three agents wait, then jumps past their
// readiness: one poll round (one GET per agent) finds them all ready. A
// wait that held the slot would never see the third agent sent, and would
// time out.
func TestWaitHoldsNoSlot(t *testing.T) {
	now, advance := manualClock()
	e := newEnv(t, sandbox.Options{ReadyDelay: time.Hour, Now: now})
	names := []string{"bot-a", "bot-b", "bot-c"}
	p := e.plan(t, &schema.Config{File: "pipecat.yaml", Agents: agents(names...)})
	before := len(e.agentRequests())
	var mu sync.Mutex
	waiting := 0
	var stages []string
	res := run(t, context.Background(), e.client, p, apply.Options{
		Parallelism: 1, Wait: true, PollInterval: time.Millisecond, WaitTimeout: 10 * time.Second,
		Progress: func(ev apply.Event) {
			mu.Lock()
			defer mu.Unlock()
			if ev.State == "waiting" && strings.HasPrefix(ev.Detail, "deployment ") {
				if waiting++; waiting == len(names) {
					advance(time.Hour)
				}
			}
		},
		Status: func(s apply.Status) {
			if s.Done == 0 {
				stages = append(stages, fmt.Sprintf("%s 0/%d", s.Stage, s.Total))
			}
		},
	})
	for _, r := range res.Results {
		if r.Outcome != apply.Succeeded || !r.Ready {
			t.Errorf("%s: %+v, want succeeded and ready", r.Agent, r)
		}
	}
	want := []string{
		"POST /v1/agents", "POST /v1/agents", "POST /v1/agents",
		"GET /v1/agents/bot-a", "GET /v1/agents/bot-b", "GET /v1/agents/bot-c",
	}
	if diff := cmp.Diff(want, e.agentRequests()[before:]); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	// The ready poll is the read-back: no verifying stage.
	if diff := cmp.Diff([]string{"applying 0/3", "waiting 0/3"}, stages); diff != "" {
		t.Errorf("stages (-want +got):\n%s", diff)
	}
}

// hooked is the cloud client with hooks that run after a call succeeds:
// to move a clock, or to play another apply changing the agent right
// after ours.
type hooked struct {
	*cloud.Client
	afterGet    func(name string)
	afterChange func(name string)
}

func (h *hooked) GetAgent(ctx context.Context, name string) (*cloud.ServiceDetails, error) {
	d, err := h.Client.GetAgent(ctx, name)
	if err == nil && h.afterGet != nil {
		h.afterGet(name)
	}
	return d, err
}

func (h *hooked) CreateAgent(ctx context.Context, req *cloud.CreateServiceRequest) (*cloud.ServiceDetails, error) {
	d, err := h.Client.CreateAgent(ctx, req)
	if err == nil && h.afterChange != nil {
		h.afterChange(req.ServiceName)
	}
	return d, err
}

func (h *hooked) UpdateAgent(ctx context.Context, name string, req *cloud.UpdateServiceRequest) (*cloud.ServiceDetails, error) {
	d, err := h.Client.UpdateAgent(ctx, name, req)
	if err == nil && h.afterChange != nil {
		h.afterChange(name)
	}
	return d, err
}

// TestWaitPollsInRounds: agents that become ready at different times are
// polled in rounds, one GET per pending agent per round, and each leaves
// the rounds once ready. "early" is sent 30 minutes (of sandbox time)
// before "late", both take an hour, and every round moves the clock 20
// minutes: early is ready at the third round, late at the fourth.
func TestWaitPollsInRounds(t *testing.T) {
	now, advance := manualClock()
	e := newEnv(t, sandbox.Options{ReadyDelay: time.Hour, Now: now})
	p := e.plan(t, &schema.Config{File: "pipecat.yaml", Agents: agents("early", "late")})
	before := len(e.agentRequests())
	api := &hooked{Client: e.client,
		afterChange: func(name string) {
			if name == "early" {
				advance(30 * time.Minute)
			}
		},
		afterGet: func(name string) {
			if name == "late" { // the last of every round
				advance(20 * time.Minute)
			}
		},
	}
	res := run(t, context.Background(), api, p, apply.Options{Parallelism: 1, Wait: true, PollInterval: time.Millisecond, WaitTimeout: 10 * time.Second})
	if res.Failed() != 0 {
		t.Fatalf("failures: %+v", res.Results)
	}
	want := []string{
		"POST /v1/agents", "POST /v1/agents",
		"GET /v1/agents/early", "GET /v1/agents/late", // +30m: neither ready
		"GET /v1/agents/early", "GET /v1/agents/late", // +50m
		"GET /v1/agents/early", "GET /v1/agents/late", // +70m: early ready
		"GET /v1/agents/late", // +90m: late ready
	}
	if diff := cmp.Diff(want, e.agentRequests()[before:]); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// newEnvBehind serves the sandbox behind wrap, for tests that need to act
// between the sandbox's answer and the client's.
func newEnvBehind(t *testing.T, opts sandbox.Options, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	e := newEnv(t, opts)
	srv := httptest.NewServer(wrap(e.sb))
	t.Cleanup(srv.Close)
	client, err := cloud.New(cloud.Options{BaseURL: srv.URL, APIKey: "test-key", MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	e.client = client
	return e
}

// TestInterruptInFlightIsUnknown is Ctrl-C with creates in flight: the
// sandbox commits all eight, then their responses are held until the run
// is cancelled. None of them failed: each may have been applied, and the
// result says so, as does the plan made afterwards.
func TestInterruptInFlightIsUnknown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	committed := 0
	e := newEnvBehind(t, sandbox.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r) // committed; the answer never leaves
			mu.Lock()
			if committed++; committed == 8 {
				cancel() // Ctrl-C with all eight in flight
			}
			mu.Unlock()
			<-r.Context().Done()
		})
	})
	var names []string
	for i := range 10 {
		names = append(names, fmt.Sprintf("bot-%d", i))
	}
	cfg := &schema.Config{File: "pipecat.yaml", Agents: agents(names...)}
	p := e.plan(t, cfg)
	res := run(t, ctx, e.client, p, apply.Options{Parallelism: 8})
	var got []outcome
	for _, a := range res.Results {
		got = append(got, outcome{a.Agent, a.Action.String(), a.Outcome.String(), a.ErrorCode, a.Error})
	}
	want := []outcome{}
	for i, n := range names {
		if i < 8 {
			want = append(want, outcome{n, "create", "unknown", "INTERRUPTED", "may have been applied; run plan"})
		} else {
			want = append(want, outcome{n, "create", "skipped", "", "interrupted"})
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if !res.Cancelled || res.Outcomes(apply.Unknown) != 8 || res.Outcomes(apply.Skipped) != 2 {
		t.Errorf("cancelled %v, %d unknown, %d skipped; want true, 8, 2", res.Cancelled, res.Outcomes(apply.Unknown), res.Outcomes(apply.Skipped))
	}
	// "run plan" tells the truth: the eight exist.
	if again := e.plan(t, cfg); again.Summary.Create != 2 || again.Summary.NoOp != 8 {
		t.Errorf("plan after the interrupted apply: %+v, want 2 to create and 8 unchanged", again.Summary)
	}
}

// TestInterruptWhileWaiting is Ctrl-C during --wait: every change was
// sent, so each succeeded; only its readiness is unknown.
func TestInterruptWhileWaiting(t *testing.T) {
	e := newEnv(t, sandbox.Options{ReadyDelay: time.Hour})
	e.create(t, "old", "acme/old:0.1")
	p := e.plan(t, &schema.Config{File: "pipecat.yaml", Agents: agents("fresh", "old")})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := run(t, ctx, e.client, p, apply.Options{Wait: true, PollInterval: time.Millisecond, WaitTimeout: time.Hour,
		Status: func(s apply.Status) {
			if s.Stage == apply.StageWaiting {
				cancel() // Ctrl-C once both wait
			}
		}})
	type waited struct {
		Agent, Action, Outcome  string
		Ready, ReadinessUnknown bool
	}
	var got []waited
	for _, a := range res.Results {
		got = append(got, waited{a.Agent, a.Action.String(), a.Outcome.String(), a.Ready, a.ReadinessUnknown})
	}
	want := []waited{{"fresh", "create", "succeeded", false, true}, {"old", "update", "succeeded", false, true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if !res.Cancelled {
		t.Error("Cancelled = false")
	}
}

// TestChangedBySomeoneElse plays a second apply that changes each agent
// right after ours: the read-back (or, with --wait, the poll) finds it,
// and the agent fails with CONFLICT instead of reporting success. A
// second apply that sends the same spec is no conflict.
func TestChangedBySomeoneElse(t *testing.T) {
	type test struct {
		name     string
		wait     bool
		sameSpec bool
	}
	var tests []test
	for _, wait := range []bool{false, true} {
		tests = append(tests, test{fmt.Sprintf("different spec, wait %v", wait), wait, false}, test{fmt.Sprintf("same spec, wait %v", wait), wait, true})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{ReadyDelay: 5 * time.Millisecond})
			e.create(t, "old", "acme/old:0.1")
			p := e.plan(t, &schema.Config{File: "pipecat.yaml", Agents: agents("fresh", "old")})
			api := &hooked{Client: e.client, afterChange: func(name string) {
				req := plan.UpdateRequest(p.Changes[0].Desired) // fresh's spec
				if !tt.sameSpec {
					req.Image = "acme/other:1.0.0"
				} else if name == "old" {
					req = plan.UpdateRequest(p.Changes[1].Desired)
				}
				if _, err := e.client.UpdateAgent(context.Background(), name, req); err != nil {
					t.Error(err)
				}
			}}
			res := run(t, context.Background(), api, p, apply.Options{Wait: tt.wait, PollInterval: time.Millisecond, WaitTimeout: time.Minute})
			want := []outcome{{"fresh", "create", "failed", "CONFLICT", ""}, {"old", "update", "failed", "CONFLICT", ""}}
			if tt.sameSpec {
				note := "redeployed meanwhile by someone else with the same spec"
				want = []outcome{{"fresh", "create", "succeeded", "", note}, {"old", "update", "succeeded", "", note}}
			}
			if diff := cmp.Diff(want, outcomes(res)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if wantErr := `changed by someone else during apply: image is "acme/other:1.0.0", this run sent "acme/fresh:1.0"`; !tt.sameSpec && res.Results[0].Error != wantErr {
				t.Errorf("error = %q, want %q", res.Results[0].Error, wantErr)
			}
		})
	}
}

// TestReadBackIsOneList: when nobody else touched the agents, the check
// after apply costs one list, not a read per agent; an agent someone
// redeployed meanwhile is read in full.
func TestReadBackIsOneList(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	p := e.plan(t, &schema.Config{File: "pipecat.yaml", Agents: agents("bot-a", "bot-b", "bot-c")})
	before := len(e.agentRequests())
	api := &hooked{Client: e.client, afterChange: func(name string) {
		if name == "bot-c" { // someone redeploys it with the same spec
			if _, err := e.client.UpdateAgent(context.Background(), name, plan.UpdateRequest(p.Changes[2].Desired)); err != nil {
				t.Error(err)
			}
		}
	}}
	res := run(t, context.Background(), api, p, apply.Options{Parallelism: 1})
	if res.Failed() != 0 {
		t.Fatalf("failures: %+v", res.Results)
	}
	want := []string{
		"POST /v1/agents", "POST /v1/agents", "POST /v1/agents", "POST /v1/agents/bot-c",
		"GET /v1/agents", "GET /v1/agents/bot-c",
	}
	if diff := cmp.Diff(want, e.agentRequests()[before:]); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if got := res.Results[2].Note; got != "redeployed meanwhile by someone else with the same spec" {
		t.Errorf("bot-c note = %q", got)
	}
}
