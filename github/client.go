// Package github is the GitHub side of pipecat-gitops: a small REST client
// for the calls the PR comment needs, the comment upsert itself (Comment),
// and the runner helpers for workflow commands, the job summary and step
// outputs.
//
// Contract: nothing here reads the environment; callers pass the token,
// repository and event through Options and CommentOptions. The token is
// sent only to the configured API host and never appears in an error or
// any other output. Requests are retried on network errors, 5xx, 429 and
// secondary rate limits with bounded, backed-off attempts; any other
// non-2xx answer is an *APIError carrying the status.
package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
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
	MaxAttempts    int           // per request, default 4
	MinBackoff     time.Duration // first retry delay, default 1s, doubled each retry
	MaxBackoff     time.Duration // cap of one backoff, default 30s
	MaxWait        time.Duration // longest Retry-After or rate-limit reset honoured, default 60s
	RequestTimeout time.Duration // per attempt, default 30s
	UserAgent      string        // default "pipecat-gitops"
}

// Client calls the GitHub REST API for one repository.
type Client struct {
	base  *url.URL
	owner string
	repo  string
	opts  Options
	hc    *http.Client
}

// New checks opts and returns a Client. A plain http:// base URL is refused
// unless the host is loopback, so the token never crosses a network in the
// clear.
func New(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, fmt.Errorf("github api url %q: not an http(s) URL", opts.BaseURL)
	}
	if base.Scheme == "http" && !isLoopback(base.Hostname()) {
		return nil, fmt.Errorf("github api url %q: plain http is allowed only for a loopback host", opts.BaseURL)
	}
	owner, repo, ok := strings.Cut(opts.Repo, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return nil, fmt.Errorf("github repository %q: want owner/name", opts.Repo)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 4
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 60 * time.Second
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 30 * time.Second
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "pipecat-gitops"
	}
	return &Client{base: base, owner: owner, repo: repo, opts: opts, hc: opts.HTTPClient}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
	return fmt.Sprintf("github: %s %s: %d %s", e.Method, e.Path, e.StatusCode, e.Message)
}

// PostedComment is an issue (pull request) comment or a commit comment;
// GitHub gives both these fields.
type PostedComment struct {
	ID      int64  `json:"id"`
	Body    string `json:"body"`
	HTMLURL string `json:"html_url"`
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

// CreateIssueComment posts a new comment on issue or pull request n.
func (c *Client) CreateIssueComment(ctx context.Context, n int, body string) (PostedComment, error) {
	var out PostedComment
	err := c.do(ctx, http.MethodPost, c.repoPath("/issues/%d/comments", n), map[string]string{"body": body}, &out)
	return out, err
}

// EditIssueComment replaces the body of issue comment id.
func (c *Client) EditIssueComment(ctx context.Context, id int64, body string) (PostedComment, error) {
	var out PostedComment
	err := c.do(ctx, http.MethodPatch, c.repoPath("/issues/comments/%d", id), map[string]string{"body": body}, &out)
	return out, err
}

// ListCommitComments returns every comment on commit sha.
func (c *Client) ListCommitComments(ctx context.Context, sha string) ([]PostedComment, error) {
	return listAll[PostedComment](ctx, c, c.repoPath("/commits/%s/comments?per_page=100", sha))
}

// CreateCommitComment posts a comment on commit sha.
func (c *Client) CreateCommitComment(ctx context.Context, sha, body string) (PostedComment, error) {
	var out PostedComment
	err := c.do(ctx, http.MethodPost, c.repoPath("/commits/%s/comments", sha), map[string]string{"body": body}, &out)
	return out, err
}

// EditCommitComment replaces the body of commit comment id.
func (c *Client) EditCommitComment(ctx context.Context, id int64, body string) (PostedComment, error) {
	var out PostedComment
	err := c.do(ctx, http.MethodPatch, c.repoPath("/comments/%d", id), map[string]string{"body": body}, &out)
	return out, err
}

// PullRequestsForCommit lists the pull requests associated with commit sha:
// the merged one that brought it to the default branch, or else the open
// ones that contain it.
func (c *Client) PullRequestsForCommit(ctx context.Context, sha string) ([]PullRequest, error) {
	return listAll[PullRequest](ctx, c, c.repoPath("/commits/%s/pulls?per_page=100", sha))
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
	return c.do(ctx, http.MethodPost, c.repoPath("/issues/%d/labels", n), map[string][]string{"labels": labels}, nil)
}

// RemoveIssueLabel removes label from issue or pull request n; a label
// that is not there is not an error.
func (c *Client) RemoveIssueLabel(ctx context.Context, n int, label string) error {
	err := c.do(ctx, http.MethodDelete, c.repoPath("/issues/%d/labels/%s", n, label), nil, nil)
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
	next := c.base.String() + path
	for next != "" {
		resp, err := c.send(ctx, http.MethodGet, next, nil)
		if err != nil {
			return all, err
		}
		var page []T
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			return all, fmt.Errorf("github: GET %s: decode: %w", resp.Request.URL.Path, err)
		}
		all = append(all, page...)
		next = nextLink(resp.Header.Get("Link"))
		// The token goes only to the API host; a Link elsewhere is a
		// misbehaving server, not a page to follow.
		if next != "" && !strings.HasPrefix(next, c.base.String()+"/") {
			return all, fmt.Errorf("github: GET %s: next page %q is outside the API", resp.Request.URL.Path, next)
		}
	}
	return all, nil
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
// JSON answer into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	resp, err := c.send(ctx, method, c.base.String()+path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("github: %s %s: decode: %w", method, resp.Request.URL.Path, err)
	}
	return nil
}

// send makes up to MaxAttempts attempts and returns the first 2xx answer,
// whose body the caller closes.
func (c *Client) send(ctx context.Context, method, rawURL string, body []byte) (*http.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("github: %s: bad url: %w", method, err)
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		resp, err := c.attempt(ctx, method, u, body)
		var wait time.Duration
		retry := false
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // its method and URL are said below
			}
			lastErr = fmt.Errorf("github: %s %s: %w", method, u.Path, err)
			retry = true
		case resp.StatusCode < 300:
			return resp, nil
		default:
			apiErr := readAPIError(method, u.Path, resp)
			lastErr = apiErr
			var limited bool
			wait, limited = rateLimitWait(resp, apiErr.Message, time.Now())
			switch {
			case limited:
				apiErr.RateLimited = true
				retry = wait <= c.opts.MaxWait
			case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
				retry = true
			}
		}
		if !retry || attempt >= c.opts.MaxAttempts {
			return nil, lastErr
		}
		if wait == 0 {
			wait = c.backoff(attempt)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func (c *Client) attempt(ctx context.Context, method string, u *url.URL, body []byte) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if c.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	// Keep the timeout's context alive until the caller has read the body.
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// backoff is exponential with full jitter in [d/2, d].
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.MinBackoff << (attempt - 1)
	if d > c.opts.MaxBackoff || d <= 0 {
		d = c.opts.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

func readAPIError(method, path string, resp *http.Response) *APIError {
	defer resp.Body.Close()
	var msg struct {
		Message string `json:"message"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(b, &msg)
	if msg.Message == "" {
		msg.Message = http.StatusText(resp.StatusCode)
	}
	return &APIError{Method: method, Path: path, StatusCode: resp.StatusCode, Message: msg.Message}
}

// rateLimitWait tells whether resp is a (primary or secondary) rate limit
// and how long GitHub asks to wait: Retry-After if given, else until
// x-ratelimit-reset when x-ratelimit-remaining is 0, else one minute for a
// secondary limit that names no time (GitHub's documented advice).
func rateLimitWait(resp *http.Response, message string, now time.Time) (time.Duration, bool) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if s, err := strconv.Atoi(ra); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
		if t, err := http.ParseTime(ra); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(s, 0).Sub(now)+time.Second, 0), true
		}
		return time.Minute, true
	}
	if strings.Contains(strings.ToLower(message), "secondary rate limit") {
		return time.Minute, true
	}
	return 0, false
}
