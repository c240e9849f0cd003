package adopt

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// details is a ServiceDetailsResponse as the API sends it (response
// names: minReplicas, envFromSecretNames, imagePullSecretName, ...).
func details(image, profile string, mod func(*cloud.ServiceDetails)) *cloud.ServiceDetails {
	d := &cloud.ServiceDetails{
		Region:       "us-west",
		AgentProfile: ptr(profile),
		KrispViva:    &cloud.KrispVivaState{},
		AutoScaling:  &cloud.ReplicaScaling{MinReplicas: ptr(0), MaxReplicas: ptr(5)},
		Deployment: &cloud.Deployment{Manifest: &cloud.Manifest{Spec: cloud.ManifestSpec{
			DailyNodeType: "arm", Image: image,
			KrispModels: &cloud.KrispModels{},
		}}},
	}
	if mod != nil {
		mod(d)
	}
	return d
}

func TestFromLive(t *testing.T) {
	tests := []struct {
		name     string
		live     map[string]*cloud.ServiceDetails
		want     []Agent
		warnings []string
	}{
		{
			name: "response names map back to config names; absent means the platform default",
			live: map[string]*cloud.ServiceDetails{"voice-bot": details("acme/voice:1", "agent-2x", func(d *cloud.ServiceDetails) {
				d.KrispViva.AudioFilter = ptr("tel")
				d.AutoScaling = &cloud.ReplicaScaling{MinReplicas: ptr(1), MaxReplicas: ptr(9)}
				s := &d.Deployment.Manifest.Spec
				s.EnvFromSecretNames = []string{"voice-secrets"}
				s.ImagePullSecretName = "ghcr-pull"
			})},
			want: []Agent{{Name: "voice-bot", Spec: schema.Spec{
				Image: ptr("acme/voice:1"), Region: ptr("us-west"), NodeType: ptr("arm"), AgentProfile: ptr("agent-2x"),
				ImagePullSecretSet: ptr("ghcr-pull"), SecretSet: ptr("voice-secrets"),
				AutoScaling: &schema.AutoScaling{MinAgents: ptr(1), MaxAgents: ptr(9)},
				KrispViva:   &schema.KrispViva{AudioFilter: ptr("tel")}, EnableKrisp: ptr(false), MaxSessionDuration: ptr(7200),
			}}},
		},
		{
			name: "an agent deployed from a build is unreadable, its redacted image dropped",
			live: map[string]*cloud.ServiceDetails{"built": details("redacted", "agent-1x", nil)},
			want: []Agent{{Name: "built", Unreadable: "buildId", Spec: schema.Spec{
				Region: ptr("us-west"), NodeType: ptr("arm"), AgentProfile: ptr("agent-1x"),
				AutoScaling: &schema.AutoScaling{MinAgents: ptr(0), MaxAgents: ptr(5)},
				KrispViva:   &schema.KrispViva{}, EnableKrisp: ptr(false), MaxSessionDuration: ptr(7200),
			}}},
			warnings: []string{"agent built is commented out: it runs a build, and the API does not return its buildId; fill it in"},
		},
		{
			name: "a value the schema does not allow is left out with a note",
			live: map[string]*cloud.ServiceDetails{"bot": details("acme/bot:1", "agent-9x", func(d *cloud.ServiceDetails) {
				d.Deployment.Manifest.Spec.MaxSessionDurationSeconds = ptr(20000)
			})},
			want: []Agent{{Name: "bot", Spec: schema.Spec{
				Image: ptr("acme/bot:1"), Region: ptr("us-west"), NodeType: ptr("arm"),
				AutoScaling: &schema.AutoScaling{MinAgents: ptr(0), MaxAgents: ptr(5)},
				KrispViva:   &schema.KrispViva{}, EnableKrisp: ptr(false),
			}}},
			warnings: []string{
				`agent bot: agentProfile: "agent-9x" is not one of "agent-1x", "agent-2x", "agent-3x"; the live value is left out (unmanaged)`,
				`agent bot: maxSessionDuration: 20000 is greater than the maximum (14400); the live value is left out (unmanaged)`,
			},
		},
		{
			name:     "a name pipecat.yaml cannot hold is left out",
			live:     map[string]*cloud.ServiceDetails{"Legacy_Bot": details("acme/bot:1", "agent-1x", nil)},
			warnings: []string{`agent "Legacy_Bot" is left out: pipecat.yaml cannot hold its name`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromLive(tt.live)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.Agents, cmp.Transformer("nonotes", func(a Agent) Agent { a.Notes = nil; return a })); diff != "" {
				t.Errorf("agents (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, c.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if _, err := Render(c); err != nil {
				t.Errorf("Render: %v", err)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	names := []string{"alpha", "beta", "support-a", "support-b"}
	tests := []struct {
		name     string
		patterns []string
		want     []string
		wantErr  string
	}{
		{"a glob", []string{"support-*"}, []string{"support-a", "support-b"}, ""},
		{"names and globs, each agent once", []string{"beta", "support-?", "*a"}, []string{"alpha", "beta", "support-a", "support-b"}, ""},
		{"a pattern that matches nothing is an error", []string{"alpha", "gamma"}, nil, `no live agent matches "gamma"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(names, tt.patterns)
			if (err != nil) != (tt.wantErr != "") || err != nil && err.Error() != tt.wantErr {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// reader is a plan.Reader over fixed agents that logs the calls.
type reader struct {
	mu     sync.Mutex
	agents map[string]*cloud.ServiceDetails
	calls  []string
}

func (r *reader) log(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, s)
}

func (r *reader) ListAgents(context.Context) ([]cloud.ServiceListItem, error) {
	r.log("list")
	var out []cloud.ServiceListItem
	for n := range r.agents {
		out = append(out, cloud.ServiceListItem{Name: n})
	}
	return out, nil
}

func (r *reader) GetAgent(_ context.Context, name string) (*cloud.ServiceDetails, error) {
	r.log("get " + name)
	return r.agents[name], nil
}

func (r *reader) ListSecretSets(context.Context) ([]cloud.SecretSetSummary, error) {
	return nil, errors.New("not used")
}

func (r *reader) GetSecretSet(context.Context, string) (*cloud.SecretSetDetails, error) {
	return nil, errors.New("not used")
}

func (r *reader) ListRegions(context.Context) ([]cloud.Region, error) {
	return nil, errors.New("not used")
}

func TestRead(t *testing.T) {
	agents := map[string]*cloud.ServiceDetails{
		"alpha":     details("acme/a:1", "agent-1x", nil),
		"support-a": details("acme/s:1", "agent-1x", nil),
		"support-b": details("acme/s:2", "agent-1x", nil),
		// A preview agent: never imported, never read.
		"support-a-pr12": details("acme/s:3", "agent-1x", nil),
	}
	tests := []struct {
		name      string
		patterns  []string
		wantNames []string
		wantCalls int // list + get
		wantErr   string
	}{
		{"every agent: one list, one read each", nil, []string{"alpha", "support-a", "support-b"}, 4, ""},
		{"a glob: one list, reads only the agents it selects", []string{"support-*"}, []string{"support-a", "support-b"}, 3, ""},
		{"a pattern that matches only previews matches nothing", []string{"*-pr12"}, nil, 1, `no live agent matches "*-pr12"`},
		{"a pattern that matches nothing is an error", []string{"support-*", "nobody"}, nil, 3, `no live agent matches "nobody"`},
		{"an invalid glob is refused before any request", []string{"support-["}, nil, 0, `invalid agent pattern "support-[": syntax error in pattern (globs use *, ? and [a-z])`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &reader{agents: agents}
			got, err := Read(context.Background(), r, tt.patterns, 2, nil)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			var names []string
			for n := range got {
				names = append(names, n)
			}
			if diff := cmp.Diff(tt.wantNames, names, sortStrings); diff != "" {
				t.Errorf("agents (-want +got):\n%s", diff)
			}
			if len(r.calls) != tt.wantCalls {
				t.Errorf("calls %s, want %d", strings.Join(r.calls, ", "), tt.wantCalls)
			}
		})
	}
}

func (r *reader) GetProperties(context.Context) (*cloud.OrganizationProperties, error) {
	return nil, errors.New("not used")
}
