package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
)

// Previews is the previews key: preview agents per pull request.
type Previews struct {
	Enabled bool
	// Agents holds path.Match globs of the agents that get previews;
	// empty: every agent.
	Agents []string
	// Overrides are the settings that replace the agent's own in its
	// previews (merged as defaults are, the other way round); OverridePos
	// maps their paths ("secretSet") to where they are written.
	Overrides   Spec
	OverridePos map[string]Position
	// MaxAgents is the most previews one pull request may have; 0 when
	// unset (see Max).
	MaxAgents int
	// AllowProductionSecrets lets a preview use a secret set that a
	// declared agent uses.
	AllowProductionSecrets bool
	// Pos is where the previews key is.
	Pos Position
}

// DefaultMaxPreviews is previews.maxAgents when unset.
const DefaultMaxPreviews = 5

// Max is the most previews one pull request may have.
func (p Previews) Max() int {
	if p.MaxAgents > 0 {
		return p.MaxAgents
	}
	return DefaultMaxPreviews
}

// MaxAgentName is the longest agent name the API takes.
const MaxAgentName = 54

// previewSuffix matches the reserved end of a preview agent's name.
var previewSuffix = regexp.MustCompile(`-pr([0-9]+)$`)

// PreviewPR reports whether name is a preview agent's name (it ends in
// -pr<digits>) and of which pull request. Such names are reserved: no
// declared agent may have one, and plan, apply and import leave them to
// the preview command.
func PreviewPR(name string) (int, bool) {
	m := previewSuffix.FindStringSubmatch(name)
	if m == nil || len(m[0]) == len(name) {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, false // more digits than an int holds: not a pull request
	}
	return n, true
}

// PreviewName is the name of agent's preview for pull request pr:
// NAME-prN. When that is longer than MaxAgentName, NAME is cut and the
// first 4 hex digits of the SHA-256 of the whole NAME follow it
// (NAME[:k]-hhhh-prN), so that two long names with the same start still
// get distinct previews; hyphens at the cut are dropped.
func PreviewName(agent string, pr int) string {
	suffix := "-pr" + strconv.Itoa(pr)
	if len(agent)+len(suffix) <= MaxAgentName {
		return agent + suffix
	}
	sum := sha256.Sum256([]byte(agent))
	tail := "-" + hex.EncodeToString(sum[:2]) + suffix
	return strings.TrimRight(agent[:MaxAgentName-len(tail)], "-") + tail
}
