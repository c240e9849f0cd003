package schema

import (
	"fmt"
	"sort"
	"strings"
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
			Msg: fmt.Sprintf("too many errors: %d more not shown", rest)})
	}
	return out
}
