package apply_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/pack"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// buildRepo writes a config and its build contexts into a temporary
// directory and loads the config.
func buildRepo(t *testing.T, files map[string]string) (*schema.Config, string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := schema.Load(context.Background(), filepath.Join(dir, "pipecat.yaml"), schema.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, dir
}

// planBuilds packs the contexts and plans, as apply -f does.
func (e *env) planBuilds(t *testing.T, cfg *schema.Config, root string) (*plan.Plan, map[string]*pack.Archive) {
	t.Helper()
	s, err := plan.ReadSources(context.Background(), cfg, plan.SourceOptions{Root: root, KeepArchives: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	p := e.planWith(t, cfg, plan.Options{Sources: s})
	return p, s.Archives(p)
}

// requestsOf lists the sandbox's requests as "METHOD PATH", without the
// agent reads and the build polls, which depend on timing.
func (e *env) writes() []string {
	var out []string
	for _, r := range e.sb.Requests() {
		if r.Method != "GET" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

const buildConfig = `version: 1
agents:
  one:
    build: {context: agents/shared}
    managedKeys: true
    websocketAuth: token
  two:
    build: {context: agents/shared}
  europe:
    build: {context: agents/shared}
    region: eu-central
  plain:
    image: acme/plain:1.0
`

// TestBuildOncePerContext: agents with the same context, Dockerfile and
// region share one build (one upload, one POST /v1/builds); another region
// is another build; each agent is created with its build's ID (and
// managedKeys as enableIntegratedKeysProxy, websocketAuth as itself), and a
// second apply finds the
// builds in the cache and uploads nothing.
func TestBuildOncePerContext(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	cfg, root := buildRepo(t, map[string]string{
		"pipecat.yaml":                buildConfig,
		"agents/shared/Dockerfile":    "FROM python:3.12\n",
		"agents/shared/bot.py":        "print('hi')\n",
		"agents/shared/.env":          "SECRET=1\n",
		"agents/shared/.dockerignore": "*.md\n",
	})
	p, archives := e.planBuilds(t, cfg, root)
	if p.Summary.Builds != 2 {
		t.Errorf("plan counts %d builds, want 2 (us-west and eu-central)", p.Summary.Builds)
	}
	var (
		mu     sync.Mutex
		events []string
	)
	res := run(t, context.Background(), e.client, p, apply.Options{Parallelism: 4, Contexts: archives, Progress: func(ev apply.Event) {
		if ev.Build != "" {
			mu.Lock()
			events = append(events, ev.Agent+": "+ev.State)
			mu.Unlock()
		}
	}})
	want := []string{
		"POST /v1/builds/upload-url", "POST /_sandbox/upload", "POST /v1/builds",
		"POST /v1/builds/upload-url", "POST /_sandbox/upload", "POST /v1/builds",
		"POST /v1/agents", "POST /v1/agents", "POST /v1/agents", "POST /v1/agents",
	}
	if diff := cmp.Diff(want, sortedPrefix(e.writes(), 6)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	ids := map[string]string{}
	for _, a := range res.Results {
		if a.Outcome != apply.Succeeded {
			t.Errorf("%s: %s %s", a.Agent, a.Outcome, a.Error)
		}
		if a.Build != nil {
			ids[a.Agent] = a.Build.ID
		}
	}
	if ids["one"] == "" || ids["one"] != ids["two"] || ids["europe"] == ids["one"] || ids["europe"] == "" || ids["plain"] != "" {
		t.Errorf("build ids: %v; want one and two sharing one, europe its own, plain none", ids)
	}
	// Each agent runs its build, and managed keys reached the API.
	e.sb.Mutate(func(st *sandbox.State) error {
		for name, id := range ids {
			if got := st.Agents[name].Spec.BuildID; got != id {
				t.Errorf("%s runs build %q, want %q", name, got, id)
			}
		}
		if !st.Agents["one"].Spec.IntegratedKeysProxy || st.Agents["two"].Spec.IntegratedKeysProxy {
			t.Error("managed keys: want on for one only")
		}
		if st.Agents["one"].Spec.WebsocketAuth != "token" || st.Agents["two"].Spec.WebsocketAuth != "" {
			t.Errorf("websocketAuth: one %q, two %q; want token for one only", st.Agents["one"].Spec.WebsocketAuth, st.Agents["two"].Spec.WebsocketAuth)
		}
		return nil
	})
	mu.Lock()
	for _, ev := range []string{"one, two: uploading", "one, two: done", "europe: uploading", "europe: done"} {
		if !strings.Contains(strings.Join(events, "\n"), ev) {
			t.Errorf("no build event %q in %q", ev, events)
		}
	}
	mu.Unlock()

	// A change of another field: the builds are found in the cache.
	cfg.Agents[1].Spec.AutoScaling = &schema.AutoScaling{MaxAgents: ip(3)} // one (agents are sorted)
	before := len(e.writes())
	p, archives = e.planBuilds(t, cfg, root)
	if c := p.Changes[1]; c.Agent != "one" || c.Action != plan.Update || c.Build.CachedBuildID != ids["one"] || p.Summary.Builds != 0 {
		t.Errorf("plan of one: %s, build %+v, %d builds; want an update reusing %s", c.Action, c.Build, p.Summary.Builds, ids["one"])
	}
	res = run(t, context.Background(), e.client, p, apply.Options{Contexts: archives})
	if diff := cmp.Diff([]string{"POST /v1/agents/one"}, e.writes()[before:]); diff != "" {
		t.Errorf("writes of the second apply (-want +got):\n%s", diff)
	}
	if b := res.Results[0].Build; b == nil || !b.Cached || b.ID != ids["one"] {
		t.Errorf("second apply's build: %+v; want the cached %s", b, ids["one"])
	}
}

// sortedPrefix sorts the first n entries, whose order depends on
// scheduling, keeping the rest in order.
func sortedPrefix(s []string, n int) []string {
	if len(s) < n {
		return s
	}
	head := append([]string(nil), s[:n]...)
	// Each build is upload-url, upload, build in order; two run at once.
	counts := map[string]int{}
	for _, h := range head {
		counts[h]++
	}
	var out []string
	for range 2 {
		for _, k := range []string{"POST /v1/builds/upload-url", "POST /_sandbox/upload", "POST /v1/builds"} {
			if counts[k] > 0 {
				out = append(out, k)
				counts[k]--
			}
		}
	}
	for k, c := range counts {
		for range c {
			out = append(out, "unexpected "+k)
		}
	}
	return append(out, s[n:]...)
}

// TestFailingBuild: an agent whose build fails (RUN exit 1) fails alone,
// with the build's error, its ID, its logs URL and the end of its log; it
// is never sent, and the other agents are applied.
func TestFailingBuild(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	cfg, root := buildRepo(t, map[string]string{
		"pipecat.yaml":      "version: 1\nagents:\n  broken: {build: {context: broken}}\n  fine: {build: {context: fine}}\n  plain: {image: acme/plain:1.0}\n",
		"broken/Dockerfile": "FROM python:3.12\nRUN pip install pipecat\nRUN exit 1\n",
		"fine/Dockerfile":   "FROM python:3.12\n",
	})
	p, archives := e.planBuilds(t, cfg, root)
	res := run(t, context.Background(), e.client, p, apply.Options{Contexts: archives})
	want := []outcome{
		{"broken", "create", "failed", apply.CodeBuildFailed, ""},
		{"fine", "create", "succeeded", "", ""},
		{"plain", "create", "succeeded", "", ""},
	}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	broken := res.Results[0]
	b := broken.Build
	if b == nil || b.ID == "" || b.Status != "failed" || !strings.Contains(b.LogsURL, "/_sandbox/builds/"+b.ID+"/logs") {
		t.Fatalf("build result %+v", b)
	}
	wantErr := "build " + b.ID + ` failed: Docker build failed: process "/bin/sh -c exit 1" did not complete successfully: exit code: 1`
	if broken.Error != wantErr || b.ErrorMessage == "" {
		t.Errorf("error %q, want %q", broken.Error, wantErr)
	}
	if len(b.Logs) == 0 || !strings.Contains(strings.Join(b.Logs, "\n"), "RUN exit 1") || !strings.HasSuffix(b.Logs[len(b.Logs)-1], "Phase complete: BUILD State: FAILED") {
		t.Errorf("logs = %q", b.Logs)
	}
	for _, w := range e.writes() {
		if strings.Contains(w, "broken") {
			t.Errorf("the broken agent was sent: %s", w)
		}
	}
}

// TestBuildTimeout: a build that does not end within BuildTimeout fails
// its agent, saying so.
func TestBuildTimeout(t *testing.T) {
	e := newEnv(t, sandbox.Options{BuildDelay: time.Hour})
	cfg, root := buildRepo(t, map[string]string{
		"pipecat.yaml": "version: 1\nagents:\n  slow: {build: {context: .}}\n",
		"Dockerfile":   "FROM python:3.12\n",
	})
	p, archives := e.planBuilds(t, cfg, root)
	var stages []string
	res := run(t, context.Background(), e.client, p, apply.Options{Contexts: archives, BuildTimeout: 50 * time.Millisecond, PollInterval: 10 * time.Millisecond,
		Status: func(s apply.Status) {
			if s.Stage == apply.StageBuilding && s.Started.IsZero() {
				t.Error("the building stage has no start time")
			}
			stages = append(stages, s.Stage)
		}})
	a := res.Results[0]
	if a.Outcome != apply.Failed || a.ErrorCode != apply.CodeBuildFailed || !strings.Contains(a.Error, "did not end within 50ms (last status: pending)") {
		t.Errorf("result %+v", a)
	}
	if len(stages) == 0 || stages[0] != apply.StageBuilding {
		t.Errorf("stages %q, want building first", stages)
	}
}

// TestBuildInterrupted: a run cancelled during a build skips its agents:
// they were never sent.
func TestBuildInterrupted(t *testing.T) {
	e := newEnv(t, sandbox.Options{BuildDelay: time.Hour})
	cfg, root := buildRepo(t, map[string]string{
		"pipecat.yaml": "version: 1\nagents:\n  slow: {build: {context: .}}\n",
		"Dockerfile":   "FROM python:3.12\n",
	})
	p, archives := e.planBuilds(t, cfg, root)
	ctx, cancel := context.WithCancel(context.Background())
	res := run(t, ctx, e.client, p, apply.Options{Contexts: archives, PollInterval: time.Millisecond, Progress: func(ev apply.Event) {
		if ev.State == "building" {
			cancel()
		}
	}})
	if a := res.Results[0]; a.Outcome != apply.Skipped || !res.Cancelled {
		t.Errorf("result %+v, cancelled %v; want skipped", a, res.Cancelled)
	}
}

// TestSavedPlanDeploysItsCachedBuild: a saved plan that names the cached
// build X deploys X, even when by apply time the cache's newest build of
// that context is another, Y; when X is gone, the change fails as stale
// and nothing (not Y) is deployed in its place.
func TestSavedPlanDeploysItsCachedBuild(t *testing.T) {
	const (
		x = "00000000-0000-4000-8000-00000000000a"
		y = "00000000-0000-4000-8000-00000000000b"
	)
	for _, tt := range []struct {
		name     string
		removeX  bool
		want     []string
		wantRuns string
	}{
		{name: "X exists, the cache answers Y: X is deployed", want: []string{"succeeded", "", x}, wantRuns: x},
		{name: "X is gone: stale, nothing deployed", removeX: true, want: []string{"failed", apply.CodeStale,
			"the plan deploys the existing build " + x + " of . (HASH), and it no longer exists; nothing else is deployed: run plan"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Options{})
			cfg, root := buildRepo(t, map[string]string{
				"pipecat.yaml": "version: 1\nagents:\n  bot: {build: {context: .}}\n",
				"Dockerfile":   "FROM python:3.12\n",
			})
			s, err := plan.ReadSources(context.Background(), cfg, plan.SourceOptions{Root: root})
			if err != nil {
				t.Fatal(err)
			}
			hash := s.Packs["bot"].ContextHash
			seed := func(id string, age time.Duration) {
				e.sb.Mutate(func(st *sandbox.State) error {
					at := time.Now().Add(-age)
					st.Builds[id] = &sandbox.Build{Region: "us-west", ContextHash: hash, DockerfilePath: "Dockerfile",
						CreatedAt: at, StartedAt: at, CompletedAt: at, Result: "success", Logs: []string{}}
					return nil
				})
			}
			seed(x, 2*time.Hour)
			saved, err := json.Marshal(e.planWith(t, cfg, plan.Options{Sources: s}))
			if err != nil {
				t.Fatal(err)
			}
			p, err := plan.Decode(saved)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Changes[0].Build.CachedBuildID; got != x {
				t.Fatalf("the plan reuses %q, want %s", got, x)
			}
			// After the plan: a newer build of the same context.
			seed(y, time.Hour)
			if tt.removeX {
				e.sb.Mutate(func(st *sandbox.State) error { delete(st.Builds, x); return nil })
			}
			before := len(e.sb.Requests())
			res := run(t, context.Background(), e.client, p, apply.Options{})
			a := res.Results[0]
			got := []string{a.Outcome.String(), a.ErrorCode, strings.ReplaceAll(a.Error, hash[:8], "HASH")}
			if a.Outcome == apply.Succeeded {
				got[2] = a.Build.ID
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			runs := ""
			e.sb.Mutate(func(st *sandbox.State) error {
				if ag := st.Agents["bot"]; ag != nil {
					runs = ag.Spec.BuildID
				}
				return nil
			})
			if runs != tt.wantRuns {
				t.Errorf("bot runs build %q, want %q", runs, tt.wantRuns)
			}
			for _, r := range e.sb.Requests()[before:] {
				if strings.HasPrefix(r.Path, "/v1/builds") && r.Path != "/v1/builds/"+x {
					t.Errorf("apply sent %s %s: the plan decided the build", r.Method, r.Path)
				}
			}
		})
	}
}

// TestLostBuildAnswer: the answer to POST /v1/builds is lost after the
// API started the build. The client does not repeat it; apply looks the
// build up by its context hash, finds the one it started and deploys it:
// one build, not two.
func TestLostBuildAnswer(t *testing.T) {
	var lost atomic.Bool
	e, arm, _ := newEnvFaults(t, func(r *http.Request) string {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/builds" && lost.CompareAndSwap(false, true) {
			return lostAnswer
		}
		return pass
	})
	cfg, root := buildRepo(t, map[string]string{
		"pipecat.yaml": "version: 1\nagents:\n  bot: {build: {context: .}}\n",
		"Dockerfile":   "FROM python:3.12\n",
	})
	p, archives := e.planBuilds(t, cfg, root)
	arm()
	res := run(t, context.Background(), e.client, p, apply.Options{Contexts: archives, PollInterval: time.Millisecond})
	a := res.Results[0]
	if a.Outcome != apply.Succeeded || a.Build == nil || a.Build.ID == "" {
		t.Fatalf("result %+v (build %+v)", a, a.Build)
	}
	var builds []string
	e.sb.Mutate(func(st *sandbox.State) error {
		for id := range st.Builds {
			builds = append(builds, id)
		}
		if got := st.Agents["bot"].Spec.BuildID; got != a.Build.ID {
			t.Errorf("bot runs %q, want %q", got, a.Build.ID)
		}
		return nil
	})
	if diff := cmp.Diff([]string{a.Build.ID}, builds); diff != "" {
		t.Errorf("builds (-want +got):\n%s", diff)
	}
	n := 0
	for _, r := range e.sb.Requests() {
		if r.Method == http.MethodPost && r.Path == "/v1/builds" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("POST /v1/builds sent %d times, want 1", n)
	}
}
