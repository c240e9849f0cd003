package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// OrganizationChange is the plan of the organization's properties, for a
// config with an organization key: an update when a managed property
// differs from the live one, else a no-op. Apply sends it before any
// agent change: a create without a region lands in the default region.
type OrganizationChange struct {
	Action  Action               `json:"action"` // NoOp or Update
	Fields  []FieldChange        `json:"fields,omitempty"`
	Desired *schema.Organization `json:"desired"`
	Line    int                  `json:"line,omitempty"`
}

// defaultRegion is the region an agent or build without one will be in:
// the config's organization.defaultRegion when it manages it (apply sets
// it first), else the live property; "" when neither is known.
func defaultRegion(cfg *schema.Config, live *Live) string {
	if o := cfg.Organization; o != nil && o.DefaultRegion != nil {
		return *o.DefaultRegion
	}
	return live.DefaultRegion
}

// organizationChange plans desired against the live default region; nil
// when desired is (the config has no organization key).
func organizationChange(desired *schema.Organization, liveDefault string) *OrganizationChange {
	if desired == nil {
		return nil
	}
	c := &OrganizationChange{Desired: desired, Line: desired.Pos.Line}
	if r := desired.DefaultRegion; r != nil && *r != liveDefault {
		c.Action = Update
		c.Fields = append(c.Fields, FieldChange{Path: "defaultRegion", Before: liveDefault, After: *r})
	}
	return c
}

// organizationFindings checks the managed properties against live data:
// the default region must be one of the organization's.
func organizationFindings(cfg *schema.Config, live *Live) []Finding {
	o := cfg.Organization
	if o == nil || o.DefaultRegion == nil || live.RegionsErr != nil || live.Regions == nil {
		return nil
	}
	var codes []string
	for _, r := range live.Regions {
		codes = append(codes, r.Code)
	}
	if slices.Contains(codes, *o.DefaultRegion) {
		return nil
	}
	slices.Sort(codes)
	return []Finding{{Severity: Error, Field: "organization.defaultRegion", File: cfg.File,
		Line: o.DefaultRegionPos.Line, Col: o.DefaultRegionPos.Col,
		Message: fmt.Sprintf("default region %q is not available (available: %s)", *o.DefaultRegion, strings.Join(codes, ", "))}}
}
