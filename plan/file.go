package plan

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/pack"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// maxPlanFile bounds what ReadFile accepts; a 3,000-agent plan is ~3 MiB.
const maxPlanFile = 64 << 20

var (
	fingerprintPattern = regexp.MustCompile(`^(absent|sha256:[0-9a-f]{64})$`)
	valuesCheckPattern = regexp.MustCompile(`^hmac-sha256:[0-9a-f]{64}$`)
	contextHash        = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

// checkBuildPlan says what is wrong with the build of a saved change: a
// build agent that deploys needs one, and its paths must stay inside the
// repository, since apply packs them again.
func checkBuildPlan(c Change, o Options) string {
	wantsBuild := c.Desired != nil && c.Desired.Build != nil
	b := c.Build
	switch {
	case b == nil && wantsBuild && deploys(c.Action):
		return "missing for an agent built from a context"
	case b == nil:
		return ""
	case !wantsBuild:
		return "present, but the desired spec has no build"
	case !contextHash.MatchString(b.ContextHash):
		return fmt.Sprintf("invalid context hash %q", b.ContextHash)
	case b.Context != "." && !filepath.IsLocal(filepath.FromSlash(b.Context)):
		return fmt.Sprintf("context %q is not a path inside the repository", b.Context)
	case !filepath.IsLocal(filepath.FromSlash(b.Dockerfile)):
		return fmt.Sprintf("Dockerfile %q is not a path inside the context", b.Dockerfile)
	case b.Dockerfile != cmp.Or(deref(c.Desired.Build.Dockerfile), pack.DefaultDockerfile):
		return fmt.Sprintf("Dockerfile %q is not the desired spec's", b.Dockerfile)
	case !slices.Contains([]string{CompareNone, CompareUnchanged, CompareChanged, CompareNew}, b.Compared):
		return fmt.Sprintf("invalid compared %q", b.Compared)
	case (b.Compared == CompareNone) != (o.BaseCommit == ""):
		return fmt.Sprintf("compared %q, but the plan's options have no base commit (hand-edited?)", b.Compared)
	case b.BaseContextHash != "" && b.Compared != CompareChanged:
		return "a base context hash, but the build is not changed"
	}
	return ""
}

// checkFields says what is wrong with the field changes and the reason of
// a saved change, judged against its own desired spec and action: show
// renders the fields and the reason, apply sends the desired spec, so
// the two must say the same. (Recheck then judges them against the live
// agent.)
func checkFields(c Change, o Options) []string {
	const mismatch = "fields do not match desired (hand-edited?)"
	var out []string
	switch c.Action {
	case Create:
		var want []FieldChange
		for _, f := range c.Desired.Fields() {
			want = append(want, FieldChange{Path: f.Path, After: f.Value})
		}
		if !sameFields(c.Fields, want) {
			out = append(out, mismatch)
		}
	case Update, Replace:
		seen := map[string]bool{}
		for _, f := range c.Fields {
			after, managed := c.Desired.Get(f.Path)
			if !managed || seen[f.Path] || !reflect.DeepEqual(after, f.After) {
				out = append(out, mismatch)
				break
			}
			seen[f.Path] = true
		}
	default:
		if len(c.Fields) > 0 {
			out = append(out, mismatch)
		}
	}
	// What the reason claims must be what the change is.
	redeploy := c.Reason == ReasonRedeployBuild
	forced := c.Reason == ReasonRedeploy
	restart := c.RestartFor != "" && c.Reason == RestartReason(c.RestartFor)
	var bad bool
	switch c.Action {
	case Create, NoOp:
		bad = c.Reason != ""
	case Delete:
		bad = c.Reason != ReasonPrune
	case Update:
		// A reason-only update (a redeploy, a restart) changes no field;
		// an update that changes no field says why.
		bad = (redeploy || restart || forced) && len(c.Fields) > 0 || len(c.Fields) == 0 && c.Reason == "" ||
			redeploy && !(o.RedeployBuilds && (c.Desired.BuildID != nil || c.Desired.Build != nil)) ||
			forced && !matchAny(o.Redeploy, c.Agent)
	}
	if bad {
		out = append(out, fmt.Sprintf("reason %q does not match the %s (hand-edited?)", c.Reason, c.Action))
	}
	if c.Deployment != "" && !deploysOnly(&c) {
		out = append(out, "deployment on a change that is not an update of no readable field (hand-edited?)")
	}
	return out
}

// sameFields reports whether two lists of field changes are equal, a nil
// list equal to an empty one.
func sameFields(a, b []FieldChange) bool {
	return slices.EqualFunc(a, b, func(x, y FieldChange) bool { return reflect.DeepEqual(x, y) })
}

// checkSetFields says what is wrong with what a saved secret set change
// shows (its region and keys) against what apply writes (its desired
// set): they must agree.
func checkSetFields(c SecretSetChange, planErrors bool) []string {
	var out []string
	if c.Desired != nil && c.Region != c.Desired.Region {
		out = append(out, fmt.Sprintf("region %q is not the desired set's (hand-edited?)", c.Region))
	}
	var want []string
	if c.Desired != nil {
		want = c.Desired.Keys()
	}
	var keysOK bool
	switch c.Action {
	case Create, Replace:
		keysOK = slices.Equal(c.KeysAdded, want) && len(c.KeysRemoved) == 0
	case Update:
		keysOK = !slices.ContainsFunc(c.KeysAdded, func(k string) bool { return !slices.Contains(want, k) }) &&
			!slices.ContainsFunc(c.KeysRemoved, func(k string) bool { return slices.Contains(want, k) })
	default:
		keysOK = len(c.KeysAdded)+len(c.KeysRemoved) == 0
	}
	if !keysOK {
		out = append(out, "keys do not match desired (hand-edited?)")
	}
	switch {
	case c.Action == Delete && (c.Reason != ReasonPruneSecretSet || c.Values != "" || c.ValuesCheck != ""):
		out = append(out, "a delete has no values and is a prune (hand-edited?)")
	case deploys(c.Action) && c.ValuesCheck == "" && !planErrors:
		// Only a missing value (an error of the plan) leaves a write
		// without the check of the values it writes.
		out = append(out, "values_check missing (hand-edited?)")
	}
	return out
}

// checkTargets says what is wrong with the targets of a saved plan: a
// change outside them, or a Target that does not say them.
func checkTargets(p *Plan) []string {
	t := p.Options.Targets
	if len(t) > maxGlobs {
		return []string{fmt.Sprintf("options.targets: %d globs, more than %d", len(t), maxGlobs)}
	}
	var out []string
	for _, g := range t {
		if _, err := path.Match(g, ""); err != nil {
			out = append(out, fmt.Sprintf("options.targets: %q: %v", g, err))
		}
	}
	if len(out) > 0 {
		return out
	}
	if (p.Target != nil) != (len(t) > 0) {
		out = append(out, "target does not match options.targets (hand-edited?)")
	}
	for i, c := range p.Changes {
		if !p.Options.targeted(c.Agent) {
			out = append(out, fmt.Sprintf("changes[%d] (%s): not matched by options.targets (hand-edited?)", i, c.Agent))
		}
	}
	for i, c := range p.SecretSets {
		if len(t) > 0 && c.Action == Delete {
			out = append(out, fmt.Sprintf("secret_sets[%d] (%s): a targeted plan prunes no secret set (hand-edited?)", i, c.Name))
		}
	}
	return out
}

// ReadFile reads a saved plan (the --format json document written by plan
// --out) and validates it, so a hand-edited or truncated file is refused
// before anything is sent.
func ReadFile(path string) (*Plan, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	if info.Size() > maxPlanFile {
		return nil, fmt.Errorf("read plan file %s: %d bytes is over the %d byte limit", path, info.Size(), maxPlanFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	p, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("plan file %s: %w", path, err)
	}
	return p, nil
}

// Decode parses and validates a saved plan document.
func Decode(data []byte) (*Plan, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("not a pipecat-gitops plan: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not a pipecat-gitops plan: data after the JSON document")
	}
	if p.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("format_version %q is not supported (want %q)", p.FormatVersion, FormatVersion)
	}
	var problems []string
	seen := map[string]bool{}
	for i, c := range p.Changes {
		at := fmt.Sprintf("changes[%d] (%s)", i, c.Agent)
		if !schema.ValidAgentName(c.Agent) {
			problems = append(problems, fmt.Sprintf("%s: invalid agent name", at))
		}
		if seen[c.Agent] {
			problems = append(problems, fmt.Sprintf("%s: agent listed twice", at))
		}
		seen[c.Agent] = true
		if !fingerprintPattern.MatchString(c.Fingerprint) {
			problems = append(problems, fmt.Sprintf("%s: invalid fingerprint", at))
		}
		if (c.Action == Create) != (c.Fingerprint == "absent") {
			problems = append(problems, fmt.Sprintf("%s: fingerprint does not match action %s", at, c.Action))
		}
		switch {
		case c.Action == Delete && c.Desired != nil:
			problems = append(problems, fmt.Sprintf("%s: a delete has no desired spec", at))
		case c.Action != Delete && c.Desired == nil:
			problems = append(problems, fmt.Sprintf("%s: desired spec missing", at))
		case c.Desired != nil:
			for _, msg := range schema.ValidateSpec(c.Desired) {
				problems = append(problems, fmt.Sprintf("%s: desired: %s", at, msg))
			}
		}
		if msg := checkBuildPlan(c, p.Options); msg != "" {
			problems = append(problems, fmt.Sprintf("%s: build: %s", at, msg))
		}
		if c.Desired != nil || c.Action == Delete {
			for _, msg := range checkFields(c, p.Options) {
				problems = append(problems, fmt.Sprintf("%s: %s", at, msg))
			}
		}
	}
	seenSets := map[string]bool{}
	for i, c := range p.SecretSets {
		at := fmt.Sprintf("secret_sets[%d] (%s)", i, c.Name)
		if seenSets[c.Name] {
			problems = append(problems, fmt.Sprintf("%s: secret set listed twice", at))
		}
		seenSets[c.Name] = true
		if !fingerprintPattern.MatchString(c.Fingerprint) {
			problems = append(problems, fmt.Sprintf("%s: invalid fingerprint", at))
		}
		if (c.Action == Create) != (c.Fingerprint == "absent") {
			problems = append(problems, fmt.Sprintf("%s: fingerprint does not match action %s", at, c.Action))
		}
		if c.ValuesCheck != "" && !valuesCheckPattern.MatchString(c.ValuesCheck) {
			problems = append(problems, fmt.Sprintf("%s: invalid values_check", at))
		}
		switch c.Values {
		case "", ValuesChanged, ValuesUnchanged, ValuesUnknown:
		default:
			problems = append(problems, fmt.Sprintf("%s: invalid values %q", at, c.Values))
		}
		if c.Desired != nil && c.Type != c.Desired.Type() {
			problems = append(problems, fmt.Sprintf("%s: type %q is not the desired set's (%s)", at, c.Type, c.Desired.Type()))
		}
		switch {
		case c.Action == Delete && c.Desired != nil:
			problems = append(problems, fmt.Sprintf("%s: a delete has no desired set", at))
		case c.Action != Delete && c.Desired == nil:
			problems = append(problems, fmt.Sprintf("%s: desired set missing", at))
		case c.Desired != nil:
			// A hand-edited plan must not point a set at the API key.
			for _, msg := range schema.ValidateSecretSet(c.Name, c.Desired) {
				problems = append(problems, fmt.Sprintf("%s: desired: %s", at, msg))
			}
		}
	}
	for i, c := range p.Changes {
		switch {
		case c.RestartFor == "":
		case c.Action != Update:
			problems = append(problems, fmt.Sprintf("changes[%d] (%s): restart_for on a %s", i, c.Agent, c.Action))
		case !seenSets[c.RestartFor]:
			problems = append(problems, fmt.Sprintf("changes[%d] (%s): restart_for names no secret set of the plan", i, c.Agent))
		}
	}
	if p.MAC != "" && !valuesCheckPattern.MatchString(p.MAC) {
		problems = append(problems, "invalid mac")
	}
	want := p.Summary
	p.Summarize()
	if want != p.Summary {
		problems = append(problems, "summary does not match the changes (hand-edited?)")
	}
	for i, c := range p.SecretSets {
		for _, msg := range checkSetFields(c, p.HasErrors()) {
			problems = append(problems, fmt.Sprintf("secret_sets[%d] (%s): %s", i, c.Name, msg))
		}
	}
	problems = append(problems, checkTargets(&p)...)
	if c := p.Organization; c != nil {
		if msg := checkOrganization(c); msg != "" {
			problems = append(problems, "organization: "+msg+" (hand-edited?)")
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid plan:\n  %s", strings.Join(problems, "\n  "))
	}
	return &p, nil
}

// checkOrganization says what is wrong with a saved organization change:
// its fields must be what its desired properties set, and an update must
// change one.
func checkOrganization(c *OrganizationChange) string {
	switch {
	case c.Desired == nil:
		return "desired properties missing"
	case c.Action != NoOp && c.Action != Update:
		return fmt.Sprintf("action %s is not no-op or update", c.Action)
	case (c.Action == Update) != (len(c.Fields) > 0):
		return "fields do not match the action"
	}
	for _, f := range c.Fields {
		if f.Path != "defaultRegion" || c.Desired.DefaultRegion == nil || f.After != *c.Desired.DefaultRegion {
			return "fields do not match desired"
		}
	}
	return ""
}
