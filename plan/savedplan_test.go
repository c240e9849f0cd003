package plan

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// savedFixture is a plan holding every kind of change, the live state it
// was made against and the options to check it with: create, update,
// replace, delete, redeploy of a build, restart for a secret set; secret
// set update of values, create, delete.
func savedFixture(t *testing.T) (*Plan, *Live, Options) {
	t.Helper()
	const build = "123e4567-e89b-12d3-a456-426614174000"
	restart := appSet(func(s *schema.SecretSet) { s.Spec.RestartOnChange = true })
	cfg := setsConfig(schema.Prune{Enabled: true, SecretSets: true}, restart, pullSet())
	cfg.Agents = []schema.Agent{
		{Name: "built", Spec: schema.Spec{BuildID: sp(build)}},
		{Name: "moved", Spec: schema.Spec{Image: sp("x:1"), Region: sp("eu-central")}},
		{Name: "new", Spec: schema.Spec{Image: sp("x:1"), AutoScaling: &schema.AutoScaling{MaxAgents: ip(4)}}},
		{Name: "restarted", Spec: schema.Spec{Image: sp("x:1"), SecretSet: sp("app-secrets")}},
		{Name: "upd", Spec: schema.Spec{Image: sp("x:2")}},
	}
	restartedLive := fullLive("x:1")
	restartedLive.SecretSet = sp("app-secrets")
	live := liveOf(liveAgent("built", fullLive("redacted")), liveAgent("moved", fullLive("x:1")),
		liveAgent("restarted", restartedLive), liveAgent("upd", fullLive("x:1")), liveAgent("gone", fullLive("x:1")))
	for _, d := range live.Details {
		d.DesiredDeploymentID = "dep-" + d.Name
	}
	live = liveSets(live, written(restart, withValues(map[string]string{"OPENAI_KEY": "sk-old"}), testKey),
		liveSet{name: "old-set", region: "us-west", keys: []string{"X"}})
	o := Options{AllowReplace: true, RedeployBuilds: true, SecretValue: lookupIn(values), FingerprintKey: testKey}
	p := Diff(cfg, live, o)
	if p.HasErrors() {
		t.Fatalf("fixture plan has errors: %+v", p.Findings)
	}
	var kinds []string
	for _, c := range p.Changes {
		kinds = append(kinds, c.Agent+" "+describe(c))
	}
	for _, c := range p.SecretSets {
		kinds = append(kinds, "set "+c.Name+" "+c.Action.String())
	}
	want := []string{
		"built update (redeploy build)", "gone delete (not in the config and prune is enabled)", "moved replace (region us-west -> eu-central cannot change in place)",
		"new create", "restarted update (secret set app-secrets values changed)", "upd update",
		"set app-secrets update", "set ghcr-pull create", "set old-set delete",
	}
	if !slices.Equal(kinds, want) {
		t.Fatalf("fixture plan holds %q, want %q", kinds, want)
	}
	return p, live, o
}

// liveReader answers Refresh from a Live, as the API holding that state
// would.
type liveReader struct{ l *Live }

func notFound(path string) error {
	return &cloud.Error{Method: "GET", Path: path, Status: http.StatusNotFound, Message: "Not found"}
}

func (r liveReader) ListAgents(context.Context) ([]cloud.ServiceListItem, error) {
	return r.l.Agents, nil
}
func (r liveReader) GetAgent(_ context.Context, name string) (*cloud.ServiceDetails, error) {
	if d := r.l.Details[name]; d != nil {
		return d, nil
	}
	return nil, notFound("/v1/agents/" + name)
}
func (r liveReader) ListSecretSets(context.Context) ([]cloud.SecretSetSummary, error) {
	return r.l.Secrets, nil
}
func (r liveReader) GetSecretSet(_ context.Context, name string) (*cloud.SecretSetDetails, error) {
	if d := r.l.SecretKeys[name]; d != nil {
		return d, nil
	}
	return nil, notFound("/v1/secrets/" + name)
}
func (r liveReader) ListRegions(context.Context) ([]cloud.Region, error) { return r.l.Regions, nil }
func (r liveReader) GetProperties(context.Context) (*cloud.OrganizationProperties, error) {
	return &cloud.OrganizationProperties{DefaultRegion: r.l.DefaultRegion}, nil
}

// check is what apply PLANFILE does with a saved plan before sending
// anything: read the file (show does this much), then Recheck it against
// the live state. The plan is sealed first with the key, as plan would
// have sealed it: what is checked is what Decode and Recheck make of its
// contents (TestSavedPlanMAC checks the seal).
func check(p *Plan, live *Live, o Options) error {
	p.MAC = planMAC(o.FingerprintKey, p)
	return checkFile(p, live, o)
}

// checkFile is check of the file as it is.
func checkFile(p *Plan, live *Live, o Options) error {
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	saved, err := Decode(data)
	if err != nil {
		return err
	}
	return Recheck(context.Background(), saved, liveReader{live}, o)
}

// TestSavedPlanEditsRefused edits a saved plan as a person could by hand,
// each time so that the summary still matches, and checks that every
// edit is refused before anything is sent: show renders the file and
// apply acts on it, so no part of it may say something the rest does not.
func TestSavedPlanEditsRefused(t *testing.T) {
	change := func(p *Plan, agent string) *Change {
		i := slices.IndexFunc(p.Changes, func(c Change) bool { return c.Agent == agent })
		return &p.Changes[i]
	}
	set := func(p *Plan, name string) *SecretSetChange {
		i := slices.IndexFunc(p.SecretSets, func(c SecretSetChange) bool { return c.Name == name })
		return &p.SecretSets[i]
	}
	tests := []struct {
		name string
		edit func(p *Plan)
		want string
	}{
		{"desired image of an update, the reviewed field left alone", func(p *Plan) {
			change(p, "upd").Desired.Image = sp("evil/x:1")
		}, "changes[5] (upd): fields do not match desired (hand-edited?)"},
		{"desired of a create, its fields left alone", func(p *Plan) {
			change(p, "new").Desired.AutoScaling.MaxAgents = ip(40)
		}, "changes[3] (new): fields do not match desired (hand-edited?)"},
		{"a field of a create dropped", func(p *Plan) {
			c := change(p, "new")
			c.Fields = c.Fields[:1]
		}, "changes[3] (new): fields do not match desired (hand-edited?)"},
		{"the fields of a create reordered", func(p *Plan) {
			c := change(p, "new")
			c.Fields[0], c.Fields[1] = c.Fields[1], c.Fields[0]
		}, "changes[3] (new): fields do not match desired (hand-edited?)"},
		{"a field of a path the desired spec leaves unmanaged", func(p *Plan) {
			c := change(p, "upd")
			c.Fields = append(c.Fields, FieldChange{Path: "nodeType", Before: "arm", After: "arm"})
		}, "changes[5] (upd): fields do not match desired (hand-edited?)"},
		{"the same field twice", func(p *Plan) {
			c := change(p, "upd")
			c.Fields = append(c.Fields, c.Fields[0])
		}, "changes[5] (upd): fields do not match desired (hand-edited?)"},
		{"a field on a delete", func(p *Plan) {
			change(p, "gone").Fields = []FieldChange{{Path: "image", Before: "x:1"}}
		}, "changes[1] (gone): fields do not match desired (hand-edited?)"},
		{"a field on a reason-only update", func(p *Plan) {
			change(p, "built").Fields = []FieldChange{{Path: "buildId", After: "123e4567-e89b-12d3-a456-426614174000"}}
		}, `changes[0] (built): reason "redeploy build" does not match the update (hand-edited?)`},
		{"a redeploy without the decision", func(p *Plan) {
			p.Options.RedeployBuilds = false
		}, `changes[0] (built): reason "redeploy build" does not match the update (hand-edited?)`},
		{"the reason of a delete", func(p *Plan) {
			change(p, "gone").Reason = "cleanup"
		}, `changes[1] (gone): reason "cleanup" does not match the delete (hand-edited?)`},
		{"a deployment on a change that is not a deployment", func(p *Plan) {
			change(p, "upd").Deployment = "dep-upd"
		}, "changes[5] (upd): deployment on a change that is not an update of no readable field (hand-edited?)"},
		{"the before of an update, after and desired agreeing", func(p *Plan) {
			change(p, "upd").Fields[0].Before = "x:0"
		}, "changes[5] (upd): fields do not match the desired spec against the live agent (hand-edited?)"},
		{"a field the live agent already has, added to a replace", func(p *Plan) {
			c := change(p, "moved")
			c.Fields = append(c.Fields, FieldChange{Path: "image", Before: "x:0", After: "x:1"})
		}, "changes[2] (moved): fields do not match the desired spec against the live agent (hand-edited?)"},
		{"an update made a no-op", func(p *Plan) {
			c := change(p, "upd")
			c.Action, c.Fields = NoOp, nil
		}, "changes[5] (upd): no-op is not what the desired spec, the live agent and the plan's options give: update (hand-edited?)"},
		{"a replace made an update", func(p *Plan) {
			c := change(p, "moved")
			c.Action, c.Reason = Update, ""
		}, "changes[2] (moved): update is not what the desired spec, the live agent and the plan's options give: replace (region us-west -> eu-central cannot change in place) (hand-edited?)"},
		{"the reason of a replace", func(p *Plan) {
			change(p, "moved").Reason = "region us-west -> eu-central, harmless"
		}, "changes[2] (moved): replace (region us-west -> eu-central, harmless) is not what"},
		{"a restart without its set", func(p *Plan) {
			change(p, "restarted").RestartFor = ""
		}, `changes[4] (restarted): restart_for "" is not what the plan's secret sets and the live agent give ("app-secrets")`},
		{"the deployment dropped from the fingerprint of a redeploy", func(p *Plan) {
			c := change(p, "built")
			c.Deployment, c.Fingerprint = "", Fingerprint(c.Desired, liveAgent("built", fullLive("redacted")))
		}, "plan is stale: built changed since the plan was made; run plan again"},
		{"the region of a secret set", func(p *Plan) {
			set(p, "ghcr-pull").Region = "eu-central"
		}, `secret_sets[1] (ghcr-pull): region "eu-central" is not the desired set's (hand-edited?)`},
		{"the keys of a secret set create", func(p *Plan) {
			c := set(p, "app-secrets")
			c.Action, c.KeysAdded, c.Values = Create, []string{"OPENAI_API_KEY"}, ""
			c.Fingerprint = "absent"
		}, "secret_sets[0] (app-secrets): keys do not match desired (hand-edited?)"},
		{"a key removed that the desired set keeps", func(p *Plan) {
			set(p, "app-secrets").KeysRemoved = []string{"DAILY_API_KEY"}
		}, "secret_sets[0] (app-secrets): keys do not match desired (hand-edited?)"},
		{"the values check of a write dropped", func(p *Plan) {
			set(p, "app-secrets").ValuesCheck = ""
		}, "secret_sets[0] (app-secrets): values_check missing (hand-edited?)"},
		{"the values of an update said unchanged", func(p *Plan) {
			set(p, "app-secrets").Values = ValuesUnchanged
		}, "secret_sets[0] (app-secrets): values is not what the desired set and the live set give (hand-edited?)"},
		{"the type of a set delete", func(p *Plan) {
			c := set(p, "old-set")
			c.Type = schema.SecretTypeImagePullSecret
		}, "secret_sets[2] (old-set): type is not what the desired set and the live set give (hand-edited?)"},
		{"a set left alone said to be written", func(p *Plan) {
			c := set(p, "app-secrets")
			c.Reason = "values unknown: no fingerprint of this API key in the set; apply writes them and records one"
		}, "secret_sets[0] (app-secrets): reason is not what"},
		{"a target that does not cover the changes", func(p *Plan) {
			p.Options.Targets, p.Target = []string{"upd"}, &Target{Agents: 1, Of: 6}
		}, "changes[0] (built): not matched by options.targets (hand-edited?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, live, o := savedFixture(t)
			tt.edit(p)
			p.Summarize()
			err := check(p, live, o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("edited plan: error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	t.Run("the plan as made passes", func(t *testing.T) {
		p, live, o := savedFixture(t)
		if err := check(p, live, o); err != nil {
			t.Errorf("unedited plan refused: %v", err)
		}
	})
}

// TestAppliedPlanIsStale applies every change of the fixture plan to its
// live state, as the API would (a new deployment for every agent sent;
// the sets written), and checks that the same plan is then stale for
// every change it held, those that change no readable field included.
func TestAppliedPlanIsStale(t *testing.T) {
	p, live, o := savedFixture(t)
	after := liveOf()
	for _, c := range p.Changes {
		if c.Action == Delete {
			continue
		}
		var s schema.Spec
		if was := live.Details[c.Agent]; was != nil {
			s = LiveSpec(was)
		}
		d := liveAgent(c.Agent, applyFields(t, s, c.Fields))
		d.DesiredDeploymentID = "dep-" + c.Agent + "-2"
		after.Agents = append(after.Agents, cloud.ServiceListItem{Name: c.Agent, Region: d.Region})
		after.Details[c.Agent] = d
	}
	restart := appSet(func(s *schema.SecretSet) { s.Spec.RestartOnChange = true })
	after = liveSets(after, written(restart, values, testKey), liveSet{name: "ghcr-pull", region: "us-west", pull: true})
	var stale *StaleError
	if err := CheckStale(p, after, o); !errors.As(err, &stale) {
		t.Fatalf("CheckStale after apply = %v, want *StaleError", err)
	}
	want := "plan is stale: built, gone, moved, new, restarted, upd, secret set app-secrets, secret set ghcr-pull, secret set old-set changed since the plan was made; run plan again"
	if got := stale.Error(); got != want {
		t.Errorf("after apply:\n got %s\nwant %s", got, want)
	}
}

// TestDeploymentOnlyFingerprint checks which changes bind the agent's
// deployment: those whose only effect is a new deployment. A redeploy of
// the same spec by someone else leaves the others fresh.
func TestDeploymentOnlyFingerprint(t *testing.T) {
	p, live, o := savedFixture(t)
	redeployed := liveOf()
	for name, d := range live.Details {
		c := *d
		c.DesiredDeploymentID = "dep-someone-else"
		redeployed.Agents = append(redeployed.Agents, cloud.ServiceListItem{Name: name, Region: c.Region})
		redeployed.Details[name] = &c
	}
	redeployed.Secrets, redeployed.SecretKeys = live.Secrets, live.SecretKeys
	var stale *StaleError
	if err := CheckStale(p, redeployed, o); !errors.As(err, &stale) {
		t.Fatalf("CheckStale = %v, want *StaleError", err)
	}
	if want := []string{"built", "restarted"}; !slices.Equal(stale.Agents, want) {
		t.Errorf("stale after a redeploy of the same specs: %q, want only the deployment-only updates %q", stale.Agents, want)
	}
	var recorded []string
	for _, c := range p.Changes {
		if c.Deployment != "" {
			recorded = append(recorded, c.Agent+"@"+c.Deployment)
		}
	}
	if want := []string{"built@dep-built", "restarted@dep-restarted"}; !slices.Equal(recorded, want) {
		t.Errorf("deployments recorded: %q, want %q", recorded, want)
	}
}

// TestSetFingerprintFailed: a failed set's resend depends on its failure,
// so the failure is fingerprinted; pending and ready are not, and a set
// that never failed keeps the fingerprint it always had.
func TestSetFingerprintFailed(t *testing.T) {
	d := &cloud.SecretSetDetails{Secrets: []cloud.SecretKey{{FieldName: "A"}}}
	sum := func(status, msg string) *cloud.SecretSetSummary {
		return &cloud.SecretSetSummary{Name: "s", Type: "secret", Region: "us-west", Status: status, ErrorMessage: msg}
	}
	ready := SetFingerprint(sum("ready", ""), d)
	// The encoding before failures counted, which plans saved then hold.
	before, _ := json.Marshal(struct {
		Type, Region string
		Keys         []string
	}{"secret", "us-west", []string{"A"}})
	if want := fmt.Sprintf("sha256:%x", sha256.Sum256(before)); ready != want {
		t.Errorf("fingerprint of a set that did not fail: %s, want the one it always had, %s", ready, want)
	}
	if got := SetFingerprint(sum("pending", ""), d); got != ready {
		t.Error("pending and ready differ: a set still provisioning would make plans stale")
	}
	failed := SetFingerprint(sum("failed", "Secret set provisioning failed."), d)
	if failed == ready {
		t.Error("failed and ready are equal: the resend of a failed set could be applied twice")
	}
	if SetFingerprint(sum("failed", "another message"), d) == failed {
		t.Error("the failure's message is not covered, but the plan's reason shows it")
	}
}

// TestSavedPlanMAC: a saved plan is refused unless it is the file plan
// wrote with the same API key, even when an edit keeps every part of it
// in agreement (what no other check can tell from a plan made for
// another config).
func TestSavedPlanMAC(t *testing.T) {
	const refused = "invalid plan: it is not the file plan wrote with this API key (hand-edited, or made with another API key or an older pipecat-gitops); run plan again"
	upd := func(p *Plan) *Change {
		return &p.Changes[slices.IndexFunc(p.Changes, func(c Change) bool { return c.Agent == "upd" })]
	}
	tests := []struct {
		name string
		edit func(p *Plan, o *Options)
		want string // "" for none
	}{
		{"as written", func(*Plan, *Options) {}, ""},
		{"desired and the field change edited together", func(p *Plan, _ *Options) {
			c := upd(p)
			c.Desired.Image, c.Fields[0].After = sp("evil/x:1"), "evil/x:1"
		}, refused},
		{"a finding removed", func(p *Plan, _ *Options) {
			p.Findings = nil
			p.Summarize()
		}, refused},
		{"applied with another API key", func(_ *Plan, o *Options) { o.FingerprintKey = "pk_another_key_0123456789" }, refused},
		{"no mac", func(p *Plan, _ *Options) { p.MAC = "" }, refused},
		{"no key to check it with", func(_ *Plan, o *Options) { o.FingerprintKey = "" }, errNoPlanKey.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, live, o := savedFixture(t)
			p.MAC = planMAC(o.FingerprintKey, p)
			tt.edit(p, &o)
			err := checkFile(p, live, o)
			if got := fmt.Sprint(err); tt.want == "" && err != nil || tt.want != "" && got != tt.want {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

// diffOrg is a config of n agents and the live state it is planned
// against, every other agent's image changed: the plan of the benchmarks
// of Diff and of saved plans.
func diffOrg(n int) (*schema.Config, *Live) {
	cfg := &schema.Config{File: "pipecat.yaml"}
	live := &Live{Details: map[string]*cloud.ServiceDetails{}}
	for i := range n {
		name := fmt.Sprintf("agent-%04d", i)
		want, have := "acme/x:1", "acme/x:1"
		if i%2 == 0 {
			have = "acme/x:0"
		}
		cfg.Agents = append(cfg.Agents, schema.Agent{Name: name, Spec: schema.Spec{Image: &want}})
		live.Agents = append(live.Agents, cloud.ServiceListItem{Name: name})
		live.Details[name] = liveAgent(name, schema.Spec{Image: &have, Region: sp("us-west")})
	}
	return cfg, live
}

// BenchmarkSavedPlanChecks measures what a saved plan of 3,000 agents,
// half of them updated, costs beyond reading the live state: the MAC
// (written by Make, checked by Recheck), Decode's bindings and
// checkDerived.
func BenchmarkSavedPlanChecks(b *testing.B) {
	cfg, live := diffOrg(3000)
	o := Options{FingerprintKey: testKey}
	p := Diff(cfg, live, o)
	p.MAC = planMAC(testKey, p)
	data, err := json.Marshal(p)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("mac", func(b *testing.B) {
		for b.Loop() {
			planMAC(testKey, p)
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			if _, err := Decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("derive", func(b *testing.B) {
		for b.Loop() {
			if err := checkDerived(p, live, o); err != nil {
				b.Fatal(err)
			}
		}
	})
}
