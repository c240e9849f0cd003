package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pipecat-gitops/pipecat-gitops/internal/githubtest"
)

// TestCommentCommandAnswerLost: the answer to the comment POST is lost
// after GitHub stored the comment. The command reports it created, exits
// 0, and the pull request holds exactly one comment.
func TestCommentCommandAnswerLost(t *testing.T) {
	gh := githubtest.NewServer()
	defer gh.Close()
	gh.DropAfterCommit(1, http.MethodPost, "/repos/acme/agents/issues/7/comments")
	dir := t.TempDir()
	bodyFile := filepath.Join(dir, "plan.md")
	if err := os.WriteFile(bodyFile, []byte("<!-- pipecat-gitops: pipecat.yaml -->\n## Plan: 1 to create\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GITHUB_TOKEN": gh.Token, "GITHUB_REPOSITORY": gh.Repo, "GITHUB_API_URL": gh.URL}
	var stdout, stderr bytes.Buffer
	e := newEnv(nil, &stdout, &stderr, func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, func(any) bool { return false })
	if code := dispatch(context.Background(), e, []string{"comment", "--body-file", bodyFile, "--pr", "7"}); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if !regexp.MustCompile(`^comment: created #\d+ on PR 7\n$`).MatchString(stderr.String()) {
		t.Errorf("stderr = %q, want one line saying the comment was created", stderr.String())
	}
	if n := len(gh.IssueComments(7)); n != 1 {
		t.Errorf("%d comments on the pull request, want exactly 1", n)
	}
}

// TestCommentRefusedLinkRedacted: a GitHub answer whose Link header sends
// the next page elsewhere, with the token in its query, is refused; the
// error names the URL without the token.
func TestCommentRefusedLinkRedacted(t *testing.T) {
	const token = "ghs_LinkedToken_9f8e7d6c5b4a"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/graphql":
			io.WriteString(w, `{"data":{"viewer":{"login":"bot"}}}`)
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/comments"):
			w.Header().Set("Link", `<https://evil.example/next?access_token=`+url.QueryEscape(token)+`&page=2>; rel="next"`)
			io.WriteString(w, `[]`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	bodyFile := filepath.Join(t.TempDir(), "plan.md")
	if err := os.WriteFile(bodyFile, []byte("<!-- pipecat-gitops: pipecat.yaml -->\n## Plan\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"GITHUB_TOKEN": token, "GITHUB_REPOSITORY": "acme/agents", "GITHUB_API_URL": srv.URL}
	var stdout, stderr bytes.Buffer
	e := newEnv(nil, &stdout, &stderr, func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, func(any) bool { return false })
	if code := dispatch(context.Background(), e, []string{"comment", "--body-file", bodyFile, "--pr", "7"}); code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "is outside the API") || !strings.Contains(stderr.String(), "access_token=REDACTED") {
		t.Errorf("stderr = %q, want the refused URL with the token redacted", stderr.String())
	}
	if strings.Contains(stderr.String()+stdout.String(), "LinkedToken") {
		t.Errorf("the output holds the token:\n%s%s", stdout.String(), stderr.String())
	}
}
