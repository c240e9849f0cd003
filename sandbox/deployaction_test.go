package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// deployAction replays, with plain net/http, what the official Pipecat
// Cloud deploy action (daily-co/pipecat-cloud-deploy-action, src/index.js
// and src/api.js) sends: GET the agent (404: absent); POST /v1/agents to
// create or POST /v1/agents/{name} to update, with the same payload, which
// carries serviceName (and region when given) either way; then every 5s GET
// the agent until (available || ready) && activeDeploymentReady.
type deployAction struct {
	t     *testing.T
	base  string
	hc    *http.Client
	clock *clock
}

func (a *deployAction) send(method, path string, payload any) (int, map[string]any) {
	a.t.Helper()
	var body io.Reader
	if payload != nil {
		b, _ := json.Marshal(payload)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	// @actions/http-client with the action's default headers.
	req.Header.Set("Authorization", "Bearer pk_action_key")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "pipecat-cloud-deploy-action")
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// checkAgent is api.checkAgent: nil on 404.
func (a *deployAction) checkAgent(name string) map[string]any {
	a.t.Helper()
	code, out := a.send("GET", "/v1/agents/"+url.PathEscape(name), nil)
	if code == 404 {
		return nil
	}
	if code < 200 || code >= 300 {
		a.t.Fatalf("Failed to check agent: %v", out["error"])
	}
	return out
}

// run is the action's deploy step followed by pollForReady; it returns the
// number of polls it took, or an error after timeout.
func (a *deployAction) run(name, image string, timeout time.Duration) (int, error) {
	a.t.Helper()
	isUpdate := a.checkAgent(name) != nil
	payload := map[string]any{
		"serviceName":               name,
		"image":                     image,
		"imagePullSecretSet":        "dockerhub-credentials",
		"secretSet":                 "voice-starter-secrets",
		"region":                    "us-west",
		"autoScaling":               map[string]any{"minAgents": 1, "maxAgents": 5},
		"enableIntegratedKeysProxy": true,
		"agentProfile":              "agent-1x",
	}
	path := "/v1/agents"
	if isUpdate {
		path += "/" + url.PathEscape(name)
	}
	if code, out := a.send("POST", path, payload); code < 200 || code >= 300 {
		return 0, fmt.Errorf("Failed to deploy: %v", out["error"])
	}
	const pollInterval = 5 * time.Second
	for attempt := 1; attempt <= int(timeout/pollInterval); attempt++ {
		a.clock.Advance(pollInterval) // await sleep(pollInterval)
		agent := a.checkAgent(name)
		if agent == nil {
			continue
		}
		if errs, ok := agent["errors"].([]any); ok && len(errs) > 0 {
			return attempt, fmt.Errorf("Deployment errors: %v", errs)
		}
		available := agent["available"] == true || agent["ready"] == true
		if available && agent["activeDeploymentReady"] == true {
			return attempt, nil
		}
	}
	return 0, fmt.Errorf("Deployment did not become ready within %s", timeout)
}

func TestDeployActionReplay(t *testing.T) {
	s, clk := newTestServer(t, Options{SecretSets: seeds, ReadyDelay: 30 * time.Second})
	srv := httptest.NewServer(s)
	defer srv.Close()
	v := newContract(t)
	action := &deployAction{t: t, base: srv.URL, hc: &http.Client{Transport: v}, clock: clk}

	tests := []struct {
		name      string
		image     string
		wantPolls int
		wantErr   string
		wantCalls []Request
	}{
		{"first run creates", "acme/voice:1", 6, "", []Request{
			{"GET", "/v1/agents/voice-bot", 404}, {"POST", "/v1/agents", 200},
		}},
		// On update the old revision keeps the agent available at once;
		// the action waits for activeDeploymentReady, which only the new
		// deployment sets.
		{"second run updates", "acme/voice:2", 6, "", []Request{
			{"GET", "/v1/agents/voice-bot", 200}, {"POST", "/v1/agents/voice-bot", 200},
		}},
		{"a crashing image times out", "acme/voice:fail-import", 0, "Deployment did not become ready within 1m0s", []Request{
			{"GET", "/v1/agents/voice-bot", 200}, {"POST", "/v1/agents/voice-bot", 200},
		}},
	}
	for _, tt := range tests {
		before := len(s.Requests())
		polls, err := action.run("voice-bot", tt.image, time.Minute)
		if polls != tt.wantPolls || fmt.Sprint(err) != fmt.Sprint(errOrNil(tt.wantErr)) {
			t.Errorf("%s: %d polls, error %v; want %d polls, error %q", tt.name, polls, err, tt.wantPolls, tt.wantErr)
		}
		got := s.Requests()[before:]
		if diff := cmp.Diff(tt.wantCalls, got[:2]); diff != "" {
			t.Errorf("%s: deploy requests (-want +got):\n%s", tt.name, diff)
		}
		for _, r := range got[2:] {
			if r != (Request{"GET", "/v1/agents/voice-bot", 200}) {
				t.Errorf("%s: poll %+v", tt.name, r)
			}
		}
		// Every exchange conforms to the spec, up to the listed deviations
		// (serviceName, region and enableIntegratedKeysProxy in the body).
		for _, ex := range v.take() {
			if ex.requestErr != nil || ex.responseErr != nil {
				t.Errorf("%s: %s %d: request %v, response %v", tt.name, ex.op, ex.status, ex.requestErr, ex.responseErr)
			}
		}
	}
	d := action.checkAgent("voice-bot")
	rev := d["currentRevision"].(map[string]any)
	if rev["phase"] != "Failed" || d["available"] != true || d["ready"] != false {
		t.Errorf("after the crashing deploy: phase %v available %v ready %v", rev["phase"], d["available"], d["ready"])
	}
}

func errOrNil(s string) error {
	if s == "" {
		return nil
	}
	return fmt.Errorf("%s", s)
}
