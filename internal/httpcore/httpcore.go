// Package httpcore is the HTTP machinery the Pipecat Cloud client (package
// cloud) and the GitHub client (package github) share, so both retry, wait
// and guard their credentials by one set of rules.
//
//   - Client.Do makes bounded attempts of one request, each with its own
//     timeout; network failures are retried (not HostFailure: a name that
//     does not resolve, a refused TLS handshake or certificate),
//     answers when the caller's Classify says so. Waits honour Retry-After,
//     capped, else exponential backoff with full jitter.
//   - A POST is sent once unless marked Idempotent, another method unless
//     marked OnceOnly; sent once, it is retried only when the server
//     certainly did not act on it, and any other failure wraps
//     ErrUnknownOutcome.
//   - Once the context is done nothing more is sent. OnRetry hears of every
//     wait; nothing here prints.
//   - An optional Limiter bounds requests in flight and adapts to 429s.
//   - ParseBase allows https, or plain http to a loopback host only;
//     answers are returned as sent (credentials are hidden where text
//     leaves the process, by package internal/redact); OneLine keeps a
//     server's message on one line.
package httpcore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Policy bounds the attempts of one call. Zero fields take the defaults
// WithDefaults documents; both API clients share them.
type Policy struct {
	MaxAttempts    int           // tries per call, default 5
	RequestTimeout time.Duration // per attempt, default 30s
	MinBackoff     time.Duration // first backoff ceiling, default 200ms, doubled each retry
	MaxBackoff     time.Duration // backoff ceiling, default 10s
	MaxRetryAfter  time.Duration // longest server-asked wait honoured, default 60s
}

// WithDefaults fills p's zero fields.
func (p Policy) WithDefaults() Policy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.RequestTimeout <= 0 {
		p.RequestTimeout = 30 * time.Second
	}
	if p.MinBackoff <= 0 {
		p.MinBackoff = 200 * time.Millisecond
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 10 * time.Second
	}
	p.MaxBackoff = max(p.MaxBackoff, p.MinBackoff)
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 60 * time.Second
	}
	return p
}

// MaxBody bounds what is read of one answer, so a broken server cannot make
// a client allocate without limit.
const MaxBody = 16 << 20

// ErrUnknownOutcome marks the failure of a request sent once whose answer
// was lost or was a server error: the server may have acted on it, so it
// was not repeated.
var ErrUnknownOutcome = errors.New("not repeated: the request may have been applied")

// Request is one call. Body is sent whole on every attempt.
type Request struct {
	Method string
	URL    string // absolute
	Path   string // as errors and logs name it, e.g. "/v1/agents"
	Header http.Header
	Body   []byte
	// Stream, when set, is the body instead of Body, for one too large to
	// hold: opened anew for each attempt, StreamLen bytes long.
	Stream    func() (io.ReadCloser, error)
	StreamLen int64
	// Idempotent marks a POST that may be repeated after the server may
	// have acted on it; without it a POST is sent once (see sentOnce).
	Idempotent bool
	// OnceOnly marks a request of another method that must not be
	// repeated after the server may have acted on it.
	OnceOnly bool
}

// sentOnce reports whether req must not be repeated once the server may
// have acted on it.
func (req *Request) sentOnce() bool {
	if req.Method == http.MethodPost {
		return !req.Idempotent
	}
	return req.OnceOnly
}

// Response is a complete answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	URL    *url.URL // of the request, for following links
}

// Verdict is a client's reading of a non-2xx answer.
type Verdict struct {
	Err   error // returned if the call ends here
	Retry bool
	// Wait is how long the server asked to wait; < 0 means: its
	// Retry-After header if usable, else backoff.
	Wait time.Duration
	// RateLimited says the server refused for load (429 or GitHub's
	// limits): it did not act, and the Limiter slows down.
	RateLimited bool

	unsent bool // the connection failed before the request went out
}

// Attempt describes one attempt for a log. It never holds headers, so it
// never holds a credential.
type Attempt struct {
	Method   string
	Path     string
	Status   int // 0 when no answer arrived
	Duration time.Duration
	Attempt  int   // 1-based
	Err      error // nil on success
}

// RetryEvent is said before every wait for a retry.
type RetryEvent struct {
	Method  string
	Path    string
	Attempt int // the attempt that failed, 1-based
	Wait    time.Duration
	Reason  string // e.g. "429 Too Many Requests", "connection reset by peer"
}

// String formats e for a progress line, e.g.
// "waiting 30s before retrying GET /v1/agents (429 Too Many Requests)".
func (e RetryEvent) String() string {
	return fmt.Sprintf("waiting %s before retrying %s %s (%s)", e.Wait.Round(100*time.Millisecond), e.Method, e.Path, e.Reason)
}

// Stats counts what a Client did since it was made.
type Stats struct {
	Requests    int64 // attempts sent
	Retries     int64 // waits for a retry
	RateLimited int64 // answers that were rate limits
	Limit       int   // requests allowed in flight now; 0 without a Limiter
	MinLimit    int   // the lowest that allowance has been
}

// Client runs requests under a Policy. Set its fields before the first
// Do; it is then safe for concurrent use.
type Client struct {
	HTTP   *http.Client
	Policy Policy // with defaults applied
	// Classify reads a non-2xx answer. It must set Err.
	Classify func(req *Request, resp *Response) Verdict
	// Prefix starts the errors Do makes itself, e.g. "github: ".
	Prefix    string
	OnAttempt func(Attempt)    // optional; after every attempt
	OnRetry   func(RetryEvent) // optional; before every wait
	Limiter   *Limiter         // optional

	// Sleep and Now are the clock; nil means the real one. Tests set them
	// to observe waits without spending them.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time

	requests, retries, limited atomic.Int64
}

// Stats reports the counters.
func (c *Client) Stats() Stats {
	s := Stats{Requests: c.requests.Load(), Retries: c.retries.Load(), RateLimited: c.limited.Load()}
	if c.Limiter != nil {
		s.Limit, s.MinLimit = c.Limiter.Limits()
	}
	return s
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Do sends req until an attempt answers 2xx, fails for good, or the
// attempts run out; then it returns the last error, saying so.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	sleep := c.Sleep
	if sleep == nil {
		sleep = SleepCtx
	}
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, c.errorf(req, err)
		}
		resp, v, err := c.attempt(ctx, req, attempt)
		if err != nil {
			return nil, err
		}
		if v.Err == nil {
			return resp, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			// The caller gave up; the failure is a consequence, not news.
			return nil, c.errorf(req, ctxErr)
		}
		if !v.Retry {
			return nil, v.Err
		}
		if req.sentOnce() && !v.RateLimited && !v.unsent {
			return nil, fmt.Errorf("%w (%w)", v.Err, ErrUnknownOutcome)
		}
		if attempt >= c.Policy.MaxAttempts {
			return nil, fmt.Errorf("%w (gave up after %d attempts)", v.Err, attempt)
		}
		wait := v.Wait
		if wait < 0 && resp != nil {
			wait = ParseRetryAfter(resp.Header.Get("Retry-After"), c.now())
		}
		if wait < 0 {
			wait = Backoff(c.Policy.MinBackoff, c.Policy.MaxBackoff, attempt)
		}
		wait = min(wait, c.Policy.MaxRetryAfter)
		c.retries.Add(1)
		if c.OnRetry != nil {
			c.OnRetry(RetryEvent{Method: req.Method, Path: req.Path, Attempt: attempt, Wait: wait, Reason: reason(resp, v.Err, c.Prefix+req.Method+" "+req.Path+": ")})
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, c.errorf(req, err)
		}
	}
}

// attempt sends req once within the limiter. It returns the answer (nil
// without one) and the verdict on it; err is set only when the context
// ended while waiting for a slot.
func (c *Client) attempt(ctx context.Context, req *Request, n int) (*Response, Verdict, error) {
	var epoch uint64
	if c.Limiter != nil {
		var err error
		if epoch, err = c.Limiter.Acquire(ctx); err != nil {
			return nil, Verdict{}, c.errorf(req, err)
		}
	}
	c.requests.Add(1)
	start := time.Now()
	resp, v := c.send(ctx, req)
	if v.RateLimited {
		c.limited.Add(1)
	}
	if c.Limiter != nil {
		c.Limiter.Release(epoch, v.Err == nil, v.RateLimited)
	}
	if c.OnAttempt != nil {
		a := Attempt{Method: req.Method, Path: req.Path, Duration: time.Since(start), Attempt: n, Err: v.Err}
		if resp != nil {
			a.Status = resp.Status
		}
		c.OnAttempt(a)
	}
	return resp, v, nil
}

func (c *Client) send(ctx context.Context, req *Request) (*Response, Verdict) {
	actx, cancel := context.WithTimeout(ctx, c.Policy.RequestTimeout)
	defer cancel()
	var body io.Reader
	switch {
	case req.Stream != nil:
		rc, err := req.Stream()
		if err != nil {
			return nil, Verdict{Err: c.errorf(req, err)}
		}
		defer rc.Close()
		body = rc
	case req.Body != nil:
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(actx, req.Method, req.URL, body)
	if err != nil {
		return nil, Verdict{Err: c.errorf(req, err)}
	}
	if req.Stream != nil {
		hreq.ContentLength = req.StreamLen
	}
	for k, vs := range req.Header {
		hreq.Header[k] = vs
	}
	hresp, err := c.HTTP.Do(hreq)
	if err != nil {
		return nil, c.transportFailure(ctx, actx, req, err)
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, MaxBody+1))
	if err != nil {
		return nil, c.transportFailure(ctx, actx, req, err)
	}
	if len(data) > MaxBody {
		return nil, Verdict{Err: c.errorf(req, fmt.Errorf("%d answer larger than %d bytes", hresp.StatusCode, MaxBody))}
	}
	resp := &Response{Status: hresp.StatusCode, Header: hresp.Header, Body: data, URL: hreq.URL}
	if resp.Status >= 200 && resp.Status < 300 {
		return resp, Verdict{}
	}
	v := c.Classify(req, resp)
	if v.Err == nil {
		v.Err = c.errorf(req, fmt.Errorf("%d %s", resp.Status, http.StatusText(resp.Status)))
	}
	return resp, v
}

// transportFailure describes a failure without a complete answer. The
// *url.Error of net/http repeats the whole URL; method and path are enough.
func (c *Client) transportFailure(ctx, actx context.Context, req *Request, err error) Verdict {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return Verdict{Err: c.errorf(req, fmt.Errorf("attempt timed out after %s", c.Policy.RequestTimeout)), Retry: true, Wait: -1}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	// A name that does not resolve, a refused handshake or certificate
	// will be so again.
	v := Verdict{Err: c.errorf(req, err), Retry: !HostFailure(err), Wait: -1}
	// A connection that was never made carried nothing: safe to repeat.
	var op *net.OpError
	v.unsent = errors.As(err, &op) && op.Op == "dial"
	return v
}

func (c *Client) errorf(req *Request, err error) error {
	return fmt.Errorf("%s%s %s: %w", c.Prefix, req.Method, req.Path, err)
}

// reason is the short cause of a retry: the status, or the network error
// without the method and path it repeats.
func reason(resp *Response, err error, prefix string) string {
	if resp != nil {
		return fmt.Sprintf("%d %s", resp.Status, http.StatusText(resp.Status))
	}
	return strings.TrimPrefix(err.Error(), prefix)
}

// Backoff is the full-jitter wait after the given 1-based attempt:
// uniform in [0, min(maxD, minD*2^(attempt-1))].
func Backoff(minD, maxD time.Duration, attempt int) time.Duration {
	ceil := maxD
	if shift := attempt - 1; shift < 30 {
		if d := minD << shift; d > 0 && d < ceil {
			ceil = d
		}
	}
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

// ParseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date (a date in the past is 0). It returns -1 when the header is absent
// or unusable. Huge values saturate rather than overflow; callers cap.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return -1
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return -1
		}
		if secs > math.MaxInt64/int64(time.Second) {
			return math.MaxInt64
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return -1
}

// SleepCtx waits d or until ctx is done, whichever comes first.
func SleepCtx(ctx context.Context, d time.Duration) error {
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
