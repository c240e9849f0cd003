package report

import (
	"fmt"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// Secret sets are rendered after the agents in a plan and before them in
// a result (apply writes them first), compactly: a line per set that
// changes, with its keys by name. A plan carries no value, hash or length
// of a secret, and no fingerprint key (plan filters it out), so there is
// none to render; names come from the config and the API and are escaped
// as agent names are.

// setLabel is the label of a secret set in a result or a progress line.
const setLabel = "Secret sets"

// changedSets returns the set changes that are not no-ops, in plan order.
func changedSets(p *plan.Plan) []plan.SecretSetChange {
	var out []plan.SecretSetChange
	for _, c := range p.SecretSets {
		if c.Action != plan.NoOp {
			out = append(out, c)
		}
	}
	return out
}

// setCounts is the counts sentence of the secret sets of a plan, or ""
// when it has none.
func setCounts(p *plan.Plan) string {
	if len(p.SecretSets) == 0 {
		return ""
	}
	c := summarize(p).SecretSets
	return fmt.Sprintf("%s: %d to create, %d to update, %d to replace, %d to delete, %d unchanged",
		setLabel, c.Create, c.Update, c.Replace, c.Delete, c.NoOp)
}

// setLine is one detail of a set change: a label and its text (names,
// not yet escaped, or a plain word).
type setLine struct {
	label string
	names []string
	word  string
}

// setDetails lists what a reviewer needs to see of a set change: where
// it goes and which keys, for a create or replace; which keys and whether
// the values change, for an update.
func setDetails(c plan.SecretSetChange) []setLine {
	var out []setLine
	switch c.Action {
	case plan.Create, plan.Replace:
		out = append(out, setLine{label: "region", word: c.Region})
		if c.Type == schema.SecretTypeImagePullSecret {
			host := ""
			if c.Desired != nil && c.Desired.ImagePull != nil {
				host = c.Desired.ImagePull.Host
			}
			out = append(out, setLine{label: "image pull host", names: []string{host}})
		} else {
			out = append(out, setLine{label: "keys", names: c.KeysAdded})
		}
	case plan.Update:
		if len(c.KeysAdded) > 0 {
			out = append(out, setLine{label: "keys added", names: c.KeysAdded})
		}
		if len(c.KeysRemoved) > 0 {
			out = append(out, setLine{label: "keys removed", names: c.KeysRemoved})
		}
		if c.Type == schema.SecretTypeSecret && c.Values != "" {
			out = append(out, setLine{label: "values", word: c.Values})
		}
	}
	return out
}

// setsText writes the set changes of p as a block of the terminal
// rendering, aligned as the agents are; after, when agent changes come
// before it.
func setsText(b *strings.Builder, p *plan.Plan, pt painter, after bool) {
	changes := changedSets(p)
	if len(changes) == 0 {
		return
	}
	names := make([]string, len(changes))
	col := 0
	for i, c := range changes {
		names[i] = terminalLine(c.Name)
		prefix, symbol, _ := textSymbol(c.Action)
		col = max(col, len(prefix)+len(symbol)+1+len(names[i])+2)
		for _, l := range setDetails(c) {
			col = max(col, len(fieldIndent)+len(l.label)+2)
		}
	}
	if after {
		b.WriteString("\n")
	}
	b.WriteString(setLabel + ":\n")
	for i, c := range changes {
		prefix, symbol, color := textSymbol(c.Action)
		head := prefix + symbol + " " + names[i]
		fmt.Fprintf(b, "%s%s %s%s%s", prefix, pt.paint(color, symbol), names[i], strings.Repeat(" ", col-len(head)), c.Action)
		if c.Action != plan.Delete && c.Reason != "" {
			fmt.Fprintf(b, " (%s)", terminalLine(oneLine(c.Reason)))
		}
		b.WriteString("\n")
		for _, l := range setDetails(c) {
			label := fieldIndent + l.label + ":"
			text := terminalLine(l.word)
			if l.names != nil {
				text = nameList(l.names, len(l.names), terminalLine)
			}
			b.WriteString(label + strings.Repeat(" ", col-len(label)) + text + "\n")
		}
	}
}

// setRow is the Markdown table row of one set change.
func setRow(c plan.SecretSetChange) string {
	action := c.Action.String()
	if c.Action == plan.Delete || c.Action == plan.Replace {
		action = "**" + action + "**"
	}
	var parts []string
	for _, l := range setDetails(c) {
		text := mdEscape(l.word)
		if l.names != nil {
			text = nameList(l.names, len(l.names), mdCode)
		}
		parts = append(parts, l.label+" "+text)
	}
	if c.Reason != "" {
		parts = append(parts, "_"+mdMessage(c.Reason)+"_")
	}
	return "| " + cell(mdCode(c.Name)) + " | " + action + " | " + cell(strings.Join(parts, " · ")) + " |\n"
}

// setCaution names the secret sets to be deleted or replaced, whose values
// are gone once deleted: a bullet each (they are few), in an alert of its
// own. Empty when there are none.
func setCaution(p *plan.Plan) string {
	var lines []string
	for _, c := range changedSets(p) {
		switch c.Action {
		case plan.Delete:
			lines = append(lines, "> - delete secret set "+mdCode(c.Name))
		case plan.Replace:
			lines = append(lines, "> - replace secret set "+mdCode(c.Name)+": "+mdMessage(c.Reason))
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return "> [!CAUTION]\n> This plan deletes secret sets (a replace deletes, then creates), and their live values with them.\n>\n" +
		strings.Join(lines, "\n") + "\n\n"
}

func setsAsAgents(r *apply.Result) []apply.AgentResult {
	out := make([]apply.AgentResult, len(r.SecretSets))
	for i, s := range r.SecretSets {
		out[i] = s.AsAgent()
	}
	return out
}

// withSets adds the set changes of r that were interrupted to c, for the
// note that says what an interrupted run's outcomes mean.
func withSets(c apply.Counts, r *apply.Result) apply.Counts {
	s := r.TallySets()
	c.Unknown, c.Skipped = c.Unknown+s.Unknown, c.Skipped+s.Skipped
	return c
}
