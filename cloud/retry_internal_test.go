package cloud

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// waitRecorder replaces the client's sleep so tests see every wait the
// client decides on, without spending it.
type waitRecorder struct{ waits []time.Duration }

func (w *waitRecorder) sleep(ctx context.Context, d time.Duration) error {
	w.waits = append(w.waits, d)
	return ctx.Err()
}

// failThenOK answers the first n requests with status and header, then 200.
func failThenOK(t *testing.T, n int, status int, header http.Header) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if int(hits.Add(1)) <= n {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(status)
			io.WriteString(w, `{"error":"Too many requests","code":"RATE_LIMITED"}`)
			return
		}
		io.WriteString(w, `{"regions":[{"code":"us-west","display_name":"US West"}]}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestRetryAfterIsWaitedFor(t *testing.T) {
	now := time.Date(2025, 4, 19, 1, 20, 27, 0, time.UTC)
	tests := []struct {
		name          string
		status        int
		retryAfter    string
		maxRetryAfter time.Duration
		want          time.Duration
	}{
		{name: "429 seconds", status: 429, retryAfter: "1", want: time.Second},
		{name: "429 seconds with spaces", status: 429, retryAfter: " 3 ", want: 3 * time.Second},
		{name: "429 zero seconds", status: 429, retryAfter: "0", want: 0},
		{name: "429 seconds capped", status: 429, retryAfter: "7200", want: 60 * time.Second},
		{name: "429 seconds custom cap", status: 429, retryAfter: "20", maxRetryAfter: 5 * time.Second, want: 5 * time.Second},
		{name: "429 huge seconds capped", status: 429, retryAfter: "99999999999999999", want: 60 * time.Second},
		{name: "429 HTTP date", status: 429, retryAfter: now.Add(30 * time.Second).Format(http.TimeFormat), want: 30 * time.Second},
		{name: "429 HTTP date capped", status: 429, retryAfter: now.Add(time.Hour).Format(http.TimeFormat), want: 60 * time.Second},
		{name: "429 HTTP date in the past", status: 429, retryAfter: now.Add(-time.Hour).Format(http.TimeFormat), want: 0},
		{name: "503 seconds", status: 503, retryAfter: "2", want: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, hits := failThenOK(t, 1, tt.status, http.Header{"Retry-After": {tt.retryAfter}})
			c, err := New(Options{BaseURL: srv.URL, MaxRetryAfter: tt.maxRetryAfter})
			if err != nil {
				t.Fatal(err)
			}
			rec := &waitRecorder{}
			c.core.Sleep = rec.sleep
			c.core.Now = func() time.Time { return now }
			if _, err := c.ListRegions(t.Context()); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]time.Duration{tt.want}, rec.waits); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if n := hits.Load(); n != 2 {
				t.Errorf("server saw %d requests, want 2", n)
			}
		})
	}
}

func TestRetryWithoutUsableRetryAfterBacksOff(t *testing.T) {
	for _, header := range []string{"", "soon", "-5"} {
		t.Run("Retry-After="+header, func(t *testing.T) {
			h := http.Header{}
			if header != "" {
				h.Set("Retry-After", header)
			}
			srv, _ := failThenOK(t, 4, 429, h)
			c, err := New(Options{BaseURL: srv.URL, MinBackoff: 100 * time.Millisecond, MaxBackoff: 250 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			rec := &waitRecorder{}
			c.core.Sleep = rec.sleep
			if _, err := c.ListRegions(t.Context()); err != nil {
				t.Fatal(err)
			}
			// Ceilings 100ms, 200ms, then capped at 250ms.
			ceilings := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond}
			if len(rec.waits) != len(ceilings) {
				t.Fatalf("waits = %v, want %d of them", rec.waits, len(ceilings))
			}
			for i, w := range rec.waits {
				if w < 0 || w > ceilings[i] {
					t.Errorf("wait %d = %v, want within [0, %v]", i+1, w, ceilings[i])
				}
			}
		})
	}
}
