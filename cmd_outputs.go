package main

import (
	"encoding/json"
	"slices"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/github"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// agentOutputs are the step outputs that name agents: changed-agents
// (JSON array), service-name (the one agent deployed, when exactly one
// agent changes and it is not deleted), build-ids (JSON object, agent ->
// build ID) and build-id (the one build, when there is exactly one). The
// last two keep the official deploy action's outputs working for a
// config of one agent; the JSON ones serve many.
func agentOutputs(changed []plan.Change, builds map[string]string) []github.Output {
	names := make([]string, 0, len(changed))
	for _, c := range changed {
		names = append(names, c.Agent)
	}
	slices.Sort(names)
	service := ""
	if len(changed) == 1 && changed[0].Action != plan.Delete {
		service = changed[0].Agent
	}
	buildID := ""
	if len(builds) == 1 {
		for _, id := range builds {
			buildID = id
		}
	}
	return []github.Output{
		{Name: "changed-agents", Value: mustJSON(names)},
		{Name: "service-name", Value: service},
		{Name: "build-ids", Value: mustJSON(builds)},
		{Name: "build-id", Value: buildID},
	}
}

// mustJSON encodes a string slice or map, which cannot fail.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// planAgentOutputs: the agents the plan changes, and the builds known
// before apply: a build the cache already holds, or a buildId.
func planAgentOutputs(p *plan.Plan) []github.Output {
	var changed []plan.Change
	builds := map[string]string{}
	for _, c := range p.Changes {
		if c.Action == plan.NoOp {
			continue
		}
		changed = append(changed, c)
		if id := plannedBuild(c); id != "" {
			builds[c.Agent] = id
		}
	}
	return agentOutputs(changed, builds)
}

func plannedBuild(c plan.Change) string {
	if c.Action == plan.Delete {
		return ""
	}
	if c.Build != nil {
		return c.Build.CachedBuildID
	}
	if c.Desired != nil && c.Desired.BuildID != nil {
		return *c.Desired.BuildID
	}
	return ""
}

// applyAgentOutputs: the agents apply changed (a change that found its
// work done changed nothing), and the build each deployed or built: a
// build that succeeded counts even when the deploy after it failed.
func applyAgentOutputs(res *apply.Result, p *plan.Plan) []github.Output {
	planned := map[string]plan.Change{}
	for _, c := range p.Changes {
		planned[c.Agent] = c
	}
	var changed []plan.Change
	builds := map[string]string{}
	for _, r := range res.Results {
		succeeded := r.Outcome == apply.Succeeded
		if succeeded && r.Effect != apply.AlreadyInPlace {
			changed = append(changed, plan.Change{Agent: r.Agent, Action: r.Action})
		}
		switch {
		case r.Build != nil && r.Build.ID != "" && r.Build.Status == cloud.BuildStatusSuccess:
			builds[r.Agent] = r.Build.ID
		case r.Build == nil && succeeded:
			if id := plannedBuild(planned[r.Agent]); id != "" {
				builds[r.Agent] = id
			}
		}
	}
	return agentOutputs(changed, builds)
}
