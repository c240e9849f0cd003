package githubtest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestServer(t *testing.T) {
	s := NewServer()
	defer s.Close()
	for i := range 65 {
		s.AddIssueComment(7, "u", fmt.Sprint("c", i))
	}
	long := `{"body": "` + strings.Repeat("x", 65537) + `"}`
	tests := []struct {
		name, method, path, token, body string
		wantStatus                      int
		wantLink                        string // "" for none
		wantBody                        string // substring
	}{
		{name: "first page", method: "GET", path: "/repos/acme/agents/issues/7/comments", token: "ghs_fake", wantStatus: 200,
			wantLink: `<URL/repos/acme/agents/issues/7/comments?page=2&per_page=30>; rel="next", <URL/repos/acme/agents/issues/7/comments?page=3&per_page=30>; rel="last"`,
			wantBody: `"body":"c29"`},
		{name: "per_page capped at MaxPerPage", method: "GET", path: "/repos/acme/agents/issues/7/comments?per_page=100&page=3", token: "ghs_fake", wantStatus: 200,
			wantLink: `<URL/repos/acme/agents/issues/7/comments?page=1&per_page=30>; rel="first", <URL/repos/acme/agents/issues/7/comments?page=2&per_page=30>; rel="prev"`,
			wantBody: `"body":"c64"`},
		{name: "bad token", method: "GET", path: "/repos/acme/agents/issues/7/comments", token: "nope", wantStatus: 401, wantBody: "Bad credentials"},
		{name: "other repository", method: "GET", path: "/repos/acme/other/issues/7/comments", token: "ghs_fake", wantStatus: 404},
		{name: "read-only token reads", method: "GET", path: "/repos/acme/agents/issues/7/labels", token: "ghs_readonly", wantStatus: 200},
		{name: "read-only token cannot write", method: "POST", path: "/repos/acme/agents/issues/7/comments", token: "ghs_readonly", body: `{"body":"x"}`, wantStatus: 403, wantBody: "Resource not accessible by integration"},
		{name: "blank body", method: "POST", path: "/repos/acme/agents/issues/7/comments", token: "ghs_fake", body: `{"body":" "}`, wantStatus: 422},
		{name: "body over the limit", method: "POST", path: "/repos/acme/agents/issues/7/comments", token: "ghs_fake", body: long, wantStatus: 422, wantBody: "too long"},
		{name: "edit unknown comment", method: "PATCH", path: "/repos/acme/agents/issues/comments/1", token: "ghs_fake", body: `{"body":"x"}`, wantStatus: 404},
		{name: "graphql viewer is the token's user", method: "POST", path: "/graphql", token: "ghs_fake", body: `{"query":"{ viewer { login } }"}`, wantStatus: 200, wantBody: `{"data":{"viewer":{"login":"github-actions[bot]"}}}`},
		{name: "read-only token may query", method: "POST", path: "/graphql", token: "ghs_readonly", body: `{"query":"{ viewer { login } }"}`, wantStatus: 200, wantBody: `"login":"github-actions[bot]"`},
		{name: "graphql needs a known token", method: "POST", path: "/graphql", token: "nope", body: `{"query":"{ viewer { login } }"}`, wantStatus: 401},
		{name: "remove absent label", method: "DELETE", path: "/repos/acme/agents/issues/7/labels/pipecat:changes", token: "ghs_fake", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, s.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tt.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, b)
			}
			if diff := cmp.Diff(strings.ReplaceAll(tt.wantLink, "URL", s.URL), resp.Header.Get("Link")); diff != "" {
				t.Errorf("Link (-want +got):\n%s", diff)
			}
			if !strings.Contains(string(b), tt.wantBody) {
				t.Errorf("body %.200s lacks %q", b, tt.wantBody)
			}
		})
	}
	if n := len(s.IssueComments(7)); n != 65 {
		t.Errorf("%d comments after the rejected writes, want 65", n)
	}
}

// TestServerHistory: compare, the pull requests of a commit and the
// workflow runs answer as GitHub does over a loaded fixture.
func TestServerHistory(t *testing.T) {
	s := NewServer()
	defer s.Close()
	fixture := `{
	  "commits": [
	    {"sha": "a"}, {"sha": "b", "parents": ["a"]}, {"sha": "f", "parents": ["a"]},
	    {"sha": "m", "parents": ["b", "f"]}, {"sha": "x", "parents": ["a"]}
	  ],
	  "pulls": [{"number": 3, "merged": true, "mergeCommitSHA": "m", "commits": ["f"]}],
	  "runs": [
	    {"id": 1, "workflowID": 5, "headSHA": "a", "branch": "main", "event": "push", "status": "completed", "conclusion": "success"},
	    {"id": 2, "workflowID": 5, "headSHA": "b", "branch": "main", "event": "push", "status": "completed", "conclusion": "cancelled"},
	    {"id": 3, "workflowID": 5, "headSHA": "f", "branch": "f", "event": "pull_request", "status": "completed", "conclusion": "success"},
	    {"id": 4, "workflowID": 5, "headSHA": "b", "branch": "main", "event": "push", "status": "completed", "conclusion": "success"},
	    {"id": 5, "workflowID": 6, "headSHA": "m", "branch": "main", "event": "push", "status": "completed", "conclusion": "success"}
	  ]
	}`
	if err := s.Load([]byte(fixture)); err != nil {
		t.Fatal(err)
	}
	if err := s.Load([]byte(`{"comits": []}`)); err == nil || !strings.Contains(err.Error(), "comits") {
		t.Errorf("a misspelt fixture field: err = %v, want it named", err)
	}
	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		req.Header.Set("Authorization", "Bearer ghs_fake")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	tests := []struct {
		name, path string
		wantStatus int
		wantBody   string
	}{
		{"compare ahead: the merge and its branch, oldest first", "/repos/acme/agents/compare/a...m", 200,
			`{"ahead_by":3,"behind_by":0,"commits":[{"parents":[{"sha":"a"}],"sha":"b"},{"parents":[{"sha":"a"}],"sha":"f"},{"parents":[{"sha":"b"},{"sha":"f"}],"sha":"m"}],"files":[],"status":"ahead","total_commits":3}`},
		{"compare behind", "/repos/acme/agents/compare/m...b", 200, `{"ahead_by":0,"behind_by":2,"commits":[],"files":[],"status":"behind","total_commits":0}`},
		{"compare identical", "/repos/acme/agents/compare/b...b", 200, `{"ahead_by":0,"behind_by":0,"commits":[],"files":[],"status":"identical","total_commits":0}`},
		{"compare diverged", "/repos/acme/agents/compare/x...b", 200, `{"ahead_by":1,"behind_by":1,"commits":[{"parents":[{"sha":"a"}],"sha":"b"}],"files":[],"status":"diverged","total_commits":1}`},
		{"compare an unknown commit", "/repos/acme/agents/compare/zzz...b", 404, `{"documentation_url":"https://docs.github.com/rest","message":"Not Found"}`},
		{"the pull request of a branch commit", "/repos/acme/agents/commits/f/pulls", 200,
			`[{"merge_commit_sha":"m","merged_at":"2025-01-02T03:04:05Z","number":3,"state":"closed"}]`},
		{"a run", "/repos/acme/agents/actions/runs/2", 200,
			`{"conclusion":"cancelled","event":"push","head_branch":"main","head_sha":"b","id":2,"status":"completed","workflow_id":5}`},
		{"an unknown run", "/repos/acme/agents/actions/runs/99", 404, `{"documentation_url":"https://docs.github.com/rest","message":"Not Found"}`},
		{"a workflow's successful push runs on main, newest first", "/repos/acme/agents/actions/workflows/5/runs?branch=main&event=push&status=success&per_page=1", 200,
			`{"total_count":2,"workflow_runs":[{"conclusion":"success","event":"push","head_branch":"main","head_sha":"b","id":4,"status":"completed","workflow_id":5}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(tt.path)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d", status, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.wantBody, body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
	s.SetActionsForbidden(true)
	if status, body := get("/repos/acme/agents/actions/runs/2"); status != 403 || !strings.Contains(body, "Resource not accessible by integration") {
		t.Errorf("actions forbidden: %d %s, want 403", status, body)
	}
	if status, _ := get("/repos/acme/agents/compare/a...m"); status != 200 {
		t.Errorf("actions forbidden: compare answered %d, want 200", status)
	}
}
