package plan

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"

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
	// Redeploy plans an update of every declared agent whose name matches
	// one of these path.Match globs and that would otherwise be
	// unchanged, sent with forceRedeploy: a mutable tag (latest) is
	// pulled again only by a new deployment.
	Redeploy []string `json:"redeploy,omitempty"`
	// Targets, when set, limit the plan to the agents whose names match
	// one of these path.Match globs; prune considers only those.
	Targets []string `json:"targets,omitempty"`
	// UpdateImagePullSecrets plans an update of every declared image pull
	// secret set that would otherwise be unchanged: the API cannot return
	// their credentials, so no plan sees them change.
	UpdateImagePullSecrets bool `json:"update_image_pull_secrets,omitempty"`

	// Preview, when set, makes this the plan of preview agents (package
	// preview): it covers only the live agents whose reserved preview
	// suffix (-prN) it names, and the config declares the previews.
	// Unset, a plan never covers a preview agent: they are listed apart
	// (Plan.Previews), never diffed, pruned or counted as unmanaged.
	Preview *PreviewScope `json:"preview,omitempty"`

	// SecretValue reads the value of a fromEnv variable (the caller's
	// environment); nil: none is set. Values never leave plan and apply.
	SecretValue func(name string) (string, bool) `json:"-"`
	// FingerprintKey keys the fingerprints of secret set values and the
	// MAC of the plan: the API key (the sandbox's "sandbox"). Required
	// when the config declares secret sets, and to Recheck a saved plan;
	// without it Make writes no MAC.
	FingerprintKey string `json:"-"`
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

// PreviewScope is which pull requests' preview agents a preview plan
// covers: those of PR, or, for a clean-up (GC), those of every pull
// request not in Open.
type PreviewScope struct {
	PR   int   `json:"pr,omitempty"`
	GC   bool  `json:"gc,omitempty"`
	Open []int `json:"open,omitempty"`
}

// Covers reports whether the scope covers the agent name: a preview agent
// of one of its pull requests.
func (s *PreviewScope) Covers(name string) bool {
	pr, ok := schema.PreviewPR(name)
	switch {
	case !ok:
		return false
	case s.GC:
		return !slices.Contains(s.Open, pr)
	}
	return pr == s.PR
}

// targeted reports whether the plan covers the agent name.
func (o Options) targeted(name string) bool {
	if o.Preview != nil {
		return o.Preview.Covers(name)
	}
	if _, ok := schema.PreviewPR(name); ok {
		return false
	}
	return len(o.Targets) == 0 || matchAny(o.Targets, name)
}

// recorded is what a saved plan keeps of o: the decisions, not how the
// plan was read.
func (o Options) recorded() Options {
	r := Options{AllowReplace: o.AllowReplace, RedeployBuilds: o.RedeployBuilds, Redeploy: o.Redeploy, Targets: o.Targets, Base: o.Base,
		UpdateImagePullSecrets: o.UpdateImagePullSecrets, Preview: o.Preview}
	if o.Sources.comparable() {
		r.BaseCommit = o.Sources.Base.Commit
	}
	return r
}

// maxGlobs bounds each list of globs (targets here; prune.ignore and
// replace.allowed in the schema): every agent is matched against each.
const maxGlobs = 1000

// errNoFingerprintKey refuses to plan secret sets without a key for their
// fingerprints: every set would read "unknown".
var errNoFingerprintKey = errors.New("plan: secret sets need Options.FingerprintKey (the API key)")

// Make reads the live state cfg needs and diffs it: the plan of `plan` and
// of `apply -f`.
func Make(ctx context.Context, cfg *schema.Config, r Reader, o Options) (*Plan, error) {
	if len(o.Targets) > maxGlobs {
		return nil, fmt.Errorf("%d --target globs, more than %d", len(o.Targets), maxGlobs)
	}
	for _, t := range o.Targets {
		if _, err := path.Match(t, ""); err != nil {
			return nil, fmt.Errorf("--target %q: %w", t, err)
		}
	}
	if len(o.Redeploy) > maxGlobs {
		return nil, fmt.Errorf("%d --redeploy globs, more than %d", len(o.Redeploy), maxGlobs)
	}
	for _, g := range o.Redeploy {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("--redeploy %q: %w", g, err)
		}
	}
	if len(cfg.SecretSets) > 0 && o.FingerprintKey == "" {
		return nil, errNoFingerprintKey
	}
	var names, sets []string
	for _, a := range cfg.Agents {
		names = append(names, a.Name)
	}
	for _, s := range setsInScope(cfg, o) {
		sets = append(sets, s.Name)
	}
	// Pruning sets reads every agent, so that no set in use is deleted,
	// and every set's keys, to fingerprint the ones deleted.
	pruneSets := cfg.Prune.SecretSets && len(o.Targets) == 0
	for _, a := range cfg.Agents {
		if a.Spec.Build != nil && o.Sources.pack(a.Name) == nil {
			return nil, fmt.Errorf("plan: agent %s: its build context was not packed (see ReadSources)", a.Name)
		}
	}
	// The buildIds are read alongside the agents: one request per
	// distinct id.
	var ids buildIDs
	idsRead := make(chan struct{})
	go func() {
		defer close(idsRead)
		ids = readBuildIDs(ctx, r, cfg, o)
	}()
	live, err := Refresh(ctx, r, RefreshOptions{
		Names: names, AllDetails: cfg.Prune.Enabled || pruneSets || o.Preview != nil, Preflight: true, Parallelism: o.Parallelism,
		Filter: o.targeted, Progress: o.Progress, SecretSets: sets, AllSecretSets: pruneSets,
		NeedProperties: cfg.Organization != nil,
	})
	<-idsRead
	if err != nil {
		return nil, err
	}
	if ids.err != nil {
		return nil, ids.err
	}
	live.BuildIDs, live.BuildIDErrs = ids.builds, ids.errs
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
	p := Diff(cfg, live, o)
	p.MAC = planMAC(o.FingerprintKey, p)
	return p, nil
}

// Recheck authenticates a saved plan with o.FingerprintKey (its MAC),
// re-reads the live state of every agent and secret set it names and
// returns a *StaleError when any of it moved since the plan
// was made, or when the environment now holds other values for a set
// than the plan was made with. Then it decides every change again from
// its desired spec, that live state and the plan's decisions, as Diff
// does, and refuses the plan as invalid where the file says otherwise
// (its fields, actions, reasons, restarts, secret set keys and values):
// what show renders of the file is then what apply does. It uses o's
// Parallelism, Progress, SecretValue and FingerprintKey; the decisions
// are the saved plan's.
func Recheck(ctx context.Context, saved *Plan, r Reader, o Options) error {
	names := make([]string, len(saved.Changes))
	for i, c := range saved.Changes {
		names[i] = c.Agent
	}
	sets := make([]string, len(saved.SecretSets))
	for i, c := range saved.SecretSets {
		sets[i] = c.Name
	}
	// Before any request: a file plan did not write with this key is
	// not the plan anyone reviewed.
	if err := checkMAC(saved, o.FingerprintKey); err != nil {
		return err
	}
	// The default region decides where a build of an agent without a
	// region runs; a managed one must not have moved.
	props := saved.Organization != nil
	for _, c := range saved.Changes {
		props = props || c.Build != nil && c.Desired != nil && c.Desired.Region == nil
	}
	live, err := Refresh(ctx, r, RefreshOptions{Names: names, Parallelism: o.Parallelism, Progress: o.Progress, SecretSets: sets,
		Properties: props, NeedProperties: saved.Organization != nil})
	if err != nil {
		return err
	}
	if err := CheckStale(saved, live, o); err != nil {
		return err
	}
	return checkDerived(saved, live, o)
}
