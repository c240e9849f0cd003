package cloud_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

const testKey = "pk_test_SUPERSECRET_0123456789"

func TestNormalizeBaseURL(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string // substring; "" means success
	}{
		{name: "default unchanged", in: "https://api.pipecat.daily.co", want: "https://api.pipecat.daily.co"},
		{name: "trailing slash", in: "https://api.pipecat.daily.co/", want: "https://api.pipecat.daily.co"},
		{name: "trailing v1", in: "https://api.pipecat.daily.co/v1", want: "https://api.pipecat.daily.co"},
		{name: "trailing v1 slash", in: "https://api.pipecat.daily.co/v1/", want: "https://api.pipecat.daily.co"},
		{name: "surrounding space", in: "  https://api.pipecat.daily.co/v1 \n", want: "https://api.pipecat.daily.co"},
		{name: "path prefix kept", in: "https://proxy.example.com/pipecat/v1", want: "https://proxy.example.com/pipecat"},
		{name: "v1 inside a word is not stripped", in: "https://x.example/apiv1", want: "https://x.example/apiv1"},
		{name: "https with port", in: "https://x.example:8443/v1", want: "https://x.example:8443"},
		{name: "uppercase scheme", in: "HTTPS://x.example", want: "https://x.example"},
		{name: "http 127.0.0.1", in: "http://127.0.0.1:8787/v1", want: "http://127.0.0.1:8787"},
		{name: "http 127.8.9.10", in: "http://127.8.9.10", want: "http://127.8.9.10"},
		{name: "http ::1", in: "http://[::1]:8787", want: "http://[::1]:8787"},
		{name: "http localhost", in: "http://localhost:8787/", want: "http://localhost:8787"},
		{name: "http LOCALHOST", in: "http://LOCALHOST:8787", want: "http://LOCALHOST:8787"},
		{name: "http remote host refused", in: "http://api.pipecat.daily.co", wantErr: "plain http is allowed only for a loopback host"},
		{name: "http private ip refused", in: "http://10.0.0.1", wantErr: "plain http"},
		{name: "http 0.0.0.0 refused", in: "http://0.0.0.0:8787", wantErr: "plain http"},
		{name: "http localhost lookalike refused", in: "http://localhost.evil.example", wantErr: "plain http"},
		{name: "http 128.0.0.1 refused", in: "http://128.0.0.1", wantErr: "plain http"},
		{name: "empty", in: "", wantErr: "empty"},
		{name: "blank", in: "   ", wantErr: "empty"},
		{name: "no scheme", in: "api.pipecat.daily.co", wantErr: "must start with https://"},
		{name: "host:port without scheme", in: "localhost:8787", wantErr: "must start with https://"},
		{name: "ftp scheme", in: "ftp://x.example", wantErr: "must start with https://"},
		{name: "no host", in: "https:///v1", wantErr: "no host"},
		{name: "credentials refused", in: "https://user:hunter2@x.example", wantErr: "must not contain credentials"},
		{name: "query refused", in: "https://x.example/v1?a=b", wantErr: "query or fragment"},
		{name: "fragment refused", in: "https://x.example/#top", wantErr: "query or fragment"},
		{name: "unparsable", in: "https://x.example/%zz", wantErr: "invalid URL escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cloud.NormalizeBaseURL(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NormalizeBaseURL(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error leaks the URL's password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NormalizeBaseURL(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("NormalizeBaseURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewDefaultsAndRefusals(t *testing.T) {
	c, err := cloud.New(cloud.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.BaseURL(); got != cloud.DefaultBaseURL {
		t.Errorf("BaseURL() = %q, want %q", got, cloud.DefaultBaseURL)
	}
	if _, err := cloud.New(cloud.Options{BaseURL: "http://example.com"}); err == nil {
		t.Error("New accepted a plain http URL to a remote host")
	}
	for _, key := range []string{"pk_a b", "pk_a\nb", "pk_\x00"} {
		_, err := cloud.New(cloud.Options{APIKey: key})
		if err == nil {
			t.Errorf("New accepted key %q", key)
		} else if strings.Contains(err.Error(), key) {
			t.Errorf("error quotes the key: %v", err)
		}
	}
}

func TestKeyWhitespaceTrimmed(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 200, `{"regions":[]}`) })
	opts := fastOptions(srv.URL)
	opts.APIKey = " " + testKey + "\n"
	c := newClient(t, opts)
	if _, err := c.ListRegions(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := srv.requests()[0].Auth; got != "Bearer "+testKey {
		t.Errorf("Authorization = %q, want the trimmed key", got)
	}
}

// recorded is what the test server saw of one request.
type recorded struct {
	Method      string
	URI         string // escaped path and query, as sent
	Auth        string
	UserAgent   string
	ContentType string
	Body        string
}

// server is an httptest server whose handler answers from a script of
// responses and records every request.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

// newServer serves handle for each request; handle gets the 1-based hit
// number.
func newServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, hit int)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{
			Method:      r.Method,
			URI:         r.RequestURI,
			Auth:        r.Header.Get("Authorization"),
			UserAgent:   r.Header.Get("User-Agent"),
			ContentType: r.Header.Get("Content-Type"),
			Body:        string(body),
		})
		hit := len(s.reqs)
		s.mu.Unlock()
		handle(w, r, hit)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

func (s *server) hits() int { return len(s.requests()) }

func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// fastOptions retries without noticeable waits: the backoff ceiling is 1ms.
func fastOptions(baseURL string) cloud.Options {
	return cloud.Options{
		BaseURL:     baseURL,
		APIKey:      testKey,
		UserAgent:   "pipecat-gitops/1.2.3",
		MinBackoff:  time.Microsecond,
		MaxBackoff:  time.Millisecond,
		MaxAttempts: 4,
	}
}

func newClient(t *testing.T, opts cloud.Options) *cloud.Client {
	t.Helper()
	c, err := cloud.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

func TestRoundTrip(t *testing.T) {
	const detailsJSON = `{"name":"voice-starter","region":"us-west","ready":true,"desiredDeploymentId":"d1","reconciledDeploymentId":"d1",` +
		`"autoScaling":{"minReplicas":1,"maxReplicas":20},"deployment":{"id":"d1","manifest":{"metadata":{"name":"voice-starter"},"spec":{"image":"acme/voice:1.0","envFromSecretNames":["s1"]}}},` +
		`"agentProfile":"agent-1x","krispViva":{"audioFilter":null},"currentRevision":{"phase":"Active","health":{"ready":true,"state":"running"}}}`
	wantDetails := &cloud.ServiceDetails{
		Name: "voice-starter", Region: "us-west", Ready: true,
		DesiredDeploymentID: "d1", ReconciledDeploymentID: ptr("d1"),
		AutoScaling: &cloud.ReplicaScaling{MinReplicas: ptr(1), MaxReplicas: ptr(20)},
		Deployment: &cloud.Deployment{ID: "d1", Manifest: &cloud.Manifest{
			Metadata: cloud.ManifestMetadata{Name: "voice-starter"},
			Spec:     cloud.ManifestSpec{Image: "acme/voice:1.0", EnvFromSecretNames: []string{"s1"}},
		}},
		AgentProfile:    ptr("agent-1x"),
		KrispViva:       &cloud.KrispVivaState{},
		CurrentRevision: &cloud.RevisionInfo{Phase: "Active", Health: &cloud.RevisionHealth{Ready: true, State: "running"}},
	}

	tests := []struct {
		name       string
		call       func(ctx context.Context, c *cloud.Client) (any, error)
		status     int
		respBody   string
		wantMethod string
		wantURI    string
		wantBody   string // JSON compared structurally; "" means no body
		want       any
	}{
		{
			name:       "list agents",
			call:       func(ctx context.Context, c *cloud.Client) (any, error) { return c.ListAgents(ctx) },
			status:     200,
			respBody:   `{"services":[{"id":"i1","name":"a1","region":"us-west","deletedAt":null},{"name":"a2","region":"eu-central"}]}`,
			wantMethod: "GET", wantURI: "/v1/agents",
			want: []cloud.ServiceListItem{{ID: "i1", Name: "a1", Region: "us-west"}, {Name: "a2", Region: "eu-central"}},
		},
		{
			name:       "get agent",
			call:       func(ctx context.Context, c *cloud.Client) (any, error) { return c.GetAgent(ctx, "voice-starter") },
			status:     200,
			respBody:   detailsJSON,
			wantMethod: "GET", wantURI: "/v1/agents/voice-starter",
			want: wantDetails,
		},
		{
			name:       "get agent escapes the name",
			call:       func(ctx context.Context, c *cloud.Client) (any, error) { return c.GetAgent(ctx, "a b/c?d") },
			status:     200,
			respBody:   `{"name":"a b/c?d","ready":true}`,
			wantMethod: "GET", wantURI: "/v1/agents/a%20b%2Fc%3Fd",
			want: &cloud.ServiceDetails{Name: "a b/c?d", Ready: true},
		},
		{
			name: "create agent full spec",
			call: func(ctx context.Context, c *cloud.Client) (any, error) {
				return c.CreateAgent(ctx, &cloud.CreateServiceRequest{
					ServiceName:        "voice-starter",
					Image:              "ghcr.io/acme/voice-starter:1.4.0",
					Region:             "us-west",
					NodeType:           "arm",
					ImagePullSecretSet: "ghcr-pull",
					SecretSet:          "voice-starter-secrets",
					AutoScaling:        &cloud.AutoScalingRequest{MinAgents: ptr(0), MaxAgents: ptr(20)},
					KrispViva:          &cloud.KrispVivaRequest{AudioFilter: ptr("tel")},
					AgentProfile:       "agent-2x",
					MaxSessionDuration: ptr(3600),
					EnableKrisp:        ptr(false),
				})
			},
			status:     200,
			respBody:   detailsJSON,
			wantMethod: "POST", wantURI: "/v1/agents",
			wantBody: `{"serviceName":"voice-starter","image":"ghcr.io/acme/voice-starter:1.4.0","region":"us-west","nodeType":"arm",
				"imagePullSecretSet":"ghcr-pull","secretSet":"voice-starter-secrets","autoScaling":{"minAgents":0,"maxAgents":20},
				"krispViva":{"audioFilter":"tel"},"agentProfile":"agent-2x","maxSessionDuration":3600,"enableKrisp":false}`,
			want: wantDetails,
		},
		{
			name: "create agent minimal: nil fields absent, krisp null explicit",
			call: func(ctx context.Context, c *cloud.Client) (any, error) {
				return c.CreateAgent(ctx, &cloud.CreateServiceRequest{
					ServiceName: "b1",
					BuildID:     "123e4567-e89b-12d3-a456-426614174000",
					KrispViva:   &cloud.KrispVivaRequest{AudioFilter: nil},
				})
			},
			status:     200,
			respBody:   detailsJSON,
			wantMethod: "POST", wantURI: "/v1/agents",
			wantBody: `{"serviceName":"b1","buildId":"123e4567-e89b-12d3-a456-426614174000","krispViva":{"audioFilter":null}}`,
			want:     wantDetails,
		},
		{
			name: "update agent",
			call: func(ctx context.Context, c *cloud.Client) (any, error) {
				return c.UpdateAgent(ctx, "voice-starter", &cloud.UpdateServiceRequest{
					Image:       "ghcr.io/acme/voice-starter:1.5.0",
					AutoScaling: &cloud.AutoScalingRequest{MaxAgents: ptr(10)},
					KrispViva:   &cloud.KrispVivaRequest{},
				})
			},
			status:     200,
			respBody:   detailsJSON,
			wantMethod: "POST", wantURI: "/v1/agents/voice-starter",
			wantBody: `{"image":"ghcr.io/acme/voice-starter:1.5.0","autoScaling":{"maxAgents":10},"krispViva":{"audioFilter":null}}`,
			want:     wantDetails,
		},
		{
			name: "update agent with build and redeploy",
			call: func(ctx context.Context, c *cloud.Client) (any, error) {
				return c.UpdateAgent(ctx, "b1", &cloud.UpdateServiceRequest{BuildID: "123e4567-e89b-12d3-a456-426614174000", ForceRedeploy: true})
			},
			status:     200,
			respBody:   detailsJSON,
			wantMethod: "POST", wantURI: "/v1/agents/b1",
			wantBody: `{"buildId":"123e4567-e89b-12d3-a456-426614174000","forceRedeploy":true}`,
			want:     wantDetails,
		},
		{
			name: "delete agent",
			call: func(ctx context.Context, c *cloud.Client) (any, error) {
				return nil, c.DeleteAgent(ctx, "old-bot")
			},
			status:     200,
			respBody:   `{"status":"OK"}`,
			wantMethod: "DELETE", wantURI: "/v1/agents/old-bot",
		},
		{
			name:       "list secret sets",
			call:       func(ctx context.Context, c *cloud.Client) (any, error) { return c.ListSecretSets(ctx) },
			status:     200,
			respBody:   `{"sets":[{"name":"s1","type":"secret","region":"us-west","status":"ready"},{"name":"pull","type":"imagePullSecret","region":"us-west","status":"failed","errorMessage":"bad"}]}`,
			wantMethod: "GET", wantURI: "/v1/secrets",
			want: []cloud.SecretSetSummary{
				{Name: "s1", Type: cloud.SecretTypeSecret, Region: "us-west", Status: cloud.SecretStatusReady},
				{Name: "pull", Type: cloud.SecretTypeImagePullSecret, Region: "us-west", Status: cloud.SecretStatusFailed, ErrorMessage: "bad"},
			},
		},
		{
			name:       "get secret set",
			call:       func(ctx context.Context, c *cloud.Client) (any, error) { return c.GetSecretSet(ctx, "s1") },
			status:     200,
			respBody:   `{"region":"us-west","status":"ready","secrets":[{"fieldName":"API_KEY"}]}`,
			wantMethod: "GET", wantURI: "/v1/secrets/s1",
			want: &cloud.SecretSetDetails{Region: "us-west", Status: "ready", Secrets: []cloud.SecretKey{{FieldName: "API_KEY"}}},
		},
		{
			name: "put regular secret set",
			call: func(ctx context.Context, c *cloud.Client) (any, error) {
				return c.PutSecretSet(ctx, "s1", &cloud.SecretSetRequest{
					Secrets: []cloud.SecretKeyValue{{SecretKey: "API_KEY", SecretValue: "v"}},
					Region:  "us-west",
				})
			},
			status:     202,
			respBody:   `{"status":"OK","region":"us-west"}`,
			wantMethod: "PUT", wantURI: "/v1/secrets/s1",
			wantBody: `{"secrets":[{"secretKey":"API_KEY","secretValue":"v"}],"region":"us-west"}`,
			want:     &cloud.SecretSetAccepted{Status: "OK", Region: "us-west"},
		},
		{
			name: "put image pull secret set",
			call: func(ctx context.Context, c *cloud.Client) (any, error) {
				return c.PutSecretSet(ctx, "pull", &cloud.SecretSetRequest{
					IsImagePullSecret: true, Host: "https://ghcr.io", SecretValue: "dXNlcjpwYXNz",
				})
			},
			status:     202,
			respBody:   `{"status":"OK","region":"us-west"}`,
			wantMethod: "PUT", wantURI: "/v1/secrets/pull",
			wantBody: `{"isImagePullSecret":true,"host":"https://ghcr.io","secretValue":"dXNlcjpwYXNz"}`,
			want:     &cloud.SecretSetAccepted{Status: "OK", Region: "us-west"},
		},
		{
			name: "delete secret set",
			call: func(ctx context.Context, c *cloud.Client) (any, error) {
				return nil, c.DeleteSecretSet(ctx, "app.secrets")
			},
			status:     200,
			respBody:   `{"status":"OK"}`,
			wantMethod: "DELETE", wantURI: "/v1/secrets/app.secrets",
		},
		{
			name: "delete secret key",
			call: func(ctx context.Context, c *cloud.Client) (any, error) {
				return nil, c.DeleteSecretKey(ctx, "s1", "OLD_KEY")
			},
			status:     200,
			respBody:   `{"status":"OK"}`,
			wantMethod: "DELETE", wantURI: "/v1/secrets/s1/OLD_KEY",
		},
		{
			name:       "list regions",
			call:       func(ctx context.Context, c *cloud.Client) (any, error) { return c.ListRegions(ctx) },
			status:     200,
			respBody:   `{"regions":[{"code":"us-west","display_name":"US West (Oregon)"}]}`,
			wantMethod: "GET", wantURI: "/v1/regions",
			want: []cloud.Region{{Code: "us-west", DisplayName: "US West (Oregon)"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, tt.status, tt.respBody) })
			// The base URL carries a trailing /v1/, as users may write it;
			// paths must not double it.
			c := newClient(t, fastOptions(srv.URL+"/v1/"))
			got, err := tt.call(t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("result (-want +got):\n%s", diff)
				}
			}
			reqs := srv.requests()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			wantCT := ""
			if tt.wantBody != "" {
				wantCT = "application/json"
			}
			wantReq := recorded{Method: tt.wantMethod, URI: tt.wantURI, Auth: "Bearer " + testKey, UserAgent: "pipecat-gitops/1.2.3", ContentType: wantCT}
			if diff := cmp.Diff(wantReq, r, cmpopts.IgnoreFields(recorded{}, "Body")); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(jsonValue(t, tt.wantBody), jsonValue(t, r.Body)); diff != "" {
				t.Errorf("request body (-want +got):\n%s\ngot raw: %s", diff, r.Body)
			}
		})
	}
}

// jsonValue decodes s generically, so a missing key and a null differ.
func jsonValue(t *testing.T, s string) any {
	t.Helper()
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON %q: %v", s, err)
	}
	return v
}

func TestInvalidNamesAreNotSent(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 200, `{}`) })
	c := newClient(t, fastOptions(srv.URL))
	for _, name := range []string{"", ".", ".."} {
		if _, err := c.GetAgent(t.Context(), name); err == nil {
			t.Errorf("GetAgent(%q) succeeded", name)
		}
		if err := c.DeleteAgent(t.Context(), name); err == nil {
			t.Errorf("DeleteAgent(%q) succeeded", name)
		}
		if err := c.DeleteSecretSet(t.Context(), name); err == nil {
			t.Errorf("DeleteSecretSet(%q) succeeded", name)
		}
		if err := c.DeleteSecretKey(t.Context(), "s1", name); err == nil {
			t.Errorf("DeleteSecretKey(s1, %q) succeeded", name)
		}
	}
	if n := srv.hits(); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

func TestNoKeyNoAuthorizationHeader(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 200, `{"regions":[]}`) })
	opts := fastOptions(srv.URL)
	opts.APIKey = ""
	opts.UserAgent = ""
	c := newClient(t, opts)
	if _, err := c.ListRegions(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := srv.requests()[0]
	if r.Auth != "" {
		t.Errorf("Authorization = %q, want none", r.Auth)
	}
	if r.UserAgent != "pipecat-gitops" {
		t.Errorf("User-Agent = %q, want the default pipecat-gitops", r.UserAgent)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name          string
		call          func(ctx context.Context, c *cloud.Client) error
		status        int
		body          string
		want          cloud.Error
		wantText      string
		notFound      bool
		alreadyExists bool
	}{
		{
			name: "create of an existing agent",
			call: func(ctx context.Context, c *cloud.Client) error {
				_, err := c.CreateAgent(ctx, &cloud.CreateServiceRequest{ServiceName: "voice-starter", Image: "a:1"})
				return err
			},
			status:        400,
			body:          `{"error":"Service already exists","code":"GENERIC_BAD_REQUEST"}`,
			want:          cloud.Error{Method: "POST", Path: "/v1/agents", Status: 400, Code: "GENERIC_BAD_REQUEST", Message: "Service already exists"},
			wantText:      "POST /v1/agents: 400 GENERIC_BAD_REQUEST: Service already exists",
			alreadyExists: true,
		},
		{
			name: "already exists matched case-insensitively",
			call: func(ctx context.Context, c *cloud.Client) error {
				_, err := c.CreateAgent(ctx, &cloud.CreateServiceRequest{ServiceName: "x1"})
				return err
			},
			status:        400,
			body:          `{"error":"service ALREADY EXISTS in org","code":"GENERIC_BAD_REQUEST"}`,
			want:          cloud.Error{Method: "POST", Path: "/v1/agents", Status: 400, Code: "GENERIC_BAD_REQUEST", Message: "service ALREADY EXISTS in org"},
			wantText:      "POST /v1/agents: 400 GENERIC_BAD_REQUEST: service ALREADY EXISTS in org",
			alreadyExists: true,
		},
		{
			name: "other bad request is not already exists",
			call: func(ctx context.Context, c *cloud.Client) error {
				_, err := c.CreateAgent(ctx, &cloud.CreateServiceRequest{ServiceName: "x1"})
				return err
			},
			status:   400,
			body:     `{"error":"Either image or buildId is required for service creation","code":"GENERIC_BAD_REQUEST"}`,
			want:     cloud.Error{Method: "POST", Path: "/v1/agents", Status: 400, Code: "GENERIC_BAD_REQUEST", Message: "Either image or buildId is required for service creation"},
			wantText: "POST /v1/agents: 400 GENERIC_BAD_REQUEST: Either image or buildId is required for service creation",
		},
		{
			name: "get of a missing agent",
			call: func(ctx context.Context, c *cloud.Client) error {
				_, err := c.GetAgent(ctx, "nope")
				return err
			},
			status:   404,
			body:     `{"error":"Not found","code":"NOT_FOUND"}`,
			want:     cloud.Error{Method: "GET", Path: "/v1/agents/nope", Status: 404, Code: "NOT_FOUND", Message: "Not found"},
			wantText: "GET /v1/agents/nope: 404 NOT_FOUND: Not found",
			notFound: true,
		},
		{
			name:     "delete of a missing agent",
			call:     func(ctx context.Context, c *cloud.Client) error { return c.DeleteAgent(ctx, "gone") },
			status:   404,
			body:     `{"error":"Not found","code":"NOT_FOUND"}`,
			want:     cloud.Error{Method: "DELETE", Path: "/v1/agents/gone", Status: 404, Code: "NOT_FOUND", Message: "Not found"},
			wantText: "DELETE /v1/agents/gone: 404 NOT_FOUND: Not found",
			notFound: true,
		},
		{
			name: "non-JSON body gives a trimmed snippet",
			call: func(ctx context.Context, c *cloud.Client) error {
				_, err := c.ListAgents(ctx)
				return err
			},
			status:   401,
			body:     "<html>\n  <body>Unauthorized\n</body>\n</html>\n",
			want:     cloud.Error{Method: "GET", Path: "/v1/agents", Status: 401, Message: "<html> <body>Unauthorized </body> </html>"},
			wantText: "GET /v1/agents: 401 Unauthorized: <html> <body>Unauthorized </body> </html>",
		},
		{
			name: "long body is cut",
			call: func(ctx context.Context, c *cloud.Client) error {
				_, err := c.ListAgents(ctx)
				return err
			},
			status:   403,
			body:     strings.Repeat("x", 1000),
			want:     cloud.Error{Method: "GET", Path: "/v1/agents", Status: 403, Message: "..."},
			wantText: "GET /v1/agents: 403 Forbidden: ...",
		},
		{
			name: "empty body",
			call: func(ctx context.Context, c *cloud.Client) error {
				_, err := c.ListRegions(ctx)
				return err
			},
			status:   401,
			body:     "",
			want:     cloud.Error{Method: "GET", Path: "/v1/regions", Status: 401},
			wantText: "GET /v1/regions: 401 Unauthorized",
		},
		{
			name: "JSON without the error fields gives a snippet",
			call: func(ctx context.Context, c *cloud.Client) error {
				_, err := c.ListRegions(ctx)
				return err
			},
			status:   422,
			body:     `{"detail":"nope"}`,
			want:     cloud.Error{Method: "GET", Path: "/v1/regions", Status: 422, Message: `{"detail":"nope"}`},
			wantText: `GET /v1/regions: 422 Unprocessable Entity: {"detail":"nope"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, tt.status, tt.body) })
			c := newClient(t, fastOptions(srv.URL))
			err := tt.call(t.Context(), c)
			var apiErr *cloud.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v (%T) is not a *cloud.Error", err, err)
			}
			if diff := cmp.Diff(tt.want, *apiErr); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if got := err.Error(); got != tt.wantText {
				t.Errorf("Error() = %q, want %q", got, tt.wantText)
			}
			if got := cloud.IsNotFound(err); got != tt.notFound {
				t.Errorf("IsNotFound = %v, want %v", got, tt.notFound)
			}
			if got := cloud.IsAlreadyExists(err); got != tt.alreadyExists {
				t.Errorf("IsAlreadyExists = %v, want %v", got, tt.alreadyExists)
			}
			if n := srv.hits(); n != 1 {
				t.Errorf("server saw %d requests, want 1 (4xx is not retried)", n)
			}
		})
	}
}

func TestHelpersOnOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("not found"), fmt.Errorf("wrapped: %w", context.Canceled)} {
		if cloud.IsNotFound(err) || cloud.IsAlreadyExists(err) {
			t.Errorf("helpers matched %v", err)
		}
	}
	wrapped := fmt.Errorf("read agent x: %w", &cloud.Error{Status: 404})
	if !cloud.IsNotFound(wrapped) {
		t.Error("IsNotFound does not see through wrapping")
	}
}

func TestRetryThenSuccess(t *testing.T) {
	tests := []struct {
		name       string
		failStatus int
		failures   int
	}{
		{name: "503 once", failStatus: 503, failures: 1},
		{name: "500 twice", failStatus: 500, failures: 2},
		{name: "502 three times", failStatus: 502, failures: 3},
		{name: "504 once", failStatus: 504, failures: 1},
		{name: "429 without Retry-After", failStatus: 429, failures: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
				if hit <= tt.failures {
					reply(w, tt.failStatus, `{"error":"try later","code":"X"}`)
					return
				}
				reply(w, 200, `{"services":[{"name":"a1"}]}`)
			})
			var logs []cloud.RequestLog
			opts := fastOptions(srv.URL)
			opts.Logger = func(l cloud.RequestLog) { logs = append(logs, l) }
			c := newClient(t, opts)
			got, err := c.ListAgents(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]cloud.ServiceListItem{{Name: "a1"}}, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if n := srv.hits(); n != tt.failures+1 {
				t.Errorf("server saw %d requests, want %d", n, tt.failures+1)
			}
			var attempts, statuses []int
			for _, l := range logs {
				attempts = append(attempts, l.Attempt)
				statuses = append(statuses, l.Status)
			}
			var wantAttempts, wantStatuses []int
			for i := 1; i <= tt.failures+1; i++ {
				wantAttempts = append(wantAttempts, i)
				wantStatuses = append(wantStatuses, tt.failStatus)
			}
			wantStatuses[len(wantStatuses)-1] = 200
			if diff := cmp.Diff(wantAttempts, attempts); diff != "" {
				t.Errorf("logged attempts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantStatuses, statuses); diff != "" {
				t.Errorf("logged statuses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBoundedAttemptsReturnLastError(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
		reply(w, 503, fmt.Sprintf(`{"error":"overloaded %d","code":"UNAVAILABLE"}`, hit))
	})
	opts := fastOptions(srv.URL)
	opts.MaxAttempts = 3
	c := newClient(t, opts)
	_, err := c.ListAgents(t.Context())
	var apiErr *cloud.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v is not a *cloud.Error", err)
	}
	want := cloud.Error{Method: "GET", Path: "/v1/agents", Status: 503, Code: "UNAVAILABLE", Message: "overloaded 3"}
	if diff := cmp.Diff(want, *apiErr); diff != "" {
		t.Errorf("last error (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Errorf("error %q does not say how many attempts were made", err)
	}
	if n := srv.hits(); n != 3 {
		t.Errorf("server saw %d requests, want 3", n)
	}
}

func TestBadRequestNotRetried(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		reply(w, 400, `{"error":"Cannot specify both image and buildId. Use one or the other.","code":"GENERIC_BAD_REQUEST"}`)
	})
	c := newClient(t, fastOptions(srv.URL))
	_, err := c.UpdateAgent(t.Context(), "a1", &cloud.UpdateServiceRequest{Image: "a:1", BuildID: "b"})
	if err == nil {
		t.Fatal("update succeeded")
	}
	if n := srv.hits(); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

// TestConflictRetriedOnlyForSecretSetPuts: the spec answers a PUT of a
// secret set that another request is modifying with 409 and "Retry the
// request"; a deploy binding a set that is not ready also answers 409,
// which a retry within seconds would not fix.
func TestConflictRetriedOnlyForSecretSetPuts(t *testing.T) {
	tests := []struct {
		name     string
		call     func(ctx context.Context, c *cloud.Client) error
		wantHits int
	}{
		{"put secret set", func(ctx context.Context, c *cloud.Client) error {
			_, err := c.PutSecretSet(ctx, "s1", &cloud.SecretSetRequest{Secrets: []cloud.SecretKeyValue{{SecretKey: "K", SecretValue: "v"}}})
			return err
		}, 2},
		{"update agent", func(ctx context.Context, c *cloud.Client) error {
			_, err := c.UpdateAgent(ctx, "a1", &cloud.UpdateServiceRequest{Image: "a/b:1"})
			return err
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
				if hit == 1 {
					reply(w, 409, `{"error":"Secret set 's1' was modified concurrently. Please retry.","code":"CONFLICT"}`)
					return
				}
				reply(w, 202, `{"status":"OK","region":"us-west"}`)
			})
			err := tt.call(t.Context(), newClient(t, fastOptions(srv.URL)))
			if got := srv.hits(); got != tt.wantHits {
				t.Errorf("server saw %d requests, want %d", got, tt.wantHits)
			}
			if (err != nil) != (tt.wantHits == 1) {
				t.Errorf("error = %v", err)
			}
		})
	}
}

// TestSecretKeyNameNeverLogged: a key's name may carry the fingerprint of
// a set's values; logs, retry events and errors show {key} instead.
func TestSecretKeyNameNeverLogged(t *testing.T) {
	const key = "PIPECAT_GITOPS_FP_0123abcd_00112233445566778899aabbccddeeff"
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
		reply(w, 503, `{"error":"overloaded","code":"UNAVAILABLE"}`)
	})
	var shown []string
	opts := fastOptions(srv.URL)
	opts.MaxAttempts = 2
	opts.Logger = func(l cloud.RequestLog) { shown = append(shown, l.String()) }
	opts.OnRetry = func(ev cloud.RetryEvent) { shown = append(shown, ev.String()) }
	err := newClient(t, opts).DeleteSecretKey(t.Context(), "app-secrets", key)
	if err == nil {
		t.Fatal("delete succeeded")
	}
	shown = append(shown, err.Error())
	if got := srv.requests()[0].URI; got != "/v1/secrets/app-secrets/"+key {
		t.Errorf("request URI %s, want the key's", got)
	}
	for _, s := range shown {
		if strings.Contains(s, key[18:]) {
			t.Errorf("the key's name is shown: %s", s)
		}
		if !strings.Contains(s, "/v1/secrets/app-secrets/{key}") {
			t.Errorf("%q does not show the path with {key}", s)
		}
	}
	if len(shown) != 4 { // two attempts, one retry, the error
		t.Errorf("shown %d lines, want 4: %q", len(shown), shown)
	}
}

// hijackAndClose reads the request (the server has "committed" it) and drops
// the connection without answering.
func hijackAndClose(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}

// TestAgentWritesAreSentOnce: a create, update or delete of an agent, or
// a create of a build, whose answer is lost, or is a server error, is not
// sent again (the API may have carried it out: a second update is a second
// deployment, a second POST /v1/builds a second build); the error says so
// with ErrUnknownOutcome. A 429 is retried: the API did nothing. A read,
// and a request for an upload URL, are retried after a lost answer.
func TestAgentWritesAreSentOnce(t *testing.T) {
	calls := map[string]func(*cloud.Client) error{
		"create": func(c *cloud.Client) error {
			_, err := c.CreateAgent(t.Context(), &cloud.CreateServiceRequest{ServiceName: "a1", Image: "acme/a1:1.0"})
			return err
		},
		"update": func(c *cloud.Client) error {
			_, err := c.UpdateAgent(t.Context(), "a1", &cloud.UpdateServiceRequest{Image: "acme/a1:1.0"})
			return err
		},
		"delete": func(c *cloud.Client) error { return c.DeleteAgent(t.Context(), "a1") },
		"read": func(c *cloud.Client) error {
			_, err := c.GetAgent(t.Context(), "a1")
			return err
		},
		"create build": func(c *cloud.Client) error {
			_, err := c.CreateBuild(t.Context(), &cloud.CreateBuildRequest{UploadID: "u1", Region: "us-west"})
			return err
		},
		"upload URL": func(c *cloud.Client) error {
			_, err := c.UploadURL(t.Context(), "us-west")
			return err
		},
	}
	// Every call's answer, read as the answer it wants.
	const agent = `{"name":"a1","region":"us-west","desiredDeploymentId":"d1","build":{"id":"b1"},"uploadId":"u1","uploadUrl":"https://storage.example/u1"}`
	first := map[string]func(t *testing.T, w http.ResponseWriter){
		"lost answer": func(t *testing.T, w http.ResponseWriter) { hijackAndClose(t, w) },
		"server error": func(_ *testing.T, w http.ResponseWriter) {
			reply(w, 500, `{"error":"Internal server error","code":"INTERNAL_SERVER_ERROR"}`)
		},
		"rate limit": func(_ *testing.T, w http.ResponseWriter) {
			reply(w, 429, `{"error":"Too many requests","code":"TOO_MANY_REQUESTS"}`)
		},
	}
	type got struct {
		Requests int
		Unknown  bool
		Failed   bool
	}
	// Repeating these is harmless: a read, and asking for another upload URL.
	repeatable := map[string]bool{"read": true, "upload URL": true}
	for _, call := range []string{"create", "update", "delete", "read", "create build", "upload URL"} {
		for _, fault := range []string{"lost answer", "server error", "rate limit"} {
			t.Run(call+" after "+fault, func(t *testing.T) {
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
					if hit == 1 {
						first[fault](t, w)
						return
					}
					reply(w, 200, agent)
				})
				err := calls[call](newClient(t, fastOptions(srv.URL)))
				want := got{Requests: 2}
				if !repeatable[call] && fault != "rate limit" {
					want = got{Requests: 1, Unknown: true, Failed: true}
				}
				if diff := cmp.Diff(want, got{srv.hits(), errors.Is(err, cloud.ErrUnknownOutcome), err != nil}); diff != "" {
					t.Errorf("(-want +got):\n%s\nerror: %v", diff, err)
				}
				// A retry re-sends the body whole.
				if reqs := srv.requests(); len(reqs) == 2 && reqs[0].Body != reqs[1].Body {
					t.Errorf("retry body %q, first %q", reqs[1].Body, reqs[0].Body)
				}
			})
		}
	}
}

func TestNetworkErrorsExhausted(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { hijackAndClose(t, w) })
	opts := fastOptions(srv.URL)
	opts.MaxAttempts = 2
	c := newClient(t, opts)
	_, err := c.GetAgent(t.Context(), "a1")
	if err == nil {
		t.Fatal("GetAgent succeeded")
	}
	var apiErr *cloud.Error
	if errors.As(err, &apiErr) {
		t.Errorf("network failure reported as API error %v", apiErr)
	}
	if !strings.HasPrefix(err.Error(), "GET /v1/agents/a1: ") || !strings.Contains(err.Error(), "gave up after 2 attempts") {
		t.Errorf("error = %q, want method, path and attempt count", err)
	}
	if n := srv.hits(); n != 2 {
		t.Errorf("server saw %d requests, want 2", n)
	}
}

func TestPerAttemptTimeout(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
		if hit == 1 {
			// Hang until the client gives up on this attempt.
			<-r.Context().Done()
			return
		}
		reply(w, 200, `{"regions":[{"code":"us-west","display_name":"US West"}]}`)
	})
	var logs []cloud.RequestLog
	opts := fastOptions(srv.URL)
	opts.RequestTimeout = 50 * time.Millisecond
	opts.Logger = func(l cloud.RequestLog) { logs = append(logs, l) }
	c := newClient(t, opts)
	got, err := c.ListRegions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Errorf("regions = %v", got)
	}
	if len(logs) != 2 || logs[0].Err == nil || !strings.Contains(logs[0].Err.Error(), "attempt timed out") {
		t.Errorf("logs = %+v, want a timed-out attempt then a success", logs)
	}
}

func TestNoRetryAfterCancel(t *testing.T) {
	t.Run("cancelled before the call", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 200, `{"services":[]}`) })
		c := newClient(t, fastOptions(srv.URL))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := c.ListAgents(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
		if n := srv.hits(); n != 0 {
			t.Errorf("server saw %d requests, want 0", n)
		}
	})
	t.Run("cancelled during the attempt", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			cancel()
			reply(w, 503, `{"error":"down","code":"X"}`)
		})
		c := newClient(t, fastOptions(srv.URL))
		_, err := c.CreateAgent(ctx, &cloud.CreateServiceRequest{ServiceName: "a1", Image: "a:1"})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
		if n := srv.hits(); n != 1 {
			t.Errorf("server saw %d requests, want 1", n)
		}
	})
	t.Run("cancelled while waiting to retry", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			w.Header().Set("Retry-After", "3600")
			reply(w, 429, `{"error":"slow down","code":"RATE_LIMITED"}`)
		})
		opts := fastOptions(srv.URL)
		opts.MaxRetryAfter = time.Hour
		// The logger runs after the attempt, before the wait: cancelling
		// there proves the wait itself watches the context.
		opts.Logger = func(cloud.RequestLog) { cancel() }
		c := newClient(t, opts)
		_, err := c.ListAgents(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
		if n := srv.hits(); n != 1 {
			t.Errorf("server saw %d requests, want 1", n)
		}
	})
}

// TestLoggerEntries: one entry per attempt, with method, path, status
// and error, never a header. A server that echoes the key in its errors
// gets it into the entry's error, as sent: the -v sink of package main
// redacts it (script leaks).
func TestLoggerEntries(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
		switch hit {
		case 1:
			// A fresh connection for the next attempt: net/http itself
			// replays a GET dropped on a reused connection, which would
			// hide that attempt from the logger.
			w.Header().Set("Connection", "close")
			w.WriteHeader(500)
			fmt.Fprintf(w, "upstream said: Authorization=%s", r.Header.Get("Authorization"))
		case 2:
			hijackAndClose(t, w)
		case 3:
			reply(w, 503, fmt.Sprintf(`{"error":"bad token %s","code":"%s"}`, r.Header.Get("Authorization"), testKey))
		default:
			reply(w, 200, `{"services":[]}`)
		}
	})
	var logs []cloud.RequestLog
	opts := fastOptions(srv.URL)
	opts.Logger = func(l cloud.RequestLog) { logs = append(logs, l) }
	c := newClient(t, opts)
	if _, err := c.ListAgents(t.Context()); err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Method, Path string
		Status       int
		Attempt      int
		Failed       bool
	}
	var got []entry
	for _, l := range logs {
		got = append(got, entry{l.Method, l.Path, l.Status, l.Attempt, l.Err != nil})
	}
	want := []entry{
		{"GET", "/v1/agents", 500, 1, true},
		{"GET", "/v1/agents", 0, 2, true},
		{"GET", "/v1/agents", 503, 3, true},
		{"GET", "/v1/agents", 200, 4, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log entries (-want +got):\n%s", diff)
	}
	for _, l := range logs {
		if l.Duration <= 0 {
			t.Errorf("attempt %d logged duration %v", l.Attempt, l.Duration)
		}
	}

}

func TestConcurrentUse(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
		if hit%3 == 0 {
			reply(w, 503, `{"error":"busy","code":"X"}`)
			return
		}
		reply(w, 200, fmt.Sprintf(`{"name":%q}`, strings.TrimPrefix(r.URL.Path, "/v1/agents/")))
	})
	var mu sync.Mutex
	n := 0
	opts := fastOptions(srv.URL)
	opts.MaxAttempts = 10
	opts.Logger = func(cloud.RequestLog) { mu.Lock(); n++; mu.Unlock() }
	c := newClient(t, opts)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if _, err := c.GetAgent(t.Context(), fmt.Sprintf("a%d", i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n != srv.hits() {
		t.Errorf("logged %d attempts, server saw %d", n, srv.hits())
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	target := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 200, `{"services":[]}`) })
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	c := newClient(t, fastOptions(srv.URL))
	_, err := c.ListAgents(t.Context())
	var apiErr *cloud.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTemporaryRedirect {
		t.Fatalf("error = %v, want a 307 *cloud.Error", err)
	}
	if n := target.hits(); n != 0 {
		t.Errorf("redirect target saw %d requests (with the key), want 0", n)
	}
}

func TestRequestLogString(t *testing.T) {
	tests := []struct {
		name string
		in   cloud.RequestLog
		want string
	}{
		{
			name: "success",
			in:   cloud.RequestLog{Method: "GET", Path: "/v1/agents", Status: 200, Duration: 112400 * time.Microsecond, Attempt: 1},
			want: "GET /v1/agents 200 112ms (attempt 1)",
		},
		{
			name: "api error says method and path once",
			in: cloud.RequestLog{Method: "POST", Path: "/v1/agents", Status: 503, Duration: 48 * time.Millisecond, Attempt: 2,
				Err: &cloud.Error{Method: "POST", Path: "/v1/agents", Status: 503, Message: "overloaded"}},
			want: "POST /v1/agents 503 48ms (attempt 2): 503 Service Unavailable: overloaded",
		},
		{
			name: "network error has no status",
			in:   cloud.RequestLog{Method: "GET", Path: "/v1/regions", Duration: 300 * time.Microsecond, Attempt: 3, Err: errors.New("GET /v1/regions: EOF")},
			want: "GET /v1/regions - 300µs (attempt 3): EOF",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestAnswersAreData: an answer is decoded as the API sent it, whatever
// the key is: a short key ("sandbox", "x") is no reason to rewrite a
// bucket, a form field or an agent's name, and a key echoed in an answer
// (as JSON \u escapes too) reaches the caller as sent; the sinks of
// package main hide it.
func TestAnswersAreData(t *testing.T) {
	escaped := ""
	for _, r := range testKey {
		escaped += fmt.Sprintf(`\u%04x`, r)
	}
	tests := []struct {
		name, key, body string
		read            func(context.Context, *cloud.Client) (string, error)
		want            string
	}{
		{"a bucket holding the sandbox key", "sandbox", `{"uploadId":"u1","uploadUrl":"http://127.0.0.1/sandbox-build-context","uploadFields":{"key":"sandbox/u1"}}`,
			func(ctx context.Context, c *cloud.Client) (string, error) {
				u, err := c.UploadURL(ctx, "us-west")
				if err != nil {
					return "", err
				}
				return u.UploadURL + " " + u.UploadFields["key"], nil
			}, "http://127.0.0.1/sandbox-build-context sandbox/u1"},
		{"a form field holding the key x", "x", `{"uploadId":"u1","uploadUrl":"https://s3.example/b","uploadFields":{"X-Amz-Signature":"x"}}`,
			func(ctx context.Context, c *cloud.Client) (string, error) {
				u, err := c.UploadURL(ctx, "us-west")
				if err != nil {
					return "", err
				}
				return fmt.Sprint(u.UploadFields), nil
			}, "map[X-Amz-Signature:x]"},
		{"an agent named after the key", "sandbox", `{"name":"sandbox-bot"}`,
			func(ctx context.Context, c *cloud.Client) (string, error) {
				d, err := c.GetAgent(ctx, "sandbox-bot")
				if err != nil {
					return "", err
				}
				return d.Name, nil
			}, "sandbox-bot"},
		{"an image echoing the key in escapes", testKey, `{"name":"bot","deployment":{"manifest":{"spec":{"image":"acme/` + escaped + `:1"}}}}`,
			func(ctx context.Context, c *cloud.Client) (string, error) {
				d, err := c.GetAgent(ctx, "bot")
				if err != nil {
					return "", err
				}
				return d.Deployment.Manifest.Spec.Image, nil
			}, "acme/" + testKey + ":1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, 200, tt.body) })
			opts := fastOptions(srv.URL)
			opts.APIKey = tt.key
			got, err := tt.read(t.Context(), newClient(t, opts))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestErrorOnOneLine: the API's message and code are shown on one line,
// so that a line break in them cannot start a line of the tool's.
func TestErrorOnOneLine(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		reply(w, 400, `{"error":"bad\n::error::forged\r\nline","code":"BAD\nCODE"}`)
	})
	_, err := newClient(t, fastOptions(srv.URL)).ListRegions(t.Context())
	want := `GET /v1/regions: 400 BAD\nCODE: bad\n::error::forged\r\nline`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// TestMalformedAnswersRefused: a 2xx answer that is not what the call asks
// for is an error naming the call. A list without its list is not an empty
// organization, and a detail read of no agent or another one is not the
// agent.
func TestMalformedAnswersRefused(t *testing.T) {
	getAgent := func(ctx context.Context, c *cloud.Client) error {
		_, err := c.GetAgent(ctx, "voice-starter")
		return err
	}
	listAgents := func(ctx context.Context, c *cloud.Client) error { _, err := c.ListAgents(ctx); return err }
	listSecrets := func(ctx context.Context, c *cloud.Client) error { _, err := c.ListSecretSets(ctx); return err }
	listRegions := func(ctx context.Context, c *cloud.Client) error { _, err := c.ListRegions(ctx); return err }
	tests := []struct {
		name   string
		call   func(ctx context.Context, c *cloud.Client) error
		status int
		body   string
		want   string // the whole error; "" for success
	}{
		{"detail null", getAgent, 200, "null", "GET /v1/agents/voice-starter: malformed answer: the answer is null"},
		{"detail empty object", getAgent, 200, "{}", "GET /v1/agents/voice-starter: malformed answer: the answer names no agent"},
		{"detail empty body", getAgent, 200, "", "GET /v1/agents/voice-starter: malformed answer: the answer is empty"},
		{"detail 204", getAgent, 204, "", "GET /v1/agents/voice-starter: malformed answer: the answer is empty"},
		{"detail of another agent", getAgent, 200, `{"name":"other-bot","ready":true}`, `GET /v1/agents/voice-starter: malformed answer: the answer is agent "other-bot", not "voice-starter"`},
		{"detail not an object", getAgent, 200, `[]`, "GET /v1/agents/voice-starter: decode response: json: cannot unmarshal array into Go value of type cloud.ServiceDetails"},
		{"detail of the agent", getAgent, 200, `{"name":"voice-starter"}`, ""},
		{"list empty object", listAgents, 200, "{}", `GET /v1/agents: malformed answer: the answer has no "services" list`},
		{"list null", listAgents, 200, "null", "GET /v1/agents: malformed answer: the answer is null"},
		{"list 204", listAgents, 204, "", "GET /v1/agents: malformed answer: the answer is empty"},
		{"list empty 200", listAgents, 200, " \n", "GET /v1/agents: malformed answer: the answer is empty"},
		{"list null list", listAgents, 200, `{"services":null}`, `GET /v1/agents: malformed answer: the answer has no "services" list`},
		{"list under another key", listAgents, 200, `{"agents":[]}`, `GET /v1/agents: malformed answer: the answer has no "services" list`},
		{"list empty organization", listAgents, 200, `{"services":[]}`, ""},
		{"secret sets empty object", listSecrets, 200, "{}", `GET /v1/secrets: malformed answer: the answer has no "sets" list`},
		{"regions 204", listRegions, 204, "", "GET /v1/regions: malformed answer: the answer is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { reply(w, tt.status, tt.body) })
			err := tt.call(t.Context(), newClient(t, fastOptions(srv.URL)))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("error = %q\nwant    %q", got, tt.want)
			}
			if n := srv.hits(); n != 1 {
				t.Errorf("server saw %d requests, want 1 (a malformed answer is not retried)", n)
			}
		})
	}
}

// TestMaxInFlightBoundsAllGoroutines: with MaxInFlight 3 and three calls
// held by the server, a fourth call from another goroutine waits in the
// client: it never reaches the server before its deadline.
func TestMaxInFlightBoundsAllGoroutines(t *testing.T) {
	const bound = 3
	arrived := make(chan struct{}, bound+1)
	release := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		reply(w, 200, fmt.Sprintf(`{"name":%q}`, strings.TrimPrefix(r.URL.Path, "/v1/agents/")))
	})
	opts := fastOptions(srv.URL)
	opts.MaxInFlight = bound
	opts.MaxAttempts = 1
	c := newClient(t, opts)
	var wg sync.WaitGroup
	for i := range bound {
		wg.Go(func() {
			if _, err := c.GetAgent(t.Context(), fmt.Sprintf("a%d", i)); err != nil {
				t.Error(err)
			}
		})
	}
	for range bound {
		<-arrived
	}
	// The deadline only ends the wait; the check is what the server saw.
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := c.GetAgent(ctx, "extra"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("fourth call: %v, want it to wait for a slot until its deadline", err)
	}
	close(release)
	wg.Wait()
	for _, r := range srv.requests() {
		if r.URI == "/v1/agents/extra" {
			t.Errorf("the fourth call reached the server while %d were in flight", bound)
		}
	}
}

// TestRetryAfter429: OnRetry hears of the wait; the 429 halves the bound
// on requests in flight and the success raises it by one; Stats counts it
// all.
func TestRetryAfter429(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, hit int) {
		if hit == 1 {
			w.Header().Set("Retry-After", "0")
			reply(w, 429, `{"error":"Too many requests","code":"TOO_MANY_REQUESTS"}`)
			return
		}
		reply(w, 200, `{"regions":[]}`)
	})
	var events []string
	opts := fastOptions(srv.URL)
	opts.MaxInFlight = 8
	opts.OnRetry = func(e cloud.RetryEvent) { events = append(events, e.String()) }
	c := newClient(t, opts)
	if _, err := c.ListRegions(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantEvents := []string{"waiting 0s before retrying GET /v1/regions (429 Too Many Requests)"}
	if diff := cmp.Diff(wantEvents, events); diff != "" {
		t.Errorf("retry events (-want +got):\n%s", diff)
	}
	want := cloud.Stats{Requests: 2, Retries: 1, RateLimited: 1, Limit: 5, MinLimit: 4}
	if diff := cmp.Diff(want, c.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

// TestSnippetNeverCutsAWord: a non-JSON error body is cut to a snippet
// at the end of a word, so a cut never keeps a piece of a credential too
// short to be recognised where text is redacted (a server answered up
// to 200 bytes of text, then the header).
func TestSnippetNeverCutsAWord(t *testing.T) {
	for pad := 150; pad <= 200; pad++ {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, strings.Repeat("x", pad)+" "+r.Header.Get("Authorization")+" and the rest of a long page "+strings.Repeat("y ", 100))
		})
		c := newClient(t, fastOptions(srv.URL))
		_, err := c.ListAgents(t.Context())
		if err == nil {
			t.Fatal("ListAgents succeeded")
		}
		msg := err.Error()
		if strings.Contains(msg, testKey) {
			continue // whole: the sinks redact it
		}
		for i := 0; i+4 <= len(testKey); i++ {
			if strings.Contains(msg, testKey[i:i+4]) {
				t.Fatalf("pad %d: error %q holds %q of the key, not the whole key", pad, msg, testKey[i:i+4])
			}
		}
	}
}
