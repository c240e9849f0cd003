package plan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

func sp(s string) *string { return &s }
func ip(i int) *int       { return &i }
func bp(b bool) *bool     { return &b }

// TestLiveSpecFromSandbox creates agents through the API with every managed
// field set, reads them back, and checks that normalization returns exactly
// what was sent: the request and response shapes differ, and this is where
// a renaming would go wrong.
func TestLiveSpecFromSandbox(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{SecretSets: []sandbox.SecretSetSeed{
		{Name: "bot-secrets", Type: "secret", Region: "eu-central", Status: "ready"},
		{Name: "pull", Type: "imagePullSecret", Region: "eu-central", Status: "ready"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	client, err := cloud.New(cloud.Options{BaseURL: srv.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		spec schema.Spec
	}{
		{"every field set", schema.Spec{
			Image: sp("ghcr.io/acme/bot:1.4.0"), Region: sp("eu-central"), NodeType: sp("arm"), AgentProfile: sp("agent-3x"),
			ImagePullSecretSet: sp("pull"), SecretSet: sp("bot-secrets"),
			AutoScaling: &schema.AutoScaling{MinAgents: ip(2), MaxAgents: ip(7)}, KrispViva: &schema.KrispViva{AudioFilter: sp("pro")},
			EnableKrisp: bp(true), MaxSessionDuration: ip(900),
		}},
		{"zero minimum, krisp off, no secrets", schema.Spec{
			Image: sp("acme/bot@sha256:0123456789abcdef0123456789abcdef"), Region: sp("eu-central"), NodeType: sp("arm"), AgentProfile: sp("agent-1x"),
			AutoScaling: &schema.AutoScaling{MinAgents: ip(0), MaxAgents: ip(1)}, KrispViva: &schema.KrispViva{},
			EnableKrisp: bp(false), MaxSessionDuration: ip(14400),
		}},
	}
	// "Every field" must stay true when a field is added to schema.Spec:
	// one the wire mapping or the sandbox forgets then fails here.
	var readable []string
	for _, f := range schema.AllFields() {
		if !f.WriteOnly {
			readable = append(readable, f.Path)
		}
	}
	var set []string
	for _, f := range tests[0].spec.Fields() {
		set = append(set, f.Path)
	}
	if diff := cmp.Diff(readable, set); diff != "" {
		t.Fatalf("the \"every field set\" case does not set every readable field of schema.Spec (-all +set):\n%s", diff)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := []string{"full-bot", "bare-bot"}[i]
			created, err := client.CreateAgent(context.Background(), plan.CreateRequest(name, &tt.spec))
			if err != nil {
				t.Fatal(err)
			}
			got, err := client.GetAgent(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range []*cloud.ServiceDetails{created, got} {
				if diff := cmp.Diff(tt.spec, plan.LiveSpec(d)); diff != "" {
					t.Errorf("LiveSpec of the sandbox's answer (-sent +normalized):\n%s", diff)
				}
			}
			// And an update of every field comes back the same way.
			tt.spec.Image, tt.spec.MaxSessionDuration = sp("acme/bot:2.0"), ip(60)
			if _, err := client.UpdateAgent(context.Background(), name, plan.UpdateRequest(&tt.spec)); err != nil {
				t.Fatal(err)
			}
			got, err = client.GetAgent(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.spec, plan.LiveSpec(got)); diff != "" {
				t.Errorf("LiveSpec after update (-sent +normalized):\n%s", diff)
			}
		})
	}
}

// TestPreflightBuildIDs: every buildId is read (GET /v1/builds/{id}, once
// per distinct id) and one that does not exist, failed, or is in another
// region than the agent is an error at the buildId's line and column; one
// still building is a warning.
func TestPreflightBuildIDs(t *testing.T) {
	const (
		ok      = "00000000-0000-4000-8000-000000000001"
		failed  = "00000000-0000-4000-8000-000000000002"
		europe  = "00000000-0000-4000-8000-000000000003"
		running = "00000000-0000-4000-8000-000000000004"
		missing = "00000000-0000-4000-8000-0000000000ff"
	)
	sb, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sb.Mutate(func(st *sandbox.State) error {
		at := time.Now().Add(-time.Hour)
		seed := func(id, region, result string, done time.Time) {
			st.Builds[id] = &sandbox.Build{Region: region, ContextHash: "0123456789abcdef", DockerfilePath: "Dockerfile",
				CreatedAt: at, StartedAt: at, CompletedAt: done, Result: result, Logs: []string{}}
		}
		seed(ok, "us-west", "success", at)
		seed(failed, "us-west", "failed", at)
		seed(europe, "eu-central", "success", at)
		seed(running, "us-west", "success", time.Now().Add(time.Hour))
		return nil
	})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	client, err := cloud.New(cloud.Options{BaseURL: srv.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "pipecat.yaml")
	yaml := "version: 1\nagents:\n" +
		"  fine: {buildId: " + ok + "}\n" +
		"  fine-too: {buildId: " + ok + "}\n" +
		"  broken: {buildId: " + failed + "}\n" +
		"  elsewhere: {buildId: " + europe + "}\n" +
		"  europe: {buildId: " + europe + ", region: eu-central}\n" +
		"  early: {buildId: " + running + "}\n" +
		"  ghost: {buildId: " + missing + "}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := schema.Load(context.Background(), file, schema.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Make(context.Background(), cfg, client, plan.Options{Config: "pipecat.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range p.Findings {
		if f.Field == "buildId" && f.Severity != plan.Warning || strings.Contains(f.Message, "still") {
			got = append(got, fmt.Sprintf("%d:%d %s %s: %s", f.Line, f.Col, f.Severity, f.Agent, f.Message))
		}
	}
	want := []string{
		"5:21 error broken: build " + failed + " ended failed; only a successful build can be deployed",
		"6:24 error elsewhere: build " + europe + " is in region eu-central but the agent is in us-west; they must be in the same region",
		"8:20 warning early: build " + running + " is still building; a deploy is refused until it succeeds",
		"9:20 error ghost: build " + missing + " does not exist",
	}
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("buildId findings (-want +got):\n%s", diff)
	}
	reads := map[string]int{}
	for _, r := range sb.Requests() {
		if strings.HasPrefix(r.Path, "/v1/builds/") {
			reads[r.Path]++
		}
	}
	for path, n := range reads {
		if n != 1 {
			t.Errorf("%s read %d times, want once", path, n)
		}
	}
	if len(reads) != 5 {
		t.Errorf("%d builds read, want the 5 distinct ids: %v", len(reads), reads)
	}
}

// renamingTransport stands for a client whose wire type names one field
// wrongly: it renames the JSON key from to `to` in every request body
// (nested objects included) before the sandbox sees it.
type renamingTransport struct{ from, to string }

func (rt renamingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Method == http.MethodPost {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, err
		}
		rename(m, rt.from, rt.to)
		b, _ := json.Marshal(m)
		r = r.Clone(r.Context())
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	}
	return http.DefaultTransport.RoundTrip(r)
}

func rename(m map[string]any, from, to string) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			rename(sub, from, to)
		}
		if k == from {
			m[to] = v
			delete(m, k)
		}
	}
}

// TestWrongWireNameFailsAgainstSandbox: the sandbox decodes requests into
// its own types, written from the OpenAPI document, so a client that
// misnames any field it sends fails end to end, through the real client
// and the real request mapping, instead of agreeing with the emulator by
// construction.
func TestWrongWireNameFailsAgainstSandbox(t *testing.T) {
	spec := schema.Spec{
		Image: sp("ghcr.io/acme/bot:1.4.0"), Region: sp("us-west"), NodeType: sp("arm"), AgentProfile: sp("agent-3x"),
		AutoScaling: &schema.AutoScaling{MinAgents: ip(2), MaxAgents: ip(7)}, KrispViva: &schema.KrispViva{AudioFilter: sp("pro")},
		EnableKrisp: bp(true), MaxSessionDuration: ip(900), ManagedKeys: bp(true), WebsocketAuth: sp("token"),
	}
	body, err := json.Marshal(plan.CreateRequest("bot", &spec))
	if err != nil {
		t.Fatal(err)
	}
	var sent map[string]any
	if err := json.Unmarshal(body, &sent); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k, v := range sent {
		keys = append(keys, k)
		if sub, ok := v.(map[string]any); ok {
			for k := range sub {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	for _, key := range append([]string{""}, keys...) {
		name := "renamed " + key
		if key == "" {
			name = "as sent"
		}
		t.Run(name, func(t *testing.T) {
			sb, err := sandbox.New(sandbox.Options{})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(sb)
			defer srv.Close()
			client, err := cloud.New(cloud.Options{BaseURL: srv.URL, APIKey: "k", MaxAttempts: 1,
				HTTPClient: &http.Client{Transport: renamingTransport{key, key + "Typo"}}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = client.CreateAgent(context.Background(), plan.CreateRequest("bot", &spec))
			if key == "" && err != nil {
				t.Fatalf("the request as the client sends it: %v", err)
			}
			if key != "" && (err == nil || !strings.Contains(err.Error(), `unknown field "`+key+`Typo"`)) {
				t.Fatalf("with %s misnamed the sandbox answered %v, want unknown field %q", key, err, key+"Typo")
			}
		})
	}
}
