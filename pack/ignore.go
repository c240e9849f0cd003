package pack

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// securityPatterns are excluded from every context, whatever .dockerignore
// says. From SECURITY_EXCLUSIONS in daily-co/pipecat-cloud-deploy-action
// src/build.js.
var securityPatterns = []string{".env", ".env.*", "*.pem", "*.key"}

// defaultPatterns apply when the context has no .dockerignore. From
// DEFAULT_EXCLUSIONS in daily-co/pipecat-cloud-deploy-action src/build.js,
// in its order (the security patterns first). The pipecatcloud CLI's list
// (daily-co/pipecat-cloud src/pipecatcloud/_utils/build_utils.py) also has
// "env"; the action's does not, and the action is the reference.
var defaultPatterns = append(append([]string(nil), securityPatterns...),
	".git", ".gitignore", ".gitattributes",
	"__pycache__", "*.pyc", "*.pyo", "*.pyd", "*.so", ".Python",
	".venv", "venv", "ENV",
	".pytest_cache", ".coverage", "htmlcov", ".tox", ".nox",
	".mypy_cache", ".ruff_cache",
	".vscode", ".idea", "*.swp", "*.swo",
	"dist", "build", "*.egg-info", "*.egg", ".eggs",
	"node_modules",
	".github",
	".claude", ".codex", ".cursor",
	"pcc-deploy.toml",
	".ipynb_checkpoints",
	".cache",
	".DS_Store", "Thumbs.db", "*.log",
)

// Bounds of a .dockerignore, so that a hostile one costs little: its size,
// its patterns, and the length of a pattern with a '?' (only those need
// the automaton, whose cost is the pattern's length times the name's).
const (
	MaxIgnoreSize       = 1 << 20
	MaxIgnorePatterns   = 1000
	maxOptionalPatternN = 256
)

// Where a pattern came from, for messages.
const (
	fromDockerignore = ".dockerignore"
	fromSecurity     = "always excluded"
	fromDefault      = "default exclusions"
)

// pattern is one exclusion pattern compiled the way the action's
// matchesPattern (src/build.js) evaluates it.
type pattern struct {
	text   string
	source string // fromDockerignore, fromSecurity or fromDefault
	line   int    // line in .dockerignore, 0 for built-in patterns

	// atoms is nil for a pattern without '*', which the action compares
	// with === (an exact name).
	atoms []atom
	// segments are the literal runs between the stars, for a pattern
	// with no optional character: it is matched greedily, in linear time.
	segments []string
	// optional reports a '?' that makes a character optional: such a
	// pattern is matched by the automaton.
	optional bool
}

// atom is one element of the regular expression the action builds from a
// pattern with '*': a literal UTF-16 code unit, optional when a '?'
// follows it, or ".*" (star).
type atom struct {
	unit     uint16
	star     bool
	optional bool
	quants   int // '?' seen after the atom, to reject what RegExp rejects
}

// location says where p came from, for messages.
func (p *pattern) location() string {
	if p.line > 0 {
		return fmt.Sprintf("%s line %d", p.source, p.line)
	}
	return p.source
}

// compilePattern turns a pattern into what the action's matchesPattern
// runs. With '*' the action escapes . + ^ $ { } ( ) | [ ] \ and turns each
// '*' into ".*", then calls new RegExp("^…$") (no flags): '?' is left as a
// regular-expression quantifier, so "*.py?" matches "a.py" and "a.p", and a
// '?' with nothing to repeat makes RegExp throw, which stops the action.
// Without the 'u' flag the expression works on UTF-16 code units.
func compilePattern(text, source string, line int) (*pattern, error) {
	p := &pattern{text: text, source: source, line: line}
	if !strings.Contains(text, "*") {
		return p, nil
	}
	p.atoms = []atom{}
	for _, u := range utf16.Encode([]rune(text)) {
		switch u {
		case '*':
			p.atoms = append(p.atoms, atom{star: true})
		case '?':
			if len(p.atoms) == 0 {
				return nil, fmt.Errorf("'?' has nothing before it to make optional (the official action's regular expression is invalid)")
			}
			a := &p.atoms[len(p.atoms)-1]
			a.quants++
			// ".*?" and "x??" are lazy forms, the same set of matches;
			// one more '?' is "Nothing to repeat" in JavaScript.
			limit := 2
			if a.star {
				limit = 1
			}
			if a.quants > limit {
				return nil, fmt.Errorf("too many '?' in a row (the official action's regular expression is invalid)")
			}
			if !a.star {
				a.optional = true
				p.optional = true
			}
		default:
			p.atoms = append(p.atoms, atom{unit: u})
		}
	}
	if p.optional {
		if len(p.atoms) > maxOptionalPatternN {
			return nil, fmt.Errorf("a pattern with '?' may have at most %d characters besides its '?'", maxOptionalPatternN)
		}
		return p, nil
	}
	// Split at the stars; a star's own '?' (lazy) matches the same names.
	var seg []uint16
	for _, a := range p.atoms {
		if a.star {
			p.segments = append(p.segments, string(utf16.Decode(seg)))
			seg = seg[:0]
			continue
		}
		seg = append(seg, a.unit)
	}
	p.segments = append(p.segments, string(utf16.Decode(seg)))
	return p, nil
}

// matchSegments matches a pattern of stars and literals greedily: the
// first segment is a prefix, the last a suffix, and each one between
// takes its earliest place after the one before; a star matches no line
// terminator (JavaScript's '.'). Earliest places leave the most room to
// the rest, so this finds a match whenever there is one, in time linear
// in the name for each segment searched.
func (p *pattern) matchSegments(name string) bool {
	segs := p.segments
	first, last := segs[0], segs[len(segs)-1]
	if len(name) < len(first)+len(last) || !strings.HasPrefix(name, first) {
		return false
	}
	pos := len(first)
	for _, seg := range segs[1 : len(segs)-1] {
		i := strings.Index(name[pos:], seg)
		if i < 0 || hasLineTerminator(name[pos:pos+i]) {
			return false
		}
		pos += i + len(seg)
	}
	end := len(name) - len(last)
	return end >= pos && strings.HasSuffix(name, last) && !hasLineTerminator(name[pos:end])
}

// hasLineTerminator reports whether s holds a character a star cannot
// match.
func hasLineTerminator(s string) bool {
	return strings.ContainsAny(s, "\n\r\u2028\u2029")
}

// isLineTerminator reports whether u is one the JavaScript '.' does not
// match without the 's' flag, so that '*' cannot match across it.
func isLineTerminator(u uint16) bool {
	return u == '\n' || u == '\r' || u == 0x2028 || u == 0x2029
}

// match reports whether the whole of name (as UTF-16 code units, and as a
// string for exact patterns) matches p.
func (p *pattern) match(name string, units []uint16) bool {
	if p.atoms == nil {
		return name == p.text
	}
	if !p.optional {
		return p.matchSegments(name)
	}
	if units == nil {
		units = utf16.Encode([]rune(name))
	}
	return p.matchNFA(units)
}

// matchNFA runs the expression on UTF-16 code units; its cost is the
// pattern's length times the name's.
func (p *pattern) matchNFA(units []uint16) bool {
	// Simulate the expression as an NFA: state i means atoms[:i] matched.
	n := len(p.atoms)
	cur := make([]bool, n+1)
	next := make([]bool, n+1)
	cur[0] = true
	p.closure(cur)
	for _, u := range units {
		clear(next)
		alive := false
		for i := 0; i < n; i++ {
			if !cur[i] {
				continue
			}
			a := p.atoms[i]
			switch {
			case a.star:
				if !isLineTerminator(u) {
					next[i] = true
					alive = true
				}
			case a.unit == u:
				next[i+1] = true
				alive = true
			}
		}
		if !alive {
			return false
		}
		p.closure(next)
		cur, next = next, cur
	}
	return cur[n]
}

// closure adds the states reachable without consuming input: past a star
// (which may match nothing) and past an optional literal.
func (p *pattern) closure(s []bool) {
	for i, a := range p.atoms {
		if s[i] && (a.star || a.optional) {
			s[i+1] = true
		}
	}
}

// rules is the exclusion list for one context.
type rules struct {
	patterns     []*pattern
	exact        map[string]int // pattern without '*' -> its index
	dockerignore bool           // whether the context has a .dockerignore
}

// newRules builds the exclusion list the action's getExclusions returns:
// the .dockerignore patterns (in file order, first occurrence kept, as a
// JavaScript Set does) followed by the security patterns, or the defaults
// when there is no .dockerignore.
func newRules(dockerignore []byte, present bool) (*rules, error) {
	r := &rules{dockerignore: present}
	seen := map[string]bool{}
	add := func(text, source string, line int) error {
		if seen[text] {
			return nil
		}
		seen[text] = true
		p, err := compilePattern(text, source, line)
		if err != nil {
			return err
		}
		r.add(p)
		return nil
	}
	if !present {
		for _, t := range defaultPatterns {
			if err := add(t, fromDefault, 0); err != nil {
				return nil, err
			}
		}
		return r, nil
	}
	if !utf8.Valid(dockerignore) {
		return nil, &IgnoreError{Line: firstInvalidLine(dockerignore), Err: fmt.Errorf("not valid UTF-8")}
	}
	// loadDockerignore: split on "\n", trim with String.prototype.trim,
	// skip empty lines and lines starting with '#'.
	for i, line := range strings.Split(string(dockerignore), "\n") {
		t := strings.TrimFunc(line, isJSSpace)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if len(r.patterns) == MaxIgnorePatterns && !seen[t] {
			return nil, &IgnoreError{Line: i + 1, Err: fmt.Errorf("more than %d patterns; exclude whole directories instead", MaxIgnorePatterns)}
		}
		if err := add(t, fromDockerignore, i+1); err != nil {
			return nil, &IgnoreError{Line: i + 1, Pattern: t, Err: err}
		}
	}
	for _, t := range securityPatterns {
		if err := add(t, fromSecurity, 0); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// firstInvalidLine is the 1-based line of the first byte that is not valid
// UTF-8.
func firstInvalidLine(b []byte) int {
	line := 1
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		b = b[size:]
	}
	return line
}

// isJSSpace reports whether String.prototype.trim removes r: JavaScript's
// WhiteSpace and LineTerminator (checked against Node 20). It differs from
// unicode.IsSpace: U+FEFF is trimmed, U+0085 is not.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// add appends p to the list.
func (r *rules) add(p *pattern) {
	if p.atoms == nil {
		if r.exact == nil {
			r.exact = map[string]int{}
		}
		r.exact[p.text] = len(r.patterns)
	}
	r.patterns = append(r.patterns, p)
}

// excludedBy returns the first pattern that excludes rel (a path relative
// to the context, '/'-separated), or nil. Like the action's shouldExclude it
// turns '\' into '/' first, then tests every pattern against each path
// component and against the whole path.
func (r *rules) excludedBy(rel string) *pattern {
	normalized := strings.ReplaceAll(rel, `\`, "/")
	return r.first(append(strings.Split(normalized, "/"), normalized))
}

// excludedLeaf is excludedBy for a path whose directories were tested
// already and matched nothing: only its last component and the whole
// path are left to test.
func (r *rules) excludedLeaf(rel string) *pattern {
	// The leaf is the name after the last '/'; its '\' split it further.
	leaf := strings.ReplaceAll(rel[strings.LastIndexByte(rel, '/')+1:], `\`, "/")
	return r.first(append(strings.Split(leaf, "/"), strings.ReplaceAll(rel, `\`, "/")))
}

// first returns the first pattern, in list order, that matches any of
// names. Exact patterns are looked up; only patterns before the first
// exact match are run.
func (r *rules) first(names []string) *pattern {
	best := len(r.patterns)
	for _, n := range names {
		if i, ok := r.exact[n]; ok && i < best {
			best = i
		}
	}
	for _, p := range r.patterns[:best] {
		if p.atoms == nil {
			continue
		}
		for _, n := range names {
			if p.match(n, nil) {
				return p
			}
		}
	}
	if best < len(r.patterns) {
		return r.patterns[best]
	}
	return nil
}
