package schema

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSpecFields(t *testing.T) {
	build := "123e4567-e89b-12d3-a456-426614174000"
	tests := []struct {
		name string
		spec Spec
		want []Field
	}{
		{"nothing managed", Spec{}, nil},
		{"struct order, write-only marked", Spec{MaxSessionDuration: ptr(600), BuildID: &build, Region: ptr("us-west")}, []Field{
			{Path: "buildId", Value: build, WriteOnly: true},
			{Path: "region", Value: "us-west"},
			{Path: "maxSessionDuration", Value: 600},
		}},
		{"each autoScaling bound managed on its own", Spec{AutoScaling: &AutoScaling{MaxAgents: ptr(5)}}, []Field{
			{Path: "autoScaling.maxAgents", Value: 5},
		}},
		{"an empty autoScaling manages no bound", Spec{AutoScaling: &AutoScaling{}}, nil},
		{"krispViva with a nil filter is a managed null", Spec{KrispViva: &KrispViva{}}, []Field{
			{Path: "krispViva.audioFilter", Value: nil},
		}},
		{"booleans and false", Spec{EnableKrisp: ptr(false)}, []Field{{Path: "enableKrisp", Value: false}}},
		{"an object tagged write-only makes its leaves write-only", Spec{Build: &BuildSource{Context: ptr("bot"), Dockerfile: ptr("Dockerfile.prod")}, ManagedKeys: ptr(true)}, []Field{
			{Path: "build.context", Value: "bot", WriteOnly: true},
			{Path: "build.dockerfile", Value: "Dockerfile.prod", WriteOnly: true},
			{Path: "managedKeys", Value: true, WriteOnly: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The table's columns are TestFieldTable's.
			table := cmpopts.IgnoreFields(Field{}, "Immutable", "Wire", "Live", "Default", "PCC", "Kind")
			if diff := cmp.Diff(tt.want, tt.spec.Fields(), table); diff != "" {
				t.Errorf("Fields (-want +got):\n%s", diff)
			}
			for _, f := range tt.want {
				if v, ok := tt.spec.Get(f.Path); !ok || !cmp.Equal(v, f.Value) {
					t.Errorf("Get(%q) = %v, %v; want %v, true", f.Path, v, ok, f.Value)
				}
			}
		})
	}
	if v, ok := (&Spec{}).Get("krispViva.audioFilter"); ok || v != nil {
		t.Errorf("Get of an unmanaged nullable leaf = %v, %v; want nil, false", v, ok)
	}
}

// TestFieldTable pins the field table the struct tags of Spec declare:
// what each field is called on the wire and in pcc-deploy.toml, where the
// API's answer carries it, its default there, and how plans treat it.
func TestFieldTable(t *testing.T) {
	manifest := "deployment.manifest.spec."
	want := []Field{
		{Path: "image", Wire: "image", Live: []string{manifest + "image"}, PCC: "image", Kind: "string"},
		{Path: "buildId", Wire: "buildId", WriteOnly: true, PCC: "build_id", Kind: "string"},
		{Path: "build.context", WriteOnly: true, Kind: "string"},
		{Path: "build.dockerfile", WriteOnly: true, Kind: "string"},
		{Path: "region", Wire: "region", Live: []string{"region"}, Immutable: true, PCC: "region", Kind: "string"},
		{Path: "nodeType", Wire: "nodeType", Live: []string{manifest + "dailyNodeType"}, Kind: "string"},
		{Path: "agentProfile", Wire: "agentProfile", Live: []string{"agentProfile"}, PCC: "agent_profile", Kind: "string"},
		{Path: "imagePullSecretSet", Wire: "imagePullSecretSet", Live: []string{manifest + "imagePullSecretName"}, PCC: "image_credentials", Kind: "string"},
		{Path: "secretSet", Wire: "secretSet", Live: []string{manifest + "envFromSecretNames.0"}, PCC: "secret_set", Kind: "string"},
		{Path: "autoScaling.minAgents", Wire: "autoScaling.minAgents", Live: []string{"autoScaling.minReplicas", manifest + "autoScaling.minReplicas"}, PCC: "scaling.min_agents", Kind: "integer"},
		{Path: "autoScaling.maxAgents", Wire: "autoScaling.maxAgents", Live: []string{"autoScaling.maxReplicas", manifest + "autoScaling.maxReplicas"}, PCC: "scaling.max_agents", Kind: "integer"},
		{Path: "krispViva.audioFilter", Wire: "krispViva.audioFilter", Live: []string{"krispViva.audioFilter"}, PCC: "krisp_viva.audio_filter", Kind: "string"},
		{Path: "enableKrisp", Wire: "enableKrisp", Live: []string{manifest + "krispModels.enabled"}, Default: false, PCC: "enable_krisp", Kind: "boolean"},
		{Path: "maxSessionDuration", Wire: "maxSessionDuration", Live: []string{manifest + "maxSessionDurationSeconds"}, Default: 7200, PCC: "max_session_duration", Kind: "integer"},
		{Path: "managedKeys", Wire: "enableIntegratedKeysProxy", WriteOnly: true, PCC: "enable_managed_keys", Kind: "boolean"},
		{Path: "websocketAuth", Wire: "websocketAuth", WriteOnly: true, PCC: "websocket_auth", Kind: "string"},
	}
	if diff := cmp.Diff(want, AllFields()); diff != "" {
		t.Errorf("AllFields (-want +got):\n%s", diff)
	}
}

func TestSpecSet(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		value any
		want  Spec
	}{
		{"a leaf", "maxSessionDuration", 600, Spec{MaxSessionDuration: ptr(600)}},
		{"a nested leaf creates its object", "autoScaling.minAgents", 2, Spec{AutoScaling: &AutoScaling{MinAgents: ptr(2)}}},
		{"nil leaves a leaf unmanaged", "autoScaling.minAgents", nil, Spec{}},
		{"nil makes a nullable leaf a managed null", "krispViva.audioFilter", nil, Spec{KrispViva: &KrispViva{}}},
		{"a value of a convertible type", "enableKrisp", true, Spec{EnableKrisp: ptr(true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Spec
			s.Set(tt.path, tt.value)
			if diff := cmp.Diff(tt.want, s); diff != "" {
				t.Errorf("Set (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAllFieldsMatchSchema keeps the Spec struct and the JSON Schema's
// $defs/settings one definition: every leaf of one is a leaf of the other.
func TestAllFieldsMatchSchema(t *testing.T) {
	_, raw := compiled()
	props := at(raw, []string{"$defs", "settings", "properties"}).(map[string]any)
	var fromSchema []string
	for _, name := range sortedKeys(props) {
		if name == protectKey {
			continue // a guard of the plan, not an API field
		}
		sub := props[name].(map[string]any)
		if inner, ok := sub["properties"].(map[string]any); ok {
			for _, n := range sortedKeys(inner) {
				fromSchema = append(fromSchema, name+"."+n)
			}
			continue
		}
		fromSchema = append(fromSchema, name)
	}
	var fromStruct []string
	for _, f := range AllFields() {
		fromStruct = append(fromStruct, f.Path)
	}
	if diff := cmp.Diff(sortedCopy(fromSchema), sortedCopy(fromStruct)); diff != "" {
		t.Errorf("schema $defs/settings vs Spec leaves (-schema +struct):\n%s", diff)
	}
}

func TestSpecClone(t *testing.T) {
	s := &Spec{Image: ptr("a:1"), AutoScaling: &AutoScaling{MinAgents: ptr(1)}, KrispViva: &KrispViva{}}
	c := s.Clone()
	*c.Image, *c.AutoScaling.MinAgents = "b:2", 9
	if *s.Image != "a:1" || *s.AutoScaling.MinAgents != 1 {
		t.Errorf("Clone shares memory with the original: %+v", s)
	}
	if diff := cmp.Diff(&Spec{Image: ptr("a:1"), AutoScaling: &AutoScaling{MinAgents: ptr(1)}, KrispViva: &KrispViva{}}, s.Clone()); diff != "" {
		t.Errorf("Clone (-want +got):\n%s", diff)
	}
}

func TestValidateSpec(t *testing.T) {
	build := "123e4567-e89b-12d3-a456-426614174000"
	tests := []struct {
		name string
		spec Spec
		want []string
	}{
		{"tagged image", Spec{Image: ptr("acme/bot:1.0")}, nil},
		{"digest", Spec{Image: ptr("ghcr.io/acme/bot@sha256:abc")}, nil},
		{"registry port and tag", Spec{Image: ptr("localhost:5000/bot:2")}, nil},
		{"build", Spec{BuildID: &build, Region: ptr("us-west")}, nil},
		{"registry port is not a tag", Spec{Image: ptr("localhost:5000/bot")},
			[]string{`image: image "localhost:5000/bot" has no tag or digest`}},
		{"no tag", Spec{Image: ptr("bot")}, []string{`image: image "bot" has no tag or digest`}},
		{"empty tag", Spec{Image: ptr("bot:")}, []string{`image: image "bot:" has no tag or digest`}},
		{"image and build", Spec{Image: ptr("a:1"), BuildID: &build}, []string{"exactly one of image, buildId and build is required"}},
		{"neither", Spec{Region: ptr("us-west")}, []string{"exactly one of image, buildId and build is required"}},
		{"cloud build", Spec{Build: &BuildSource{Context: ptr("agents/bot")}, ManagedKeys: ptr(true)}, nil},
		{"cloud build without a context", Spec{Build: &BuildSource{Dockerfile: ptr("Dockerfile")}}, []string{`build: missing properties: 'context'`}},
		{"image and cloud build", Spec{Image: ptr("a:1"), Build: &BuildSource{Context: ptr(".")}}, []string{"exactly one of image, buildId and build is required"}},
		{"bad build id", Spec{BuildID: ptr("b-7f3a")}, []string{`buildId: "b-7f3a" is not a valid UUID`}},
		{"ranges and enums", Spec{Image: ptr("a:1"), MaxSessionDuration: ptr(5), AgentProfile: ptr("agent-9x"),
			AutoScaling: &AutoScaling{MaxAgents: ptr(51)}, KrispViva: &KrispViva{AudioFilter: ptr("max")}}, []string{
			`agentProfile: "agent-9x" is not one of "agent-1x", "agent-2x", "agent-3x"`,
			"autoScaling.maxAgents: 51 is greater than the maximum (50)",
			`krispViva.audioFilter: "max" is not one of "tel", "pro", null`,
			"maxSessionDuration: 5 is less than the minimum (60)",
		}},
		{"minAgents above maxAgents", Spec{Image: ptr("a:1"), AutoScaling: &AutoScaling{MinAgents: ptr(9), MaxAgents: ptr(3)}},
			[]string{"autoScaling.minAgents: 9 is greater than maxAgents (3)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ValidateSpec(&tt.spec)); diff != "" {
				t.Errorf("ValidateSpec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidAgentName(t *testing.T) {
	for name, want := range map[string]bool{
		"ab": true, "voice-starter": true, "a": false, "-ab": false, "ab-": false, "Ab": false,
		"a_b": false, strings.Repeat("a", 54): true, strings.Repeat("a", 55): false,
	} {
		if got := ValidAgentName(name); got != want {
			t.Errorf("ValidAgentName(%q) = %v, want %v", name, got, want)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return sortedCopy(out)
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
