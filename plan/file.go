package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// maxPlanFile bounds what ReadFile accepts; a 3,000-agent plan is ~3 MiB.
const maxPlanFile = 64 << 20

var (
	fingerprint        = regexp.MustCompile(`^(absent|sha256:[0-9a-f]{64})$`)
	valuesCheckPattern = regexp.MustCompile(`^hmac-sha256:[0-9a-f]{64}$`)
	contextHash        = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

// checkBuildPlan says what is wrong with the build of a saved change: a
// build agent that deploys needs one, and its paths must stay inside the
// repository, since apply packs them again.
func checkBuildPlan(c Change) string {
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
	case b.Region == "":
		return "no region"
	}
	return ""
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
		if !fingerprint.MatchString(c.Fingerprint) {
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
		if msg := checkBuildPlan(c); msg != "" {
			problems = append(problems, fmt.Sprintf("%s: build: %s", at, msg))
		}
	}
	seenSets := map[string]bool{}
	for i, c := range p.SecretSets {
		at := fmt.Sprintf("secret_sets[%d] (%s)", i, c.Name)
		if seenSets[c.Name] {
			problems = append(problems, fmt.Sprintf("%s: secret set listed twice", at))
		}
		seenSets[c.Name] = true
		if !fingerprint.MatchString(c.Fingerprint) {
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
	want := p.Summary
	p.Summarize()
	if want != p.Summary {
		problems = append(problems, "summary does not match the changes (hand-edited?)")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid plan:\n  %s", strings.Join(problems, "\n  "))
	}
	return &p, nil
}
