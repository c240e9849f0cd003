package plan

import (
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// The wire mapping: the one place that knows how a schema.Spec is named in
// the API's requests and responses (design section 2 lists the renamings).

// DefaultMaxSessionDuration is what the API applies when an agent's
// manifest has no maxSessionDurationSeconds.
const DefaultMaxSessionDuration = 7200

// LiveSpec normalizes the API's detail response into the shape of a desired
// Spec. Every readable field is set; a field the API reports as absent is
// nil where absence means "none" (imagePullSecretSet, secretSet) and the
// platform default where it means the default (maxSessionDuration 7200,
// enableKrisp false). Write-only fields (buildId) are never set.
func LiveSpec(d *cloud.ServiceDetails) schema.Spec {
	s := schema.Spec{
		Region:       nonEmpty(d.Region),
		AgentProfile: clonePtr(d.AgentProfile),
		KrispViva:    &schema.KrispViva{},
		EnableKrisp:  ptr(false),
	}
	if d.KrispViva != nil {
		s.KrispViva.AudioFilter = clonePtr(d.KrispViva.AudioFilter)
	}
	var spec *cloud.ManifestSpec
	if d.Deployment != nil && d.Deployment.Manifest != nil {
		spec = &d.Deployment.Manifest.Spec
	}
	scaling := d.AutoScaling
	if spec != nil {
		s.Image = nonEmpty(spec.Image)
		s.NodeType = nonEmpty(spec.DailyNodeType)
		s.ImagePullSecretSet = nonEmpty(spec.ImagePullSecretName)
		if len(spec.EnvFromSecretNames) > 0 {
			s.SecretSet = nonEmpty(spec.EnvFromSecretNames[0])
		}
		if spec.KrispModels != nil {
			s.EnableKrisp = ptr(spec.KrispModels.Enabled)
		}
		if spec.MaxSessionDurationSeconds != nil {
			s.MaxSessionDuration = clonePtr(spec.MaxSessionDurationSeconds)
		}
		if scaling == nil {
			scaling = spec.AutoScaling
		}
	}
	if s.MaxSessionDuration == nil {
		s.MaxSessionDuration = ptr(DefaultMaxSessionDuration)
	}
	if scaling != nil {
		s.AutoScaling = &schema.AutoScaling{MinAgents: clonePtr(scaling.MinReplicas), MaxAgents: clonePtr(scaling.MaxReplicas)}
	}
	return s
}

// CreateRequest is the body that creates the agent: the full desired spec,
// with unmanaged fields left out so the API applies its defaults.
func CreateRequest(name string, s *schema.Spec) *cloud.CreateServiceRequest {
	u := UpdateRequest(s)
	return &cloud.CreateServiceRequest{
		ServiceName:        name,
		Region:             deref(s.Region),
		Image:              u.Image,
		BuildID:            u.BuildID,
		NodeType:           u.NodeType,
		ImagePullSecretSet: u.ImagePullSecretSet,
		SecretSet:          u.SecretSet,
		AutoScaling:        u.AutoScaling,
		KrispViva:          u.KrispViva,
		AgentProfile:       u.AgentProfile,
		MaxSessionDuration: u.MaxSessionDuration,
		EnableKrisp:        u.EnableKrisp,

		EnableIntegratedKeysProxy: u.EnableIntegratedKeysProxy,
	}
}

// UpdateRequest is the body that updates the agent: every managed field
// (not only the changed ones, so the result does not depend on what the
// plan saw), never serviceName or region, which update cannot change.
// A build is not a request field: apply sends the buildId it got for it.
func UpdateRequest(s *schema.Spec) *cloud.UpdateServiceRequest {
	r := &cloud.UpdateServiceRequest{
		Image:              deref(s.Image),
		BuildID:            deref(s.BuildID),
		NodeType:           deref(s.NodeType),
		ImagePullSecretSet: deref(s.ImagePullSecretSet),
		SecretSet:          deref(s.SecretSet),
		AgentProfile:       deref(s.AgentProfile),
		MaxSessionDuration: clonePtr(s.MaxSessionDuration),
		EnableKrisp:        clonePtr(s.EnableKrisp),
		// Write-only: sent, never read back.
		EnableIntegratedKeysProxy: clonePtr(s.ManagedKeys),
	}
	if a := s.AutoScaling; a != nil && (a.MinAgents != nil || a.MaxAgents != nil) {
		r.AutoScaling = &cloud.AutoScalingRequest{MinAgents: clonePtr(a.MinAgents), MaxAgents: clonePtr(a.MaxAgents)}
	}
	if k := s.KrispViva; k != nil {
		r.KrispViva = &cloud.KrispVivaRequest{AudioFilter: clonePtr(k.AudioFilter)}
	}
	return r
}

// ImageRedacted reports whether a live image is the API's redaction of an
// agent deployed from a build (or missing), so it says nothing about what
// runs.
func ImageRedacted(image *string) bool {
	return image == nil || *image == "" || strings.Contains(strings.ToLower(*image), "redacted")
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func ptr[T any](v T) *T { return &v }
