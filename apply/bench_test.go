package apply_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// benchLatency is the API round trip the benchmarks assume.
const benchLatency = 20 * time.Millisecond

// BenchmarkApply measures apply of n creates, n updates, and n creates
// with --wait (readiness 3 s), against the sandbox with 20 ms per request,
// at parallelism 8, and once one request at a time for comparison. It
// reports:
//
//   - requests/op: requests one apply sends;
//   - time/bound: the time over the network bound. For creates and
//     updates the bound is latency × sequential rounds = 20 ms ×
//     (ceil(n/8) sends + 1 list that checks nobody changed the agents
//     meanwhile); for --wait it is the readiness plus the send bound,
//     3 s + 20 ms × ceil(n/8) (the target: under 1.5);
//   - x-vs-sequential: the one-at-a-time run's time over this one's.
//
// -short runs 50 agents with 300 ms readiness (CI runs it so the
// benchmark cannot rot); the README's figures come from the full run.
func BenchmarkApply(b *testing.B) {
	n, ready := 200, 3*time.Second
	if testing.Short() {
		n, ready = 50, 300*time.Millisecond
	}
	const par = 8
	rounds := time.Duration((n + par - 1) / par)
	tests := []struct {
		name  string
		live  string // image of the existing agents; "" = none
		wait  bool
		bound time.Duration
	}{
		{"creates", "", false, benchLatency * (rounds + 1)},
		{"updates", "acme/bot:0.9", false, benchLatency * (rounds + 1)},
		{"creates-wait", "", true, ready + benchLatency*rounds},
	}
	for _, tt := range tests {
		b.Run(fmt.Sprintf("%s=%d/parallelism=%d", tt.name, n, par), func(b *testing.B) {
			once := func(par int) (time.Duration, int) {
				b.StopTimer()
				e, p := benchApplyOrg(b, n, tt.live, ready)
				before := len(e.sb.Requests())
				b.StartTimer()
				start := time.Now()
				res, err := apply.Run(context.Background(), e.client, p, apply.Options{Parallelism: par, Wait: tt.wait, WaitTimeout: time.Minute})
				took := time.Since(start)
				if err != nil || res.Failed() != 0 || len(res.Results) != n {
					b.Fatalf("apply: error %v, %d results, %d failed", err, len(res.Results), res.Failed())
				}
				return took, len(e.sb.Requests()) - before
			}
			sequential, _ := once(1)
			var took time.Duration
			requests, iterations := 0, 0
			for b.Loop() {
				t, r := once(par)
				took += t
				requests += r
				iterations++
			}
			per := took / time.Duration(iterations)
			b.ReportMetric(float64(requests)/float64(iterations), "requests/op")
			b.ReportMetric(float64(per)/float64(tt.bound), "time/bound")
			b.ReportMetric(float64(sequential)/float64(per), "x-vs-sequential")
		})
	}
}

// benchApplyOrg is a sandbox with 20 ms latency and the given readiness,
// holding n agents of image live (none when live is empty, seeded through
// its state), and the plan that makes them acme/bot:1.0.
func benchApplyOrg(b *testing.B, n int, live string, ready time.Duration) (*env, *plan.Plan) {
	e := newEnv(b, sandbox.Options{Latency: benchLatency, ReadyDelay: ready})
	cfg := &schema.Config{File: "pipecat.yaml"}
	now := time.Now()
	err := e.sb.Mutate(func(st *sandbox.State) error {
		for i := range n {
			name := fmt.Sprintf("agent-%04d", i)
			cfg.Agents = append(cfg.Agents, schema.Agent{Name: name, Spec: schema.Spec{Image: sp("acme/bot:1.0")}})
			if live != "" {
				st.Agents[name] = &sandbox.Agent{ID: fmt.Sprintf("id-%d", i), Region: "us-west", CreatedAt: now, UpdatedAt: now,
					Spec:       sandbox.AgentSpec{Image: live, NodeType: "arm", AgentProfile: "agent-1x", MaxAgents: 50},
					Deployment: sandbox.Deployment{ID: fmt.Sprintf("dep-%d", i), CreatedAt: now, ReadyAt: now}}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	p, err := plan.Make(context.Background(), cfg, e.client, plan.Options{Parallelism: 64})
	if err != nil {
		b.Fatal(err)
	}
	return e, p
}
