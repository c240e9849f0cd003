package plan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// preflight checks the config's references against live data, so a pull
// request fails before merge rather than apply after it.
func preflight(cfg *schema.Config, live *Live) []Finding {
	var out []Finding
	if live.SecretsErr != nil {
		out = append(out, Finding{Severity: Warning, Message: fmt.Sprintf("secret sets could not be listed, their checks are skipped: %v", live.SecretsErr)})
	}
	if live.RegionsErr != nil {
		out = append(out, Finding{Severity: Warning, Message: fmt.Sprintf("regions could not be listed, their checks are skipped: %v", live.RegionsErr)})
	}
	def := defaultRegion(cfg, live)
	if live.PropertiesErr != nil && def == "" {
		out = append(out, Finding{Severity: Warning, Message: fmt.Sprintf(
			"the organization's default region could not be read, so the region checks of agents without a region are skipped: %v", live.PropertiesErr)})
	}
	sets := make(map[string]cloud.SecretSetSummary, len(live.Secrets))
	for _, s := range live.Secrets {
		sets[s.Name] = s
	}
	declared := make(map[string]schema.SecretSet, len(cfg.SecretSets))
	for _, s := range cfg.SecretSets {
		declared[s.Name] = s
	}
	regions := make(map[string]bool, len(live.Regions))
	var codes []string
	for _, r := range live.Regions {
		regions[r.Code] = true
		codes = append(codes, r.Code)
	}
	sort.Strings(codes)

	for _, a := range cfg.Agents {
		at := func(sev Severity, fieldPath, format string, args ...any) {
			f := Finding{Severity: sev, Agent: a.Name, Field: fieldPath, Message: fmt.Sprintf(format, args...), File: cfg.File}
			pos, ok := a.FieldPos[fieldPath]
			if !ok {
				pos = a.Pos
			}
			f.Line, f.Col = pos.Line, pos.Col
			out = append(out, f)
		}
		region := agentRegion(a, live.Details[a.Name], def)
		if a.Spec.BuildID != nil {
			checkBuildID(at, *a.Spec.BuildID, region, live)
		}
		if a.Spec.Region != nil && live.RegionsErr == nil && !regions[*a.Spec.Region] {
			at(Error, "region", "region %q is not available (available: %s)", *a.Spec.Region, strings.Join(codes, ", "))
		}
		for _, ref := range []struct {
			field, kind, wantType string
			name                  *string
		}{
			{"secretSet", "secret set", cloud.SecretTypeSecret, a.Spec.SecretSet},
			{"imagePullSecretSet", "image pull secret set", cloud.SecretTypeImagePullSecret, a.Spec.ImagePullSecretSet},
		} {
			switch d, ok := declared[deref(ref.name)]; {
			case ref.name == nil:
			case ok:
				// Declared in the file: apply makes it before the agent.
				checkDeclaredSet(at, ref.field, d, ref.wantType, ref.kind, region)
			case live.SecretsErr == nil:
				checkSet(at, sets, ref.field, *ref.name, ref.wantType, ref.kind, region)
			}
		}
	}
	return out
}

func checkSet(at func(Severity, string, string, ...any), sets map[string]cloud.SecretSetSummary, fieldPath, name, wantType, kind, region string) {
	s, ok := sets[name]
	switch {
	case !ok:
		at(Error, fieldPath, "%s %q does not exist", kind, name)
	case s.Type != wantType:
		at(Error, fieldPath, "%q is of type %s, not %s", name, s.Type, wantType)
	case s.Region != "" && region != "" && s.Region != region:
		at(Error, fieldPath, "%s %q is in region %s but the agent is in %s; they must be in the same region", kind, name, s.Region, region)
	case s.Status == cloud.SecretStatusFailed:
		msg := s.ErrorMessage
		if msg == "" {
			msg = "no message"
		}
		at(Error, fieldPath, "%s %q failed to provision: %s", kind, name, msg)
	case s.Status == cloud.SecretStatusPending:
		at(Warning, fieldPath, "%s %q is still provisioning (pending); a deploy that binds it is rejected until it is ready", kind, name)
	}
}

// checkDeclaredSet checks a reference to a set declared in the config
// against its declaration, not the live set (apply writes it first).
func checkDeclaredSet(at func(Severity, string, string, ...any), fieldPath string, s schema.SecretSet, wantType, kind, region string) {
	switch {
	case s.Spec.Type() != wantType:
		at(Error, fieldPath, "%q is declared under secretSets with type %s, not %s", s.Name, s.Spec.Type(), wantType)
	case region != "" && s.Spec.Region != region: // "": the default region is unknown
		at(Error, fieldPath, "%s %q is declared in region %s but the agent is in %s; they must be in the same region", kind, s.Name, s.Spec.Region, region)
	}
}

// agentRegion is the region the agent will run in: the config's, else the
// live agent's (region is unmanaged then), else def, the organization's
// default ("" when unknown).
func agentRegion(a schema.Agent, d *cloud.ServiceDetails, def string) string {
	switch {
	case a.Spec.Region != nil:
		return *a.Spec.Region
	case d != nil && d.Region != "":
		return d.Region
	default:
		return def
	}
}

// BuildGetter is the part of the API client the buildId preflight needs.
type BuildGetter interface {
	GetBuild(ctx context.Context, id string) (*cloud.Build, error)
}

// buildIDs is what readBuildIDs found.
type buildIDs struct {
	builds map[string]*cloud.Build
	errs   map[string]error
	err    error // the reader cannot read builds, or ctx ended
}

// readBuildIDs reads every distinct buildId of the agents the plan covers,
// all at once: there are few, and the client bounds the requests in
// flight.
func readBuildIDs(ctx context.Context, r Reader, cfg *schema.Config, o Options) buildIDs {
	var ids []string
	for _, a := range cfg.Agents {
		if id := deref(a.Spec.BuildID); id != "" && o.targeted(a.Name) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	out := buildIDs{builds: map[string]*cloud.Build{}, errs: map[string]error{}}
	if len(ids) == 0 {
		return out
	}
	bg, ok := r.(BuildGetter)
	if !ok {
		out.err = errors.New("plan: the config names buildIds, and the reader cannot read builds")
		return out
	}
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for _, id := range ids {
		wg.Go(func() {
			b, err := bg.GetBuild(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				out.errs[id] = err
			} else {
				out.builds[id] = b
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		out.err = fmt.Errorf("read builds: %w", err)
	}
	return out
}

// checkBuildID checks an agent's buildId against the build read: it must
// exist, have succeeded and be in the agent's region, or the deploy after
// merge would be refused.
func checkBuildID(at func(Severity, string, string, ...any), id, region string, live *Live) {
	b, err := live.BuildIDs[id], live.BuildIDErrs[id]
	var ae *cloud.Error
	switch {
	case b == nil && err == nil:
		// Not read (a Live made without preflight).
	case cloud.IsNotFound(err):
		at(Error, "buildId", "build %s does not exist", id)
	case errors.As(err, &ae) && ae.Status == 400:
		at(Error, "buildId", "build %s: %s", id, ae.Message)
	case err != nil:
		at(Warning, "buildId", "build %s could not be read, its checks are skipped: %v", id, err)
	case b.Status == cloud.BuildStatusFailed || b.Status == cloud.BuildStatusTimeout:
		at(Error, "buildId", "build %s ended %s; only a successful build can be deployed", id, b.Status)
	case b.Status != cloud.BuildStatusSuccess:
		at(Warning, "buildId", "build %s is still %s; a deploy is refused until it succeeds", id, b.Status)
	case b.Region != "" && b.Region != region:
		at(Error, "buildId", "build %s is in region %s but the agent is in %s; they must be in the same region", id, b.Region, region)
	}
}
