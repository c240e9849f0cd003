package sandbox

import (
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// The agent's fields, each in one place: how a request names it
// (agentRequest), how it is kept (AgentSpec), checked and merged (apply),
// replayed when a state file is loaded (request) and shown in answers
// (answer, manifest). Adding a field to the emulated API touches this file.

// agentRequest is the union of CreateServiceRequest and
// UpdateServiceRequest, with pointers to tell absent from given, as an
// update keeps every field the body leaves out.
type agentRequest struct {
	ServiceName        *string             `json:"serviceName"`
	Image              *string             `json:"image"`
	BuildID            *string             `json:"buildId"`
	Region             *string             `json:"region"`
	NodeType           *string             `json:"nodeType"`
	ImagePullSecretSet *string             `json:"imagePullSecretSet"`
	SecretSet          *string             `json:"secretSet"`
	AutoScaling        *autoScalingRequest `json:"autoScaling"`
	KrispViva          *krispVivaRequest   `json:"krispViva"`
	AgentProfile       *string             `json:"agentProfile"`
	MaxSessionDuration *int                `json:"maxSessionDuration"`
	ForceRedeploy      *bool               `json:"forceRedeploy"`
	undeclaredFields
}

// undeclaredFields are accepted although the document declares them in
// no request schema, because the official tools send them (see
// undeclaredRequestFields in wire_test.go for who sends which).
type undeclaredFields struct {
	// EnableKrisp is the legacy Krisp switch.
	EnableKrisp *bool `json:"enableKrisp"`
	// EnableIntegratedKeysProxy is managed keys: the official deploy
	// action's enable-managed-keys. Stored, never shown.
	EnableIntegratedKeysProxy *bool `json:"enableIntegratedKeysProxy"`
	// WebsocketAuth is the CLI's websocket_auth: "none" or "token".
	// Stored, never shown, as the document lists it in no answer.
	WebsocketAuth *string `json:"websocketAuth"`
}

type autoScalingRequest struct {
	MinAgents *int `json:"minAgents"`
	MaxAgents *int `json:"maxAgents"`
}

type krispVivaRequest struct {
	AudioFilter *string `json:"audioFilter"`
}

// AgentSpec is an agent's configuration after defaults and merges, in
// request terms.
type AgentSpec struct {
	Image              string  `json:"image,omitempty"`   // empty when deployed from a build
	BuildID            string  `json:"buildId,omitempty"` // empty when deployed from an image
	NodeType           string  `json:"nodeType"`
	ImagePullSecretSet string  `json:"imagePullSecretSet,omitempty"`
	SecretSet          string  `json:"secretSet,omitempty"`
	MinAgents          int     `json:"minAgents"`
	MaxAgents          int     `json:"maxAgents"`
	AgentProfile       string  `json:"agentProfile"`
	AudioFilter        *string `json:"audioFilter"` // krispViva.audioFilter; nil: Krisp VIVA off
	EnableKrisp        bool    `json:"enableKrisp"`
	// MaxSessionDuration is nil until a request sets it: the platform
	// default applies and the manifest omits maxSessionDurationSeconds.
	MaxSessionDuration *int `json:"maxSessionDuration,omitempty"`
	// IntegratedKeysProxy is enableIntegratedKeysProxy (managed keys),
	// which no response shows.
	IntegratedKeysProxy bool `json:"enableIntegratedKeysProxy,omitempty"`
	// WebsocketAuth is websocketAuth ("none" or "token"; empty until a
	// request sets it), which no response shows.
	WebsocketAuth string `json:"websocketAuth,omitempty"`
}

// request replays a stored spec as the request that would set it, so a
// loaded state file is checked as requests are. The image or build is the
// caller's.
func (sp AgentSpec) request() agentRequest {
	req := agentRequest{
		NodeType:           &sp.NodeType,
		ImagePullSecretSet: &sp.ImagePullSecretSet,
		SecretSet:          &sp.SecretSet,
		AgentProfile:       &sp.AgentProfile,
		MaxSessionDuration: sp.MaxSessionDuration,
		AutoScaling:        &autoScalingRequest{MinAgents: &sp.MinAgents, MaxAgents: &sp.MaxAgents},
		KrispViva:          &krispVivaRequest{AudioFilter: sp.AudioFilter},
	}
	if sp.WebsocketAuth != "" {
		req.WebsocketAuth = &sp.WebsocketAuth
	}
	return req
}

// apply validates req's fields and merges them into spec. It checks what
// both create and update accept; the callers check the rest.
func (req *agentRequest) apply(spec *AgentSpec) *apiError {
	if given(req.Image) && given(req.BuildID) {
		return badRequest("Cannot specify both image and buildId. Use one or the other.")
	}
	if given(req.Image) {
		if err := checkImage(*req.Image); err != nil {
			return err
		}
		spec.Image, spec.BuildID = *req.Image, ""
	}
	if given(req.BuildID) {
		// Whether the build exists, where and how it ended is for
		// checkRefs; what is no UUID cannot name one.
		if !uuidPattern.MatchString(*req.BuildID) {
			return badRequest("Build not found")
		}
		spec.Image, spec.BuildID = "", strings.ToLower(*req.BuildID)
	}
	if req.NodeType != nil {
		if *req.NodeType != "arm" {
			return badRequest("Invalid nodeType '%s'. Only 'arm' is supported at this time.", *req.NodeType)
		}
		spec.NodeType = *req.NodeType
	}
	if given(req.ImagePullSecretSet) {
		spec.ImagePullSecretSet = *req.ImagePullSecretSet
	}
	if given(req.SecretSet) {
		spec.SecretSet = *req.SecretSet
	}
	if req.AutoScaling != nil {
		if m := req.AutoScaling.MinAgents; m != nil {
			if *m < 0 || *m > 50 {
				return badRequest("Invalid autoScaling.minAgents %d. Must be between 0 and 50.", *m)
			}
			spec.MinAgents = *m
		}
		if m := req.AutoScaling.MaxAgents; m != nil {
			if *m < 1 || *m > 50 {
				return badRequest("Invalid autoScaling.maxAgents %d. Must be between 1 and 50.", *m)
			}
			spec.MaxAgents = *m
		}
		if spec.MinAgents > spec.MaxAgents {
			return badRequest("Invalid autoScaling: minAgents (%d) cannot be greater than maxAgents (%d).", spec.MinAgents, spec.MaxAgents)
		}
	}
	if req.KrispViva != nil {
		f := req.KrispViva.AudioFilter
		if f != nil && *f != "tel" && *f != "pro" {
			return badRequest("Invalid krispViva.audioFilter '%s'. Valid values are: tel, pro, null.", *f)
		}
		spec.AudioFilter = f
	}
	if req.AgentProfile != nil {
		if _, ok := profileResources[*req.AgentProfile]; !ok {
			return badRequest("Invalid agentProfile '%s'. Valid values are: agent-1x, agent-2x, agent-3x.", *req.AgentProfile)
		}
		spec.AgentProfile = *req.AgentProfile
	}
	if m := req.MaxSessionDuration; m != nil {
		if *m < 60 || *m > 14400 {
			return badRequest("Invalid maxSessionDuration %d. Must be between 60 and 14400 seconds.", *m)
		}
		spec.MaxSessionDuration = m
	}
	if req.EnableKrisp != nil {
		spec.EnableKrisp = *req.EnableKrisp
	}
	if req.EnableIntegratedKeysProxy != nil {
		spec.IntegratedKeysProxy = *req.EnableIntegratedKeysProxy
	}
	if w := req.WebsocketAuth; w != nil {
		if *w != "none" && *w != "token" {
			return badRequest("Invalid websocketAuth '%s'. Valid values are: none, token.", *w)
		}
		spec.WebsocketAuth = *w
	}
	return nil
}

// answer sets the agent fields a ServiceDetailsResponse carries at its
// top level.
func (spec AgentSpec) answer(d *cloud.ServiceDetails) {
	d.AutoScaling = &cloud.ReplicaScaling{MaxReplicas: intp(spec.MaxAgents), MinReplicas: intp(spec.MinAgents)}
	d.AgentProfile = &spec.AgentProfile
	d.KrispViva = &cloud.KrispVivaState{AudioFilter: spec.AudioFilter}
}

// manifest is the deployment manifest's spec, with image as the answer
// shows it (redacted for a build).
func (spec AgentSpec) manifest(image string) cloud.ManifestSpec {
	res := profileResources[spec.AgentProfile]
	ms := cloud.ManifestSpec{
		DailyNodeType:             spec.NodeType,
		Image:                     image,
		AutoScaling:               &cloud.ReplicaScaling{MinReplicas: intp(spec.MinAgents), MaxReplicas: intp(spec.MaxAgents)},
		ImagePullSecretName:       spec.ImagePullSecretSet,
		Resources:                 &res,
		KrispModels:               &cloud.KrispModels{Enabled: spec.EnableKrisp},
		KrispViva:                 &cloud.KrispVivaSpec{AudioFilters: spec.AudioFilter != nil},
		MaxSessionDurationSeconds: spec.MaxSessionDuration,
	}
	if spec.SecretSet != "" {
		ms.EnvFromSecretNames = []string{spec.SecretSet}
	}
	return ms
}
