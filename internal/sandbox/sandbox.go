// Package sandbox emulates the Pipecat Cloud private API (/v1) as an
// http.Handler: the endpoints pipecat-gitops and the official deploy action
// use (agents, secret sets, regions, cloud builds), with the official spec's
// request validation, response shapes, error bodies and messages.
//
//   - What the real API rejects, it rejects with the same status, code and
//     message; it is the test double of every test and the API of the
//     sandbox command and --sandbox.
//   - It is stateful and safe for concurrent use, optionally persisted to a
//     JSON state file and a journal of changes (journal.go).
//   - Readiness, secret sets and builds settle after delays computed from an
//     injectable clock; faults (latency, 500s, 429s, dropped connections)
//     come from a seeded random source, so tests are deterministic.
//   - Requests are decoded into the sandbox's own types, written from the
//     OpenAPI document (wire.go, agentspec.go), never the client's; a field
//     the document does not define is refused with 400.
//   - The organization's defaultRegion (GET/PATCH /v1/properties) is where
//     an agent, secret set, upload or build without a region goes.
//   - Its conventions beyond the spec (any Bearer key is accepted, builds
//     and images that fail on purpose, secret values kept and readable
//     through SecretValue) are listed in docs/sandbox.md.
package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// Options configure a Server. The zero value is a fault-free, in-memory
// sandbox whose deployments are ready at once.
type Options struct {
	// Regions are the regions of GET /v1/regions and the only ones agents
	// and secret sets may use. Nil: the four of the spec's example.
	Regions []cloud.Region
	// DefaultRegion, when set, is the organization's defaultRegion
	// property (GET /v1/properties), set on a new state and on a loaded
	// one; empty: the state's, us-west for a new one.
	DefaultRegion string
	// SecretSets are seeded when there is no state file yet (or no
	// StatePath).
	SecretSets []SecretSetSeed
	// ReadyDelay is how long after a create or update the deployment
	// settles (ready, or failed); a PUT secret set turns ready after it
	// too. 0: at once.
	ReadyDelay time.Duration
	// BuildDelay is how long a build takes: pending for its first
	// quarter, building for the rest, then success or failed. 0: at once.
	BuildDelay time.Duration
	// MaxUploadBytes caps an uploaded build context; 0: the API's 500 MiB.
	MaxUploadBytes int64
	// Latency is added to every request.
	Latency time.Duration
	// FaultRate is the probability of a 500 INTERNAL_SERVER_ERROR before
	// anything else happens.
	FaultRate float64
	// RateLimitRate is the probability of a 429 with Retry-After before
	// anything else happens.
	RateLimitRate float64
	// RetryAfter is the Retry-After of those 429s, in whole seconds
	// (rounded up); 0 sends "Retry-After: 0".
	RetryAfter time.Duration
	// DropRate is the probability that a mutating request (POST, PUT,
	// DELETE) is handled in full, its change committed, and then the
	// connection is closed without a response.
	DropRate float64
	// Seed seeds the fault decisions.
	Seed int64
	// StatePath is an optional JSON state file, loaded by New. Changes
	// are appended to a journal beside it (StatePath+".journal") and
	// folded into it from time to time and by Close.
	StatePath string
	// ReadTimeout bounds the reading of a request, headers and body, and
	// IdleTimeout how long a kept-alive connection waits for the next
	// one, on the server HTTPServer returns (uploads get longer: see
	// uploadReadTimeout). Zero: 30s and 60s.
	ReadTimeout, IdleTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logf, if set, gets one line per request: method, path, status,
	// duration. Never a header.
	Logf func(format string, args ...any)
}

// Request is one request the sandbox received, for tests to assert on.
type Request struct {
	Method string
	Path   string
	// Status is the status sent; 0 when no response was sent (a dropped
	// connection, or a client gone during the added latency).
	Status int
}

// Server is the emulated API. Create it with New.
type Server struct {
	opts    Options
	now     func() time.Time
	newID   func() string // tests make IDs predictable
	regions []cloud.Region

	mu       sync.Mutex
	state    State
	faults   *rand.Rand
	requests []Request
	store    *store // nil without a state file
	last     *entry // the latest change not known to be durable, or nil

	blobMu sync.Mutex
	blobs  map[string][]byte // uploaded contexts, without a state file
}

// defaultRegions is the spec's GET /v1/regions example.
var defaultRegions = []cloud.Region{
	{Code: "us-west", DisplayName: "US West (Oregon)"},
	{Code: "us-east", DisplayName: "US East (Virginia)"},
	{Code: "eu-central", DisplayName: "Europe (Frankfurt)"},
	{Code: "ap-south", DisplayName: "Asia Pacific (Mumbai)"},
}

// New returns a sandbox. With a StatePath it loads the file if there is
// one (a corrupt file is an error), or seeds a new state and writes it.
func New(opts Options) (*Server, error) {
	for _, r := range []struct {
		name string
		v    float64
	}{{"fault rate", opts.FaultRate}, {"rate limit rate", opts.RateLimitRate}, {"drop rate", opts.DropRate}} {
		if r.v < 0 || r.v > 1 {
			return nil, fmt.Errorf("sandbox: %s %v is not between 0 and 1", r.name, r.v)
		}
	}
	if opts.ReadyDelay < 0 || opts.BuildDelay < 0 || opts.Latency < 0 || opts.RetryAfter < 0 || opts.ReadTimeout < 0 || opts.IdleTimeout < 0 || opts.MaxUploadBytes < 0 {
		return nil, fmt.Errorf("sandbox: negative durations are not allowed")
	}
	s := &Server{
		opts:    opts,
		now:     opts.Now,
		newID:   newUUID,
		regions: opts.Regions,
		faults:  rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed)),
		blobs:   map[string][]byte{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.regions == nil {
		s.regions = defaultRegions
	}
	for _, r := range s.regions {
		if r.Code == "" {
			return nil, fmt.Errorf("sandbox: a region has no code")
		}
	}
	if opts.DefaultRegion != "" && !s.regionKnown(opts.DefaultRegion) {
		return nil, fmt.Errorf("sandbox: default region %q is not one of its regions (%s)", opts.DefaultRegion, s.regionList())
	}
	if opts.StatePath == "" {
		if err := s.seed(); err != nil {
			return nil, err
		}
		return s, nil
	}
	if err := s.open(opts.StatePath); err != nil {
		return nil, err
	}
	return s, nil
}

// open loads the state file at path, or seeds a new one, folds any
// journal into it and starts a fresh journal.
func (s *Server) open(path string) error {
	st, ok, journaled, err := loadState(path)
	if err != nil {
		return err
	}
	if ok {
		if err := s.checkState(&st); err != nil {
			return fmt.Errorf("read sandbox state %s: %w (fix or delete the file)", path, err)
		}
		s.state = st
	} else if err := s.seed(); err != nil {
		return err
	}
	var size int64
	fresh := s.state.UploadKey == ""
	if fresh {
		s.state.UploadKey = newUploadKey()
	}
	moved := s.opts.DefaultRegion != "" && s.state.DefaultRegion != s.opts.DefaultRegion
	if moved {
		s.state.DefaultRegion = s.opts.DefaultRegion
	}
	if !ok || journaled || fresh || moved {
		// The new snapshot holds the journals' changes before they go.
		if size, err = writeState(path, &s.state); err != nil {
			return err
		}
		if err := os.Remove(path + oldJournalSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove sandbox journal: %w", err)
		}
	} else {
		fi, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("read sandbox state: %w", err)
		}
		size = fi.Size()
	}
	s.store, err = openStore(path, size)
	return err
}

// seed starts a new state with the seeded secret sets.
func (s *Server) seed() error {
	s.state = newState()
	s.state.UploadKey = newUploadKey()
	s.state.DefaultRegion = s.opts.DefaultRegion
	if s.state.DefaultRegion == "" {
		s.state.DefaultRegion = platformDefaultRegion
		if !s.regionKnown(platformDefaultRegion) {
			s.state.DefaultRegion = s.regions[0].Code
		}
	}
	if err := s.state.seed(s.opts.SecretSets); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if err := s.checkState(&s.state); err != nil {
		return fmt.Errorf("sandbox: secret set seed: %w", err)
	}
	return nil
}

// Default timeouts of HTTPServer.
const (
	defaultReadTimeout       = 30 * time.Second
	defaultIdleTimeout       = 60 * time.Second
	defaultReadHeaderTimeout = 10 * time.Second
)

// HTTPServer returns an http.Server for s whose timeouts close the
// connections of clients that stall: headers not sent in time (10s, or
// ReadTimeout if shorter), a body not sent within ReadTimeout, a kept-alive
// connection idle for IdleTimeout.
func (s *Server) HTTPServer() *http.Server {
	rt, it := s.opts.ReadTimeout, s.opts.IdleTimeout
	if rt == 0 {
		rt = defaultReadTimeout
	}
	if it == 0 {
		it = defaultIdleTimeout
	}
	return &http.Server{Handler: s, ReadHeaderTimeout: min(defaultReadHeaderTimeout, rt), ReadTimeout: rt, IdleTimeout: it}
}

// Requests returns a copy of the log of every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Mutate changes the state behind the API's back (drift, in tests) and
// persists it like any change. The result must be a state New would load.
// If fn, that check or the write fails, the state is left as it was.
func (s *Server) Mutate(fn func(st *State) error) error {
	s.mu.Lock()
	before := s.state.clone()
	err := fn(&s.state)
	if err == nil {
		s.state.fill()
		if err = s.checkState(&s.state); err != nil {
			err = fmt.Errorf("sandbox: %w", err)
		}
	}
	if err != nil {
		s.state = before
		s.mu.Unlock()
		return err
	}
	e := s.commit(record{Op: "state", Value: mustMarshal(&s.state)}, func() { s.state = before })
	s.mu.Unlock()
	if err := s.wait(e); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return nil
}

// lock locks the state for a handler and notes, for the response to wait
// on, the latest change it may see, so that nothing is answered that a
// crash could still undo.
func (s *Server) lock(res *response) {
	s.mu.Lock()
	res.after = s.last
}

// response is a buffered response: the handlers write here, so that a
// "dropped" response is never partly sent and every status is logged.
type response struct {
	status int
	header http.Header
	body   []byte
	// after is the latest journal entry the answer depends on; it is sent
	// once that entry is durable, or replaced by a 500 if it failed.
	after *entry
}

func (r *response) json(status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sandbox: marshal response: %v", err))
	}
	r.status = status
	r.header.Set("Content-Type", "application/json")
	r.body = body
}

func (r *response) fail(status int, code, msg string) {
	r.json(status, cloud.ErrorResponse{Error: msg, Code: code})
}

// Error codes the API uses.
const (
	codeBadRequest = "GENERIC_BAD_REQUEST"
	codeNotFound   = "NOT_FOUND"
	codeInternal   = "INTERNAL_SERVER_ERROR"
	codeAuth       = "UNAUTHORIZED"
	codeConflict   = "CONFLICT"
	// The spec documents no 429 or 405 body; these follow its style.
	codeRateLimited      = "TOO_MANY_REQUESTS"
	codeMethodNotAllowed = "METHOD_NOT_ALLOWED"
)

// ServeHTTP serves one API request: added latency, then the fault knobs,
// then authentication, routing and the handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
		s.serveSandbox(w, r)
		return
	}
	start := time.Now()
	if s.opts.Latency > 0 {
		t := time.NewTimer(s.opts.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			s.record(r, 0, start, "client gone")
			return
		}
	}

	s.mu.Lock()
	// Three draws per request whatever the knobs, so a seed gives the same
	// decisions for the same request sequence.
	limited := s.faults.Float64() < s.opts.RateLimitRate
	faulted := s.faults.Float64() < s.opts.FaultRate
	drop := s.faults.Float64() < s.opts.DropRate
	s.mu.Unlock()

	res := &response{header: http.Header{}}
	switch {
	case limited:
		secs := int64((s.opts.RetryAfter + time.Second - 1) / time.Second)
		res.header.Set("Retry-After", strconv.FormatInt(secs, 10))
		res.fail(http.StatusTooManyRequests, codeRateLimited, "Too many requests")
		drop = false
	case faulted:
		res.fail(http.StatusInternalServerError, codeInternal, "Internal server error")
		drop = false
	default:
		s.handle(res, r)
		if err := s.wait(res.after); err != nil {
			s.internalError(res, err)
		}
		drop = drop && (r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodDelete)
	}

	if drop {
		s.record(r, 0, start, fmt.Sprintf("dropped after %d", res.status))
		dropConnection(w)
		return
	}
	s.record(r, res.status, start, "")
	for k, v := range res.header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.status)
	w.Write(res.body)
}

// dropConnection closes the connection without a response. Hijacking is
// the HTTP/1 way; otherwise ErrAbortHandler makes net/http abort the
// response, which nothing has been written to yet.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		conn, _, err := hj.Hijack()
		if err == nil {
			if tcp, ok := conn.(*net.TCPConn); ok {
				// An abortive close: the client sees a reset, as when a
				// proxy dies mid-request, not a clean EOF it might retry
				// as an idle-connection race.
				tcp.SetLinger(0)
			}
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func (s *Server) record(r *http.Request, status int, start time.Time, note string) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Status: status})
	s.mu.Unlock()
	if s.opts.Logf == nil {
		return
	}
	d := time.Since(start).Round(time.Microsecond)
	// The path as sent, escapes kept: %0A decoded would start a line.
	path := r.URL.EscapedPath()
	if note != "" {
		s.opts.Logf("%s %s %s %s", r.Method, path, note, d)
		return
	}
	s.opts.Logf("%s %s %d %s", r.Method, path, status, d)
}

// handle authenticates and routes.
func (s *Server) handle(res *response, r *http.Request) {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" {
		res.fail(http.StatusUnauthorized, codeAuth, "Unauthorized")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		res.fail(http.StatusNotFound, codeNotFound, "Not found")
		return
	}
	seg := strings.Split(rest, "/")
	type route struct {
		method string
		h      func(*response, *http.Request, string)
	}
	var routes []route
	var arg string
	switch {
	case len(seg) == 1 && seg[0] == "agents":
		routes = []route{{http.MethodGet, s.listAgents}, {http.MethodPost, s.createAgent}}
	case len(seg) == 2 && seg[0] == "agents" && seg[1] != "":
		arg = seg[1]
		routes = []route{{http.MethodGet, s.getAgent}, {http.MethodPost, s.updateAgent}, {http.MethodDelete, s.deleteAgent}}
	case len(seg) == 3 && seg[0] == "agents" && seg[1] != "" && seg[2] == "logs":
		arg = seg[1]
		routes = []route{{http.MethodGet, s.getAgentLogs}}
	case len(seg) == 1 && seg[0] == "secrets":
		routes = []route{{http.MethodGet, s.listSecretSets}}
	case len(seg) == 2 && seg[0] == "secrets" && seg[1] != "":
		arg = seg[1]
		routes = []route{{http.MethodGet, s.getSecretSet}, {http.MethodPut, s.putSecretSet}, {http.MethodDelete, s.deleteSecretSet}}
	case len(seg) == 3 && seg[0] == "secrets" && seg[1] != "" && seg[2] != "":
		arg = seg[1] + "/" + seg[2]
		routes = []route{{http.MethodDelete, s.deleteSecretKey}}
	case len(seg) == 2 && seg[0] == "builds" && seg[1] == "upload-url":
		routes = []route{{http.MethodPost, s.createUploadURL}}
	case len(seg) == 1 && seg[0] == "builds":
		routes = []route{{http.MethodGet, s.listBuilds}, {http.MethodPost, s.createBuild}}
	case len(seg) == 2 && seg[0] == "builds" && seg[1] != "":
		arg = seg[1]
		routes = []route{{http.MethodGet, s.getBuild}}
	case len(seg) == 3 && seg[0] == "builds" && seg[1] != "" && seg[2] == "logs":
		arg = seg[1]
		routes = []route{{http.MethodGet, s.getBuildLogs}}
	case len(seg) == 1 && seg[0] == "regions":
		routes = []route{{http.MethodGet, s.listRegions}}
	case len(seg) == 1 && seg[0] == "properties":
		routes = []route{{http.MethodGet, s.getProperties}, {http.MethodPatch, s.patchProperties}}
	case len(seg) == 2 && seg[0] == "properties" && seg[1] == "schema":
		routes = []route{{http.MethodGet, s.getPropertiesSchema}}
	default:
		res.fail(http.StatusNotFound, codeNotFound, "Not found")
		return
	}
	var allow []string
	for _, rt := range routes {
		if rt.method == r.Method {
			rt.h(res, r, arg)
			return
		}
		allow = append(allow, rt.method)
	}
	res.header.Set("Allow", strings.Join(allow, ", "))
	res.fail(http.StatusMethodNotAllowed, codeMethodNotAllowed, "Method not allowed")
}

// maxBody bounds request bodies; the API's are a few hundred bytes.
const maxBody = 1 << 20

// decodeBody reads a JSON object into v, refusing fields v does not
// have (see decodeStrict). Any failure is the API's "Invalid request
// format".
func decodeBody(r *http.Request, v any) bool { return decodeStrict(r, v) == nil }

func (s *Server) regionKnown(code string) bool {
	for _, r := range s.regions {
		if r.Code == code {
			return true
		}
	}
	return false
}

func (s *Server) listRegions(res *response, _ *http.Request, _ string) {
	res.json(http.StatusOK, cloud.ListRegionsResponse{Regions: s.regions})
}

// timestamp formats t as the API does: UTC, milliseconds, Z.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
