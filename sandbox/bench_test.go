package sandbox

import (
	"fmt"
	"path/filepath"
	"testing"
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
