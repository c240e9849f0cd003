package schema

// Config is a loaded, validated pipecat.yaml with defaults merged into every
// agent.
type Config struct {
	// File is the path the config was read from, as given.
	File    string
	Version int
	// Agents are sorted by name.
	Agents []Agent
	Prune  Prune
}

// Prune says whether live agents missing from the file are deleted.
type Prune struct {
	Enabled bool
	// Ignore holds path.Match globs of agent names never deleted.
	Ignore []string
}

// Agent is the desired state of one agent. Every field is a pointer: nil
// means the field is unmanaged (left out of the file and of defaults), so it
// is neither sent to the API nor diffed.
type Agent struct {
	Name               string
	Image              *string
	BuildID            *string
	Region             *string
	NodeType           *string
	ImagePullSecretSet *string
	SecretSet          *string
	AutoScaling        *AutoScaling
	AgentProfile       *string
	KrispViva          *KrispViva
	EnableKrisp        *bool
	MaxSessionDuration *int

	// Pos is where the agent's key is in the file.
	Pos Position
	// FieldPos maps a field path relative to the agent ("secretSet",
	// "autoScaling.maxAgents") to the position of its value, whether it was
	// written under the agent or under defaults. Findings use it.
	FieldPos map[string]Position
}

// AutoScaling bounds the agent's replicas. Either bound may be unmanaged.
type AutoScaling struct {
	MinAgents *int
	MaxAgents *int
}

// KrispViva is present when the file manages Krisp VIVA; a nil AudioFilter
// is YAML null and disables it.
type KrispViva struct {
	AudioFilter *string
}

// Position is a 1-based line and column in a file.
type Position struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}
