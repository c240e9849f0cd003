package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// statuses sends n list requests and returns their statuses.
func statuses(t *testing.T, s *Server, n int) []int {
	var out []int
	for range n {
		code, _ := call(t, s, "GET", "/v1/agents", "")
		out = append(out, code)
	}
	return out
}

func TestFaultsAreDeterministic(t *testing.T) {
	opts := Options{FaultRate: 0.3, RateLimitRate: 0.3, Seed: 42}
	a, _ := newTestServer(t, opts)
	b, _ := newTestServer(t, opts)
	first, second := statuses(t, a, 200), statuses(t, b, 200)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("same seed, different decisions (-a +b):\n%s", diff)
	}
	count := map[int]int{}
	for _, c := range first {
		count[c]++
	}
	// 200 draws at 30% each: all three outcomes occur.
	for _, code := range []int{200, 429, 500} {
		if count[code] == 0 {
			t.Errorf("no %d in 200 requests: %v", code, count)
		}
	}
	opts.Seed = 43
	c, _ := newTestServer(t, opts)
	if cmp.Equal(first, statuses(t, c, 200)) {
		t.Error("another seed gave the same 200 decisions")
	}
}

func TestRateLimit(t *testing.T) {
	tests := []struct {
		retryAfter time.Duration
		want       string
	}{
		{0, "0"},
		{time.Second, "1"},
		{1500 * time.Millisecond, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.retryAfter.String(), func(t *testing.T) {
			s, _ := newTestServer(t, Options{RateLimitRate: 1, RetryAfter: tt.retryAfter})
			rec := serve(s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, "Bearer k")
			if rec.Code != 429 || rec.Header().Get("Retry-After") != tt.want {
				t.Errorf("got %d Retry-After %q, want 429 %q", rec.Code, rec.Header().Get("Retry-After"), tt.want)
			}
			if want := errBody("Too many requests", "TOO_MANY_REQUESTS"); rec.Body.String() != want {
				t.Errorf("body %s, want %s", rec.Body, want)
			}
			if err := s.Mutate(func(st *State) error {
				if len(st.Agents) != 0 {
					return fmt.Errorf("a rate-limited create was committed")
				}
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestFaultRate(t *testing.T) {
	s, _ := newTestServer(t, Options{FaultRate: 1})
	// Faults come before authentication, as a failing front end would.
	rec := serve(s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, "")
	if want := errBody("Internal server error", "INTERNAL_SERVER_ERROR"); rec.Code != 500 || rec.Body.String() != want {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
	if err := s.Mutate(func(st *State) error {
		if len(st.Agents) != 0 {
			return fmt.Errorf("a faulted create was committed")
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}

// TestDropCommitsThenCloses: the create is committed, the client gets a
// transport error and no status, and a read shows the agent.
func TestDropCommitsThenCloses(t *testing.T) {
	s, _ := newTestServer(t, Options{DropRate: 1})
	srv := httptest.NewServer(s)
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/agents", strings.NewReader(`{"serviceName":"bot","image":"a/b:1"}`))
	req.Header.Set("Authorization", "Bearer k")
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("dropped create answered %d", resp.StatusCode)
	}

	// Reads are never dropped.
	req, _ = http.NewRequest("GET", srv.URL+"/v1/agents/bot", nil)
	req.Header.Set("Authorization", "Bearer k")
	resp, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET after a dropped create: %d, want 200", resp.StatusCode)
	}
	want := []Request{{"POST", "/v1/agents", 0}, {"GET", "/v1/agents/bot", 200}}
	if diff := cmp.Diff(want, s.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestDropWithoutHijacker: behind a writer that cannot be hijacked (as
// with HTTP/2), a drop aborts the handler instead.
func TestDropWithoutHijacker(t *testing.T) {
	s, _ := newTestServer(t, Options{DropRate: 1})
	defer func() {
		if r := recover(); r != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", r)
		}
		if got := s.Requests(); len(got) != 1 || got[0].Status != 0 {
			t.Errorf("requests %v", got)
		}
	}()
	serve(s, "DELETE", "/v1/agents/bot", "", "Bearer k")
}

func TestLatencyHonoursCancellation(t *testing.T) {
	s, _ := newTestServer(t, Options{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/v1/agents", nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer k")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req) // returns at once: the client is gone
	if diff := cmp.Diff([]Request{{"GET", "/v1/agents", 0}}, s.Requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"fault rate", Options{FaultRate: 1.5}, "sandbox: fault rate 1.5 is not between 0 and 1"},
		{"rate limit rate", Options{RateLimitRate: -0.1}, "sandbox: rate limit rate -0.1 is not between 0 and 1"},
		{"drop rate", Options{DropRate: 2}, "sandbox: drop rate 2 is not between 0 and 1"},
		{"negative delay", Options{ReadyDelay: -time.Second}, "sandbox: negative durations are not allowed"},
		{"region without code", Options{Regions: []cloud.Region{{DisplayName: "x"}}}, "sandbox: a region has no code"},
		{"bad seed type", Options{SecretSets: []SecretSetSeed{{Name: "abc", Type: "tls"}}}, `sandbox: secret set seed: secret set "abc": type "tls" is not secret or imagePullSecret`},
		{"bad seed name", Options{SecretSets: []SecretSetSeed{{Name: "A"}}}, `sandbox: secret set seed: secret set "A": invalid name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}

func TestLogf(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	s, _ := newTestServer(t, Options{Logf: func(format string, args ...any) {
		mu.Lock()
		lines = append(lines, fmt.Sprintf(format, args...))
		mu.Unlock()
	}})
	serve(s, "GET", "/v1/agents", "", "Bearer sk_super_secret_key")
	serve(s, "GET", "/v1/agents", "", "")
	if len(lines) != 2 {
		t.Fatalf("lines %q", lines)
	}
	for i, prefix := range []string{"GET /v1/agents 200 ", "GET /v1/agents 401 "} {
		if !strings.HasPrefix(lines[i], prefix) {
			t.Errorf("line %q, want prefix %q", lines[i], prefix)
		}
		if strings.Contains(lines[i], "sk_super_secret_key") {
			t.Errorf("the key leaked into the log: %q", lines[i])
		}
	}
}

// TestConcurrentCreates: many clients race to create and update the same
// and distinct names; exactly one create wins per name and every update
// of an existing agent succeeds. Run with -race.
func TestConcurrentCreates(t *testing.T) {
	s, _ := newTestServer(t, Options{StatePath: t.TempDir() + "/state.json"})
	const workers, names = 16, 8
	var mu sync.Mutex
	wins := map[string]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range names {
				name := fmt.Sprintf("shared-%d", n)
				code, body := call(t, s, "POST", "/v1/agents", `{"serviceName":"`+name+`","image":"a/b:1"}`)
				switch {
				case code == 200:
					mu.Lock()
					wins[name]++
					mu.Unlock()
				case code != 400 || body != errBody("Service already exists", "GENERIC_BAD_REQUEST"):
					t.Errorf("create %s: %d %s", name, code, body)
				}
				if code, body := call(t, s, "POST", "/v1/agents/"+name, fmt.Sprintf(`{"image":"a/b:%d"}`, w)); code != 200 {
					t.Errorf("update %s: %d %s", name, code, body)
				}
				own := fmt.Sprintf("own-%d-%d", w, n)
				if code, body := call(t, s, "POST", "/v1/agents", `{"serviceName":"`+own+`","image":"a/b:1"}`); code != 200 {
					t.Errorf("create %s: %d %s", own, code, body)
				}
				if code, body := call(t, s, "DELETE", "/v1/agents/"+own, ""); code != 200 {
					t.Errorf("delete %s: %d %s", own, code, body)
				}
				call(t, s, "GET", "/v1/agents", "")
			}
		}()
	}
	wg.Wait()
	for n := range names {
		if name := fmt.Sprintf("shared-%d", n); wins[name] != 1 {
			t.Errorf("%s created %d times", name, wins[name])
		}
	}
	list := decode[cloud.ListServicesResponse](t, mustCall(t, s, "GET", "/v1/agents", "", 200))
	if len(list.Services) != names {
		t.Errorf("%d agents, want %d", len(list.Services), names)
	}
	if got, want := len(s.Requests()), workers*names*5+1; got != want {
		t.Errorf("%d requests logged, want %d", got, want)
	}
}
