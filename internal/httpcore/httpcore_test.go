package httpcore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBackoffFullJitter(t *testing.T) {
	tests := []struct {
		attempt int
		ceiling time.Duration
	}{
		{1, 200 * time.Millisecond},
		{2, 400 * time.Millisecond},
		{3, 800 * time.Millisecond},
		{6, 6400 * time.Millisecond},
		{7, 10 * time.Second},
		{64, 10 * time.Second}, // no overflow of the shift
		{1000, 10 * time.Second},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := Backoff(200*time.Millisecond, 10*time.Second, tt.attempt)
			if d < 0 || d > tt.ceiling {
				t.Fatalf("Backoff(%d) = %v, want within [0, %v]", tt.attempt, d, tt.ceiling)
			}
			seen[d] = true
		}
		// Full jitter: 200 draws from a range of at least 200ms of
		// nanoseconds are not all equal unless the jitter is missing.
		if len(seen) < 2 {
			t.Errorf("Backoff(%d) gave one value 200 times: no jitter", tt.attempt)
		}
	}
}

func TestSleepCtx(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := SleepCtx(ctx, time.Hour); err != context.Canceled {
		t.Errorf("SleepCtx on a cancelled context = %v, want context.Canceled", err)
	}
	if err := SleepCtx(t.Context(), 0); err != nil {
		t.Errorf("SleepCtx(0) = %v", err)
	}
	if err := SleepCtx(t.Context(), time.Microsecond); err != nil {
		t.Errorf("SleepCtx(1µs) = %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 4, 19, 1, 20, 27, 0, time.UTC)
	tests := []struct {
		name, in string
		want     time.Duration
	}{
		{"absent", "", -1},
		{"seconds", "7", 7 * time.Second},
		{"zero", "0", 0},
		{"spaces", " 3 ", 3 * time.Second},
		{"negative", "-5", -1},
		{"words", "soon", -1},
		{"huge saturates", "99999999999999999", 1<<63 - 1},
		{"date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"date in the past", now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost": true, "127.0.0.1": true, "127.8.9.10": true, "::1": true,
		"0.0.0.0": false, "10.0.0.1": false, "128.0.0.1": false, "localhost.evil.example": false, "api.github.com": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

// TestOneLine: a server's message cannot start a line of its own.
func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain message", "plain message"},
		{"boom\n::add-mask::x\r\nnext", `boom\n::add-mask::x\r\nnext`},
		{"esc \x1b[2J del \x7f tab\tkept", `esc \x1b[2J del \x7f tab` + "\t" + "kept"},
	}
	for _, tt := range tests {
		if got := OneLine(tt.in); got != tt.want {
			t.Errorf("OneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseBase(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "https://api.github.com/", want: "https://api.github.com"},
		{in: "HTTPS://ghe.example.com/api/v3", want: "https://ghe.example.com/api/v3"},
		{in: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{in: "http://ghe.example.com", wantErr: `X "http://ghe.example.com": plain http is allowed only for a loopback host (127.0.0.1, ::1, localhost); use https`},
		{in: "https://u:hunter2@x.example", wantErr: `X "https://REDACTED@x.example": must not contain credentials`},
		{in: "api.github.com", wantErr: `X "api.github.com": must start with https://`},
		{in: " ", wantErr: "X is empty"},
	}
	for _, tt := range tests {
		got, err := ParseBase("X", tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseBase(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseBase(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// answers serves the given statuses in turn (then 200), with Retry-After
// values where given ("-" for none); "drop" closes the connection
// without an answer after reading the request.
func answers(t *testing.T, script ...string) (*httptest.Server, func() int) {
	t.Helper()
	var mu sync.Mutex
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		hits++
		n := hits
		mu.Unlock()
		if n > len(script) {
			io.WriteString(w, `{"ok":true}`)
			return
		}
		status, retryAfter, _ := strings.Cut(script[n-1], " ")
		if status == "drop" {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			conn.Close()
			return
		}
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		// A fresh connection for the next attempt: net/http itself
		// replays a GET dropped on a reused connection.
		w.Header().Set("Connection", "close")
		var code int
		fmt.Sscan(status, &code)
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return srv, func() int { mu.Lock(); defer mu.Unlock(); return hits }
}

// testClient retries 429 and 5xx; its sleeps are recorded, not spent.
func testClient(waits *[]time.Duration) *Client {
	return &Client{
		HTTP:   &http.Client{},
		Policy: Policy{MaxAttempts: 4, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}.WithDefaults(),
		Classify: func(req *Request, resp *Response) Verdict {
			return Verdict{
				Err:         fmt.Errorf("%s %s: %d", req.Method, req.Path, resp.Status),
				Retry:       resp.Status == 429 || resp.Status >= 500,
				Wait:        -1,
				RateLimited: resp.Status == 429,
			}
		},
		Sleep: func(ctx context.Context, d time.Duration) error {
			*waits = append(*waits, d)
			return ctx.Err()
		},
	}
}

func TestOnRetryIsToldEveryWait(t *testing.T) {
	srv, _ := answers(t, "429 30", "503 2", "drop")
	var waits []time.Duration
	c := testClient(&waits)
	var events []RetryEvent
	c.OnRetry = func(e RetryEvent) { events = append(events, e) }
	req := &Request{Method: "GET", URL: srv.URL + "/v1/agents", Path: "/v1/agents"}
	if _, err := c.Do(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 {
		t.Fatalf("events = %+v, want 3", events)
	}
	// The network error's text varies by platform; only its prefix is
	// dropped, so it must not start with the method.
	if r := events[2].Reason; r == "" || strings.HasPrefix(r, "GET") {
		t.Errorf("network reason = %q, want the error without method and path", r)
	}
	events[2].Reason = "(network)"
	events[2].Wait = waits[2] // backoff: random within 1ms
	want := []RetryEvent{
		{Method: "GET", Path: "/v1/agents", Attempt: 1, Wait: 30 * time.Second, Reason: "429 Too Many Requests"},
		{Method: "GET", Path: "/v1/agents", Attempt: 2, Wait: 2 * time.Second, Reason: "503 Service Unavailable"},
		{Method: "GET", Path: "/v1/agents", Attempt: 3, Wait: waits[2], Reason: "(network)"},
	}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{30 * time.Second, 2 * time.Second, waits[2]}, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if got, want := events[0].String(), "waiting 30s before retrying GET /v1/agents (429 Too Many Requests)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if s := c.Stats(); s.Requests != 4 || s.Retries != 3 || s.RateLimited != 1 {
		t.Errorf("stats = %+v, want 4 requests, 3 retries, 1 rate limited", s)
	}
}

// TestPostIsSentOnceUnlessIdempotent: a POST, or another method marked
// OnceOnly, is not repeated once the server may have acted on it; a POST
// marked Idempotent, or a plain GET or DELETE, is.
func TestPostIsSentOnceUnlessIdempotent(t *testing.T) {
	type kind struct {
		method           string
		idempotent, once bool
	}
	var (
		post     = kind{method: "POST"}
		postIdem = kind{method: "POST", idempotent: true}
		del      = kind{method: "DELETE"}
		delOnce  = kind{method: "DELETE", once: true}
	)
	tests := []struct {
		name      string
		kind      kind
		script    []string
		wantHits  int
		wantErr   string // substring; "" for success
		uncertain bool
	}{
		{name: "POST: answer lost after sending", kind: post, script: []string{"drop"}, wantHits: 1, wantErr: "POST /x: ", uncertain: true},
		{name: "POST: server error may have applied it", kind: post, script: []string{"502"}, wantHits: 1, wantErr: "POST /x: 502", uncertain: true},
		{name: "POST: rate limit did not apply it", kind: post, script: []string{"429 0"}, wantHits: 2},
		{name: "POST: client error is final", kind: post, script: []string{"422"}, wantHits: 1, wantErr: "POST /x: 422"},
		{name: "idempotent POST: answer lost, sent again", kind: postIdem, script: []string{"drop"}, wantHits: 2},
		{name: "idempotent POST: server error, sent again", kind: postIdem, script: []string{"502"}, wantHits: 2},
		{name: "DELETE: answer lost, sent again", kind: del, script: []string{"drop"}, wantHits: 2},
		{name: "OnceOnly DELETE: answer lost after sending", kind: delOnce, script: []string{"drop"}, wantHits: 1, wantErr: "DELETE /x: ", uncertain: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, hits := answers(t, tt.script...)
			var waits []time.Duration
			c := testClient(&waits)
			_, err := c.Do(t.Context(), &Request{Method: tt.kind.method, URL: srv.URL + "/x", Path: "/x", Body: []byte(`{}`),
				Idempotent: tt.kind.idempotent, OnceOnly: tt.kind.once})
			if n := hits(); n != tt.wantHits {
				t.Errorf("server saw %d requests, want %d", n, tt.wantHits)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if got := errors.Is(err, ErrUnknownOutcome); got != tt.uncertain {
				t.Errorf("errors.Is(err, ErrUnknownOutcome) = %v, want %v (err %v)", got, tt.uncertain, err)
			}
		})
	}
}

func TestSentOnceRetriedWhenNeverSent(t *testing.T) {
	// A port nothing listens on: the dial fails, nothing was sent.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var waits []time.Duration
	c := testClient(&waits)
	_, err = c.Do(t.Context(), &Request{Method: "POST", URL: "http://" + addr + "/x", Path: "/x"})
	if err == nil || errors.Is(err, ErrUnknownOutcome) || !strings.Contains(err.Error(), "gave up after 4 attempts") {
		t.Errorf("err = %v, want a plain failure after 4 attempts", err)
	}
}

func TestCancelledWhileWaitingForSlot(t *testing.T) {
	l := NewLimiter(1)
	e, err := l.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() {
		_, err := l.Acquire(ctx)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire = %v, want context.Canceled", err)
	}
	l.Release(e, true, false)
	// The cancelled waiter left no claim: the slot is free.
	if _, err := l.Acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestLimiterAIMD(t *testing.T) {
	l := NewLimiter(8)
	acquire := func(n int) []uint64 {
		var es []uint64
		for range n {
			e, err := l.Acquire(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			es = append(es, e)
		}
		return es
	}
	limit := func() int { n, _ := l.Limits(); return n }

	// Eight in flight; three of them meet 429: one cut, not three.
	es := acquire(8)
	l.Release(es[0], false, true)
	l.Release(es[1], false, true)
	l.Release(es[2], false, true)
	if got := limit(); got != 4 {
		t.Fatalf("limit after a burst of 429s from one window = %d, want 4", got)
	}
	// Each success raises it by one, up to the ceiling: 4 + 5 > 8.
	for _, e := range es[3:] {
		l.Release(e, true, false)
	}
	if got := limit(); got != 8 {
		t.Fatalf("limit after five successes = %d, want the ceiling 8", got)
	}
	// A 429 of each new window cuts again; the floor is 1.
	for _, want := range []int{4, 2, 1, 1} {
		es := acquire(1)
		l.Release(es[0], false, true)
		if got := limit(); got != want {
			t.Fatalf("limit after a 429 = %d, want %d", got, want)
		}
	}
	if _, lowest := l.Limits(); lowest != 1 {
		t.Fatalf("lowest limit = %d, want 1", lowest)
	}
	// Each success raises it by one; never above 8.
	es = acquire(1)
	l.Release(es[0], true, false)
	if got := limit(); got != 2 {
		t.Fatalf("limit after one success from 1 = %d, want 2", got)
	}
	for range 100 {
		es := acquire(1)
		l.Release(es[0], true, false)
	}
	if got := limit(); got != 8 {
		t.Errorf("limit after many successes = %d, want the ceiling 8", got)
	}
	// Other failures change nothing.
	es = acquire(1)
	l.Release(es[0], false, false)
	if got := limit(); got != 8 {
		t.Errorf("limit after a non-429 failure = %d, want 8", got)
	}
}

// TestWaitHoldsNoSlot: a request waiting to retry does not keep its slot,
// so with one slot another request completes meanwhile.
func TestWaitHoldsNoSlot(t *testing.T) {
	srv, _ := answers(t, "429 5")
	c := &Client{
		HTTP:    &http.Client{},
		Policy:  Policy{}.WithDefaults(),
		Limiter: NewLimiter(1),
		Classify: func(*Request, *Response) Verdict {
			return Verdict{Err: errors.New("429"), Retry: true, Wait: -1, RateLimited: true}
		},
	}
	waiting := make(chan struct{})
	resume := make(chan struct{})
	c.Sleep = func(ctx context.Context, d time.Duration) error {
		close(waiting)
		<-resume
		return nil
	}
	first := make(chan error)
	go func() {
		_, err := c.Do(t.Context(), &Request{Method: "GET", URL: srv.URL + "/a", Path: "/a"})
		first <- err
	}()
	<-waiting
	if _, err := c.Do(t.Context(), &Request{Method: "GET", URL: srv.URL + "/b", Path: "/b"}); err != nil {
		t.Fatalf("second request while the first waits: %v", err)
	}
	close(resume)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Limit != 1 || s.MinLimit != 1 || s.Requests != 3 {
		t.Errorf("stats = %+v, want limit 1 and 3 requests", s)
	}
}
