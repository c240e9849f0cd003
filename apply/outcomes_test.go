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

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// effects lists agent, action, outcome, effect and note of each result.
func effects(r *apply.Result) []string {
	var out []string
	for _, a := range r.Results {
		s := fmt.Sprintf("%s %s %s", a.Agent, a.Action, a.Outcome)
		if a.Effect != apply.NoEffect {
			s += " " + a.Effect.String()
		}
		if a.Note != "" {
			s += ": " + a.Note
		}
		out = append(out, s)
	}
	return out
}

// requestsSince lists the agent requests the sandbox received from the
// n-th on, with their status (0: answer dropped).
func (e *env) requestsSince(n int) []string {
	var out []string
	for _, r := range e.sb.Requests()[n:] {
		if strings.HasPrefix(r.Path, "/v1/agents") {
			out = append(out, fmt.Sprintf("%s %s %d", r.Method, r.Path, r.Status))
		}
	}
	return out
}

// TestLostAnswers is the sandbox with --drop-rate 1: the API carries out
// every write, then closes the connection without an answer. Each change
// is sent once, read back, found applied, and reported succeeded (exit
// 0), with a note saying how apply knows; the update makes one
// deployment.
func TestLostAnswers(t *testing.T) {
	e := newEnv(t, sandbox.Options{DropRate: 1, SecretSets: []sandbox.SecretSetSeed{}})
	for _, n := range []string{"eu-bot", "gone", "old"} {
		e.create(t, n, "acme/"+n+":0.1")
	}
	cfg := &schema.Config{File: "pipecat.yaml", Prune: schema.Prune{Enabled: true}, Agents: []schema.Agent{
		{Name: "eu-bot", Spec: schema.Spec{Image: sp("acme/eu-bot:0.1"), Region: sp("eu-central")}},
		{Name: "fresh", Spec: schema.Spec{Image: sp("acme/fresh:1.0")}},
		{Name: "old", Spec: schema.Spec{Image: sp("acme/old:1.0")}},
	}}
	p := e.planWith(t, cfg, plan.Options{AllowReplace: true})
	before := len(e.sb.Requests())
	res := run(t, context.Background(), e.cliClient(t), p, apply.Options{Parallelism: 1})
	lost := apply.LostAnswerNote
	want := []string{
		"eu-bot replace succeeded replaced: " + lost,
		"fresh create succeeded created: " + lost,
		"gone delete succeeded deleted: " + lost,
		"old update succeeded updated: " + lost,
	}
	if diff := cmp.Diff(want, effects(res)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if res.Failed() != 0 {
		t.Errorf("Failed() = %d, want 0: the exit code would say the apply failed", res.Failed())
	}
	wantRequests := []string{
		"DELETE /v1/agents/eu-bot 0", "GET /v1/agents/eu-bot 404",
		"POST /v1/agents 0", "GET /v1/agents/eu-bot 200",
		"POST /v1/agents 0", "GET /v1/agents/fresh 200",
		"POST /v1/agents/old 0", "GET /v1/agents/old 200", // one update: one deployment
		"DELETE /v1/agents/gone 0", "GET /v1/agents/gone 404",
		"GET /v1/agents 200", // the read-back of the changed agents
	}
	if diff := cmp.Diff(wantRequests, e.requestsSince(before)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// Faults a test injects in front of the sandbox, per request.
const (
	pass       = ""
	lostAnswer = "lost"      // carried out, then the connection is closed
	serverErr  = "500"       // answered 500 without being carried out
	readFails  = "503 again" // answered 503 without being carried out
	notYet     = "404"       // answered 404 without looking (a read that lags)
	foreign    = "foreign"   // answered 200 with another agent, not carried out
)

// newEnvFaults serves the sandbox behind fault, which decides what
// happens to each request once the returned arm is called (the setup and
// the plan go through untouched); seen lists the agent requests since,
// as the client saw them (0: no answer). The client has the CLI's retry
// settings.
func newEnvFaults(t *testing.T, fault func(r *http.Request) string) (e *env, arm func(), seen func() []string) {
	t.Helper()
	var (
		armed atomic.Bool
		mu    sync.Mutex
		log   []string
	)
	e = newEnvBehind(t, sandbox.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !armed.Load() {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			switch f := fault(r); f {
			case pass, lostAnswer:
				h.ServeHTTP(rec, r)
				if f == lostAnswer {
					rec.Code = 0
				}
			case serverErr:
				rec.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(rec, `{"error":"Internal server error","code":"INTERNAL_SERVER_ERROR"}`)
			case readFails:
				rec.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprint(rec, `{"error":"Service unavailable","code":"SERVICE_UNAVAILABLE"}`)
			case notYet:
				rec.WriteHeader(http.StatusNotFound)
				fmt.Fprint(rec, `{"error":"Service not found","code":"NOT_FOUND"}`)
			case foreign:
				rec.Header().Set("Content-Type", "application/json")
				fmt.Fprint(rec, `{"name":"someone-else","region":"us-west","ready":true}`)
			}
			if strings.HasPrefix(r.URL.Path, "/v1/agents") {
				mu.Lock()
				log = append(log, fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, rec.Code))
				mu.Unlock()
			}
			if rec.Code == 0 {
				if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
					conn.Close()
				}
				return
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		})
	})
	e.client = e.cliClient(t)
	return e, func() { armed.Store(true) }, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), log...)
	}
}

func isWrite(r *http.Request) bool {
	return r.Method == http.MethodPost || r.Method == http.MethodDelete
}

// TestUnansweredWrites: what apply reports when a write gets no usable
// answer, by what the read-back finds.
func TestUnansweredWrites(t *testing.T) {
	type result struct {
		Outcome, Effect, Code, Error, Note string
		Requests                           []string
	}
	tests := []struct {
		name string
		// redeploy: the update only redeploys (new values of a secret
		// set), so only a new deployment shows it carried out.
		redeploy bool
		fault    func(r *http.Request, writes int) string
		want     result
	}{{
		name: "every answer is a 500: read back and sent again, five times, then failed",
		fault: func(r *http.Request, _ int) string {
			return map[bool]string{true: serverErr}[isWrite(r)]
		},
		want: result{Outcome: "failed", Code: "INTERNAL_SERVER_ERROR",
			Error: "the API answered 500 Internal server error; read back after each of 5 tries: not applied",
			Requests: []string{
				"POST /v1/agents/bot 500", "GET /v1/agents/bot 200",
				"POST /v1/agents/bot 500", "GET /v1/agents/bot 200",
				"POST /v1/agents/bot 500", "GET /v1/agents/bot 200",
				"POST /v1/agents/bot 500", "GET /v1/agents/bot 200",
				"POST /v1/agents/bot 500", "GET /v1/agents/bot 200",
			}},
	}, {
		name: "one 500: read back, not applied, sent again: one deployment",
		fault: func(r *http.Request, writes int) string {
			return map[bool]string{true: serverErr}[isWrite(r) && writes == 1]
		},
		want: result{Outcome: "succeeded", Effect: "updated", Requests: []string{
			"POST /v1/agents/bot 500", "GET /v1/agents/bot 200", "POST /v1/agents/bot 200", "GET /v1/agents 200",
		}},
	}, {
		name: "answer lost and the read-back fails: unknown",
		fault: func(r *http.Request, _ int) string {
			if isWrite(r) {
				return lostAnswer
			}
			return readFails
		},
		want: result{Outcome: "unknown", Code: apply.CodeNoAnswer,
			Error: "the API's answer was lost (POST /v1/agents/bot: EOF), and reading the agent back: GET /v1/agents/bot: 503 SERVICE_UNAVAILABLE: Service unavailable (gave up after 8 attempts): may have been applied; run plan",
			Requests: []string{
				"POST /v1/agents/bot 0",
				"GET /v1/agents/bot 503", "GET /v1/agents/bot 503", "GET /v1/agents/bot 503", "GET /v1/agents/bot 503", "GET /v1/agents/bot 503", "GET /v1/agents/bot 503", "GET /v1/agents/bot 503", "GET /v1/agents/bot 503",
			}},
	}, {
		name:     "redeploy answered 500: the same spec is no proof, a new deployment is",
		redeploy: true,
		fault: func(r *http.Request, writes int) string {
			return map[bool]string{true: serverErr}[isWrite(r) && writes == 1]
		},
		want: result{Outcome: "succeeded", Effect: "updated", Requests: []string{
			"GET /v1/agents/bot 200", // its deployment before the update
			"POST /v1/agents/bot 500", "GET /v1/agents/bot 200", "POST /v1/agents/bot 200", "GET /v1/agents 200",
		}},
	}, {
		name:     "redeploy whose answer is lost: the new deployment shows it applied",
		redeploy: true,
		fault: func(r *http.Request, _ int) string {
			return map[bool]string{true: lostAnswer}[isWrite(r)]
		},
		want: result{Outcome: "succeeded", Effect: "updated", Note: apply.LostAnswerNote, Requests: []string{
			"GET /v1/agents/bot 200", "POST /v1/agents/bot 0", "GET /v1/agents/bot 200", "GET /v1/agents 200",
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var writes atomic.Int32
			e, arm, seen := newEnvFaults(t, func(r *http.Request) string {
				n := 0
				if isWrite(r) {
					n = int(writes.Add(1))
				}
				return tt.fault(r, n)
			})
			e.create(t, "bot", "acme/bot:0.1")
			image := "acme/bot:1.0"
			if tt.redeploy {
				image = "acme/bot:0.1"
			}
			p := e.plan(t, &schema.Config{File: "pipecat.yaml", Agents: []schema.Agent{{Name: "bot", Spec: schema.Spec{Image: sp(image)}}}})
			if tt.redeploy {
				// As plan makes it for a set with restartOnChange whose
				// values changed.
				p.Changes[0].Action, p.Changes[0].RestartFor = plan.Update, "bot-secrets"
			}
			arm()
			res := run(t, context.Background(), e.client, p, apply.Options{})
			a := res.Results[0]
			got := result{a.Outcome.String(), a.Effect.String(), a.ErrorCode, a.Error, a.Note, seen()}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if res.Failed() != map[bool]int{true: 0, false: 1}[a.Outcome == apply.Succeeded] {
				t.Errorf("Failed() = %d for outcome %s", res.Failed(), a.Outcome)
			}
		})
	}
}

// TestConcurrentAppliesCountEachCreateOnce is two applies of one 40-agent
// config at once: every agent is created by one of them, and the other
// finds it already in place. Together they count 40 creates, not 80, and
// each counts the rest as already in place; none is an update or fails.
func TestConcurrentAppliesCountEachCreateOnce(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	var names []string
	for i := range 40 {
		names = append(names, fmt.Sprintf("bot-%02d", i))
	}
	cfg := &schema.Config{File: "pipecat.yaml", Agents: agents(names...)}
	plans := []*plan.Plan{e.plan(t, cfg), e.plan(t, cfg)}
	results := make([]*apply.Result, 2)
	var wg sync.WaitGroup
	for i, p := range plans {
		wg.Go(func() { results[i] = run(t, context.Background(), e.client, p, apply.Options{}) })
	}
	wg.Wait()
	type counts struct{ Created, Updated, InPlace, Failed int }
	var total counts
	for i, res := range results {
		c := counts{res.Count(plan.Create), res.Count(plan.Update), res.Tally().AlreadyInPlace, res.Failed()}
		if c.Created+c.InPlace != 40 || c.Updated != 0 || c.Failed != 0 {
			t.Errorf("apply %d: %+v; want 40 created or already in place", i+1, c)
		}
		if res.Summary != res.Tally() {
			t.Errorf("apply %d: summary %+v, tally %+v", i+1, res.Summary, res.Tally())
		}
		for _, a := range res.Results {
			if a.Effect == apply.AlreadyInPlace && a.Note != "already existed with the desired spec" {
				t.Errorf("apply %d: %s already in place with note %q", i+1, a.Agent, a.Note)
			}
		}
		t.Logf("apply %d: %+v", i+1, c)
		total.Created += c.Created
		total.InPlace += c.InPlace
	}
	if total.Created != 40 || total.InPlace != 40 {
		t.Errorf("together: %d created, %d already in place; want 40 and 40", total.Created, total.InPlace)
	}
}

// TestCreateFindsItThere: a create whose answer did not settle it, by what
// a later send and the read-backs find.
func TestCreateFindsItThere(t *testing.T) {
	type result struct {
		Outcome, Effect, Code, Error, Note string
		Requests                           []string
	}
	tests := []struct {
		name  string
		fault func(r *http.Request, writes, reads int) string
		want  result
	}{{
		name: "our own lost answer: the read-back lags, the second send finds it as sent: created",
		fault: func(r *http.Request, writes, reads int) string {
			switch {
			case writes == 1:
				return lostAnswer
			case r.Method == http.MethodGet && reads == 1:
				return notYet
			}
			return pass
		},
		want: result{Outcome: "succeeded", Effect: "created", Note: apply.LostAnswerNote, Requests: []string{
			"POST /v1/agents 0", "GET /v1/agents/bot 404", "POST /v1/agents 400", "GET /v1/agents/bot 200", "GET /v1/agents 200",
		}},
	}, {
		name: "every create answered with another agent, never found: unknown, not sent again",
		fault: func(r *http.Request, writes, _ int) string {
			if writes > 0 {
				return foreign
			}
			return pass
		},
		want: result{Outcome: "unknown", Code: apply.CodeNotVerified,
			Error:    `the API accepted the write but answered with agent "someone-else", and reading bot back does not show it applied: may have been applied; run plan`,
			Requests: []string{"POST /v1/agents 200", "GET /v1/agents/bot 404"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var writes, reads atomic.Int32
			e, arm, seen := newEnvFaults(t, func(r *http.Request) string {
				n, m := 0, 0
				if isWrite(r) {
					n = int(writes.Add(1))
				} else if r.URL.Path == "/v1/agents/bot" {
					m = int(reads.Add(1))
				}
				return tt.fault(r, n, m)
			})
			p := e.plan(t, &schema.Config{File: "pipecat.yaml", Agents: []schema.Agent{{Name: "bot", Spec: schema.Spec{Image: sp("acme/bot:1.0")}}}})
			arm()
			res := run(t, context.Background(), e.client, p, apply.Options{})
			a := res.Results[0]
			got := result{a.Outcome.String(), a.Effect.String(), a.ErrorCode, a.Error, a.Note, seen()}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if res.Failed() != map[bool]int{true: 0, false: 1}[a.Outcome == apply.Succeeded] {
				t.Errorf("Failed() = %d for outcome %s", res.Failed(), a.Outcome)
			}
		})
	}
}
