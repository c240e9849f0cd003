package adopt

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

func TestFromPCCDeploy(t *testing.T) {
	tests := []struct {
		name  string
		files []File
		want  []Agent
		warns []string
	}{
		{
			name: "every key the official CLI reads maps to its config name",
			files: []File{{Name: "voice.toml", Data: []byte(`agent_name = "voice-starter"
image = "ghcr.io/acme/voice:1.4.0"
image_credentials = "ghcr-pull"
secret_set = "voice-secrets"
region = "us-west"
agent_profile = "agent-2x"
enable_krisp = false
max_session_duration = 3600

[scaling]
min_agents = 1
max_agents = 10

[krisp_viva]
audio_filter = "pro"
`)}},
			want: []Agent{{Name: "voice-starter", Notes: []string{"from voice.toml"}, Spec: schema.Spec{
				Image: ptr("ghcr.io/acme/voice:1.4.0"), Region: ptr("us-west"), AgentProfile: ptr("agent-2x"),
				ImagePullSecretSet: ptr("ghcr-pull"), SecretSet: ptr("voice-secrets"),
				AutoScaling: &schema.AutoScaling{MinAgents: ptr(1), MaxAgents: ptr(10)},
				KrispViva:   &schema.KrispViva{AudioFilter: ptr("pro")}, EnableKrisp: ptr(false), MaxSessionDuration: ptr(3600),
			}}},
		},
		{
			name: "keys it leaves out stay unmanaged; build settings beside a build_id are skipped; settings without a field are noted",
			files: []File{{Name: "b.toml", Data: []byte(`agent_name = "builder"
build_id = "123e4567-e89b-12d3-a456-426614174000"
enable_managed_keys = true
websocket_auth = "token"
[krisp_viva]
[docker]
registry = "dockerhub"
auto_latest = true
[build]
dockerfile = "Dockerfile"
[build.exclude]
patterns = ["*.md"]
[resources]
cpu = "1"
`)}},
			want: []Agent{{Name: "builder", Spec: schema.Spec{BuildID: ptr("123e4567-e89b-12d3-a456-426614174000"), ManagedKeys: ptr(true), WebsocketAuth: ptr("token")},
				Notes: []string{"from b.toml", "b.toml sets resources.cpu = \"1\": explicit resources have no pipecat.yaml field, and pipecat-gitops never sends them."}}},
			warns: []string{"agent builder: b.toml sets resources.cpu = \"1\": explicit resources have no pipecat.yaml field, and pipecat-gitops never sends them."},
		},
		{
			name: "the docs' cloud-build quickstart: no image builds the toml's directory with its Dockerfile",
			files: []File{{Name: "pcc-deploy.toml", Data: []byte(`agent_name = "my-first-agent"
secret_set = "my-first-agent-secrets"

[scaling]
	min_agents = 1
	max_agents = 5
`)}},
			want: []Agent{{Name: "my-first-agent", Notes: []string{"from pcc-deploy.toml", "pcc-deploy.toml has no image: the agent is built in Pipecat Cloud from its [build] context_dir with its dockerfile, as `pipecat cloud deploy` does."}, Spec: schema.Spec{
				Build:     &schema.BuildSource{Context: ptr("."), Dockerfile: ptr("Dockerfile")},
				SecretSet: ptr("my-first-agent-secrets"), AutoScaling: &schema.AutoScaling{MinAgents: ptr(1), MaxAgents: ptr(5)},
			}}},
		},
		{
			name: "context_dir is relative to the toml, written relative to the config; dockerfile to the context",
			files: []File{{Name: "bots/voice/pcc-deploy.toml", Data: []byte(`agent_name = "voice"
websocket_auth = "none"
[build]
context_dir = "src"
dockerfile = "docker/Dockerfile.prod"
[build.exclude]
patterns = ["*.md", "tests/"]
`)}},
			want: []Agent{{Name: "voice", Notes: []string{"from bots/voice/pcc-deploy.toml", "bots/voice/pcc-deploy.toml has no image: the agent is built in Pipecat Cloud from its [build] context_dir with its dockerfile, as `pipecat cloud deploy` does."}, Spec: schema.Spec{
				Build:         &schema.BuildSource{Context: ptr("bots/voice/src"), Dockerfile: ptr("docker/Dockerfile.prod")},
				WebsocketAuth: ptr("none"),
			}}},
			warns: []string{"bots/voice/pcc-deploy.toml:7:1: build.exclude.patterns has no place in pipecat.yaml and is not imported: " +
				"put the patterns in the context's .dockerignore, which builds here honour (docs/migrating.md)"},
		},
		{
			name: "deprecated min_instances and max_instances are read, and win, as the CLI has it",
			files: []File{{Name: "old.toml", Data: []byte(`agent_name = "old"
image = "acme/old:1"
[scaling]
min_instances = 2
min_agents = 1
max_instances = 4
`)}},
			want: []Agent{{Name: "old", Notes: []string{"from old.toml"}, Spec: schema.Spec{
				Image: ptr("acme/old:1"), AutoScaling: &schema.AutoScaling{MinAgents: ptr(2), MaxAgents: ptr(4)},
			}}},
			warns: []string{
				"old.toml:4:1: scaling.min_instances is deprecated; import reads it as scaling.min_agents (autoScaling.minAgents), as the CLI does: write scaling.min_agents instead",
				"old.toml:6:1: scaling.max_instances is deprecated; import reads it as scaling.max_agents (autoScaling.maxAgents), as the CLI does: write scaling.max_agents instead",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromPCCDeploy(tt.files, ".")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.Agents); diff != "" {
				t.Errorf("agents (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warns, c.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromPCCDeployErrors(t *testing.T) {
	ok := File{Name: "ok.toml", Data: []byte("agent_name = \"bot\"\nimage = \"acme/bot:1\"\n")}
	tests := []struct {
		name  string
		files []File
		want  []string
	}{
		{"unknown keys and tables, with the nearest known one", []File{{Name: "a.toml", Data: []byte(
			"agent_name = \"bot\"\nimage = \"acme/bot:1\"\nsecretset = \"x\"\n[scalng]\nmin_agents = 1\n[extra]\n")}},
			[]string{
				`a.toml:3:1: secretset: unknown key in pcc-deploy.toml | did you mean "secret_set"?`,
				`a.toml:5:1: scalng.min_agents: unknown key in pcc-deploy.toml | did you mean "scaling.min_agents"?`,
				`a.toml:6:1: extra: unknown table in pcc-deploy.toml`,
			}},
		{"wrong types and refused values at the value", []File{{Name: "b.toml", Data: []byte(
			"agent_name = \"Bot_1\"\nimage = \"acme/bot\"\n[scaling]\nmin_agents = \"1\"\nmax_agents = 0\n[krisp_viva]\naudio_filter = \"loud\"\n")}},
			[]string{
				`b.toml:1:14: agent_name: "Bot_1" is not a valid agent name | 2 to 54 lowercase letters, digits and hyphens, starting and ending with a letter or digit`,
				`b.toml:2:9: image: image "acme/bot" has no tag or digest`,
				`b.toml:4:14: scaling.min_agents: must be an integer, not a string`,
				`b.toml:5:14: scaling.max_agents: 0 is less than the minimum (1)`,
				`b.toml:7:16: krisp_viva.audio_filter: "loud" is not one of "tel", "pro", null`,
			}},
		{"a value the schema refuses is located at the TOML value", []File{{Name: "c.toml", Data: []byte(
			"agent_name = \"bot\"\nimage = \"acme/bot:1\"\nmax_session_duration = 30\n[scaling]\nmin_agents = 9\nmax_agents = 3\n")}},
			[]string{
				`c.toml:3:24: max_session_duration: 30 is less than the minimum (60)`,
				`c.toml:5:14: scaling.min_agents: 9 is greater than maxAgents (3)`,
			}},
		{"agent_name is required (an image is not: without one the file builds)", []File{{Name: "d.toml", Data: []byte("region = \"us-west\"\n")}},
			[]string{
				`d.toml:1:1: agent_name: agent_name is required | add agent_name = "my-agent"`,
			}},
		{"image and build_id exclude each other", []File{{Name: "e.toml", Data: []byte(
			"agent_name = \"bot\"\nimage = \"acme/bot:1\"\nbuild_id = \"123e4567-e89b-12d3-a456-426614174000\"\n")}},
			[]string{`e.toml:3:1: build_id: image and build_id are mutually exclusive | keep one of the two`}},
		{"a syntax error is located", []File{{Name: "f.toml", Data: []byte("agent_name = \"bot\"\nimage = acme\n")}},
			[]string{`f.toml:2:9: invalid TOML: invalid value acme: strings are quoted ("acme")`}},
		{"two files for one agent", []File{ok, {Name: "again.toml", Data: ok.Data}},
			[]string{`again.toml:1:14: agent_name: agent bot is also converted from ok.toml:1`}},
		{"errors of every file at once, in file order", []File{
			{Name: "z.toml", Data: []byte("agent_name = \"zz\"\nimage = \"a:1\"\nbogus = 1\n")},
			{Name: "y.toml", Data: []byte("agent_name = 5\nimage = \"a:1\"\n")}},
			[]string{
				`z.toml:3:1: bogus: unknown key in pcc-deploy.toml`,
				`y.toml:1:1: agent_name: agent_name is required | add agent_name = "my-agent"`,
				`y.toml:1:14: agent_name: must be a string, not an integer`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromPCCDeploy(tt.files, ".")
			var errs schema.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("got %v, want schema.Errors", err)
			}
			var got []string
			for _, e := range errs {
				s := e.Error()
				if e.Hint != "" {
					s += " | " + e.Hint
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromPCCDeployErrorsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("agent_name = \"bot\"\nimage = \"a:1\"\n")
	for i := range 300 {
		b.WriteString("k" + strings.Repeat("x", i%10) + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676)) + " = 1\n")
	}
	_, err := FromPCCDeploy([]File{{Name: "big.toml", Data: []byte(b.String())}}, ".")
	var errs schema.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v", err)
	}
	// schema.Errors.Sorted keeps 100, then one "too many errors" entry.
	if len(errs) != 101 || errs[100].Msg != "too many errors: 200 more not shown" {
		t.Fatalf("%d errors, last %q", len(errs), errs[len(errs)-1].Msg)
	}
}
