package adopt

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// pcc-deploy.toml is parsed by go-toml's unstable parser, which keeps the
// byte range of every key and value; this file adds what the parser
// leaves to a decoder (keys and tables defined twice, a value used as a
// table) and refuses at its position what no pcc-deploy.toml key takes:
// floats, dates, multi-line strings, arrays of tables, inline tables in
// arrays, hexadecimal integers and nesting deeper than maxTOMLDepth.

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

// tomlKind is what a dotted path names so far.
type tomlKind int

const (
	kindValue    tomlKind = iota + 1
	kindTable             // opened by a [header] or an inline table
	kindImplicit          // opened by a dotted key or a deeper header
)

type tomlReader struct {
	src   string
	p     *unstable.Parser
	doc   *tomlDoc
	kinds map[string]tomlKind
	// defined holds where each path was defined, for "defined twice".
	defined map[string]schema.Position
	table   string // current [table] path
	// lastOff and lastPos are the last position posAt computed.
	lastOff int
	lastPos schema.Position
}

// parseTOML parses data. It stops at the first error: after one,
// positions of what follows mean little.
func parseTOML(data []byte) (*tomlDoc, error) {
	r := &tomlReader{src: string(data), doc: &tomlDoc{tables: map[string]schema.Position{}},
		kinds: map[string]tomlKind{}, defined: map[string]schema.Position{}, lastPos: schema.Position{Line: 1, Col: 1}}
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			c, n := utf8.DecodeRune(data[off:])
			if c == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return nil, r.errorAt(off, "invalid UTF-8: the file must be UTF-8 encoded")
	}
	if err := r.checkDepth(); err != nil {
		return nil, err
	}
	r.p = &unstable.Parser{}
	r.p.Reset(data)
	for r.p.NextExpression() {
		e := r.p.Expression()
		var err error
		switch e.Kind {
		case unstable.Table:
			err = r.header(e)
		case unstable.ArrayTable:
			err = r.errorAt(r.headerStart(e), "arrays of tables ([[...]]) are not supported in pcc-deploy.toml")
		case unstable.KeyValue:
			err = r.keyValue(r.table, e)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := r.p.Error(); err != nil {
		return nil, r.syntaxError(err)
	}
	return r.doc, nil
}

// posAt is the 1-based line and column (in characters) of byte offset i.
// Positions are asked for mostly in file order, so it counts on from the
// last one asked for: a long file costs linear time, not quadratic.
func (r *tomlReader) posAt(i int) schema.Position {
	if i < r.lastOff {
		r.lastOff, r.lastPos = 0, schema.Position{Line: 1, Col: 1}
	}
	pos := r.lastPos
	for _, c := range r.src[r.lastOff:i] {
		if c == '\n' {
			pos.Line, pos.Col = pos.Line+1, 1
		} else {
			pos.Col++
		}
	}
	r.lastOff, r.lastPos = i, pos
	return pos
}

func (r *tomlReader) errorAt(i int, format string, args ...any) error {
	return &tomlError{pos: r.posAt(i), msg: fmt.Sprintf(format, args...)}
}

// syntaxError locates the parser's error and words the common mistakes
// as pcc-deploy.toml's users make them.
func (r *tomlReader) syntaxError(err error) error {
	var pe *unstable.ParserError
	if !errors.As(err, &pe) {
		return r.errorAt(0, "%v", err)
	}
	off := int(r.p.Range(pe.Highlight).Offset)
	msg := pe.Message
	switch {
	case strings.Contains(msg, "at start of value"):
		tok := r.src[off:]
		if end := strings.IndexAny(tok, " \t\r\n,]}#"); end >= 0 {
			tok = tok[:end]
		}
		msg = fmt.Sprintf("invalid value %s: strings are quoted (%q)", tok, tok)
	case strings.HasPrefix(msg, "invalid character at start of key"):
		c, _ := utf8.DecodeRuneInString(r.src[off:])
		msg = fmt.Sprintf("expected a key, found %s", strconv.QuoteRune(c))
	}
	return r.errorAt(off, "%s", msg)
}

// checkDepth refuses arrays and inline tables nested deeper than
// maxTOMLDepth before the parser, which recurses, sees them. Strings and
// comments are skipped; table headers count too, which is harmless.
func (r *tomlReader) checkDepth() error {
	depth := 0
	s := r.src
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case '"', '\'':
			quote := s[i : i+1]
			if strings.HasPrefix(s[i:], strings.Repeat(quote, 3)) {
				quote = strings.Repeat(quote, 3)
			}
			i += len(quote)
			for i < len(s) && !strings.HasPrefix(s[i:], quote) && (len(quote) == 3 || s[i] != '\n') {
				if c == '"' && s[i] == '\\' {
					i++
				}
				i++
			}
			i += len(quote) - 1
		case '[', '{':
			if depth++; depth > maxTOMLDepth {
				return r.errorAt(i, "nested more than %d levels deep", maxTOMLDepth)
			}
		case ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return nil
}

// offset is where b, a slice of the parsed data, starts.
func (r *tomlReader) offset(n *unstable.Node) int { return int(n.Raw.Offset) }

// keyParts returns the parts of a node's key and where the key starts,
// refusing a key of more than maxTOMLDepth parts (whose prefixes would
// cost quadratic time).
func (r *tomlReader) keyParts(e *unstable.Node) ([]string, int, error) {
	var parts []string
	start := -1
	it := e.Key()
	for it.Next() {
		k := it.Node()
		if start < 0 {
			start = r.offset(k)
		}
		if len(parts) == maxTOMLDepth {
			return nil, start, r.errorAt(r.offset(k), "key nested more than %d levels deep", maxTOMLDepth)
		}
		parts = append(parts, string(k.Data))
	}
	return parts, start, nil
}

// headerStart is the offset of the [ that opens a table header.
func (r *tomlReader) headerStart(e *unstable.Node) int {
	_, i, _ := r.keyParts(e)
	for i > 0 && r.src[i-1] != '\n' {
		i--
		if r.src[i] == '[' && (i == 0 || r.src[i-1] != '[') {
			break
		}
	}
	return i
}

// header makes [a.b] the current table.
func (r *tomlReader) header(e *unstable.Node) error {
	keys, _, err := r.keyParts(e)
	if err != nil {
		return err
	}
	start := r.headerStart(e)
	path := strings.Join(keys, ".")
	pos := r.posAt(start)
	if err := r.openParents(keys, start); err != nil {
		return err
	}
	switch r.kinds[path] {
	case kindValue:
		return r.errorAt(start, "%s is already a value (line %d), not a table", path, r.defined[path].Line)
	case kindTable:
		return r.errorAt(start, "table [%s] is defined twice (first at line %d)", path, r.defined[path].Line)
	}
	r.kinds[path] = kindTable
	r.defined[path] = pos
	if _, ok := r.doc.tables[path]; !ok {
		r.doc.tables[path] = pos
	}
	r.table = path
	return nil
}

// openParents marks every proper prefix of keys as a table, refusing a
// prefix that is a value.
func (r *tomlReader) openParents(keys []string, at int) error {
	for n := 1; n < len(keys); n++ {
		prefix := strings.Join(keys[:n], ".")
		switch r.kinds[prefix] {
		case kindValue:
			return r.errorAt(at, "%s is already a value (line %d), not a table", prefix, r.defined[prefix].Line)
		case 0:
			r.kinds[prefix] = kindImplicit
			r.defined[prefix] = r.posAt(at)
			r.doc.tables[prefix] = r.posAt(at)
		}
	}
	return nil
}

// keyValue records key = value under prefix; an inline table's keys
// become entries of their own.
func (r *tomlReader) keyValue(prefix string, e *unstable.Node) error {
	keys, keyStart, err := r.keyParts(e)
	if err != nil {
		return err
	}
	if prefix != "" {
		keys = append(strings.Split(prefix, "."), keys...)
	}
	path := strings.Join(keys, ".")
	if err := r.openParents(keys, keyStart); err != nil {
		return err
	}
	if k := r.kinds[path]; k != 0 {
		what := "value"
		if k != kindValue {
			what = "table"
		}
		return r.errorAt(keyStart, "%s is defined twice (first as a %s at line %d)", path, what, r.defined[path].Line)
	}
	r.kinds[path] = kindValue
	r.defined[path] = r.posAt(keyStart)
	v := e.Value()
	// Arrays carry no range: the value starts after the = sign.
	valStart := r.offset(v)
	if v.Kind == unstable.Array {
		eq := keyStart + strings.IndexByte(r.src[keyStart:], '=')
		valStart = eq + 1 + len(r.src[eq+1:]) - len(strings.TrimLeft(r.src[eq+1:], " \t"))
	}
	if v.Kind == unstable.InlineTable {
		r.kinds[path] = kindTable
		r.doc.tables[path] = r.posAt(keyStart)
		it := v.Children()
		for it.Next() {
			if err := r.keyValue(path, it.Node()); err != nil {
				return err
			}
		}
		return nil
	}
	val, err := r.value(v, valStart)
	if err != nil {
		return err
	}
	r.doc.entries = append(r.doc.entries, tomlEntry{path: path, keyPos: r.posAt(keyStart), valPos: r.posAt(valStart), value: val})
	return nil
}

// value converts a string, integer, boolean or array; at is where it
// starts, for nodes without a range (arrays).
func (r *tomlReader) value(n *unstable.Node, at int) (any, error) {
	if n.Raw.Length > 0 {
		at = r.offset(n)
	}
	raw := r.src[at : at+int(n.Raw.Length)]
	switch n.Kind {
	case unstable.String:
		if strings.HasPrefix(raw, `"""`) || strings.HasPrefix(raw, "'''") {
			return nil, r.errorAt(at, "multi-line strings are not supported in pcc-deploy.toml")
		}
		return string(n.Data), nil
	case unstable.Bool:
		return string(n.Data) == "true", nil
	case unstable.Integer:
		tok := string(n.Data)
		digits := strings.TrimLeft(tok, "+-")
		if strings.HasPrefix(digits, "0x") || strings.HasPrefix(digits, "0o") || strings.HasPrefix(digits, "0b") {
			return nil, r.errorAt(at, "hexadecimal, octal and binary integers are not supported; write %s in decimal", tok)
		}
		v, err := strconv.ParseInt(strings.ReplaceAll(tok, "_", ""), 10, 64)
		if err != nil {
			return nil, r.errorAt(at, "integer %s is out of range", tok)
		}
		return v, nil
	case unstable.Float, unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		return nil, r.errorAt(at, "%s: floats and dates are not supported in pcc-deploy.toml", raw)
	case unstable.InlineTable:
		return nil, r.errorAt(at, "inline tables are supported only as the value of a key, not inside arrays")
	case unstable.Array:
		out := []any{}
		it := n.Children()
		for it.Next() {
			v, err := r.value(it.Node(), at)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, r.errorAt(at, "unsupported value %s", raw)
}
