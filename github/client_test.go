package github

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNextLink(t *testing.T) {
	tests := []struct {
		name, header, want string
	}{
		{name: "none", header: "", want: ""},
		{name: "next and last", header: `<https://api.github.com/repositories/1/issues/7/comments?page=2>; rel="next", <https://api.github.com/repositories/1/issues/7/comments?page=3>; rel="last"`, want: "https://api.github.com/repositories/1/issues/7/comments?page=2"},
		{name: "last page", header: `<https://x/a?page=1>; rel="first", <https://x/a?page=2>; rel="prev"`, want: ""},
		{name: "next after prev", header: `<https://x/a?page=1>; rel="prev", <https://x/a?page=3>; rel="next"`, want: "https://x/a?page=3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextLink(tt.header); got != tt.want {
				t.Errorf("nextLink = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewChecksOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{name: "defaults", opts: Options{Repo: "acme/agents"}},
		{name: "enterprise", opts: Options{BaseURL: "https://ghe.example.com/api/v3/", Repo: "acme/agents"}},
		{name: "loopback http", opts: Options{BaseURL: "http://127.0.0.1:8080", Repo: "acme/agents"}},
		{name: "remote http", opts: Options{BaseURL: "http://ghe.example.com/api/v3", Repo: "acme/agents"}, wantErr: "plain http"},
		{name: "no repo", opts: Options{}, wantErr: "want owner/name"},
		{name: "bad repo", opts: Options{Repo: "acme/agents/x"}, wantErr: "want owner/name"},
		{name: "not a url", opts: Options{BaseURL: "api.github.com", Repo: "a/b"}, wantErr: "must start with https://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestRateLimitWait(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name        string
		status      int
		header      http.Header
		message     string
		wantWait    time.Duration
		wantLimited bool
	}{
		{name: "plain 403", status: 403, message: "Resource not accessible by integration"},
		{name: "404", status: 404, header: http.Header{"Retry-After": {"5"}}},
		{name: "Retry-After seconds", status: 403, header: http.Header{"Retry-After": {"7"}}, wantWait: 7 * time.Second, wantLimited: true},
		{name: "Retry-After date", status: 429, header: http.Header{"Retry-After": {now.Add(90 * time.Second).UTC().Format(http.TimeFormat)}}, wantWait: 90 * time.Second, wantLimited: true},
		{name: "remaining 0 waits for reset", status: 403, header: http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1700000030"}}, wantWait: 31 * time.Second, wantLimited: true},
		{name: "secondary without headers", status: 403, message: "You have exceeded a secondary rate limit", wantWait: time.Minute, wantLimited: true},
		{name: "429 without headers is backoff", status: 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			wait, limited := rateLimitWait(tt.status, h, tt.message, now)
			if wait != tt.wantWait || limited != tt.wantLimited {
				t.Errorf("got %v, %v; want %v, %v", wait, limited, tt.wantWait, tt.wantLimited)
			}
		})
	}
}

// TestClientHeadersAndLinkHost checks what every request carries, and that
// a Link to another host is refused rather than sent the token.
func TestClientHeadersAndLinkHost(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Link", `<https://evil.example.com/steal?page=2>; rel="next"`)
		w.Write([]byte(`[]`))
	}))
	defer srv.Close()
	c, err := New(Options{BaseURL: srv.URL, Token: "ghs_secret", Repo: "acme/agents"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListIssueComments(context.Background(), 7)
	if err == nil || !strings.Contains(err.Error(), "outside the API") {
		t.Errorf("err = %v, want a refused next page", err)
	}
	if err != nil && strings.Contains(err.Error(), "ghs_secret") {
		t.Errorf("error %q holds the token", err)
	}
	want := map[string]string{
		"Authorization":        "Bearer ghs_secret",
		"Accept":               "application/vnd.github+json",
		"X-Github-Api-Version": "2022-11-28",
		"User-Agent":           "pipecat-gitops",
	}
	have := map[string]string{}
	for k := range want {
		have[k] = got.Get(k)
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("request headers (-want +got):\n%s", diff)
	}
}

// TestErrorMessageOnOneLine: GitHub's message is kept as sent, on one
// line: a line break in it cannot start a line of the tool's. (A token
// echoed into it is hidden by the sinks of package main: script leaks.)
func TestErrorMessageOnOneLine(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"message":"Bad credentials\n::error::forged"}`))
	}))
	defer srv.Close()
	c, err := New(Options{BaseURL: srv.URL, Token: "ghs_SeCrEt", Repo: "acme/agents"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListIssueComments(context.Background(), 7)
	if want := `github: GET /repos/acme/agents/issues/7/comments: 401 Bad credentials\n::error::forged`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestOnRetryOption(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits++; hits == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"message":"You have exceeded a secondary rate limit"}`))
			return
		}
		w.Write([]byte(`[]`))
	}))
	defer srv.Close()
	var events []string
	c, err := New(Options{BaseURL: srv.URL, Repo: "acme/agents", OnRetry: func(e RetryEvent) { events = append(events, e.String()) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListIssueComments(context.Background(), 7); err != nil {
		t.Fatal(err)
	}
	want := []string{"waiting 0s before retrying GET /repos/acme/agents/issues/7/comments (403 Forbidden)"}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("retry events (-want +got):\n%s", diff)
	}
}
