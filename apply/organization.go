package apply

import (
	"context"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// CodeOrganizationNotUpdated: an agent that would land in the
// organization's default region was not sent, because this run could not
// set that default.
const CodeOrganizationNotUpdated = "ORGANIZATION_NOT_UPDATED"

// OrganizationResult is what happened to the organization's properties.
type OrganizationResult struct {
	Outcome   Outcome            `json:"outcome"`
	Fields    []plan.FieldChange `json:"fields"`
	ErrorCode string             `json:"error_code,omitempty"`
	Error     string             `json:"error,omitempty"`
	Duration  time.Duration      `json:"duration_ns"`
}

// organization PATCHes the properties the plan changes, first of all:
// a create without a region lands in the default region. PATCH sets
// values, so a lost answer is retried by the client like any read.
func (r *runner) organization(ctx context.Context, c *plan.OrganizationChange) *OrganizationResult {
	if c == nil || c.Action != plan.Update || c.Desired == nil {
		return nil
	}
	res := &OrganizationResult{Fields: c.Fields}
	start := time.Now()
	r.progress(Event{Agent: "organization", Action: plan.Update, State: "updating"})
	_, err := r.api.UpdateProperties(ctx, &cloud.UpdatePropertiesRequest{DefaultRegion: c.Desired.DefaultRegion})
	res.Duration = time.Since(start)
	switch {
	case err == nil:
		res.Outcome = Succeeded
		r.progress(Event{Agent: "organization", Action: plan.Update, State: "done"})
		return res
	case interrupted(ctx, err):
		res.Outcome, res.ErrorCode, res.Error = r.inFlight(false)
	default:
		res.Outcome = Failed
		res.ErrorCode, res.Error = describeError(err)
	}
	r.progress(Event{Agent: "organization", Action: plan.Update, State: "failed", Detail: res.Error})
	return res
}

// blockOnOrganization keeps back the creates and replaces that name no
// region when the default region was not set: they would land in the
// old one.
func (r *runner) blockOnOrganization(agents []*item, org *OrganizationResult) []*item {
	if org == nil || org.Outcome == Succeeded {
		return agents
	}
	var out []*item
	for _, it := range agents {
		if (it.c.Action == plan.Create || it.c.Action == plan.Replace) && it.spec != nil && it.spec.Region == nil {
			it.res.Outcome, it.res.ErrorCode = Failed, CodeOrganizationNotUpdated
			it.res.Error = "the organization's default region, where it would be created, was not set (" + org.Error + "); the agent was not sent"
			r.event(it.c, "failed", it.res.Error)
			continue
		}
		out = append(out, it)
	}
	return out
}

func (r *runner) progress(e Event) {
	if r.o.Progress != nil {
		r.o.Progress(e)
	}
}
