// Package githubtest is an in-memory fake of the GitHub REST endpoints
// pipecat-gitops calls (issue and commit comments, the pull requests of a
// commit, labels, commit comparison, workflow runs) and of its one GraphQL
// query, `{ viewer { login } }`, serving one repository over httptest.
//
//   - It records every request, so tests and testscript scripts can check
//     what was sent.
//   - It behaves like GitHub where the client depends on it: Link-header
//     pagination (MaxPerPage), 422 for an empty or over-long body, 404 for
//     an unknown repository or comment, a bearer token per user (Logins).
//   - Knobs: SetReadOnly and ReadOnlyToken (403 to writes, as a fork's
//     token gets), SetActionsForbidden, Fail (queued error answers) and
//     DropAfterCommit (the request is handled, the answer lost).
//   - Load sets commits, pull requests and runs from a JSON fixture.
package githubtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pipecat-gitops/pipecat-gitops/report"
)

// Comment is a stored issue or commit comment.
type Comment struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
	User string `json:"-"`
}

// PullRequest is what GET /repos/{o}/{r}/commits/{sha}/pulls lists.
type PullRequest struct {
	Number         int    `json:"number"`
	State          string `json:"state"` // "open" or "closed"
	Merged         bool   `json:"merged"`
	MergeCommitSHA string `json:"mergeCommitSHA"`
}

// Commit is a commit of the graph that compare walks.
type Commit struct {
	SHA     string   `json:"sha"`
	Parents []string `json:"parents"` // first parent first
}

// Run is a workflow run.
type Run struct {
	ID         int64  `json:"id"`
	WorkflowID int64  `json:"workflowID"`
	HeadSHA    string `json:"headSHA"`
	Branch     string `json:"branch"`
	Event      string `json:"event"`      // "push", "pull_request", ...
	Status     string `json:"status"`     // "completed", "in_progress", ...
	Conclusion string `json:"conclusion"` // "success", "failure", "cancelled" or ""
}

// Request is one request the server received.
type Request struct {
	Method string
	Path   string
	Query  string
	Body   string
}

// Server is the fake. Its fields are set before the first request.
type Server struct {
	URL   string
	Repo  string // the one repository served, "owner/name"
	Token string // the bearer token required; "" accepts any
	// ReadOnlyToken may read but not write, like the token of a
	// pull request from a fork.
	ReadOnlyToken string
	// Logins maps every accepted token to its user's login; Token and
	// ReadOnlyToken are BotLogin. Add a token to act as another user.
	Logins     map[string]string
	MaxPerPage int

	srv *httptest.Server

	mu             sync.Mutex
	readOnly       bool
	viewerError    string
	failures       []failure
	targeted       []targeted
	nextID         int64
	issueComments  map[int][]*Comment
	commitComments map[string][]*Comment
	pulls          map[string][]PullRequest
	commits        []Commit // in the order added, oldest first
	runs           []Run    // in the order added, oldest first
	noActions      bool
	labels         map[int][]string
	requests       []Request
}

type failure struct {
	status int
	header http.Header
}

// targeted is a fault for one method and path: an error answer (status),
// or with status 0 the answer dropped after the change took effect.
type targeted struct {
	method, path string
	status       int
}

// BotLogin is the user of a workflow's GITHUB_TOKEN.
const BotLogin = "github-actions[bot]"

// NewServer starts a fake serving repository "acme/agents" that accepts
// the token "ghs_fake", and "ghs_readonly" for reads only, both BotLogin.
func NewServer() *Server {
	s := &Server{
		Repo:           "acme/agents",
		Token:          "ghs_fake",
		ReadOnlyToken:  "ghs_readonly",
		Logins:         map[string]string{"ghs_fake": BotLogin, "ghs_readonly": BotLogin},
		MaxPerPage:     30,
		nextID:         1000,
		issueComments:  map[int][]*Comment{},
		commitComments: map[string][]*Comment{},
		pulls:          map[string][]PullRequest{},
		labels:         map[int][]string{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/comments", s.listIssueComments)
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/comments", s.createIssueComment)
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/issues/comments/{id}", s.editIssueComment)
	mux.HandleFunc("GET /repos/{owner}/{repo}/commits/{sha}/comments", s.listCommitComments)
	mux.HandleFunc("POST /repos/{owner}/{repo}/commits/{sha}/comments", s.createCommitComment)
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/comments/{id}", s.editCommitComment)
	mux.HandleFunc("GET /repos/{owner}/{repo}/commits/{sha}/pulls", s.listPulls)
	mux.HandleFunc("GET /repos/{owner}/{repo}/compare/{basehead}", s.compare)
	mux.HandleFunc("GET /repos/{owner}/{repo}/actions/runs/{id}", s.getRun)
	mux.HandleFunc("GET /repos/{owner}/{repo}/actions/workflows/{id}/runs", s.listRuns)
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/labels", s.listLabels)
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/labels", s.addLabels)
	mux.HandleFunc("DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}", s.removeLabel)
	mux.HandleFunc("POST /graphql", s.graphql)
	s.srv = httptest.NewServer(s.gate(mux))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// SetReadOnly makes every write answer 403, like a fork's token.
func (s *Server) SetReadOnly(ro bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readOnly = ro
}

// SetActionsForbidden makes every /actions/ request answer 403, as GitHub
// does to a token without the "actions: read" permission.
func (s *Server) SetActionsForbidden(forbidden bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noActions = forbidden
}

// SetViewerError makes the GraphQL viewer query answer this error, as
// GitHub does to a token that may not read its user; "" restores it.
func (s *Server) SetViewerError(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.viewerError = msg
}

// Fail makes the next times requests answer status with header added
// (for example Retry-After), before any other handling.
func (s *Server) Fail(times, status int, header http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		s.failures = append(s.failures, failure{status, header})
	}
}

// DropAfterCommit makes the next times requests with method and path
// (e.g. "POST", "/repos/acme/agents/issues/7/comments") take effect, then
// lose their answer: the connection is closed without a response.
func (s *Server) DropAfterCommit(times int, method, path string) {
	s.FailRequest(times, method, path, 0)
}

// FailRequest makes the next times requests with method and path answer
// status without taking effect (status 0: see DropAfterCommit).
func (s *Server) FailRequest(times int, method, path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		s.targeted = append(s.targeted, targeted{method, path, status})
	}
}

// AddIssueComment stores a comment on pull request pr and returns its id.
func (s *Server) AddIssueComment(pr int, user, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &Comment{ID: s.newID(), Body: body, User: user}
	s.issueComments[pr] = append(s.issueComments[pr], c)
	return c.ID
}

// IssueComments returns a copy of the comments on pull request pr, oldest first.
func (s *Server) IssueComments(pr int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyComments(s.issueComments[pr])
}

// CommitComments returns a copy of the comments on commit sha, oldest first.
func (s *Server) CommitComments(sha string) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyComments(s.commitComments[sha])
}

// AddPull associates pull request pr with commit sha.
func (s *Server) AddPull(sha string, pr PullRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pulls[sha] = append(s.pulls[sha], pr)
}

// AddCommit adds a commit to the graph; add parents before children.
func (s *Server) AddCommit(sha string, parents ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commits = append(s.commits, Commit{SHA: sha, Parents: slices.Clone(parents)})
}

// AddRun adds a workflow run; add older runs first.
func (s *Server) AddRun(r Run) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs = append(s.runs, r)
}

// Fixture is the JSON document Load reads. A pull request is listed for
// each of its Commits and, when merged, for its merge commit.
type Fixture struct {
	Commits []Commit `json:"commits"`
	Pulls   []struct {
		PullRequest
		Commits []string `json:"commits"`
	} `json:"pulls"`
	Runs             []Run `json:"runs"`
	ActionsForbidden bool  `json:"actionsForbidden"`
}

// Load adds the commits, pull requests and runs of a JSON Fixture.
func (s *Server) Load(data []byte) error {
	var f Fixture
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("githubtest fixture: %w", err)
	}
	for _, c := range f.Commits {
		s.AddCommit(c.SHA, c.Parents...)
	}
	for _, p := range f.Pulls {
		if p.State == "" {
			p.State = "open"
			if p.Merged {
				p.State = "closed"
			}
		}
		shas := slices.Clone(p.Commits)
		if p.Merged && !slices.Contains(shas, p.MergeCommitSHA) {
			shas = append(shas, p.MergeCommitSHA)
		}
		for _, sha := range shas {
			s.AddPull(sha, p.PullRequest)
		}
	}
	for _, r := range f.Runs {
		s.AddRun(r)
	}
	s.SetActionsForbidden(f.ActionsForbidden)
	return nil
}

// SetLabels replaces the labels of pull request pr.
func (s *Server) SetLabels(pr int, labels ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.labels[pr] = slices.Clone(labels)
}

// Labels returns the labels of pull request pr, sorted.
func (s *Server) Labels(pr int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := slices.Clone(s.labels[pr])
	slices.Sort(l)
	return l
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func copyComments(cs []*Comment) []Comment {
	out := make([]Comment, len(cs))
	for i, c := range cs {
		out[i] = *c
	}
	return out
}

func (s *Server) newID() int64 {
	s.nextID++
	return s.nextID
}

// gate records the request and answers injected failures, bad tokens,
// other repositories and read-only writes before the real handlers.
func (s *Server) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body)})
		var fail *failure
		if len(s.failures) > 0 {
			fail = &s.failures[0]
			s.failures = s.failures[1:]
		}
		var target *targeted
		if i := slices.IndexFunc(s.targeted, func(f targeted) bool { return f.method == r.Method && f.path == r.URL.Path }); i >= 0 {
			t := s.targeted[i]
			target = &t
			s.targeted = slices.Delete(s.targeted, i, i+1)
		}
		auth := r.Header.Get("Authorization")
		token, bearer := strings.CutPrefix(auth, "Bearer ")
		login, known := s.Logins[token]
		known = known && bearer
		if !known {
			login = BotLogin
		}
		roToken := s.ReadOnlyToken != "" && auth == "Bearer "+s.ReadOnlyToken
		readOnly := s.readOnly || roToken
		noActions := s.noActions && strings.HasPrefix(r.URL.Path, "/repos/"+s.Repo+"/actions/")
		s.mu.Unlock()
		r = r.WithContext(context.WithValue(r.Context(), loginKey{}, login))
		graphql := r.URL.Path == "/graphql"

		switch {
		case fail != nil:
			for k, vs := range fail.header {
				for _, v := range vs {
					w.Header().Add(k, v)
				}
			}
			writeError(w, fail.status, http.StatusText(fail.status))
		case s.Token != "" && !known:
			writeError(w, http.StatusUnauthorized, "Bad credentials")
		case !graphql && !strings.HasPrefix(r.URL.Path, "/repos/"+s.Repo+"/"):
			writeError(w, http.StatusNotFound, "Not Found")
		case readOnly && r.Method != http.MethodGet && !graphql, noActions:
			writeError(w, http.StatusForbidden, "Resource not accessible by integration")
		case target != nil && target.status != 0:
			writeError(w, target.status, http.StatusText(target.status))
		case target != nil:
			next.ServeHTTP(httptest.NewRecorder(), r)
			dropConnection(w)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// dropConnection closes the connection without a response, abortively
// (a reset, as when a proxy dies mid-request).
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}

type loginKey struct{}

// loginOf is the login of the user whose token sent r.
func loginOf(r *http.Request) string { return r.Context().Value(loginKey{}).(string) }

// graphql answers the viewer query, the only one the client sends.
func (s *Server) graphql(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Query string `json:"query"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || !strings.Contains(in.Query, "viewer") {
		writeJSON(w, http.StatusOK, map[string]any{"errors": []map[string]string{{"message": "this fake answers only the viewer query"}}})
		return
	}
	s.mu.Lock()
	msg := s.viewerError
	s.mu.Unlock()
	if msg != "" {
		writeJSON(w, http.StatusOK, map[string]any{"data": nil, "errors": []map[string]string{{"type": "FORBIDDEN", "message": msg}}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"viewer": map[string]string{"login": loginOf(r)}}})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{
		"message":           msg,
		"documentation_url": "https://docs.github.com/rest",
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) commentJSON(c *Comment, kind string) map[string]any {
	return map[string]any{
		"id":       c.ID,
		"body":     c.Body,
		"user":     map[string]string{"login": c.User},
		"html_url": fmt.Sprintf("https://github.com/%s#%s-%d", s.Repo, kind, c.ID),
	}
}

// page writes items[page] with GitHub's Link header.
func (s *Server) page(w http.ResponseWriter, r *http.Request, n int, item func(i int) any) {
	from, to := s.pageRange(w, r, n)
	items := []any{}
	for i := from; i < to; i++ {
		items = append(items, item(i))
	}
	writeJSON(w, http.StatusOK, items)
}

// pageRange sets GitHub's Link header for a list of n items and returns
// the range of them the request's page holds.
func (s *Server) pageRange(w http.ResponseWriter, r *http.Request, n int) (from, to int) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	per = min(per, s.MaxPerPage, 100)
	pg, err := strconv.Atoi(q.Get("page"))
	if err != nil || pg <= 0 {
		pg = 1
	}
	last := max((n+per-1)/per, 1)
	link := func(p int, rel string) string {
		u := url.URL{Path: r.URL.Path}
		v := url.Values{}
		v.Set("per_page", strconv.Itoa(per))
		v.Set("page", strconv.Itoa(p))
		u.RawQuery = v.Encode()
		return fmt.Sprintf(`<%s%s>; rel="%s"`, s.URL, u.String(), rel)
	}
	var links []string
	if pg < last {
		links = append(links, link(pg+1, "next"), link(last, "last"))
	}
	if pg > 1 {
		links = append(links, link(1, "first"), link(pg-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	return min((pg-1)*per, n), min(pg*per, n)
}

// gitHubMaxBody is GitHub's limit on a comment body, in characters; the
// one definition is report.MaxCommentSize (report's tests pin it to
// GitHub's documented 65,536).
const gitHubMaxBody = report.MaxCommentSize

// readBody decodes {"body": "..."} and applies GitHub's rules to it.
func readBody(w http.ResponseWriter, r *http.Request) (string, bool) {
	var in struct {
		Body *string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Body == nil {
		writeError(w, http.StatusUnprocessableEntity, "Invalid request: body is missing")
		return "", false
	}
	if strings.TrimSpace(*in.Body) == "" {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed: body cannot be blank")
		return "", false
	}
	if utf8.RuneCountInString(*in.Body) > gitHubMaxBody {
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("Validation Failed: body is too long (maximum is %d characters)", gitHubMaxBody))
		return "", false
	}
	return *in.Body, true
}

func number(w http.ResponseWriter, r *http.Request) (int, bool) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n <= 0 {
		writeError(w, http.StatusNotFound, "Not Found")
		return 0, false
	}
	return n, true
}

func (s *Server) listIssueComments(w http.ResponseWriter, r *http.Request) {
	n, ok := number(w, r)
	if !ok {
		return
	}
	cs := s.IssueComments(n)
	s.page(w, r, len(cs), func(i int) any { return s.commentJSON(&cs[i], "issuecomment") })
}

func (s *Server) createIssueComment(w http.ResponseWriter, r *http.Request) {
	n, ok := number(w, r)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	id := s.AddIssueComment(n, loginOf(r), body)
	writeJSON(w, http.StatusCreated, s.commentJSON(&Comment{ID: id, Body: body, User: loginOf(r)}, "issuecomment"))
}

func (s *Server) editIssueComment(w http.ResponseWriter, r *http.Request) {
	editComment(s, w, r, s.issueComments, "issuecomment")
}

func (s *Server) editCommitComment(w http.ResponseWriter, r *http.Request) {
	editComment(s, w, r, s.commitComments, "commitcomment")
}

// editComment replaces the body of the comment with the path's id in store.
func editComment[K comparable](s *Server, w http.ResponseWriter, r *http.Request, store map[K][]*Comment, kind string) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cs := range store {
		for _, c := range cs {
			if c.ID == id {
				c.Body = body
				writeJSON(w, http.StatusOK, s.commentJSON(c, kind))
				return
			}
		}
	}
	writeError(w, http.StatusNotFound, "Not Found")
}

func (s *Server) listCommitComments(w http.ResponseWriter, r *http.Request) {
	cs := s.CommitComments(r.PathValue("sha"))
	s.page(w, r, len(cs), func(i int) any { return s.commentJSON(&cs[i], "commitcomment") })
}

func (s *Server) createCommitComment(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	sha := r.PathValue("sha")
	s.mu.Lock()
	c := &Comment{ID: s.newID(), Body: body, User: loginOf(r)}
	s.commitComments[sha] = append(s.commitComments[sha], c)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, s.commentJSON(c, "commitcomment"))
}

func (s *Server) listPulls(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	prs := slices.Clone(s.pulls[r.PathValue("sha")])
	s.mu.Unlock()
	merged := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	s.page(w, r, len(prs), func(i int) any {
		p := prs[i]
		out := map[string]any{"number": p.Number, "state": p.State, "merged_at": nil, "merge_commit_sha": p.MergeCommitSHA}
		if p.Merged {
			out["merged_at"] = merged
		}
		return out
	})
}

func (s *Server) labelsJSON(pr int) []map[string]string {
	out := []map[string]string{}
	for _, l := range s.labels[pr] {
		out = append(out, map[string]string{"name": l})
	}
	return out
}

func (s *Server) listLabels(w http.ResponseWriter, r *http.Request) {
	n, ok := number(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	ls := s.labelsJSON(n)
	s.mu.Unlock()
	s.page(w, r, len(ls), func(i int) any { return ls[i] })
}

func (s *Server) addLabels(w http.ResponseWriter, r *http.Request) {
	n, ok := number(w, r)
	if !ok {
		return
	}
	var in struct {
		Labels []string `json:"labels"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Labels) == 0 {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed: labels")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range in.Labels {
		if !slices.Contains(s.labels[n], l) {
			s.labels[n] = append(s.labels[n], l)
		}
	}
	writeJSON(w, http.StatusOK, s.labelsJSON(n))
}

func (s *Server) removeLabel(w http.ResponseWriter, r *http.Request) {
	n, ok := number(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.Index(s.labels[n], name)
	if i < 0 {
		writeError(w, http.StatusNotFound, "Label does not exist")
		return
	}
	s.labels[n] = slices.Delete(s.labels[n], i, i+1)
	writeJSON(w, http.StatusOK, s.labelsJSON(n))
}

// compare answers base...head: the commits reachable from head and not
// from base, oldest first (in the order they were added), paginated.
func (s *Server) compare(w http.ResponseWriter, r *http.Request) {
	base, head, ok := strings.Cut(r.PathValue("basehead"), "...")
	s.mu.Lock()
	commits := slices.Clone(s.commits)
	s.mu.Unlock()
	parents := map[string][]string{}
	for _, c := range commits {
		parents[c.SHA] = c.Parents
	}
	_, knownBase := parents[base]
	_, knownHead := parents[head]
	if !ok || !knownBase || !knownHead {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	fromHead, fromBase := reachable(parents, head), reachable(parents, base)
	var in []Commit
	for _, c := range commits {
		if fromHead[c.SHA] && !fromBase[c.SHA] {
			in = append(in, c)
		}
	}
	behind := 0
	for sha := range fromBase {
		if !fromHead[sha] {
			behind++
		}
	}
	status := "diverged"
	switch {
	case len(in) == 0 && behind == 0:
		status = "identical"
	case behind == 0:
		status = "ahead"
	case len(in) == 0:
		status = "behind"
	}
	from, to := s.pageRange(w, r, len(in))
	page := []map[string]any{}
	for _, c := range in[from:to] {
		ps := []map[string]string{}
		for _, p := range c.Parents {
			ps = append(ps, map[string]string{"sha": p})
		}
		page = append(page, map[string]any{"sha": c.SHA, "parents": ps})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status": status, "ahead_by": len(in), "behind_by": behind,
		"total_commits": len(in), "commits": page, "files": []any{},
	})
}

// reachable returns the commits reachable from sha, sha included.
func reachable(parents map[string][]string, sha string) map[string]bool {
	seen := map[string]bool{}
	todo := []string{sha}
	for len(todo) > 0 {
		c := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[c] {
			continue
		}
		seen[c] = true
		todo = append(todo, parents[c]...)
	}
	return seen
}

func runJSON(r Run) map[string]any {
	return map[string]any{
		"id": r.ID, "workflow_id": r.WorkflowID, "head_sha": r.HeadSHA, "head_branch": r.Branch,
		"event": r.Event, "status": r.Status, "conclusion": r.Conclusion,
	}
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	i := slices.IndexFunc(s.runs, func(run Run) bool { return run.ID == id })
	var run Run
	if i >= 0 {
		run = s.runs[i]
	}
	s.mu.Unlock()
	if err != nil || i < 0 {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, runJSON(run))
}

// listRuns lists a workflow's runs newest first, filtered by branch,
// event and status (a status or a conclusion) as GitHub does.
func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	var runs []map[string]any
	for _, run := range slices.Backward(s.runs) {
		if run.WorkflowID == id &&
			(q.Get("branch") == "" || q.Get("branch") == run.Branch) &&
			(q.Get("event") == "" || q.Get("event") == run.Event) &&
			(q.Get("status") == "" || q.Get("status") == run.Status || q.Get("status") == run.Conclusion) {
			runs = append(runs, runJSON(run))
		}
	}
	s.mu.Unlock()
	from, to := s.pageRange(w, r, len(runs))
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(runs), "workflow_runs": append([]map[string]any{}, runs[from:to]...)})
}
