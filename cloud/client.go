// Package cloud is a client for the Pipecat Cloud private REST API (/v1):
// agents, secret sets, regions and cloud builds (builds.go).
//
//   - The wire types (types.go) keep request and response shapes apart;
//     package plan translates between them and schema.Spec.
//   - Calls are retried on network errors, 429 and 500/502/503/504 with
//     bounded, backed-off attempts (internal/httpcore). A POST (an agent's
//     create or update, a build) and an agent's DELETE are not repeated
//     once the API may have acted on them: the call ends in an error
//     wrapping ErrUnknownOutcome and the caller looks before sending again.
//   - Options.MaxInFlight bounds the requests in flight across goroutines
//     and adapts to 429s; Options.OnRetry hears of every wait.
//   - API errors are *Error values; a 2xx answer that is not what the call
//     asked for is an error, never an empty result.
//   - The API key goes only into the Authorization header; build contexts
//     are uploaded without it. Answers are decoded as sent, never
//     rewritten: credentials are hidden where text leaves the process
//     (package internal/redact).
//   - Nothing here prints or reads flags or the environment: the caller
//     passes the base URL and key in Options.
//
// docs/architecture.md says why each rule is what it is.
package cloud

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/internal/httpcore"
)

// DefaultBaseURL is the public Pipecat Cloud API, without the /v1 prefix.
const DefaultBaseURL = "https://api.pipecat.daily.co"

// defaultMaxAttempts is higher than the GitHub client's 5: a plan reads
// one agent per request, and at a 30% fault rate (429s and 5xx) five
// tries leave a 0.3% chance per read, so a plan of 100 agents gave up one
// run in four; eight tries leave 0.007%. Writes whose answer may be lost
// are sent once anyway (apply reads them back).
const defaultMaxAttempts = 8

const (
	defaultUserAgent = "pipecat-gitops"
	// maxSnippet bounds the message taken from a non-JSON error body.
	maxSnippet = 200
	// maxWord bounds how far past maxSnippet a snippet runs to end a word.
	maxWord = 100
)

// Options configures a Client. Zero values mean the documented defaults.
type Options struct {
	BaseURL        string           // "" = DefaultBaseURL; a trailing "/v1" (and "/") is accepted
	APIKey         string           // sent as "Authorization: Bearer ..."; never logged
	UserAgent      string           // e.g. "pipecat-gitops/1.2.3"
	HTTPClient     *http.Client     // nil = a client with sane transport timeouts
	MaxAttempts    int              // total tries per call, default 8
	RequestTimeout time.Duration    // per attempt, default 30s
	MinBackoff     time.Duration    // default 200ms; full jitter: sleep = rand(0, min(MaxBackoff, MinBackoff*2^attempt))
	MaxBackoff     time.Duration    // default 10s
	MaxRetryAfter  time.Duration    // cap on a server's Retry-After, default 60s
	Logger         func(RequestLog) // optional; called once per attempt
	OnRetry        func(RetryEvent) // optional; called before every wait for a retry
	// MaxInFlight bounds the requests in flight across every goroutine
	// using the client (pass --parallelism); 0 means no bound. Under 429s
	// the bound adapts: halved on a 429, raised by one on every success,
	// never above MaxInFlight.
	MaxInFlight int
}

// RetryEvent describes a wait before a retry; String formats it as
// "waiting 30s before retrying GET /v1/agents (429 Too Many Requests)".
type RetryEvent = httpcore.RetryEvent

// Stats counts what a client sent: attempts, retries, 429s and the
// current and lowest bound on requests in flight.
type Stats = httpcore.Stats

// RequestLog describes one attempt of one call. It never holds headers, so
// it never holds the API key.
type RequestLog struct {
	Method   string
	Path     string // without scheme and host, e.g. "/v1/agents/voice-starter"
	Status   int    // 0 when no response arrived
	Duration time.Duration
	Attempt  int   // 1-based
	Err      error // nil on success
}

// String formats l as one -v log line, e.g.
// "POST /v1/agents 503 48ms (attempt 1): 503 Service Unavailable: overloaded".
func (l RequestLog) String() string {
	status := "-"
	if l.Status != 0 {
		status = fmt.Sprint(l.Status)
	}
	d := l.Duration.Round(time.Millisecond)
	if l.Duration < time.Millisecond {
		d = l.Duration.Round(time.Microsecond)
	}
	s := fmt.Sprintf("%s %s %s %s (attempt %d)", l.Method, l.Path, status, d, l.Attempt)
	if l.Err != nil {
		// The error repeats method and path; say them once.
		s += ": " + strings.TrimPrefix(l.Err.Error(), l.Method+" "+l.Path+": ")
	}
	return s
}

// Client calls the Pipecat Cloud API. It is safe for concurrent use.
type Client struct {
	base      string // scheme://host[/prefix], without /v1
	apiKey    string
	userAgent string
	core      *httpcore.Client
	// upload sends build contexts to the storage an upload URL names:
	// the same rules, a longer timeout, storage errors, no API key.
	upload *httpcore.Client
}

// New returns a client for opts. It fails if the base URL is not acceptable
// (see NormalizeBaseURL).
func New(opts Options) (*Client, error) {
	raw := opts.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := NormalizeBaseURL(raw)
	if err != nil {
		return nil, err
	}
	key, err := httpcore.CheckCredential("API key", opts.APIKey)
	if err != nil {
		return nil, err
	}
	c := &Client{base: base, apiKey: key, userAgent: opts.UserAgent}
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent
	}
	c.core = &httpcore.Client{
		HTTP: opts.HTTPClient,
		Policy: httpcore.Policy{
			MaxAttempts:    cmp.Or(opts.MaxAttempts, defaultMaxAttempts),
			RequestTimeout: opts.RequestTimeout,
			MinBackoff:     opts.MinBackoff,
			MaxBackoff:     opts.MaxBackoff,
			MaxRetryAfter:  opts.MaxRetryAfter,
		}.WithDefaults(),
		Classify: c.classify,
		OnRetry:  opts.OnRetry,
	}
	if c.core.HTTP == nil {
		c.core.HTTP = defaultHTTPClient()
	}
	if opts.MaxInFlight > 0 {
		c.core.Limiter = httpcore.NewLimiter(opts.MaxInFlight)
	}
	if opts.Logger != nil {
		c.core.OnAttempt = func(a httpcore.Attempt) { opts.Logger(RequestLog(a)) }
	}
	c.upload = &httpcore.Client{
		HTTP: c.core.HTTP, Policy: c.core.Policy, Classify: c.classifyUpload,
		OnAttempt: c.core.OnAttempt, OnRetry: c.core.OnRetry, Limiter: c.core.Limiter,
	}
	c.upload.Policy.RequestTimeout = max(c.upload.Policy.RequestTimeout, uploadTimeout)
	return c, nil
}

// Close closes the client's idle connections, as the end of the process
// would: a server shutting down gracefully waits for an idle connection
// that never carried a request.
func (c *Client) Close() { c.core.HTTP.CloseIdleConnections() }

// BaseURL reports the normalized base URL the client calls, without /v1.
func (c *Client) BaseURL() string { return c.base }

// Stats reports what the client has sent so far, for benchmarks and
// progress.
func (c *Client) Stats() Stats { return c.core.Stats() }

func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	// Plan and apply run up to --parallelism (default 8) calls at once
	// against one host; keep those connections for reuse.
	t.MaxIdleConnsPerHost = 16
	return &http.Client{
		Transport: t,
		// The API does not redirect. Following one could carry the key to
		// a plain-http URL that NormalizeBaseURL would have refused, so a
		// 3xx is returned as an *Error instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// NormalizeBaseURL checks an API base URL and returns it without a trailing
// "/" or "/v1": "https://x/v1/" becomes "https://x". Only https is accepted,
// except plain http to a loopback host (127.0.0.0/8, ::1, localhost), where
// the key does not cross a network. User info, queries and fragments are
// refused: they would end up in logs or be silently dropped.
func NormalizeBaseURL(raw string) (string, error) {
	base, err := httpcore.ParseBase("API URL", raw)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("API URL %q: %w", raw, err)
	}
	p := strings.TrimRight(strings.TrimSuffix(u.EscapedPath(), "/v1"), "/")
	return u.Scheme + "://" + u.Host + p, nil
}

// ListAgents lists the organization's agents (GET /v1/agents). An answer
// without the list is an error, never an empty organization.
func (c *Client) ListAgents(ctx context.Context) ([]ServiceListItem, error) {
	return list[ServiceListItem](ctx, c, "/v1/agents", "services")
}

// GetAgent reads one agent's details (GET /v1/agents/{name}). An answer that
// is not that agent (empty, null, {} or another agent's name) is an error.
func (c *Client) GetAgent(ctx context.Context, name string) (*ServiceDetails, error) {
	p, err := segmentPath("/v1/agents/", name)
	if err != nil {
		return nil, err
	}
	body, err := c.call(ctx, http.MethodGet, p, nil)
	if err != nil {
		return nil, err
	}
	if err := checkObject(http.MethodGet, p, body); err != nil {
		return nil, err
	}
	var out ServiceDetails
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("GET %s: decode response: %w", p, err)
	}
	switch out.Name {
	case name:
		return &out, nil
	case "":
		return nil, malformed(http.MethodGet, p, "the answer names no agent")
	}
	return nil, malformed(http.MethodGet, p, "the answer is agent %q, not %q", out.Name, name)
}

// CreateAgent creates an agent (POST /v1/agents). It answers "already
// exists" (IsAlreadyExists) when the agent exists; a lost answer is not
// retried (ErrUnknownOutcome): read the agent back.
func (c *Client) CreateAgent(ctx context.Context, req *CreateServiceRequest) (*ServiceDetails, error) {
	if req == nil {
		return nil, errors.New("create agent: nil request")
	}
	var out ServiceDetails
	if err := c.do(ctx, http.MethodPost, "/v1/agents", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateAgent updates an agent in place (POST /v1/agents/{name}); each update
// makes a new deployment, so a lost answer is not retried
// (ErrUnknownOutcome): read the agent back.
func (c *Client) UpdateAgent(ctx context.Context, name string, req *UpdateServiceRequest) (*ServiceDetails, error) {
	if req == nil {
		return nil, fmt.Errorf("update agent %s: nil request", name)
	}
	p, err := segmentPath("/v1/agents/", name)
	if err != nil {
		return nil, err
	}
	var out ServiceDetails
	if err := c.do(ctx, http.MethodPost, p, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteAgent deletes an agent (DELETE /v1/agents/{name}). A lost answer
// is not retried (ErrUnknownOutcome): read the agent back. 404 means
// someone else deleted it first.
func (c *Client) DeleteAgent(ctx context.Context, name string) error {
	p, err := segmentPath("/v1/agents/", name)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, p, nil, nil)
}

// ListSecretSets lists secret sets with their type, region and status
// (GET /v1/secrets). An answer without the list is an error.
func (c *Client) ListSecretSets(ctx context.Context) ([]SecretSetSummary, error) {
	return list[SecretSetSummary](ctx, c, "/v1/secrets", "sets")
}

// GetSecretSet reads one secret set: its key names, never its values
// (GET /v1/secrets/{name}).
func (c *Client) GetSecretSet(ctx context.Context, name string) (*SecretSetDetails, error) {
	p, err := segmentPath("/v1/secrets/", name)
	if err != nil {
		return nil, err
	}
	var out SecretSetDetails
	if err := c.do(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PutSecretSet creates or updates a secret set (PUT /v1/secrets/{name});
// the API accepts it with 202 and makes it ready later.
func (c *Client) PutSecretSet(ctx context.Context, name string, req *SecretSetRequest) (*SecretSetAccepted, error) {
	if req == nil {
		return nil, fmt.Errorf("put secret set %s: nil request", name)
	}
	p, err := segmentPath("/v1/secrets/", name)
	if err != nil {
		return nil, err
	}
	var out SecretSetAccepted
	if err := c.do(ctx, http.MethodPut, p, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteSecretSet deletes a secret set and its values (DELETE
// /v1/secrets/{name}). A retry after a lost response answers 404; callers
// treat IsNotFound as done.
func (c *Client) DeleteSecretSet(ctx context.Context, name string) error {
	p, err := segmentPath("/v1/secrets/", name)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, p, nil, nil)
}

// DeleteSecretKey deletes one key, and its value, from a secret set of
// type secret (DELETE /v1/secrets/{name}/{key}). A retry after a lost
// response answers 404; callers treat IsNotFound as done. Logs, retry
// events and errors show the path as /v1/secrets/{name}/{key}: a key's
// name may carry a fingerprint of the set's values, which pipecat-gitops
// never prints.
func (c *Client) DeleteSecretKey(ctx context.Context, name, key string) error {
	set, err := segmentPath("/v1/secrets/", name)
	if err != nil {
		return err
	}
	p, err := segmentPath(set+"/", key)
	if err != nil {
		return err
	}
	_, err = c.send(ctx, http.MethodDelete, p, set+"/{key}", nil)
	return err
}

// ListRegions lists the region codes agents can run in (GET /v1/regions).
// An answer without the list is an error.
func (c *Client) ListRegions(ctx context.Context) ([]Region, error) {
	return list[Region](ctx, c, "/v1/regions", "regions")
}

// list GETs path and returns the list under key of its answer. An empty
// organization answers an empty list; an answer without one (no body, 204,
// null, {}, a null list) is refused rather than taken for an empty
// organization, which with prune would plan the wrong thing.
func list[T any](ctx context.Context, c *Client, path, key string) ([]T, error) {
	body, err := c.call(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	if err := checkObject(http.MethodGet, path, body); err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, fmt.Errorf("GET %s: decode response: %w", path, err)
	}
	raw, ok := obj[key]
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		return nil, malformed(http.MethodGet, path, "the answer has no %q list", key)
	}
	var items []T
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("GET %s: decode response: %w", path, err)
	}
	return items, nil
}

// checkObject refuses an answer that is empty or null where the call
// promises an object.
func checkObject(method, path string, body []byte) error {
	switch string(bytes.TrimSpace(body)) {
	case "":
		return malformed(method, path, "the answer is empty")
	case "null":
		return malformed(method, path, "the answer is null")
	}
	return nil
}

// malformed is the error for a 2xx answer that is not what the call asks
// for, e.g. "GET /v1/agents: malformed answer: the answer is empty".
func malformed(method, path, format string, args ...any) error {
	return fmt.Errorf("%s %s: malformed answer: %s", method, path, fmt.Sprintf(format, args...))
}

// segmentPath appends name as one escaped path segment. Empty, "." and ".."
// are refused: they would address a different resource.
func segmentPath(prefix, name string) (string, error) {
	if name == "" || name == "." || name == ".." {
		return "", fmt.Errorf("invalid name %q", name)
	}
	return prefix + url.PathEscape(name), nil
}

// idempotent marks a POST that may be sent again after its answer was
// lost (httpcore sends every other POST once).
type idempotent bool

// do sends one call with retries and decodes a 2xx body into out (if not
// nil). path is the escaped path under the base, starting with /v1.
func (c *Client) do(ctx context.Context, method, path string, in, out any, idem ...idempotent) error {
	body, err := c.call(ctx, method, path, in, idem...)
	if err != nil || out == nil || len(bytes.TrimSpace(body)) == 0 {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return nil
}

// call sends one call with retries and returns the body of its 2xx answer
// as sent.
func (c *Client) call(ctx context.Context, method, path string, in any, idem ...idempotent) ([]byte, error) {
	return c.send(ctx, method, path, path, in, idem...)
}

// send is call with the path as logs and errors show it (display).
func (c *Client) send(ctx context.Context, method, path, display string, in any, idem ...idempotent) ([]byte, error) {
	req := &httpcore.Request{Method: method, URL: c.base + path, Path: display, Header: http.Header{},
		OnceOnly: agentDelete(method, path), Idempotent: len(idem) > 0 && bool(idem[0])}
	if in != nil {
		var err error
		// Marshalled once so every attempt re-sends the same bytes.
		if req.Body, err = json.Marshal(in); err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", method, display, err)
		}
		req.Header.Set("Content-Type", "application/json")
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	resp, err := c.core.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// agentDelete reports whether a call deletes an agent: sent once the API
// may have acted on it, as every POST is (see the package contract), so
// that a second answer's 404 does not hide the first's success.
func agentDelete(method, path string) bool {
	return method == http.MethodDelete && strings.HasPrefix(path, "/v1/agents/")
}

// classify turns a non-2xx answer into an *Error, retried on 429 and the
// 5xx statuses that mean "try again".
func (c *Client) classify(req *httpcore.Request, resp *httpcore.Response) httpcore.Verdict {
	v := httpcore.Verdict{Err: c.apiError(req.Method, req.Path, resp.Status, resp.Body), Wait: -1, Retry: retryable(resp.Status)}
	if resp.Status == http.StatusConflict {
		// The spec's answer to a PUT of a secret set that another request
		// is modifying: "Retry the request." A 409 elsewhere (a deploy
		// binding a set that is not ready) is not retried: waiting for
		// readiness is the caller's job.
		v.Retry = req.Method == http.MethodPut && strings.HasPrefix(req.Path, "/v1/secrets/")
	}
	v.RateLimited = resp.Status == http.StatusTooManyRequests
	return v
}

// retryable reports whether an answer's status means "try again": 429 and
// the 5xx statuses of an overloaded or restarting server.
func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// apiError decodes an error body into *Error, falling back to a snippet of
// the body when it is not the API's {"error","code"} JSON.
func (c *Client) apiError(method, path string, status int, data []byte) *Error {
	e := &Error{Method: method, Path: path, Status: status}
	var er ErrorResponse
	if json.Unmarshal(data, &er) == nil && (er.Error != "" || er.Code != "") {
		e.Code, e.Message = er.Code, er.Error
	} else {
		e.Message = snippet(data)
	}
	return e
}

// snippet is a non-JSON error body on one line, cut after maxSnippet
// bytes at the end of a word: a word cut in two could keep a piece of a
// credential too short to be recognised where text is redacted. A word
// that runs on for more than maxWord past the cut is left out whole.
func snippet(data []byte) string {
	s := strings.Join(strings.Fields(string(data)), " ")
	if len(s) <= maxSnippet {
		return s
	}
	cut := maxSnippet
	if end := strings.IndexByte(s[cut:], ' '); end >= 0 && end <= maxWord {
		cut += end
	} else if end < 0 && len(s)-cut <= maxWord {
		return s
	} else {
		cut = strings.LastIndexByte(s[:cut], ' ')
		if cut < 0 {
			return "..."
		}
	}
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
