package plan

import (
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// DefaultMaxSessionDuration is what the API applies when an agent's
// manifest has no maxSessionDurationSeconds.
const DefaultMaxSessionDuration = 7200

// DesiredSpec turns a loaded config agent into a Spec. Nil stays nil:
// unmanaged.
func DesiredSpec(a schema.Agent) Spec {
	s := Spec{
		Image:              clonePtr(a.Image),
		BuildID:            clonePtr(a.BuildID),
		Region:             clonePtr(a.Region),
		NodeType:           clonePtr(a.NodeType),
		ImagePullSecretSet: clonePtr(a.ImagePullSecretSet),
		SecretSet:          clonePtr(a.SecretSet),
		AgentProfile:       clonePtr(a.AgentProfile),
		EnableKrisp:        clonePtr(a.EnableKrisp),
		MaxSessionDuration: clonePtr(a.MaxSessionDuration),
	}
	if a.AutoScaling != nil && (a.AutoScaling.MinAgents != nil || a.AutoScaling.MaxAgents != nil) {
		s.AutoScaling = &AutoScaling{MinAgents: clonePtr(a.AutoScaling.MinAgents), MaxAgents: clonePtr(a.AutoScaling.MaxAgents)}
	}
	if a.KrispViva != nil {
		s.KrispViva = &KrispViva{AudioFilter: clonePtr(a.KrispViva.AudioFilter)}
	}
	return s
}

// LiveSpec normalizes the API's detail response into the shape of a desired
// Spec (design section 2 lists the renamings). Every readable field is set;
// a field the API reports as absent is nil where absence means "none"
// (imagePullSecretSet, secretSet) and the platform default where it means
// the default (maxSessionDuration 7200, enableKrisp false). BuildID is never
// set: the API does not return it.
func LiveSpec(d *cloud.ServiceDetails) Spec {
	s := Spec{
		Region:       nonEmpty(d.Region),
		AgentProfile: clonePtr(d.AgentProfile),
		KrispViva:    &KrispViva{},
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
		s.AutoScaling = &AutoScaling{MinAgents: clonePtr(scaling.MinReplicas), MaxAgents: clonePtr(scaling.MaxReplicas)}
	}
	return s
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

func ptr[T any](v T) *T { return &v }
