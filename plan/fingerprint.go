package plan

import (
	"crypto/hmac"
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

// StaleError says what changed between plan and apply: agents and secret
// sets whose live state moved, and secret sets whose values in the
// environment are not those the plan was made with.
type StaleError struct {
	Agents     []string
	SecretSets []string
	Values     []string
}

func (e *StaleError) Error() string {
	moved := append([]string(nil), e.Agents...)
	for _, s := range e.SecretSets {
		moved = append(moved, "secret set "+s)
	}
	var parts []string
	if len(moved) > 0 {
		parts = append(parts, strings.Join(moved, ", ")+" changed since the plan was made")
	}
	if len(e.Values) > 0 {
		parts = append(parts, "the environment holds other values for secret set "+strings.Join(e.Values, ", ")+" than the plan was made with")
	}
	return "plan is stale: " + strings.Join(parts, "; ") + "; run plan again"
}

// CheckStale compares every change's fingerprint with the live state read
// now and returns a *StaleError naming each agent and secret set whose
// state moved, and each set whose values (read with o.SecretValue, keyed
// with o.FingerprintKey) are not those the plan recorded. A value that is
// no longer set at all is an error of its own.
func CheckStale(p *Plan, live *Live, o Options) error {
	var stale StaleError
	for _, c := range p.Changes {
		if Fingerprint(c.Desired, live.Details[c.Agent]) != c.Fingerprint {
			stale.Agents = append(stale.Agents, c.Agent)
		}
	}
	sums := map[string]*cloud.SecretSetSummary{}
	for i := range live.Secrets {
		sums[live.Secrets[i].Name] = &live.Secrets[i]
	}
	for _, c := range p.SecretSets {
		if SetFingerprint(sums[c.Name], live.SecretKeys[c.Name]) != c.Fingerprint {
			stale.SecretSets = append(stale.SecretSets, c.Name)
		}
		if c.Desired == nil || c.ValuesCheck == "" {
			continue
		}
		values, missing := SecretValues(c.Desired, o.SecretValue)
		if len(missing) > 0 {
			return fmt.Errorf("secret set %s: environment variable %s is not set or empty; apply needs the values the plan was made with", c.Name, strings.Join(missing, ", "))
		}
		if !hmac.Equal([]byte(valuesCheck(o.FingerprintKey, c.Name, c.Desired, values)), []byte(c.ValuesCheck)) {
			stale.Values = append(stale.Values, c.Name)
		}
	}
	if len(stale.Agents)+len(stale.SecretSets)+len(stale.Values) == 0 {
		return nil
	}
	sort.Strings(stale.Agents)
	return &stale
}
