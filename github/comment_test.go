package github_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/github"
	"github.com/pipecat-gitops/pipecat-gitops/internal/githubtest"
	"github.com/pipecat-gitops/pipecat-gitops/report"
)

func newFake(t *testing.T) (*githubtest.Server, *github.Client) {
	t.Helper()
	srv := githubtest.NewServer()
	t.Cleanup(srv.Close)
	c, err := github.New(github.Options{
		BaseURL:     srv.URL,
		Token:       srv.Token,
		Repo:        srv.Repo,
		MaxAttempts: 3,
		MinBackoff:  time.Millisecond,
		MaxBackoff:  time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func body(config, text string) string {
	return report.Marker(config) + "\n## Plan\n" + text + "\n"
}

// writes returns the requests that changed something (a GraphQL query is
// a POST that does not).
func writes(srv *githubtest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet && r.Path != "/graphql" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func markerComments(cs []githubtest.Comment, config string) []githubtest.Comment {
	var out []githubtest.Comment
	for _, c := range cs {
		if strings.HasPrefix(c.Body, report.Marker(config)+"\n") {
			out = append(out, c)
		}
	}
	return out
}

func TestCommentCreatesThenEditsInPlace(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	// 35 unrelated comments push ours to the second page (30 a page),
	// and one quotes the marker below its first line, which must not
	// make it ours.
	for i := range 34 {
		srv.AddIssueComment(7, "reviewer", fmt.Sprintf("looks good %d", i))
	}
	srv.AddIssueComment(7, "reviewer", "quoting the bot:\n"+report.Marker("pipecat.yaml")+"\nhm")
	unrelated := srv.IssueComments(7)

	first, err := github.Comment(ctx, github.CommentOptions{Client: c, Body: body("pipecat.yaml", "1 to create"), PR: 7})
	if err != nil {
		t.Fatal(err)
	}
	if first.Action != "created" || first.PR != 7 {
		t.Fatalf("first run: got %+v, want created on PR 7", first)
	}

	srv.ResetRequests()
	second, err := github.Comment(ctx, github.CommentOptions{Client: c, Body: body("pipecat.yaml", "2 to create"), PR: 7})
	if err != nil {
		t.Fatal(err)
	}
	if second.Action != "updated" || second.CommentID != first.CommentID {
		t.Fatalf("second run: got %+v, want updated #%d", second, first.CommentID)
	}
	wantWrites := []string{fmt.Sprintf("PATCH /repos/acme/agents/issues/comments/%d", first.CommentID)}
	if diff := cmp.Diff(wantWrites, writes(srv)); diff != "" {
		t.Errorf("second run writes (-want +got):\n%s", diff)
	}
	var pages []string
	for _, r := range srv.Requests() {
		if r.Method == http.MethodGet {
			pages = append(pages, r.Query)
		}
	}
	if len(pages) != 2 {
		t.Errorf("second run read %d pages (%q), want 2: the comment is on page 2", len(pages), pages)
	}

	all := srv.IssueComments(7)
	mine := markerComments(all, "pipecat.yaml")
	if len(mine) != 1 || mine[0].Body != body("pipecat.yaml", "2 to create") {
		t.Errorf("marker comments after two runs: %+v, want exactly one with the second body", mine)
	}
	if diff := cmp.Diff(unrelated, all[:len(unrelated)]); diff != "" {
		t.Errorf("unrelated comments changed (-before +after):\n%s", diff)
	}
	if len(all) != len(unrelated)+1 {
		t.Errorf("%d comments on the PR, want %d", len(all), len(unrelated)+1)
	}
}

func TestCommentIdenticalBodySendsNoEdit(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	opts := github.CommentOptions{Client: c, Body: body("pipecat.yaml", "no changes"), PR: 7}
	if _, err := github.Comment(ctx, opts); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	res, err := github.Comment(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "unchanged" {
		t.Errorf("action = %q, want unchanged", res.Action)
	}
	if w := writes(srv); len(w) != 0 {
		t.Errorf("identical body sent writes: %q", w)
	}
}

func TestCommentKeepsOneCommentPerConfig(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	for _, b := range []string{
		body("pipecat.yaml", "prod v1"),
		body("staging/pipecat.yaml", "staging v1"),
		body("pipecat.yaml", "prod v2"),
		body("staging/pipecat.yaml", "staging v2"),
		body("pipecat.yaml", "prod v3"),
	} {
		if _, err := github.Comment(ctx, github.CommentOptions{Client: c, Body: b, PR: 7}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, cm := range srv.IssueComments(7) {
		got = append(got, cm.Body)
	}
	want := []string{body("pipecat.yaml", "prod v3"), body("staging/pipecat.yaml", "staging v2")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
}

func writeEvent(t *testing.T, payload string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(p, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCommentTarget(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name      string
		pr        int
		eventName string
		event     string // payload; "" for no event file
		sha       string
		pulls     []githubtest.PullRequest
		wantPR    int
		wantSHA   string
	}{
		{name: "pull_request event", eventName: "pull_request", event: `{"number": 7, "pull_request": {"number": 7}}`, sha: sha, wantPR: 7},
		{name: "--pr wins over the event", pr: 12, eventName: "pull_request", event: `{"pull_request": {"number": 7}}`, wantPR: 12},
		{name: "issue_comment on a pull request", eventName: "issue_comment", event: `{"issue": {"number": 5, "pull_request": {"url": "x"}}}`, wantPR: 5},
		{
			name: "push posts to the merged PR of the commit", eventName: "push", event: `{"after": "` + sha + `"}`, sha: sha,
			pulls:  []githubtest.PullRequest{{Number: 3, State: "open"}, {Number: 9, State: "closed", Merged: true, MergeCommitSHA: sha}},
			wantPR: 9,
		},
		{
			name: "push with only open PRs comments on the commit", eventName: "push", event: `{}`, sha: sha,
			pulls:   []githubtest.PullRequest{{Number: 3, State: "open"}},
			wantSHA: sha,
		},
		{name: "push without PR comments on the commit", eventName: "push", event: `{}`, sha: sha, wantSHA: sha},
		{name: "workflow_dispatch comments on the commit", eventName: "workflow_dispatch", event: `{"inputs": {}}`, sha: sha, wantSHA: sha},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t)
			for _, p := range tt.pulls {
				srv.AddPull(sha, p)
			}
			opts := github.CommentOptions{Client: c, Body: body("pipecat.yaml", tt.name), PR: tt.pr, EventName: tt.eventName, SHA: tt.sha}
			if tt.event != "" {
				opts.EventPath = writeEvent(t, tt.event)
			}
			res, err := github.Comment(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.PR != tt.wantPR || res.SHA != tt.wantSHA || res.Action != "created" {
				t.Fatalf("got %s on PR %d / commit %q, want created on PR %d / commit %q", res.Action, res.PR, res.SHA, tt.wantPR, tt.wantSHA)
			}
			if tt.wantPR != 0 {
				if n := len(markerComments(srv.IssueComments(tt.wantPR), "pipecat.yaml")); n != 1 {
					t.Errorf("%d marker comments on PR %d, want 1", n, tt.wantPR)
				}
				return
			}
			if n := len(srv.CommitComments(sha)); n != 1 {
				t.Errorf("%d commit comments, want 1", n)
			}
			// A re-run edits the commit comment rather than adding one.
			opts.Body = body("pipecat.yaml", "again")
			res, err = github.Comment(context.Background(), opts)
			if err != nil || res.Action != "updated" || len(srv.CommitComments(sha)) != 1 {
				t.Errorf("re-run: %+v, %v, %d commit comments; want one updated", res, err, len(srv.CommitComments(sha)))
			}
		})
	}
}

func TestCommentNoTarget(t *testing.T) {
	_, c := newFake(t)
	_, err := github.Comment(context.Background(), github.CommentOptions{Client: c, Body: body("pipecat.yaml", "x"), EventName: "schedule"})
	if err == nil || !strings.Contains(err.Error(), "no pull request or commit") {
		t.Errorf("err = %v, want no pull request or commit", err)
	}
}

func TestCommentBodyNeedsMarker(t *testing.T) {
	srv, c := newFake(t)
	for _, b := range []string{"## Plan\n", "", "<!-- pipecat-gitops:  -->\n", "text\n" + report.Marker("pipecat.yaml")} {
		_, err := github.Comment(context.Background(), github.CommentOptions{Client: c, Body: b, PR: 7})
		if err == nil || !strings.Contains(err.Error(), "first line must be the marker") {
			t.Errorf("body %q: err = %v, want a marker error", b, err)
		}
	}
	if r := srv.Requests(); len(r) != 0 {
		t.Errorf("requests sent for a bad body: %+v", r)
	}
}

func TestCommentReadOnlyTokenIsPermissionError(t *testing.T) {
	tests := []struct {
		name     string
		opts     github.CommentOptions
		wantPerm string
	}{
		{name: "pull request", opts: github.CommentOptions{PR: 7}, wantPerm: "pull-requests: write"},
		{name: "commit", opts: github.CommentOptions{EventName: "push", SHA: "abc"}, wantPerm: "contents: write"},
		{name: "label", opts: github.CommentOptions{PR: 7, Label: "pipecat:changes"}, wantPerm: "pull-requests: write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t)
			srv.SetReadOnly(true)
			opts := tt.opts
			opts.Client, opts.Body = c, body("pipecat.yaml", "x")
			_, err := github.Comment(context.Background(), opts)
			var perr *github.PermissionError
			if !errors.As(err, &perr) {
				t.Fatalf("err = %v (%T), want *PermissionError", err, err)
			}
			if perr.Permission != tt.wantPerm || perr.Err.StatusCode != http.StatusForbidden {
				t.Errorf("got %q / %d, want %q / 403", perr.Permission, perr.Err.StatusCode, tt.wantPerm)
			}
			if !strings.Contains(err.Error(), tt.wantPerm) {
				t.Errorf("message %q does not name %q", err, tt.wantPerm)
			}
			if strings.Contains(err.Error(), srv.Token) {
				t.Errorf("message %q holds the token", err)
			}
		})
	}
}

func TestCommentRetries(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     http.Header
		times      int
		wantErr    int // status of the APIError, 0 for success
		wantCalls  int // requests sent in all
		wantLimits bool
	}{
		{name: "500 twice then created", status: 500, times: 2, wantCalls: 4},
		{name: "500 until attempts run out", status: 500, times: 3, wantErr: 500, wantCalls: 3},
		{name: "429 without headers", status: 429, times: 1, wantCalls: 3},
		{name: "secondary rate limit with Retry-After", status: 403, header: http.Header{"Retry-After": {"0"}}, times: 1, wantCalls: 3},
		{
			name: "rate limit reset too far away is not waited for", status: 403, times: 1,
			header:  http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {fmt.Sprint(time.Now().Add(time.Hour).Unix())}},
			wantErr: 403, wantCalls: 1, wantLimits: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t)
			srv.Fail(tt.times, tt.status, tt.header)
			res, err := github.Comment(context.Background(), github.CommentOptions{Client: c, Body: body("pipecat.yaml", "x"), PR: 7})
			if n := len(srv.Requests()); n != tt.wantCalls {
				t.Errorf("%d requests, want %d", n, tt.wantCalls)
			}
			if tt.wantErr == 0 {
				if err != nil || res.Action != "created" {
					t.Fatalf("got %+v, %v; want created", res, err)
				}
				return
			}
			var apiErr *github.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.wantErr || apiErr.RateLimited != tt.wantLimits {
				t.Fatalf("err = %#v, want APIError %d (rate limited %v)", err, tt.wantErr, tt.wantLimits)
			}
			var perr *github.PermissionError
			if errors.As(err, &perr) {
				t.Errorf("err is a PermissionError; a server failure or rate limit must fail the command")
			}
		})
	}
}

func TestCommentCutsOversizedBody(t *testing.T) {
	srv, c := newFake(t)
	var b strings.Builder
	b.WriteString(report.Marker("pipecat.yaml") + "\n<details><summary>all</summary>\n\n```diff\n")
	for i := 0; utf8.RuneCountInString(b.String()) < 80000; i++ {
		fmt.Fprintf(&b, "+ agent-é%05d image: ghcr.io/acme/voice:1.%d\n", i, i)
	}
	res, err := github.Comment(context.Background(), github.CommentOptions{
		Client: c, Body: b.String(), PR: 7, RunURL: "https://github.com/acme/agents/actions/runs/42",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Truncated || res.Action != "created" {
		t.Fatalf("got %+v, want a created, truncated comment", res)
	}
	got := srv.IssueComments(7)[0].Body
	if n := utf8.RuneCountInString(got); n > report.MaxCommentSize || n < report.MaxCommentSize-2500 {
		t.Errorf("cut body has %d characters, want at most %d and not much less", n, report.MaxCommentSize)
	}
	for _, want := range []string{report.Marker("pipecat.yaml") + "\n", "\n```\n</details>\n", "cut to fit", "(https://github.com/acme/agents/actions/runs/42)"} {
		if !strings.Contains(got, want) {
			t.Errorf("cut body lacks %q; its end: %q", want, got[len(got)-300:])
		}
	}
	if !utf8.ValidString(got) {
		t.Error("cut body is not valid UTF-8")
	}
	// A re-run with the same oversized body is unchanged, not re-sent.
	srv.ResetRequests()
	res, err = github.Comment(context.Background(), github.CommentOptions{
		Client: c, Body: b.String(), PR: 7, RunURL: "https://github.com/acme/agents/actions/runs/42",
	})
	if err != nil || res.Action != "unchanged" || len(writes(srv)) != 0 {
		t.Errorf("re-run: %+v, %v, writes %q; want unchanged", res, err, writes(srv))
	}
}

func TestCommentKeepsOneLabel(t *testing.T) {
	srv, c := newFake(t)
	srv.SetLabels(7, "bug", "pipecat:changes", "pipecat:no-changes")
	opts := github.CommentOptions{Client: c, Body: body("pipecat.yaml", "1 to delete"), PR: 7, Label: "pipecat:deletes"}
	res, err := github.Comment(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"bug", "pipecat:deletes"}, srv.Labels(7)); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"pipecat:deletes"}, res.LabelsAdded); diff != "" {
		t.Errorf("added (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"pipecat:changes", "pipecat:no-changes"}, res.LabelsRemoved); diff != "" {
		t.Errorf("removed (-want +got):\n%s", diff)
	}

	srv.ResetRequests()
	if _, err := github.Comment(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if w := writes(srv); len(w) != 0 {
		t.Errorf("second run with the same label wrote %q", w)
	}

	opts.Label = "pipecat:bogus"
	if _, err := github.Comment(context.Background(), opts); err == nil {
		t.Error("unknown label accepted")
	}
}

// TestCommentLostAnswerPostsOnce: GitHub stores the comment but the answer
// to the POST is lost. The comment is looked for before any second POST,
// so exactly one exists, and the run reports it created.
func TestCommentLostAnswerPostsOnce(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name     string
		opts     github.CommentOptions
		postPath string
		comments func(srv *githubtest.Server) []githubtest.Comment
	}{
		{
			name: "pull request comment", opts: github.CommentOptions{PR: 7},
			postPath: "/repos/acme/agents/issues/7/comments",
			comments: func(srv *githubtest.Server) []githubtest.Comment { return srv.IssueComments(7) },
		},
		{
			name: "commit comment", opts: github.CommentOptions{EventName: "push", SHA: sha},
			postPath: "/repos/acme/agents/commits/" + sha + "/comments",
			comments: func(srv *githubtest.Server) []githubtest.Comment { return srv.CommitComments(sha) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t)
			srv.DropAfterCommit(1, http.MethodPost, tt.postPath)
			opts := tt.opts
			opts.Client, opts.Body = c, body("pipecat.yaml", "1 to create")
			res, err := github.Comment(context.Background(), opts)
			if err != nil {
				t.Fatalf("Comment: %v", err)
			}
			got := tt.comments(srv)
			if len(got) != 1 || got[0].Body != opts.Body {
				t.Fatalf("comments after a lost answer: %+v, want exactly one with the body", got)
			}
			if res.Action != "created" || res.CommentID != got[0].ID {
				t.Errorf("result %+v, want created #%d", res, got[0].ID)
			}
			var posts int
			for _, r := range srv.Requests() {
				if r.Method == http.MethodPost && r.Path == tt.postPath {
					posts++
				}
			}
			if posts != 1 {
				t.Errorf("%d POSTs of the comment, want 1", posts)
			}
		})
	}
}

// TestCommentLostAnswerNotStoredPostsAgain: the POST was lost before GitHub
// stored anything (a 502 from a proxy): the look finds nothing, and the
// comment is posted again.
func TestCommentLostAnswerNotStoredPostsAgain(t *testing.T) {
	srv, c := newFake(t)
	srv.FailRequest(1, http.MethodPost, "/repos/acme/agents/issues/7/comments", http.StatusBadGateway)
	res, err := github.Comment(context.Background(), github.CommentOptions{Client: c, Body: body("pipecat.yaml", "x"), PR: 7})
	if err != nil || res.Action != "created" {
		t.Fatalf("got %+v, %v; want created", res, err)
	}
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.Method+" "+r.Path)
	}
	want := []string{
		"GET /repos/acme/agents/issues/7/comments",
		"POST /repos/acme/agents/issues/7/comments", // 502
		"GET /repos/acme/agents/issues/7/comments",  // not there
		"POST /repos/acme/agents/issues/7/comments",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if n := len(srv.IssueComments(7)); n != 1 {
		t.Errorf("%d comments, want 1", n)
	}
}

// TestCommentApplyComments: the apply result is a comment of its own
// beside the plan comment, which stays as last planned. An apply comment
// is identified by its marker and commit line: a re-run of the same apply
// (same commit) edits it; the apply of another commit adds its own. The
// commit line is inserted from SHA unless the body has one.
func TestCommentApplyComments(t *testing.T) {
	const (
		shaA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		shaB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		shaC = "cccccccccccccccccccccccccccccccccccccccc"
	)
	apply := func(text string) string { return report.ApplyMarker("pipecat.yaml") + "\n## Apply\n" + text + "\n" }
	at := func(sha, text string) string {
		return report.ApplyMarker("pipecat.yaml") + "\n" + report.CommitMarker(sha) + "\n## Apply\n" + text + "\n"
	}
	plan := body("pipecat.yaml", "1 to create")
	srv, c := newFake(t)
	srv.AddPull(shaA, githubtest.PullRequest{Number: 7, State: "closed", Merged: true, MergeCommitSHA: shaA})
	steps := []struct {
		name       string
		opts       github.CommentOptions // Client is filled in
		wantAction string
		wantSame   int // step whose comment this one is (1-based), 0 for a new one
	}{
		{name: "plan on the pull request", opts: github.CommentOptions{Body: plan, PR: 7}, wantAction: "created"},
		{name: "apply on the merge push is a new comment", opts: github.CommentOptions{Body: apply("1 created"), EventName: "push", SHA: shaA}, wantAction: "created"},
		{name: "re-run with the same result sends nothing", opts: github.CommentOptions{Body: apply("1 created"), EventName: "push", SHA: shaA}, wantAction: "unchanged", wantSame: 2},
		{name: "re-run with another result edits it", opts: github.CommentOptions{Body: apply("1 created, re-run"), EventName: "push", SHA: shaA}, wantAction: "updated", wantSame: 2},
		{name: "the body's commit line counts, not SHA", opts: github.CommentOptions{Body: at(shaA, "1 created, re-run"), PR: 7, SHA: shaC}, wantAction: "unchanged", wantSame: 2},
		{name: "an apply of another commit adds its own", opts: github.CommentOptions{Body: apply("1 updated"), PR: 7, SHA: shaB}, wantAction: "created"},
		{name: "without a commit it is a comment of its own too", opts: github.CommentOptions{Body: apply("by hand"), PR: 7}, wantAction: "created"},
		{name: "the plan of a new push edits the plan comment", opts: github.CommentOptions{Body: body("pipecat.yaml", "2 to create"), PR: 7, SHA: shaB}, wantAction: "updated", wantSame: 1},
	}
	ids := make([]int64, len(steps))
	for i, st := range steps {
		opts := st.opts
		opts.Client = c
		res, err := github.Comment(context.Background(), opts)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		ids[i] = res.CommentID
		if res.Action != st.wantAction || res.PR != 7 {
			t.Errorf("%s: %s on %s, want %s on PR 7", st.name, res.Action, res.Target(), st.wantAction)
		}
		if st.wantSame != 0 && res.CommentID != ids[st.wantSame-1] {
			t.Errorf("%s: comment #%d, want #%d (step %d)", st.name, res.CommentID, ids[st.wantSame-1], st.wantSame)
		}
	}
	var got []string
	for _, cm := range srv.IssueComments(7) {
		got = append(got, cm.Body)
	}
	want := []string{body("pipecat.yaml", "2 to create"), at(shaA, "1 created, re-run"), at(shaB, "1 updated"), apply("by hand")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
}

// TestCommentEditsOnlyOwnComments: anyone can write the marker into a
// comment; only the token's own user's comment is edited.
func TestCommentEditsOnlyOwnComments(t *testing.T) {
	type existing struct{ user, text string }
	tests := []struct {
		name       string
		token      string // "" = the workflow token (github-actions[bot])
		viewerErr  string
		existing   []existing
		wantAction string
		want       []existing // every comment afterwards, oldest first
		wantAuthor string
		wantIDErr  bool
	}{
		{
			name:       "a foreign comment with the marker stays, ours is created",
			existing:   []existing{{"mallory", "pwned"}},
			wantAction: "created",
			want:       []existing{{"mallory", "pwned"}, {githubtest.BotLogin, "new plan"}},
			wantAuthor: githubtest.BotLogin,
		},
		{
			name:       "our own comment is edited, the foreign one stays",
			existing:   []existing{{"mallory", "pwned"}, {githubtest.BotLogin, "old plan"}},
			wantAction: "updated",
			want:       []existing{{"mallory", "pwned"}, {githubtest.BotLogin, "new plan"}},
			wantAuthor: githubtest.BotLogin,
		},
		{
			name:       "a personal token edits its user's comment",
			token:      "ghp_alice",
			existing:   []existing{{githubtest.BotLogin, "bot plan"}, {"alice", "old plan"}},
			wantAction: "updated",
			want:       []existing{{githubtest.BotLogin, "bot plan"}, {"alice", "new plan"}},
			wantAuthor: "alice",
		},
		{
			name:       "identity unreadable: the workflow bot's comment is edited",
			viewerErr:  "Resource not accessible by integration",
			existing:   []existing{{"mallory", "pwned"}, {githubtest.BotLogin, "old plan"}},
			wantAction: "updated",
			want:       []existing{{"mallory", "pwned"}, {githubtest.BotLogin, "new plan"}},
			wantAuthor: github.FallbackLogin,
			wantIDErr:  true,
		},
		{
			name:       "identity unreadable: a foreign comment still stays",
			viewerErr:  "Resource not accessible by integration",
			existing:   []existing{{"mallory", "pwned"}},
			wantAction: "created",
			want:       []existing{{"mallory", "pwned"}, {githubtest.BotLogin, "new plan"}},
			wantAuthor: github.FallbackLogin,
			wantIDErr:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t)
			if tt.token != "" {
				srv.Logins[tt.token] = "alice"
				var err error
				c, err = github.New(github.Options{BaseURL: srv.URL, Token: tt.token, Repo: srv.Repo})
				if err != nil {
					t.Fatal(err)
				}
			}
			srv.SetViewerError(tt.viewerErr)
			for _, e := range tt.existing {
				srv.AddIssueComment(7, e.user, body("pipecat.yaml", e.text))
			}
			res, err := github.Comment(context.Background(), github.CommentOptions{Client: c, Body: body("pipecat.yaml", "new plan"), PR: 7})
			if err != nil {
				t.Fatal(err)
			}
			var got []existing
			for _, cm := range srv.IssueComments(7) {
				got = append(got, existing{cm.User, strings.TrimSuffix(strings.TrimPrefix(cm.Body, report.Marker("pipecat.yaml")+"\n## Plan\n"), "\n")})
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(existing{})); diff != "" {
				t.Errorf("comments (-want +got):\n%s", diff)
			}
			if res.Action != tt.wantAction || res.Author != tt.wantAuthor || (res.IdentityErr != nil) != tt.wantIDErr {
				t.Errorf("result: %s by %q (identity error %v); want %s by %q (error: %v)", res.Action, res.Author, res.IdentityErr, tt.wantAction, tt.wantAuthor, tt.wantIDErr)
			}
		})
	}
}

func TestGraphQLEndpoint(t *testing.T) {
	tests := []struct{ base, want string }{
		{"https://api.github.com", "https://api.github.com/graphql"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"},
	}
	for _, tt := range tests {
		var got string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r.URL.Path
			w.Write([]byte(`{"data":{"viewer":{"login":"x"}}}`))
		}))
		// Point the client at the fake while keeping the base's path.
		u, _ := url.Parse(tt.base)
		c, err := github.New(github.Options{BaseURL: srv.URL + u.Path, Repo: "acme/agents"})
		if err != nil {
			t.Fatal(err)
		}
		if login, err := c.Viewer(context.Background()); err != nil || login != "x" {
			t.Errorf("Viewer = %q, %v", login, err)
		}
		srv.Close()
		want, _ := url.Parse(tt.want)
		if got != want.Path {
			t.Errorf("base %s: GraphQL at %s, want %s", tt.base, got, want.Path)
		}
	}
}

// TestCommentPreviewIsSticky: the preview comment has its own marker, so
// every preview run edits the one preview comment and never the plan
// comment of the same config.
func TestCommentPreviewIsSticky(t *testing.T) {
	srv, c := newFake(t)
	ctx := context.Background()
	preview := func(text string) string {
		return report.PreviewMarker("pipecat.yaml") + "\n### Preview\n" + text + "\n"
	}
	for _, b := range []string{body("pipecat.yaml", "plan v1"), preview("push 1"), body("pipecat.yaml", "plan v2"), preview("push 2")} {
		if _, err := github.Comment(ctx, github.CommentOptions{Client: c, Body: b, PR: 7}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, cm := range srv.IssueComments(7) {
		got = append(got, cm.Body)
	}
	want := []string{body("pipecat.yaml", "plan v2"), preview("push 2")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
}

func TestReadEventFork(t *testing.T) {
	for _, tt := range []struct {
		name, payload string
		fork          bool
	}{
		{"same repository", `{"pull_request":{"number":3,"base":{"repo":{"full_name":"acme/a"}},"head":{"repo":{"full_name":"acme/a"}}}}`, false},
		{"a fork", `{"pull_request":{"number":3,"base":{"repo":{"full_name":"acme/a"}},"head":{"repo":{"full_name":"eve/a"}}}}`, true},
		{"a deleted fork", `{"pull_request":{"number":3,"base":{"repo":{"full_name":"acme/a"}},"head":{"repo":null}}}`, true},
		{"a push", `{"before":"abc"}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := github.ReadEvent(writeEvent(t, tt.payload))
			if err != nil {
				t.Fatal(err)
			}
			if ev.Fork() != tt.fork {
				t.Errorf("Fork() = %t, want %t (%+v)", ev.Fork(), tt.fork, ev)
			}
		})
	}
}
