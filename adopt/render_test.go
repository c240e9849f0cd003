package adopt

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

const schemaLine = "# yaml-language-server: $schema=" + schema.SchemaID + "\n"

func spec(image string, mod func(*schema.Spec)) schema.Spec {
	s := schema.Spec{Image: ptr(image)}
	if mod != nil {
		mod(&s)
	}
	return s
}

func full(image, region, profile string, lo, hi int) schema.Spec {
	return schema.Spec{
		Image: ptr(image), Region: ptr(region), NodeType: ptr("arm"), AgentProfile: ptr(profile),
		AutoScaling: &schema.AutoScaling{MinAgents: ptr(lo), MaxAgents: ptr(hi)},
		KrispViva:   &schema.KrispViva{}, EnableKrisp: ptr(false), MaxSessionDuration: ptr(7200),
	}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name   string
		config Config
		want   string
	}{
		{
			name:   "one agent: no defaults, fields in Spec order",
			config: Config{Agents: []Agent{{Name: "bot", Spec: full("acme/bot:1", "us-west", "agent-1x", 0, 5)}}},
			want: `version: 1

agents:
  bot:
    image: acme/bot:1
    region: us-west
    nodeType: arm
    agentProfile: agent-1x
    autoScaling: {minAgents: 0, maxAgents: 5}
    krispViva: {audioFilter: null}
    enableKrisp: false
    maxSessionDuration: 7200
`,
		},
		{
			name: "values most agents share go to defaults; the others override them key by key",
			config: Config{Agents: []Agent{
				{Name: "cc", Spec: full("acme/c:1", "us-west", "agent-2x", 0, 10)},
				{Name: "aa", Spec: full("acme/a:1", "us-west", "agent-1x", 1, 10)},
				{Name: "bb", Spec: full("acme/b:1", "us-west", "agent-1x", 0, 10)},
			}},
			want: `version: 1

defaults:
  region: us-west
  nodeType: arm
  agentProfile: agent-1x
  autoScaling: {minAgents: 0, maxAgents: 10}
  krispViva: {audioFilter: null}
  enableKrisp: false
  maxSessionDuration: 7200

agents:
  aa:
    image: acme/a:1
    autoScaling: {minAgents: 1}

  bb:
    image: acme/b:1

  cc:
    image: acme/c:1
    agentProfile: agent-2x
`,
		},
		{
			name: "no majority, an unmanaged field, and secretSet stay with the agents",
			config: Config{Agents: []Agent{
				{Name: "aa", Spec: spec("acme/a:1", func(s *schema.Spec) { s.Region = ptr("us-west"); s.SecretSet = ptr("shared") })},
				{Name: "bb", Spec: spec("acme/b:1", func(s *schema.Spec) { s.Region = ptr("eu-central"); s.SecretSet = ptr("shared") })},
				{Name: "cc", Spec: spec("acme/c:1", func(s *schema.Spec) { s.AgentProfile = ptr("agent-1x"); s.SecretSet = ptr("shared") })},
			}},
			want: `version: 1

agents:
  aa:
    image: acme/a:1
    region: us-west
    secretSet: shared

  bb:
    image: acme/b:1
    region: eu-central
    secretSet: shared

  cc:
    image: acme/c:1
    agentProfile: agent-1x
    secretSet: shared
`,
		},
		{
			name: "values are quoted and ${ escaped so they read back as written",
			config: Config{Agents: []Agent{{Name: "123", Spec: spec("acme/bot:${TAG}", func(s *schema.Spec) {
				s.SecretSet = ptr("true")
				s.ImagePullSecretSet = ptr("a #b\nc")
			})}}},
			want: `version: 1

agents:
  "123":
    image: acme/bot:$${TAG}
    imagePullSecretSet: "a #b\nc"
    secretSet: "true"
`,
		},
		{
			name: "an unreadable agent is commented out with a placeholder, under its notes",
			config: Config{
				Header: []string{"Imported.", "", "Two lines."},
				Agents: []Agent{
					{Name: "built", Unreadable: "buildId", Notes: []string{"built runs a build; fill in its buildId."},
						Spec: full("", "us-west", "agent-1x", 0, 5)},
					{Name: "plain", Spec: full("acme/p:1", "us-west", "agent-1x", 0, 5)},
				},
			},
			want: `#
# Imported.
#
# Two lines.
version: 1

defaults:
  region: us-west
  nodeType: arm
  agentProfile: agent-1x
  autoScaling: {minAgents: 0, maxAgents: 5}
  krispViva: {audioFilter: null}
  enableKrisp: false
  maxSessionDuration: 7200

agents:
  # built runs a build; fill in its buildId.
  # built:
  #   buildId: FILL-IN

  plain:
    image: acme/p:1
`,
		},
		{
			name:   "only unreadable agents: agents is an empty map",
			config: Config{Agents: []Agent{{Name: "built", Unreadable: "buildId", Spec: schema.Spec{Region: ptr("us-west")}}}},
			want: `version: 1

agents: {}
  # built:
  #   buildId: FILL-IN
  #   region: us-west
`,
		},
		{
			name: "a long note is wrapped; a control character cannot end a comment",
			config: Config{Agents: []Agent{{Name: "bot", Spec: spec("acme/bot:1", nil),
				Notes: []string{strings.Repeat("word ", 20) + "end\x1bversion: 2"}}}},
			want: `version: 1

agents:
  # word word word word word word word word word word word word word word word
  # word word word word word end?version: 2
  bot:
    image: acme/bot:1
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.config.Agents {
				if tt.config.Agents[i].Unreadable != "" && tt.config.Agents[i].Spec.Image != nil && *tt.config.Agents[i].Spec.Image == "" {
					tt.config.Agents[i].Spec.Image = nil
				}
			}
			got, err := Render(&tt.config)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(schemaLine+tt.want, string(got)); diff != "" {
				t.Errorf("Render (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRenderReadsBack renders many combinations of fields and values and
// relies on Render's own check: each agent must read back, through
// schema.Parse and defaults, as the spec it was given.
func TestRenderReadsBack(t *testing.T) {
	profiles := []string{"agent-1x", "agent-2x"}
	filters := []*string{nil, ptr("tel"), ptr("pro")}
	var agents []Agent
	for i := range 24 {
		s := full("acme/bot:"+string(rune('a'+i)), []string{"us-west", "eu-central"}[i%5/4], profiles[i%3/2], i%2, 10+i%3)
		s.KrispViva.AudioFilter = filters[i%3]
		if i%4 == 0 {
			s.SecretSet = ptr("secrets-" + string(rune('a'+i)))
		}
		if i%7 == 0 {
			s.AutoScaling.MinAgents = nil
		}
		if i%5 == 0 {
			s.KrispViva = nil
		}
		agents = append(agents, Agent{Name: "bot-" + string(rune('a'+i)), Spec: s})
	}
	for n := 1; n <= len(agents); n++ {
		if _, err := Render(&Config{Agents: agents[:n]}); err != nil {
			t.Fatalf("%d agents: %v", n, err)
		}
	}
}

func TestRenderRefusesWhatDoesNotReadBack(t *testing.T) {
	// An image without a tag does not validate: Render says so instead of
	// writing a file plan would refuse.
	_, err := Render(&Config{Agents: []Agent{{Name: "bot", Spec: spec("acme/bot", nil)}}})
	if err == nil || !strings.Contains(err.Error(), "does not validate") {
		t.Fatalf("got %v, want a validation error", err)
	}
}

// TestUnreadableUncommented: the commented-out agent means, once
// uncommented with its build filled in, exactly its live spec under the
// file's defaults.
func TestUnreadableUncommented(t *testing.T) {
	built := full("", "us-west", "agent-2x", 0, 50)
	built.Image = nil
	c := &Config{Agents: []Agent{
		{Name: "built", Unreadable: "buildId", Notes: []string{"fill it in"}, Spec: built},
		{Name: "one", Spec: full("acme/one:1", "us-west", "agent-1x", 0, 5)},
		{Name: "two", Spec: full("acme/two:1", "us-west", "agent-1x", 0, 5)},
	}}
	out, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	const id = "123e4567-e89b-12d3-a456-426614174000"
	lines := strings.Split(string(out), "\n")
	in := false
	for i, l := range lines {
		in = in && strings.HasPrefix(l, "  # ") || l == "  # built:"
		if in {
			lines[i] = strings.Replace("  "+strings.TrimPrefix(l, "  # "), Placeholder, id, 1)
		}
	}
	cfg, err := schema.Parse(context.Background(), "pipecat.yaml", []byte(strings.Join(lines, "\n")), schema.LoadOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(lines, "\n"))
	}
	want := built
	want.BuildID = ptr(id)
	if diff := cmp.Diff(want, cfg.Agents[0].Spec); cfg.Agents[0].Name != "built" || diff != "" {
		t.Errorf("uncommented %s (-want +got):\n%s", cfg.Agents[0].Name, diff)
	}
}
