package plan_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// BenchmarkRefresh measures a refresh of 100 agents over an API with 5ms
// latency per request, sequential versus the default parallelism; the
// README reports the ratio.
func BenchmarkRefresh(b *testing.B) {
	for _, par := range []int{1, 8} {
		b.Run(fmt.Sprintf("agents=100/parallelism=%d", par), func(b *testing.B) {
			client, cfg := benchLatencyOrg(b, 100, 5*time.Millisecond)
			names := make([]string, len(cfg.Agents))
			for i, a := range cfg.Agents {
				names[i] = a.Name
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := plan.Refresh(context.Background(), client, plan.RefreshOptions{Names: names, Preflight: true, Parallelism: par}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchLatencyOrg fills a sandbox through its state and serves it with a
// fixed latency per request.
func benchLatencyOrg(b *testing.B, n int, latency time.Duration) (*cloud.Client, *schema.Config) {
	b.Helper()
	sb, err := sandbox.New(sandbox.Options{Latency: latency})
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
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("agent-%04d", i)
		image := "acme/" + names[i] + ":1.0"
		cfg.Agents = append(cfg.Agents, schema.Agent{Name: names[i], Spec: schema.Spec{Image: &image}})
	}
	// Create in parallel so the setup does not take n round trips.
	errs := make(chan error, n)
	for _, name := range names {
		go func() {
			_, err := client.CreateAgent(context.Background(), &cloud.CreateServiceRequest{ServiceName: name, Image: "acme/" + name + ":1.0"})
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	return client, cfg
}

// BenchmarkDiff measures the pure diff of 3,000 agents, half of them
// changed.
func BenchmarkDiff(b *testing.B) {
	cfg := &schema.Config{File: "pipecat.yaml"}
	live := &plan.Live{Details: map[string]*cloud.ServiceDetails{}}
	for i := range 3000 {
		name := fmt.Sprintf("agent-%04d", i)
		want, have := "acme/x:1", "acme/x:1"
		if i%2 == 0 {
			have = "acme/x:0"
		}
		cfg.Agents = append(cfg.Agents, schema.Agent{Name: name, Spec: schema.Spec{Image: &want}})
		live.Agents = append(live.Agents, cloud.ServiceListItem{Name: name})
		live.Details[name] = &cloud.ServiceDetails{Name: name, Region: "us-west",
			Deployment: &cloud.Deployment{Manifest: &cloud.Manifest{Spec: cloud.ManifestSpec{Image: have}}}}
	}
	for b.Loop() {
		plan.Diff(cfg, live, plan.Options{})
	}
}
