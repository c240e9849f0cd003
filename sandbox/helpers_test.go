package sandbox

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// t0 is the fake clock's start.
var t0 = time.Date(2025, 4, 19, 1, 20, 27, 564_000_000, time.UTC)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newTestServer returns a sandbox with a fake clock and predictable IDs:
// 00000000-0000-4000-8000-000000000001, ...02, and so on.
func newTestServer(t *testing.T, opts Options) (*Server, *clock) {
	t.Helper()
	c := newClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var mu sync.Mutex
	n := 0
	s.newID = func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
	return s, c
}

func id(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// call sends one authenticated request straight to the handler.
func call(t *testing.T, s http.Handler, method, path, body string) (int, string) {
	t.Helper()
	rec := serve(s, method, path, body, "Bearer test-key")
	return rec.Code, rec.Body.String()
}

func serve(s http.Handler, method, path, body, auth string) *httptest.ResponseRecorder {
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// mustCall is call that fails the test unless the status is want.
func mustCall(t *testing.T, s http.Handler, method, path, body string, want int) string {
	t.Helper()
	code, got := call(t, s, method, path, body)
	if code != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, code, want, got)
	}
	return got
}

// decode unmarshals a response body into v.
func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

// errBody is the API's error body, fields in the spec's order.
func errBody(msg, code string) string {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}{msg, code})
	return string(b)
}

// golden compares got with testdata/golden/name, or rewrites it with
// -update. JSON is indented for readable diffs.
func golden(t *testing.T, name, got string) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatalf("golden %s: %v", name, err)
	}
	pretty, _ := json.MarshalIndent(v, "", "  ")
	pretty = append(pretty, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pretty, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(pretty)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// seeds are the secret sets most tests start with.
var seeds = []SecretSetSeed{
	{Name: "voice-starter-secrets", Keys: []string{"OPENAI_API_KEY"}},
	{Name: "dockerhub-credentials", Type: "imagePullSecret"},
	{Name: "east-secrets", Region: "us-east"},
	{Name: "east-pull", Type: "imagePullSecret", Region: "us-east"},
	{Name: "pending-secrets", Status: "pending"},
	{Name: "failed-secrets", Status: "failed"},
}

// specCreateBody is the spec's createService request example.
const specCreateBody = `{
  "serviceName": "voice-starter",
  "image": "your-dockername/voice-starter:0.1",
  "region": "us-west",
  "nodeType": "arm",
  "imagePullSecretSet": "dockerhub-credentials",
  "secretSet": "voice-starter-secrets",
  "autoScaling": {"minAgents": 1, "maxAgents": 20},
  "krispViva": {"audioFilter": "tel"},
  "agentProfile": "agent-1x",
  "maxSessionDuration": 3600
}`
