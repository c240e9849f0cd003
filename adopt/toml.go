package adopt

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// The TOML subset of pcc-deploy.toml: tables ([a], [a.b]), dotted and
// quoted keys, basic and literal strings, decimal integers, booleans,
// arrays of those (one line or several) and one-line inline tables, and
// comments. Everything else TOML has (multi-line strings, floats, dates,
// arrays of tables, hex integers) is refused at its position: no official
// pcc-deploy.toml key takes one, and a located refusal beats a guess.

// tomlEntry is one key = value, with its full dotted path (table prefix
// included) and where the key and the value are.
type tomlEntry struct {
	path   string
	keyPos schema.Position
	valPos schema.Position
	// value is a string, int64, bool or []any of those.
	value any
}

// tomlDoc is a parsed file: its entries in file order, and the tables its
// headers and dotted keys open, with the position that opened them.
type tomlDoc struct {
	entries []tomlEntry
	tables  map[string]schema.Position
}

// tomlError is a syntax error at a position of the file.
type tomlError struct {
	pos schema.Position
	msg string
}

func (e *tomlError) Error() string { return e.msg }

// maxTOMLDepth bounds nesting of arrays and inline tables.
const maxTOMLDepth = 16

// parseTOML parses data. It stops at the first syntax error: after one,
// positions of what follows mean little.
func parseTOML(data []byte) (*tomlDoc, error) {
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		p := &tomlParser{src: string(data), lastPos: schema.Position{Line: 1, Col: 1}}
		p.i = off
		return nil, p.errorf("invalid UTF-8: the file must be UTF-8 encoded")
	}
	p := &tomlParser{src: string(data), doc: &tomlDoc{tables: map[string]schema.Position{}},
		kinds: map[string]tomlKind{}, defined: map[string]schema.Position{}, lastPos: schema.Position{Line: 1, Col: 1}}
	if err := p.parse(); err != nil {
		return nil, err
	}
	return p.doc, nil
}

// tomlKind is what a dotted path names so far.
type tomlKind int

const (
	kindValue    tomlKind = iota + 1
	kindTable             // opened by a [header]
	kindImplicit          // opened by a dotted key or a deeper header
)

type tomlParser struct {
	src   string
	i     int
	doc   *tomlDoc
	kinds map[string]tomlKind
	// defined holds where each path was defined, for "defined twice".
	defined map[string]schema.Position
	table   string // current [table] path
	// lastOff and lastPos are the last position posAt computed.
	lastOff int
	lastPos schema.Position
}

// posAt is the 1-based line and column (in characters) of byte offset i.
// Positions are asked for mostly in file order, so it counts on from the
// last one asked for: a long file costs linear time, not quadratic.
func (p *tomlParser) posAt(i int) schema.Position {
	if i < p.lastOff {
		p.lastOff, p.lastPos = 0, schema.Position{Line: 1, Col: 1}
	}
	pos := p.lastPos
	for _, r := range p.src[p.lastOff:i] {
		if r == '\n' {
			pos.Line, pos.Col = pos.Line+1, 1
		} else {
			pos.Col++
		}
	}
	p.lastOff, p.lastPos = i, pos
	return pos
}

func (p *tomlParser) errorf(format string, args ...any) error {
	return &tomlError{pos: p.posAt(p.i), msg: fmt.Sprintf(format, args...)}
}

func (p *tomlParser) errorAt(i int, format string, args ...any) error {
	return &tomlError{pos: p.posAt(i), msg: fmt.Sprintf(format, args...)}
}

func (p *tomlParser) eof() bool { return p.i >= len(p.src) }

func (p *tomlParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.i]
}

// skipSpace skips spaces and tabs.
func (p *tomlParser) skipSpace() {
	for !p.eof() && (p.src[p.i] == ' ' || p.src[p.i] == '\t') {
		p.i++
	}
}

// endOfLine accepts optional space, an optional comment and a line break
// (or the end of the file).
func (p *tomlParser) endOfLine() error {
	p.skipSpace()
	if p.peek() == '#' {
		if err := p.comment(); err != nil {
			return err
		}
	}
	switch {
	case p.eof():
		return nil
	case p.src[p.i] == '\n':
		p.i++
		return nil
	case strings.HasPrefix(p.src[p.i:], "\r\n"):
		p.i += 2
		return nil
	}
	return p.errorf("expected the end of the line, found %s", p.describeHere())
}

// comment skips a comment up to (not including) the line break; control
// characters other than tab are not allowed in it.
func (p *tomlParser) comment() error {
	for !p.eof() && p.src[p.i] != '\n' {
		c := p.src[p.i]
		if c == '\r' && strings.HasPrefix(p.src[p.i:], "\r\n") {
			return nil
		}
		if c < 0x20 && c != '\t' || c == 0x7f {
			return p.errorf("control character %q in a comment", c)
		}
		p.i++
	}
	return nil
}

// describeHere names what is at the cursor, for errors.
func (p *tomlParser) describeHere() string {
	if p.eof() {
		return "the end of the file"
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.i:])
	return strconv.QuoteRune(r)
}

func (p *tomlParser) parse() error {
	for {
		p.skipSpace()
		if p.eof() {
			return nil
		}
		switch c := p.src[p.i]; {
		case c == '#' || c == '\n' || c == '\r':
			if err := p.endOfLine(); err != nil {
				return err
			}
		case c == '[':
			if err := p.header(); err != nil {
				return err
			}
		default:
			if err := p.keyValue(p.table, 0); err != nil {
				return err
			}
			if err := p.endOfLine(); err != nil {
				return err
			}
		}
	}
}

// header parses [a.b] and makes it the current table.
func (p *tomlParser) header() error {
	start := p.i
	p.i++ // [
	if p.peek() == '[' {
		return p.errorAt(start, "arrays of tables ([[...]]) are not supported in pcc-deploy.toml")
	}
	p.skipSpace()
	keys, err := p.key()
	if err != nil {
		return err
	}
	p.skipSpace()
	if p.peek() != ']' {
		return p.errorf("expected ] to close the table header, found %s", p.describeHere())
	}
	p.i++
	path := strings.Join(keys, ".")
	pos := p.posAt(start)
	if err := p.openParents(keys, start); err != nil {
		return err
	}
	switch p.kinds[path] {
	case kindValue:
		return p.errorAt(start, "%s is already a value (line %d), not a table", path, p.defined[path].Line)
	case kindTable:
		return p.errorAt(start, "table [%s] is defined twice (first at line %d)", path, p.defined[path].Line)
	}
	p.kinds[path] = kindTable
	p.defined[path] = pos
	if _, ok := p.doc.tables[path]; !ok {
		p.doc.tables[path] = pos
	}
	p.table = path
	return p.endOfLine()
}

// openParents marks every proper prefix of keys as a table, refusing a
// prefix that is a value.
func (p *tomlParser) openParents(keys []string, at int) error {
	for n := 1; n < len(keys); n++ {
		prefix := strings.Join(keys[:n], ".")
		switch p.kinds[prefix] {
		case kindValue:
			return p.errorAt(at, "%s is already a value (line %d), not a table", prefix, p.defined[prefix].Line)
		case 0:
			p.kinds[prefix] = kindImplicit
			p.defined[prefix] = p.posAt(at)
			p.doc.tables[prefix] = p.posAt(at)
		}
	}
	return nil
}

// key parses a dotted key: bare or quoted parts separated by dots.
func (p *tomlParser) key() ([]string, error) {
	var parts []string
	for {
		p.skipSpace()
		part, err := p.simpleKey()
		if err != nil {
			return nil, err
		}
		parts = append(parts, part)
		if len(parts) > maxTOMLDepth {
			return nil, p.errorf("key nested more than %d levels deep", maxTOMLDepth)
		}
		p.skipSpace()
		if p.peek() != '.' {
			return parts, nil
		}
		p.i++
	}
}

func isBareKeyChar(c byte) bool {
	return c == '_' || c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func (p *tomlParser) simpleKey() (string, error) {
	switch p.peek() {
	case '"':
		return p.basicString()
	case '\'':
		return p.literalString()
	}
	start := p.i
	for !p.eof() && isBareKeyChar(p.src[p.i]) {
		p.i++
	}
	if p.i == start {
		return "", p.errorf("expected a key, found %s", p.describeHere())
	}
	return p.src[start:p.i], nil
}

// keyValue parses key = value under prefix and records it.
func (p *tomlParser) keyValue(prefix string, depth int) error {
	keyStart := p.i
	keys, err := p.key()
	if err != nil {
		return err
	}
	if prefix != "" {
		keys = append(strings.Split(prefix, "."), keys...)
	}
	p.skipSpace()
	if p.peek() != '=' {
		return p.errorf("expected = after the key, found %s", p.describeHere())
	}
	p.i++
	p.skipSpace()
	path := strings.Join(keys, ".")
	if err := p.openParents(keys, keyStart); err != nil {
		return err
	}
	if k := p.kinds[path]; k != 0 {
		what := "value"
		if k != kindValue {
			what = "table"
		}
		return p.errorAt(keyStart, "%s is defined twice (first as a %s at line %d)", path, what, p.defined[path].Line)
	}
	p.kinds[path] = kindValue
	p.defined[path] = p.posAt(keyStart)
	valStart := p.i
	if p.peek() == '{' {
		// An inline table: its keys become entries of their own.
		p.kinds[path] = kindTable
		p.doc.tables[path] = p.posAt(keyStart)
		return p.inlineTable(path, depth+1)
	}
	v, err := p.value(depth + 1)
	if err != nil {
		return err
	}
	p.doc.entries = append(p.doc.entries, tomlEntry{path: path, keyPos: p.posAt(keyStart), valPos: p.posAt(valStart), value: v})
	return nil
}

// inlineTable parses { k = v, ... } on one line.
func (p *tomlParser) inlineTable(path string, depth int) error {
	if depth > maxTOMLDepth {
		return p.errorf("nested more than %d levels deep", maxTOMLDepth)
	}
	p.i++ // {
	p.skipSpace()
	if p.peek() == '}' {
		p.i++
		return nil
	}
	for {
		p.skipSpace()
		if err := p.keyValue(path, depth); err != nil {
			return err
		}
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return p.errorf("expected , or } in the inline table, found %s", p.describeHere())
		}
	}
}

// value parses a string, integer, boolean or array.
func (p *tomlParser) value(depth int) (any, error) {
	if depth > maxTOMLDepth {
		return nil, p.errorf("nested more than %d levels deep", maxTOMLDepth)
	}
	rest := p.src[p.i:]
	switch {
	case strings.HasPrefix(rest, `"""`) || strings.HasPrefix(rest, "'''"):
		return nil, p.errorf("multi-line strings are not supported in pcc-deploy.toml")
	case strings.HasPrefix(rest, `"`):
		return p.basicString()
	case strings.HasPrefix(rest, "'"):
		return p.literalString()
	case strings.HasPrefix(rest, "["):
		return p.array(depth)
	case strings.HasPrefix(rest, "{"):
		return nil, p.errorf("inline tables are supported only as the value of a key, not inside arrays")
	case hasWord(rest, "true"):
		p.i += 4
		return true, nil
	case hasWord(rest, "false"):
		p.i += 5
		return false, nil
	}
	return p.integer()
}

// hasWord reports whether s starts with word not followed by a key
// character (so "trueish" is not true).
func hasWord(s, word string) bool {
	return strings.HasPrefix(s, word) && (len(s) == len(word) || !isBareKeyChar(s[len(word)]))
}

// integer parses a decimal integer with optional sign and underscores
// between digits; anything else that looks like a number is refused.
func (p *tomlParser) integer() (any, error) {
	start := p.i
	for !p.eof() && strings.IndexByte(" \t\r\n,]}#", p.src[p.i]) < 0 {
		p.i++
	}
	tok := p.src[start:p.i]
	p.i = start
	if tok == "" {
		return nil, p.errorf("expected a value (a \"string\", an integer, true or false), found %s", p.describeHere())
	}
	digits := strings.TrimLeft(tok, "+-")
	numeric := strings.Trim(digits, "0123456789_") == ""
	switch {
	case len(tok)-len(digits) > 1 || digits == "":
		return nil, p.errorf("invalid value %s", tok)
	case strings.HasPrefix(digits, "0x") || strings.HasPrefix(digits, "0o") || strings.HasPrefix(digits, "0b"):
		return nil, p.errorf("hexadecimal, octal and binary integers are not supported; write %s in decimal", tok)
	case !numeric && digits[0] >= '0' && digits[0] <= '9' && strings.Trim(digits, "0123456789_.eE+-:TZ") == "",
		!numeric && (strings.HasPrefix(digits, "inf") || strings.HasPrefix(digits, "nan")):
		return nil, p.errorf("%s: floats and dates are not supported in pcc-deploy.toml", tok)
	case !numeric:
		return nil, p.errorf("invalid value %s: strings are quoted (\"%s\")", tok, tok)
	case digits[0] == '_' || digits[len(digits)-1] == '_' || strings.Contains(digits, "__") || digits[0] == '0' && digits != "0":
		return nil, p.errorf("invalid integer %s", tok)
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(tok, "_", ""), 10, 64)
	if err != nil {
		return nil, p.errorf("integer %s is out of range", tok)
	}
	p.i += len(tok)
	return n, nil
}

// array parses [v, v, ...], possibly over several lines with comments.
func (p *tomlParser) array(depth int) (any, error) {
	p.i++ // [
	out := []any{}
	for {
		if err := p.arraySpace(); err != nil {
			return nil, err
		}
		if p.peek() == ']' {
			p.i++
			return out, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if err := p.arraySpace(); err != nil {
			return nil, err
		}
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return out, nil
		default:
			return nil, p.errorf("expected , or ] in the array, found %s", p.describeHere())
		}
	}
}

// arraySpace skips whitespace, line breaks and comments inside an array.
func (p *tomlParser) arraySpace() error {
	for !p.eof() {
		switch p.src[p.i] {
		case ' ', '\t', '\n':
			p.i++
		case '\r':
			if !strings.HasPrefix(p.src[p.i:], "\r\n") {
				return p.errorf("a carriage return must be followed by a line break")
			}
			p.i += 2
		case '#':
			if err := p.comment(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return p.errorf("unterminated array: expected ]")
}

// basicString parses "..." with TOML's escapes.
func (p *tomlParser) basicString() (string, error) {
	start := p.i
	p.i++ // "
	var b strings.Builder
	for {
		if p.eof() || p.src[p.i] == '\n' {
			return "", p.errorAt(start, "unterminated string")
		}
		c := p.src[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\':
			if err := p.escape(&b); err != nil {
				return "", err
			}
		case c < 0x20 && c != '\t' || c == 0x7f:
			return "", p.errorf("control character %q in a string; write it as an escape", c)
		default:
			b.WriteByte(c)
			p.i++
		}
	}
}

func (p *tomlParser) escape(b *strings.Builder) error {
	at := p.i
	p.i++ // backslash
	if p.eof() {
		return p.errorAt(at, "unterminated string")
	}
	c := p.src[p.i]
	p.i++
	switch c {
	case 'b':
		b.WriteByte('\b')
	case 't':
		b.WriteByte('\t')
	case 'n':
		b.WriteByte('\n')
	case 'f':
		b.WriteByte('\f')
	case 'r':
		b.WriteByte('\r')
	case '"':
		b.WriteByte('"')
	case '\\':
		b.WriteByte('\\')
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		if len(p.src)-p.i < n {
			return p.errorAt(at, "invalid escape \\%c: expected %d hexadecimal digits", c, n)
		}
		v, err := strconv.ParseUint(p.src[p.i:p.i+n], 16, 32)
		if err != nil || !utf8.ValidRune(rune(v)) {
			return p.errorAt(at, "invalid escape \\%c%s", c, p.src[p.i:p.i+n])
		}
		b.WriteRune(rune(v))
		p.i += n
	default:
		return p.errorAt(at, "invalid escape \\%c in a string", c)
	}
	return nil
}

// literalString parses '...' (no escapes).
func (p *tomlParser) literalString() (string, error) {
	start := p.i
	p.i++ // '
	end := strings.IndexAny(p.src[p.i:], "'\n")
	if end < 0 || p.src[p.i+end] == '\n' {
		return "", p.errorAt(start, "unterminated string")
	}
	s := p.src[p.i : p.i+end]
	for j := 0; j < len(s); j++ {
		if c := s[j]; c < 0x20 && c != '\t' || c == 0x7f {
			p.i += j
			return "", p.errorf("control character %q in a string", c)
		}
	}
	p.i += end + 1
	return s, nil
}
