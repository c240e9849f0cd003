package apply_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

const fpKey = "pk_apply_test_key_0123456789"

func lookupIn(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// secretsConfig declares app-secrets (restartOnChange) with the given
// keys (KEY -> variable), ghcr-pull, and bot using both.
func secretsConfig(keys map[string]string) *schema.Config {
	secrets := map[string]schema.SecretSource{}
	for k, env := range keys {
		secrets[k] = schema.SecretSource{FromEnv: env}
	}
	return &schema.Config{File: "pipecat.yaml",
		Agents: []schema.Agent{{Name: "bot", Spec: schema.Spec{Image: sp("acme/bot:1.0"), Region: sp("us-west"),
			SecretSet: sp("app-secrets"), ImagePullSecretSet: sp("ghcr-pull")}}},
		SecretSets: []schema.SecretSet{
			{Name: "app-secrets", Spec: schema.SecretSetSpec{Region: "us-west", RestartOnChange: true, Secrets: secrets}},
			{Name: "ghcr-pull", Spec: schema.SecretSetSpec{Region: "us-west", ImagePull: &schema.ImagePull{Host: "https://ghcr.io", FromEnv: "GHCR_TOKEN"}}},
		},
	}
}

// setsAPI is the cloud client whose ListSecretSets moves the sandbox's
// clock, so that a set written pending becomes ready after a round or
// two of polling, and whose PutSecretSet may mark a set failed.
type setsAPI struct {
	*cloud.Client
	sb      *sandbox.Server
	advance func(time.Duration)
	failSet string
}

func (a *setsAPI) ListSecretSets(ctx context.Context) ([]cloud.SecretSetSummary, error) {
	sets, err := a.Client.ListSecretSets(ctx)
	a.advance(40 * time.Minute)
	return sets, err
}

func (a *setsAPI) PutSecretSet(ctx context.Context, name string, req *cloud.SecretSetRequest) (*cloud.SecretSetAccepted, error) {
	out, err := a.Client.PutSecretSet(ctx, name, req)
	if err == nil && name == a.failSet {
		a.sb.Mutate(func(st *sandbox.State) error {
			st.SecretSets[name].Status, st.SecretSets[name].ReadyAt = cloud.SecretStatusFailed, nil
			st.SecretSets[name].ErrorMessage = "Secret set provisioning failed. Please retry or contact support."
			return nil
		})
	}
	return out, err
}

type setOutcome struct{ Name, Action, Outcome, Code string }

func setOutcomes(r *apply.Result) []setOutcome {
	var out []setOutcome
	for _, s := range r.SecretSets {
		out = append(out, setOutcome{s.Name, s.Action.String(), s.Outcome.String(), s.ErrorCode})
	}
	return out
}

// TestSecretSetLifecycle applies a config with secret sets through the
// sandbox, which keeps the values it was sent: create, a value change
// (with the agent restarted), a key removed, and a plan that is empty
// after each apply. Sets become ready an hour after each write, so an
// agent deployed before its set is ready would be refused (409).
func TestSecretSetLifecycle(t *testing.T) {
	now, advance := manualClock()
	e := newEnv(t, sandbox.Options{ReadyDelay: time.Hour, Now: now, SecretSets: []sandbox.SecretSetSeed{}})
	api := &setsAPI{Client: e.client, sb: e.sb, advance: advance}
	env := map[string]string{"OPENAI_KEY": "sk-SECRETVALUE-openai-4f1c", "DAILY_KEY": "sk-SECRETVALUE-daily-9b2e", "GHCR_TOKEN": "sk-SECRETVALUE-ghcr-7d1a"}
	keys := map[string]string{"OPENAI_API_KEY": "OPENAI_KEY", "DAILY_API_KEY": "DAILY_KEY"}
	opts := func() plan.Options {
		return plan.Options{SecretValue: lookupIn(env), FingerprintKey: fpKey}
	}
	applyOpts := func() apply.Options {
		return apply.Options{PollInterval: time.Millisecond, WaitTimeout: time.Minute, SecretValue: lookupIn(env), FingerprintKey: fpKey}
	}
	values := func() map[string]string {
		out := map[string]string{}
		for _, k := range []string{"OPENAI_API_KEY", "DAILY_API_KEY"} {
			if v, ok := e.sb.SecretValue("app-secrets", k); ok {
				out[k] = v
			}
		}
		return out
	}
	markers := func() []string {
		var out []string
		e.sb.Mutate(func(st *sandbox.State) error {
			for _, k := range st.SecretSets["app-secrets"].Keys {
				if plan.IsMarker(k) {
					out = append(out, k)
				}
			}
			return nil
		})
		return out
	}
	emptyAfter := func(t *testing.T, cfg *schema.Config) {
		t.Helper()
		p := e.planWith(t, cfg, opts())
		if p.Summary.HasChanges() {
			t.Errorf("the plan after apply has changes: %+v %+v", p.Changes, p.SecretSets)
		}
		for _, c := range p.SecretSets {
			if c.Type == schema.SecretTypeSecret && c.Values != plan.ValuesUnchanged {
				t.Errorf("after apply, %s values are %s, want unchanged", c.Name, c.Values)
			}
		}
	}

	t.Run("create the sets, then the agent", func(t *testing.T) {
		cfg := secretsConfig(keys)
		p := e.planWith(t, cfg, opts())
		res := run(t, context.Background(), api, p, applyOpts())
		want := []setOutcome{{"app-secrets", "create", "succeeded", ""}, {"ghcr-pull", "create", "succeeded", ""}}
		if diff := cmp.Diff(want, setOutcomes(res)); diff != "" {
			t.Errorf("sets (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]outcome{{"bot", "create", "succeeded", "", ""}}, outcomes(res)); diff != "" {
			t.Errorf("agents (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]string{"OPENAI_API_KEY": env["OPENAI_KEY"], "DAILY_API_KEY": env["DAILY_KEY"]}, values()); diff != "" {
			t.Errorf("stored values (-want +got):\n%s", diff)
		}
		if host, v, ok := e.sb.ImagePullSecret("ghcr-pull"); !ok || host != "https://ghcr.io/" || v != env["GHCR_TOKEN"] {
			t.Errorf("image pull secret = %q, %q, %v", host, v, ok)
		}
		if m := markers(); len(m) != 1 {
			t.Errorf("fingerprint keys %v, want one", m)
		}
		emptyAfter(t, cfg)
	})

	t.Run("a changed value is written and the agent redeployed", func(t *testing.T) {
		env["OPENAI_KEY"] = "sk-SECRETVALUE-openai-rotated-88aa"
		cfg := secretsConfig(keys)
		before := markers()
		p := e.planWith(t, cfg, opts())
		if got := p.SecretSets[0]; got.Action != plan.Update || got.Values != plan.ValuesChanged {
			t.Fatalf("plan of app-secrets: %s, values %s", got.Action, got.Values)
		}
		if c := p.Changes[0]; c.Action != plan.Update || c.RestartFor != "app-secrets" {
			t.Fatalf("plan of bot: %s restart for %q", c.Action, c.RestartFor)
		}
		deployment := deploymentOf(t, e, "bot")
		res := run(t, context.Background(), api, p, applyOpts())
		if res.Failed() != 0 {
			t.Fatalf("failures: %+v %+v", res.Results, res.SecretSets)
		}
		if got := values()["OPENAI_API_KEY"]; got != env["OPENAI_KEY"] {
			t.Errorf("stored OPENAI_API_KEY is not the new value")
		}
		after := markers()
		if len(after) != 1 || after[0] == before[0] {
			t.Errorf("fingerprint keys %v after %v: want one new", after, before)
		}
		if got := deploymentOf(t, e, "bot"); got == deployment || res.Results[0].DeploymentID != got {
			t.Errorf("bot's deployment %s after %s (result: %s): a restart is a new deployment", got, deployment, res.Results[0].DeploymentID)
		}
		emptyAfter(t, cfg)
	})

	t.Run("a removed key is deleted", func(t *testing.T) {
		delete(keys, "DAILY_API_KEY")
		cfg := secretsConfig(keys)
		p := e.planWith(t, cfg, opts())
		if diff := cmp.Diff([]string{"DAILY_API_KEY"}, p.SecretSets[0].KeysRemoved); diff != "" {
			t.Fatalf("keys removed (-want +got):\n%s", diff)
		}
		res := run(t, context.Background(), api, p, applyOpts())
		if res.Failed() != 0 {
			t.Fatalf("failures: %+v %+v", res.Results, res.SecretSets)
		}
		if diff := cmp.Diff(map[string]string{"OPENAI_API_KEY": env["OPENAI_KEY"]}, values()); diff != "" {
			t.Errorf("stored values (-want +got):\n%s", diff)
		}
		if m := markers(); len(m) != 1 {
			t.Errorf("fingerprint keys %v, want one", m)
		}
		emptyAfter(t, cfg)
	})

	t.Run("only the keys the plan removes are deleted; one that appeared since is left", func(t *testing.T) {
		keys["DAILY_API_KEY"] = "DAILY_KEY"
		cfg := secretsConfig(keys)
		run(t, context.Background(), api, e.planWith(t, cfg, opts()), applyOpts())
		delete(keys, "DAILY_API_KEY")
		cfg = secretsConfig(keys)
		p := e.planWith(t, cfg, opts())
		if diff := cmp.Diff([]string{"DAILY_API_KEY"}, p.SecretSets[0].KeysRemoved); diff != "" {
			t.Fatalf("keys removed (-want +got):\n%s", diff)
		}
		// Someone adds a key after the plan was made.
		if _, err := e.client.PutSecretSet(context.Background(), "app-secrets", &cloud.SecretSetRequest{
			Secrets: []cloud.SecretKeyValue{{SecretKey: "LATE_KEY", SecretValue: "late"}}}); err != nil {
			t.Fatal(err)
		}
		res := run(t, context.Background(), api, p, applyOpts())
		if res.Failed() != 0 {
			t.Fatalf("failures: %+v %+v", res.Results, res.SecretSets)
		}
		if got, want := res.SecretSets[0].Note, "left key LATE_KEY, which appeared after the plan: run plan"; got != want {
			t.Errorf("note = %q, want %q", got, want)
		}
		if diff := cmp.Diff(map[string]string{"OPENAI_API_KEY": env["OPENAI_KEY"]}, values()); diff != "" {
			t.Errorf("stored values (-want +got):\n%s", diff)
		}
		if _, ok := e.sb.SecretValue("app-secrets", "LATE_KEY"); !ok {
			t.Error("LATE_KEY was deleted: the plan did not list it")
		}
		if p := e.planWith(t, cfg, opts()); !slices.Equal(p.SecretSets[0].KeysRemoved, []string{"LATE_KEY"}) {
			t.Errorf("the next plan removes %v, want [LATE_KEY]", p.SecretSets[0].KeysRemoved)
		}
	})
}

// deploymentOf is the agent's latest deployment in the sandbox.
func deploymentOf(t *testing.T, e *env, name string) string {
	t.Helper()
	id := ""
	e.sb.Mutate(func(st *sandbox.State) error {
		if a := st.Agents[name]; a != nil {
			id = a.Deployment.ID
		}
		return nil
	})
	return id
}

// TestAgentWaitsForItsSecretSet: a set that fails to provision fails the
// agents that need it, which are never sent; other agents go on.
func TestAgentWaitsForItsSecretSet(t *testing.T) {
	now, advance := manualClock()
	e := newEnv(t, sandbox.Options{ReadyDelay: time.Hour, Now: now})
	api := &setsAPI{Client: e.client, sb: e.sb, advance: advance, failSet: "app-secrets"}
	env := map[string]string{"K": "sk-SECRETVALUE-k", "GHCR_TOKEN": "sk-SECRETVALUE-ghcr"}
	cfg := secretsConfig(map[string]string{"KEY": "K"})
	cfg.Agents = append(cfg.Agents, agents("free-bot")...)
	p := e.planWith(t, cfg, plan.Options{SecretValue: lookupIn(env), FingerprintKey: fpKey})
	res := run(t, context.Background(), api, p, apply.Options{PollInterval: time.Millisecond, WaitTimeout: time.Minute,
		SecretValue: lookupIn(env), FingerprintKey: fpKey})
	want := []setOutcome{{"app-secrets", "create", "failed", apply.CodeSecretSetFailed}, {"ghcr-pull", "create", "succeeded", ""}}
	if diff := cmp.Diff(want, setOutcomes(res)); diff != "" {
		t.Errorf("sets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]outcome{{"bot", "create", "failed", apply.CodeSecretSetNotReady, ""}, {"free-bot", "create", "succeeded", "", ""}}, outcomes(res)); diff != "" {
		t.Errorf("agents (-want +got):\n%s", diff)
	}
	if msg := res.Results[0].Error; !strings.Contains(msg, "Secret set provisioning failed") || !strings.Contains(msg, "not sent") {
		t.Errorf("bot's error %q does not say why", msg)
	}
	for _, r := range e.agentRequests() {
		if strings.Contains(r, "bot") && !strings.Contains(r, "free-bot") {
			t.Errorf("bot was sent: %s", r)
		}
	}
	if res.Failed() != 2 {
		t.Errorf("Failed() = %d, want 2 (the set and its agent)", res.Failed())
	}
}

// TestPruneSecretSets deletes an undeclared set after the agents, and
// replaces a set whose region changed when allowed.
func TestPruneAndReplaceSecretSets(t *testing.T) {
	e := newEnv(t, sandbox.Options{SecretSets: []sandbox.SecretSetSeed{
		{Name: "hand-made", Keys: []string{"X"}},
		{Name: "app-secrets", Region: "eu-central", Keys: []string{"KEY"}},
	}})
	env := map[string]string{"K": "sk-SECRETVALUE-k"}
	cfg := &schema.Config{File: "pipecat.yaml", Prune: schema.Prune{SecretSets: true},
		SecretSets: []schema.SecretSet{{Name: "app-secrets", Spec: schema.SecretSetSpec{Region: "us-west", Secrets: map[string]schema.SecretSource{"KEY": {FromEnv: "K"}}}}}}
	p := e.planWith(t, cfg, plan.Options{AllowReplace: true, SecretValue: lookupIn(env), FingerprintKey: fpKey})
	res := run(t, context.Background(), e.client, p, apply.Options{SecretValue: lookupIn(env), FingerprintKey: fpKey})
	want := []setOutcome{{"app-secrets", "replace", "succeeded", ""}, {"hand-made", "delete", "succeeded", ""}}
	if diff := cmp.Diff(want, setOutcomes(res)); diff != "" {
		t.Errorf("sets (-want +got):\n%s", diff)
	}
	sets, err := e.client.ListSecretSets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range sets {
		got = append(got, s.Name+" "+s.Region)
	}
	if diff := cmp.Diff([]string{"app-secrets us-west"}, got); diff != "" {
		t.Errorf("live sets (-want +got):\n%s", diff)
	}
	if v, ok := e.sb.SecretValue("app-secrets", "KEY"); !ok || v != env["K"] {
		t.Error("the replaced set does not hold the value")
	}
}

// echoAPI answers every PUT of a secret set with an error that echoes the
// request, as a careless server or proxy may.
type echoAPI struct{ *cloud.Client }

func (a echoAPI) PutSecretSet(_ context.Context, name string, req *cloud.SecretSetRequest) (*cloud.SecretSetAccepted, error) {
	body, _ := json.Marshal(req)
	return nil, &cloud.Error{Method: "PUT", Path: "/v1/secrets/" + name, Status: 400, Code: "GENERIC_BAD_REQUEST", Message: "Invalid request format: " + string(body)}
}

// TestSetErrorsNeverHoldValues: an API error that echoes the request
// reaches the result without the values or the fingerprint key.
func TestSetErrorsNeverHoldValues(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	env := map[string]string{"K": "sk-SECRETVALUE-echoed-3c4d", "GHCR_TOKEN": "sk-SECRETVALUE-ghcr-echoed"}
	cfg := secretsConfig(map[string]string{"KEY": "K"})
	p := e.planWith(t, cfg, plan.Options{SecretValue: lookupIn(env), FingerprintKey: fpKey})
	res := run(t, context.Background(), echoAPI{e.client}, p, apply.Options{SecretValue: lookupIn(env), FingerprintKey: fpKey})
	doc, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "Invalid request format") {
		t.Fatalf("the error is not in the result: %s", doc)
	}
	if strings.Contains(string(doc), "SECRETVALUE") || regexp.MustCompile(plan.MarkerPrefix+"[0-9a-f]").Match(doc) {
		t.Errorf("the result holds a value or a fingerprint: %s", doc)
	}
	if !strings.Contains(string(doc), plan.MarkerPrefix+"…") {
		t.Errorf("the fingerprint key was not redacted in place: %s", doc)
	}
}
