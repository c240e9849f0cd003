package plan

// field is one managed field of a Spec, addressed by its config path. The
// table below is the single list of what plan diffs and what a saved plan's
// fingerprint covers; buildId is deliberately absent (write-only in the
// API, see diffBuild).
type field struct {
	path string
	// get returns the field's value (string, int, bool or nil for null)
	// and whether the Spec manages it at all.
	get func(*Spec) (any, bool)
	// set writes a value as returned by get (nil = null) and marks the
	// field managed.
	set func(*Spec, any)
}

// ptrField is a field held in a *T of the Spec (nil = unmanaged).
func ptrField[T any](path string, p func(*Spec) **T) field {
	return field{
		path: path,
		get: func(s *Spec) (any, bool) {
			v := *p(s)
			if v == nil {
				return nil, false
			}
			return *v, true
		},
		set: func(s *Spec, v any) {
			if v == nil {
				*p(s) = nil
				return
			}
			x := v.(T)
			*p(s) = &x
		},
	}
}

func autoScaling(s *Spec) *AutoScaling {
	if s.AutoScaling == nil {
		s.AutoScaling = &AutoScaling{}
	}
	return s.AutoScaling
}

func scalingField(path string, p func(*AutoScaling) **int) field {
	return field{
		path: path,
		get: func(s *Spec) (any, bool) {
			if s.AutoScaling == nil || *p(s.AutoScaling) == nil {
				return nil, false
			}
			return **p(s.AutoScaling), true
		},
		set: func(s *Spec, v any) {
			x := v.(int)
			*p(autoScaling(s)) = &x
		},
	}
}

// fields lists the diffed fields in the order plans show them.
var fields = []field{
	ptrField("image", func(s *Spec) **string { return &s.Image }),
	ptrField("region", func(s *Spec) **string { return &s.Region }),
	ptrField("nodeType", func(s *Spec) **string { return &s.NodeType }),
	ptrField("agentProfile", func(s *Spec) **string { return &s.AgentProfile }),
	ptrField("imagePullSecretSet", func(s *Spec) **string { return &s.ImagePullSecretSet }),
	ptrField("secretSet", func(s *Spec) **string { return &s.SecretSet }),
	scalingField("autoScaling.minAgents", func(a *AutoScaling) **int { return &a.MinAgents }),
	scalingField("autoScaling.maxAgents", func(a *AutoScaling) **int { return &a.MaxAgents }),
	{
		path: "krispViva.audioFilter",
		get: func(s *Spec) (any, bool) {
			if s.KrispViva == nil {
				return nil, false
			}
			if s.KrispViva.AudioFilter == nil {
				return nil, true
			}
			return *s.KrispViva.AudioFilter, true
		},
		set: func(s *Spec, v any) {
			s.KrispViva = &KrispViva{}
			if v != nil {
				x := v.(string)
				s.KrispViva.AudioFilter = &x
			}
		},
	},
	ptrField("enableKrisp", func(s *Spec) **bool { return &s.EnableKrisp }),
	ptrField("maxSessionDuration", func(s *Spec) **int { return &s.MaxSessionDuration }),
}

// fieldByPath finds a field of the table.
func fieldByPath(path string) (field, bool) {
	for _, f := range fields {
		if f.path == path {
			return f, true
		}
	}
	return field{}, false
}

// ApplyFields sets every change's After value on a copy of s: what the
// live agent looks like once the plan's field changes are made. Paths not
// in the diffed table (buildId) are skipped.
func ApplyFields(s Spec, changes []FieldChange) Spec {
	out := s.Clone()
	for _, c := range changes {
		if f, ok := fieldByPath(c.Path); ok {
			f.set(&out, c.After)
		}
	}
	return out
}

// Clone returns a deep copy.
func (s Spec) Clone() Spec {
	out := Spec{
		Image:              clonePtr(s.Image),
		BuildID:            clonePtr(s.BuildID),
		Region:             clonePtr(s.Region),
		NodeType:           clonePtr(s.NodeType),
		ImagePullSecretSet: clonePtr(s.ImagePullSecretSet),
		SecretSet:          clonePtr(s.SecretSet),
		AgentProfile:       clonePtr(s.AgentProfile),
		EnableKrisp:        clonePtr(s.EnableKrisp),
		MaxSessionDuration: clonePtr(s.MaxSessionDuration),
	}
	if s.AutoScaling != nil {
		out.AutoScaling = &AutoScaling{MinAgents: clonePtr(s.AutoScaling.MinAgents), MaxAgents: clonePtr(s.AutoScaling.MaxAgents)}
	}
	if s.KrispViva != nil {
		out.KrispViva = &KrispViva{AudioFilter: clonePtr(s.KrispViva.AudioFilter)}
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
