// Package github is the GitHub side of pipecat-gitops: a small REST client
// for the calls the PR comment needs, the comment upsert itself (Comment:
// the plan comment, the apply comments beside it, and on a push the pull
// requests merged since the last successful apply), and the runner helpers
// for workflow commands, the job summary and step outputs.
//
// Contract: nothing here reads the environment; callers pass the token,
// repository and event through Options and CommentOptions. The token is
// sent only to the configured API host and is never put into an error by
// this package; a message GitHub echoes it into is kept as sent (on one
// line), and the caller hides credentials where text leaves the process
// (package internal/redact), the comment body included. Requests are
// retried on network errors, 5xx, 429 and secondary rate limits with
// bounded, backed-off attempts (the rules of internal/httpcore, shared with
// package cloud); any other non-2xx answer is an *APIError carrying the
// status.
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/internal/httpcore"
)

// DefaultBaseURL is the API of github.com; GitHub Enterprise Server passes
// its own through GITHUB_API_URL.
const DefaultBaseURL = "https://api.github.com"

// Options configure a Client. Zero values take the defaults noted.
type Options struct {
	BaseURL        string // default DefaultBaseURL
	Token          string // sent as a bearer token
	Repo           string // "owner/name"
	HTTPClient     *http.Client
	MaxAttempts    int              // per request, default 5
	MinBackoff     time.Duration    // first backoff ceiling, default 200ms, doubled each retry (full jitter)
	MaxBackoff     time.Duration    // cap of one backoff, default 10s
	MaxWait        time.Duration    // longest Retry-After or rate-limit reset honoured, default 60s
	RequestTimeout time.Duration    // per attempt, default 30s
	UserAgent      string           // default "pipecat-gitops"
	OnRetry        func(RetryEvent) // optional; called before every wait for a retry
}

// RetryEvent describes a wait before a retry; String formats it as
// "waiting 30s before retrying GET /repos/o/r/issues/7/comments (502 Bad Gateway)".
type RetryEvent = httpcore.RetryEvent

// Client calls the GitHub REST API for one repository.
type Client struct {
	base    string // scheme://host[/path], no trailing slash
	graphql string // the GraphQL endpoint beside base
	owner   string
	repo    string
	token   string
	agent   string
	maxWait time.Duration
	core    *httpcore.Client
}

// New checks opts and returns a Client. A plain http:// base URL is refused
// unless the host is loopback, so the token never crosses a network in the
// clear.
func New(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	base, err := httpcore.ParseBase("github api url", opts.BaseURL)
	if err != nil {
		return nil, err
	}
	owner, repo, ok := strings.Cut(opts.Repo, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("github repository %q: want owner/name", opts.Repo)
	}
	token, err := httpcore.CheckCredential("github token", opts.Token)
	if err != nil {
		return nil, err
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "pipecat-gitops"
	}
	policy := httpcore.Policy{
		MaxAttempts:    opts.MaxAttempts,
		RequestTimeout: opts.RequestTimeout,
		MinBackoff:     opts.MinBackoff,
		MaxBackoff:     opts.MaxBackoff,
		MaxRetryAfter:  opts.MaxWait,
	}.WithDefaults()
	c := &Client{
		base: base, graphql: graphqlURL(base), owner: owner, repo: repo,
		token: token, agent: opts.UserAgent, maxWait: policy.MaxRetryAfter,
	}
	c.core = &httpcore.Client{HTTP: opts.HTTPClient, Policy: policy, Classify: c.classify, Prefix: "github: ", OnRetry: opts.OnRetry, Now: time.Now}
	return c, nil
}

// graphqlURL is the GraphQL endpoint of a REST base: api.github.com/graphql,
// and HOST/api/graphql for GitHub Enterprise Server's HOST/api/v3.
func graphqlURL(base string) string {
	if b, ok := strings.CutSuffix(base, "/api/v3"); ok {
		return b + "/api/graphql"
	}
	return base + "/graphql"
}

// APIError is a non-2xx answer that was not retried or ran out of retries.
type APIError struct {
	Method     string
	Path       string // URL path without host or query
	StatusCode int
	Message    string // GitHub's "message", or the status text
	// RateLimited is set when the answer was a rate limit whose wait
	// exceeded Options.MaxWait or outlasted the attempts.
	RateLimited bool
}

func (e *APIError) Error() string {
	return fmt.Sprintf("github: %s %s: %d %s", e.Method, e.Path, e.StatusCode, httpcore.OneLine(e.Message))
}

// PostedComment is an issue (pull request) comment or a commit comment;
// GitHub gives both these fields.
type PostedComment struct {
	ID      int64  `json:"id"`
	Body    string `json:"body"`
	HTMLURL string `json:"html_url"`
	User    struct {
		Login string `json:"login"`
	} `json:"user"`
}

// Viewer returns the login of the token's user, from the GraphQL query
// `{ viewer { login } }`: a workflow's token may read it there, not at
// GET /user.
func (c *Client) Viewer(ctx context.Context) (string, error) {
	resp, err := c.send(ctx, http.MethodPost, c.graphql, []byte(`{"query":"{ viewer { login } }"}`), false)
	if err != nil {
		return "", err
	}
	var out struct {
		Data *struct {
			Viewer struct {
				Login string `json:"login"`
			} `json:"viewer"`
		} `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		return "", fmt.Errorf("github: graphql viewer: decode: %w", err)
	}
	switch {
	case len(out.Errors) > 0:
		return "", fmt.Errorf("github: graphql viewer: %s", httpcore.OneLine(out.Errors[0].Message))
	case out.Data == nil || out.Data.Viewer.Login == "":
		return "", errors.New("github: graphql viewer: no login in the answer")
	}
	return out.Data.Viewer.Login, nil
}

// PullRequest is the part of a pull request that comment needs.
type PullRequest struct {
	Number         int        `json:"number"`
	State          string     `json:"state"`
	MergedAt       *time.Time `json:"merged_at"`
	MergeCommitSHA string     `json:"merge_commit_sha"`
}

func (c *Client) repoPath(format string, args ...any) string {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = url.PathEscape(s)
		}
	}
	return "/repos/" + url.PathEscape(c.owner) + "/" + url.PathEscape(c.repo) + fmt.Sprintf(format, args...)
}

// ListIssueComments returns every comment of issue or pull request n,
// following the Link header's next pages.
func (c *Client) ListIssueComments(ctx context.Context, n int) ([]PostedComment, error) {
	return listAll[PostedComment](ctx, c, c.repoPath("/issues/%d/comments?per_page=100", n))
}

// CreateIssueComment posts a new comment on issue or pull request n. It is
// not repeated once GitHub may have stored it: such a failure wraps
// httpcore.ErrUnknownOutcome, and the caller looks before posting again.
func (c *Client) CreateIssueComment(ctx context.Context, n int, body string) (PostedComment, error) {
	var out PostedComment
	err := c.do(ctx, http.MethodPost, c.repoPath("/issues/%d/comments", n), map[string]string{"body": body}, &out, true)
	return out, err
}

// EditIssueComment replaces the body of issue comment id.
func (c *Client) EditIssueComment(ctx context.Context, id int64, body string) (PostedComment, error) {
	var out PostedComment
	err := c.do(ctx, http.MethodPatch, c.repoPath("/issues/comments/%d", id), map[string]string{"body": body}, &out, false)
	return out, err
}

// ListCommitComments returns every comment on commit sha.
func (c *Client) ListCommitComments(ctx context.Context, sha string) ([]PostedComment, error) {
	return listAll[PostedComment](ctx, c, c.repoPath("/commits/%s/comments?per_page=100", sha))
}

// CreateCommitComment posts a comment on commit sha; like
// CreateIssueComment, it is not repeated blindly.
func (c *Client) CreateCommitComment(ctx context.Context, sha, body string) (PostedComment, error) {
	var out PostedComment
	err := c.do(ctx, http.MethodPost, c.repoPath("/commits/%s/comments", sha), map[string]string{"body": body}, &out, true)
	return out, err
}

// EditCommitComment replaces the body of commit comment id.
func (c *Client) EditCommitComment(ctx context.Context, id int64, body string) (PostedComment, error) {
	var out PostedComment
	err := c.do(ctx, http.MethodPatch, c.repoPath("/comments/%d", id), map[string]string{"body": body}, &out, false)
	return out, err
}

// PullRequestsForCommit lists the pull requests associated with commit sha:
// the merged one that brought it to the default branch, or else the open
// ones that contain it.
func (c *Client) PullRequestsForCommit(ctx context.Context, sha string) ([]PullRequest, error) {
	return listAll[PullRequest](ctx, c, c.repoPath("/commits/%s/pulls?per_page=100", sha))
}

// WorkflowRun is the part of a workflow run that comment needs.
type WorkflowRun struct {
	ID         int64  `json:"id"`
	WorkflowID int64  `json:"workflow_id"`
	HeadSHA    string `json:"head_sha"`
}

// WorkflowRun reads workflow run id; the token needs "actions: read".
func (c *Client) WorkflowRun(ctx context.Context, id int64) (WorkflowRun, error) {
	var out WorkflowRun
	err := c.do(ctx, http.MethodGet, c.repoPath("/actions/runs/%d", id), nil, &out, false)
	return out, err
}

// SuccessfulPushRuns returns the newest n (at most 100) successful runs of
// workflow id for pushes to branch, newest first; the token needs
// "actions: read".
func (c *Client) SuccessfulPushRuns(ctx context.Context, workflowID int64, branch string, n int) ([]WorkflowRun, error) {
	q := url.Values{"branch": {branch}, "event": {"push"}, "status": {"success"}, "per_page": {strconv.Itoa(min(n, 100))}}
	var out struct {
		Runs []WorkflowRun `json:"workflow_runs"`
	}
	err := c.do(ctx, http.MethodGet, c.repoPath("/actions/workflows/%d/runs", workflowID)+"?"+q.Encode(), nil, &out, false)
	return out.Runs, err
}

// Commit is a commit as a comparison lists it.
type Commit struct {
	SHA     string `json:"sha"`
	Parents []struct {
		SHA string `json:"sha"`
	} `json:"parents"`
}

// Comparison is what GitHub's base...head comparison holds: the commits
// reachable from head and not from base, oldest first.
type Comparison struct {
	TotalCommits int      `json:"total_commits"`
	Commits      []Commit `json:"commits"`
}

// Compare compares base...head. It reads every page of commits when there
// are at most max of them, else only the first: the caller checks
// TotalCommits.
func (c *Client) Compare(ctx context.Context, base, head string, max int) (Comparison, error) {
	var out Comparison
	err := c.pages(ctx, c.repoPath("/compare/%s...%s?per_page=100", base, head), func(resp *httpcore.Response) (bool, error) {
		var page Comparison
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			return false, err
		}
		out.TotalCommits = page.TotalCommits
		out.Commits = append(out.Commits, page.Commits...)
		return len(page.Commits) > 0 && out.TotalCommits <= max && len(out.Commits) < out.TotalCommits, nil
	})
	return out, err
}

// IssueLabels returns the names of the labels on issue or pull request n.
func (c *Client) IssueLabels(ctx context.Context, n int) ([]string, error) {
	labels, err := listAll[struct {
		Name string `json:"name"`
	}](ctx, c, c.repoPath("/issues/%d/labels?per_page=100", n))
	names := make([]string, len(labels))
	for i, l := range labels {
		names[i] = l.Name
	}
	return names, err
}

// AddIssueLabels adds labels to issue or pull request n, keeping the
// others; GitHub creates a label the repository does not have yet.
func (c *Client) AddIssueLabels(ctx context.Context, n int, labels []string) error {
	return c.do(ctx, http.MethodPost, c.repoPath("/issues/%d/labels", n), map[string][]string{"labels": labels}, nil, false)
}

// RemoveIssueLabel removes label from issue or pull request n; a label
// that is not there is not an error.
func (c *Client) RemoveIssueLabel(ctx context.Context, n int, label string) error {
	err := c.do(ctx, http.MethodDelete, c.repoPath("/issues/%d/labels/%s", n, label), nil, nil, false)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound {
		return nil
	}
	return err
}

// listAll GETs path and every page its Link header points to, decoding
// each page as a JSON array of T.
func listAll[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var all []T
	err := c.pages(ctx, path, func(resp *httpcore.Response) (bool, error) {
		var page []T
		if err := json.Unmarshal(resp.Body, &page); err != nil {
			return false, err
		}
		all = append(all, page...)
		return true, nil
	})
	return all, err
}

// pages GETs path and, while read asks for more, every next page its
// Link header points to.
func (c *Client) pages(ctx context.Context, path string, read func(*httpcore.Response) (more bool, err error)) error {
	next := c.base + path
	for next != "" {
		resp, err := c.send(ctx, http.MethodGet, next, nil, false)
		if err != nil {
			return err
		}
		more, err := read(resp)
		if err != nil {
			return fmt.Errorf("github: GET %s: decode: %w", resp.URL.Path, err)
		}
		if !more {
			return nil
		}
		next = nextLink(resp.Header.Get("Link"))
		// The token goes only to the API host; a Link elsewhere is a
		// misbehaving server, not a page to follow.
		if next != "" && !strings.HasPrefix(next, c.base+"/") {
			return fmt.Errorf("github: GET %s: next page %q is outside the API", resp.URL.Path, next)
		}
	}
	return nil
}

// nextLink returns the rel="next" URL of a Link header, or "".
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			if strings.TrimSpace(p) == `rel="next"` {
				return strings.Trim(strings.TrimSpace(target), "<>")
			}
		}
	}
	return ""
}

// do sends one request with a JSON body (if in is not nil) and decodes a
// JSON answer into out (if not nil). once marks a request that must not be
// repeated blindly; without it even a POST is (see httpcore.Request).
func (c *Client) do(ctx context.Context, method, path string, in, out any, once bool) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	resp, err := c.send(ctx, method, c.base+path, body, once)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return fmt.Errorf("github: %s %s: decode: %w", method, resp.URL.Path, err)
	}
	return nil
}

// send makes the attempts of one request and returns its 2xx answer.
func (c *Client) send(ctx context.Context, method, rawURL string, body []byte, once bool) (*httpcore.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("github: %s: bad url: %w", method, err)
	}
	req := &httpcore.Request{Method: method, URL: rawURL, Path: u.Path, Header: http.Header{}, Body: body, OnceOnly: once, Idempotent: !once}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", c.agent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.core.Do(ctx, req)
}

// classify reads a non-2xx answer: 5xx and 429 are retried; a rate limit
// (primary or secondary, also on 403) is waited for when GitHub asks for
// no longer than MaxWait.
func (c *Client) classify(req *httpcore.Request, resp *httpcore.Response) httpcore.Verdict {
	var msg struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(resp.Body, &msg)
	if msg.Message == "" {
		msg.Message = http.StatusText(resp.Status)
	}
	apiErr := &APIError{Method: req.Method, Path: req.Path, StatusCode: resp.Status, Message: msg.Message}
	v := httpcore.Verdict{Err: apiErr, Wait: -1}
	wait, limited := rateLimitWait(resp.Status, resp.Header, msg.Message, c.core.Now())
	switch {
	case limited:
		apiErr.RateLimited = true
		v.Retry, v.Wait, v.RateLimited = wait <= c.maxWait, wait, true
	case resp.Status >= 500 || resp.Status == http.StatusTooManyRequests:
		v.Retry, v.RateLimited = true, resp.Status == http.StatusTooManyRequests
	}
	return v
}

// rateLimitWait tells whether an answer is a (primary or secondary) rate
// limit and how long GitHub asks to wait: Retry-After if given, else until
// x-ratelimit-reset when x-ratelimit-remaining is 0, else one minute for a
// secondary limit that names no time (GitHub's documented advice).
func rateLimitWait(status int, h http.Header, message string, now time.Time) (time.Duration, bool) {
	if status != http.StatusForbidden && status != http.StatusTooManyRequests {
		return 0, false
	}
	if d := httpcore.ParseRetryAfter(h.Get("Retry-After"), now); d >= 0 {
		return d, true
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(s, 0).Sub(now)+time.Second, 0), true
		}
		return time.Minute, true
	}
	if strings.Contains(strings.ToLower(message), "secondary rate limit") {
		return time.Minute, true
	}
	return 0, false
}
