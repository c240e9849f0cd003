package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

const testKey = "pk_test_fingerprint_key_0123"

// appSet is a declared set of type secret with two keys.
func appSet(mod func(*schema.SecretSet)) schema.SecretSet {
	s := schema.SecretSet{Name: "app-secrets", Pos: schema.Position{Line: 10, Col: 3},
		Spec: schema.SecretSetSpec{Region: "us-west", Secrets: map[string]schema.SecretSource{
			"OPENAI_API_KEY": {FromEnv: "OPENAI_KEY"}, "DAILY_API_KEY": {FromEnv: "DAILY_KEY"}}},
		FieldPos: map[string]schema.Position{"region": {Line: 11, Col: 13}, "secrets.OPENAI_API_KEY.fromEnv": {Line: 13, Col: 33},
			"secrets.DAILY_API_KEY.fromEnv": {Line: 14, Col: 32}}}
	if mod != nil {
		mod(&s)
	}
	return s
}

func pullSet() schema.SecretSet {
	return schema.SecretSet{Name: "ghcr-pull", Pos: schema.Position{Line: 20, Col: 3},
		Spec: schema.SecretSetSpec{Region: "us-west", ImagePull: &schema.ImagePull{Host: "https://ghcr.io", FromEnv: "GHCR_TOKEN"}}}
}

// values is the environment of the tests: distinctive values that must
// never appear in a plan.
var values = map[string]string{
	"OPENAI_KEY": "sk-SECRETVALUE-openai-4f1c9a",
	"DAILY_KEY":  "sk-SECRETVALUE-daily-77e2b0",
	"GHCR_TOKEN": "sk-SECRETVALUE-ghcr-1b3d5f",
}

func lookupIn(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// withValues returns a copy of values with changes applied ("" deletes).
func withValues(changes map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range values {
		out[k] = v
	}
	for k, v := range changes {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// liveSets adds live secret sets to l: sets of type secret with their key
// names, image pull sets with none.
func liveSets(l *Live, sets ...liveSet) *Live {
	l.Secrets, l.SecretKeys = nil, map[string]*cloud.SecretSetDetails{}
	for _, s := range sets {
		typ := cloud.SecretTypeSecret
		if s.pull {
			typ = cloud.SecretTypeImagePullSecret
		}
		status := s.status
		if status == "" {
			status = cloud.SecretStatusReady
		}
		l.Secrets = append(l.Secrets, cloud.SecretSetSummary{Name: s.name, Type: typ, Region: s.region, Status: status, ErrorMessage: s.msg})
		if !s.pull {
			d := &cloud.SecretSetDetails{Region: s.region, Status: status, Secrets: []cloud.SecretKey{}}
			for _, k := range s.keys {
				d.Secrets = append(d.Secrets, cloud.SecretKey{FieldName: k})
			}
			l.SecretKeys[s.name] = d
		}
	}
	return l
}

type liveSet struct {
	name, region string
	keys         []string
	pull         bool
	status, msg  string
}

// written is the live state of appSet as an apply with env (and key)
// leaves it: its keys and the marker of its values.
func written(set schema.SecretSet, env map[string]string, key string) liveSet {
	v, _ := SecretValues(&set.Spec, lookupIn(env))
	return liveSet{name: set.Name, region: set.Spec.Region, keys: append(set.Spec.Keys(), Marker(key, set.Name, &set.Spec, v))}
}

// setBrief is what a secret set diff test asserts.
type setBrief struct {
	Name, Action, Reason      string
	KeysAdded, KeysRemoved    []string
	Values                    string
	HasValuesCheck, HasDesire bool
}

func setBriefs(p *Plan) []setBrief {
	var out []setBrief
	for _, c := range p.SecretSets {
		out = append(out, setBrief{c.Name, c.Action.String(), c.Reason, c.KeysAdded, c.KeysRemoved, c.Values, c.ValuesCheck != "", c.Desired != nil})
	}
	return out
}

type findingBrief struct {
	Severity, Kind, Field, Message string
	Line, Col                      int
}

func findingBriefs(p *Plan) []findingBrief {
	var out []findingBrief
	for _, f := range p.Findings {
		out = append(out, findingBrief{f.Severity.String(), f.Kind, f.Field, f.Message, f.Line, f.Col})
	}
	return out
}

func setsConfig(prune schema.Prune, sets ...schema.SecretSet) *schema.Config {
	c := config(prune)
	c.SecretSets = sets
	return c
}

func TestDiffSecretSets(t *testing.T) {
	opts := Options{SecretValue: lookupIn(values), FingerprintKey: testKey}
	both := []string{"DAILY_API_KEY", "OPENAI_API_KEY"}
	tests := []struct {
		name         string
		cfg          *schema.Config
		live         *Live
		o            Options
		want         []setBrief
		wantFindings []findingBrief
	}{
		{
			name: "an absent set is created with every key",
			cfg:  setsConfig(schema.Prune{}, appSet(nil)),
			live: liveSets(liveOf()),
			want: []setBrief{{"app-secrets", "create", "", both, nil, "", true, true}},
		},
		{
			name: "the same values and keys are a no-op",
			cfg:  setsConfig(schema.Prune{}, appSet(nil)),
			live: liveSets(liveOf(), written(appSet(nil), values, testKey)),
			want: []setBrief{{"app-secrets", "no-op", "", nil, nil, ValuesUnchanged, true, true}},
		},
		{
			name: "a changed value is an update that says so",
			cfg:  setsConfig(schema.Prune{}, appSet(nil)),
			live: liveSets(liveOf(), written(appSet(nil), withValues(map[string]string{"DAILY_KEY": "sk-old"}), testKey)),
			want: []setBrief{{"app-secrets", "update", "", nil, nil, ValuesChanged, true, true}},
		},
		{
			name: "keys added and removed by name, the marker never among them",
			cfg: setsConfig(schema.Prune{}, appSet(func(s *schema.SecretSet) {
				s.Spec.Secrets["NEW_KEY"] = schema.SecretSource{FromEnv: "DAILY_KEY"}
			})),
			live: liveSets(liveOf(), func() liveSet {
				l := written(appSet(nil), values, testKey)
				l.keys = append(l.keys, "OLD_KEY")
				return l
			}()),
			want: []setBrief{{"app-secrets", "update", "", []string{"NEW_KEY"}, []string{"OLD_KEY"}, ValuesChanged, true, true}},
		},
		{
			name: "a set without a fingerprint (made by hand) is written, values unknown",
			cfg:  setsConfig(schema.Prune{}, appSet(nil)),
			live: liveSets(liveOf(), liveSet{name: "app-secrets", region: "us-west", keys: both}),
			want: []setBrief{{"app-secrets", "update", reasonValuesUnknown, nil, nil, ValuesUnknown, true, true}},
		},
		{
			name: "a fingerprint made with another API key (a rotation) is unknown, not changed",
			cfg:  setsConfig(schema.Prune{}, appSet(nil)),
			live: liveSets(liveOf(), written(appSet(nil), values, "pk_the_old_key_0000000000")),
			want: []setBrief{{"app-secrets", "update", reasonValuesUnknown, nil, nil, ValuesUnknown, true, true}},
		},
		{
			name: "two fingerprints (a key left by an interrupted apply) are unknown",
			cfg:  setsConfig(schema.Prune{}, appSet(nil)),
			live: liveSets(liveOf(), func() liveSet {
				l := written(appSet(nil), values, testKey)
				l.keys = append(l.keys, written(appSet(nil), withValues(map[string]string{"DAILY_KEY": "x"}), testKey).keys[2])
				return l
			}()),
			want: []setBrief{{"app-secrets", "update", reasonValuesUnknown, nil, nil, ValuesUnknown, true, true}},
		},
		{
			name: "a region change is a replace, refused without allow-replace",
			cfg:  setsConfig(schema.Prune{}, appSet(func(s *schema.SecretSet) { s.Spec.Region = "eu-central" })),
			live: liveSets(liveOf(), written(appSet(nil), values, testKey)),
			want: []setBrief{{"app-secrets", "replace", "region us-west -> eu-central cannot change in place", both, nil, "", true, true}},
			wantFindings: []findingBrief{{"error", KindRefusal, "secretSets.app-secrets.region",
				"replace needs --allow-replace (or the set in replace.allowed): region us-west -> eu-central cannot change in place; replacing deletes the set and its values and creates it again", 11, 13}},
		},
		{
			name: "a region change allowed by --allow-replace",
			cfg:  setsConfig(schema.Prune{}, appSet(func(s *schema.SecretSet) { s.Spec.Region = "eu-central" })),
			live: liveSets(liveOf(), written(appSet(nil), values, testKey)),
			o:    Options{AllowReplace: true},
			want: []setBrief{{"app-secrets", "replace", "region us-west -> eu-central cannot change in place", both, nil, "", true, true}},
		},
		{
			name: "a region change allowed by replace.allowed",
			cfg: func() *schema.Config {
				c := setsConfig(schema.Prune{}, appSet(func(s *schema.SecretSet) { s.Spec.Region = "eu-central" }))
				c.Replace.Allowed = []string{"app-*"}
				return c
			}(),
			live: liveSets(liveOf(), written(appSet(nil), values, testKey)),
			want: []setBrief{{"app-secrets", "replace", "region us-west -> eu-central cannot change in place", both, nil, "", true, true}},
		},
		{
			name: "a type change is a replace",
			cfg:  setsConfig(schema.Prune{}, appSet(nil)),
			live: liveSets(liveOf(), liveSet{name: "app-secrets", region: "us-west", pull: true}),
			o:    Options{AllowReplace: true},
			want: []setBrief{{"app-secrets", "replace", "type imagePullSecret -> secret cannot change in place", both, nil, "", true, true}},
		},
		{
			name: "an image pull set is left alone: its values cannot be read",
			cfg:  setsConfig(schema.Prune{}, pullSet()),
			live: liveSets(liveOf(), liveSet{name: "ghcr-pull", region: "us-west", pull: true}),
			want: []setBrief{{"ghcr-pull", "no-op", "", nil, nil, ValuesUnknown, false, true}},
		},
		{
			name: "--update-image-pull-secrets sends its credentials again",
			cfg:  setsConfig(schema.Prune{}, pullSet()),
			live: liveSets(liveOf(), liveSet{name: "ghcr-pull", region: "us-west", pull: true}),
			o:    Options{UpdateImagePullSecrets: true},
			want: []setBrief{{"ghcr-pull", "update", ReasonUpdateImagePull, nil, nil, ValuesUnknown, true, true}},
		},
		{
			name: "a set that failed to provision is sent again",
			cfg:  setsConfig(schema.Prune{}, appSet(nil)),
			live: liveSets(liveOf(), func() liveSet {
				l := written(appSet(nil), values, testKey)
				l.status, l.msg = cloud.SecretStatusFailed, "quota exceeded"
				return l
			}()),
			want: []setBrief{{"app-secrets", "update", "provisioning failed: quota exceeded; apply sends the set again", nil, nil, ValuesUnchanged, true, true}},
		},
		{
			name: "an unset variable is an error at its fromEnv, naming it and no value",
			cfg:  setsConfig(schema.Prune{}, appSet(nil)),
			live: liveSets(liveOf(), written(appSet(nil), values, testKey)),
			o:    Options{SecretValue: lookupIn(withValues(map[string]string{"DAILY_KEY": ""}))},
			want: []setBrief{{"app-secrets", "update", reasonValuesUnknown, nil, nil, ValuesUnknown, false, true}},
			wantFindings: []findingBrief{{"error", "", "secretSets.app-secrets.secrets.DAILY_API_KEY.fromEnv",
				"environment variable DAILY_KEY is not set or empty: it holds a value of this secret set (in GitHub Actions, map the repository secret into the step's env:)", 14, 32}},
		},
		{
			name: "an empty variable (a secret GitHub does not give a fork) is unset",
			cfg:  setsConfig(schema.Prune{}, pullSet()),
			live: liveSets(liveOf()),
			o:    Options{SecretValue: lookupIn(map[string]string{"GHCR_TOKEN": ""})},
			want: []setBrief{{"ghcr-pull", "create", "", nil, nil, "", false, true}},
			wantFindings: []findingBrief{{"error", "", "secretSets.ghcr-pull.imagePull.fromEnv",
				"environment variable GHCR_TOKEN is not set or empty: it holds a value of this secret set (in GitHub Actions, map the repository secret into the step's env:)", 20, 3}},
		},
		{
			name: "the API key as a value is refused",
			cfg:  setsConfig(schema.Prune{}, appSet(nil)),
			live: liveSets(liveOf()),
			o:    Options{SecretValue: lookupIn(withValues(map[string]string{"OPENAI_KEY": testKey}))},
			want: []setBrief{{"app-secrets", "create", "", both, nil, "", true, true}},
			wantFindings: []findingBrief{{"error", "", "secretSets.app-secrets.secrets.OPENAI_API_KEY.fromEnv",
				"the value of OPENAI_KEY is the Pipecat API key (PIPECAT_API_KEY); a secret set must not carry it to every agent", 13, 33}},
		},
		{
			name:         "an unknown region is an error at the set's region",
			cfg:          setsConfig(schema.Prune{}, appSet(func(s *schema.SecretSet) { s.Spec.Region = "mars-1" })),
			live:         liveSets(liveOf()),
			want:         []setBrief{{"app-secrets", "create", "", both, nil, "", true, true}},
			wantFindings: []findingBrief{{"error", "", "secretSets.app-secrets.region", `region "mars-1" is not available (available: eu-central, us-west)`, 11, 13}},
		},
		{
			name: "undeclared live sets are unmanaged without prune.secretSets, even with prune.enabled",
			cfg:  setsConfig(schema.Prune{Enabled: true}),
			live: liveSets(liveOf(), liveSet{name: "hand-made", region: "us-west", keys: []string{"K"}}),
		},
		{
			name: "prune.secretSets deletes an undeclared set no agent uses",
			cfg:  setsConfig(schema.Prune{SecretSets: true}),
			live: liveSets(liveOf(), liveSet{name: "hand-made", region: "us-west", keys: []string{"K"}}),
			want: []setBrief{{"hand-made", "delete", ReasonPruneSecretSet, nil, nil, "", false, false}},
		},
		{
			name: "prune.secretSets refuses to delete a set a live agent uses",
			cfg:  setsConfig(schema.Prune{SecretSets: true}),
			live: liveSets(liveOf(liveAgent("legacy", fullLive("acme/l:1"))), liveSet{name: "bot-secrets", region: "us-west", keys: []string{"K"}}),
			want: []setBrief{{"bot-secrets", "delete", ReasonPruneSecretSet, nil, nil, "", false, false}},
			wantFindings: []findingBrief{{"error", KindRefusal, "prune.secretSets",
				"secret set bot-secrets is not in the config, but agent legacy still uses it: prune would break it; declare the set or stop using it first", 0, 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			if o.SecretValue == nil {
				o.SecretValue = opts.SecretValue
			}
			o.FingerprintKey = testKey
			p := Diff(tt.cfg, tt.live, o)
			if diff := cmp.Diff(tt.want, setBriefs(p)); diff != "" {
				t.Errorf("secret sets (-want +got):\n%s", diff)
			}
			var got []findingBrief
			for _, f := range findingBriefs(p) {
				if strings.HasPrefix(f.Field, "secretSets.") || strings.HasPrefix(f.Field, "prune.") {
					got = append(got, f)
				}
			}
			if diff := cmp.Diff(tt.wantFindings, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			assertNoSecret(t, p)
		})
	}
}

// assertNoSecret fails when the plan's JSON holds a test value, a
// marker, or the digest of one.
func assertNoSecret(t *testing.T, p *Plan) {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, v := range values {
		if strings.Contains(doc, v) {
			t.Errorf("the plan holds the value %q:\n%s", v, doc)
		}
	}
	if strings.Contains(doc, MarkerPrefix) {
		t.Errorf("the plan holds a fingerprint key:\n%s", doc)
	}
	spec := appSet(nil).Spec
	v, _ := SecretValues(&spec, lookupIn(values))
	digest := strings.TrimPrefix(Marker(testKey, "app-secrets", &spec, v), MarkerPrefix)
	if strings.Contains(doc, digest[9:]) || strings.Contains(doc, digest[:8]) {
		t.Errorf("the plan holds the fingerprint digest or key id:\n%s", doc)
	}
}

// TestMarker: the marker fits the API's key limits, tells the API key
// apart, and changes with any value, key, or the set's name.
func TestMarker(t *testing.T) {
	spec := appSet(nil).Spec
	v, _ := SecretValues(&spec, lookupIn(values))
	m := Marker(testKey, "app-secrets", &spec, v)
	if len(m) > 64 || strings.Trim(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
		t.Errorf("marker %q is not a valid API key name (64 characters of [A-Za-z0-9_-])", m)
	}
	if !IsMarker(m) || !strings.HasPrefix(m, schema.ReservedKeyPrefix) {
		t.Errorf("marker %q does not start with the reserved prefix", m)
	}
	if m != Marker(testKey, "app-secrets", &spec, v) {
		t.Error("the marker is not deterministic")
	}
	other := spec
	other.Secrets = map[string]schema.SecretSource{"OPENAI_API_KEY": {FromEnv: "OPENAI_KEY"}, "DAILY": {FromEnv: "DAILY_KEY"}}
	changed := map[string]string{
		"another value":   Marker(testKey, "app-secrets", &spec, withValues(map[string]string{"DAILY_KEY": "sk-other"})),
		"another key":     Marker(testKey, "app-secrets", &other, v),
		"another set":     Marker(testKey, "app-secrets-2", &spec, v),
		"another API key": Marker("pk_other", "app-secrets", &spec, v),
	}
	for what, got := range changed {
		if got == m {
			t.Errorf("%s gives the same marker", what)
		}
	}
	if keyID(testKey) == keyID("pk_other") {
		t.Error("two API keys share a key id")
	}
}

func TestRestartOnChange(t *testing.T) {
	restart := appSet(func(s *schema.SecretSet) { s.Spec.RestartOnChange = true })
	old := written(restart, withValues(map[string]string{"OPENAI_KEY": "sk-old"}), testKey)
	same := written(restart, values, testKey)
	agent := func(name string, set *string) schema.Agent {
		return schema.Agent{Name: name, Spec: schema.Spec{Image: sp("acme/bot:1.0"), SecretSet: set}}
	}
	liveBot := func(name string) *cloud.ServiceDetails {
		s := fullLive("acme/bot:1.0")
		s.SecretSet = sp("app-secrets")
		return liveAgent(name, s)
	}
	type got struct{ Agent, Action, Reason, RestartFor string }
	tests := []struct {
		name string
		set  schema.SecretSet
		live liveSet
		want []got
	}{
		{"changed values restart every agent using the set", restart, old, []got{
			{"declared", "update", "secret set app-secrets values changed", "app-secrets"},
			{"other", "no-op", "", ""},
			{"unmanaged-field", "update", "secret set app-secrets values changed", "app-secrets"},
		}},
		{"unchanged values restart nothing", restart, same, []got{
			{"declared", "no-op", "", ""}, {"other", "no-op", "", ""}, {"unmanaged-field", "no-op", "", ""},
		}},
		{"without restartOnChange nothing restarts", appSet(nil), old, []got{
			{"declared", "no-op", "", ""}, {"other", "no-op", "", ""}, {"unmanaged-field", "no-op", "", ""},
		}},
		{"unknown values restart nothing", restart, liveSet{name: "app-secrets", region: "us-west", keys: []string{"DAILY_API_KEY", "OPENAI_API_KEY"}}, []got{
			{"declared", "no-op", "", ""}, {"other", "no-op", "", ""}, {"unmanaged-field", "no-op", "", ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := setsConfig(schema.Prune{}, tt.set)
			cfg.Agents = []schema.Agent{agent("declared", sp("app-secrets")), agent("other", sp("bot-secrets")), agent("unmanaged-field", nil)}
			otherLive := fullLive("acme/bot:1.0")
			live := liveSets(liveOf(liveBot("declared"), liveAgent("other", otherLive), liveBot("unmanaged-field")), tt.live)
			live.Secrets = append(live.Secrets, cloud.SecretSetSummary{Name: "bot-secrets", Type: "secret", Region: "us-west", Status: "ready"})
			p := Diff(cfg, live, Options{SecretValue: lookupIn(values), FingerprintKey: testKey})
			var out []got
			for _, c := range p.Changes {
				out = append(out, got{c.Agent, c.Action.String(), c.Reason, c.RestartFor})
			}
			if diff := cmp.Diff(tt.want, out); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestPreflightDeclaredSets: an agent may reference a set the same file
// declares (apply makes it first), but not with the wrong type or in
// another region.
func TestPreflightDeclaredSets(t *testing.T) {
	tests := []struct {
		name  string
		agent schema.Spec
		want  []findingBrief
	}{
		{"a declared set that does not exist yet is no error", schema.Spec{Image: sp("a/b:1"), Region: sp("us-west"), SecretSet: sp("app-secrets"), ImagePullSecretSet: sp("ghcr-pull")}, nil},
		{"a declared set of the wrong type", schema.Spec{Image: sp("a/b:1"), SecretSet: sp("ghcr-pull"), ImagePullSecretSet: sp("app-secrets")}, []findingBrief{
			{"error", "", "secretSet", `"ghcr-pull" is declared under secretSets with type imagePullSecret, not secret`, 3, 3},
			{"error", "", "imagePullSecretSet", `"app-secrets" is declared under secretSets with type secret, not imagePullSecret`, 3, 3},
		}},
		{"a declared set in another region", schema.Spec{Image: sp("a/b:1"), Region: sp("eu-central"), SecretSet: sp("app-secrets")}, []findingBrief{
			{"error", "", "secretSet", `secret set "app-secrets" is declared in region us-west but the agent is in eu-central; they must be in the same region`, 3, 3},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := setsConfig(schema.Prune{}, appSet(nil), pullSet())
			cfg.Agents = []schema.Agent{{Name: "bot", Spec: tt.agent, Pos: schema.Position{Line: 3, Col: 3}}}
			p := Diff(cfg, liveSets(liveOf()), Options{SecretValue: lookupIn(values), FingerprintKey: testKey})
			if diff := cmp.Diff(tt.want, findingBriefs(p)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTargetedPlanSecretSets: a targeted plan covers the sets its agents
// use, and prunes none.
func TestTargetedPlanSecretSets(t *testing.T) {
	cfg := setsConfig(schema.Prune{SecretSets: true}, appSet(nil), pullSet())
	cfg.Agents = []schema.Agent{{Name: "bot", Spec: schema.Spec{Image: sp("a/b:1"), SecretSet: sp("app-secrets")}}}
	live := liveSets(liveOf(), liveSet{name: "hand-made", region: "us-west"})
	p := Diff(cfg, live, Options{Targets: []string{"bot"}, SecretValue: lookupIn(values), FingerprintKey: testKey})
	var names []string
	for _, c := range p.SecretSets {
		names = append(names, c.Name+" "+c.Action.String())
	}
	if diff := cmp.Diff([]string{"app-secrets create"}, names); diff != "" {
		t.Errorf("sets of a targeted plan (-want +got):\n%s", diff)
	}
}

func TestCheckStaleSecretSets(t *testing.T) {
	cfg := setsConfig(schema.Prune{}, appSet(nil))
	live := liveSets(liveOf(), written(appSet(nil), withValues(map[string]string{"OPENAI_KEY": "sk-old"}), testKey))
	o := Options{SecretValue: lookupIn(values), FingerprintKey: testKey}
	p := Diff(cfg, live, o)
	if err := CheckStale(p, live, o); err != nil {
		t.Fatalf("a fresh plan is stale: %v", err)
	}
	tests := []struct {
		name    string
		live    *Live
		env     map[string]string
		want    *StaleError
		wantErr string
	}{
		{name: "another value in the environment", live: live, env: withValues(map[string]string{"DAILY_KEY": "sk-rotated"}),
			want: &StaleError{Values: []string{"app-secrets"}}},
		{name: "a key added behind the plan's back",
			live: liveSets(liveOf(), func() liveSet {
				l := written(appSet(nil), withValues(map[string]string{"OPENAI_KEY": "sk-old"}), testKey)
				l.keys = append(l.keys, "EXTRA")
				return l
			}()), env: values, want: &StaleError{SecretSets: []string{"app-secrets"}}},
		{name: "the values written by another apply meanwhile", live: liveSets(liveOf(), written(appSet(nil), values, testKey)), env: values,
			want: &StaleError{SecretSets: []string{"app-secrets"}}},
		{name: "a variable no longer set", live: live, env: withValues(map[string]string{"OPENAI_KEY": ""}),
			wantErr: "secret set app-secrets: environment variable OPENAI_KEY is not set or empty; apply needs the values the plan was made with"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckStale(p, tt.live, Options{SecretValue: lookupIn(tt.env), FingerprintKey: testKey})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("CheckStale = %v, want %s", err, tt.wantErr)
				}
				return
			}
			var stale *StaleError
			if !errors.As(err, &stale) {
				t.Fatalf("CheckStale = %v, want *StaleError", err)
			}
			if diff := cmp.Diff(tt.want, stale); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, v := range tt.env {
				if strings.Contains(err.Error(), v) {
					t.Errorf("the error quotes a value: %v", err)
				}
			}
		})
	}
	msg := (&StaleError{Agents: []string{"bot"}, SecretSets: []string{"a-set"}, Values: []string{"b-set"}}).Error()
	want := "plan is stale: bot, secret set a-set changed since the plan was made; the environment holds other values for secret set b-set than the plan was made with; run plan again"
	if msg != want {
		t.Errorf("message:\n got %s\nwant %s", msg, want)
	}
}

// TestDecodeSecretSets: a plan with secret sets reads back as written, and
// a hand-edited one cannot send the API key into a set.
func TestDecodeSecretSets(t *testing.T) {
	cfg := setsConfig(schema.Prune{}, appSet(func(s *schema.SecretSet) { s.Spec.RestartOnChange = true }), pullSet())
	cfg.Agents = []schema.Agent{{Name: "bot", Spec: schema.Spec{Image: sp("a/b:1.0"), SecretSet: sp("app-secrets")}}}
	liveBot := fullLive("a/b:1.0")
	liveBot.SecretSet = sp("app-secrets")
	live := liveSets(liveOf(liveAgent("bot", liveBot)), written(appSet(nil), withValues(map[string]string{"OPENAI_KEY": "sk-old"}), testKey))
	p := Diff(cfg, live, Options{SecretValue: lookupIn(values), FingerprintKey: testKey})
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(p); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if p.Changes[0].RestartFor != "app-secrets" {
		t.Fatalf("the plan does not restart bot: %+v", p.Changes[0])
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"fromEnv the API key", `"fromEnv":"OPENAI_KEY"`, `"fromEnv":"PIPECAT_API_KEY"`,
			"secret_sets[0] (app-secrets): desired: secrets.OPENAI_API_KEY.fromEnv: PIPECAT_API_KEY holds a credential"},
		{"restart for a set the plan lacks", `"restart_for":"app-secrets"`, `"restart_for":"nope"`,
			"changes[0] (bot): restart_for names no secret set of the plan"},
		{"a bad values check", `"values_check":"hmac-sha256:`, `"values_check":"md5:`, "secret_sets[0] (app-secrets): invalid values_check"},
		{"a type that is not the desired set's", `"type":"secret"`, `"type":"imagePullSecret"`, `secret_sets[0] (app-secrets): type "imagePullSecret" is not the desired set's (secret)`},
		{"an unknown values judgement", `"values":"changed"`, `"values":"same"`, `secret_sets[0] (app-secrets): invalid values "same"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(buf.String(), tt.old, tt.new, 1)
			if doc == buf.String() {
				t.Fatalf("%s not in the plan", tt.old)
			}
			_, err := Decode([]byte(doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode = %v, want %q", err, tt.want)
			}
		})
	}
}

// setsReader serves Refresh from fixed secret sets.
type setsReader struct {
	fakeReader
	sets    []cloud.SecretSetSummary
	details map[string]*cloud.SecretSetDetails
	listErr error
	gets    []string
}

func (r *setsReader) ListSecretSets(context.Context) ([]cloud.SecretSetSummary, error) {
	return r.sets, r.listErr
}

func (r *setsReader) GetSecretSet(_ context.Context, name string) (*cloud.SecretSetDetails, error) {
	r.mu.Lock()
	r.gets = append(r.gets, name)
	r.mu.Unlock()
	if d, ok := r.details[name]; ok {
		return d, nil
	}
	return nil, &cloud.Error{Method: "GET", Path: "/v1/secrets/" + name, Status: 404, Message: "Set not found"}
}

func TestRefreshSecretSets(t *testing.T) {
	sets := []cloud.SecretSetSummary{
		{Name: "app-secrets", Type: "secret", Region: "us-west", Status: "ready"},
		{Name: "gone-secrets", Type: "secret", Region: "us-west", Status: "ready"},
		{Name: "ghcr-pull", Type: "imagePullSecret", Region: "us-west", Status: "ready"},
		{Name: "other", Type: "secret", Region: "us-west", Status: "ready"},
	}
	details := map[string]*cloud.SecretSetDetails{"app-secrets": {Secrets: []cloud.SecretKey{{FieldName: "K"}}}, "other": {}}
	r := &setsReader{sets: sets, details: details}
	live, err := Refresh(context.Background(), r, RefreshOptions{SecretSets: []string{"app-secrets", "gone-secrets", "ghcr-pull"}})
	if err != nil {
		t.Fatal(err)
	}
	// Image pull sets cannot be read (400); a set deleted after the list
	// is absent; undeclared sets are not read.
	if diff := cmp.Diff([]string{"app-secrets", "gone-secrets"}, sortedCopy(r.gets)); diff != "" {
		t.Errorf("reads (-want +got):\n%s", diff)
	}
	var names []string
	for _, s := range live.Secrets {
		names = append(names, s.Name)
	}
	if diff := cmp.Diff([]string{"app-secrets", "ghcr-pull", "other"}, names); diff != "" {
		t.Errorf("live sets (-want +got):\n%s", diff)
	}
	if live.SecretKeys["app-secrets"] != details["app-secrets"] {
		t.Error("the keys of app-secrets were not kept")
	}

	// The list is needed once sets are declared: its failure is an error,
	// not a warning that skips checks.
	r = &setsReader{listErr: errors.New("secrets down")}
	if _, err := Refresh(context.Background(), r, RefreshOptions{SecretSets: []string{"app-secrets"}}); err == nil || !strings.Contains(err.Error(), "list secret sets: secrets down") {
		t.Errorf("Refresh = %v, want the list's error", err)
	}
	live, err = Refresh(context.Background(), r, RefreshOptions{Preflight: true})
	if err != nil || live.SecretsErr == nil {
		t.Errorf("preflight only: Refresh = %v, SecretsErr = %v; want a recorded error", err, live.SecretsErr)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestMakeNeedsAFingerprintKey: without a key every set would read
// "unknown"; Make refuses instead.
func TestMakeNeedsAFingerprintKey(t *testing.T) {
	_, err := Make(context.Background(), setsConfig(schema.Prune{}, appSet(nil)), &setsReader{}, Options{})
	if !errors.Is(err, errNoFingerprintKey) {
		t.Errorf("Make = %v, want errNoFingerprintKey", err)
	}
}
