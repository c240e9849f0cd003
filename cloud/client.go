// Package cloud is a client for the Pipecat Cloud private REST API (/v1):
// agents, secret sets and regions, as design section 2 lists them.
//
// Contract:
//   - Requests and responses have different shapes (a create says
//     autoScaling.minAgents, a read answers autoScaling.minReplicas); the
//     wire types in types.go keep them apart, and package plan translates.
//   - Every call is retried on network errors (including a connection lost
//     after the request was sent), 429 (honouring Retry-After in seconds or
//     as an HTTP date, capped by Options.MaxRetryAfter) and 500/502/503/504,
//     with exponential backoff and full jitter, a bounded number of attempts
//     and a timeout per attempt. Other statuses are not retried. A retried
//     create may therefore answer "already exists" for the agent its lost
//     first attempt made; that error is returned as is (see IsAlreadyExists)
//     so the caller can read the agent back.
//   - The context is checked before every attempt and during every wait;
//     once it is done nothing more is sent and its error is returned wrapped.
//   - API errors are *Error values carrying method, path, status and the
//     API's code and message.
//   - The API key is sent only in the Authorization header. It is never
//     logged: Options.Logger receives method, path, status, duration,
//     attempt and error, never headers, and the key is scrubbed from any
//     error text a server echoes back.
//
// The package reads no flags and no environment variables: the caller passes
// the base URL and key in Options.
package cloud

import (
	"bytes"
	"context"
	"crypto/tls"
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

// DefaultBaseURL is the public Pipecat Cloud API, without the /v1 prefix.
const DefaultBaseURL = "https://api.pipecat.daily.co"

// Defaults of Options fields left zero.
const (
	defaultMaxAttempts    = 5
	defaultRequestTimeout = 30 * time.Second
	defaultMinBackoff     = 200 * time.Millisecond
	defaultMaxBackoff     = 10 * time.Second
	defaultMaxRetryAfter  = 60 * time.Second
	defaultUserAgent      = "pipecat-gitops"

	// maxResponseBytes bounds what is read from one response, so a broken
	// server cannot make the client allocate without limit.
	maxResponseBytes = 16 << 20
	// maxSnippet bounds the message taken from a non-JSON error body.
	maxSnippet = 200
)

// Options configures a Client. Zero values mean the documented defaults.
type Options struct {
	BaseURL        string           // "" = DefaultBaseURL; a trailing "/v1" (and "/") is accepted
	APIKey         string           // sent as "Authorization: Bearer ..."; never logged
	UserAgent      string           // e.g. "pipecat-gitops/1.2.3"
	HTTPClient     *http.Client     // nil = a client with sane transport timeouts
	MaxAttempts    int              // total tries per call, default 5
	RequestTimeout time.Duration    // per attempt, default 30s
	MinBackoff     time.Duration    // default 200ms; full jitter: sleep = rand(0, min(MaxBackoff, MinBackoff*2^attempt))
	MaxBackoff     time.Duration    // default 10s
	MaxRetryAfter  time.Duration    // cap on a server's Retry-After, default 60s
	Logger         func(RequestLog) // optional; called once per attempt
}

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
		status = strconv.Itoa(l.Status)
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
	base          string // scheme://host[/prefix], without /v1
	apiKey        string
	userAgent     string
	hc            *http.Client
	maxAttempts   int
	timeout       time.Duration
	minBackoff    time.Duration
	maxBackoff    time.Duration
	maxRetryAfter time.Duration
	logger        func(RequestLog)

	// Hooks so tests can observe waits without sleeping.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
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
	// A key pasted with its newline is still the key; anything else that
	// cannot go in a header is refused here rather than failing (and being
	// retried) on every request. The message must not quote the key.
	key := strings.TrimSpace(opts.APIKey)
	if strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, errors.New("API key contains spaces or control characters")
	}
	c := &Client{
		base:          base,
		apiKey:        key,
		userAgent:     opts.UserAgent,
		hc:            opts.HTTPClient,
		maxAttempts:   opts.MaxAttempts,
		timeout:       opts.RequestTimeout,
		minBackoff:    opts.MinBackoff,
		maxBackoff:    opts.MaxBackoff,
		maxRetryAfter: opts.MaxRetryAfter,
		logger:        opts.Logger,
		sleep:         sleepCtx,
		now:           time.Now,
	}
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent
	}
	if c.hc == nil {
		c.hc = defaultHTTPClient()
	}
	if c.maxAttempts <= 0 {
		c.maxAttempts = defaultMaxAttempts
	}
	if c.timeout <= 0 {
		c.timeout = defaultRequestTimeout
	}
	if c.minBackoff <= 0 {
		c.minBackoff = defaultMinBackoff
	}
	if c.maxBackoff <= 0 {
		c.maxBackoff = defaultMaxBackoff
	}
	if c.maxBackoff < c.minBackoff {
		c.maxBackoff = c.minBackoff
	}
	if c.maxRetryAfter <= 0 {
		c.maxRetryAfter = defaultMaxRetryAfter
	}
	return c, nil
}

// BaseURL reports the normalized base URL the client calls, without /v1.
func (c *Client) BaseURL() string { return c.base }

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
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("API URL is empty")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("API URL %q: %w", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("API URL %q: must start with https://", raw)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("API URL %q: no host", raw)
	}
	if u.User != nil {
		return "", fmt.Errorf("API URL %q: must not contain credentials; pass the key in PIPECAT_API_KEY", redactUser(u))
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("API URL %q: must not have a query or fragment", raw)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("API URL %q: plain http is allowed only for a loopback host (127.0.0.1, ::1, localhost); use https", raw)
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	p = strings.TrimSuffix(p, "/v1")
	p = strings.TrimRight(p, "/")
	return u.Scheme + "://" + u.Host + p, nil
}

func redactUser(u *url.URL) string {
	v := *u
	v.User = url.User("REDACTED")
	return v.String()
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ListAgents lists the organization's agents (GET /v1/agents).
func (c *Client) ListAgents(ctx context.Context) ([]ServiceListItem, error) {
	var out ListServicesResponse
	if err := c.do(ctx, http.MethodGet, "/v1/agents", nil, &out); err != nil {
		return nil, err
	}
	return out.Services, nil
}

// GetAgent reads one agent's details (GET /v1/agents/{name}).
func (c *Client) GetAgent(ctx context.Context, name string) (*ServiceDetails, error) {
	p, err := segmentPath("/v1/agents/", name)
	if err != nil {
		return nil, err
	}
	var out ServiceDetails
	if err := c.do(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateAgent creates an agent (POST /v1/agents). If an earlier attempt's
// response was lost, the retry answers "already exists": check
// IsAlreadyExists and read the agent back.
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
// makes a new deployment.
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

// DeleteAgent deletes an agent (DELETE /v1/agents/{name}). A retry after a
// lost response answers 404; callers treat IsNotFound as done.
func (c *Client) DeleteAgent(ctx context.Context, name string) error {
	p, err := segmentPath("/v1/agents/", name)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, p, nil, nil)
}

// ListSecretSets lists secret sets with their type, region and status
// (GET /v1/secrets).
func (c *Client) ListSecretSets(ctx context.Context) ([]SecretSetSummary, error) {
	var out ListSecretSetsResponse
	if err := c.do(ctx, http.MethodGet, "/v1/secrets", nil, &out); err != nil {
		return nil, err
	}
	return out.Sets, nil
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

// ListRegions lists the region codes agents can run in (GET /v1/regions).
func (c *Client) ListRegions(ctx context.Context) ([]Region, error) {
	var out ListRegionsResponse
	if err := c.do(ctx, http.MethodGet, "/v1/regions", nil, &out); err != nil {
		return nil, err
	}
	return out.Regions, nil
}

// segmentPath appends name as one escaped path segment. Empty, "." and ".."
// are refused: they would address a different resource.
func segmentPath(prefix, name string) (string, error) {
	if name == "" || name == "." || name == ".." {
		return "", fmt.Errorf("invalid name %q", name)
	}
	return prefix + url.PathEscape(name), nil
}

// do sends one call with retries and decodes a 2xx body into out (if not
// nil). path is the escaped path under the base, starting with /v1.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		// Marshalled once so every attempt re-sends the same bytes.
		body, err = json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		status, respBody, retryAfter, err := c.attempt(ctx, attempt, method, path, body)
		if err == nil {
			if out == nil || len(bytes.TrimSpace(respBody)) == 0 {
				return nil
			}
			if err := json.Unmarshal(respBody, out); err != nil {
				return fmt.Errorf("%s %s: decode response: %w", method, path, err)
			}
			return nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			// The caller gave up; the failure is a consequence, not news.
			return fmt.Errorf("%s %s: %w", method, path, ctxErr)
		}
		lastErr = err
		if !retryable(status, err) {
			return err
		}
		if attempt >= c.maxAttempts {
			return fmt.Errorf("%w (gave up after %d attempts)", lastErr, attempt)
		}
		wait := c.backoff(attempt)
		if retryAfter >= 0 {
			wait = min(retryAfter, c.maxRetryAfter)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
}

// attempt sends one request. It returns the status (0 without a response),
// the body of a 2xx response, the server's Retry-After (-1 if none) and an
// error for anything but 2xx.
func (c *Client) attempt(ctx context.Context, n int, method, path string, body []byte) (int, []byte, time.Duration, error) {
	start := time.Now()
	status, respBody, retryAfter, err := c.send(ctx, method, path, body)
	if c.logger != nil {
		c.logger(RequestLog{Method: method, Path: path, Status: status, Duration: time.Since(start), Attempt: n, Err: err})
	}
	return status, respBody, retryAfter, err
}

func (c *Client) send(ctx context.Context, method, path string, body []byte) (int, []byte, time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, c.base+path, r)
	if err != nil {
		return 0, nil, -1, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, -1, c.transportError(ctx, actx, method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return 0, nil, -1, c.transportError(ctx, actx, method, path, err)
	}
	if len(data) > maxResponseBytes {
		return resp.StatusCode, nil, -1, &Error{Method: method, Path: path, Status: resp.StatusCode, Message: fmt.Sprintf("response larger than %d bytes", maxResponseBytes)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, data, -1, nil
	}
	return resp.StatusCode, nil, c.retryAfter(resp.Header.Get("Retry-After")), c.apiError(method, path, resp.StatusCode, data)
}

// transportError describes a failure without a complete response. The
// *url.Error of net/http repeats the whole URL; the method and path are
// enough.
func (c *Client) transportError(ctx, actx context.Context, method, path string, err error) error {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s %s: attempt timed out after %s", method, path, c.timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s %s: %w", method, path, err)
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
	// A server (or a proxy in front of it) may echo the request; the key
	// must not travel on in an error message.
	e.Code, e.Message = c.redact(e.Code), c.redact(e.Message)
	return e
}

func (c *Client) redact(s string) string {
	if c.apiKey == "" {
		return s
	}
	return strings.ReplaceAll(s, c.apiKey, "REDACTED")
}

func snippet(data []byte) string {
	s := strings.Join(strings.Fields(string(data)), " ")
	if len(s) > maxSnippet {
		// Cut on a rune boundary.
		cut := maxSnippet
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// retryable reports whether a failed attempt may succeed when repeated.
func retryable(status int, err error) bool {
	switch status {
	case 0:
		// No response: the network failed, or the attempt timed out. A
		// certificate the client refuses will be refused again.
		var cve *tls.CertificateVerificationError
		return !errors.As(err, &cve)
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff is the full-jitter wait after the given 1-based attempt:
// uniform in [0, min(maxBackoff, minBackoff*2^(attempt-1))].
func (c *Client) backoff(attempt int) time.Duration {
	ceil := c.maxBackoff
	if shift := attempt - 1; shift < 30 {
		if d := c.minBackoff << shift; d > 0 && d < ceil {
			ceil = d
		}
	}
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

// retryAfter parses a Retry-After header (delay seconds or an HTTP date).
// It returns -1 when the header is absent or unusable.
func (c *Client) retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return -1
		}
		if secs > int64(c.maxRetryAfter/time.Second)+1 {
			return c.maxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(c.now()), 0)
	}
	return -1
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
