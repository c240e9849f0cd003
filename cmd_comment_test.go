package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
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
