package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// Fingerprint identifies the live state a change was planned against:
// whether the agent exists and, if so, the normalized values of the fields
// the plan manages (all readable fields for an agent to delete).
// Deployment ids and timestamps are left out on purpose, so redeploying
// the same spec does not make a saved plan stale.
func Fingerprint(desired *schema.Spec, d *cloud.ServiceDetails) string {
	if d == nil {
		return "absent"
	}
	live := LiveSpec(d)
	values := map[string]any{}
	for _, f := range schema.AllFields() {
		if f.WriteOnly {
			continue
		}
		if desired != nil {
			// The image is covered for a build agent too: it tells a
			// build deployment (redacted) from a plain image.
			if _, managed := desired.Get(f.Path); !managed && !(f.Path == "image" && (desired.BuildID != nil || desired.Build != nil)) {
				continue
			}
		}
		values[f.Path], _ = live.Get(f.Path)
	}
	// json.Marshal sorts map keys, so the encoding is canonical.
	b, err := json.Marshal(values)
	if err != nil {
		panic(fmt.Sprintf("fingerprint: %v", err)) // only strings, ints, bools and nil
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// StaleError says which agents changed between plan and apply.
type StaleError struct {
	Agents []string
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("plan is stale: %s changed since the plan was made; run plan again", strings.Join(e.Agents, ", "))
}

// CheckStale compares every change's fingerprint with the live state read
// now and returns a *StaleError naming each agent whose state moved.
func CheckStale(p *Plan, live *Live) error {
	var stale []string
	for _, c := range p.Changes {
		if Fingerprint(c.Desired, live.Details[c.Agent]) != c.Fingerprint {
			stale = append(stale, c.Agent)
		}
	}
	if len(stale) == 0 {
		return nil
	}
	sort.Strings(stale)
	return &StaleError{Agents: stale}
}
