package plan_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// benchLatency is the API round trip the benchmarks assume.
const benchLatency = 20 * time.Millisecond

// BenchmarkPlan measures plan.Make of an organization of n agents, 5% of
// them changed, against the sandbox with 20 ms per request, at
// parallelism 16, and once one request at a time for comparison. It
// reports:
//
//   - requests/op: requests one plan sends;
//   - time/bound: the time over the network bound, latency × sequential
//     rounds = 20 ms × (1 list + ceil(n/16) detail reads);
//   - x-vs-sequential: the one-at-a-time run's time over this one's.
//
// -short leaves out 5,000 agents, whose one-at-a-time run alone takes
// 100 s (CI runs -short so the benchmark cannot rot); the README's figures
// come from the full run.
func BenchmarkPlan(b *testing.B) {
	sizes := []int{100, 1000, 5000}
	if testing.Short() {
		sizes = sizes[:2]
	}
	const par = 16
	for _, n := range sizes {
		b.Run(fmt.Sprintf("agents=%d/parallelism=%d", n, par), func(b *testing.B) {
			sb, client, cfg := benchOrg(b, n)
			makePlan := func(par int) time.Duration {
				start := time.Now()
				p, err := plan.Make(context.Background(), cfg, client, plan.Options{Parallelism: par})
				if err != nil {
					b.Fatal(err)
				}
				if p.Summary.Update != n/20 || p.Summary.NoOp != n-n/20 {
					b.Fatalf("plan %+v, want %d updates", p.Summary, n/20)
				}
				return time.Since(start)
			}
			sequential := makePlan(1)
			var took time.Duration
			before := len(sb.Requests())
			iterations := 0
			for b.Loop() {
				took += makePlan(par)
				iterations++
			}
			per := took / time.Duration(iterations)
			bound := benchLatency * time.Duration(1+(n+par-1)/par)
			b.ReportMetric(float64(len(sb.Requests())-before)/float64(iterations), "requests/op")
			b.ReportMetric(float64(per)/float64(bound), "time/bound")
			b.ReportMetric(float64(sequential)/float64(per), "x-vs-sequential")
		})
	}
}

// benchOrg is a sandbox with 20 ms latency holding n agents, seeded
// through its state (no requests), and a config that changes the image of
// every 20th.
func benchOrg(b *testing.B, n int) (*sandbox.Server, *cloud.Client, *schema.Config) {
	b.Helper()
	sb, err := sandbox.New(sandbox.Options{Latency: benchLatency})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	b.Cleanup(srv.Close)
	client, err := cloud.New(cloud.Options{BaseURL: srv.URL, APIKey: "k"})
	if err != nil {
		b.Fatal(err)
	}
	cfg := &schema.Config{File: "pipecat.yaml"}
	now := time.Now()
	err = sb.Mutate(func(st *sandbox.State) error {
		for i := range n {
			name := fmt.Sprintf("agent-%04d", i)
			want, have := "acme/"+name+":1.0", "acme/"+name+":1.0"
			if i%20 == 0 {
				have = "acme/" + name + ":0.9"
			}
			cfg.Agents = append(cfg.Agents, schema.Agent{Name: name, Spec: schema.Spec{Image: &want}})
			st.Agents[name] = &sandbox.Agent{ID: fmt.Sprintf("id-%d", i), Region: "us-west", CreatedAt: now, UpdatedAt: now,
				Spec:       sandbox.AgentSpec{Image: have, NodeType: "arm", AgentProfile: "agent-1x", MaxAgents: 50},
				Deployment: sandbox.Deployment{ID: fmt.Sprintf("dep-%d", i), CreatedAt: now, ReadyAt: now}}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return sb, client, cfg
}

// BenchmarkDiff measures the pure diff of 3,000 agents, half of them
// changed.
func BenchmarkDiff(b *testing.B) {
	cfg, live := plan.DiffOrg(3000)
	for b.Loop() {
		plan.Diff(cfg, live, plan.Options{})
	}
}
