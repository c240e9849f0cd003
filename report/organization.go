package report

import (
	"fmt"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// organizationLabel names the organization's properties in plans and
// results.
const organizationLabel = "organization"

// organizationText is the plan's organization change, before the agents
// (apply sends it first); empty unless it is an update.
func organizationText(p *plan.Plan, pt painter) string {
	c := p.Organization
	if c == nil || c.Action != plan.Update {
		return ""
	}
	prefix, symbol, color := textSymbol(plan.Update)
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s %s  update (before the agents)\n", prefix, pt.paint(color, symbol), organizationLabel)
	for _, f := range c.Fields {
		fmt.Fprintf(&b, "%s%s: %s -> %s\n", fieldIndent, terminalLine(f.Path), literal(f.Before), literal(f.After))
	}
	return b.String()
}

// organizationMarkdown is the plan's organization change as one
// paragraph; empty unless it is an update.
func organizationMarkdown(p *plan.Plan) string {
	c := p.Organization
	if c == nil || c.Action != plan.Update {
		return ""
	}
	parts := make([]string, len(c.Fields))
	for i, f := range c.Fields {
		parts[i] = mdCode(f.Path) + ": " + mdCode(literal(f.Before)) + " → " + mdCode(literal(f.After))
	}
	return "**Organization** (applied before the agents): " + strings.Join(parts, ", ") + "\n\n"
}

// organizationResult says what happened to the organization's change;
// empty when the run had none. md selects Markdown escaping.
func organizationResult(r *apply.Result, md bool) string {
	o := r.Organization
	if o == nil {
		return ""
	}
	var fields []string
	for _, f := range o.Fields {
		fields = append(fields, fmt.Sprintf("%s %s", f.Path, literal(f.After)))
	}
	line := "organization " + strings.Join(fields, ", ") + ": " + o.Outcome.String()
	if o.Error != "" {
		line += ": " + oneLine(o.Error)
	}
	if md {
		icon := "✅"
		if o.Outcome != apply.Succeeded {
			icon = "❌"
		}
		return icon + " " + mdEscape(line) + "\n\n"
	}
	return terminalLine(line) + "\n"
}
