package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/google/go-cmp/cmp"
)

// maxPlanFile bounds what ReadFile accepts; a 3,000-agent plan is ~3 MiB.
const maxPlanFile = 64 << 20

var (
	agentName   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])$`)
	fingerprint = regexp.MustCompile(`^(absent|sha256:[0-9a-f]{64})$`)
)

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
		if !agentName.MatchString(c.Agent) || len(c.Agent) > 54 {
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
			for _, msg := range validateSpec(c.Desired) {
				problems = append(problems, fmt.Sprintf("%s: desired.%s", at, msg))
			}
		}
	}
	want := p.Summary
	p.Summarize()
	if diff := cmp.Diff(want, p.Summary); diff != "" {
		problems = append(problems, "summary does not match the changes (hand-edited?)")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid plan:\n  %s", strings.Join(problems, "\n  "))
	}
	return &p, nil
}

// validateSpec checks a spec against the same rules as the config schema,
// so a saved plan can never make apply send what validate would refuse.
func validateSpec(s *Spec) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if (s.Image == nil) == (s.BuildID == nil) {
		bad("exactly one of image and buildId is required")
	}
	if s.Image != nil && !ImageHasTag(*s.Image) {
		bad("image: %q has no tag or digest", *s.Image)
	}
	oneOf := func(name string, v *string, allowed ...string) {
		if v == nil {
			return
		}
		for _, a := range allowed {
			if *v == a {
				return
			}
		}
		bad("%s: %q is not one of %s", name, *v, strings.Join(allowed, ", "))
	}
	oneOf("nodeType", s.NodeType, "arm")
	oneOf("agentProfile", s.AgentProfile, "agent-1x", "agent-2x", "agent-3x")
	if s.KrispViva != nil {
		oneOf("krispViva.audioFilter", s.KrispViva.AudioFilter, "tel", "pro")
	}
	within := func(name string, v *int, lo, hi int) {
		if v != nil && (*v < lo || *v > hi) {
			bad("%s: %d is not between %d and %d", name, *v, lo, hi)
		}
	}
	within("maxSessionDuration", s.MaxSessionDuration, 60, 14400)
	if a := s.AutoScaling; a != nil {
		within("autoScaling.minAgents", a.MinAgents, 0, 50)
		within("autoScaling.maxAgents", a.MaxAgents, 1, 50)
		if a.MinAgents != nil && a.MaxAgents != nil && *a.MinAgents > *a.MaxAgents {
			bad("autoScaling: minAgents %d is greater than maxAgents %d", *a.MinAgents, *a.MaxAgents)
		}
	}
	return out
}

// ImageHasTag reports whether an image reference names a tag or a digest
// (the registry's port, as in host:5000/app, is not a tag).
func ImageHasTag(image string) bool {
	if strings.Contains(image, "@") {
		return true
	}
	last := image[strings.LastIndex(image, "/")+1:]
	i := strings.LastIndex(last, ":")
	return i > 0 && i < len(last)-1
}
