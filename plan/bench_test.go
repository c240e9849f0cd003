package plan_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
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
// them changed, against the sandbox with 20 ms per request, through a
// client set up as the CLI's (MaxInFlight = parallelism: the adaptive
// limiter), and once one request at a time for comparison. It reports:
//
//   - requests/op: requests one plan sends;
//   - time/bound: the time over the network bound, latency × sequential
//     rounds = 20 ms × (1 list + ceil(n/parallelism) detail reads);
//   - x-vs-sequential: the one-at-a-time run's time over this one's;
//   - list-ms: from the start until the first detail read starts (the
//     lists, 20 ms in the bound);
//   - read-ms: the mean time of one detail read (20 ms in the bound);
//   - tail-ms: from the end of the last read to the plan (the diff).
//
// 500 agents at parallelism 8 is the CLI's default, as an outside harness
// runs it; its one-at-a-time run is left out (10 s). -short leaves out
// 5,000 agents, whose one-at-a-time run alone takes 100 s (CI runs -short
// so the benchmark cannot rot); the README's figures come from the full
// run.
func BenchmarkPlan(b *testing.B) {
	cases := []struct{ n, par int }{{100, 16}, {500, 8}, {1000, 16}, {5000, 16}}
	if testing.Short() {
		cases = cases[:3]
	}
	for _, c := range cases {
		n, par := c.n, c.par
		b.Run(fmt.Sprintf("agents=%d/parallelism=%d", n, par), func(b *testing.B) {
			sb, url, cfg := benchOrg(b, n)
			makePlan := func(par int) (time.Duration, *timedReader) {
				client, err := cloud.New(cloud.Options{BaseURL: url, APIKey: "k", MaxInFlight: par})
				if err != nil {
					b.Fatal(err)
				}
				r := &timedReader{Client: client, start: time.Now()}
				p, err := plan.Make(context.Background(), cfg, r, plan.Options{Parallelism: par})
				if err != nil {
					b.Fatal(err)
				}
				if p.Summary.Update != n/20 || p.Summary.NoOp != n-n/20 {
					b.Fatalf("plan %+v, want %d updates", p.Summary, n/20)
				}
				return time.Since(r.start), r
			}
			var sequential time.Duration
			if par != 8 {
				sequential, _ = makePlan(1)
			}
			var took, list, read, tail time.Duration
			before := len(sb.Requests())
			iterations := 0
			for b.Loop() {
				t, r := makePlan(par)
				took += t
				l, rd, tl := r.phases(t)
				list, read, tail = list+l, read+rd, tail+tl
				iterations++
			}
			per := func(d time.Duration) float64 { return float64(d) / float64(iterations) }
			bound := benchLatency * time.Duration(1+(n+par-1)/par)
			b.ReportMetric(float64(len(sb.Requests())-before)/float64(iterations), "requests/op")
			b.ReportMetric(per(took)/float64(bound), "time/bound")
			if sequential > 0 {
				b.ReportMetric(float64(sequential)/per(took), "x-vs-sequential")
			}
			b.ReportMetric(per(list)/1e6, "list-ms")
			b.ReportMetric(per(read)/1e6, "read-ms")
			b.ReportMetric(per(tail)/1e6, "tail-ms")
		})
	}
}

// timedReader notes when each detail read starts and ends, for
// BenchmarkPlan's breakdown.
type timedReader struct {
	*cloud.Client
	start time.Time
	mu    sync.Mutex
	reads [][2]time.Duration
}

func (r *timedReader) GetAgent(ctx context.Context, name string) (*cloud.ServiceDetails, error) {
	from := time.Since(r.start)
	d, err := r.Client.GetAgent(ctx, name)
	to := time.Since(r.start)
	r.mu.Lock()
	r.reads = append(r.reads, [2]time.Duration{from, to})
	r.mu.Unlock()
	return d, err
}

// phases splits a plan that took total: until the first read, the mean
// read, after the last read.
func (r *timedReader) phases(total time.Duration) (list, read, tail time.Duration) {
	if len(r.reads) == 0 {
		return total, 0, 0
	}
	list, last := r.reads[0][0], time.Duration(0)
	var sum time.Duration
	for _, s := range r.reads {
		list, last = min(list, s[0]), max(last, s[1])
		sum += s[1] - s[0]
	}
	return list, sum / time.Duration(len(r.reads)), total - last
}

// benchOrg is a sandbox with 20 ms latency holding n agents, seeded
// through its state (no requests), its URL, and a config that changes the
// image of every 20th.
func benchOrg(b *testing.B, n int) (*sandbox.Server, string, *schema.Config) {
	b.Helper()
	sb, err := sandbox.New(sandbox.Options{Latency: benchLatency})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	b.Cleanup(srv.Close)
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
	return sb, srv.URL, cfg
}

// BenchmarkDiff measures the pure diff of 3,000 agents, half of them
// changed.
func BenchmarkDiff(b *testing.B) {
	cfg, live := plan.DiffOrg(3000)
	for b.Loop() {
		plan.Diff(cfg, live, plan.Options{})
	}
}
