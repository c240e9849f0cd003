package apply_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// BenchmarkApply measures creating 50 agents over an API with 5ms latency
// per request, sequential versus the default parallelism; the README
// reports the ratio.
func BenchmarkApply(b *testing.B) {
	var names []string
	for i := range 50 {
		names = append(names, fmt.Sprintf("agent-%02d", i))
	}
	for _, par := range []int{1, 8} {
		b.Run(fmt.Sprintf("creates=50/parallelism=%d", par), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				e := newEnv(b, sandbox.Options{Latency: 5 * time.Millisecond})
				p := e.plan(b, &schema.Config{File: "pipecat.yaml", Agents: agents(names...)})
				b.StartTimer()
				if res, _ := apply.Run(context.Background(), e.client, p, apply.Options{Parallelism: par}); res.Failed() != 0 {
					b.Fatalf("failures: %+v", res.Results)
				}
			}
		})
	}
}
