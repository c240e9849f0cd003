package plan

import "github.com/pipecat-gitops/pipecat-gitops/cloud"

// CreateRequest is the body that creates the agent: the full desired spec,
// with unmanaged fields left out so the API applies its defaults.
func CreateRequest(name string, s *Spec) *cloud.CreateServiceRequest {
	return &cloud.CreateServiceRequest{
		ServiceName:        name,
		Image:              deref(s.Image),
		BuildID:            deref(s.BuildID),
		Region:             deref(s.Region),
		NodeType:           deref(s.NodeType),
		ImagePullSecretSet: deref(s.ImagePullSecretSet),
		SecretSet:          deref(s.SecretSet),
		AutoScaling:        scalingRequest(s.AutoScaling),
		KrispViva:          krispRequest(s.KrispViva),
		AgentProfile:       deref(s.AgentProfile),
		MaxSessionDuration: clonePtr(s.MaxSessionDuration),
		EnableKrisp:        clonePtr(s.EnableKrisp),
	}
}

// UpdateRequest is the body that updates the agent: every managed field
// (not only the changed ones, so the result does not depend on what the
// plan saw), never serviceName or region, which update cannot change.
func UpdateRequest(s *Spec) *cloud.UpdateServiceRequest {
	return &cloud.UpdateServiceRequest{
		Image:              deref(s.Image),
		BuildID:            deref(s.BuildID),
		NodeType:           deref(s.NodeType),
		ImagePullSecretSet: deref(s.ImagePullSecretSet),
		SecretSet:          deref(s.SecretSet),
		AutoScaling:        scalingRequest(s.AutoScaling),
		KrispViva:          krispRequest(s.KrispViva),
		AgentProfile:       deref(s.AgentProfile),
		MaxSessionDuration: clonePtr(s.MaxSessionDuration),
		EnableKrisp:        clonePtr(s.EnableKrisp),
	}
}

func scalingRequest(a *AutoScaling) *cloud.AutoScalingRequest {
	if a == nil || (a.MinAgents == nil && a.MaxAgents == nil) {
		return nil
	}
	return &cloud.AutoScalingRequest{MinAgents: clonePtr(a.MinAgents), MaxAgents: clonePtr(a.MaxAgents)}
}

func krispRequest(k *KrispViva) *cloud.KrispVivaRequest {
	if k == nil {
		return nil
	}
	return &cloud.KrispVivaRequest{AudioFilter: clonePtr(k.AudioFilter)}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
