package plan

import "github.com/pipecat-gitops/pipecat-gitops/schema"

// mutableTagFindings warns of every targeted agent whose image has no
// tag or a mutable-looking one (schema.MutableTag), at its image value.
func mutableTagFindings(cfg *schema.Config) []Finding {
	var out []Finding
	for _, a := range cfg.Agents {
		if a.Spec.Image == nil {
			continue
		}
		why := schema.MutableTag(*a.Spec.Image)
		if why == "" {
			continue
		}
		f := Finding{Severity: Warning, Agent: a.Name, Field: "image", File: cfg.File, Message: schema.TagWarning(a.Name, *a.Spec.Image, why)}
		at, ok := a.FieldPos["image"]
		if !ok {
			at = a.Pos
		}
		f.Line, f.Col = at.Line, at.Col
		out = append(out, f)
	}
	return out
}
