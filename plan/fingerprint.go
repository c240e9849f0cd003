package plan

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// Fingerprint identifies the live state a change was planned against:
// whether the agent exists and, if so, the normalized values of the fields
// the plan manages (all readable fields for an agent to delete).
// Deployment ids and timestamps are left out on purpose, so redeploying
// the same spec does not make a saved plan stale; changeFingerprint adds
// the deployment for the changes that are nothing but a deployment.
func Fingerprint(desired *schema.Spec, d *cloud.ServiceDetails) string {
	return fingerprint(desired, d, nil)
}

// deploymentKey holds the deployment id among the field values; no field
// path starts with "@".
const deploymentKey = "@desiredDeploymentId"

func fingerprint(desired *schema.Spec, d *cloud.ServiceDetails, deployment *string) string {
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
	if deployment != nil {
		values[deploymentKey] = *deployment
	}
	// json.Marshal sorts map keys, so the encoding is canonical.
	b, err := json.Marshal(values)
	if err != nil {
		panic(fmt.Sprintf("fingerprint: %v", err)) // only strings, ints, bools and nil
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// writeOnlyPaths are the field paths the API never returns.
var writeOnlyPaths = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, f := range schema.AllFields() {
		if f.WriteOnly {
			m[f.Path] = true
		}
	}
	return m
})

// deploysOnly reports whether c is an update that changes no field the
// API returns: a redeploy of a build, a restart for a secret set, a new
// build, a write-only input. Its one visible effect is a new deployment,
// so that is what its fingerprint must cover: otherwise the same saved
// plan would apply again and again.
func deploysOnly(c *Change) bool {
	if c.Action != Update {
		return false
	}
	for _, f := range c.Fields {
		if !writeOnlyPaths()[f.Path] {
			return false
		}
	}
	return true
}

// changeFingerprint is the fingerprint of c against the live agent d:
// Fingerprint of its desired spec, with the agent's desiredDeploymentId
// when c deploysOnly.
func changeFingerprint(c *Change, d *cloud.ServiceDetails) string {
	if d != nil && deploysOnly(c) {
		return fingerprint(c.Desired, d, &d.DesiredDeploymentID)
	}
	return Fingerprint(c.Desired, d)
}

// bindDeployments records in every change that deploysOnly the deployment
// it was planned against, and fingerprints it with it. It runs once the
// actions are final (restarts turns no-ops into updates).
func bindDeployments(changes []Change, details map[string]*cloud.ServiceDetails) {
	for i := range changes {
		c := &changes[i]
		if d := details[c.Agent]; d != nil && deploysOnly(c) {
			c.Deployment = d.DesiredDeploymentID
			c.Fingerprint = changeFingerprint(c, d)
		}
	}
}

// StaleError says what changed between plan and apply: agents and secret
// sets whose live state moved, and secret sets whose values in the
// environment are not those the plan was made with.
type StaleError struct {
	Agents     []string
	SecretSets []string
	Values     []string
	// Organization: the organization's properties moved.
	Organization bool
}

func (e *StaleError) Error() string {
	moved := append([]string(nil), e.Agents...)
	if e.Organization {
		moved = append(moved, "the organization's properties")
	}
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
		if changeFingerprint(&c, live.Details[c.Agent]) != c.Fingerprint {
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
	if c := p.Organization; c != nil {
		got := organizationChange(c.Desired, live.DefaultRegion)
		stale.Organization = got.Action != c.Action || !sameFields(got.Fields, c.Fields)
	}
	if len(stale.Agents)+len(stale.SecretSets)+len(stale.Values) == 0 && !stale.Organization {
		return nil
	}
	sort.Strings(stale.Agents)
	return &stale
}

// checkDerived decides every change of a saved plan again, from its
// desired spec, the live state and the plan's decisions, with the
// functions Diff decides them with (agentChange, restarts, diffSet), and
// refuses the plan where the file says otherwise: show renders the file,
// so what it shows must be what these give. It runs once CheckStale
// passed: every live value those functions read is then covered by a
// fingerprint that matched, so a difference comes from the file (an
// edit, or another version of this tool), not from the live state. The
// one live input no fingerprint covers is the secret set an agent uses
// when the config leaves secretSet unmanaged; its message says so.
func checkDerived(saved *Plan, live *Live, o Options) error {
	do := saved.Options
	do.SecretValue, do.FingerprintKey = o.SecretValue, o.FingerprintKey
	sums := map[string]*cloud.SecretSetSummary{}
	for i := range live.Secrets {
		sums[live.Secrets[i].Name] = &live.Secrets[i]
	}
	var problems []string
	sets := make([]SecretSetChange, len(saved.SecretSets))
	for i, c := range saved.SecretSets {
		got := SecretSetChange{Name: c.Name, Action: Delete, Reason: ReasonPruneSecretSet}
		if c.Desired != nil {
			got, _ = diffSet("", schema.SecretSet{Name: c.Name, Spec: *c.Desired}, sums[c.Name], live.SecretKeys[c.Name], do)
		} else if sum := sums[c.Name]; sum != nil {
			got.Type, got.Region = sum.Type, sum.Region
		}
		sets[i] = got
		if what := setDiffers(c, got); len(what) > 0 {
			problems = append(problems, fmt.Sprintf("secret_sets[%d] (%s): %s not what the desired set and the live set give (hand-edited?)",
				i, c.Name, strings.Join(what, ", ")))
		}
	}
	changes := make([]Change, len(saved.Changes))
	for i, c := range saved.Changes {
		if c.Action == Delete {
			changes[i] = Change{Agent: c.Agent, Action: Delete, Reason: ReasonPrune}
			continue
		}
		wo, buildReason := savedWriteOnly(c, do)
		changes[i] = agentChange(c.Agent, c.Desired, live.Details[c.Agent], wo, buildReason, do)
	}
	restarts(changes, sets, live)
	for i, c := range saved.Changes {
		at, got := fmt.Sprintf("changes[%d] (%s)", i, c.Agent), changes[i]
		switch {
		case c.RestartFor != got.RestartFor:
			// First: a restart turns a no-op into an update, and it is
			// the one decision with an input no fingerprint covers.
			problems = append(problems, fmt.Sprintf("%s: restart_for %q is not what the plan's secret sets and the live agent give (%q) (hand-edited, or the agent's live secret set changed?)",
				at, c.RestartFor, got.RestartFor))
		case c.Action != got.Action || c.Reason != got.Reason:
			problems = append(problems, fmt.Sprintf("%s: %s is not what the desired spec, the live agent and the plan's options give: %s (hand-edited?)",
				at, describe(c), describe(got)))
		case !sameFields(c.Fields, got.Fields):
			problems = append(problems, at+": fields do not match the desired spec against the live agent (hand-edited?)")
		}
		if c.Build != nil && c.Desired != nil {
			def := live.DefaultRegion
			if o := saved.Organization; o != nil && o.Desired != nil && o.Desired.DefaultRegion != nil {
				def = *o.Desired.DefaultRegion
			}
			if want := agentRegion(schema.Agent{Spec: *c.Desired}, live.Details[c.Agent], def); c.Build.Region != want && live.PropertiesErr == nil {
				problems = append(problems, fmt.Sprintf("%s: build: region %s is not the agent's (%s) (hand-edited?)", at, c.Build.Region, want))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid plan:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// savedWriteOnly returns what a saved change took from the base revision,
// which Recheck does not read again: the field changes writeOnly makes
// (buildId, managedKeys, only with a base, each from another value), and
// the reason of a build whose input changed since. Their after values
// are the desired spec's (Decode checks); their before values and the
// reason's text are the base's, taken as saved.
func savedWriteOnly(c Change, o Options) (fields []FieldChange, buildReason string) {
	if o.BaseCommit == "" {
		return nil, ""
	}
	for _, f := range c.Fields {
		if isSentWriteOnly(f.Path) && !reflect.DeepEqual(f.Before, f.After) {
			fields = append(fields, f)
		}
	}
	if b := c.Build; b != nil && (b.Compared == CompareChanged || b.Compared == CompareNew) {
		buildReason = c.Reason
	}
	return fields, buildReason
}

func isSentWriteOnly(path string) bool {
	for _, f := range schema.AllFields() {
		if f.Path == path {
			return sentWriteOnly(f)
		}
	}
	return false
}

// describe is an action and its reason as the text plan shows them.
func describe(c Change) string {
	if c.Reason == "" {
		return c.Action.String()
	}
	return fmt.Sprintf("%s (%s)", c.Action, c.Reason)
}

// setDiffers names what a saved set change says otherwise than got, the
// change decided again (its values check is CheckStale's).
func setDiffers(saved, got SecretSetChange) []string {
	var out []string
	for _, d := range []struct {
		name string
		same bool
	}{
		{"action", saved.Action == got.Action},
		{"type", saved.Type == got.Type},
		{"region", saved.Region == got.Region},
		{"reason", saved.Reason == got.Reason},
		{"keys_added", slices.Equal(saved.KeysAdded, got.KeysAdded)},
		{"keys_removed", slices.Equal(saved.KeysRemoved, got.KeysRemoved)},
		{"values", saved.Values == got.Values},
	} {
		if !d.same {
			out = append(out, d.name)
		}
	}
	if len(out) == 1 {
		out[0] += " is"
	} else if len(out) > 1 {
		out[len(out)-1] += " are"
	}
	return out
}

// planMAC authenticates a plan: HMAC-SHA256, keyed by the API key, of its
// JSON document without the MAC. Decode reads a document back into the
// very value that was encoded, so the encoding of a saved plan read back
// is the one plan keyed. No key, no MAC.
func planMAC(key string, p *Plan) string {
	if key == "" {
		return ""
	}
	q := *p
	q.MAC = ""
	b, err := json.Marshal(q)
	if err != nil {
		panic(fmt.Sprintf("plan mac: %v", err)) // plain data
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("pipecat-gitops plan v1\x00"))
	m.Write(b)
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}

// errNoPlanKey refuses to check a saved plan that cannot be authenticated.
var errNoPlanKey = errors.New("recheck: a saved plan is authenticated with Options.FingerprintKey (the API key)")

// checkMAC refuses a saved plan that plan did not write with key: one
// edited after it was written, however consistently (what Decode and
// checkDerived cannot tell from a plan made for another config), or made
// with another API key.
func checkMAC(p *Plan, key string) error {
	if key == "" {
		return errNoPlanKey
	}
	if !hmac.Equal([]byte(planMAC(key, p)), []byte(p.MAC)) {
		return errors.New("invalid plan: it is not the file plan wrote with this API key (hand-edited, or made with another API key or an older pipecat-gitops); run plan again")
	}
	return nil
}
