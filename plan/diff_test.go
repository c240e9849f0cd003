package plan

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

func sp(s string) *string { return &s }
func ip(i int) *int       { return &i }
func bp(b bool) *bool     { return &b }

// liveAgent builds a detail response the way the API shapes it from a
// spec: the inverse of LiveSpec, so tests can state live state in the
// config's terms.
func liveAgent(name string, s schema.Spec) *cloud.ServiceDetails {
	d := &cloud.ServiceDetails{
		Name:   name,
		Region: deref(s.Region),
		Ready:  true,
		Deployment: &cloud.Deployment{ID: "dep-1", Manifest: &cloud.Manifest{
			Spec: cloud.ManifestSpec{
				DailyNodeType:             deref(s.NodeType),
				Image:                     deref(s.Image),
				ImagePullSecretName:       deref(s.ImagePullSecretSet),
				MaxSessionDurationSeconds: clonePtr(s.MaxSessionDuration),
			},
		}},
		AgentProfile: clonePtr(s.AgentProfile),
	}
	if s.SecretSet != nil {
		d.Deployment.Manifest.Spec.EnvFromSecretNames = []string{*s.SecretSet}
	}
	if s.AutoScaling != nil {
		d.AutoScaling = &cloud.ReplicaScaling{MinReplicas: clonePtr(s.AutoScaling.MinAgents), MaxReplicas: clonePtr(s.AutoScaling.MaxAgents)}
	}
	if s.KrispViva != nil {
		d.KrispViva = &cloud.KrispVivaState{AudioFilter: clonePtr(s.KrispViva.AudioFilter)}
	}
	if s.EnableKrisp != nil {
		d.Deployment.Manifest.Spec.KrispModels = &cloud.KrispModels{Enabled: *s.EnableKrisp}
	}
	return d
}

// fullLive is a typical live agent in us-west.
func fullLive(image string) schema.Spec {
	return schema.Spec{
		Image: sp(image), Region: sp("us-west"), NodeType: sp("arm"), AgentProfile: sp("agent-1x"),
		SecretSet: sp("bot-secrets"), AutoScaling: &schema.AutoScaling{MinAgents: ip(0), MaxAgents: ip(10)},
		KrispViva: &schema.KrispViva{}, EnableKrisp: bp(false),
	}
}

func config(prune schema.Prune, agents ...schema.Agent) *schema.Config {
	return &schema.Config{File: "pipecat.yaml", Version: 1, Agents: agents, Prune: prune}
}

func liveOf(details ...*cloud.ServiceDetails) *Live {
	l := &Live{Details: map[string]*cloud.ServiceDetails{},
		Secrets: []cloud.SecretSetSummary{{Name: "bot-secrets", Type: "secret", Region: "us-west", Status: "ready"}},
		Regions: []cloud.Region{{Code: "us-west"}, {Code: "eu-central"}}, DefaultRegion: "us-west"}
	for _, d := range details {
		l.Agents = append(l.Agents, cloud.ServiceListItem{Name: d.Name, Region: d.Region})
		l.Details[d.Name] = d
	}
	return l
}

// brief is what a diff test asserts: action, reason and fields per agent.
type brief struct {
	Agent  string
	Action string
	Reason string
	Fields []FieldChange
}

func briefs(p *Plan) []brief {
	var out []brief
	for _, c := range p.Changes {
		out = append(out, brief{c.Agent, c.Action.String(), c.Reason, c.Fields})
	}
	return out
}

func TestDiff(t *testing.T) {
	bot := func(mod func(*schema.Agent)) schema.Agent {
		a := schema.Agent{Name: "bot", Spec: schema.Spec{Image: sp("acme/bot:1.0")}, Pos: schema.Position{Line: 3, Col: 3}}
		if mod != nil {
			mod(&a)
		}
		return a
	}
	tests := []struct {
		name          string
		cfg           *schema.Config
		live          *Live
		want          []brief
		wantUnmanaged []string
	}{
		{
			name: "absent agent is created with every managed field",
			cfg: config(schema.Prune{}, bot(func(a *schema.Agent) {
				a.Spec.SecretSet = sp("bot-secrets")
				a.Spec.AutoScaling = &schema.AutoScaling{MaxAgents: ip(5)}
				a.Spec.KrispViva = &schema.KrispViva{}
			})),
			live: liveOf(),
			want: []brief{{"bot", "create", "", []FieldChange{
				{"image", nil, "acme/bot:1.0"}, {"secretSet", nil, "bot-secrets"},
				{"autoScaling.maxAgents", nil, 5}, {"krispViva.audioFilter", nil, nil},
			}}},
		},
		{
			name: "equal managed fields are a no-op",
			cfg:  config(schema.Prune{}, bot(func(a *schema.Agent) { a.Spec.Region = sp("us-west"); a.Spec.SecretSet = sp("bot-secrets") })),
			live: liveOf(liveAgent("bot", fullLive("acme/bot:1.0"))),
			want: []brief{{"bot", "no-op", "", nil}},
		},
		{
			name: "a changed image is an update of that field only",
			cfg:  config(schema.Prune{}, bot(func(a *schema.Agent) { a.Spec.Image = sp("acme/bot:1.1") })),
			live: liveOf(liveAgent("bot", fullLive("acme/bot:1.0"))),
			want: []brief{{"bot", "update", "", []FieldChange{{"image", "acme/bot:1.0", "acme/bot:1.1"}}}},
		},
		{
			name: "unmanaged fields that differ are not diffed",
			cfg:  config(schema.Prune{}, bot(nil)),
			live: liveOf(liveAgent("bot", func() schema.Spec {
				s := fullLive("acme/bot:1.0")
				s.SecretSet, s.AgentProfile, s.AutoScaling = sp("other"), sp("agent-3x"), &schema.AutoScaling{MinAgents: ip(7), MaxAgents: ip(9)}
				return s
			}())),
			want: []brief{{"bot", "no-op", "", nil}},
		},
		{
			name: "one managed bound of autoScaling is diffed alone",
			cfg:  config(schema.Prune{}, bot(func(a *schema.Agent) { a.Spec.AutoScaling = &schema.AutoScaling{MaxAgents: ip(20)} })),
			live: liveOf(liveAgent("bot", fullLive("acme/bot:1.0"))),
			want: []brief{{"bot", "update", "", []FieldChange{{"autoScaling.maxAgents", 10, 20}}}},
		},
		{
			name: "krispViva null disables a live filter",
			cfg:  config(schema.Prune{}, bot(func(a *schema.Agent) { a.Spec.KrispViva = &schema.KrispViva{} })),
			live: liveOf(liveAgent("bot", func() schema.Spec {
				s := fullLive("acme/bot:1.0")
				s.KrispViva = &schema.KrispViva{AudioFilter: sp("tel")}
				return s
			}())),
			want: []brief{{"bot", "update", "", []FieldChange{{"krispViva.audioFilter", "tel", nil}}}},
		},
		{
			name: "absent maxSessionDurationSeconds is the platform default 7200",
			cfg:  config(schema.Prune{}, bot(func(a *schema.Agent) { a.Spec.MaxSessionDuration = ip(7200) })),
			live: liveOf(liveAgent("bot", fullLive("acme/bot:1.0"))),
			want: []brief{{"bot", "no-op", "", nil}},
		},
		{
			name: "an added image pull secret set shows null before",
			cfg:  config(schema.Prune{}, bot(func(a *schema.Agent) { a.Spec.ImagePullSecretSet = sp("ghcr-pull") })),
			live: liveOf(liveAgent("bot", fullLive("acme/bot:1.0"))),
			want: []brief{{"bot", "update", "", []FieldChange{{"imagePullSecretSet", nil, "ghcr-pull"}}}},
		},
		{
			name: "a region change is a replace listing every differing field",
			cfg: config(schema.Prune{}, bot(func(a *schema.Agent) {
				a.Spec.Region = sp("eu-central")
				a.Spec.Image = sp("acme/bot:2.0")
			})),
			live: liveOf(liveAgent("bot", fullLive("acme/bot:1.0"))),
			want: []brief{{"bot", "replace", "region us-west -> eu-central cannot change in place", []FieldChange{
				{"image", "acme/bot:1.0", "acme/bot:2.0"}, {"region", "us-west", "eu-central"},
			}}},
		},
		{
			name:          "undeclared live agents are unmanaged without prune",
			cfg:           config(schema.Prune{}, bot(nil)),
			live:          liveOf(liveAgent("bot", fullLive("acme/bot:1.0")), liveAgent("zeta", fullLive("x:1")), liveAgent("alpha", fullLive("x:1"))),
			want:          []brief{{"bot", "no-op", "", nil}},
			wantUnmanaged: []string{"alpha", "zeta"},
		},
		{
			name: "prune deletes undeclared agents except ignored globs",
			cfg:  config(schema.Prune{Enabled: true, Ignore: []string{"legacy-*"}}, bot(nil)),
			live: liveOf(liveAgent("bot", fullLive("acme/bot:1.0")), liveAgent("old-bot", fullLive("x:1")), liveAgent("legacy-ivr", fullLive("x:1"))),
			want: []brief{
				{"bot", "no-op", "", nil},
				{"old-bot", "delete", "not in the config and prune is enabled", nil},
			},
			wantUnmanaged: []string{"legacy-ivr"},
		},
		{
			name: "a build agent whose image is redacted is not diffed on the build",
			cfg:  config(schema.Prune{}, schema.Agent{Name: "bot", Spec: schema.Spec{BuildID: sp("123e4567-e89b-12d3-a456-426614174000")}}),
			live: liveOf(liveAgent("bot", fullLive("redacted"))),
			want: []brief{{"bot", "no-op", "", nil}},
		},
		{
			name: "a build agent that runs a plain image is updated to the build",
			cfg:  config(schema.Prune{}, schema.Agent{Name: "bot", Spec: schema.Spec{BuildID: sp("123e4567-e89b-12d3-a456-426614174000")}}),
			live: liveOf(liveAgent("bot", fullLive("acme/bot:1.0"))),
			want: []brief{{"bot", "update", "", []FieldChange{{"buildId", nil, "123e4567-e89b-12d3-a456-426614174000"}}}},
		},
		{
			name: "a build agent moving to an image shows the redacted value before",
			cfg:  config(schema.Prune{}, bot(nil)),
			live: liveOf(liveAgent("bot", fullLive("redacted"))),
			want: []brief{{"bot", "update", "", []FieldChange{{"image", "redacted", "acme/bot:1.0"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Diff(tt.cfg, tt.live, Options{})
			if diff := cmp.Diff(tt.want, briefs(p)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantUnmanaged, p.Unmanaged); diff != "" {
				t.Errorf("unmanaged (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffSummaryAndOrder(t *testing.T) {
	cfg := config(schema.Prune{Enabled: true},
		schema.Agent{Name: "a-new", Spec: schema.Spec{Image: sp("x:1")}},
		schema.Agent{Name: "b-same", Spec: schema.Spec{Image: sp("x:1")}},
		schema.Agent{Name: "c-changed", Spec: schema.Spec{Image: sp("x:2")}},
		schema.Agent{Name: "d-moved", Spec: schema.Spec{Image: sp("x:1"), Region: sp("eu-central")}},
	)
	live := liveOf(liveAgent("b-same", fullLive("x:1")), liveAgent("c-changed", fullLive("x:1")),
		liveAgent("d-moved", fullLive("x:1")), liveAgent("aa-gone", fullLive("x:1")))
	p := Diff(cfg, live, Options{AllowReplace: true})
	want := Summary{Create: 1, Update: 1, Replace: 1, Delete: 1, NoOp: 1}
	if diff := cmp.Diff(want, p.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	var order []string
	for _, c := range p.Changes {
		order = append(order, c.Agent)
	}
	if diff := cmp.Diff([]string{"a-new", "aa-gone", "b-same", "c-changed", "d-moved"}, order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if !p.Summary.HasChanges() {
		t.Error("HasChanges() = false, want true")
	}
	if Diff(config(schema.Prune{}), liveOf(liveAgent("x", fullLive("x:1"))), Options{}).Summary.HasChanges() {
		t.Error("unmanaged agents alone count as changes")
	}
}

func TestPreflight(t *testing.T) {
	pos := func(line, col int) schema.Position { return schema.Position{Line: line, Col: col} }
	agent := func(mod func(*schema.Agent)) schema.Agent {
		a := schema.Agent{Name: "bot", Spec: schema.Spec{Image: sp("x:1")}, Pos: pos(4, 3), FieldPos: map[string]schema.Position{}}
		mod(&a)
		return a
	}
	sets := []cloud.SecretSetSummary{
		{Name: "ok", Type: "secret", Region: "us-west", Status: "ready"},
		{Name: "pull", Type: "imagePullSecret", Region: "us-west", Status: "ready"},
		{Name: "eu", Type: "secret", Region: "eu-central", Status: "ready"},
		{Name: "broken", Type: "secret", Region: "us-west", Status: "failed", ErrorMessage: "quota exceeded"},
		{Name: "slow", Type: "secret", Region: "us-west", Status: "pending"},
	}
	tests := []struct {
		name  string
		agent schema.Agent
		live  func(*Live)
		want  []Finding
	}{
		{
			name: "missing secret set is an error at its value",
			agent: agent(func(a *schema.Agent) {
				a.Spec.SecretSet = sp("nope")
				a.FieldPos["secretSet"] = pos(6, 16)
			}),
			want: []Finding{{Severity: Error, Agent: "bot", Field: "secretSet", Message: `secret set "nope" does not exist`, File: "pipecat.yaml", Line: 6, Col: 16}},
		},
		{
			name:  "image pull set used as secret set is an error",
			agent: agent(func(a *schema.Agent) { a.Spec.SecretSet = sp("pull") }),
			want:  []Finding{{Severity: Error, Agent: "bot", Field: "secretSet", Message: `"pull" is of type imagePullSecret, not secret`, File: "pipecat.yaml", Line: 4, Col: 3}},
		},
		{
			name:  "secret set in another region is an error",
			agent: agent(func(a *schema.Agent) { a.Spec.SecretSet = sp("eu") }),
			want:  []Finding{{Severity: Error, Agent: "bot", Field: "secretSet", Message: `secret set "eu" is in region eu-central but the agent is in us-west; they must be in the same region`, File: "pipecat.yaml", Line: 4, Col: 3}},
		},
		{
			name:  "the live region counts when region is unmanaged",
			agent: agent(func(a *schema.Agent) { a.Spec.SecretSet = sp("eu") }),
			live: func(l *Live) {
				l.Details["bot"] = liveAgent("bot", func() schema.Spec { s := fullLive("x:1"); s.Region = sp("eu-central"); return s }())
			},
			want: nil,
		},
		{
			name:  "the organization's default region counts when region is unmanaged",
			agent: agent(func(a *schema.Agent) { a.Spec.SecretSet = sp("eu") }),
			live:  func(l *Live) { l.DefaultRegion = "eu-central" },
			want:  nil,
		},
		{
			name:  "an unreadable default region is one warning and no region check",
			agent: agent(func(a *schema.Agent) { a.Spec.SecretSet = sp("eu") }),
			live:  func(l *Live) { l.DefaultRegion, l.PropertiesErr = "", errors.New("GET /v1/properties: 500") },
			want:  []Finding{{Severity: Warning, Message: "the organization's default region could not be read, so the region checks of agents without a region are skipped: GET /v1/properties: 500"}},
		},
		{
			name:  "failed secret set is an error with its message",
			agent: agent(func(a *schema.Agent) { a.Spec.SecretSet = sp("broken") }),
			want:  []Finding{{Severity: Error, Agent: "bot", Field: "secretSet", Message: `secret set "broken" failed to provision: quota exceeded`, File: "pipecat.yaml", Line: 4, Col: 3}},
		},
		{
			name:  "pending secret set is a warning",
			agent: agent(func(a *schema.Agent) { a.Spec.SecretSet = sp("slow") }),
			want:  []Finding{{Severity: Warning, Agent: "bot", Field: "secretSet", Message: `secret set "slow" is still provisioning (pending); a deploy that binds it is rejected until it is ready`, File: "pipecat.yaml", Line: 4, Col: 3}},
		},
		{
			name:  "missing image pull secret set is an error",
			agent: agent(func(a *schema.Agent) { a.Spec.ImagePullSecretSet = sp("ok") }),
			want:  []Finding{{Severity: Error, Agent: "bot", Field: "imagePullSecretSet", Message: `"ok" is of type secret, not imagePullSecret`, File: "pipecat.yaml", Line: 4, Col: 3}},
		},
		{
			name:  "unknown region is an error",
			agent: agent(func(a *schema.Agent) { a.Spec.Region = sp("mars-1"); a.FieldPos["region"] = pos(5, 13) }),
			want:  []Finding{{Severity: Error, Agent: "bot", Field: "region", Message: `region "mars-1" is not available (available: eu-central, us-west)`, File: "pipecat.yaml", Line: 5, Col: 13}},
		},
		{
			name:  "unavailable secrets endpoint is one warning and no secret checks",
			agent: agent(func(a *schema.Agent) { a.Spec.SecretSet = sp("nope") }),
			live:  func(l *Live) { l.Secrets, l.SecretsErr = nil, errors.New("GET /v1/secrets: 500") },
			want:  []Finding{{Severity: Warning, Message: "secret sets could not be listed, their checks are skipped: GET /v1/secrets: 500"}},
		},
		{
			name:  "unavailable regions endpoint is one warning and no region check",
			agent: agent(func(a *schema.Agent) { a.Spec.Region = sp("mars-1") }),
			live:  func(l *Live) { l.Regions, l.RegionsErr = nil, errors.New("timeout") },
			want:  []Finding{{Severity: Warning, Message: "regions could not be listed, their checks are skipped: timeout"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := liveOf()
			live.Secrets = sets
			if tt.live != nil {
				tt.live(live)
			}
			p := Diff(config(schema.Prune{}, tt.agent), live, Options{})
			if diff := cmp.Diff(tt.want, p.Findings); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildAgentWarning(t *testing.T) {
	id := "123e4567-e89b-12d3-a456-426614174000"
	p := Diff(config(schema.Prune{}, schema.Agent{Name: "bot", Spec: schema.Spec{BuildID: &id}}), liveOf(), Options{})
	if len(p.Findings) != 1 || p.Findings[0].Severity != Warning || p.Findings[0].Field != "buildId" {
		t.Fatalf("findings = %+v, want one buildId warning", p.Findings)
	}
}

// TestDiffProperty checks, for random desired/live pairs, that applying the
// plan's field changes to the live spec yields the desired value of every
// managed field, and that the plan is a no-op exactly when nothing differs.
func TestDiffProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(vals ...string) *string { return sp(vals[r.IntN(len(vals))]) }
	maybe := func() bool { return r.IntN(2) == 0 }
	randSpec := func(full bool) schema.Spec {
		s := schema.Spec{}
		if full || maybe() {
			s.Image = pick("a:1", "a:2", "b:1")
		}
		if full || maybe() {
			s.Region = pick("us-west", "eu-central")
		}
		if full || maybe() {
			s.NodeType = sp("arm")
		}
		if full || maybe() {
			s.AgentProfile = pick("agent-1x", "agent-2x", "agent-3x")
		}
		if full || maybe() {
			s.ImagePullSecretSet = pick("p1", "p2")
		}
		if full || maybe() {
			s.SecretSet = pick("s1", "s2")
		}
		if full || maybe() {
			s.AutoScaling = &schema.AutoScaling{}
			if full || maybe() {
				s.AutoScaling.MinAgents = ip(r.IntN(3))
			}
			if full || maybe() {
				s.AutoScaling.MaxAgents = ip(3 + r.IntN(3))
			}
		}
		if full || maybe() {
			s.KrispViva = &schema.KrispViva{}
			if maybe() {
				s.KrispViva.AudioFilter = pick("tel", "pro")
			}
		}
		if full || maybe() {
			s.EnableKrisp = bp(maybe())
		}
		if full || maybe() {
			s.MaxSessionDuration = ip(60 * (1 + r.IntN(3)))
		}
		return s
	}
	for i := range 2000 {
		desired, liveSpec := randSpec(false), randSpec(true)
		d := liveAgent("bot", liveSpec)
		p := Diff(config(schema.Prune{}, schema.Agent{Name: "bot", Spec: desired}), liveOf(d), Options{})
		c := p.Changes[0]
		after := applyFields(t, LiveSpec(d), c.Fields)
		for _, f := range desired.Fields() {
			if got, _ := after.Get(f.Path); !cmp.Equal(f.Value, got) {
				t.Fatalf("case %d: %s after applying the plan = %v, want %v\ndesired %+v\nfields %+v", i, f.Path, got, f.Value, desired, c.Fields)
			}
		}
		if (c.Action == NoOp) != (len(c.Fields) == 0) {
			t.Fatalf("case %d: action %s with %d field changes", i, c.Action, len(c.Fields))
		}
	}
}

// applyFields sets every change's After value on a copy of s: what the
// live agent looks like once the plan's field changes are made.
func applyFields(t *testing.T, s schema.Spec, changes []FieldChange) schema.Spec {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var tree map[string]any
	if err := json.Unmarshal(b, &tree); err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		parent, child, nested := strings.Cut(c.Path, ".")
		if !nested {
			tree[c.Path] = c.After
			continue
		}
		m, _ := tree[parent].(map[string]any)
		if m == nil {
			m = map[string]any{}
			tree[parent] = m
		}
		m[child] = c.After
	}
	if b, err = json.Marshal(tree); err != nil {
		t.Fatal(err)
	}
	var out schema.Spec
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDiffDecisions pins the decisions the plan owns: they show in the plan
// (an action, a reason, an error finding), never only in apply.
func TestDiffDecisions(t *testing.T) {
	const build = "123e4567-e89b-12d3-a456-426614174000"
	const replaceMsg = "replace needs --allow-replace (or the agent in replace.allowed): region us-west -> eu-central cannot change in place; replacing deletes the agent and creates it again, ending its running sessions"
	moved := func(protect bool) schema.Agent {
		return schema.Agent{Name: "moved", Spec: schema.Spec{Image: sp("x:1"), Region: sp("eu-central")}, Protect: protect,
			Pos: schema.Position{Line: 7, Col: 3}, FieldPos: map[string]schema.Position{"region": {Line: 9, Col: 13}, "protect": {Line: 10, Col: 14}}}
	}
	built := schema.Agent{Name: "built", Spec: schema.Spec{BuildID: sp(build)}, Pos: schema.Position{Line: 3, Col: 3}}
	live := liveOf(liveAgent("moved", fullLive("x:1")), liveAgent("built", fullLive("redacted")),
		liveAgent("old-1", fullLive("x:1")), liveAgent("old-2", fullLive("x:1")))
	replace := brief{"moved", "replace", "region us-west -> eu-central cannot change in place", []FieldChange{{"region", "us-west", "eu-central"}}}
	noop := brief{"built", "no-op", "", nil}
	refused := Finding{Severity: Error, Kind: KindRefusal, Agent: "moved", Field: "region", File: "pipecat.yaml", Line: 9, Col: 13, Message: replaceMsg}
	tests := []struct {
		name     string
		cfg      *schema.Config
		opts     Options
		want     []brief
		findings []Finding
		target   *Target
	}{
		{
			name:     "replace refused without allow-replace, as an error at the region",
			cfg:      config(schema.Prune{}, built, moved(false)),
			want:     []brief{noop, replace},
			findings: []Finding{refused},
		},
		{
			name: "replace allowed by the flag",
			cfg:  config(schema.Prune{}, built, moved(false)),
			opts: Options{AllowReplace: true},
			want: []brief{noop, replace},
		},
		{
			name: "replace allowed by replace.allowed in the config",
			cfg: func() *schema.Config {
				c := config(schema.Prune{}, built, moved(false))
				c.Replace.Allowed = []string{"mov*"}
				return c
			}(),
			want: []brief{noop, replace},
		},
		{
			name: "a protected agent is never replaced, even with allow-replace",
			cfg:  config(schema.Prune{}, built, moved(true)),
			opts: Options{AllowReplace: true},
			want: []brief{noop, replace},
			findings: []Finding{{Severity: Error, Kind: KindRefusal, Agent: "moved", Field: "protect", File: "pipecat.yaml", Line: 10, Col: 14,
				Message: "agent is protected (protect: true) and this plan replaces it: region us-west -> eu-central cannot change in place; remove protect in a reviewed change first"}},
		},
		{
			name: "redeploy builds turns an unchanged build agent into an update with its reason",
			cfg:  config(schema.Prune{}, built, moved(false)),
			opts: Options{AllowReplace: true, RedeployBuilds: true},
			want: []brief{{"built", "update", "redeploy build", nil}, replace},
		},
		{
			name: "prune.maxDeletes refuses a plan deleting more",
			cfg:  config(schema.Prune{Enabled: true, MaxDeletes: ip(1)}, built),
			want: []brief{noop, {"moved", "delete", ReasonPrune, nil}, {"old-1", "delete", ReasonPrune, nil}, {"old-2", "delete", ReasonPrune, nil}},
			findings: []Finding{{Severity: Error, Kind: KindRefusal, Field: "prune.maxDeletes", File: "pipecat.yaml",
				Message: "this plan deletes 3 agents, more than prune.maxDeletes (1); if that is intended, raise the limit in a reviewed change"}},
		},
		{
			name: "prune.maxDeletes allows as many",
			cfg:  config(schema.Prune{Enabled: true, MaxDeletes: ip(3)}, built),
			want: []brief{noop, {"moved", "delete", ReasonPrune, nil}, {"old-1", "delete", ReasonPrune, nil}, {"old-2", "delete", ReasonPrune, nil}},
		},
		{
			name:   "targets limit the plan and prune to the matching agents",
			cfg:    config(schema.Prune{Enabled: true}, built, moved(false)),
			opts:   Options{Targets: []string{"built", "old-1"}},
			want:   []brief{noop, {"old-1", "delete", ReasonPrune, nil}},
			target: &Target{Agents: 2, Of: 4},
		},
		{
			name:     "a target that matches nothing is an error",
			cfg:      config(schema.Prune{}, built),
			opts:     Options{Targets: []string{"buit"}},
			findings: []Finding{{Severity: Error, Kind: KindTarget, Message: `--target "buit" matches no agent in the config or the organization; did you mean "built"?`}},
			target:   &Target{Agents: 0, Of: 4},
		},
		{
			name:     "a mistyped glob gets the glob that matches",
			cfg:      config(schema.Prune{}, built),
			opts:     Options{Targets: []string{"olf-*"}},
			findings: []Finding{{Severity: Error, Kind: KindTarget, Message: `--target "olf-*" matches no agent in the config or the organization; did you mean "old-*"?`}},
			target:   &Target{Agents: 0, Of: 4},
		},
		{
			name:     "a target near nothing gets no suggestion",
			cfg:      config(schema.Prune{}, built),
			opts:     Options{Targets: []string{"zzzzzzzz-*"}},
			findings: []Finding{{Severity: Error, Kind: KindTarget, Message: `--target "zzzzzzzz-*" matches no agent in the config or the organization`}},
			target:   &Target{Agents: 0, Of: 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Diff(tt.cfg, live, tt.opts)
			if diff := cmp.Diff(tt.want, briefs(p)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			var errs []Finding
			for _, f := range p.Findings {
				if f.Severity == Error {
					errs = append(errs, f)
				}
			}
			if diff := cmp.Diff(tt.findings, errs); diff != "" {
				t.Errorf("error findings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.opts.recorded(), p.Options); diff != "" {
				t.Errorf("recorded options (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.target, p.Target); diff != "" {
				t.Errorf("target (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHealth: an agent that is not ready, or whose revision failed, is a
// health warning with the reason and since when; a ready one is not.
func TestHealth(t *testing.T) {
	crash := liveAgent("crashy", fullLive("x:1"))
	crash.Ready = false
	crash.CurrentRevision = &cloud.RevisionInfo{Phase: "Failed", PhaseStartedAt: "2026-11-30T08:00:00Z",
		Health: &cloud.RevisionHealth{Reason: "CrashLoopBackOff", RestartCount: 7}}
	rolling := liveAgent("rolling", fullLive("x:1"))
	rolling.Ready = false
	rolling.CurrentRevision = &cloud.RevisionInfo{Phase: "Creating", PhaseStartedAt: "2026-11-30T09:00:00Z"}
	infra := liveAgent("infra", fullLive("x:1"))
	infra.CurrentRevision = &cloud.RevisionInfo{Phase: "Active", HasInfrastructureIssue: true}
	erring := liveAgent("erring", fullLive("x:1"))
	erring.Errors = []cloud.AgentError{{Code: "QUOTA", Message: "over quota"}, {Error: "no message, an error"}}
	agent := func(name string, line int) schema.Agent {
		return schema.Agent{Name: name, Spec: schema.Spec{Image: sp("x:1")}, Pos: schema.Position{Line: line, Col: 3}}
	}
	p := Diff(config(schema.Prune{}, agent("crashy", 3), agent("erring", 4), agent("fine", 5), agent("infra", 7), agent("rolling", 9)),
		liveOf(crash, erring, liveAgent("fine", fullLive("x:1")), infra, rolling), Options{})
	var got []Finding
	for _, f := range p.Findings {
		if f.Kind == KindHealth {
			got = append(got, f)
		}
	}
	want := []Finding{
		{Severity: Warning, Kind: KindHealth, Agent: "crashy", Field: "health", File: "pipecat.yaml", Line: 3, Col: 3,
			Message: "current revision failed: CrashLoopBackOff (7 restarts), since 2026-11-30T08:00:00Z"},
		{Severity: Warning, Kind: KindHealth, Agent: "erring", Field: "health", File: "pipecat.yaml", Line: 4, Col: 3,
			Message: "ready; platform errors: QUOTA: over quota; no message, an error"},
		{Severity: Warning, Kind: KindHealth, Agent: "infra", Field: "health", File: "pipecat.yaml", Line: 7, Col: 3,
			Message: "current revision has an infrastructure issue"},
		{Severity: Warning, Kind: KindHealth, Agent: "rolling", Field: "health", File: "pipecat.yaml", Line: 9, Col: 3,
			Message: "not ready (revision Creating), since 2026-11-30T09:00:00Z"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("health findings (-want +got):\n%s", diff)
	}
	if p.Summary.Unhealthy != 4 || p.Summary.HasChanges() {
		t.Errorf("summary %+v: want 4 unhealthy and no changes", p.Summary)
	}
}
