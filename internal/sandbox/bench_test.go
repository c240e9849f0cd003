package sandbox

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkCreate measures a create through the handler, in memory and
// with the state file rewritten after each one.
func BenchmarkCreate(b *testing.B) {
	for _, persist := range []bool{false, true} {
		b.Run(fmt.Sprintf("persist=%v", persist), func(b *testing.B) {
			opts := Options{}
			if persist {
				opts.StatePath = filepath.Join(b.TempDir(), "state.json")
			}
			s, err := New(opts)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; b.Loop(); i++ {
				rec := serve(s, "POST", "/v1/agents", fmt.Sprintf(`{"serviceName":"bot-%d","image":"a/b:1"}`, i), "Bearer k")
				if rec.Code != 200 {
					b.Fatalf("create: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkGet measures GET /v1/agents/{name} with 100 agents.
func BenchmarkGet(b *testing.B) {
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 100 {
		serve(s, "POST", "/v1/agents", fmt.Sprintf(`{"serviceName":"bot-%d","image":"a/b:1"}`, i), "Bearer k")
	}
	for b.Loop() {
		if rec := serve(s, "GET", "/v1/agents/bot-42", "", "Bearer k"); rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkStateWrites measures changes through HTTP against a sandbox
// that already holds 10,000 agents: 50 clients at once, half creating new
// agents and half updating existing ones, with a state file (the journal,
// compacted as it grows) and, for comparison, in memory. It reports
// requests per second (req/s).
func BenchmarkStateWrites(b *testing.B) {
	b.Run("state=file", func(b *testing.B) { benchmarkWrites(b, filepath.Join(b.TempDir(), "state.json")) })
	b.Run("state=memory", func(b *testing.B) { benchmarkWrites(b, "") })
}

func benchmarkWrites(b *testing.B, statePath string) {
	const agents, clients = 10_000, 50
	s, err := New(Options{StatePath: statePath})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	if err := s.Mutate(func(st *State) error {
		for i := range agents {
			st.Agents[fmt.Sprintf("agent-%d", i)] = &Agent{
				ID: newUUID(), Region: platformDefaultRegion, CreatedAt: now, UpdatedAt: now,
				Spec:       AgentSpec{Image: "acme/bot:1", NodeType: "arm", AgentProfile: "agent-1x", MaxAgents: defaultMaxAgents},
				Deployment: Deployment{ID: newUUID(), CreatedAt: now, ReadyAt: now},
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	defer hc.CloseIdleConnections()
	send := func(method, path, body string) error {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer k")
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("%s %s: %d", method, path, resp.StatusCode)
		}
		return nil
	}

	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				var err error
				if i%2 == 0 {
					err = send("POST", "/v1/agents", fmt.Sprintf(`{"serviceName":"new-%d-%d","image":"acme/bot:1"}`, b.N, i))
				} else {
					err = send("POST", fmt.Sprintf("/v1/agents/agent-%d", i%agents), fmt.Sprintf(`{"image":"acme/bot:%d"}`, i))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	if s.store != nil {
		s.store.wg.Wait()
		b.ReportMetric(float64(s.store.compactions), "compactions")
	}
}
