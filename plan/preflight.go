package plan

import (
	"fmt"
	"sort"
	"strings"

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
