package apply_test

import (
	"context"
	"errors"
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
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

func sp(s string) *string { return &s }
func ip(i int) *int       { return &i }

// env is a sandbox on a loopback listener and a client for it.
type env struct {
	sb     *sandbox.Server
	url    string
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
	return &env{sb: sb, url: srv.URL, client: client}
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

func (e *env) create(t testing.TB, name, image string) {
	t.Helper()
	ctx := context.Background()
	for {
		_, err := e.client.CreateAgent(ctx, &cloud.CreateServiceRequest{ServiceName: name, Image: image})
		if err == nil {
			return
		}
		if !errors.Is(err, cloud.ErrUnknownOutcome) {
			t.Fatal(err)
		}
		// Under faults an answer may be lost: look before sending again.
		if _, err := e.client.GetAgent(ctx, name); err == nil {
			return
		} else if !cloud.IsNotFound(err) {
			t.Fatal(err)
		}
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

// TestApplyIsHonestUnderFaults runs apply with the CLI's retry settings
// (5 attempts per request; only the waits are shortened, which changes no
// fault) against an API that fails 20% of requests, rate-limits 15% and
// drops 30% of the answers to writes after committing them. Whatever the
// faults did, the result tells the truth: every change reported succeeded
// is in place and every one reported failed is not (unknown is left for a
// change whose read-back failed too), so the exit code is 1 exactly when
// something is not done or not known. No write is committed twice: a
// write whose answer was lost is read back, not repeated, so each update
// makes one deployment. Applying again finishes what failed.
func TestApplyIsHonestUnderFaults(t *testing.T) {
	faults := map[int]int{}
	outcomes := map[string]int{}
	for _, seed := range []int64{1, 2, 3, 4, 5} {
		e := newEnv(t, sandbox.Options{Seed: seed, FaultRate: 0.2, RateLimitRate: 0.15, DropRate: 0.3})
		var names, deletes []string
		for i := range 12 {
			names = append(names, fmt.Sprintf("new-%02d", i))
		}
		for i := range 12 {
			n := fmt.Sprintf("upd-%02d", i)
			names = append(names, n)
			e.create(t, n, "acme/old:0.1")
		}
		for i := range 6 {
			deletes = append(deletes, fmt.Sprintf("zz-del-%02d", i))
			e.create(t, deletes[i], "acme/old:0.1")
		}
		cfg := &schema.Config{File: "pipecat.yaml", Agents: agents(names...), Prune: schema.Prune{Enabled: true}}
		// Planned and checked with the test's patient client; applied with
		// the CLI's.
		p := e.plan(t, cfg)
		if p.Summary.Create != 12 || p.Summary.Update != 12 || p.Summary.Delete != 6 {
			t.Fatalf("seed %d: unexpected plan %+v", seed, p.Summary)
		}
		before := len(e.sb.Requests())
		res := run(t, context.Background(), e.cliClient(t), p, apply.Options{})
		requests := e.sb.Requests()[before:]
		created := 0
		changes := map[string]plan.Change{}
		for _, c := range p.Changes {
			changes[c.Agent] = c
		}
		for _, r := range res.Results {
			c := changes[r.Agent]
			in := e.inPlace(t, c)
			if c.Action == plan.Create && in {
				created++
			}
			outcomes[fmt.Sprintf("%s, in place %v", r.Outcome, in)]++
			if (r.Outcome == apply.Succeeded && !in) || (r.Outcome == apply.Failed && in) {
				t.Errorf("seed %d: %s %s reported %s, but in place is %v: %+v", seed, c.Action, c.Agent, r.Outcome, in, r)
			}
			if c.Action == plan.Update && in {
				if n := committed(requests, http.MethodPost, "/v1/agents/"+c.Agent); n != 1 {
					t.Errorf("seed %d: update of %s committed %d times, want once", seed, c.Agent, n)
				}
			}
		}
		// Each agent created is created by one committed POST.
		if got := committed(requests, http.MethodPost, "/v1/agents"); got != created {
			t.Errorf("seed %d: %d creates committed for %d agents created", seed, got, created)
		}
		for _, r := range requests {
			faults[r.Status]++
		}
		// Applying again finishes what failed.
		for range 3 {
			again := e.plan(t, cfg)
			if !again.Summary.HasChanges() {
				break
			}
			run(t, context.Background(), e.cliClient(t), again, apply.Options{})
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
			t.Errorf("seed %d: live agents after applying again (-want +got):\n%s", seed, diff)
		}
		if again := e.plan(t, cfg); again.Summary.HasChanges() {
			t.Errorf("seed %d: plan after applying again has changes: %+v", seed, again.Summary)
		}
	}
	// The test proves nothing unless the faults really happened.
	for _, status := range []int{0, http.StatusTooManyRequests, http.StatusInternalServerError} {
		if faults[status] == 0 {
			t.Errorf("no request answered %d (0 = dropped) across the seeds", status)
		}
	}
	t.Logf("requests by status: %v; outcomes: %v", faults, outcomes)
}

// cliClient is a client with the CLI's retry settings (5 attempts), with
// waits shortened: the sandbox's faults do not depend on time.
func (e *env) cliClient(t testing.TB) *cloud.Client {
	t.Helper()
	c, err := cloud.New(cloud.Options{BaseURL: e.url, APIKey: "test-key", MinBackoff: time.Microsecond, MaxBackoff: time.Millisecond, MaxInFlight: 8})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// inPlace reports whether the live agent is as change c leaves it.
func (e *env) inPlace(t testing.TB, c plan.Change) bool {
	t.Helper()
	d, err := e.client.GetAgent(context.Background(), c.Agent)
	switch {
	case cloud.IsNotFound(err):
		return c.Action == plan.Delete
	case err != nil:
		t.Fatal(err)
	}
	return c.Action != plan.Delete && len(plan.DiffLive(c.Desired, d)) == 0
}

// committed counts the requests to method and path the sandbox carried
// out: answered 200, or dropped after it.
func committed(requests []sandbox.Request, method, path string) int {
	n := 0
	for _, r := range requests {
		if r.Method == method && r.Path == path && (r.Status == http.StatusOK || r.Status == 0) {
			n++
		}
	}
	return n
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
	t.Run("create of an agent someone else made with another spec is a conflict, not an update", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{})
		p := e.plan(t, &schema.Config{File: "pipecat.yaml", Agents: agents("racy")})
		e.create(t, "racy", "acme/racy:0.1")
		before := len(e.sb.Requests())
		res := run(t, context.Background(), e.client, p, apply.Options{})
		a := res.Results[0]
		got := []string{a.Outcome.String(), a.ErrorCode, a.Error}
		want := []string{"failed", apply.CodeConflict,
			`already exists, made by someone else (image is "acme/racy:0.1", this run sent "acme/racy:1.0"; ` +
				`secretSet is null, this run sent "bot-secrets"; autoScaling.maxAgents is 50, this run sent 5); not changed: run plan`}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("outcome (-want +got):\n%s", diff)
		}
		wantRequests := []string{"POST /v1/agents 400", "GET /v1/agents/racy 200"}
		if diff := cmp.Diff(wantRequests, e.requestsSince(before)); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
		}
		d, _ := e.client.GetAgent(context.Background(), "racy")
		if got := d.Deployment.Manifest.Spec.Image; got != "acme/racy:0.1" {
			t.Errorf("image = %q: someone else's agent was changed", got)
		}
	})
	t.Run("create of an agent that appeared meanwhile with the desired spec changes nothing", func(t *testing.T) {
		e := newEnv(t, sandbox.Options{})
		cfg := &schema.Config{File: "pipecat.yaml", Agents: agents("racy")}
		p := e.plan(t, cfg)
		// Another apply of the same config gets there first.
		run(t, context.Background(), e.client, e.plan(t, cfg), apply.Options{})
		before := len(e.sb.Requests())
		res := run(t, context.Background(), e.client, p, apply.Options{})
		want := []string{"racy create succeeded already-in-place: already existed with the desired spec"}
		if diff := cmp.Diff(want, effects(res)); diff != "" {
			t.Fatalf("results (-want +got):\n%s", diff)
		}
		if c, u, in := res.Count(plan.Create), res.Count(plan.Update), res.Tally().AlreadyInPlace; c != 0 || u != 0 || in != 1 {
			t.Errorf("counted %d created, %d updated, %d already in place; want 0, 0, 1", c, u, in)
		}
		wantRequests := []string{"POST /v1/agents 400", "GET /v1/agents/racy 200", "GET /v1/agents 200"}
		if diff := cmp.Diff(wantRequests, e.requestsSince(before)); diff != "" {
			t.Errorf("requests (-want +got):\n%s", diff)
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
		want := []string{"old delete succeeded already-in-place: already gone"}
		if diff := cmp.Diff(want, effects(res)); diff != "" {
			t.Fatalf("results (-want +got):\n%s", diff)
		}
		if n := res.Count(plan.Delete); n != 0 {
			t.Errorf("counted %d deleted, want 0: someone else deleted it", n)
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
	e.client, e.url = client, srv.URL
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
