package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

func TestAuth(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	unauthorized := errBody("Unauthorized", "UNAUTHORIZED")
	tests := []struct {
		name     string
		auth     string
		wantCode int
	}{
		{"no header", "", 401},
		{"basic scheme", "Basic dXNlcjpwYXNz", 401},
		{"bearer without key", "Bearer ", 401},
		{"bearer alone", "Bearer", 401},
		{"any key", "Bearer pk_anything", 200},
		{"scheme is case-insensitive", "bearer sk_x", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(s, "GET", "/v1/agents", "", tt.auth)
			if rec.Code != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantCode, rec.Body)
			}
			if tt.wantCode == 401 && rec.Body.String() != unauthorized {
				t.Errorf("body %s, want %s", rec.Body, unauthorized)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	notFound := errBody("Not found", "NOT_FOUND")
	notAllowed := errBody("Method not allowed", "METHOD_NOT_ALLOWED")
	tests := []struct {
		name, method, path string
		wantCode           int
		wantBody           string
		wantAllow          string
	}{
		{"unknown route", "GET", "/v1/nope", 404, notFound, ""},
		{"no version prefix", "GET", "/agents", 404, notFound, ""},
		{"too deep", "GET", "/v1/agents/a/logs", 404, notFound, ""},
		{"trailing slash", "GET", "/v1/agents/", 404, notFound, ""},
		{"builds", "PUT", "/v1/builds", 405, notAllowed, "GET, POST"},
		{"upload URL", "GET", "/v1/builds/upload-url", 405, notAllowed, "POST"},
		{"build", "DELETE", "/v1/builds/123e4567-e89b-12d3-a456-426614174000", 405, notAllowed, "GET"},
		{"build logs", "POST", "/v1/builds/123e4567-e89b-12d3-a456-426614174000/logs", 405, notAllowed, "GET"},
		{"below build logs", "GET", "/v1/builds/123e4567-e89b-12d3-a456-426614174000/logs/x", 404, notFound, ""},
		{"agents collection", "PATCH", "/v1/agents", 405, notAllowed, "GET, POST"},
		{"agent", "PUT", "/v1/agents/bot", 405, notAllowed, "GET, POST, DELETE"},
		{"secrets collection", "POST", "/v1/secrets", 405, notAllowed, "GET"},
		{"secret set", "POST", "/v1/secrets/abc", 405, notAllowed, "GET, PUT, DELETE"},
		{"secret key", "PUT", "/v1/secrets/abc/KEY", 405, notAllowed, "DELETE"},
		{"below a secret key", "DELETE", "/v1/secrets/abc/KEY/x", 404, notFound, ""},
		{"empty secret key", "DELETE", "/v1/secrets/abc/", 404, notFound, ""},
		{"regions", "DELETE", "/v1/regions", 405, notAllowed, "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(s, tt.method, tt.path, "", "Bearer k")
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
				t.Errorf("got %d %s, want %d %s", rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
			if got := rec.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow %q, want %q", got, tt.wantAllow)
			}
		})
	}
}

func TestCreateAgentErrors(t *testing.T) {
	bad := func(msg string) string { return errBody(msg, "GENERIC_BAD_REQUEST") }
	tests := []struct {
		name     string
		body     string
		wantCode int
		wantBody string
	}{
		{"invalid JSON", `{"serviceName":`, 400, bad("Invalid request format")},
		{"empty body", ``, 400, bad("Invalid request format")},
		{"array body", `[]`, 400, bad("Invalid request format")},
		{"wrong type", `{"serviceName":"bot","image":"a/b:1","maxSessionDuration":"1h"}`, 400, bad("Invalid request format")},
		{"fractional number", `{"serviceName":"bot","image":"a/b:1","autoScaling":{"minAgents":1.5}}`, 400, bad("Invalid request format")},
		{"audio filter not a string", `{"serviceName":"bot","image":"a/b:1","krispViva":{"audioFilter":1}}`, 400, bad("Invalid request format")},
		{"missing serviceName", `{"image":"a/b:1"}`, 400, bad("serviceName is required")},
		{"a field the API does not define", `{"serviceName":"bot","image":"a/b:1","someNewSetting":true}`, 400, bad(`Invalid request format: unknown field "someNewSetting".`)},
		{"a misspelt wire name", `{"serviceName":"bot","image":"a/b:1","maxSessionDurationSeconds":60}`, 400, bad(`Invalid request format: unknown field "maxSessionDurationSeconds".`)},
		{"a misspelt nested name", `{"serviceName":"bot","image":"a/b:1","autoScaling":{"minReplicas":1}}`, 400, bad(`Invalid request format: unknown field "minReplicas".`)},
		{"the config's managedKeys is not the API's", `{"serviceName":"bot","image":"a/b:1","managedKeys":true}`, 400, bad(`Invalid request format: unknown field "managedKeys".`)},
		{"the config's build is not the API's", `{"serviceName":"bot","image":"a/b:1","build":{"context":"."}}`, 400, bad(`Invalid request format: unknown field "build".`)},
		{"websocketAuth", `{"serviceName":"bot","image":"a/b:1","websocketAuth":"hmac"}`, 400, bad("Invalid websocketAuth 'hmac'. Valid values are: none, token.")},
		{"uppercase name", `{"serviceName":"Bot","image":"a/b:1"}`, 400, bad("Invalid serviceName 'Bot'. Must start and end with a lowercase letter or number, contain only lowercase letters, numbers and hyphens, and be at most 54 characters.")},
		{"leading hyphen", `{"serviceName":"-bot","image":"a/b:1"}`, 400, bad("Invalid serviceName '-bot'. Must start and end with a lowercase letter or number, contain only lowercase letters, numbers and hyphens, and be at most 54 characters.")},
		{"trailing hyphen", `{"serviceName":"bot-","image":"a/b:1"}`, 400, bad("Invalid serviceName 'bot-'. Must start and end with a lowercase letter or number, contain only lowercase letters, numbers and hyphens, and be at most 54 characters.")},
		{"one character (the pattern needs two)", `{"serviceName":"b","image":"a/b:1"}`, 400, bad("Invalid serviceName 'b'. Must start and end with a lowercase letter or number, contain only lowercase letters, numbers and hyphens, and be at most 54 characters.")},
		{"55 characters", `{"serviceName":"` + strings.Repeat("a", 55) + `","image":"a/b:1"}`, 400, bad("Invalid serviceName '" + strings.Repeat("a", 55) + "'. Must start and end with a lowercase letter or number, contain only lowercase letters, numbers and hyphens, and be at most 54 characters.")},
		{"neither image nor buildId", `{"serviceName":"bot"}`, 400, bad("Either image or buildId is required for service creation")},
		{"both image and buildId", `{"serviceName":"bot","image":"a/b:1","buildId":"123e4567-e89b-12d3-a456-426614174000"}`, 400, bad("Cannot specify both image and buildId. Use one or the other.")},
		{"image without tag", `{"serviceName":"bot","image":"acme/bot"}`, 400, bad("Image 'acme/bot' must include a tag or digest (for example 'acme/bot:1.0').")},
		{"registry port is not a tag", `{"serviceName":"bot","image":"registry:5000/acme/bot"}`, 400, bad("Image 'registry:5000/acme/bot' must include a tag or digest (for example 'registry:5000/acme/bot:1.0').")},
		{"empty tag", `{"serviceName":"bot","image":"acme/bot:"}`, 400, bad("Invalid image 'acme/bot:'.")},
		{"NUL in the tag", `{"serviceName":"bot","image":"acme/bot:1\u0000"}`, 400, bad("Invalid image 'acme/bot:1\x00'.")},
		{"ESC in the name", `{"serviceName":"bot","image":"acme/\u001b[31mbot:1"}`, 400, bad("Invalid image 'acme/\x1b[31mbot:1'.")},
		{"buildId not a UUID", `{"serviceName":"bot","buildId":"build-1"}`, 400, bad("Build not found")},
		{"unknown region", `{"serviceName":"bot","image":"a/b:1","region":"mars-1"}`, 400, bad("Invalid region or organization does not have access")},
		{"node type", `{"serviceName":"bot","image":"a/b:1","nodeType":"x86"}`, 400, bad("Invalid nodeType 'x86'. Only 'arm' is supported at this time.")},
		{"agent profile", `{"serviceName":"bot","image":"a/b:1","agentProfile":"agent-4x"}`, 400, bad("Invalid agentProfile 'agent-4x'. Valid values are: agent-1x, agent-2x, agent-3x.")},
		{"audio filter", `{"serviceName":"bot","image":"a/b:1","krispViva":{"audioFilter":"studio"}}`, 400, bad("Invalid krispViva.audioFilter 'studio'. Valid values are: tel, pro, null.")},
		{"session too short", `{"serviceName":"bot","image":"a/b:1","maxSessionDuration":59}`, 400, bad("Invalid maxSessionDuration 59. Must be between 60 and 14400 seconds.")},
		{"session too long", `{"serviceName":"bot","image":"a/b:1","maxSessionDuration":14401}`, 400, bad("Invalid maxSessionDuration 14401. Must be between 60 and 14400 seconds.")},
		{"minAgents negative", `{"serviceName":"bot","image":"a/b:1","autoScaling":{"minAgents":-1}}`, 400, bad("Invalid autoScaling.minAgents -1. Must be between 0 and 50.")},
		{"minAgents over 50", `{"serviceName":"bot","image":"a/b:1","autoScaling":{"minAgents":51}}`, 400, bad("Invalid autoScaling.minAgents 51. Must be between 0 and 50.")},
		{"maxAgents zero", `{"serviceName":"bot","image":"a/b:1","autoScaling":{"maxAgents":0}}`, 400, bad("Invalid autoScaling.maxAgents 0. Must be between 1 and 50.")},
		{"maxAgents over 50", `{"serviceName":"bot","image":"a/b:1","autoScaling":{"maxAgents":51}}`, 400, bad("Invalid autoScaling.maxAgents 51. Must be between 1 and 50.")},
		{"min above max", `{"serviceName":"bot","image":"a/b:1","autoScaling":{"minAgents":5,"maxAgents":2}}`, 400, bad("Invalid autoScaling: minAgents (5) cannot be greater than maxAgents (2).")},
		{"already exists", `{"serviceName":"existing","image":"a/b:1"}`, 400, bad("Service already exists")},
		{"secret set missing", `{"serviceName":"bot","image":"a/b:1","secretSet":"nope"}`, 404, errBody("Secret set not found", "NOT_FOUND")},
		{"secret set of the wrong type", `{"serviceName":"bot","image":"a/b:1","secretSet":"dockerhub-credentials"}`, 404, errBody("Secret set not found", "NOT_FOUND")},
		{"image pull set missing", `{"serviceName":"bot","image":"a/b:1","imagePullSecretSet":"nope"}`, 404, errBody("Image pull secret set not found", "NOT_FOUND")},
		{"image pull set of the wrong type", `{"serviceName":"bot","image":"a/b:1","imagePullSecretSet":"voice-starter-secrets"}`, 404, errBody("Image pull secret set not found", "NOT_FOUND")},
		{"secret set in another region", `{"serviceName":"bot","image":"a/b:1","secretSet":"east-secrets"}`, 400, bad("Secret set 'east-secrets' is in region 'us-east' but service will be created in region 'us-west'. Secrets must be in the same region as the service.")},
		{"image pull set in another region", `{"serviceName":"bot","image":"a/b:1","imagePullSecretSet":"east-pull"}`, 400, bad("Image pull secret set 'east-pull' is in region 'us-east' but service will be created in region 'us-west'. Image pull secrets must be in the same region as the service.")},
		{"secret set pending", `{"serviceName":"bot","image":"a/b:1","secretSet":"pending-secrets"}`, 409, errBody("Secret set 'pending-secrets' is not ready (status: pending). Wait until it is ready before deploying.", "CONFLICT")},
		{"secret set failed", `{"serviceName":"bot","image":"a/b:1","secretSet":"failed-secrets"}`, 409, errBody("Secret set 'failed-secrets' is not ready (status: failed). Wait until it is ready before deploying.", "CONFLICT")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{SecretSets: seeds})
			mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"existing","image":"a/b:1"}`, 200)
			code, body := call(t, s, "POST", "/v1/agents", tt.body)
			if code != tt.wantCode || body != tt.wantBody {
				t.Errorf("got %d %s\nwant %d %s", code, body, tt.wantCode, tt.wantBody)
			}
			// A rejected create changes nothing.
			list := decode[cloud.ListServicesResponse](t, mustCall(t, s, "GET", "/v1/agents", "", 200))
			if len(list.Services) != 1 {
				t.Errorf("agents after a rejected create: %d, want 1", len(list.Services))
			}
		})
	}
}

// TestCreateAgentSpecExample creates the spec's example request and gets
// the spec's example response, except for IDs, times and the namespace.
func TestCreateAgentSpecExample(t *testing.T) {
	s, _ := newTestServer(t, Options{SecretSets: seeds, ReadyDelay: time.Minute})
	got := mustCall(t, s, "POST", "/v1/agents", specCreateBody, 200)
	golden(t, "create-spec-example.json", got)
}

func TestCreateAgentDefaults(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	got := mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"acme/bot@sha256:0123456789abcdef0123456789abcdef"}`, 200)
	golden(t, "create-defaults.json", got)
	if strings.Contains(got, "maxSessionDurationSeconds") {
		t.Errorf("maxSessionDurationSeconds present although never set: %s", got)
	}
	if strings.Contains(got, "envFromSecretNames") || strings.Contains(got, "imagePullSecretName") {
		t.Errorf("secret names present although never set: %s", got)
	}
}

func TestCreateAgentFromBuild(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	build := newBuild(t, s, "eu-central", okContext)
	d := decode[cloud.ServiceDetails](t, mustCall(t, s, "POST", "/v1/agents",
		`{"serviceName":"bot","buildId":"`+strings.ToUpper(build)+`","region":"eu-central"}`, 200))
	if got := d.Deployment.Manifest.Spec.Image; got != "redacted" {
		t.Errorf("image %q, want redacted", got)
	}
	if d.Region != "eu-central" {
		t.Errorf("region %q", d.Region)
	}
}

func TestUpdateAgent(t *testing.T) {
	s, _ := newTestServer(t, Options{SecretSets: seeds})
	mustCall(t, s, "POST", "/v1/agents", specCreateBody, 200)
	build := newBuild(t, s, "us-west", okContext)

	steps := []struct {
		name string
		body string
		want func(*cloud.ManifestSpec, *cloud.ServiceDetails)
	}{
		{"image only keeps the rest", `{"image":"your-dockername/voice-starter:0.2"}`, func(m *cloud.ManifestSpec, d *cloud.ServiceDetails) {
			m.Image = "your-dockername/voice-starter:0.2"
		}},
		{"deploy action repeats serviceName and region", `{"serviceName":"voice-starter","region":"us-west","autoScaling":{"maxAgents":10}}`, func(m *cloud.ManifestSpec, d *cloud.ServiceDetails) {
			m.AutoScaling.MaxReplicas = intp(10)
			d.AutoScaling.MaxReplicas = intp(10)
		}},
		{"minAgents alone is checked against the kept maxAgents", `{"autoScaling":{"minAgents":10}}`, func(m *cloud.ManifestSpec, d *cloud.ServiceDetails) {
			m.AutoScaling.MinReplicas = intp(10)
			d.AutoScaling.MinReplicas = intp(10)
		}},
		{"buildId redacts the image", `{"buildId":"` + build + `"}`, func(m *cloud.ManifestSpec, d *cloud.ServiceDetails) {
			m.Image = "redacted"
		}},
		{"image replaces the build", `{"image":"acme/bot:2"}`, func(m *cloud.ManifestSpec, d *cloud.ServiceDetails) {
			m.Image = "acme/bot:2"
		}},
		{"krispViva null disables it", `{"krispViva":{"audioFilter":null}}`, func(m *cloud.ManifestSpec, d *cloud.ServiceDetails) {
			m.KrispViva.AudioFilters = false
			d.KrispViva.AudioFilter = nil
		}},
		{"krispViva without audioFilter keeps it", `{"krispViva":{}}`, func(m *cloud.ManifestSpec, d *cloud.ServiceDetails) {}},
		{"legacy enableKrisp", `{"enableKrisp":true}`, func(m *cloud.ManifestSpec, d *cloud.ServiceDetails) {
			m.KrispModels.Enabled = true
		}},
		{"profile sets resources", `{"agentProfile":"agent-3x","maxSessionDuration":60}`, func(m *cloud.ManifestSpec, d *cloud.ServiceDetails) {
			m.Resources = &cloud.Resources{CPU: "1500m", Memory: "3Gi"}
			m.MaxSessionDurationSeconds = intp(60)
			p := "agent-3x"
			d.AgentProfile = &p
		}},
		{"forceRedeploy alone", `{"forceRedeploy":true}`, func(m *cloud.ManifestSpec, d *cloud.ServiceDetails) {}},
		{"managed keys are kept, not shown", `{"enableIntegratedKeysProxy":true}`, func(m *cloud.ManifestSpec, d *cloud.ServiceDetails) {}},
		{"websocketAuth is kept, not shown", `{"websocketAuth":"token"}`, func(m *cloud.ManifestSpec, d *cloud.ServiceDetails) {}},
	}
	want := decode[cloud.ServiceDetails](t, mustCall(t, s, "GET", "/v1/agents/voice-starter", "", 200))
	seen := map[string]bool{want.DesiredDeploymentID: true}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got := decode[cloud.ServiceDetails](t, mustCall(t, s, "POST", "/v1/agents/voice-starter", st.body, 200))
			st.want(&want.Deployment.Manifest.Spec, &want)
			if seen[got.DesiredDeploymentID] {
				t.Errorf("update reused deployment id %s", got.DesiredDeploymentID)
			}
			seen[got.DesiredDeploymentID] = true
			if got.ActiveDeploymentID != got.DesiredDeploymentID || got.Deployment.ID != got.DesiredDeploymentID {
				t.Errorf("deployment ids differ: desired %s active %s deployment %s", got.DesiredDeploymentID, got.ActiveDeploymentID, got.Deployment.ID)
			}
			if diff := cmp.Diff(want.Deployment.Manifest.Spec, got.Deployment.Manifest.Spec); diff != "" {
				t.Errorf("manifest spec (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]any{want.AutoScaling, want.AgentProfile, want.KrispViva, want.Region},
				[]any{got.AutoScaling, got.AgentProfile, got.KrispViva, got.Region}); diff != "" {
				t.Errorf("top-level fields (-want +got):\n%s", diff)
			}
			// GET returns what the update returned.
			again := mustCall(t, s, "GET", "/v1/agents/voice-starter", "", 200)
			if diff := cmp.Diff(got, decode[cloud.ServiceDetails](t, again)); diff != "" {
				t.Errorf("GET after update (-update +get):\n%s", diff)
			}
		})
	}
}

// TestWriteOnlyFields: enableIntegratedKeysProxy (which the official
// deploy action sends) and websocketAuth (which the CLI sends) are stored
// on create and update, kept by an update that leaves them out, and shown
// in no answer.
func TestWriteOnlyFields(t *testing.T) {
	tests := []struct {
		name    string
		field   string
		on, off string
		stored  func(AgentSpec) string
	}{
		{"managed keys", "enableIntegratedKeysProxy", "true", "false", func(a AgentSpec) string { return fmt.Sprint(a.IntegratedKeysProxy) }},
		{"websocket auth", "websocketAuth", `"token"`, `"none"`, func(a AgentSpec) string { return strconv.Quote(a.WebsocketAuth) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{})
			stored := func() string {
				var v string
				s.Mutate(func(st *State) error { v = tt.stored(st.Agents["bot"].Spec); return nil })
				return v
			}
			out := mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"acme/bot:1","`+tt.field+`":`+tt.on+`}`, 200)
			if got := stored(); got != tt.on {
				t.Errorf("create with %s %s: stored %s", tt.field, tt.on, got)
			}
			if strings.Contains(out, tt.field) {
				t.Errorf("the answer shows %s: %s", tt.field, out)
			}
			mustCall(t, s, "POST", "/v1/agents/bot", `{"image":"acme/bot:2"}`, 200)
			if got := stored(); got != tt.on {
				t.Errorf("an update without %s changed it to %s", tt.field, got)
			}
			mustCall(t, s, "POST", "/v1/agents/bot", `{"`+tt.field+`":`+tt.off+`}`, 200)
			if got := stored(); got != tt.off {
				t.Errorf("update with %s %s: stored %s", tt.field, tt.off, got)
			}
		})
	}
}

func TestUpdateAgentErrors(t *testing.T) {
	bad := func(msg string) string { return errBody(msg, "GENERIC_BAD_REQUEST") }
	tests := []struct {
		name     string
		agent    string
		body     string
		wantCode int
		wantBody string
	}{
		{"unknown agent", "nope", `{"image":"a/b:1"}`, 404, errBody("Service not found", "NOT_FOUND")},
		{"unknown agent with a bad body", "nope", `{`, 404, errBody("Service not found", "NOT_FOUND")},
		{"invalid JSON", "bot", `{`, 400, bad("Invalid request format")},
		{"a field the API does not define", "bot", `{"someNewSetting":true}`, 400, bad(`Invalid request format: unknown field "someNewSetting".`)},
		{"the config's managedKeys is not the API's", "bot", `{"managedKeys":true}`, 400, bad(`Invalid request format: unknown field "managedKeys".`)},
		{"websocketAuth", "bot", `{"websocketAuth":"TOKEN"}`, 400, bad("Invalid websocketAuth 'TOKEN'. Valid values are: none, token.")},
		{"rename", "bot", `{"serviceName":"other","image":"a/b:2"}`, 400, bad("serviceName 'other' does not match the agent being updated ('bot'). An agent cannot be renamed.")},
		{"move", "bot", `{"region":"us-east"}`, 400, bad("Cannot change region of agent 'bot' from 'us-west' to 'us-east'. Delete and recreate the agent to move it.")},
		{"both image and buildId", "bot", `{"image":"a/b:1","buildId":"123e4567-e89b-12d3-a456-426614174000"}`, 400, bad("Cannot specify both image and buildId. Use one or the other.")},
		{"image without tag", "bot", `{"image":"a/b"}`, 400, bad("Image 'a/b' must include a tag or digest (for example 'a/b:1.0').")},
		{"min above kept max", "bot", `{"autoScaling":{"minAgents":21}}`, 400, bad("Invalid autoScaling: minAgents (21) cannot be greater than maxAgents (20).")},
		{"agent profile", "bot", `{"agentProfile":"big"}`, 400, bad("Invalid agentProfile 'big'. Valid values are: agent-1x, agent-2x, agent-3x.")},
		{"secret set missing", "bot", `{"secretSet":"nope"}`, 404, errBody("Secret set not found", "NOT_FOUND")},
		{"image pull set missing", "bot", `{"imagePullSecretSet":"nope"}`, 404, errBody("Image pull secret set not found", "NOT_FOUND")},
		{"secret set in another region", "bot", `{"secretSet":"east-secrets"}`, 400, bad("Secret set 'east-secrets' is in region 'us-east' but service is in region 'us-west'. Secrets must be in the same region as the service.")},
		{"image pull set in another region", "bot", `{"imagePullSecretSet":"east-pull"}`, 400, bad("Image pull secret set 'east-pull' is in region 'us-east' but service is in region 'us-west'. Image pull secrets must be in the same region as the service.")},
		{"secret set pending", "bot", `{"secretSet":"pending-secrets"}`, 409, errBody("Secret set 'pending-secrets' is not ready (status: pending). Wait until it is ready before deploying.", "CONFLICT")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{SecretSets: seeds})
			before := mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1","autoScaling":{"maxAgents":20}}`, 200)
			code, body := call(t, s, "POST", "/v1/agents/"+tt.agent, tt.body)
			if code != tt.wantCode || body != tt.wantBody {
				t.Errorf("got %d %s\nwant %d %s", code, body, tt.wantCode, tt.wantBody)
			}
			if after := mustCall(t, s, "GET", "/v1/agents/bot", "", 200); after != before {
				t.Errorf("a rejected update changed the agent:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestGetAndDeleteAgent(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	notFound := errBody("Not found", "NOT_FOUND")
	steps := []struct {
		method, path, body string
		wantCode           int
		wantBody           string
	}{
		{"GET", "/v1/agents/bot", "", 404, notFound},
		{"DELETE", "/v1/agents/bot", "", 404, notFound},
		{"POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, 200, ""},
		{"DELETE", "/v1/agents/bot", "", 200, `{"status":"OK"}`},
		{"GET", "/v1/agents/bot", "", 404, notFound},
		{"DELETE", "/v1/agents/bot", "", 404, notFound},
		// A deleted name can be created again.
		{"POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, 200, ""},
	}
	for i, st := range steps {
		code, body := call(t, s, st.method, st.path, st.body)
		if code != st.wantCode || (st.wantBody != "" && body != st.wantBody) {
			t.Errorf("step %d %s %s: got %d %s, want %d %s", i, st.method, st.path, code, body, st.wantCode, st.wantBody)
		}
	}
}

func TestListAgents(t *testing.T) {
	s, _ := newTestServer(t, Options{ReadyDelay: time.Minute})
	for _, b := range []string{
		`{"serviceName":"zeta","image":"a/b:1"}`,
		`{"serviceName":"alpha","image":"a/b:1","region":"eu-central"}`,
		`{"serviceName":"mid","image":"a/b:1"}`,
	} {
		mustCall(t, s, "POST", "/v1/agents", b, 200)
	}
	golden(t, "list.json", mustCall(t, s, "GET", "/v1/agents", "", 200))

	tests := []struct {
		name, query string
		wantNames   []string
		wantDeploy  bool
	}{
		{"region filter", "?region=us-west", []string{"mid", "zeta"}, false},
		{"unknown region filter", "?region=ap-south", []string{}, false},
		{"with deployments", "?includeActiveDeployment=true", []string{"alpha", "mid", "zeta"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := decode[cloud.ListServicesResponse](t, mustCall(t, s, "GET", "/v1/agents"+tt.query, "", 200))
			names := []string{}
			for _, it := range list.Services {
				names = append(names, it.Name)
				if (it.Deployment != nil) != tt.wantDeploy {
					t.Errorf("%s: deployment present %v, want %v", it.Name, it.Deployment != nil, tt.wantDeploy)
				}
			}
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadiness walks one agent through its life on a fake clock.
func TestReadiness(t *testing.T) {
	s, clk := newTestServer(t, Options{ReadyDelay: 10 * time.Second})
	type view struct {
		Ready, Available, ActiveDeploymentReady bool
		Desired, Reconciled                     string
		Phase                                   string
		Previous                                string // previous revision's deployment and phase
	}
	get := func() view {
		d := decode[cloud.ServiceDetails](t, mustCall(t, s, "GET", "/v1/agents/bot", "", 200))
		v := view{Ready: d.Ready, Available: d.Available, ActiveDeploymentReady: d.ActiveDeploymentReady, Desired: d.DesiredDeploymentID, Phase: d.CurrentRevision.Phase}
		if d.ReconciledDeploymentID != nil {
			v.Reconciled = *d.ReconciledDeploymentID
		}
		if d.PreviousRevision != nil {
			v.Previous = d.PreviousRevision.DeploymentID + " " + d.PreviousRevision.Phase
		}
		return v
	}
	// IDs: 1 is the agent, 2, 3, 4, 5 its deployments.
	steps := []struct {
		name    string
		advance time.Duration
		post    string // a create or update body sent after advancing
		want    view
	}{
		{"just created", 0, `{"serviceName":"bot","image":"a/b:1"}`, view{Desired: id(2), Phase: "Creating"}},
		{"validating half way", 5 * time.Second, "", view{Desired: id(2), Phase: "Validating"}},
		{"one moment before", 5*time.Second - time.Millisecond, "", view{Desired: id(2), Phase: "Validating"}},
		{"ready at the delay", time.Millisecond, "", view{Ready: true, Available: true, ActiveDeploymentReady: true, Desired: id(2), Reconciled: id(2), Phase: "Active"}},
		{"update rolls out while the old one serves", time.Minute, `{"image":"a/b:2"}`, view{Available: true, Desired: id(3), Reconciled: id(2), Phase: "Creating", Previous: id(2) + " Active"}},
		{"update ready", 10 * time.Second, "", view{Ready: true, Available: true, ActiveDeploymentReady: true, Desired: id(3), Reconciled: id(3), Phase: "Active"}},
		{"failing image rolls out", 0, `{"image":"a/b:fail-crash"}`, view{Available: true, Desired: id(4), Reconciled: id(3), Phase: "Creating", Previous: id(3) + " Active"}},
		{"failing image failed, old one still serves", 10 * time.Second, "", view{Available: true, Desired: id(4), Reconciled: id(4), Phase: "Failed", Previous: id(3) + " Active"}},
		{"fix rolls out, last good one serves", time.Second, `{"image":"a/b:3"}`, view{Available: true, Desired: id(5), Reconciled: id(4), Phase: "Creating", Previous: id(3) + " Active"}},
		{"fix ready", 10 * time.Second, "", view{Ready: true, Available: true, ActiveDeploymentReady: true, Desired: id(5), Reconciled: id(5), Phase: "Active"}},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		if st.post != "" {
			path := "/v1/agents"
			if !strings.Contains(st.post, "serviceName") {
				path = "/v1/agents/bot"
			}
			mustCall(t, s, "POST", path, st.post, 200)
		}
		if diff := cmp.Diff(st.want, get()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", st.name, diff)
		}
	}
}

// TestFailingRevision pins the failing-image convention's health.
func TestFailingRevision(t *testing.T) {
	s, clk := newTestServer(t, Options{ReadyDelay: time.Second})
	mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"acme/bot:fail-crash"}`, 200)
	clk.Advance(time.Second)
	d := decode[cloud.ServiceDetails](t, mustCall(t, s, "GET", "/v1/agents/bot", "", 200))
	want := &cloud.RevisionInfo{
		DeploymentID:   id(2),
		Phase:          "Failed",
		PhaseStartedAt: "2025-04-19T01:20:28.564Z",
		Health: &cloud.RevisionHealth{
			Ready: false, State: "waiting", RestartCount: 3, ReplicasStarted: 1, Reason: "CrashLoopBackOff",
			LastExitCode: intp(1), LastTerminationReason: "Error",
			Message: "Traceback (most recent call last):\n  ...\nModuleNotFoundError: No module named 'pipecat'",
		},
	}
	if diff := cmp.Diff(want, d.CurrentRevision); diff != "" {
		t.Errorf("current revision (-want +got):\n%s", diff)
	}
	if d.Ready || d.Available || d.ActiveDeploymentReady || d.PreviousRevision != nil {
		t.Errorf("a failed first deployment: ready %v available %v activeDeploymentReady %v previous %v", d.Ready, d.Available, d.ActiveDeploymentReady, d.PreviousRevision)
	}
	// A tag that merely contains "fail" is fine, and so is a digest.
	for _, image := range []string{"acme/bot:nofail", "acme/fail:1", "acme/bot@sha256:fail"} {
		if failing(image) {
			t.Errorf("failing(%q) = true", image)
		}
	}
}

func TestReadyAtOnceWithoutDelay(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	d := decode[cloud.ServiceDetails](t, mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, 200))
	if !d.Ready || !d.Available || !d.ActiveDeploymentReady || d.ReconciledDeploymentID == nil || *d.ReconciledDeploymentID != d.DesiredDeploymentID {
		t.Errorf("create without delay is not ready: %+v", d)
	}
	if d.CurrentRevision.Phase != "Active" {
		t.Errorf("phase %s", d.CurrentRevision.Phase)
	}
}

func TestRegions(t *testing.T) {
	tests := []struct {
		name    string
		regions []cloud.Region
		want    string
	}{
		{"spec example", nil, `{"regions":[{"code":"us-west","display_name":"US West (Oregon)"},{"code":"us-east","display_name":"US East (Virginia)"},{"code":"eu-central","display_name":"Europe (Frankfurt)"},{"code":"ap-south","display_name":"Asia Pacific (Mumbai)"}]}`},
		{"from options", []cloud.Region{{Code: "xx-1", DisplayName: "X"}}, `{"regions":[{"code":"xx-1","display_name":"X"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{Regions: tt.regions})
			if got := mustCall(t, s, "GET", "/v1/regions", "", 200); got != tt.want {
				t.Errorf("got %s\nwant %s", got, tt.want)
			}
		})
	}
	// Only listed regions are usable; without us-west among them, the
	// organization's default is the first.
	s, _ := newTestServer(t, Options{Regions: []cloud.Region{{Code: "xx-1", DisplayName: "X"}}})
	if code, body := call(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1","region":"us-west"}`); code != http.StatusBadRequest {
		t.Errorf("region us-west accepted although not listed: %d %s", code, body)
	}
	mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, 200)
	if d := decode[cloud.ServiceDetails](t, mustCall(t, s, "GET", "/v1/agents/bot", "", 200)); d.Region != "xx-1" {
		t.Errorf("agent without region in %s, want xx-1 (the default)", d.Region)
	}
}
