package plan

import (
	"context"
	"errors"
	"fmt"
	"path"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// Options are everything that changes what a plan does beyond the config
// itself. They are decided when the plan is made and recorded in it, so
// the plan a reviewer reads is exactly what apply does.
type Options struct {
	// Config names the config file in the plan (relative to the
	// repository root where known); empty: the path it was loaded from.
	Config string `json:"-"`
	// Parallelism bounds the requests in flight while reading; < 1 means 8.
	Parallelism int `json:"-"`
	// Progress, when set, follows the reads (see RefreshOptions.Progress).
	Progress func(done, total int) `json:"-"`
	// AllowReplace lets the plan delete and recreate agents whose region
	// changed; without it such a change is an error in the plan.
	AllowReplace bool `json:"allow_replace,omitempty"`
	// RedeployBuilds plans an update of every buildId agent that would
	// otherwise be unchanged: the API cannot tell which build runs.
	RedeployBuilds bool `json:"redeploy_builds,omitempty"`
	// Targets, when set, limit the plan to the agents whose names match
	// one of these path.Match globs; prune considers only those.
	Targets []string `json:"targets,omitempty"`
	// Base is the git revision the write-only inputs (build, buildId,
	// managedKeys) were compared with, as given (--base); BaseCommit is
	// the commit it named, when it could be read.
	Base       string `json:"base,omitempty"`
	BaseCommit string `json:"base_commit,omitempty"`
	// Sources are the packed build contexts and the base revision
	// (ReadSources); nil when the config has no build agent and no base
	// was asked for.
	Sources *Sources `json:"-"`
}

// targeted reports whether the plan covers the agent name.
func (o Options) targeted(name string) bool {
	return len(o.Targets) == 0 || matchAny(o.Targets, name)
}

// recorded is what a saved plan keeps of o: the decisions, not how the
// plan was read.
func (o Options) recorded() Options {
	r := Options{AllowReplace: o.AllowReplace, RedeployBuilds: o.RedeployBuilds, Targets: o.Targets, Base: o.Base}
	if o.Sources.comparable() {
		r.BaseCommit = o.Sources.Base.Commit
	}
	return r
}

// Make reads the live state cfg needs and diffs it: the plan of `plan` and
// of `apply -f`.
func Make(ctx context.Context, cfg *schema.Config, r Reader, o Options) (*Plan, error) {
	for _, t := range o.Targets {
		if _, err := path.Match(t, ""); err != nil {
			return nil, fmt.Errorf("--target %q: %w", t, err)
		}
	}
	var names []string
	for _, a := range cfg.Agents {
		names = append(names, a.Name)
	}
	for _, a := range cfg.Agents {
		if a.Spec.Build != nil && o.Sources.pack(a.Name) == nil {
			return nil, fmt.Errorf("plan: agent %s: its build context was not packed (see ReadSources)", a.Name)
		}
	}
	live, err := Refresh(ctx, r, RefreshOptions{
		Names: names, AllDetails: cfg.Prune.Enabled, Preflight: true, Parallelism: o.Parallelism,
		Filter: o.targeted, Progress: o.Progress,
	})
	if err != nil {
		return nil, err
	}
	if keys := buildKeys(cfg, live, o); len(keys) > 0 {
		br, ok := r.(BuildReader)
		if !ok {
			return nil, errors.New("plan: the config has build agents, and the reader cannot list builds")
		}
		live.CachedBuilds, live.BuildsErr = LookupBuilds(ctx, br, keys, o.Parallelism)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("look up builds: %w", err)
		}
	}
	return Diff(cfg, live, o), nil
}

// Recheck re-reads the live state of every agent a saved plan names and
// returns a *StaleError when any of it moved since the plan was made.
// progress may be nil (see RefreshOptions.Progress).
func Recheck(ctx context.Context, saved *Plan, r Reader, parallelism int, progress func(done, total int)) error {
	names := make([]string, len(saved.Changes))
	for i, c := range saved.Changes {
		names[i] = c.Agent
	}
	live, err := Refresh(ctx, r, RefreshOptions{Names: names, Parallelism: parallelism, Progress: progress})
	if err != nil {
		return err
	}
	return CheckStale(saved, live)
}
