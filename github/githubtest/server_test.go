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
