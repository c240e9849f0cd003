package report

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// A large plan's comment ranks what it keeps by what a reviewer must see
// (issue 22): a change of who an agent runs as, where, with which secrets
// or from which build, and a change few agents make, before the routine
// change many agents share; and the routine updates of one shape read as
// one block naming its agents.

// securityFields are the fields, by their first path segment, whose
// change a reviewer must never miss: secrets, placement, access, build.
var securityFields = map[string]bool{
	"secretSet": true, "imagePullSecretSet": true, "region": true, "managedKeys": true,
	"websocketAuth": true, "build": true, "buildId": true,
}

// maxFieldNames agents or fewer changing a field are named in the table.
const maxFieldNames = 10

// isSecurityField reports whether path is, or is under, a security field.
func isSecurityField(path string) bool {
	root := path
	if i := strings.IndexAny(path, ".["); i >= 0 {
		root = path[:i]
	}
	return securityFields[root]
}

// securityChange reports whether c changes a security field.
func securityChange(c plan.Change) bool {
	for _, f := range c.Fields {
		if isSecurityField(f.Path) {
			return true
		}
	}
	return false
}

// fieldCounts counts, per action and path, the changes that change it.
func fieldCounts(changes []plan.Change) map[plan.Action]map[string]int {
	out := map[plan.Action]map[string]int{}
	for _, c := range changes {
		if out[c.Action] == nil {
			out[c.Action] = map[string]int{}
		}
		for _, f := range c.Fields {
			out[c.Action][f.Path]++
		}
	}
	return out
}

// commonness is how many agents of its action make the rarest change c
// makes: a diff with a low commonness shows something few agents do.
func commonness(c plan.Change, counts map[plan.Action]map[string]int) int {
	n := 1 << 30
	for _, f := range c.Fields {
		n = min(n, counts[c.Action][f.Path])
	}
	return n
}

// securityUpdates are the updates that change a security field, per
// field path in first-seen order: the list the comment never cuts.
func securityUpdates(changes []plan.Change) (paths []string, by map[string][]plan.Change) {
	by = map[string][]plan.Change{}
	for _, c := range changes {
		if c.Action != plan.Update {
			continue
		}
		for _, f := range c.Fields {
			if !isSecurityField(f.Path) {
				continue
			}
			if by[f.Path] == nil {
				paths = append(paths, f.Path)
			}
			by[f.Path] = append(by[f.Path], c)
		}
	}
	return paths, by
}

// field returns c's change of path.
func field(c plan.Change, path string) plan.FieldChange {
	for _, f := range c.Fields {
		if f.Path == path {
			return f
		}
	}
	return plan.FieldChange{Path: path}
}

// securityAlert names every update of a security field: a bullet per
// agent with the values while there are few, else the names per field
// (at most maxCautionNames, the rest in the names list). Empty when there
// is none.
func securityAlert(changes []plan.Change, where string) string {
	paths, by := securityUpdates(changes)
	if len(paths) == 0 {
		return ""
	}
	named := map[string]bool{}
	total := 0
	for _, p := range paths {
		total += len(by[p])
		for _, c := range by[p] {
			named[c.Agent] = true
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "> [!IMPORTANT]\n> Secrets, placement or build change on %s:\n>\n", plural(len(named), "agent"))
	for _, p := range paths {
		cs := by[p]
		if total <= maxCautionBullets {
			for _, c := range cs {
				f := field(c, p)
				b.WriteString("> - " + mdCode(c.Agent) + " " + mdCode(p) + ": " + mdCode(short(literal(f.Before))) + " → " + mdCode(short(literal(f.After))) + "\n")
			}
			continue
		}
		fmt.Fprintf(&b, "> - **%s (%d):** %s", mdCode(p), len(cs), nameList(agents(cs), maxCautionNames, mdCode))
		if len(cs) > maxCautionNames {
			b.WriteString(" (" + where + ")")
		}
		b.WriteString("\n")
	}
	return b.String() + "\n"
}

// shapeGroup is changes of one action and shape: the same fields,
// changed the same way.
type shapeGroup struct {
	changes []plan.Change
}

// shapes groups the creates or updates (action a) by shape, in plan order
// of their first agent. A security field's values are part of its shape
// as they are, so a lone move to another secret set is never folded into
// a routine group; another string's shape is its edit (what differs
// between before and after; for a create, the value) with digit runs as
// one symbol, so "voice:1.0.0 → voice:1.1.0-build.17" and "… build.18"
// share one.
func shapes(changes []plan.Change, a plan.Action) []*shapeGroup {
	var out []*shapeGroup
	byKey := map[string]*shapeGroup{}
	for _, c := range changes {
		if c.Action != a || len(c.Fields) == 0 {
			continue
		}
		k := shapeKey(c)
		g := byKey[k]
		if g == nil {
			g = &shapeGroup{}
			byKey[k] = g
			out = append(out, g)
		}
		g.changes = append(g.changes, c)
	}
	return out
}

func shapeKey(c plan.Change) string {
	var b strings.Builder
	for _, f := range c.Fields {
		b.WriteString(f.Path + "\x00")
		before, bs := f.Before.(string)
		after, as := f.After.(string)
		if c.Action == plan.Create && f.Before == nil {
			bs = true // a create has no before: its shape is the value's
		}
		if !bs || !as || isSecurityField(f.Path) {
			b.WriteString(literal(f.Before) + "\x00" + literal(f.After) + "\x00")
			continue
		}
		before, after = digitRuns(before), digitRuns(after)
		p := commonPrefix([]string{before, after})
		s := commonSuffix([]string{before[len(p):], after[len(p):]})
		b.WriteString(before[len(p):len(before)-len(s)] + "\x00" + after[len(p):len(after)-len(s)] + "\x00")
	}
	return b.String()
}

// digitRuns writes every run of digits in s as "#".
func digitRuns(s string) string {
	var b strings.Builder
	digit := false
	for _, r := range s {
		if unicode.IsDigit(r) {
			if !digit {
				b.WriteByte('#')
			}
			digit = true
			continue
		}
		digit = false
		b.WriteRune(r)
	}
	return b.String()
}

// template is what the values of a group have in common: the value when
// they are equal, up to maxTemplateValues distinct values, else their
// common start and end around "N" (digits differ) or "…".
func template(vs []any) string {
	var distinct []string
	seen := map[string]bool{}
	var strs []string
	for _, v := range vs {
		l := literal(v)
		if !seen[l] {
			seen[l] = true
			distinct = append(distinct, l)
		}
		if s, ok := v.(string); ok {
			strs = append(strs, s)
		}
	}
	if len(distinct) <= maxTemplateValues || len(strs) != len(vs) {
		return strings.Join(distinct, " / ")
	}
	// The common start and end never split a number: "build.110" and
	// "build.120" are "build.N", not "build.N0".
	p := commonPrefix(strs)
	if startsWithDigit(strs, len(p)) {
		p = strings.TrimRightFunc(p, unicode.IsDigit)
	}
	rest := make([]string, len(strs))
	for i, s := range strs {
		rest[i] = s[len(p):]
	}
	s := commonSuffix(rest)
	if endsWithDigit(rest, len(s)) {
		s = strings.TrimLeftFunc(s, unicode.IsDigit)
	}
	mid := "N"
	for _, r := range rest {
		if strings.TrimFunc(r[:len(r)-len(s)], unicode.IsDigit) != "" {
			mid = "…"
			break
		}
	}
	return literal(p + mid + s)
}

// startsWithDigit reports whether a digit follows the first n bytes of
// one of ss: a cut there would split a number.
func startsWithDigit(ss []string, n int) bool {
	for _, s := range ss {
		if r, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsDigit(r) && n > 0 && isDigit(s[n-1]) {
			return true
		}
	}
	return false
}

// endsWithDigit reports whether a digit precedes the last n bytes of one
// of ss.
func endsWithDigit(ss []string, n int) bool {
	for _, s := range ss {
		if r, _ := utf8.DecodeLastRuneInString(s[:len(s)-n]); unicode.IsDigit(r) && n > 0 && isDigit(s[len(s)-n]) {
			return true
		}
	}
	return false
}

// maxTemplateValues distinct values of a group are listed as they are.
const maxTemplateValues = 3

func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, p) {
			_, n := utf8.DecodeLastRuneInString(p)
			p = p[:len(p)-n]
		}
	}
	return p
}

func commonSuffix(ss []string) string {
	x := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasSuffix(s, x) {
			_, n := utf8.DecodeRuneInString(x)
			x = x[n:]
		}
	}
	return x
}

// groupFields is the group's fields with the template of their values.
func groupFields(g *shapeGroup) (paths, befores, afters []string) {
	for i, f := range g.changes[0].Fields {
		bs, as := make([]any, len(g.changes)), make([]any, len(g.changes))
		for j, c := range g.changes {
			bs[j], as[j] = c.Fields[i].Before, c.Fields[i].After
		}
		paths = append(paths, f.Path)
		befores = append(befores, template(bs))
		afters = append(afters, template(as))
	}
	return paths, befores, afters
}

// maxShortValue bounds a value on a line that also says other things (an
// alert bullet, a summary): the diff shows it whole.
const maxShortValue = 120

// short cuts s to maxShortValue bytes, on a rune boundary, marking the cut.
func short(s string) string {
	if len(s) <= maxShortValue {
		return s
	}
	cut := maxShortValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// maxSummaryFields fields are in a group's one-line summary.
const maxSummaryFields = 3

// groupDetails is one block for the changes of one shape: a summary line
// with the count and the change, then the agents' names and the diff.
func groupDetails(g *shapeGroup) string {
	create := g.changes[0].Action == plan.Create
	paths, befores, afters := groupFields(g)
	// The summary names the security fields first.
	order := make([]int, len(paths))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		return isSecurityField(paths[order[i]]) && !isSecurityField(paths[order[j]])
	})
	var parts []string
	for n, i := range order {
		if n == maxSummaryFields {
			parts = append(parts, "…")
			break
		}
		p := paths[i]
		part := "<code>" + htmlCode(p) + "</code> "
		if !create {
			part += htmlCode(short(befores[i])) + " → "
		}
		parts = append(parts, part+htmlCode(short(afters[i])))
	}
	var body strings.Builder
	width := 0
	for _, p := range paths {
		width = max(width, utf8.RuneCountInString(terminalLine(p))+1)
	}
	for i, p := range paths {
		label := terminalLine(p) + ":" + strings.Repeat(" ", width-utf8.RuneCountInString(terminalLine(p))-1)
		if !create {
			body.WriteString("- " + label + " " + befores[i] + "\n")
		}
		body.WriteString("+ " + label + " " + afters[i] + "\n")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary>%d agents, %s: %s</summary>\n\n", len(g.changes), g.changes[0].Action, strings.Join(parts, ", "))
	b.WriteString("Agents: " + nameList(agents(g.changes), len(g.changes), mdCode) + "\n\n")
	fence := codeFence(body.String())
	b.WriteString(fence + "diff\n" + body.String() + fence + "\n\n</details>\n\n")
	return b.String()
}

// sortForCut orders diff items from the first to cut to the last:
// routine changes before those of a security field, more common before
// rarer, from the end of the plan.
func sortForCut(items []diffItem) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.security != b.security {
			return !a.security // cut routine first
		}
		if a.common != b.common {
			return a.common > b.common // more common first
		}
		return a.index > b.index // from the end
	})
}

// diffItem is a diff block's place in a section and what ranks it.
type diffItem struct {
	s        *section
	index    int
	action   plan.Action
	security bool
	common   int
}

func hasField(c plan.Change, path string) bool {
	for _, f := range c.Fields {
		if f.Path == path {
			return true
		}
	}
	return false
}
