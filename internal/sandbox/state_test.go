package sandbox

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	clk := newClock()
	opts := Options{StatePath: path, Now: clk.Now, ReadyDelay: 10 * time.Second, SecretSets: ExampleSecretSets}
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	// New writes the seeded state at once, so it can be read and edited.
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no state file after New: %v", err)
	}
	mustCall(t, a, "POST", "/v1/agents", `{"serviceName":"voice-starter","image":"acme/voice:1","secretSet":"voice-starter-secrets","imagePullSecretSet":"ghcr-pull"}`, 200)
	mustCall(t, a, "PUT", "/v1/secrets/extra", `{"secrets":[{"secretKey":"TOKEN","secretValue":"value-kept-across-restarts"}]}`, 202)
	mustCall(t, a, "POST", "/v1/agents", `{"serviceName":"gone","image":"acme/gone:1"}`, 200)
	mustCall(t, a, "DELETE", "/v1/agents/gone", "", 200)
	before := mustCall(t, a, "GET", "/v1/agents/voice-starter", "", 200)
	// Close folds the journal into the state file.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The sandbox keeps values, in clear, as the API stores them.
	if !strings.Contains(string(data), `"TOKEN": "value-kept-across-restarts"`) {
		t.Errorf("the secret value is not in the state file:\n%s", data)
	}
	var raw struct {
		Version    int
		Agents     map[string]json.RawMessage
		SecretSets map[string]json.RawMessage
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Version != 1 || len(raw.Agents) != 1 || len(raw.SecretSets) != 5 {
		t.Errorf("state file: version %d, %d agents, %d secret sets", raw.Version, len(raw.Agents), len(raw.SecretSets))
	}

	// A new process with other seeds sees the same state, and time goes on.
	opts.SecretSets = nil
	b, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if after := mustCall(t, b, "GET", "/v1/agents/voice-starter", "", 200); after != before {
		t.Errorf("reloaded agent differs:\nbefore %s\nafter  %s", before, after)
	}
	clk.Advance(10 * time.Second)
	d := decode[cloud.ServiceDetails](t, mustCall(t, b, "GET", "/v1/agents/voice-starter", "", 200))
	if !d.Ready {
		t.Error("reloaded agent did not become ready after the delay")
	}
	sets := decode[cloud.ListSecretSetsResponse](t, mustCall(t, b, "GET", "/v1/secrets", "", 200))
	if len(sets.Sets) != 5 {
		t.Errorf("reloaded secret sets: %v", sets.Sets)
	}
	if v, ok := b.SecretValue("extra", "TOKEN"); v != "value-kept-across-restarts" || !ok {
		t.Errorf("reloaded secret value %q, %v", v, ok)
	}
	// No temporary file or journal is left behind by a closed sandbox.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files next to the state: %v", names)
	}
}

func TestStateFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string // substring of the error
	}{
		{"corrupt", `{"version":1,"agents":`, "read sandbox state"},
		{"not JSON", `hello`, "invalid character"},
		{"future version", `{"version":2}`, "version 2 is not supported (want 1)"},
		{"no version", `{}`, "version 0 is not supported"},
		{"null agent", `{"version":1,"agents":{"bot":null}}`, `agent "bot": null`},
		{"bad secret set", `{"version":1,"secretSets":{"abc":{"type":"secret","region":"us-west","status":"weird"}}}`, `status "weird"`},
		{"unsorted keys", `{"version":1,"secretSets":{"abc":{"type":"secret","region":"us-west","status":"ready","keys":["B","A"]}}}`, `secret set "abc": keys must be sorted, each once ("A" after "B")`},
		{"value of no key", `{"version":1,"secretSets":{"abc":{"type":"secret","region":"us-west","status":"ready","keys":["A"],"values":{"B":"v"}}}}`, `secret set "abc": values: "B" is not one of its keys`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := New(Options{StatePath: path})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("got %v, want an error naming %s and containing %q", err, path, tt.want)
			}
			// The file is left for the user to inspect.
			if data, _ := os.ReadFile(path); string(data) != tt.content {
				t.Errorf("the corrupt file was changed to %q", data)
			}
		})
	}
}

// TestStateChecked: a state file (or journal) holding what no request
// could have made is refused at start, naming the agent or set and the
// field, and left as it is.
func TestStateChecked(t *testing.T) {
	good := func() *Agent {
		return &Agent{ID: id(1), Region: "us-west", CreatedAt: t0, UpdatedAt: t0,
			Spec:       AgentSpec{Image: "acme/bot:1", NodeType: "arm", AgentProfile: "agent-1x", MaxAgents: 5},
			Deployment: Deployment{ID: id(2), CreatedAt: t0, ReadyAt: t0}}
	}
	tests := []struct {
		name  string
		agent string
		edit  func(a *Agent, st *State)
		want  string
	}{
		{"unknown region", "bot", func(a *Agent, _ *State) { a.Region = "mars" },
			`agent "bot": region "mars" is not one of this sandbox's regions (us-west, us-east, eu-central, ap-south)`},
		{"maxAgents -1", "bot", func(a *Agent, _ *State) { a.Spec.MaxAgents = -1 },
			`agent "bot": spec: Invalid autoScaling.maxAgents -1. Must be between 1 and 50.`},
		{"minAgents above maxAgents", "bot", func(a *Agent, _ *State) { a.Spec.MinAgents = 9 },
			`agent "bot": spec: Invalid autoScaling: minAgents (9) cannot be greater than maxAgents (5).`},
		{"uppercase name", "Bot", func(*Agent, *State) {},
			`agent "Bot": invalid name: lowercase letters, digits and hyphens`},
		{"name of 55 characters", strings.Repeat("b", 55), func(*Agent, *State) {}, `: invalid name`},
		{"invisible character in the image", "bot", func(a *Agent, _ *State) { a.Spec.Image = "acme/bot​:1" },
			`agent "bot": spec: Invalid image 'acme/bot` + "​" + `:1'.`},
		{"untagged image", "bot", func(a *Agent, _ *State) { a.Spec.Image = "acme/bot" }, `agent "bot": spec: Image 'acme/bot' must include a tag or digest`},
		{"neither image nor build", "bot", func(a *Agent, _ *State) { a.Spec.Image = "" }, `agent "bot": spec: exactly one of image and buildId is required`},
		{"x86", "bot", func(a *Agent, _ *State) { a.Spec.NodeType = "x86" }, `agent "bot": spec: Invalid nodeType 'x86'.`},
		{"unknown profile", "bot", func(a *Agent, _ *State) { a.Spec.AgentProfile = "agent-9x" }, `agent "bot": spec: Invalid agentProfile 'agent-9x'.`},
		{"unknown audio filter", "bot", func(a *Agent, _ *State) { f := "studio"; a.Spec.AudioFilter = &f }, `agent "bot": spec: Invalid krispViva.audioFilter 'studio'.`},
		{"session too long", "bot", func(a *Agent, _ *State) { a.Spec.MaxSessionDuration = intp(99999) }, `agent "bot": spec: Invalid maxSessionDuration 99999.`},
		{"invalid secret set name", "bot", func(a *Agent, _ *State) { a.Spec.SecretSet = "My_Set" }, `agent "bot": spec: secret set name "My_Set" is invalid`},
		{"no deployment", "bot", func(a *Agent, _ *State) { a.Deployment.ID = "" }, `agent "bot": id and deployment.id are required`},
		{"ready before created", "bot", func(a *Agent, _ *State) { a.Deployment.ReadyAt = t0.Add(-time.Second) },
			`agent "bot": deployment.readyAt is before deployment.createdAt`},
		{"secret set in an unknown region", "bot", func(_ *Agent, st *State) {
			st.SecretSets["mars-secrets"] = &SecretSet{Type: "secret", Region: "mars", Status: "ready"}
		}, `secret set "mars-secrets": region "mars" is not one of this sandbox's regions`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, where := range []string{"state file", "journal"} {
				path := filepath.Join(t.TempDir(), "state.json")
				st := newState()
				a := good()
				tt.edit(a, &st)
				st.Agents[tt.agent] = a
				files := map[string][]byte{path: mustMarshal(&st)}
				if where == "journal" {
					files[path] = []byte(`{"version":1}`)
					files[path+journalSuffix] = append(mustMarshal(record{Op: "state", Value: mustMarshal(&st)}), '\n')
				}
				for p, data := range files {
					os.WriteFile(p, data, 0o600)
				}
				_, err := New(Options{StatePath: path})
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "read sandbox state "+path+": ") {
					t.Errorf("%s: got %v, want an error naming %s and containing %q", where, err, path, tt.want)
				}
				for p, data := range files {
					if got, _ := os.ReadFile(p); string(got) != string(data) {
						t.Errorf("%s: %s was changed", where, p)
					}
				}
			}
		})
	}
}

func TestStateMinimalFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	os.WriteFile(path, []byte(`{"version":1}`), 0o600)
	s, err := New(Options{StatePath: path, SecretSets: ExampleSecretSets})
	if err != nil {
		t.Fatal(err)
	}
	// An existing file is the whole state: seeds are not added to it.
	if got := mustCall(t, s, "GET", "/v1/secrets", "", 200); got != `{"sets":[]}` {
		t.Errorf("got %s", got)
	}
	mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, 200)
}

// failingFile is a journal file whose writes fail when fail is set: half
// of the bytes are written, then an error, as when a disk fills up.
type failingFile struct {
	journalFile
	fail, failTruncate bool
}

func (f *failingFile) Write(p []byte) (int, error) {
	if f.fail {
		n, _ := f.journalFile.Write(p[:len(p)/2])
		return n, errors.New("no space left on device")
	}
	return f.journalFile.Write(p)
}

func (f *failingFile) Truncate(size int64) error {
	if f.failTruncate {
		return errors.New("input/output error")
	}
	return f.journalFile.Truncate(size)
}

// TestStateWriteFailure: when the journal cannot be written the request
// fails with a 500 and the state is as before it, in memory and on disk.
func TestStateWriteFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, _ := newTestServer(t, Options{StatePath: path, SecretSets: seeds})
	mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, 200)
	before := mustCall(t, s, "GET", "/v1/agents/bot", "", 200)
	beforeSets := mustCall(t, s, "GET", "/v1/secrets", "", 200)
	f := &failingFile{journalFile: s.store.f, fail: true}
	s.store.f = f
	internal := errBody("Internal server error", "INTERNAL_SERVER_ERROR")
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v1/agents", `{"serviceName":"new","image":"a/b:1"}`},
		{"POST", "/v1/agents/bot", `{"image":"a/b:2"}`},
		{"DELETE", "/v1/agents/bot", ""},
		{"PUT", "/v1/secrets/voice-starter-secrets", `{"secrets":[{"secretKey":"K","secretValue":"v"}]}`},
		{"PUT", "/v1/secrets/brand-new", `{"secrets":[{"secretKey":"K","secretValue":"v"}]}`},
		{"DELETE", "/v1/secrets/east-secrets", ""},
	} {
		if code, body := call(t, s, c.method, c.path, c.body); code != 500 || body != internal {
			t.Errorf("%s %s: %d %s, want 500", c.method, c.path, code, body)
		}
	}
	if err := s.Mutate(func(st *State) error { st.Agents = nil; return nil }); err == nil {
		t.Error("Mutate succeeded although the state cannot be written")
	}
	check := func(s *Server) {
		t.Helper()
		if after := mustCall(t, s, "GET", "/v1/agents/bot", "", 200); after != before {
			t.Errorf("agent changed by failed writes:\nbefore %s\nafter  %s", before, after)
		}
		mustCall(t, s, "GET", "/v1/agents/new", "", 404)
		if after := mustCall(t, s, "GET", "/v1/secrets", "", 200); after != beforeSets {
			t.Errorf("secret sets changed by failed writes:\nbefore %s\nafter  %s", beforeSets, after)
		}
	}
	check(s)

	// Once the disk recovers, changes are written again after the good
	// part of the journal: a restart (as after kill -9) sees them and
	// none of the failed ones.
	f.fail = false
	mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"later","image":"a/b:1"}`, 200)
	r, _ := newTestServer(t, Options{StatePath: path})
	check(r)
	mustCall(t, r, "GET", "/v1/agents/later", "", 200)
}

// TestStateJournalUnusable: when a failed write cannot even be cut off the
// journal, every later change fails rather than be appended after garbage.
func TestStateJournalUnusable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, _ := newTestServer(t, Options{StatePath: path})
	mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, 200)
	f := &failingFile{journalFile: s.store.f, fail: true, failTruncate: true}
	s.store.f = f
	mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"new","image":"a/b:1"}`, 500)
	f.fail, f.failTruncate = false, false
	mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"new","image":"a/b:1"}`, 500)
	mustCall(t, s, "GET", "/v1/agents/new", "", 404)
	mustCall(t, s, "GET", "/v1/agents/bot", "", 200)
}

func TestMutate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, _ := newTestServer(t, Options{StatePath: path})
	mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, 200)

	// Drift: someone changes the image in the dashboard.
	if err := s.Mutate(func(st *State) error {
		st.Agents["bot"].Spec.Image = "a/b:hotfix"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	d := decode[cloud.ServiceDetails](t, mustCall(t, s, "GET", "/v1/agents/bot", "", 200))
	if d.Deployment.Manifest.Spec.Image != "a/b:hotfix" {
		t.Errorf("image %q after drift", d.Deployment.Manifest.Spec.Image)
	}
	if d := decode[cloud.ServiceDetails](t, mustCall(t, reopen(t, path), "GET", "/v1/agents/bot", "", 200)); d.Deployment.Manifest.Spec.Image != "a/b:hotfix" {
		t.Errorf("image %q after drift and a restart", d.Deployment.Manifest.Spec.Image)
	}

	// A failing fn changes nothing, even what it changed before failing.
	boom := errors.New("boom")
	err := s.Mutate(func(st *State) error {
		delete(st.Agents, "bot")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("err %v", err)
	}
	mustCall(t, s, "GET", "/v1/agents/bot", "", 200)

	// A change no request could make is refused, and undone.
	err = s.Mutate(func(st *State) error {
		st.Agents["bot"].Spec.MaxAgents = -1
		return nil
	})
	if want := `sandbox: agent "bot": spec: Invalid autoScaling.maxAgents -1. Must be between 1 and 50.`; err == nil || err.Error() != want {
		t.Errorf("err %v, want %s", err, want)
	}
	if d := decode[cloud.ServiceDetails](t, mustCall(t, s, "GET", "/v1/agents/bot", "", 200)); *d.AutoScaling.MaxReplicas != 50 {
		t.Errorf("maxAgents %d after a refused Mutate", *d.AutoScaling.MaxReplicas)
	}

	// Nil maps are repaired.
	if err := s.Mutate(func(st *State) error { st.Agents, st.SecretSets = nil, nil; return nil }); err != nil {
		t.Fatal(err)
	}
	mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, 200)
	if diff := cmp.Diff([]string{"bot"}, names(s)); diff != "" {
		t.Errorf("agents (-want +got):\n%s", diff)
	}
}

func names(s *Server) []string {
	var out []string
	s.Mutate(func(st *State) error {
		for n := range st.Agents {
			out = append(out, n)
		}
		return nil
	})
	return out
}

// reopen starts a new sandbox on the state file of one that is abandoned
// without Close, as after kill -9.
func reopen(t *testing.T, path string) *Server {
	t.Helper()
	s, _ := newTestServer(t, Options{StatePath: path})
	return s
}
