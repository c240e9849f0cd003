package cloud_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
)

// BenchmarkRateLimited lists and reads 1,000 agents at parallelism 16
// against a sandbox with 20ms latency, in two kinds of rate limiting, both
// answering 429 with "Retry-After: 0" so that nothing but the client slows
// the retries down:
//   - random429: 20% of requests at random, whatever the load (the
//     sandbox's RateLimitRate);
//   - capacity6: the same behind a server that takes 6 requests at once
//     and refuses the rest, a limit that load makes (at best 1,250
//     requests 6 at a time: 3.3 × the bound).
//
// "adaptive" bounds the client at 16 in flight with the AIMD limiter, as
// the CLI runs it; "fixed" has only the 16 workers. It reports requests,
// retries, 429s and failed reads per run, the lowest and mean in-flight
// bound, and the time against the network bound: latency × sequential
// rounds (1 list + 1,000/16 reads).
func BenchmarkRateLimited(b *testing.B) {
	const (
		agents      = 1000
		parallelism = 16
		latency     = 20 * time.Millisecond
	)
	sb, err := sandbox.New(sandbox.Options{RateLimitRate: 0.2, Latency: latency, RetryAfter: 0, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	b.Cleanup(srv.Close)
	seedAgents(b, srv.URL, agents)
	// The same sandbox behind a server that takes capacity requests at
	// once and answers the rest 429 at once: a rate limit that load makes.
	const capacity = 6
	capped := httptest.NewServer(capacityLimit(sb, capacity))
	b.Cleanup(capped.Close)
	bound := latency * time.Duration(1+(agents+parallelism-1)/parallelism)

	for _, mode := range []struct {
		name        string
		url         string
		maxInFlight int
	}{
		{"random429/adaptive", srv.URL, parallelism},
		{"random429/fixed", srv.URL, 0},
		{"capacity6/adaptive", capped.URL, parallelism},
		{"capacity6/fixed", capped.URL, 0},
	} {
		b.Run(mode.name, func(b *testing.B) {
			var total cloud.Stats
			var elapsed time.Duration
			var failed, limitSum, samples int
			lowest := parallelism
			for b.Loop() {
				// A fresh client per run, so each starts at the full bound.
				// Ten attempts: at 20% 429s, five fail a read in 1 of ~3,000,
				// which over 1,000 reads would fail a quarter of the runs.
				c, err := cloud.New(cloud.Options{BaseURL: mode.url, APIKey: "k", MaxInFlight: mode.maxInFlight, MaxAttempts: 10})
				if err != nil {
					b.Fatal(err)
				}
				// The in-flight bound, sampled every 5ms while the run lasts.
				stop := make(chan struct{})
				sampled := make(chan struct{})
				go func() {
					defer close(sampled)
					tick := time.NewTicker(5 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-stop:
							return
						case <-tick.C:
							if l := c.Stats().Limit; l > 0 {
								limitSum += l
								samples++
							}
						}
					}
				}()
				start := time.Now()
				failed += listAndRead(b, c, parallelism)
				elapsed += time.Since(start)
				close(stop)
				<-sampled
				s := c.Stats()
				total.Requests += s.Requests
				total.Retries += s.Retries
				total.RateLimited += s.RateLimited
				if s.Limit > 0 {
					lowest = min(lowest, s.MinLimit)
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(total.Requests)/n, "requests/op")
			b.ReportMetric(float64(total.Retries)/n, "retries/op")
			b.ReportMetric(float64(total.RateLimited)/n, "429s/op")
			b.ReportMetric(float64(failed)/n, "failed-reads/op")
			b.ReportMetric(float64(elapsed)/n/float64(bound), "time/bound")
			if samples > 0 {
				b.ReportMetric(float64(lowest), "min-inflight")
				b.ReportMetric(float64(limitSum)/float64(samples), "mean-inflight-bound")
			}
		})
	}
}

// listAndRead lists the agents and reads each, parallelism at a time, as
// a plan's refresh does. It returns how many reads failed (a retry storm
// exhausts attempts).
func listAndRead(b *testing.B, c *cloud.Client, parallelism int) int {
	ctx := context.Background()
	items, err := c.ListAgents(ctx)
	if err != nil {
		b.Fatal(err)
	}
	work := make(chan string)
	var failed atomic.Int32
	var wg sync.WaitGroup
	for range parallelism {
		wg.Go(func() {
			for name := range work {
				if _, err := c.GetAgent(ctx, name); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	for _, it := range items {
		work <- it.Name
	}
	close(work)
	wg.Wait()
	return int(failed.Load())
}

// seedAgents creates n agents through the API, many at once, with attempts
// enough to ride out the sandbox's 429s.
func seedAgents(b *testing.B, url string, n int) {
	c, err := cloud.New(cloud.Options{BaseURL: url, APIKey: "k", MaxAttempts: 50, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, n)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range names {
		names[i] = fmt.Sprintf("agent-%04d", i)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := c.CreateAgent(context.Background(), &cloud.CreateServiceRequest{ServiceName: names[i], Image: "acme/bot:1.0"}); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
}

// capacityLimit serves at most n requests at once through h and answers
// the others 429 with "Retry-After: 0".
func capacityLimit(h http.Handler, n int) http.Handler {
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			h.ServeHTTP(w, r)
		default:
			w.Header().Set("Retry-After", "0")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":"Too many requests","code":"TOO_MANY_REQUESTS"}`))
		}
	})
}
