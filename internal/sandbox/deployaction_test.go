package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
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

// run is the action's deploy step with a prebuilt image, followed by
// pollForReady; it returns the number of polls it took, or an error after
// timeout.
func (a *deployAction) run(name, image string, timeout time.Duration) (int, error) {
	a.t.Helper()
	return a.deploy(name, map[string]any{"image": image, "imagePullSecretSet": "dockerhub-credentials"}, timeout)
}

// deploy is the action's deploy step, with source the image fields or the
// buildId, then pollForReady.
func (a *deployAction) deploy(name string, source map[string]any, timeout time.Duration) (int, error) {
	a.t.Helper()
	isUpdate := a.checkAgent(name) != nil
	payload := map[string]any{
		"serviceName":               name,
		"secretSet":                 "voice-starter-secrets",
		"region":                    "us-west",
		"autoScaling":               map[string]any{"minAgents": 1, "maxAgents": 5},
		"enableIntegratedKeysProxy": true,
		"agentProfile":              "agent-1x",
	}
	for k, v := range source {
		payload[k] = v
		if v == nil { // an input left empty: not sent
			delete(payload, k)
		}
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

// cloudBuild is the action's "Pipecat Cloud Build" step (cloud-build:
// true): cache lookup by context hash, Dockerfile, region and success;
// on a miss, an upload URL, the upload of the context (src/build.js
// uploadToS3: every uploadFields entry in the order the API sent them,
// Content-Type if absent, the file last as "file"), POST /v1/builds and,
// unless the API reports a cache hit, a poll of the build every 5s until
// success, failed or timeout. afterLookup runs between the lookup and the
// rest, to interleave another run.
func (a *deployAction) cloudBuild(archive []byte, dockerfile, region string, timeout time.Duration, afterLookup func()) (string, error) {
	a.t.Helper()
	// An empty region input ("uses org default") is sent nowhere.
	q := url.Values{"contextHash": {contextHash(archive)}, "dockerfilePath": {dockerfile}, "status": {"success"}, "limit": {"1"}}
	withRegion := func(m map[string]any) map[string]any {
		if region != "" {
			m["region"] = region
		}
		return m
	}
	if region != "" {
		q.Set("region", region)
	}
	if code, out := a.send("GET", "/v1/builds?"+q.Encode(), nil); code == 200 {
		if builds, _ := out["builds"].([]any); len(builds) > 0 {
			return builds[0].(map[string]any)["id"].(string), nil
		}
	}
	if afterLookup != nil {
		afterLookup()
	}
	code, up := a.sendRaw("POST", "/v1/builds/upload-url", withRegion(map[string]any{}))
	if code != 200 {
		return "", fmt.Errorf("Failed to get upload URL: %s", up)
	}
	if err := a.uploadToS3(up, archive); err != nil {
		return "", err
	}
	code, created := a.send("POST", "/v1/builds", withRegion(map[string]any{"uploadId": jsonField(a.t, up, "uploadId"), "dockerfilePath": dockerfile}))
	if code < 200 || code >= 300 {
		return "", fmt.Errorf("Failed to create build: %v", created["error"])
	}
	build := created["build"].(map[string]any)
	id := build["id"].(string)
	if created["cached"] == true {
		return id, nil
	}
	const pollInterval = 5 * time.Second
	for waited := time.Duration(0); waited <= timeout; waited += pollInterval {
		a.clock.Advance(pollInterval)
		code, out := a.send("GET", "/v1/builds/"+url.PathEscape(id), nil)
		if code == 404 {
			return "", fmt.Errorf("Cloud build failed: Build not found")
		}
		b := out["build"].(map[string]any)
		switch b["status"] {
		case "success":
			return id, nil
		case "failed", "timeout":
			return id, fmt.Errorf("Cloud build failed: %v", b["errorMessage"])
		}
	}
	return id, fmt.Errorf("Cloud build failed: Build polling timeout exceeded")
}

// sendRaw is send returning the raw body, whose key order matters.
func (a *deployAction) sendRaw(method, path string, payload any) (int, []byte) {
	a.t.Helper()
	b, _ := json.Marshal(payload)
	req, _ := http.NewRequest(method, a.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer pk_action_key")
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func jsonField(t *testing.T, body []byte, name string) any {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return m[name]
}

// uploadToS3 posts the context as the action does, with fetch and
// FormData: no API key.
func (a *deployAction) uploadToS3(up []byte, archive []byte) error {
	a.t.Helper()
	var u struct {
		UploadURL    string          `json:"uploadUrl"`
		UploadFields json.RawMessage `json:"uploadFields"`
	}
	json.Unmarshal(up, &u)
	// Object.entries(uploadFields): the fields in the order of the JSON.
	var fields [][2]string
	dec := json.NewDecoder(bytes.NewReader(u.UploadFields))
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		v, _ := dec.Token()
		fields = append(fields, [2]string{k.(string), v.(string)})
	}
	if !slices.ContainsFunc(fields, func(f [2]string) bool { return f[0] == "Content-Type" }) {
		fields = append(fields, [2]string{"Content-Type", "application/gzip"})
	}
	body, ct := uploadForm(fields, archive)
	resp, err := http.Post(u.UploadURL, ct, bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 && resp.StatusCode != 204 {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("Upload failed: HTTP %d - %s", resp.StatusCode, msg)
	}
	return nil
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

// TestDeployActionCloudBuild replays the official action with cloud-build:
// true: a first run builds and creates the agent from the build, a second
// run of the same context finds the build in the cache and only updates,
// a context whose build fails stops before any deploy, and a run that
// misses the cache while another run builds the same context gets the
// API's server-side cache hit.
func TestDeployActionCloudBuild(t *testing.T) {
	s, clk := newTestServer(t, Options{SecretSets: seeds, ReadyDelay: 30 * time.Second, BuildDelay: 20 * time.Second})
	srv := httptest.NewServer(s)
	defer srv.Close()
	v := newContract(t)
	action := &deployAction{t: t, base: srv.URL, hc: &http.Client{Transport: v}, clock: clk}

	good := tarball(t, okContext)
	bad := tarball(t, map[string]string{"Dockerfile": "FROM python:3.12\nRUN exit 1\n"})
	other := tarball(t, map[string]string{"Dockerfile": "FROM python:3.13\n"})
	build := func(id string) Request { return Request{"GET", "/v1/builds/" + id, 200} }
	lookup := Request{"GET", "/v1/builds", 200}
	upload := []Request{{"POST", "/v1/builds/upload-url", 200}, {"POST", "/_sandbox/upload", 204}}
	var otherID string // the interleaved run's build

	tests := []struct {
		name        string
		agent       string
		archive     []byte
		afterLookup func()
		wantErr     string
		want        func(id string) []Request
	}{
		{"first run builds and creates", "voice-bot", good, nil, "", func(id string) []Request {
			// 20s of build at one poll every 5s; then 30s of rollout.
			return slices.Concat([]Request{lookup}, upload, []Request{{"POST", "/v1/builds", 201}, build(id), build(id), build(id), build(id),
				{"GET", "/v1/agents/voice-bot", 404}, {"POST", "/v1/agents", 200}}, polls("voice-bot", 6))
		}},
		{"second run hits the cache and updates", "voice-bot", good, nil, "", func(string) []Request {
			return slices.Concat([]Request{lookup, {"GET", "/v1/agents/voice-bot", 200}, {"POST", "/v1/agents/voice-bot", 200}}, polls("voice-bot", 6))
		}},
		{"a failing build deploys nothing", "voice-bot", bad, nil,
			`Cloud build failed: Docker build failed: process "/bin/sh -c exit 1" did not complete successfully: exit code: 1`, func(id string) []Request {
				return slices.Concat([]Request{lookup}, upload, []Request{{"POST", "/v1/builds", 201}, build(id), build(id), build(id), build(id)})
			}},
		{"a run beaten to the build by another gets the server's cache hit", "other-bot", other, func() {
			var err error
			if otherID, err = action.cloudBuild(other, "Dockerfile", "us-west", 10*time.Minute, nil); err != nil {
				t.Errorf("the other run: %v", err)
			}
		}, "", func(id string) []Request {
			if id != otherID {
				t.Errorf("this run deploys build %s, the other run built %s", id, otherID)
			}
			return slices.Concat([]Request{lookup, lookup}, upload, []Request{{"POST", "/v1/builds", 201}, build(otherID), build(otherID), build(otherID), build(otherID)},
				upload, []Request{{"POST", "/v1/builds", 200}, {"GET", "/v1/agents/other-bot", 404}, {"POST", "/v1/agents", 200}}, polls("other-bot", 6))
		}},
	}
	for _, tt := range tests {
		before := len(s.Requests())
		id, err := action.cloudBuild(tt.archive, "Dockerfile", "us-west", 10*time.Minute, tt.afterLookup)
		if err == nil {
			_, err = action.deploy(tt.agent, map[string]any{"buildId": id}, time.Minute)
		}
		if fmt.Sprint(err) != fmt.Sprint(errOrNil(tt.wantErr)) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.wantErr)
		}
		got := s.Requests()[before:]
		want := tt.want(id)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: requests (-want +got):\n%s", tt.name, diff)
		}
		for _, ex := range v.take() {
			if ex.requestErr != nil || ex.responseErr != nil {
				t.Errorf("%s: %s %d: request %v, response %v", tt.name, ex.op, ex.status, ex.requestErr, ex.responseErr)
			}
		}
	}
	// The agent runs the build, and says so as the API does: image
	// redacted.
	d := action.checkAgent("voice-bot")
	spec := d["deployment"].(map[string]any)["manifest"].(map[string]any)["spec"].(map[string]any)
	if spec["image"] != RedactedImage || d["ready"] != true {
		t.Errorf("voice-bot after the runs: image %v, ready %v", spec["image"], d["ready"])
	}
}

// polls are n readiness polls of agent name.
func polls(name string, n int) []Request {
	out := make([]Request, n)
	for i := range out {
		out[i] = Request{"GET", "/v1/agents/" + name, 200}
	}
	return out
}

// TestDeployActionDefaultRegion replays the official action with only the
// inputs its docs require (cloud-build: true, no region): the upload URL
// and the build are asked for without a region (the spec requires one;
// the platform takes the organization's default), and the agent is
// created there.
func TestDeployActionDefaultRegion(t *testing.T) {
	s, clk := newTestServer(t, Options{DefaultRegion: "eu-central"})
	srv := httptest.NewServer(s)
	defer srv.Close()
	v := newContract(t)
	action := &deployAction{t: t, base: srv.URL, hc: &http.Client{Transport: v}, clock: clk}
	id, err := action.cloudBuild(tarball(t, okContext), "Dockerfile", "", time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := action.deploy("bot", map[string]any{"buildId": id, "region": nil, "secretSet": nil}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if d := action.checkAgent("bot"); d["region"] != "eu-central" {
		t.Errorf("agent in %v, want eu-central", d["region"])
	}
	if b := decode[cloud.GetBuildResponse](t, mustCall(t, s, "GET", "/v1/builds/"+id, "", 200)); b.Build.Region != "eu-central" {
		t.Errorf("build in %s, want eu-central", b.Build.Region)
	}
	for _, ex := range v.take() {
		// Only the missing region is outside the spec.
		if ex.responseErr != nil || ex.requestErr != nil && ex.op != "getBuildUploadUrl" && ex.op != "createBuild" {
			t.Errorf("%s %d: request %v, response %v", ex.op, ex.status, ex.requestErr, ex.responseErr)
		}
	}
}
