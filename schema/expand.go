package schema

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Expansion is bounded: a value is computed only after its size is known,
// so a 100 KB variable referenced a million times costs a count, not
// gigabytes. No real config value comes near these bounds (the longest,
// an image reference, is at most 520 characters by the schema).
const (
	// MaxExpandedValue bounds one string value that uses ${...}, after
	// expansion.
	MaxExpandedValue = 64 << 10
	// MaxExpandedTotal bounds all the string values of a file that use
	// ${...}, after expansion, together.
	MaxExpandedTotal = 5 << 20
)

// expandError is a failed ${...} expansion, with a hint for the user.
type expandError struct{ msg, hint string }

func (e *expandError) Error() string { return e.msg }

// errSpent is every expansion after the one that went past
// MaxExpandedTotal: that one was reported, and the file is refused anyway.
var errSpent = errors.New("expansion budget spent")

// expander expands the ${VAR} references of string values.
type expander struct {
	lookup  func(string) (string, bool)
	secrets secrets
	// sources maps the fromEnv variables of the file's secret sets to
	// their set: never expanded.
	sources map[string]string
	// used counts the bytes of expanded values so far.
	used  int
	spent bool
}

// credentialHint says why a credential never goes into the config.
const credentialHint = "config values are sent to the API and shown in plans and pull-request comments; keep secrets in a secret set and name it with secretSet"

// part is literal text or one ${...} reference.
type part struct {
	text string
	ref  *ref
}

// ref is ${name} or ${name:-def}.
type ref struct {
	name   string
	hasDef bool
	def    []part
}

// expand replaces ${VAR} and ${VAR:-default} with values from lookup; $${
// is a literal ${. Like the shell, ":-" also applies when VAR is set but
// empty, and a default is expanded only when used. A default may itself
// hold references one level deep (${A:-${B}}, ${A:-v${B:-1}}); deeper
// nesting is refused. The result is not expanded again. Expansion refuses
// credentials (see secrets.go) and never quotes a variable's value in an
// error.
func (x *expander) expand(s string) (string, error) {
	if !strings.Contains(s, "${") {
		if c := x.secrets.holder(s); c != "" {
			return "", &expandError{fmt.Sprintf("the value holds the value of %s; credentials never go into the config", c), credentialHint}
		}
		return s, nil
	}
	if x.spent {
		return "", errSpent
	}
	parts, _, err := parseParts(s, 0, 0)
	if err != nil {
		return "", err
	}
	if err := x.checkSources(parts); err != nil {
		return "", err
	}
	// Resolve to pieces (variable values are not copied), counting, and
	// build the value only once its size is known to be within bounds.
	r := resolver{x: x}
	if err := r.resolve(parts); err != nil {
		return "", err
	}
	x.used += r.size
	var b strings.Builder
	b.Grow(r.size)
	for _, p := range r.pieces {
		b.WriteString(p)
	}
	out := b.String()
	// A credential split over two variables, or written as a default.
	if c := x.secrets.holder(out); c != "" {
		return "", &expandError{fmt.Sprintf("the expanded value holds the value of %s; credentials never go into the config", c), credentialHint}
	}
	return out, nil
}

// checkSources refuses a reference, even in a default never used, to a
// variable that holds a value of one of the file's secret sets.
func (x *expander) checkSources(parts []part) error {
	for _, p := range parts {
		if p.ref == nil {
			continue
		}
		if set, ok := x.sources[p.ref.name]; ok {
			return &expandError{fmt.Sprintf("${%s} holds a value of secret set %s (fromEnv); it is never expanded", p.ref.name, set), credentialHint}
		}
		if err := x.checkSources(p.ref.def); err != nil {
			return err
		}
	}
	return nil
}

// maxDefaultDepth is how deep references nest: a default (depth 1) may
// hold references, whose defaults (depth 2) may not.
const maxDefaultDepth = 2

// parseParts parses s from i. At depth 0 it reads to the end of s; inside
// a default (depth > 0) it stops at the '}' that closes it and returns
// the index just past it.
func parseParts(s string, i, depth int) (parts []part, end int, err error) {
	lit := i // start of the pending literal text
	flush := func(to int) {
		if to > lit {
			parts = append(parts, part{text: s[lit:to]})
		}
	}
	for i < len(s) {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			flush(i)
			parts = append(parts, part{text: "${"})
			i += 3
			lit = i
		case strings.HasPrefix(s[i:], "${"):
			flush(i)
			if depth >= maxDefaultDepth {
				return nil, 0, &expandError{fmt.Sprintf("${...} nested more than one level deep in %s", quote(s)),
					"a default may hold references (${A:-${B}}), but not references with defaults that hold references; set a variable instead"}
			}
			r, next, err := parseRef(s, i, depth)
			if err != nil {
				return nil, 0, err
			}
			parts = append(parts, part{ref: r})
			i, lit = next, next
		case s[i] == '}' && depth > 0:
			flush(i)
			return parts, i + 1, nil
		default:
			i++
		}
	}
	if depth > 0 {
		return nil, 0, errUnterminated(s)
	}
	flush(i)
	return parts, i, nil
}

// parseRef parses the reference starting at s[i:] == "${".
func parseRef(s string, i, depth int) (*ref, int, error) {
	j := i + 2
	for j < len(s) && isNameByte(s[j]) {
		j++
	}
	name := s[i+2 : j]
	switch {
	case strings.HasPrefix(s[j:], "}") && isVarName(name):
		j++
	case strings.HasPrefix(s[j:], ":-") && isVarName(name):
	default:
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return nil, 0, errUnterminated(s)
		}
		text := s[i+2 : i+2+end]
		if len(text) > 60 {
			text = text[:57] + "..."
		}
		return nil, 0, &expandError{fmt.Sprintf("invalid variable reference ${%s}", text),
			"write ${NAME} or ${NAME:-default}, NAME made of letters, digits and _; write $${ for a literal ${"}
	}
	if credentialName(name) {
		// Refused whether set or not, and even in a default never used:
		// the file is what a reviewer approves.
		return nil, 0, &expandError{fmt.Sprintf("${%s} is a credential; it is never expanded", name), credentialHint}
	}
	r := &ref{name: name}
	if !strings.HasPrefix(s[j:], ":-") {
		return r, j, nil
	}
	def, next, err := parseParts(s, j+2, depth+1)
	if err != nil {
		return nil, 0, err
	}
	r.hasDef, r.def = true, def
	return r, next, nil
}

func errUnterminated(s string) error {
	return &expandError{"unterminated ${ in " + quote(s), "write $${ for a literal ${"}
}

// resolver collects the pieces of one value and their total size.
type resolver struct {
	x      *expander
	pieces []string
	size   int
	last   string // the last variable expanded, for messages
}

func (r *resolver) resolve(parts []part) error {
	for _, p := range parts {
		if p.ref == nil {
			if err := r.add(p.text); err != nil {
				return err
			}
			continue
		}
		name := p.ref.name
		v, ok := r.x.lookup(name)
		if !ok || (p.ref.hasDef && v == "") {
			if !p.ref.hasDef {
				return &expandError{fmt.Sprintf("environment variable %s is not set", name),
					fmt.Sprintf("set %s, or give a default: ${%s:-value}", name, name)}
			}
			if err := r.resolve(p.ref.def); err != nil {
				return err
			}
			continue
		}
		r.last = name
		// Size first: holder reads the whole value.
		if err := r.add(v); err != nil {
			return err
		}
		if c := r.x.secrets.holder(v); c != "" {
			return &expandError{fmt.Sprintf("${%s} holds the value of %s; it is never expanded", name, c), credentialHint}
		}
	}
	return nil
}

// add appends a piece unless it takes the value or the file past its
// bound.
func (r *resolver) add(s string) error {
	r.size += len(s)
	what := "expansion"
	if r.last != "" {
		what = "expanding ${" + r.last + "}"
	}
	if r.size > MaxExpandedValue {
		return &expandError{fmt.Sprintf("%s makes the value longer than %d KiB", what, MaxExpandedValue>>10),
			"no config value is this long; check the variable's value"}
	}
	if r.x.used+r.size > MaxExpandedTotal {
		r.x.spent = true
		return &expandError{fmt.Sprintf("%s makes the file's expanded values longer than %d MiB in total; refusing to expand further", what, MaxExpandedTotal>>20),
			"no config needs this much; check the variables the file references"}
	}
	r.pieces = append(r.pieces, s)
	return nil
}

func isNameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) || i == 0 && '0' <= s[i] && s[i] <= '9' {
			return false
		}
	}
	return true
}

// quote quotes s for a message, shortened so that a huge value cannot make
// the message huge.
func quote(s string) string {
	n := 0
	for i := range s {
		if n++; n == 58 && utf8.RuneCountInString(s[i:]) > 3 {
			s = s[:i] + "..."
			break
		}
	}
	return fmt.Sprintf("%q", s)
}
