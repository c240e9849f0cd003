package plan

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

func TestFingerprint(t *testing.T) {
	desired := schema.Spec{Image: sp("acme/bot:1.0"), SecretSet: sp("bot-secrets")}
	base := liveAgent("bot", fullLive("acme/bot:1.0"))
	fp := Fingerprint(&desired, base)
	tests := []struct {
		name      string
		mod       func() *schema.Spec // nil result = agent absent
		wantEqual bool
	}{
		{"same spec redeployed with a new deployment id", func() *schema.Spec { s := fullLive("acme/bot:1.0"); return &s }, true},
		{"unmanaged field changed", func() *schema.Spec { s := fullLive("acme/bot:1.0"); s.AgentProfile = sp("agent-3x"); return &s }, true},
		{"managed image changed", func() *schema.Spec { s := fullLive("acme/bot:2.0"); return &s }, false},
		{"managed secret set changed", func() *schema.Spec { s := fullLive("acme/bot:1.0"); s.SecretSet = sp("x"); return &s }, false},
		{"agent deleted", func() *schema.Spec { return nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			if s := tt.mod(); s != nil {
				d := liveAgent("bot", *s)
				d.Deployment.ID, d.DesiredDeploymentID, d.UpdatedAt = "dep-2", "dep-2", "2026-11-28T12:00:00Z"
				got = Fingerprint(&desired, d)
			} else {
				got = Fingerprint(&desired, nil)
			}
			if (got == fp) != tt.wantEqual {
				t.Errorf("fingerprint equal = %v, want %v", got == fp, tt.wantEqual)
			}
		})
	}
	if Fingerprint(nil, base) == Fingerprint(nil, liveAgent("bot", func() schema.Spec { s := fullLive("acme/bot:1.0"); s.AgentProfile = sp("agent-2x"); return s }())) {
		t.Error("a delete's fingerprint ignores fields: every field counts when nothing is managed")
	}
}

func TestCheckStale(t *testing.T) {
	cfg := config(schema.Prune{Enabled: true},
		schema.Agent{Name: "new", Spec: schema.Spec{Image: sp("x:1")}},
		schema.Agent{Name: "same", Spec: schema.Spec{Image: sp("x:1")}},
		schema.Agent{Name: "upd", Spec: schema.Spec{Image: sp("x:2")}})
	live := liveOf(liveAgent("same", fullLive("x:1")), liveAgent("upd", fullLive("x:1")), liveAgent("gone", fullLive("x:1")))
	p := Diff(cfg, live, Options{})
	if err := CheckStale(p, live, Options{}); err != nil {
		t.Fatalf("fresh plan is stale: %v", err)
	}
	// Someone creates "new", changes "same" and deletes "gone" behind the
	// plan's back.
	later := liveOf(liveAgent("new", fullLive("x:1")), liveAgent("same", fullLive("x:9")), liveAgent("upd", fullLive("x:1")))
	err := CheckStale(p, later, Options{})
	var stale *StaleError
	if !errors.As(err, &stale) {
		t.Fatalf("CheckStale = %v, want *StaleError", err)
	}
	if diff := cmp.Diff([]string{"gone", "new", "same"}, stale.Agents); diff != "" {
		t.Errorf("stale agents (-want +got):\n%s", diff)
	}
	if want := "plan is stale: gone, new, same changed since the plan was made; run plan again"; err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	cfg := config(schema.Prune{Enabled: true},
		schema.Agent{Name: "new", Spec: schema.Spec{Image: sp("x:1"), KrispViva: &schema.KrispViva{}, AutoScaling: &schema.AutoScaling{MinAgents: ip(0), MaxAgents: ip(4)}}},
		schema.Agent{Name: "upd", Spec: schema.Spec{Image: sp("x:2")}})
	p := Diff(cfg, liveOf(liveAgent("upd", fullLive("x:1")), liveAgent("gone", fullLive("x:1"))), Options{})
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	// JSON numbers come back as float64 in the any-typed field values;
	// everything apply reads (actions, desired specs, fingerprints) is
	// typed and must survive exactly.
	ignoreFields := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Fields" }, cmp.Ignore())
	if diff := cmp.Diff(p, got, ignoreFields, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestDecodeRefusesBadPlans(t *testing.T) {
	valid := func() map[string]any {
		return map[string]any{
			"format_version": "1", "config": "pipecat.yaml",
			"summary": map[string]any{"create": 1, "update": 0, "replace": 0, "delete": 0, "no_op": 0, "unmanaged": 0, "errors": 0, "warnings": 0},
			"changes": []any{map[string]any{"agent": "bot", "action": "create", "desired": map[string]any{"image": "x:1"},
				"fields": []any{map[string]any{"path": "image", "before": nil, "after": "x:1"}}, "fingerprint": "absent"}},
			"unmanaged": []any{}, "findings": []any{},
		}
	}
	change := func(m map[string]any) map[string]any { return m["changes"].([]any)[0].(map[string]any) }
	tests := []struct {
		name string
		mod  func(m map[string]any)
		want string
	}{
		{"unknown format version", func(m map[string]any) { m["format_version"] = "2" }, `format_version "2" is not supported`},
		{"unknown top-level key", func(m map[string]any) { m["extra"] = 1 }, `unknown field "extra"`},
		{"unknown action", func(m map[string]any) { change(m)["action"] = "destroy" }, `unknown action "destroy"`},
		{"bad agent name", func(m map[string]any) { change(m)["agent"] = "Bot_1" }, "invalid agent name"},
		{"bad fingerprint", func(m map[string]any) { change(m)["fingerprint"] = "sha256:zz" }, "invalid fingerprint"},
		{"create against an existing agent", func(m map[string]any) { change(m)["fingerprint"] = "sha256:" + strings.Repeat("a", 64) }, "fingerprint does not match action create"},
		{"missing desired", func(m map[string]any) { delete(change(m), "desired") }, "desired spec missing"},
		{"out of range field", func(m map[string]any) {
			change(m)["desired"] = map[string]any{"image": "x:1", "maxSessionDuration": 5}
		}, "desired: maxSessionDuration: 5 is less than the minimum (60)"},
		{"image and build", func(m map[string]any) {
			change(m)["desired"] = map[string]any{"image": "x:1", "buildId": "123e4567-e89b-12d3-a456-426614174000"}
		}, "desired: exactly one of image, buildId and build is required"},
		{"summary edited", func(m map[string]any) { m["summary"].(map[string]any)["create"] = 0 }, "summary does not match"},
		{"trailing data", nil, "data after the JSON document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid()
			if tt.mod != nil {
				tt.mod(m)
			}
			data, _ := json.Marshal(m)
			if tt.mod == nil {
				data = append(data, []byte(" {}")...)
			}
			_, err := Decode(data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	data, _ := json.Marshal(valid())
	if _, err := Decode(data); err != nil {
		t.Errorf("valid plan refused: %v", err)
	}
}
