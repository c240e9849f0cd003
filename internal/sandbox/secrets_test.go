package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSecretSets(t *testing.T) {
	s, clk := newTestServer(t, Options{ReadyDelay: 5 * time.Second, SecretSets: []SecretSetSeed{
		{Name: "seeded", Keys: []string{"B", "A", "A"}},
		{Name: "pull", Type: "imagePullSecret", Region: "us-east"},
		{Name: "broken", Status: "failed"},
	}})
	bad := func(msg string) string { return errBody(msg, "GENERIC_BAD_REQUEST") }
	steps := []struct {
		name               string
		advance            time.Duration
		method, path, body string
		wantCode           int
		wantBody           string
	}{
		{"list the seeds", 0, "GET", "/v1/secrets", "", 200,
			`{"sets":[{"name":"broken","type":"secret","region":"us-west","status":"failed","errorMessage":"Secret set provisioning failed. Please retry or contact support."},{"name":"pull","type":"imagePullSecret","region":"us-east","status":"ready"},{"name":"seeded","type":"secret","region":"us-west","status":"ready"}]}`},
		{"keys only, sorted, once", 0, "GET", "/v1/secrets/seeded", "", 200, `{"region":"us-west","status":"ready","secrets":[{"fieldName":"A"},{"fieldName":"B"}]}`},
		{"failed set", 0, "GET", "/v1/secrets/broken", "", 200, `{"region":"us-west","status":"failed","errorMessage":"Secret set provisioning failed. Please retry or contact support.","secrets":[]}`},
		{"image pull secrets cannot be read", 0, "GET", "/v1/secrets/pull", "", 400, bad("Cannot retrieve image pull secrets by name")},
		{"unknown set", 0, "GET", "/v1/secrets/nope", "", 404, errBody("Set not found", "NOT_FOUND")},

		{"create a regular set in the default region", 0, "PUT", "/v1/secrets/app-secrets",
			`{"secrets":[{"secretKey":"API_KEY","secretValue":"s3cr3t-value"},{"secretKey":"DATABASE_URL","secretValue":"postgresql://user:pass@host:5432/db"}]}`, 202, `{"status":"OK","region":"us-west"}`},
		{"pending until the delay", 0, "GET", "/v1/secrets/app-secrets", "", 200, `{"region":"us-west","status":"pending","secrets":[{"fieldName":"API_KEY"},{"fieldName":"DATABASE_URL"}]}`},
		{"ready after the delay", 5 * time.Second, "GET", "/v1/secrets/app-secrets", "", 200, `{"region":"us-west","status":"ready","secrets":[{"fieldName":"API_KEY"},{"fieldName":"DATABASE_URL"}]}`},
		{"an update upserts keys, region may repeat", 0, "PUT", "/v1/secrets/app-secrets",
			`{"secrets":[{"secretKey":"JWT_SECRET","secretValue":"x"},{"secretKey":"API_KEY","secretValue":"y"}],"region":"us-west"}`, 202, `{"status":"OK","region":"us-west"}`},
		{"merged keys, pending again", 0, "GET", "/v1/secrets/app-secrets", "", 200, `{"region":"us-west","status":"pending","secrets":[{"fieldName":"API_KEY"},{"fieldName":"DATABASE_URL"},{"fieldName":"JWT_SECRET"}]}`},
		{"an update without region keeps it", 0, "PUT", "/v1/secrets/pull",
			`{"isImagePullSecret":true,"host":"https://index.docker.io/v1","secretValue":"token"}`, 202, `{"status":"OK","region":"us-east"}`},
		{"create an image pull secret", 0, "PUT", "/v1/secrets/ghcr",
			`{"isImagePullSecret":true,"host":"https://ghcr.io","secretValue":"token","region":"eu-central"}`, 202, `{"status":"OK","region":"eu-central"}`},

		{"region change", 0, "PUT", "/v1/secrets/app-secrets", `{"secrets":[{"secretKey":"A","secretValue":"b"}],"region":"us-east"}`, 400,
			bad("Secret already exists in region 'us-west'. Cannot change region to 'us-east'.")},
		{"regular to image pull", 0, "PUT", "/v1/secrets/app-secrets", `{"isImagePullSecret":true,"host":"https://ghcr.io","secretValue":"t"}`, 400,
			bad("Cannot update existing regular secrets to image pull secrets")},
		{"image pull to regular", 0, "PUT", "/v1/secrets/ghcr", `{"secrets":[{"secretKey":"A","secretValue":"b"}]}`, 400,
			bad("Must provide isImagePullSecret, host, and secretValue to update an image pull secret")},
		{"image pull without host", 0, "PUT", "/v1/secrets/new-pull", `{"isImagePullSecret":true,"secretValue":"t"}`, 400,
			bad("Must provide isImagePullSecret, host, and secretValue to update an image pull secret")},
		{"image pull without value", 0, "PUT", "/v1/secrets/new-pull", `{"isImagePullSecret":true,"host":"https://ghcr.io"}`, 400,
			bad("Must provide isImagePullSecret, host, and secretValue to update an image pull secret")},
		{"no secrets", 0, "PUT", "/v1/secrets/new-set", `{"secrets":[]}`, 400, bad("Invalid request format")},
		{"neither kind", 0, "PUT", "/v1/secrets/new-set", `{"region":"us-west"}`, 400, bad("Invalid request format")},
		{"secret without value", 0, "PUT", "/v1/secrets/new-set", `{"secrets":[{"secretKey":"A"}]}`, 400, bad("Invalid request format")},
		{"secret without key", 0, "PUT", "/v1/secrets/new-set", `{"secrets":[{"secretValue":"v"}]}`, 400, bad("Invalid request format")},
		{"invalid JSON", 0, "PUT", "/v1/secrets/new-set", `{"secrets":`, 400, bad("Invalid request format")},
		{"a field the API does not define", 0, "PUT", "/v1/secrets/new-set", `{"secrets":[{"secretKey":"A","secretValue":"1"}],"type":"secret"}`, 400, bad("Invalid request format")},
		{"a misnamed key field", 0, "PUT", "/v1/secrets/new-set", `{"secrets":[{"key":"A","secretValue":"1"}]}`, 400, bad("Invalid request format")},
		{"name too short", 0, "PUT", "/v1/secrets/ab", `{"secrets":[{"secretKey":"A","secretValue":"b"}]}`, 400, bad("Invalid request format")},
		{"name with uppercase", 0, "PUT", "/v1/secrets/My-Set", `{"secrets":[{"secretKey":"A","secretValue":"b"}]}`, 400, bad("Invalid request format")},
		{"unknown region", 0, "PUT", "/v1/secrets/new-set", `{"secrets":[{"secretKey":"A","secretValue":"b"}],"region":"mars"}`, 400,
			bad("Invalid region or organization does not have access")},

		{"list after the changes", 0, "GET", "/v1/secrets", "", 200,
			`{"sets":[{"name":"app-secrets","type":"secret","region":"us-west","status":"pending"},{"name":"broken","type":"secret","region":"us-west","status":"failed","errorMessage":"Secret set provisioning failed. Please retry or contact support."},{"name":"ghcr","type":"imagePullSecret","region":"eu-central","status":"pending"},{"name":"pull","type":"imagePullSecret","region":"us-east","status":"pending"},{"name":"seeded","type":"secret","region":"us-west","status":"ready"}]}`},
		{"a failed set retried", 0, "PUT", "/v1/secrets/broken", `{"secrets":[{"secretKey":"K","secretValue":"v"}]}`, 202, `{"status":"OK","region":"us-west"}`},
		{"the retried set is pending", 0, "GET", "/v1/secrets/broken", "", 200, `{"region":"us-west","status":"pending","secrets":[{"fieldName":"K"}]}`},
		{"then ready", 5 * time.Second, "GET", "/v1/secrets/broken", "", 200, `{"region":"us-west","status":"ready","secrets":[{"fieldName":"K"}]}`},

		{"delete a key", 0, "DELETE", "/v1/secrets/app-secrets/DATABASE_URL", "", 200, `{"status":"OK"}`},
		{"the key is gone, the set's status unchanged", 0, "GET", "/v1/secrets/app-secrets", "", 200, `{"region":"us-west","status":"ready","secrets":[{"fieldName":"API_KEY"},{"fieldName":"JWT_SECRET"}]}`},
		{"delete the key again", 0, "DELETE", "/v1/secrets/app-secrets/DATABASE_URL", "", 404, errBody("Secret not found", "NOT_FOUND")},
		{"key names are case-sensitive", 0, "DELETE", "/v1/secrets/app-secrets/api_key", "", 404, errBody("Secret not found", "NOT_FOUND")},
		{"delete a key of an unknown set", 0, "DELETE", "/v1/secrets/nope/API_KEY", "", 404, errBody("Set not found", "NOT_FOUND")},
		{"image pull sets have no keys", 0, "DELETE", "/v1/secrets/ghcr/host", "", 404, errBody("Secret not found", "NOT_FOUND")},
		{"a key is deleted with DELETE only", 0, "GET", "/v1/secrets/app-secrets/API_KEY", "", 405, errBody("Method not allowed", "METHOD_NOT_ALLOWED")},
		{"delete the last keys", 0, "DELETE", "/v1/secrets/app-secrets/API_KEY", "", 200, `{"status":"OK"}`},
		{"", 0, "DELETE", "/v1/secrets/app-secrets/JWT_SECRET", "", 200, `{"status":"OK"}`},
		{"an empty set remains", 0, "GET", "/v1/secrets/app-secrets", "", 200, `{"region":"us-west","status":"ready","secrets":[]}`},

		{"delete", 0, "DELETE", "/v1/secrets/ghcr", "", 200, `{"status":"OK"}`},
		{"delete again", 0, "DELETE", "/v1/secrets/ghcr", "", 404, errBody("Set not found", "NOT_FOUND")},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		code, body := call(t, s, st.method, st.path, st.body)
		if code != st.wantCode || body != st.wantBody {
			t.Errorf("%s: %s %s\ngot  %d %s\nwant %d %s", st.name, st.method, st.path, code, body, st.wantCode, st.wantBody)
		}
	}
}

// TestSecretSetBindsAfterReady: a set created by PUT can be bound to an
// agent only once it is ready.
func TestSecretSetBindsAfterReady(t *testing.T) {
	s, clk := newTestServer(t, Options{ReadyDelay: time.Second})
	mustCall(t, s, "PUT", "/v1/secrets/bot-secrets", `{"secrets":[{"secretKey":"K","secretValue":"v"}]}`, 202)
	body := `{"serviceName":"bot","image":"a/b:1","secretSet":"bot-secrets"}`
	code, got := call(t, s, "POST", "/v1/agents", body)
	if want := errBody("Secret set 'bot-secrets' is not ready (status: pending). Wait until it is ready before deploying.", "CONFLICT"); code != 409 || got != want {
		t.Errorf("bind while pending: %d %s", code, got)
	}
	clk.Advance(time.Second)
	d := decode[struct {
		Deployment struct {
			Manifest struct {
				Spec struct{ EnvFromSecretNames []string }
			}
		}
	}](t, mustCall(t, s, "POST", "/v1/agents", body, 200))
	if diff := cmp.Diff([]string{"bot-secrets"}, d.Deployment.Manifest.Spec.EnvFromSecretNames); diff != "" {
		t.Errorf("envFromSecretNames (-want +got):\n%s", diff)
	}
}

// TestSecretValues: values are stored, kept across a restart and readable
// by tests through SecretValue, but no response ever carries one.
func TestSecretValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, clk := newTestServer(t, Options{StatePath: path, ReadyDelay: 5 * time.Second})
	const a1, b1, b2, token = "value-a1-Zq9x", "value-b1-Kd2w", "value-b2-Pm7v", "token-Hy4r"
	var bodies []string
	send := func(method, path, body string, want int) {
		t.Helper()
		bodies = append(bodies, mustCall(t, s, method, path, body, want))
	}
	send("PUT", "/v1/secrets/app-secrets", `{"secrets":[{"secretKey":"A","secretValue":"`+a1+`"},{"secretKey":"B","secretValue":"`+b1+`"}]}`, 202)
	send("PUT", "/v1/secrets/app-secrets", `{"secrets":[{"secretKey":"B","secretValue":"`+b2+`"}]}`, 202)
	send("PUT", "/v1/secrets/ghcr", `{"isImagePullSecret":true,"host":"https://ghcr.io","secretValue":"`+token+`"}`, 202)
	clk.Advance(5 * time.Second)
	send("GET", "/v1/secrets", "", 200)
	send("GET", "/v1/secrets/app-secrets", "", 200)
	send("GET", "/v1/secrets/ghcr", "", 400)
	send("POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1","secretSet":"app-secrets","imagePullSecretSet":"ghcr"}`, 200)
	send("GET", "/v1/agents/bot", "", 200)
	send("GET", "/v1/agents?includeActiveDeployment=true", "", 200)

	type got struct {
		Value string
		OK    bool
	}
	check := func(s *Server, want map[string]got) {
		t.Helper()
		for key, w := range want {
			v, ok := s.SecretValue("app-secrets", key)
			if diff := cmp.Diff(w, got{v, ok}); diff != "" {
				t.Errorf("SecretValue(app-secrets, %s) (-want +got):\n%s", key, diff)
			}
		}
		host, v, ok := s.ImagePullSecret("ghcr")
		if host != "https://ghcr.io/" || v != token || !ok {
			t.Errorf("ImagePullSecret(ghcr) = %q, %q, %v", host, v, ok)
		}
	}
	// A PUT replaces the values it names and keeps the others.
	check(s, map[string]got{"A": {a1, true}, "B": {b2, true}, "C": {}})
	send("DELETE", "/v1/secrets/app-secrets/A", "", 200)
	check(s, map[string]got{"A": {}, "B": {b2, true}})
	check(reopen(t, path), map[string]got{"A": {}, "B": {b2, true}})
	if _, ok := s.SecretValue("nope", "B"); ok {
		t.Error("a value for an unknown set")
	}
	if _, _, ok := s.ImagePullSecret("app-secrets"); ok {
		t.Error("image pull credentials for a regular set")
	}

	// Values are in clear in these files: only their owner may read them.
	for _, p := range []string{path, path + journalSuffix} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, fi.Mode())
		}
	}
	for _, body := range bodies {
		for _, v := range []string{a1, b1, b2, token} {
			if strings.Contains(body, v) {
				t.Errorf("a response carries the value %s: %s", v, body)
			}
		}
	}
}
