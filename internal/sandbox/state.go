package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// StateVersion is the version of the state file format this package reads
// and writes.
const StateVersion = 1

// State is everything the sandbox remembers: the agents and the secret
// sets of one emulated organization. It is also the state file's format.
// Readiness is not stored: it is computed from the timestamps and the clock
// on every read, so a state file written by one process is valid in the next.
type State struct {
	Version    int                   `json:"version"`
	Agents     map[string]*Agent     `json:"agents"`     // key: agent name (serviceName)
	SecretSets map[string]*SecretSet `json:"secretSets"` // key: set name
	Builds     map[string]*Build     `json:"builds"`     // key: build ID
	Uploads    map[string]*Upload    `json:"uploads"`    // key: upload ID
	// UploadKey signs upload policies (hex); made once, kept so that
	// upload URLs survive a restart.
	UploadKey string `json:"uploadKey,omitempty"`
	// DefaultRegion is the organization's defaultRegion property; empty
	// (a state written before it existed): us-west, the platform's.
	DefaultRegion string `json:"defaultRegion,omitempty"`
}

// Build is one emulated cloud build. Its outcome is decided when it is
// created, from the uploaded context; its status follows from the clock:
// pending until StartedAt, building until CompletedAt, then Result.
type Build struct {
	Region         string    `json:"region"`
	UploadID       string    `json:"uploadId"`
	ContextHash    string    `json:"contextHash"`
	DockerfilePath string    `json:"dockerfilePath"`
	ContextSize    int64     `json:"contextSizeBytes"`
	CreatedAt      time.Time `json:"createdAt"`
	StartedAt      time.Time `json:"startedAt"`
	CompletedAt    time.Time `json:"completedAt"`
	Result         string    `json:"result"` // success or failed
	ErrorMessage   string    `json:"errorMessage,omitempty"`
	// Logs are shown as the build runs: line i of n at
	// StartedAt + i/(n-1) of the build's duration.
	Logs []string `json:"logs"`
}

// Upload is one upload URL handed out and, once the context arrived, what
// it was.
type Upload struct {
	Region    string    `json:"region"`
	ExpiresAt time.Time `json:"expiresAt"`
	// Size and ContextHash (the first 16 hex digits of the MD5 of the
	// uploaded bytes) are set when the file has been uploaded.
	Size        int64  `json:"size,omitempty"`
	ContextHash string `json:"contextHash,omitempty"`
}

// Agent is one emulated agent (a "service" in the API's words).
type Agent struct {
	ID        string    `json:"id"`
	Region    string    `json:"region"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Spec      AgentSpec `json:"spec"`
	// Deployment is the latest (desired) deployment: every create and
	// update makes a new one.
	Deployment Deployment `json:"deployment"`
	// Serving is the last deployment that became ready before Deployment
	// was made; it keeps serving (previousRevision) while Deployment rolls
	// out or after it fails.
	Serving *Deployment `json:"serving,omitempty"`
	// ReconciledDeploymentID is the last deployment the operator had
	// finished with (ready or failed) when Deployment was made; it is
	// reported until Deployment itself settles.
	ReconciledDeploymentID string `json:"reconciledDeploymentId,omitempty"`
}

// Deployment is one revision of an agent.
type Deployment struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	// ReadyAt is when the revision settles: Active, or Failed for an
	// image whose tag starts with "fail".
	ReadyAt time.Time `json:"readyAt"`
}

// SecretSet is one emulated secret set. Its values are kept, in clear, so
// that a restart keeps them and tests can check what was sent (see
// SecretValue); no response ever carries them.
type SecretSet struct {
	Type   string `json:"type"`   // cloud.SecretTypeSecret or cloud.SecretTypeImagePullSecret
	Region string `json:"region"` // region code
	// Status is ready, pending or failed. A pending set with a ReadyAt
	// turns ready at that time; without one it stays pending.
	Status       string     `json:"status"`
	ReadyAt      *time.Time `json:"readyAt,omitempty"`
	ErrorMessage string     `json:"errorMessage,omitempty"` // reported when failed
	Keys         []string   `json:"keys,omitempty"`         // regular sets: key names, sorted
	// Values are the regular set's values by key, for the keys a PUT set
	// (seeded keys have none).
	Values map[string]string `json:"values,omitempty"`
	Host   string            `json:"host,omitempty"`  // image pull secrets: registry host
	Value  string            `json:"value,omitempty"` // image pull secrets: the credentials
}

// status is the set's status at now.
func (s *SecretSet) status(now time.Time) string {
	if s.Status == cloud.SecretStatusPending && s.ReadyAt != nil && !now.Before(*s.ReadyAt) {
		return cloud.SecretStatusReady
	}
	return s.Status
}

// SecretSetSeed describes a secret set the sandbox starts with.
type SecretSetSeed struct {
	Name   string
	Type   string // default "secret"
	Region string // default: the organization's default region
	Status string // default "ready"; "pending" stays pending, "failed" stays failed
	Keys   []string
}

// ExampleSecretSets are the secret sets that examples/pipecat.yaml
// references, so the README quick start works against a fresh sandbox.
var ExampleSecretSets = []SecretSetSeed{
	{Name: "voice-starter-secrets", Keys: []string{"CARTESIA_API_KEY", "DAILY_API_KEY", "OPENAI_API_KEY"}},
	{Name: "support-bot-secrets", Keys: []string{"DEEPGRAM_API_KEY", "OPENAI_API_KEY"}},
	{Name: "concierge-secrets", Keys: []string{"ELEVENLABS_API_KEY", "OPENAI_API_KEY"}},
	{Name: "ghcr-pull", Type: cloud.SecretTypeImagePullSecret},
}

func newState() State {
	st := State{Version: StateVersion}
	st.fill()
	return st
}

func (st *State) seed(seeds []SecretSetSeed) error {
	defaultRegion := st.DefaultRegion
	if defaultRegion == "" {
		defaultRegion = platformDefaultRegion
	}
	for _, sd := range seeds {
		set := &SecretSet{Type: sd.Type, Region: sd.Region, Status: sd.Status, Keys: sortedKeys(sd.Keys)}
		if set.Type == "" {
			set.Type = cloud.SecretTypeSecret
		}
		if set.Region == "" {
			set.Region = defaultRegion
		}
		if set.Status == "" {
			set.Status = cloud.SecretStatusReady
		}
		if set.Type == cloud.SecretTypeImagePullSecret {
			set.Keys = nil
		}
		if set.Status == cloud.SecretStatusFailed {
			set.ErrorMessage = failedSecretMessage
		}
		if err := checkSet(sd.Name, set); err != nil {
			return fmt.Errorf("secret set seed: %w", err)
		}
		st.SecretSets[sd.Name] = set
	}
	return nil
}

// checkSet rejects a set the handlers could not serve faithfully.
func checkSet(name string, s *SecretSet) error {
	if s == nil {
		return fmt.Errorf("secret set %q: null", name)
	}
	if !validSetName(name) {
		return fmt.Errorf("secret set %q: invalid name", name)
	}
	if s.Type != cloud.SecretTypeSecret && s.Type != cloud.SecretTypeImagePullSecret {
		return fmt.Errorf("secret set %q: type %q is not secret or imagePullSecret", name, s.Type)
	}
	switch s.Status {
	case cloud.SecretStatusReady, cloud.SecretStatusPending, cloud.SecretStatusFailed:
	default:
		return fmt.Errorf("secret set %q: status %q is not ready, pending or failed", name, s.Status)
	}
	for i, k := range s.Keys {
		if k == "" {
			return fmt.Errorf("secret set %q: a key name is empty", name)
		}
		if i > 0 && k <= s.Keys[i-1] {
			return fmt.Errorf("secret set %q: keys must be sorted, each once (%q after %q)", name, k, s.Keys[i-1])
		}
	}
	for k := range s.Values {
		if _, found := slices.BinarySearch(s.Keys, k); !found {
			return fmt.Errorf("secret set %q: values: %q is not one of its keys", name, k)
		}
	}
	return nil
}

// fill gives st's maps a value where they are null or absent.
func (st *State) fill() {
	if st.Agents == nil {
		st.Agents = map[string]*Agent{}
	}
	if st.SecretSets == nil {
		st.SecretSets = map[string]*SecretSet{}
	}
	if st.Builds == nil {
		st.Builds = map[string]*Build{}
	}
	if st.Uploads == nil {
		st.Uploads = map[string]*Upload{}
	}
}

// loadState reads a state file and replays its journals (the old one a
// compaction may have left, then the current one). A missing file is not
// an error: ok is false. journaled says whether there were journals.
func loadState(path string) (st State, ok, journaled bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		for _, j := range []string{path + oldJournalSuffix, path + journalSuffix} {
			if _, err := os.Stat(j); err == nil {
				return State{}, false, false, fmt.Errorf("read sandbox state %s: missing, but its journal %s exists (delete the journal to start afresh)", path, j)
			}
		}
		return State{}, false, false, nil
	}
	if err != nil {
		return State{}, false, false, fmt.Errorf("read sandbox state: %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return State{}, false, false, fmt.Errorf("read sandbox state %s: %w (delete the file to start afresh)", path, err)
	}
	if st.Version != StateVersion {
		return State{}, false, false, fmt.Errorf("read sandbox state %s: version %d is not supported (want %d)", path, st.Version, StateVersion)
	}
	st.fill()
	for i, j := range []string{path + oldJournalSuffix, path + journalSuffix} {
		found, err := readJournal(j, &st, i == 1)
		if err != nil {
			return State{}, false, false, err
		}
		journaled = journaled || found
	}
	return st, true, journaled, nil
}

// checkState rejects a loaded state the handlers could not serve
// faithfully, naming the entry and the field. Entries are checked in name
// order, so the error is the same every time.
func (s *Server) checkState(st *State) error {
	if st.DefaultRegion != "" && !s.regionKnown(st.DefaultRegion) {
		return fmt.Errorf("defaultRegion %q is not one of this sandbox's regions (%s)", st.DefaultRegion, s.regionList())
	}
	for _, id := range sortedNames(st.Builds) {
		if err := s.checkBuildEntry(id, st.Builds[id]); err != nil {
			return fmt.Errorf("build %q: %w", id, err)
		}
	}
	for _, id := range sortedNames(st.Uploads) {
		u := st.Uploads[id]
		switch {
		case u == nil:
			return fmt.Errorf("upload %q: null", id)
		case !uuidPattern.MatchString(id):
			return fmt.Errorf("upload %q: the ID is not a UUID", id)
		case !s.regionKnown(u.Region):
			return fmt.Errorf("upload %q: region %q is not one of this sandbox's regions (%s)", id, u.Region, s.regionList())
		}
	}
	for _, name := range sortedNames(st.Agents) {
		if err := s.checkAgent(st, name, st.Agents[name]); err != nil {
			return fmt.Errorf("agent %q: %w", name, err)
		}
	}
	for _, name := range sortedNames(st.SecretSets) {
		set := st.SecretSets[name]
		if err := checkSet(name, set); err != nil {
			return err
		}
		if !s.regionKnown(set.Region) {
			return fmt.Errorf("secret set %q: region %q is not one of this sandbox's regions (%s)", name, set.Region, s.regionList())
		}
	}
	return nil
}

// checkAgent checks a stored agent with the rules requests follow: what a
// request could not set, the state may not hold.
func (s *Server) checkAgent(st *State, name string, a *Agent) error {
	if a == nil {
		return errors.New("null")
	}
	if !validServiceName(name) {
		return errors.New("invalid name: lowercase letters, digits and hyphens, starting and ending with a letter or digit, at most 54 characters")
	}
	if !s.regionKnown(a.Region) {
		return fmt.Errorf("region %q is not one of this sandbox's regions (%s)", a.Region, s.regionList())
	}
	if a.ID == "" || a.Deployment.ID == "" {
		return errors.New("id and deployment.id are required")
	}
	if a.Deployment.ReadyAt.Before(a.Deployment.CreatedAt) {
		return errors.New("deployment.readyAt is before deployment.createdAt")
	}
	sp := a.Spec
	if (sp.Image == "") == (sp.BuildID == "") {
		return errors.New("spec: exactly one of image and buildId is required")
	}
	// Replay the spec as a request: the same checks, the API's words.
	req := sp.request()
	if sp.Image != "" {
		req.Image = &sp.Image
	} else {
		req.BuildID = &sp.BuildID
	}
	if err := req.apply(&AgentSpec{}); err != nil {
		return fmt.Errorf("spec: %s", err.msg)
	}
	for _, set := range []string{sp.SecretSet, sp.ImagePullSecretSet} {
		if set != "" && !validSetName(set) {
			return fmt.Errorf("spec: secret set name %q is invalid", set)
		}
	}
	if sp.BuildID != "" {
		switch b := st.Builds[sp.BuildID]; {
		case b == nil:
			return fmt.Errorf("spec.buildId %q: no such build", sp.BuildID)
		case b.Region != a.Region:
			return fmt.Errorf("spec.buildId %q: the build is in region %q, the agent in %q", sp.BuildID, b.Region, a.Region)
		case b.Result != cloud.BuildStatusSuccess:
			return fmt.Errorf("spec.buildId %q: the build %s", sp.BuildID, b.Result)
		}
	}
	return nil
}

// checkBuildEntry checks a stored build.
func (s *Server) checkBuildEntry(id string, b *Build) error {
	switch {
	case b == nil:
		return errors.New("null")
	case !uuidPattern.MatchString(id):
		return errors.New("the ID is not a UUID")
	case !s.regionKnown(b.Region):
		return fmt.Errorf("region %q is not one of this sandbox's regions (%s)", b.Region, s.regionList())
	case b.Result != cloud.BuildStatusSuccess && b.Result != cloud.BuildStatusFailed:
		return fmt.Errorf("result %q is not success or failed", b.Result)
	case b.StartedAt.Before(b.CreatedAt) || b.CompletedAt.Before(b.StartedAt):
		return errors.New("createdAt, startedAt and completedAt are out of order")
	}
	return nil
}

func (s *Server) regionList() string {
	codes := make([]string, len(s.regions))
	for i, r := range s.regions {
		codes[i] = r.Code
	}
	return strings.Join(codes, ", ")
}

func sortedNames[T any](m map[string]*T) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// writeState replaces the state file at path atomically and returns its
// size.
func writeState(path string, st *State) (int64, error) {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return 0, fmt.Errorf("write sandbox state: %w", err)
	}
	data = append(data, '\n')
	if err := writeFileAtomic(path, data); err != nil {
		return 0, fmt.Errorf("write sandbox state: %w", err)
	}
	return int64(len(data)), nil
}

// clone deep-copies st through its JSON form, which is by definition all
// of it.
func (st *State) clone() State {
	data, err := json.Marshal(st)
	if err != nil {
		panic(fmt.Sprintf("sandbox: marshal state: %v", err))
	}
	var c State
	if err := json.Unmarshal(data, &c); err != nil {
		panic(fmt.Sprintf("sandbox: unmarshal state: %v", err))
	}
	return c
}
