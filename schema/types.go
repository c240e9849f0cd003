package schema

import "sort"

// Config is a loaded, validated pipecat.yaml with defaults merged into every
// agent.
type Config struct {
	// File is the path the config was read from, as given.
	File    string
	Version int
	// Agents are sorted by name.
	Agents []Agent
	// SecretSets are sorted by name.
	SecretSets []SecretSet
	Prune      Prune
	Replace    Replace
	// Organization is nil when the file has no organization key: its
	// properties are then never touched.
	Organization *Organization
	// Previews configures preview agents per pull request (the preview
	// command); the zero value is off.
	Previews Previews
}

// Organization is the organization's managed properties. A nil field is
// unmanaged.
type Organization struct {
	// DefaultRegion is where the API puts an agent, secret set or build
	// that names no region (the defaultRegion property).
	DefaultRegion *string `json:"defaultRegion,omitempty"`
	// Pos is where the organization key is; DefaultRegionPos where its
	// value is.
	Pos              Position `json:"-"`
	DefaultRegionPos Position `json:"-"`
}

// Prune says whether live agents missing from the file are deleted.
type Prune struct {
	Enabled bool
	// Ignore holds path.Match globs of agent names never deleted.
	Ignore []string
	// MaxDeletes, when set, is the most deletes one plan may hold;
	// MaxDeletesPos is where its value is written.
	MaxDeletes    *int
	MaxDeletesPos Position
	// SecretSets deletes live secret sets not declared under secretSets;
	// separate from Enabled, and off by default.
	SecretSets bool
}

// Replace says which agents and secret sets may be replaced when their
// region (or a set's type) changes.
type Replace struct {
	// Allowed holds path.Match globs of agent and secret set names.
	Allowed []string
}

// Agent is one declared agent: its name, its desired Spec after defaults
// are merged, and where each of its values was written.
type Agent struct {
	Name string
	Spec Spec
	// Protect refuses plans that delete or replace the agent.
	Protect bool

	// Pos is where the agent's key is in the file.
	Pos Position
	// FieldPos maps a field path relative to the agent ("secretSet",
	// "autoScaling.maxAgents") to the position of its value, whether it was
	// written under the agent or under defaults. Findings use it.
	FieldPos map[string]Position
}

// Spec is an agent's settings: the one definition of the agent fields,
// used by the loader, the plan (desired and normalized live state, saved
// plans), the request mapping and import. Its JSON names are the config's.
//
// Every leaf is a pointer. nil means unmanaged (left out of the file and
// of defaults): neither sent to the API nor diffed. The exception is a
// leaf whose JSON tag has no omitempty (krispViva.audioFilter): inside a
// managed object it is always managed, and nil means JSON null.
//
// The tags are the field table (read by Fields and AllFields; the tag on
// an object field applies to each of its leaves):
//   - wire: the name in create and update requests, relative to the
//     parent object's; "-" for a field never sent as such; left out, the
//     config's name.
//   - live: where GET /v1/agents/{name} carries it, a dotted JSON path
//     (a number indexes an array); alternatives are separated by "|",
//     the first present wins. A field without one is write-only.
//   - default: the value the platform applies when the answer leaves the
//     field out; without one an absent field reads as unmanaged (nil).
//   - diff: "immutable" for a field an update cannot change (a change
//     replaces the agent); write-only follows from a missing live tag.
//   - pcc: the pcc-deploy.toml key import --from-pcc-deploy maps to it.
//
// Adding a field: add it here with its tags and to pipecat.schema.json
// ($defs/settings), add its wire field to cloud/types.go, emulate it in
// internal/sandbox/agentspec.go. The wire mapping, diff, fingerprints,
// saved plans, import and the docs pick it up from here.
type Spec struct {
	Image   *string `json:"image,omitempty" live:"deployment.manifest.spec.image" pcc:"image"`
	BuildID *string `json:"buildId,omitempty" pcc:"build_id"`
	// Build is never sent as such: apply builds the context in the cloud
	// and sends the resulting buildId (see package plan).
	Build              *BuildSource `json:"build,omitempty" wire:"-"`
	Region             *string      `json:"region,omitempty" live:"region" diff:"immutable" pcc:"region"`
	NodeType           *string      `json:"nodeType,omitempty" live:"deployment.manifest.spec.dailyNodeType"`
	AgentProfile       *string      `json:"agentProfile,omitempty" live:"agentProfile" pcc:"agent_profile"`
	ImagePullSecretSet *string      `json:"imagePullSecretSet,omitempty" live:"deployment.manifest.spec.imagePullSecretName" pcc:"image_credentials"`
	SecretSet          *string      `json:"secretSet,omitempty" live:"deployment.manifest.spec.envFromSecretNames.0" pcc:"secret_set"`
	AutoScaling        *AutoScaling `json:"autoScaling,omitempty"`
	KrispViva          *KrispViva   `json:"krispViva,omitempty"`
	EnableKrisp        *bool        `json:"enableKrisp,omitempty" live:"deployment.manifest.spec.krispModels.enabled" default:"false" pcc:"enable_krisp"`
	MaxSessionDuration *int         `json:"maxSessionDuration,omitempty" live:"deployment.manifest.spec.maxSessionDurationSeconds" default:"7200" pcc:"max_session_duration"`
	ManagedKeys        *bool        `json:"managedKeys,omitempty" wire:"enableIntegratedKeysProxy" pcc:"enable_managed_keys"`
	// WebsocketAuth guards the agent's WebSocket sessions: "token"
	// requires the HMAC session token. Security-relevant: plans show it.
	WebsocketAuth *string `json:"websocketAuth,omitempty" pcc:"websocket_auth"`
}

// BuildSource is a directory of the repository to build the agent's image
// from in Pipecat Cloud. Context is relative to the config file's
// directory; Dockerfile is relative to the context (as docker compose and
// the API's dockerfilePath have it), "Dockerfile" when nil.
type BuildSource struct {
	Context    *string `json:"context,omitempty"`
	Dockerfile *string `json:"dockerfile,omitempty"`
}

// AutoScaling bounds the agent's replicas. Either bound may be unmanaged.
type AutoScaling struct {
	MinAgents *int `json:"minAgents,omitempty" live:"autoScaling.minReplicas|deployment.manifest.spec.autoScaling.minReplicas" pcc:"scaling.min_agents"`
	MaxAgents *int `json:"maxAgents,omitempty" live:"autoScaling.maxReplicas|deployment.manifest.spec.autoScaling.maxReplicas" pcc:"scaling.max_agents"`
}

// KrispViva is present when the file manages Krisp VIVA; a nil AudioFilter
// is YAML null and disables it.
type KrispViva struct {
	AudioFilter *string `json:"audioFilter" live:"krispViva.audioFilter" pcc:"krisp_viva.audio_filter"`
}

// Position is a 1-based line and column in a file.
type Position struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

// Secret set types, as the API names them.
const (
	SecretTypeSecret          = "secret"
	SecretTypeImagePullSecret = "imagePullSecret"
)

// SecretSet is one declared secret set: its name, its desired
// SecretSetSpec, and where each of its keys was written.
type SecretSet struct {
	Name string
	Spec SecretSetSpec
	// Pos is where the set's key is in the file.
	Pos Position
	// FieldPos maps a path relative to the set ("region",
	// "secrets.OPENAI_API_KEY.fromEnv", "imagePull.fromEnv") to the
	// position of its value; a key's own path ("secrets.OPENAI_API_KEY")
	// maps to the position of the key. Findings use it.
	FieldPos map[string]Position
}

// SecretSetSpec is a secret set as the config declares it: names of
// environment variables, never values. Its JSON names are the config's;
// a saved plan holds it as written here.
type SecretSetSpec struct {
	Region string `json:"region"`
	// Secrets maps each key of a set of type secret to the variable
	// holding its value; nil for an image pull set.
	Secrets map[string]SecretSource `json:"secrets,omitempty"`
	// ImagePull is set for a set of type imagePullSecret.
	ImagePull *ImagePull `json:"imagePull,omitempty"`
	// RestartOnChange redeploys the agents using the set when its values
	// change.
	RestartOnChange bool `json:"restartOnChange,omitempty"`
}

// SecretSource names the environment variable holding one value.
type SecretSource struct {
	FromEnv string `json:"fromEnv"`
}

// ImagePull is the registry credential of an image pull secret set.
type ImagePull struct {
	Host    string `json:"host"`
	FromEnv string `json:"fromEnv"`
}

// Type is the set's API type: SecretTypeImagePullSecret when ImagePull is
// set, else SecretTypeSecret.
func (s *SecretSetSpec) Type() string {
	if s.ImagePull != nil {
		return SecretTypeImagePullSecret
	}
	return SecretTypeSecret
}

// Keys returns the keys of a set of type secret, sorted (nil for an
// image pull set).
func (s *SecretSetSpec) Keys() []string {
	var keys []string
	for k := range s.Secrets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
