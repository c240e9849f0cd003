package sandbox

// Contract tests: every request the cloud client sends and every response
// the sandbox returns is validated against the official OpenAPI spec with
// kin-openapi. The spec's object schemas are closed for the purpose
// (additionalProperties: false wherever the spec says nothing), so a
// misspelt or invented field fails too; the spec's own undeclared fields
// and statuses are listed, with reasons, in deviations below and nowhere
// else.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

const specPath = "../../cloud/testdata/pipecat-cloud-openapi.json"

// deviation is one known difference between the spec's schemas and what
// the client or the sandbox exchange. A field deviation removes exactly
// that JSON path before validation; a status deviation validates the body
// of an undocumented status as an ErrorResponse; an "example" deviation
// removes the path from both the spec's example and the sandbox's answer
// before TestSpecExamples compares them. Every entry must be exercised by
// the tests (TestMain checks), so none outlives its cause.
type deviation struct {
	op     string // operationId, or "*" for every operation that lacks the status
	side   string // "request", "response" or "example"
	status int    // response status; 0 for requests
	path   string // dotted JSON path of an undeclared field; "" for an undocumented status
	reason string
}

var deviations = []deviation{
	// enableKrisp: the legacy Krisp switch. The API accepts it and the
	// product's config has it, but no request schema declares it.
	{"createService", "request", 0, "enableKrisp", "legacy Krisp switch, in no request schema"},
	{"updateService", "request", 0, "enableKrisp", "legacy Krisp switch, in no request schema"},
	// The official deploy action sends serviceName and region on updates
	// and enableIntegratedKeysProxy when managed keys are on; the
	// sandbox accepts what the real API accepts from it.
	{"updateService", "request", 0, "serviceName", "the official deploy action repeats serviceName on update"},
	{"updateService", "request", 0, "region", "the official deploy action repeats region on update"},
	{"createService", "request", 0, "enableIntegratedKeysProxy", "sent by the official deploy action (enable-managed-keys); undeclared"},
	{"updateService", "request", 0, "enableIntegratedKeysProxy", "sent by the official deploy action (enable-managed-keys); undeclared"},
	// The CLI sends websocketAuth (websocket_auth in pcc-deploy.toml).
	{"createService", "request", 0, "websocketAuth", "sent by the CLI (websocket_auth); undeclared"},
	{"updateService", "request", 0, "websocketAuth", "sent by the CLI (websocket_auth); undeclared"},
	// The manifest's krispModels (the legacy switch's state) is in every
	// example of the spec and in no schema.
	{"createService", "response", 200, "deployment.manifest.spec.krispModels", "in the spec's examples, not its schema"},
	{"updateService", "response", 200, "deployment.manifest.spec.krispModels", "in the spec's examples, not its schema"},
	{"getService", "response", 200, "deployment.manifest.spec.krispModels", "in the spec's examples, not its schema"},
	// errors[] ({code, message}) is what the official CLI and deploy
	// action stop on while waiting; the spec does not declare it.
	{"getService", "response", 200, "errors", "read by the official CLI and deploy action, undeclared"},
	// PUT /secrets/{setName} says "Deploys that bind a secret set whose
	// status is not ready are rejected with 409 Conflict", but the agent
	// operations list no 409.
	{"createService", "response", 409, "", "deploy binding a secret set that is not ready (PUT /secrets description)"},
	{"updateService", "response", 409, "", "deploy binding a secret set that is not ready (PUT /secrets description)"},
	// Only the secrets and regions operations document 401; the agent
	// operations need the same key.
	{"*", "response", 401, "", "missing API key; the agent operations do not document 401"},
	// No operation documents 429; the sandbox's rate-limit knob emulates
	// what any API gateway does.
	{"*", "response", 429, "", "rate limiting is not documented"},
	// The build operations document no 500 (and listBuilds no 400 for
	// filters outside the spec's ranges and enum).
	{"*", "response", 500, "", "the build operations document no 500"},
	{"listBuilds", "response", 400, "", "filters outside the spec's ranges; only 200 is documented"},
	// The create example has reconciledDeploymentId: null, which the
	// schema does not allow; the sandbox omits it until the first
	// reconcile.
	{"createService", "example", 200, "reconciledDeploymentId", "null in the example, not nullable in the schema"},
	// The create example shows no revisions; the sandbox reports the new
	// one (Creating) as the update and get examples do.
	{"createService", "example", 200, "currentRevision", "absent from the create example only"},
	{"createService", "example", 200, "previousRevision", "absent from the create example only"},
}

// deviationUse counts how often each deviation was needed, across tests.
var deviationUse = struct {
	sync.Mutex
	n map[int]int
}{n: map[int]int{}}

// contractRan is set when a test validated traffic against the spec; with
// -list, or a -run that picks no contract test, none did and the
// allowlist is not checked.
var contractRan atomic.Bool

func TestMain(m *testing.M) {
	code := m.Run()
	// With a -run filter some deviations are legitimately unused.
	if code == 0 && contractRan.Load() && flagValue("test.run") == "" && flagValue("test.skip") == "" {
		for i, d := range deviations {
			if deviationUse.n[i] == 0 {
				fmt.Fprintf(os.Stderr, "contract: deviation %+v was never needed: remove it from the allowlist\n", d)
				code = 1
			}
		}
	}
	os.Exit(code)
}

// TestListDoesNotCheckTheAllowlist: listing tests (go test -list) runs no
// contract test, so it must not report the allowlist unused and fail. The
// test binary lists its own tests.
func TestListDoesNotCheckTheAllowlist(t *testing.T) {
	out, err := exec.Command(os.Args[0], "-test.list", "Fuzz").CombinedOutput()
	if err != nil || strings.Contains(string(out), "deviation") {
		t.Errorf("-test.list Fuzz: %v\n%s", err, out)
	}
}

// exchange is one validated request and response.
type exchange struct {
	op          string
	status      int   // 0: no response
	requestErr  error // nil: the request conforms to the spec
	responseErr error // nil: the response conforms to the spec
}

// contract is an http.RoundTripper that validates traffic against the spec.
type contract struct {
	router    routers.Router
	errSchema *openapi3.Schema
	opts      *openapi3filter.Options
	next      http.RoundTripper

	mu        sync.Mutex
	exchanges []exchange
}

var loadSpec = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specPath)
	if err != nil {
		return nil, err
	}
	// The spec's examples break its own schemas (see the "example"
	// deviations); TestSpecExamples deals with them one by one.
	if err := doc.Validate(loader.Context, openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("the spec itself: %w", err)
	}
	closeSchemas(doc)
	return doc, nil
})

func newContract(t *testing.T) *contract {
	t.Helper()
	contractRan.Store(true)
	doc, err := loadSpec()
	if err != nil {
		t.Fatalf("load %s: %v", specPath, err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		// The PrivateKeyAuth scheme is satisfied by any Bearer key, which
		// is also what the sandbox accepts.
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			scheme, key, _ := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
			if !strings.EqualFold(scheme, "bearer") || key == "" {
				return errors.New("no Bearer key")
			}
			return nil
		},
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
			openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
				u, err := url.Parse(s)
				if err != nil || u.Scheme == "" || u.Host == "" {
					return fmt.Errorf("not an absolute URI: %q", s)
				}
				return nil
			})),
		},
	}
	return &contract{
		router:    router,
		errSchema: doc.Components.Schemas["ErrorResponse"].Value,
		opts:      opts,
		next:      http.DefaultTransport,
	}
}

// closeSchemas sets additionalProperties: false on every object schema
// that declares properties and says nothing about others.
func closeSchemas(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
			no := false
			s.AdditionalProperties.Has = &no
		}
		for _, p := range s.Properties {
			walk(p)
		}
		walk(s.Items)
		walk(s.AdditionalProperties.Schema)
		walk(s.Not)
		for _, l := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, r := range l {
				walk(r)
			}
		}
	}
	for _, r := range doc.Components.Schemas {
		walk(r)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value != nil {
					walk(p.Value.Schema)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					walk(mt.Schema)
				}
			}
			for _, resp := range op.Responses.Map() {
				if resp.Value != nil {
					for _, mt := range resp.Value.Content {
						walk(mt.Schema)
					}
				}
			}
		}
	}
}

func (c *contract) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasPrefix(req.URL.Path, "/_sandbox/") {
		// The upload of a build context goes to the storage the API
		// names, which is not the API.
		return c.next.RoundTrip(req)
	}
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	ex, input := c.checkRequest(req, reqBody)

	resp, err := c.next.RoundTrip(req)
	if err != nil {
		c.add(ex)
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err != nil {
		c.add(ex)
		return nil, err
	}
	ex.status = resp.StatusCode
	if input != nil {
		ex.responseErr = c.checkResponse(ex.op, input, resp, respBody)
	}
	c.add(ex)
	return resp, nil
}

func (c *contract) add(ex exchange) {
	c.mu.Lock()
	c.exchanges = append(c.exchanges, ex)
	c.mu.Unlock()
}

// take returns and forgets the exchanges so far.
func (c *contract) take() []exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.exchanges
	c.exchanges = nil
	return out
}

func (c *contract) checkRequest(req *http.Request, body []byte) (exchange, *openapi3filter.RequestValidationInput) {
	// Route as if sent to the spec's server: https://api.pipecat.daily.co/v1.
	vreq := req.Clone(req.Context())
	vreq.URL.Scheme, vreq.URL.Host, vreq.Host = "https", "api.pipecat.daily.co", "api.pipecat.daily.co"
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		return exchange{op: req.Method + " " + req.URL.Path, requestErr: fmt.Errorf("no operation in the spec: %w", err)}, nil
	}
	op := route.Operation.OperationID
	ex := exchange{op: op}
	if len(body) > 0 {
		body, err = strip(op, "request", 0, body)
		if err != nil {
			ex.requestErr = err
			return ex, nil
		}
	}
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	vreq.ContentLength = int64(len(body))
	vreq.GetBody = nil
	input := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: c.opts}
	ex.requestErr = openapi3filter.ValidateRequest(vreq.Context(), input)
	return ex, input
}

func (c *contract) checkResponse(op string, input *openapi3filter.RequestValidationInput, resp *http.Response, body []byte) error {
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("Content-Type %q, want application/json", ct)
	}
	if _, documented := input.Route.Operation.Responses.Map()[fmt.Sprint(resp.StatusCode)]; !documented {
		if i := findDeviation(op, "response", resp.StatusCode, ""); i >= 0 {
			use(i)
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				return err
			}
			return c.errSchema.VisitJSON(v, openapi3.MultiErrors())
		}
	}
	body, err := strip(op, "response", resp.StatusCode, body)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateResponse(input.Request.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                c.opts,
	})
}

func findDeviation(op, side string, status int, path string) int {
	for i, d := range deviations {
		if (d.op == op || d.op == "*") && d.side == side && d.status == status && d.path == path {
			return i
		}
	}
	return -1
}

func use(i int) {
	deviationUse.Lock()
	deviationUse.n[i]++
	deviationUse.Unlock()
}

// strip removes the allowlisted undeclared fields of op from a JSON body.
func strip(op, side string, status int, body []byte) ([]byte, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	changed := false
	for i, d := range deviations {
		if d.path == "" || (d.op != op && d.op != "*") || d.side != side || d.status != status {
			continue
		}
		if removePath(v, strings.Split(d.path, ".")) {
			use(i)
			changed = true
		}
	}
	if !changed {
		return body, nil
	}
	return json.Marshal(v)
}

func removePath(v any, path []string) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if len(path) == 1 {
		_, ok := m[path[0]]
		delete(m, path[0])
		return ok
	}
	return removePath(m[path[0]], path[1:])
}

func flagValue(name string) string {
	f := flag.Lookup(name)
	if f == nil {
		return ""
	}
	return f.Value.String()
}

// contractCase is one call through the real client.
type contractCase struct {
	name string
	call func(ctx context.Context, c *cloud.Client) error
	// wantStatus is the API error status the call must end with; 0 for
	// success.
	wantStatus int
	wantCode   string
	// specRejects says the request itself violates the spec (a pattern,
	// an enum, a range): the sandbox must reject what the spec forbids,
	// unless the platform is known to accept it (wantStatus 0).
	specRejects bool
}

func strp(s string) *string { return &s }

func runContractCases(t *testing.T, c *cloud.Client, v *contract, cases []contractCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(context.Background(), c)
			var apiErr *cloud.Error
			switch {
			case tc.wantStatus == 0 && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.wantStatus != 0 && !errors.As(err, &apiErr):
				t.Errorf("got %v, want an API error %d", err, tc.wantStatus)
			case tc.wantStatus != 0 && (apiErr.Status != tc.wantStatus || apiErr.Code != tc.wantCode):
				t.Errorf("got %d %s, want %d %s (%v)", apiErr.Status, apiErr.Code, tc.wantStatus, tc.wantCode, err)
			}
			exs := v.take()
			if len(exs) == 0 {
				t.Fatal("no request was sent")
			}
			for _, ex := range exs {
				if tc.specRejects && ex.requestErr == nil {
					t.Errorf("%s: the spec accepts this request, yet the case says it does not", ex.op)
				}
				if !tc.specRejects && ex.requestErr != nil {
					t.Errorf("%s: request violates the spec: %v", ex.op, ex.requestErr)
				}
				if ex.responseErr != nil {
					t.Errorf("%s: %d response violates the spec: %v", ex.op, ex.status, ex.responseErr)
				}
			}
		})
	}
}

func newContractClient(t *testing.T, s http.Handler, key string) (*cloud.Client, *contract, raw) {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	v := newContract(t)
	hc := &http.Client{Transport: v}
	c, err := cloud.New(cloud.Options{
		BaseURL:     srv.URL,
		APIKey:      key,
		UserAgent:   "pipecat-gitops/test",
		HTTPClient:  hc,
		MaxAttempts: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, v, raw{base: srv.URL, key: key, hc: hc}
}

// raw calls the operations cloud.Client does not have, through the same
// validator; a non-2xx answer is a *cloud.Error, as from the client.
type raw struct {
	base, key string
	hc        *http.Client
}

// op returns a contract call: body is sent as JSON (a string as it is),
// and a 2xx answer decoded into out, if not nil.
func (r raw) op(method, path string, body, out any) func(context.Context, *cloud.Client) error {
	return func(ctx context.Context, _ *cloud.Client) error {
		var rd io.Reader
		switch b := body.(type) {
		case nil:
		case string:
			rd = strings.NewReader(b)
		default:
			rd = bytes.NewReader(mustMarshal(b))
		}
		req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
		if err != nil {
			return err
		}
		if r.key != "" {
			req.Header.Set("Authorization", "Bearer "+r.key)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := r.hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode >= 300 {
			var e cloud.ErrorResponse
			json.Unmarshal(data, &e)
			return &cloud.Error{Method: method, Path: req.URL.Path, Status: resp.StatusCode, Code: e.Code, Message: e.Error}
		}
		if out != nil {
			return json.Unmarshal(data, out)
		}
		return nil
	}
}

// TestContract drives every endpoint and error path through the real
// client and validates both directions of every exchange.
func TestContract(t *testing.T) {
	s, clk := newTestServer(t, Options{SecretSets: seeds, ReadyDelay: 10 * time.Second})
	c, v, rc := newContractClient(t, s, "sk_test")

	full := func() *cloud.CreateServiceRequest {
		return &cloud.CreateServiceRequest{
			ServiceName:        "voice-starter",
			Image:              "your-dockername/voice-starter:0.1",
			Region:             "us-west",
			NodeType:           "arm",
			ImagePullSecretSet: "dockerhub-credentials",
			SecretSet:          "voice-starter-secrets",
			AutoScaling:        &cloud.AutoScalingRequest{MinAgents: intp(1), MaxAgents: intp(20)},
			KrispViva:          &cloud.KrispVivaRequest{AudioFilter: strp("tel")},
			AgentProfile:       "agent-1x",
			MaxSessionDuration: intp(3600),
			EnableKrisp:        new(bool),
		}
	}
	create := func(mod func(*cloud.CreateServiceRequest)) func(context.Context, *cloud.Client) error {
		return func(ctx context.Context, c *cloud.Client) error {
			req := &cloud.CreateServiceRequest{ServiceName: "bot", Image: "acme/bot:1"}
			mod(req)
			_, err := c.CreateAgent(ctx, req)
			return err
		}
	}
	update := func(name string, req cloud.UpdateServiceRequest) func(context.Context, *cloud.Client) error {
		return func(ctx context.Context, c *cloud.Client) error {
			_, err := c.UpdateAgent(ctx, name, &req)
			return err
		}
	}
	putSet := func(name string, req cloud.SecretSetRequest) func(context.Context, *cloud.Client) error {
		return func(ctx context.Context, c *cloud.Client) error {
			_, err := c.PutSecretSet(ctx, name, &req)
			return err
		}
	}
	deleteSet := func(name string) func(context.Context, *cloud.Client) error {
		return func(ctx context.Context, c *cloud.Client) error { return c.DeleteSecretSet(ctx, name) }
	}
	deleteKey := func(name, key string) func(context.Context, *cloud.Client) error {
		return func(ctx context.Context, c *cloud.Client) error { return c.DeleteSecretKey(ctx, name, key) }
	}
	const bad, notFound, conflict = "GENERIC_BAD_REQUEST", "NOT_FOUND", "CONFLICT"

	// Builds, through the client: contexts go to the upload endpoint
	// (not the API, so not validated); every API call is.
	var usw, eu, failed cloud.CreateBuildResponse
	var last cloud.UploadURLResponse // of the latest build
	build := func(region string, files map[string]string, wantCached bool, out *cloud.CreateBuildResponse) func(context.Context, *cloud.Client) error {
		return func(ctx context.Context, c *cloud.Client) error {
			u, err := c.UploadURL(ctx, region)
			if err != nil {
				return err
			}
			if err := c.Upload(ctx, u, cloud.UploadBytes(tarball(t, files))); err != nil {
				return err
			}
			last = *u
			got, err := c.CreateBuild(ctx, &cloud.CreateBuildRequest{UploadID: u.UploadID, Region: region, DockerfilePath: "Dockerfile"})
			if err != nil {
				return err
			}
			if *out = *got; out.Cached != wantCached {
				return fmt.Errorf("cached %v, want %v", out.Cached, wantCached)
			}
			return nil
		}
	}
	getBuild := func(b *cloud.CreateBuildResponse) func(context.Context, *cloud.Client) error {
		return func(ctx context.Context, c *cloud.Client) error {
			_, err := c.GetBuild(ctx, b.Build.ID)
			return err
		}
	}
	listBuilds := func(q func() cloud.BuildQuery) func(context.Context, *cloud.Client) error {
		return func(ctx context.Context, c *cloud.Client) error {
			_, err := c.ListBuilds(ctx, q())
			return err
		}
	}
	failing := map[string]string{"Dockerfile": "FROM python:3.12\nRUN exit 1\n"}
	runContractCases(t, c, v, []contractCase{
		{name: "upload URL", call: func(ctx context.Context, c *cloud.Client) error { _, err := c.UploadURL(ctx, "us-west"); return err }},
		{name: "upload URL in an unknown region", call: func(ctx context.Context, c *cloud.Client) error { _, err := c.UploadURL(ctx, "mars-1"); return err }, wantStatus: 400, wantCode: bad},
		// The spec requires a region; the platform (and the official
		// deploy action, whose default sends none) takes the org default.
		{name: "upload URL without a region takes the default", call: rc.op("POST", "/v1/builds/upload-url", `{}`, nil), specRejects: true},
		{name: "build", call: build("us-west", okContext, false, &usw)},
		{name: "build in another region", call: build("eu-central", okContext, false, &eu)},
		{name: "the same context again is a cache hit", call: build("us-west", okContext, true, &cloud.CreateBuildResponse{})},
		{name: "failing build", call: build("us-west", failing, false, &failed)},
		{name: "get build", call: getBuild(&usw)},
		{name: "get failed build", call: getBuild(&failed)},
		{name: "build logs", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.GetBuildLogs(ctx, failed.Build.ID, 5)
			return err
		}},
		{name: "cache lookup", call: listBuilds(func() cloud.BuildQuery {
			return cloud.BuildQuery{ContextHash: usw.ContextHash, DockerfilePath: "Dockerfile", Region: "us-west", Status: cloud.BuildStatusSuccess, Limit: 1}
		})},
		{name: "list builds", call: listBuilds(func() cloud.BuildQuery { return cloud.BuildQuery{Offset: 1} })},
		{name: "get unknown build", call: rc.op("GET", "/v1/builds/123e4567-e89b-12d3-a456-426614174000", nil, nil), wantStatus: 404, wantCode: notFound},
		{name: "logs of unknown build", call: rc.op("GET", "/v1/builds/123e4567-e89b-12d3-a456-426614174000/logs", nil, nil), wantStatus: 404, wantCode: notFound},
		{name: "get build by a malformed ID", call: rc.op("GET", "/v1/builds/build-1", nil, nil), wantStatus: 400, wantCode: bad, specRejects: true},
		{name: "logs by a malformed ID", call: rc.op("GET", "/v1/builds/build-1/logs", nil, nil), wantStatus: 400, wantCode: bad, specRejects: true},
		{name: "logs with limit 0", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.GetBuildLogs(ctx, usw.Build.ID, 0)
			return err
		}, wantStatus: 400, wantCode: bad, specRejects: true},
		{name: "list with limit 101", call: rc.op("GET", "/v1/builds?limit=101", nil, nil), wantStatus: 400, wantCode: bad, specRejects: true},
		{name: "list with an unknown status", call: rc.op("GET", "/v1/builds?status=done", nil, nil), wantStatus: 400, wantCode: bad, specRejects: true},
		{name: "build from an unknown upload", call: rc.op("POST", "/v1/builds", cloud.CreateBuildRequest{UploadID: "123e4567-e89b-12d3-a456-426614174000", Region: "us-west"}, nil), wantStatus: 400, wantCode: bad},
		{name: "build without an upload", call: rc.op("POST", "/v1/builds", `{"region":"us-west"}`, nil), wantStatus: 400, wantCode: bad, specRejects: true},
		{name: "build in another region than the upload", call: func(ctx context.Context, c *cloud.Client) error {
			return rc.op("POST", "/v1/builds", cloud.CreateBuildRequest{UploadID: last.UploadID, Region: "eu-central"}, nil)(ctx, c)
		}, wantStatus: 400, wantCode: bad},
	})

	runContractCases(t, c, v, []contractCase{
		{name: "list agents, none", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.ListAgents(ctx)
			return err
		}},
		{name: "create with every field", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.CreateAgent(ctx, full())
			return err
		}},
		{name: "create with defaults", call: create(func(r *cloud.CreateServiceRequest) {})},
		{name: "create with managed keys", call: create(func(r *cloud.CreateServiceRequest) {
			r.ServiceName, r.EnableIntegratedKeysProxy = "keyed", new(bool)
		})},
		{name: "create with websocket auth", call: create(func(r *cloud.CreateServiceRequest) {
			r.ServiceName, r.WebsocketAuth = "guarded", strp("token")
		})},
		{name: "create from a build", call: create(func(r *cloud.CreateServiceRequest) {
			r.ServiceName, r.Image, r.BuildID, r.Region = "built", "", eu.Build.ID, "eu-central"
		})},
		{name: "create from a build in another region", call: create(func(r *cloud.CreateServiceRequest) {
			r.ServiceName, r.Image, r.BuildID = "new", "", eu.Build.ID
		}), wantStatus: 400, wantCode: bad},
		{name: "create from a failed build", call: create(func(r *cloud.CreateServiceRequest) {
			r.ServiceName, r.Image, r.BuildID = "new", "", failed.Build.ID
		}), wantStatus: 400, wantCode: bad},
		{name: "create from an unknown build", call: create(func(r *cloud.CreateServiceRequest) {
			r.ServiceName, r.Image, r.BuildID = "new", "", "123e4567-e89b-12d3-a456-426614174000"
		}), wantStatus: 400, wantCode: bad},
		{name: "create with a failing image", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName, r.Image = "crashy", "acme/bot:fail-crash" })},
		{name: "get while creating", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.GetAgent(ctx, "voice-starter")
			return err
		}},
		{name: "create with an image never pulled", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName, r.Image = "unpulled", "acme/bot:fail-pull" })},
		{name: "time passes", call: func(ctx context.Context, c *cloud.Client) error {
			clk.Advance(10 * time.Second)
			_, err := c.GetAgent(ctx, "crashy") // Failed, with its health
			return err
		}},
		{name: "get an agent with errors", call: func(ctx context.Context, c *cloud.Client) error {
			d, err := c.GetAgent(ctx, "unpulled")
			if err == nil && len(d.Errors) == 0 {
				return fmt.Errorf("no errors: %+v", d)
			}
			return err
		}},
		{name: "logs of a crashing deployment", call: func(ctx context.Context, c *cloud.Client) error {
			d, err := c.GetAgent(ctx, "crashy")
			if err != nil {
				return err
			}
			logs, err := c.AgentLogs(ctx, "crashy", cloud.LogQuery{Limit: 5, DeploymentID: d.DesiredDeploymentID})
			if err == nil && len(logs) != 5 {
				return fmt.Errorf("%d lines, want 5", len(logs))
			}
			return err
		}},
		{name: "logs of an unknown agent", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.AgentLogs(ctx, "nobody", cloud.LogQuery{})
			return err
		}, wantStatus: 404, wantCode: notFound},
		{name: "get properties", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.GetProperties(ctx)
			return err
		}},
		{name: "patch properties", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.UpdateProperties(ctx, &cloud.UpdatePropertiesRequest{DefaultRegion: strp("us-west")})
			return err
		}},
		{name: "patch properties to an unknown region", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.UpdateProperties(ctx, &cloud.UpdatePropertiesRequest{DefaultRegion: strp("mars-1")})
			return err
		}, wantStatus: 400, wantCode: bad},
		{name: "update with every field", call: update("voice-starter", cloud.UpdateServiceRequest{
			Image: "your-dockername/voice-starter:0.2", NodeType: "arm", ImagePullSecretSet: "dockerhub-credentials",
			SecretSet: "voice-starter-secrets", AutoScaling: &cloud.AutoScalingRequest{MinAgents: intp(1), MaxAgents: intp(10)},
			KrispViva: &cloud.KrispVivaRequest{}, AgentProfile: "agent-2x", ForceRedeploy: true, MaxSessionDuration: intp(60), EnableKrisp: new(bool),
			WebsocketAuth: strp("none"),
		})},
		{name: "get while rolling out", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.GetAgent(ctx, "voice-starter") // previousRevision present
			return err
		}},
		{name: "update to a build", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.UpdateAgent(ctx, "bot", &cloud.UpdateServiceRequest{BuildID: usw.Build.ID})
			return err
		}},
		{name: "list agents", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.ListAgents(ctx)
			return err
		}},
		{name: "delete", call: func(ctx context.Context, c *cloud.Client) error { return c.DeleteAgent(ctx, "built") }},

		{name: "get unknown", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.GetAgent(ctx, "nope")
			return err
		}, wantStatus: 404, wantCode: notFound},
		{name: "update unknown", call: update("nope", cloud.UpdateServiceRequest{Image: "a/b:1"}), wantStatus: 404, wantCode: notFound},
		{name: "delete unknown", call: func(ctx context.Context, c *cloud.Client) error { return c.DeleteAgent(ctx, "built") }, wantStatus: 404, wantCode: notFound},

		{name: "create existing", call: create(func(r *cloud.CreateServiceRequest) {}), wantStatus: 400, wantCode: bad},
		{name: "create without image or build", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName, r.Image = "new", "" }), wantStatus: 400, wantCode: bad},
		{name: "create with image and build", call: create(func(r *cloud.CreateServiceRequest) {
			r.ServiceName, r.BuildID = "new", "123e4567-e89b-12d3-a456-426614174000"
		}), wantStatus: 400, wantCode: bad},
		{name: "create with untagged image", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName, r.Image = "new", "acme/bot" }), wantStatus: 400, wantCode: bad},
		{name: "create in unknown region", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName, r.Region = "new", "mars-1" }), wantStatus: 400, wantCode: bad},
		{name: "create on x86", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName, r.NodeType = "new", "x86" }), wantStatus: 400, wantCode: bad},
		{name: "create with minAgents above 50", call: create(func(r *cloud.CreateServiceRequest) {
			r.ServiceName, r.AutoScaling = "new", &cloud.AutoScalingRequest{MinAgents: intp(51)}
		}), wantStatus: 400, wantCode: bad},
		{name: "create with minAgents above maxAgents", call: create(func(r *cloud.CreateServiceRequest) {
			r.ServiceName, r.AutoScaling = "new", &cloud.AutoScalingRequest{MinAgents: intp(5), MaxAgents: intp(2)}
		}), wantStatus: 400, wantCode: bad},
		{name: "create with missing secret set", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName, r.SecretSet = "new", "nope" }), wantStatus: 404, wantCode: notFound},
		{name: "create with missing image pull set", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName, r.ImagePullSecretSet = "new", "nope" }), wantStatus: 404, wantCode: notFound},
		{name: "create with secret set in another region", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName, r.SecretSet = "new", "east-secrets" }), wantStatus: 400, wantCode: bad},
		{name: "create with image pull set in another region", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName, r.ImagePullSecretSet = "new", "east-pull" }), wantStatus: 400, wantCode: bad},
		{name: "create with pending secret set", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName, r.SecretSet = "new", "pending-secrets" }), wantStatus: 409, wantCode: conflict},

		{name: "create with uppercase name", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName = "Bot" }), wantStatus: 400, wantCode: bad, specRejects: true},
		{name: "create with a 55-character name", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName = strings.Repeat("a", 55) }), wantStatus: 400, wantCode: bad, specRejects: true},
		{name: "create with a buildId that is no UUID", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName, r.Image, r.BuildID = "new", "", "build-1" }), wantStatus: 400, wantCode: bad, specRejects: true},
		{name: "create with unknown profile", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName, r.AgentProfile = "new", "agent-9x" }), wantStatus: 400, wantCode: bad, specRejects: true},
		{name: "create with unknown audio filter", call: create(func(r *cloud.CreateServiceRequest) {
			r.ServiceName, r.KrispViva = "new", &cloud.KrispVivaRequest{AudioFilter: strp("studio")}
		}), wantStatus: 400, wantCode: bad, specRejects: true},
		{name: "create with too short sessions", call: create(func(r *cloud.CreateServiceRequest) { r.ServiceName, r.MaxSessionDuration = "new", intp(59) }), wantStatus: 400, wantCode: bad, specRejects: true},
		{name: "update with too long sessions", call: update("bot", cloud.UpdateServiceRequest{MaxSessionDuration: intp(14401)}), wantStatus: 400, wantCode: bad, specRejects: true},

		{name: "update with image and build", call: update("bot", cloud.UpdateServiceRequest{Image: "a/b:1", BuildID: "123e4567-e89b-12d3-a456-426614174000"}), wantStatus: 400, wantCode: bad},
		{name: "update with secret set in another region", call: update("bot", cloud.UpdateServiceRequest{SecretSet: "east-secrets"}), wantStatus: 400, wantCode: bad},
		{name: "update with missing secret set", call: update("bot", cloud.UpdateServiceRequest{SecretSet: "nope"}), wantStatus: 404, wantCode: notFound},
		{name: "update with failed secret set", call: update("bot", cloud.UpdateServiceRequest{SecretSet: "failed-secrets"}), wantStatus: 409, wantCode: conflict},

		{name: "list secret sets", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.ListSecretSets(ctx)
			return err
		}},
		{name: "put regular set", call: putSet("app-secrets", cloud.SecretSetRequest{
			Secrets: []cloud.SecretKeyValue{{SecretKey: "API_KEY", SecretValue: "v"}}, Region: "us-west",
		})},
		{name: "put image pull set", call: putSet("ghcr", cloud.SecretSetRequest{IsImagePullSecret: true, Host: "https://ghcr.io", SecretValue: "t", Region: "eu-central"})},
		{name: "get pending set", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.GetSecretSet(ctx, "app-secrets")
			return err
		}},
		{name: "get failed set", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.GetSecretSet(ctx, "failed-secrets")
			return err
		}},
		{name: "get image pull set", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.GetSecretSet(ctx, "ghcr")
			return err
		}, wantStatus: 400, wantCode: bad},
		{name: "get unknown set", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.GetSecretSet(ctx, "nope")
			return err
		}, wantStatus: 404, wantCode: notFound},
		{name: "put set in another region", call: putSet("app-secrets", cloud.SecretSetRequest{
			Secrets: []cloud.SecretKeyValue{{SecretKey: "A", SecretValue: "b"}}, Region: "us-east",
		}), wantStatus: 400, wantCode: bad},
		{name: "put regular over image pull", call: putSet("ghcr", cloud.SecretSetRequest{Secrets: []cloud.SecretKeyValue{{SecretKey: "A", SecretValue: "b"}}}), wantStatus: 400, wantCode: bad},
		{name: "put image pull over regular", call: putSet("app-secrets", cloud.SecretSetRequest{IsImagePullSecret: true, Host: "https://ghcr.io", SecretValue: "t"}), wantStatus: 400, wantCode: bad},
		{name: "put in unknown region", call: putSet("app-secrets", cloud.SecretSetRequest{
			Secrets: []cloud.SecretKeyValue{{SecretKey: "A", SecretValue: "b"}}, Region: "mars-1",
		}), wantStatus: 400, wantCode: bad},
		{name: "put with invalid name", call: putSet("My_Set", cloud.SecretSetRequest{Secrets: []cloud.SecretKeyValue{{SecretKey: "A", SecretValue: "b"}}}), wantStatus: 400, wantCode: bad, specRejects: true},
		{name: "put with no secrets", call: putSet("empty-set", cloud.SecretSetRequest{}), wantStatus: 400, wantCode: bad, specRejects: true},
		{name: "put image pull without host", call: putSet("new-pull", cloud.SecretSetRequest{IsImagePullSecret: true, SecretValue: "t"}), wantStatus: 400, wantCode: bad, specRejects: true},

		{name: "delete a key", call: deleteKey("app-secrets", "API_KEY")},
		{name: "delete an unknown key", call: deleteKey("app-secrets", "API_KEY"), wantStatus: 404, wantCode: notFound},
		{name: "delete a key of an unknown set", call: deleteKey("nope", "API_KEY"), wantStatus: 404, wantCode: notFound},
		{name: "delete a key of an image pull set", call: deleteKey("ghcr", "API_KEY"), wantStatus: 404, wantCode: notFound},
		{name: "delete a key with an invalid set name", call: rc.op("DELETE", "/v1/secrets/My_Set/K", nil, nil), wantStatus: 404, wantCode: notFound, specRejects: true},
		{name: "delete a set", call: deleteSet("ghcr")},
		{name: "delete an unknown set", call: deleteSet("ghcr"), wantStatus: 404, wantCode: notFound},

		{name: "list regions", call: func(ctx context.Context, c *cloud.Client) error {
			_, err := c.ListRegions(ctx)
			return err
		}},
	})

	t.Run("without a key", func(t *testing.T) {
		c, v, rc := newContractClient(t, s, "")
		runContractCases(t, c, v, everyOperation(rc, 401, "UNAUTHORIZED", true))
	})
	t.Run("rate limited", func(t *testing.T) {
		limited, _ := newTestServer(t, Options{RateLimitRate: 1})
		c, v, rc := newContractClient(t, limited, "k")
		runContractCases(t, c, v, everyOperation(rc, 429, "TOO_MANY_REQUESTS", false))
	})
	t.Run("server errors", func(t *testing.T) {
		faulty, _ := newTestServer(t, Options{FaultRate: 1})
		c, v, rc := newContractClient(t, faulty, "k")
		runContractCases(t, c, v, everyOperation(rc, 500, "INTERNAL_SERVER_ERROR", false))
	})
}

// everyOperation calls each client method, and the operations it lacks,
// once, all expected to fail with status and code.
func everyOperation(rc raw, status int, code string, specRejects bool) []contractCase {
	calls := []struct {
		name string
		call func(ctx context.Context, c *cloud.Client) error
	}{
		{"list agents", func(ctx context.Context, c *cloud.Client) error { _, err := c.ListAgents(ctx); return err }},
		{"get agent", func(ctx context.Context, c *cloud.Client) error { _, err := c.GetAgent(ctx, "bot"); return err }},
		{"create agent", func(ctx context.Context, c *cloud.Client) error {
			_, err := c.CreateAgent(ctx, &cloud.CreateServiceRequest{ServiceName: "bot", Image: "a/b:1"})
			return err
		}},
		{"update agent", func(ctx context.Context, c *cloud.Client) error {
			_, err := c.UpdateAgent(ctx, "bot", &cloud.UpdateServiceRequest{Image: "a/b:2"})
			return err
		}},
		{"delete agent", func(ctx context.Context, c *cloud.Client) error { return c.DeleteAgent(ctx, "bot") }},
		{"list secret sets", func(ctx context.Context, c *cloud.Client) error { _, err := c.ListSecretSets(ctx); return err }},
		{"get secret set", func(ctx context.Context, c *cloud.Client) error { _, err := c.GetSecretSet(ctx, "abc"); return err }},
		{"put secret set", func(ctx context.Context, c *cloud.Client) error {
			_, err := c.PutSecretSet(ctx, "abc", &cloud.SecretSetRequest{Secrets: []cloud.SecretKeyValue{{SecretKey: "K", SecretValue: "v"}}})
			return err
		}},
		{"list regions", func(ctx context.Context, c *cloud.Client) error { _, err := c.ListRegions(ctx); return err }},
		{"get properties", func(ctx context.Context, c *cloud.Client) error { _, err := c.GetProperties(ctx); return err }},
		{"patch properties", func(ctx context.Context, c *cloud.Client) error {
			_, err := c.UpdateProperties(ctx, &cloud.UpdatePropertiesRequest{DefaultRegion: strp("us-east")})
			return err
		}},
		{"agent logs", func(ctx context.Context, c *cloud.Client) error {
			_, err := c.AgentLogs(ctx, "bot", cloud.LogQuery{Limit: 20})
			return err
		}},
		{"delete secret set", func(ctx context.Context, c *cloud.Client) error { return c.DeleteSecretSet(ctx, "abc") }},
		{"delete secret key", func(ctx context.Context, c *cloud.Client) error { return c.DeleteSecretKey(ctx, "abc", "K") }},
		{"upload URL", func(ctx context.Context, c *cloud.Client) error { _, err := c.UploadURL(ctx, "us-west"); return err }},
		{"create build", func(ctx context.Context, c *cloud.Client) error {
			_, err := c.CreateBuild(ctx, &cloud.CreateBuildRequest{UploadID: "123e4567-e89b-12d3-a456-426614174000", Region: "us-west"})
			return err
		}},
		{"list builds", func(ctx context.Context, c *cloud.Client) error {
			_, err := c.ListBuilds(ctx, cloud.BuildQuery{})
			return err
		}},
		{"get build", func(ctx context.Context, c *cloud.Client) error {
			_, err := c.GetBuild(ctx, "123e4567-e89b-12d3-a456-426614174000")
			return err
		}},
		{"get build logs", func(ctx context.Context, c *cloud.Client) error {
			_, err := c.GetBuildLogs(ctx, "123e4567-e89b-12d3-a456-426614174000", 500)
			return err
		}},
	}
	var out []contractCase
	for _, c := range calls {
		out = append(out, contractCase{name: c.name, call: c.call, wantStatus: status, wantCode: code, specRejects: specRejects})
	}
	return out
}

// TestContractCatchesDeviations proves the validator can fail: an
// undeclared field, a missing required field, a wrong type and an
// undocumented status are all reported.
func TestContractCatchesDeviations(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		status int
		body   string
	}{
		{"undeclared top-level field", "GET", "/v1/agents/bot", 200, `{"name":"bot","ready":true,"bogus":1}`},
		{"undeclared nested field", "GET", "/v1/agents/bot", 200, `{"name":"bot","deployment":{"manifest":{"spec":{"imagePullSecret":"x"}}}}`},
		{"krispModels where it is not allowlisted", "GET", "/v1/agents", 200, `{"services":[{"name":"bot","krispModels":{"enabled":false}}]}`},
		{"wrong type", "GET", "/v1/agents/bot", 200, `{"name":"bot","ready":"yes"}`},
		{"null where the schema says string", "GET", "/v1/agents/bot", 200, `{"name":"bot","reconciledDeploymentId":null}`},
		{"enum", "GET", "/v1/secrets", 200, `{"sets":[{"name":"a","type":"tls"}]}`},
		{"missing required field", "PUT", "/v1/secrets/abc", 202, `{"status":"OK"}`},
		{"error body without code", "GET", "/v1/agents/bot", 404, `{"error":"Not found"}`},
		{"undocumented status", "GET", "/v1/agents/bot", 418, `{"error":"teapot","code":"TEAPOT"}`},
		{"undocumented 409 elsewhere", "DELETE", "/v1/agents/bot", 409, `{"error":"x","code":"CONFLICT"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			srv := httptest.NewServer(fake)
			defer srv.Close()
			v := newContract(t)
			var body io.Reader
			if tt.method == "PUT" {
				body = strings.NewReader(`{"secrets":[{"secretKey":"K","secretValue":"v"}]}`)
			}
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, body)
			req.Header.Set("Authorization", "Bearer k")
			req.Header.Set("Content-Type", "application/json")
			resp, err := (&http.Client{Transport: v}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			exs := v.take()
			if len(exs) != 1 || exs[0].requestErr != nil {
				t.Fatalf("exchanges %+v", exs)
			}
			if exs[0].responseErr == nil {
				t.Errorf("%d %s passed validation", tt.status, tt.body)
			}
		})
	}
}

// TestSpecExamples: the sandbox answers the spec's example requests with
// the spec's example responses, up to IDs, times and the namespace, and
// the differences listed here.
func TestSpecExamples(t *testing.T) {
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	example := func(op *openapi3.Operation, status string) any {
		mt := op.Responses.Value(status).Value.Content.Get("application/json")
		return normalize(roundTrip(t, mt.Example))
	}
	reqExample := func(op *openapi3.Operation) string {
		b, _ := json.Marshal(op.RequestBody.Value.Content.Get("application/json").Example)
		return string(b)
	}
	agents, agent := doc.Paths.Value("/agents"), doc.Paths.Value("/agents/{agentName}")

	s, clk := newTestServer(t, Options{SecretSets: seeds, ReadyDelay: 13 * time.Second})

	// Fields listed as "example" deviations are compared without.
	stripped := func(op string, v any) any {
		b, _ := json.Marshal(v)
		b, err := strip(op, "example", 200, b)
		if err != nil {
			t.Fatal(err)
		}
		return roundTrip(t, string(b))
	}
	got := stripped("createService", normalize(roundTrip(t, mustCall(t, s, "POST", "/v1/agents", reqExample(agents.Post), 200))))
	want := stripped("createService", example(agents.Post, "200"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("create (-spec +sandbox):\n%s", diff)
	}

	clk.Advance(13 * time.Second)
	mustCall(t, s, "POST", "/v1/agents/voice-starter", reqExample(agent.Post), 200)
	clk.Advance(13 * time.Second)
	got = normalize(roundTrip(t, mustCall(t, s, "GET", "/v1/agents/voice-starter", "", 200)))
	if diff := cmp.Diff(example(agent.Get, "200"), got); diff != "" {
		t.Errorf("get after update (-spec +sandbox):\n%s", diff)
	}

	got = normalize(roundTrip(t, mustCall(t, s, "GET", "/v1/regions", "", 200)))
	if diff := cmp.Diff(example(doc.Paths.Value("/regions").Get, "200"), got); diff != "" {
		t.Errorf("regions (-spec +sandbox):\n%s", diff)
	}
	got = normalize(roundTrip(t, mustCall(t, s, "DELETE", "/v1/agents/voice-starter", "", 200)))
	if diff := cmp.Diff(example(agent.Delete, "200"), got); diff != "" {
		t.Errorf("delete (-spec +sandbox):\n%s", diff)
	}
	for _, tc := range []struct {
		op     *openapi3.Operation
		status string
		method string
		path   string
		body   string
	}{
		{agent.Get, "404", "GET", "/v1/agents/nope", ""},
		{agent.Delete, "404", "DELETE", "/v1/agents/nope", ""},
		{agent.Post, "404", "POST", "/v1/agents/nope", `{}`},
		{agents.Post, "404", "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1","secretSet":"nope"}`},
		{doc.Paths.Value("/secrets/{setName}").Get, "400", "GET", "/v1/secrets/dockerhub-credentials", ""},
		{doc.Paths.Value("/secrets/{setName}").Get, "404", "GET", "/v1/secrets/nope", ""},
	} {
		code, body := call(t, s, tc.method, tc.path, tc.body)
		if fmt.Sprint(code) != tc.status {
			t.Errorf("%s %s: %d, want %s", tc.method, tc.path, code, tc.status)
		}
		if diff := cmp.Diff(example(tc.op, tc.status), normalize(roundTrip(t, body))); diff != "" {
			t.Errorf("%s %s (-spec +sandbox):\n%s", tc.method, tc.path, diff)
		}
	}
}

// TestSpecBuildExamples: the build errors of an agent create answer with
// the spec's named examples, word for word.
func TestSpecBuildExamples(t *testing.T) {
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	examples := doc.Paths.Value("/agents").Post.Responses.Value("400").Value.Content.Get("application/json").Examples
	s, clk := newTestServer(t, Options{BuildDelay: time.Minute})
	eu := newBuild(t, s, "eu-central", okContext)
	clk.Advance(time.Minute)
	building := newBuild(t, s, "us-west", okContext)
	clk.Advance(30 * time.Second)
	for _, tc := range []struct{ example, body string }{
		{"buildNotFound", `{"serviceName":"bot","buildId":"123e4567-e89b-12d3-a456-426614174000"}`},
		{"buildRegionMismatch", `{"serviceName":"bot","region":"us-west","buildId":"` + eu + `"}`},
		{"buildNotReady", `{"serviceName":"bot","buildId":"` + building + `"}`},
		{"imageAndBuildIdConflict", `{"serviceName":"bot","image":"a/b:1","buildId":"` + eu + `"}`},
		{"imageOrBuildIdRequired", `{"serviceName":"bot"}`},
	} {
		code, body := call(t, s, "POST", "/v1/agents", tc.body)
		if diff := cmp.Diff(roundTrip(t, examples[tc.example].Value.Value), roundTrip(t, body)); code != 400 || diff != "" {
			t.Errorf("%s: %d (-spec +sandbox):\n%s", tc.example, code, diff)
		}
	}
}

func roundTrip(t *testing.T, v any) any {
	t.Helper()
	var b []byte
	if s, ok := v.(string); ok {
		b = []byte(s)
	} else {
		b, _ = json.Marshal(v)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return out
}

// normalize replaces what legitimately differs between two emulations
// (IDs, times, the namespace) with placeholders.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			switch k {
			case "id", "serviceId", "desiredDeploymentId", "activeDeploymentId", "reconciledDeploymentId", "deploymentID", "organizationId":
				if e != nil {
					v[k] = "<id>"
				}
			case "createdAt", "updatedAt", "phaseStartedAt":
				v[k] = "<time>"
			case "namespace":
				v[k] = "<namespace>"
			default:
				v[k] = normalize(e)
			}
		}
	case []any:
		for i := range v {
			v[i] = normalize(v[i])
		}
	}
	return v
}
