package schema

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Error is one problem in a config file, located at the key or value it is
// about.
type Error struct {
	File string
	// Line and Col are 1-based; Col counts characters, as editors do.
	Line, Col int
	// Path is the YAML path ("agents.voice-starter.autoScaling.minAgents",
	// "prune.ignore[0]"); empty for errors about the whole file.
	Path string
	Msg  string
	// Hint, when set, suggests a fix ("did you mean \"secretSet\"?").
	Hint string
	// Source is the text of line Line as written (no line break), cut to
	// at most maxSource characters around the column, with "..." where it
	// was cut; SourceCol is the 1-based character column of the error in
	// Source. Both are empty for an error with no line to show. Source
	// is raw file text: escape it before printing.
	Source    string
	SourceCol int
	// Omitted, on the last entry of a list cut at its limit, is the number
	// of errors not listed ("too many errors: 50 more not shown").
	Omitted int
}

// Count is the number of errors found: those listed and those the list's
// limit left out.
func (es Errors) Count() int {
	n := 0
	for _, e := range es {
		if e.Omitted > 0 {
			n += e.Omitted
		} else {
			n++
		}
	}
	return n
}

// Files are the distinct files the errors are in, in order of appearance.
func (es Errors) Files() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range es {
		if !seen[e.File] {
			seen[e.File] = true
			out = append(out, e.File)
		}
	}
	return out
}

// maxSource bounds Source: a hostile file can be one 5 MiB line.
const maxSource = 120

// attachSource sets Source and SourceCol of every error from data, the
// text the positions refer to. The errors are sorted, so one cursor walks
// the file once, however long its lines.
func (es Errors) attachSource(data []byte) {
	c := &cursor{data: data}
	c.reset()
	for _, e := range es {
		if e.Line < c.line {
			c.reset()
		}
		if e.Line < 1 || !c.toLine(e.Line) {
			continue
		}
		e.Source, e.SourceCol = c.window(max(e.Col, 1))
	}
}

// lineText returns line n (1-based) of data, without its line break.
func lineText(data []byte, n int) (string, bool) {
	c := &cursor{data: data}
	c.reset()
	if !c.toLine(n) {
		return "", false
	}
	return string(data[c.start:c.end]), true
}

// cursor is a position in data: in line (1-based) at bytes [start, end),
// at character idx of the line, which starts at byte off.
type cursor struct {
	data             []byte
	line, start, end int
	idx, off         int
}

func (c *cursor) reset() {
	c.line, c.start = 1, 0
	c.setEnd()
}

func (c *cursor) setEnd() {
	n := bytes.IndexByte(c.data[c.start:], '\n')
	if n < 0 {
		n = len(c.data) - c.start
	}
	c.end = c.start + n
	if c.end > c.start && c.data[c.end-1] == '\r' {
		c.end--
	}
	c.idx, c.off = 0, c.start
}

func (c *cursor) toLine(n int) bool {
	if c.line == n {
		return true
	}
	for c.line < n {
		j := bytes.IndexByte(c.data[c.start:], '\n')
		if j < 0 {
			return false
		}
		c.start += j + 1
		c.line++
	}
	c.setEnd()
	return true
}

// advance moves the cursor to character k of the line, or its end.
func (c *cursor) advance(k int) {
	if c.idx > k {
		c.idx, c.off = 0, c.start
	}
	for c.idx < k && c.off < c.end {
		_, size := utf8.DecodeRune(c.data[c.off:c.end])
		c.off += size
		c.idx++
	}
}

// window returns at most maxSource characters of the line around col,
// with "..." where the line was cut, and col in that text.
func (c *cursor) window(col int) (string, int) {
	c.advance(max(0, col-1-maxSource/2))
	from, fromOff := c.idx, c.off
	to := *c
	to.advance(from + maxSource)
	s := string(c.data[fromOff:to.off])
	col -= from
	if from > 0 {
		s, col = "..."+s, col+3
	}
	if to.off < c.end {
		s += "..."
	}
	return s, min(col, utf8.RuneCountInString(s)+1)
}

// Error returns FILE:LINE:COL: path: msg.
func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Line, e.Col, e.Path, e.Msg)
}

// Errors is every problem found in one file, sorted by line, column and
// path. Load and Parse return it as their error when the file is invalid.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// maxErrors bounds the list so that a hostile file (a million aliases)
// cannot make the report itself huge; maxCollected bounds the work done
// before sorting.
const (
	maxErrors    = 100
	maxCollected = 10 * maxErrors
)

// sorted sorts, drops exact duplicates (two schema keywords failing on one
// value with the same message) and caps the list; dropped errors were
// never collected.
func (es Errors) sorted(dropped int) Errors {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Msg < b.Msg
	})
	var out Errors
	for i, e := range es {
		if i > 0 && *e == *es[i-1] {
			continue
		}
		out = append(out, e)
	}
	if len(out) > maxErrors {
		rest := len(out) - maxErrors + dropped
		last := out[maxErrors]
		out = append(out[:maxErrors], &Error{File: last.File, Line: last.Line, Col: last.Col,
			Msg: fmt.Sprintf("too many errors: %d more not shown", rest), Omitted: rest})
	}
	return out
}
