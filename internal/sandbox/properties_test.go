package sandbox

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

func defaultRegionOf(t *testing.T, s *Server) string {
	t.Helper()
	return decode[cloud.PropertiesResponse](t, mustCall(t, s, "GET", "/v1/properties", "", 200)).Properties.DefaultRegion
}

// TestProperties: GET and PATCH /v1/properties, with the spec's shapes and
// messages.
func TestProperties(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	if got := mustCall(t, s, "GET", "/v1/properties", "", 200); got != `{"properties":{"defaultRegion":"us-west"}}` {
		t.Errorf("GET /v1/properties of a new sandbox: %s", got)
	}
	got := decode[cloud.PropertiesSchemaResponse](t, mustCall(t, s, "PATCH", "/v1/properties", `{"defaultRegion":"eu-central"}`, 200))
	want := cloud.PropertiesSchemaResponse{Properties: map[string]cloud.PropertySchema{"defaultRegion": {
		Type: "string", Description: "Default region for new service deployments", Default: "us-west", CurrentValue: "eu-central",
		AvailableValues: []any{"us-west", "us-east", "eu-central", "ap-south"},
	}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PATCH answer (-want +got):\n%s", diff)
	}
	if r := defaultRegionOf(t, s); r != "eu-central" {
		t.Errorf("default region after the PATCH: %s", r)
	}
	if got := decode[cloud.PropertiesSchemaResponse](t, mustCall(t, s, "GET", "/v1/properties/schema", "", 200)); !cmp.Equal(want, got) {
		t.Errorf("GET /v1/properties/schema: %+v", got)
	}
	bad := func(msg string) string { return errBody(msg, "GENERIC_BAD_REQUEST") }
	for _, tt := range []struct{ name, body, want string }{
		{"no properties", `{}`, bad("No properties provided")},
		{"unknown property", `{"invalidProp":1}`, bad("Property 'invalidProp' is not a valid property")},
		{"unknown region", `{"defaultRegion":"mars"}`, bad("Region 'mars' is not available. Available regions: us-west, us-east, eu-central, ap-south")},
		{"not a string", `{"defaultRegion":1}`, bad("Invalid request format")},
		{"not JSON", `defaultRegion=us-east`, bad("Invalid request format")},
	} {
		if code, body := call(t, s, "PATCH", "/v1/properties", tt.body); code != 400 || body != tt.want {
			t.Errorf("%s: %d %s, want 400 %s", tt.name, code, body, tt.want)
		}
	}
	if r := defaultRegionOf(t, s); r != "eu-central" {
		t.Errorf("default region after refused PATCHes: %s", r)
	}
}

// TestDefaultRegionApplies: what names no region goes to the
// organization's default: agents, secret sets, upload URLs and builds
// (the official deploy action's empty body, its "uses org default").
func TestDefaultRegionApplies(t *testing.T) {
	s, _ := newTestServer(t, Options{DefaultRegion: "eu-central"})
	mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, 200)
	if d := decode[cloud.ServiceDetails](t, mustCall(t, s, "GET", "/v1/agents/bot", "", 200)); d.Region != "eu-central" {
		t.Errorf("agent without region is in %s", d.Region)
	}
	mustCall(t, s, "PUT", "/v1/secrets/keys", `{"secrets":[{"secretKey":"A","secretValue":"1"}]}`, 202)
	sets := decode[cloud.ListSecretSetsResponse](t, mustCall(t, s, "GET", "/v1/secrets", "", 200))
	if len(sets.Sets) != 1 || sets.Sets[0].Region != "eu-central" {
		t.Errorf("secret sets: %+v", sets)
	}
	up := decode[cloud.UploadURLResponse](t, mustCall(t, s, "POST", "/v1/builds/upload-url", `{}`, 200))
	body, ct := uploadForm(sortedFields(up.UploadFields), tarball(t, okContext))
	if rec := postForm(s, up.UploadURL, body, ct); rec.Code != 204 {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	b := decode[cloud.CreateBuildResponse](t, mustCall(t, s, "POST", "/v1/builds", `{"uploadId":"`+up.UploadID+`","dockerfilePath":"Dockerfile"}`, 201))
	if b.Build.Region != "eu-central" {
		t.Errorf("build without region is in %s", b.Build.Region)
	}
	// An upload in the default region builds when the build names it.
	mustCall(t, s, "POST", "/v1/builds", `{"uploadId":"`+up.UploadID+`","region":"eu-central"}`, 200)
}

// TestDefaultRegionPersists: the property is kept in the state file (and
// its journal), and Options.DefaultRegion changes a loaded state.
func TestDefaultRegionPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, _ := newTestServer(t, Options{StatePath: path})
	mustCall(t, s, "PATCH", "/v1/properties", `{"defaultRegion":"ap-south"}`, 200)
	if r := defaultRegionOf(t, reopen(t, path)); r != "ap-south" {
		t.Errorf("after a restart (journal replayed): %s", r)
	}
	moved, _ := newTestServer(t, Options{StatePath: path, DefaultRegion: "us-east"})
	if r := defaultRegionOf(t, moved); r != "us-east" {
		t.Errorf("with Options.DefaultRegion: %s", r)
	}
	moved.Close()
	if r := defaultRegionOf(t, reopen(t, path)); r != "us-east" {
		t.Errorf("Options.DefaultRegion was not persisted: %s", r)
	}
	if _, err := New(Options{DefaultRegion: "mars"}); err == nil {
		t.Error("a default region outside the sandbox's regions was accepted")
	}
	if err := s.Mutate(func(st *State) error { st.DefaultRegion = "mars"; return nil }); err == nil {
		t.Error("Mutate accepted a default region outside the regions")
	}
}
