package plan

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// Secret sets declared in the config are planned like agents, with one
// difference: the API never returns a value, so a change of value cannot
// be read back. Each managed set of type secret therefore holds one more
// key, the marker, whose name carries a fingerprint of the set's declared
// values:
//
//	PIPECAT_GITOPS_FP_<keyid>_<digest>
//
// keyid is the first 8 hex digits of HMAC-SHA256(K, "pipecat-gitops key
// id v1") and digest the first 32 of HMAC-SHA256(K, canonical(set name,
// sorted KEY=value pairs)), where K is the API key (Options.FingerprintKey).
// Without K the name says nothing about the values, not even whether two
// sets hold the same ones (the set's name is in the digest). A marker of
// another keyid was written with another API key (a rotation): the plan
// cannot compare it and says "unknown". The name is 59 characters, under
// the API's 64, and the value is a fixed harmless string: agents get the
// marker as an environment variable.
//
// The marker, like every value, hash and length, never leaves this
// package and apply: plans list keys by name with the marker filtered out.
//
// Image pull sets hold one value and cannot be read at all (GET answers
// 400), so they carry no marker: an existing one is always "unknown" and
// left alone, unless Options.UpdateImagePullSecrets asks to send its
// value again. That keeps --detailed-exitcode quiet on every plan.

// MarkerPrefix starts the name of the fingerprint key of a set.
const MarkerPrefix = schema.ReservedKeyPrefix + "FP_"

// markerValue is the value of the marker key, which agents see as an
// environment variable: it says what it is, and nothing else.
const markerValue = "pipecat-gitops: this key's name fingerprints the set's values"

// What a plan says of the values of an existing set.
const (
	ValuesChanged   = "changed"
	ValuesUnchanged = "unchanged"
	ValuesUnknown   = "unknown"
)

// SecretSetChange is the plan for one secret set. It names keys, never
// values, and never the marker.
type SecretSetChange struct {
	Name   string `json:"name"`
	Action Action `json:"action"`
	// Type and Region are the declared ones (the live ones for a delete).
	Type   string `json:"type"`
	Region string `json:"region"`
	// Reason explains a replace, a delete, or an update that Values and
	// the keys do not explain.
	Reason string `json:"reason,omitempty"`
	// KeysAdded and KeysRemoved name the keys that a create or replace
	// writes (all of them) or an update adds and removes.
	KeysAdded   []string `json:"keys_added,omitempty"`
	KeysRemoved []string `json:"keys_removed,omitempty"`
	// Values says whether the declared values differ from the live ones
	// (ValuesChanged, ValuesUnchanged or ValuesUnknown); empty for a
	// create, replace or delete.
	Values string `json:"values,omitempty"`
	// Desired is what apply writes; nil for a delete.
	Desired *schema.SecretSetSpec `json:"desired,omitempty"`
	// Fingerprint identifies the live set this change was planned against
	// (existence, type, region and key names), as Change.Fingerprint does
	// for an agent.
	Fingerprint string `json:"fingerprint"`
	// ValuesCheck is an HMAC-SHA256, keyed by the API key, of the values
	// the plan was made with (not the marker's digest); apply of a saved
	// plan refuses to run when the environment now holds other values.
	// Empty when the plan could not read them all, and for an image pull
	// set the plan leaves alone (nothing is sent or judged from them).
	ValuesCheck string `json:"values_check,omitempty"`
	// Line is the line of the set's key in the config (0 for a delete).
	Line int `json:"line,omitempty"`
}

// contentChanged reports whether the agents using the set would see other
// values after apply: values or keys changed.
func (c *SecretSetChange) contentChanged() bool {
	return c.Action == Update && (c.Values == ValuesChanged || len(c.KeysAdded)+len(c.KeysRemoved) > 0)
}

// Reasons of secret set changes and of the agent updates they cause.
const (
	ReasonPruneSecretSet   = "not in the config and prune.secretSets is enabled"
	ReasonUpdateImagePull  = "--update-image-pull-secrets sends the credentials again"
	reasonValuesUnknown    = "values unknown: no fingerprint of this API key in the set; apply writes them and records one"
	reasonProvisionFailure = "provisioning failed: %s; apply sends the set again"
)

// RestartReason is the reason of an agent update caused by restartOnChange.
func RestartReason(set string) string { return "secret set " + set + " values changed" }

// keyID identifies the API key a marker was made with.
func keyID(key string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("pipecat-gitops key id v1"))
	return hex.EncodeToString(m.Sum(nil))[:8]
}

// valuesMAC is HMAC-SHA256(key, label + canonical encoding of the set),
// in hex. The JSON encoding of a struct of strings and string lists is
// unambiguous, and keys are sorted, so equal sets give equal MACs.
func valuesMAC(key, label, name string, s *schema.SecretSetSpec, values map[string]string) string {
	c := struct {
		Label, Set, Type, Host string
		Keys, Values           []string
	}{Label: label, Set: name, Type: s.Type()}
	if p := s.ImagePull; p != nil {
		c.Host, c.Values = p.Host, []string{values[p.FromEnv]}
	}
	for _, k := range s.Keys() {
		c.Keys = append(c.Keys, k)
		c.Values = append(c.Values, values[s.Secrets[k].FromEnv])
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprintf("secret set fingerprint: %v", err)) // strings only
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}

// Marker is the name of the fingerprint key of a set holding values.
func Marker(key, name string, s *schema.SecretSetSpec, values map[string]string) string {
	return MarkerPrefix + keyID(key) + "_" + valuesMAC(key, "pipecat-gitops values v1", name, s, values)[:32]
}

// valuesCheck is what a saved plan records of the values: a MAC of its
// own label, so the file never holds the marker's digest.
func valuesCheck(key, name string, s *schema.SecretSetSpec, values map[string]string) string {
	return "hmac-sha256:" + valuesMAC(key, "pipecat-gitops plan check v1", name, s, values)
}

// IsMarker reports whether a live key is a fingerprint key.
func IsMarker(key string) bool { return strings.HasPrefix(key, MarkerPrefix) }

// SecretValues reads the values of a set from lookup. missing lists, in
// the order of the set's keys, the variables that are unset or empty (in
// GitHub Actions an unmapped or unavailable secret is empty).
func SecretValues(s *schema.SecretSetSpec, lookup func(string) (string, bool)) (values map[string]string, missing []string) {
	values = map[string]string{}
	read := func(env string) {
		v, ok := "", false
		if lookup != nil {
			v, ok = lookup(env)
		}
		if !ok || v == "" {
			if !slices.Contains(missing, env) {
				missing = append(missing, env)
			}
			return
		}
		values[env] = v
	}
	if p := s.ImagePull; p != nil {
		read(p.FromEnv)
	}
	for _, k := range s.Keys() {
		read(s.Secrets[k].FromEnv)
	}
	return values, missing
}

// SecretSetRequest is the body of the PUT that writes the whole set:
// every declared key and, for a set of type secret, the marker.
func SecretSetRequest(key, name string, s *schema.SecretSetSpec, values map[string]string) (req *cloud.SecretSetRequest, marker string) {
	req = &cloud.SecretSetRequest{Region: s.Region}
	if p := s.ImagePull; p != nil {
		req.IsImagePullSecret, req.Host, req.SecretValue = true, p.Host, values[p.FromEnv]
		return req, ""
	}
	for _, k := range s.Keys() {
		req.Secrets = append(req.Secrets, cloud.SecretKeyValue{SecretKey: k, SecretValue: values[s.Secrets[k].FromEnv]})
	}
	marker = Marker(key, name, s, values)
	req.Secrets = append(req.Secrets, cloud.SecretKeyValue{SecretKey: marker, SecretValue: markerValue})
	return req, marker
}

// SetFingerprint identifies a live set for staleness: whether it exists,
// its type, region and key names (the marker's too, so a change of values
// by another apply is seen), and whether its provisioning failed (with
// the API's message), which decides a resend; never its values, nor a
// status of pending or ready, which only says how far provisioning got.
func SetFingerprint(sum *cloud.SecretSetSummary, d *cloud.SecretSetDetails) string {
	if sum == nil {
		return "absent"
	}
	v := struct {
		Type, Region string
		Keys         []string
		// Omitted unless failed: the fingerprint of any other set is
		// what it was before failures counted.
		Failed *string `json:",omitempty"`
	}{Type: sum.Type, Region: sum.Region}
	if sum.Status == cloud.SecretStatusFailed {
		v.Failed = &sum.ErrorMessage
	}
	if d != nil {
		for _, k := range d.Secrets {
			v.Keys = append(v.Keys, k.FieldName)
		}
		sort.Strings(v.Keys)
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("secret set fingerprint: %v", err))
	}
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}

// setsInScope are the declared sets a plan covers: all of them, or in a
// targeted plan those the targeted agents reference.
func setsInScope(cfg *schema.Config, o Options) []schema.SecretSet {
	if len(o.Targets) == 0 {
		return cfg.SecretSets
	}
	used := map[string]bool{}
	for _, a := range cfg.Agents {
		if !o.targeted(a.Name) {
			continue
		}
		for _, ref := range []*string{a.Spec.SecretSet, a.Spec.ImagePullSecretSet} {
			if ref != nil {
				used[*ref] = true
			}
		}
	}
	var out []schema.SecretSet
	for _, s := range cfg.SecretSets {
		if used[s.Name] {
			out = append(out, s)
		}
	}
	return out
}

// diffSecretSets plans every declared set in scope and, with
// prune.secretSets in a whole plan, the deletes; it returns the findings
// about the sets (values that cannot be read, unknown regions, refused
// replaces and deletes).
func diffSecretSets(cfg *schema.Config, live *Live, o Options) ([]SecretSetChange, []Finding) {
	sums := map[string]*cloud.SecretSetSummary{}
	for i := range live.Secrets {
		sums[live.Secrets[i].Name] = &live.Secrets[i]
	}
	var changes []SecretSetChange
	var findings []Finding
	declared := map[string]bool{}
	for _, s := range cfg.SecretSets {
		declared[s.Name] = true
	}
	for _, s := range setsInScope(cfg, o) {
		c, fs := diffSet(cfg.File, s, sums[s.Name], live.SecretKeys[s.Name], o)
		changes = append(changes, c)
		findings = append(findings, fs...)
		if live.RegionsErr == nil && !regionKnown(live.Regions, s.Spec.Region) {
			findings = append(findings, setFinding(cfg.File, s, "region", "region %q is not available (available: %s)", s.Spec.Region, regionCodes(live.Regions)))
		}
	}
	if cfg.Prune.SecretSets && len(o.Targets) == 0 {
		for _, sum := range live.Secrets {
			if declared[sum.Name] {
				continue
			}
			changes = append(changes, SecretSetChange{Name: sum.Name, Action: Delete, Type: sum.Type, Region: sum.Region,
				Reason: ReasonPruneSecretSet, Fingerprint: SetFingerprint(&sum, live.SecretKeys[sum.Name])})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Name < changes[j].Name })
	return changes, findings
}

func diffSet(file string, s schema.SecretSet, sum *cloud.SecretSetSummary, d *cloud.SecretSetDetails, o Options) (SecretSetChange, []Finding) {
	spec := s.Spec
	c := SecretSetChange{Name: s.Name, Type: spec.Type(), Region: spec.Region, Desired: &spec,
		Line: s.Pos.Line, Fingerprint: SetFingerprint(sum, d)}
	values, missing := SecretValues(&spec, o.SecretValue)
	var findings []Finding
	for _, env := range missing {
		findings = append(findings, missingValue(file, s, env))
	}
	// The API key in a set would give every agent, and everyone who can
	// deploy one, the organization. (The sandbox's key, "sandbox", is no
	// credential and shorter than any real key.)
	if key := o.FingerprintKey; len(key) >= 8 {
		for _, env := range slices.Sorted(maps.Keys(values)) {
			if values[env] == key {
				findings = append(findings, sourceFinding(file, s, env, "the value of %s is the Pipecat API key (PIPECAT_API_KEY); a secret set must not carry it to every agent", env))
			}
		}
	}
	known := len(missing) == 0
	if known {
		c.ValuesCheck = valuesCheck(o.FingerprintKey, s.Name, &spec, values)
	}
	switch {
	case sum == nil:
		c.Action, c.KeysAdded = Create, spec.Keys()
		return c, findings
	case sum.Type != c.Type:
		c.Action, c.KeysAdded = Replace, spec.Keys()
		c.Reason = fmt.Sprintf("type %s -> %s cannot change in place", sum.Type, c.Type)
		return c, findings
	case sum.Region != "" && sum.Region != spec.Region:
		c.Action, c.KeysAdded = Replace, spec.Keys()
		c.Reason = fmt.Sprintf("region %s -> %s cannot change in place", sum.Region, spec.Region)
		return c, findings
	}
	if spec.ImagePull != nil {
		c.Values = ValuesUnknown
		switch {
		case sum.Status == cloud.SecretStatusFailed:
			c.Action, c.Reason = Update, fmt.Sprintf(reasonProvisionFailure, orNoMessage(sum.ErrorMessage))
		case o.UpdateImagePullSecrets:
			c.Action, c.Reason = Update, ReasonUpdateImagePull
		default:
			// Nothing is sent and nothing judged from the values.
			c.ValuesCheck = ""
		}
		return c, findings
	}

	var live []string
	var markers []string
	if d != nil {
		for _, k := range d.Secrets {
			if IsMarker(k.FieldName) {
				markers = append(markers, k.FieldName)
			} else {
				live = append(live, k.FieldName)
			}
		}
	}
	want := spec.Keys()
	for _, k := range want {
		if !slices.Contains(live, k) {
			c.KeysAdded = append(c.KeysAdded, k)
		}
	}
	for _, k := range live {
		if !slices.Contains(want, k) {
			c.KeysRemoved = append(c.KeysRemoved, k)
		}
	}
	sort.Strings(c.KeysRemoved)
	c.Values = ValuesUnknown
	if len(markers) == 1 && known && strings.HasPrefix(markers[0], MarkerPrefix+keyID(o.FingerprintKey)+"_") {
		c.Values = ValuesChanged
		if markers[0] == Marker(o.FingerprintKey, s.Name, &spec, values) {
			c.Values = ValuesUnchanged
		}
	}
	switch {
	case sum.Status == cloud.SecretStatusFailed:
		c.Action, c.Reason = Update, fmt.Sprintf(reasonProvisionFailure, orNoMessage(sum.ErrorMessage))
	case len(c.KeysAdded)+len(c.KeysRemoved) > 0:
		c.Action = Update
	case c.Values == ValuesChanged:
		c.Action = Update
	case c.Values == ValuesUnknown:
		// No fingerprint this key can read (a set made by hand, or
		// written with another API key): write the values, so that the
		// next plan can tell.
		c.Action, c.Reason = Update, reasonValuesUnknown
	}
	return c, findings
}

func orNoMessage(s string) string {
	if s == "" {
		return "no message"
	}
	return s
}

// setFinding is an error about one declared set, at the position of the
// field (relative to the set) it is about.
func setFinding(file string, s schema.SecretSet, field, format string, args ...any) Finding {
	f := Finding{Severity: Error, Field: "secretSets." + s.Name + "." + field, File: file, Message: fmt.Sprintf(format, args...)}
	pos, ok := s.FieldPos[field]
	if !ok {
		pos = s.Pos
	}
	f.Line, f.Col = pos.Line, pos.Col
	return f
}

// sourceFinding is an error about a fromEnv variable, at each place the
// set names it.
func sourceFinding(file string, s schema.SecretSet, env, format string, args ...any) Finding {
	field := "imagePull.fromEnv"
	if p := s.Spec.ImagePull; p == nil || p.FromEnv != env {
		for _, k := range s.Spec.Keys() {
			if s.Spec.Secrets[k].FromEnv == env {
				field = "secrets." + k + ".fromEnv"
				break
			}
		}
	}
	return setFinding(file, s, field, format, args...)
}

func missingValue(file string, s schema.SecretSet, env string) Finding {
	return sourceFinding(file, s, env, "environment variable %s is not set or empty: it holds a value of this secret set (in GitHub Actions, map the repository secret into the step's env:)", env)
}

func regionKnown(regions []cloud.Region, code string) bool {
	for _, r := range regions {
		if r.Code == code {
			return true
		}
	}
	return false
}

func regionCodes(regions []cloud.Region) string {
	codes := make([]string, len(regions))
	for i, r := range regions {
		codes[i] = r.Code
	}
	sort.Strings(codes)
	return strings.Join(codes, ", ")
}

// setRefusals are the set changes the plan's guards do not allow: a
// replace without --allow-replace or replace.allowed, and a delete of a
// set that a live or declared agent still uses.
func setRefusals(cfg *schema.Config, changes []SecretSetChange, agentChanges []Change, live *Live, o Options) []Finding {
	declared := map[string]schema.SecretSet{}
	for _, s := range cfg.SecretSets {
		declared[s.Name] = s
	}
	var out []Finding
	for _, c := range changes {
		switch c.Action {
		case Replace:
			if o.AllowReplace || matchAny(cfg.Replace.Allowed, c.Name) {
				continue
			}
			s := declared[c.Name]
			field := "region"
			if strings.HasPrefix(c.Reason, "type") {
				field = "secrets"
				if s.Spec.ImagePull != nil {
					field = "imagePull"
				}
			}
			f := setFinding(cfg.File, s, field, "replace needs --allow-replace (or the set in replace.allowed): %s; replacing deletes the set and its values and creates it again", c.Reason)
			f.Kind = KindRefusal
			out = append(out, f)
		case Delete:
			if users := setUsers(c.Name, cfg, agentChanges, live); len(users) > 0 {
				out = append(out, Finding{Severity: Error, Kind: KindRefusal, Field: "prune.secretSets", File: cfg.File,
					Message: fmt.Sprintf("secret set %s is not in the config, but agent %s still uses it: prune would break it; declare the set or stop using it first", c.Name, strings.Join(users, ", "))})
			}
		}
	}
	return out
}

// setUsers lists the agents that use a set after this plan: declared
// agents whose desired spec (or, when it leaves the field unmanaged, live
// spec) names it, and live agents the plan does not delete.
func setUsers(set string, cfg *schema.Config, changes []Change, live *Live) []string {
	deleted := map[string]bool{}
	for _, c := range changes {
		if c.Action == Delete {
			deleted[c.Agent] = true
		}
	}
	users := map[string]bool{}
	declared := map[string]bool{}
	for _, a := range cfg.Agents {
		declared[a.Name] = true
		if slices.Contains(agentSets(&a.Spec, live.Details[a.Name]), set) {
			users[a.Name] = true
		}
	}
	for name, d := range live.Details {
		if declared[name] || deleted[name] {
			continue
		}
		if slices.Contains(agentSets(nil, d), set) {
			users[name] = true
		}
	}
	out := make([]string, 0, len(users))
	for name := range users {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// agentSets names the secret sets an agent uses: the desired ones where
// the config manages the field, else the live ones.
func agentSets(desired *schema.Spec, d *cloud.ServiceDetails) []string {
	var live schema.Spec
	if d != nil {
		live = LiveSpec(d)
	}
	var out []string
	pick := func(want, have *string) {
		if want != nil {
			out = append(out, *want)
		} else if have != nil {
			out = append(out, *have)
		}
	}
	if desired == nil {
		desired = &schema.Spec{}
	}
	pick(desired.SecretSet, live.SecretSet)
	pick(desired.ImagePullSecretSet, live.ImagePullSecretSet)
	return out
}

// restarts turns into updates the agents that use a set whose values or
// keys change, when the set asks for it (restartOnChange): a running
// agent keeps the environment it started with. An agent already updated
// is forced to redeploy too. An agent whose desired spec leaves secretSet
// unmanaged uses its live one.
func restarts(changes []Change, sets []SecretSetChange, live *Live) {
	restart := map[string]bool{}
	for _, c := range sets {
		if c.Desired != nil && c.Desired.RestartOnChange && c.contentChanged() {
			restart[c.Name] = true
		}
	}
	if len(restart) == 0 {
		return
	}
	for i := range changes {
		c := &changes[i]
		if c.Action != NoOp && c.Action != Update {
			continue
		}
		set := c.Desired.SecretSet
		if d := live.Details[c.Agent]; set == nil && d != nil {
			set = LiveSpec(d).SecretSet
		}
		if set == nil || !restart[*set] {
			continue
		}
		if c.Action == NoOp {
			c.Action, c.Reason = Update, RestartReason(*set)
		}
		c.RestartFor = *set
	}
}
