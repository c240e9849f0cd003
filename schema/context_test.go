package schema

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// manyAgents is a valid config of n agents with a few fields each.
func manyAgents(n int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nagents:\n")
	for i := range n {
		fmt.Fprintf(&b, "  bot-%d:\n    image: acme/bot:${TAG:-1.%d}\n    region: us-west\n    autoScaling: {minAgents: 0, maxAgents: 5}\n", i, i)
	}
	return []byte(b.String())
}

// countdownCtx is cancelled at its n-th look at Err, so that a test can
// cancel loading at each point where it looks, without timing.
type countdownCtx struct {
	context.Context
	mu    sync.Mutex
	n     int
	looks int
	done  chan struct{}
}

func newCountdown(n int) *countdownCtx {
	return &countdownCtx{Context: context.Background(), n: n, done: make(chan struct{})}
}

func (c *countdownCtx) Done() <-chan struct{} { return c.done }

func (c *countdownCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.looks++
	if c.looks == c.n {
		close(c.done)
	}
	if c.looks >= c.n {
		return context.Canceled
	}
	return nil
}

// TestParseCancelled checks that a cancelled context stops loading a
// large file with the context's error, not a config nor Errors.
func TestParseCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Parse(ctx, "pipecat.yaml", manyAgents(5000), LoadOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Parse = %v, want context.Canceled", err)
	}
	if got, want := err.Error(), "load config pipecat.yaml: context canceled"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
}

// TestParseLooksAtContext checks that loading looks at the context as it
// goes (once per checkEvery nodes at least) and that a cancellation seen
// at any of those looks ends it with the context's error.
func TestParseLooksAtContext(t *testing.T) {
	const agents = 1000 // six values each: the agent's mapping, image, region, autoScaling and its two bounds
	data := manyAgents(agents)
	opts := LoadOptions{Lookup: envOf(map[string]string{"TAG": "2.0"})}
	never := newCountdown(1 << 30)
	if _, err := Parse(never, "pipecat.yaml", data, opts); err != nil {
		t.Fatal(err)
	}
	looks := never.looks
	if min := 6 * agents / checkEvery; looks < min {
		t.Fatalf("Parse looked at the context %d times, want at least %d", looks, min)
	}
	for k := 1; k <= looks; k++ {
		_, err := Parse(newCountdown(k), "pipecat.yaml", data, opts)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled at look %d of %d: Parse = %v, want context.Canceled", k, looks, err)
		}
	}
}

// TestBackgroundReturnsWhenCancelled checks the wait on a step that cannot
// look at the context (yaml.v3, the JSON Schema validator): it returns
// when the context is done, while the step is still running.
func TestBackgroundReturnsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release, finished := make(chan struct{}), make(chan struct{})
	var err error
	go func() {
		err = background(ctx, func() { <-release })
		close(finished)
	}()
	cancel()
	<-finished // would block for ever if background waited for the step
	close(release)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("background = %v, want context.Canceled", err)
	}
}
