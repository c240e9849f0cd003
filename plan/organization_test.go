package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// TestOrganizationPlan: organization.defaultRegion is planned like any
// field: an update when it differs, a no-op when not, nothing without
// the key; an unknown region is an error at its value, and the declared
// default is the one agents without a region are checked against.
func TestOrganizationPlan(t *testing.T) {
	org := func(r string) *schema.Organization {
		return &schema.Organization{DefaultRegion: &r, Pos: schema.Position{Line: 2, Col: 1}, DefaultRegionPos: schema.Position{Line: 3, Col: 18}}
	}
	tests := []struct {
		name     string
		org      *schema.Organization
		want     *OrganizationChange
		findings []Finding
		summary  int
	}{
		{name: "absent: never planned"},
		{name: "equal: a no-op", org: org("us-west"), want: &OrganizationChange{Action: NoOp, Desired: org("us-west"), Line: 2}},
		{name: "different: an update", org: org("eu-central"), summary: 1, want: &OrganizationChange{Action: Update, Desired: org("eu-central"), Line: 2,
			Fields: []FieldChange{{Path: "defaultRegion", Before: "us-west", After: "eu-central"}}}},
		{name: "unknown region: an error at the value", org: org("mars-1"), summary: 1,
			want: &OrganizationChange{Action: Update, Desired: org("mars-1"), Line: 2, Fields: []FieldChange{{Path: "defaultRegion", Before: "us-west", After: "mars-1"}}},
			findings: []Finding{{Severity: Error, Field: "organization.defaultRegion", File: "pipecat.yaml", Line: 3, Col: 18,
				Message: `default region "mars-1" is not available (available: eu-central, us-west)`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config(schema.Prune{})
			cfg.Organization = tt.org
			p := Diff(cfg, liveOf(), Options{})
			if diff := cmp.Diff(tt.want, p.Organization); diff != "" {
				t.Errorf("organization (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.findings, p.Findings); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if p.Summary.Organization != tt.summary || p.Summary.HasChanges() != (tt.summary > 0) {
				t.Errorf("summary %+v", p.Summary)
			}
		})
	}

	// The declared default is where apply puts an agent without region.
	eu := "eu-central"
	cfg := config(schema.Prune{}, schema.Agent{Name: "bot", Spec: schema.Spec{Image: sp("x:1"), SecretSet: sp("bot-secrets")}})
	cfg.Organization = &schema.Organization{DefaultRegion: &eu}
	p := Diff(cfg, liveOf(), Options{})
	want := `secret set "bot-secrets" is in region us-west but the agent is in eu-central; they must be in the same region`
	if len(p.Findings) != 1 || p.Findings[0].Message != want {
		t.Errorf("findings %+v, want %s", p.Findings, want)
	}
}
