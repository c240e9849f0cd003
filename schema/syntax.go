package schema

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// errMultiDoc reports a second YAML document in the file.
type errMultiDoc struct{ line, col int }

func (e errMultiDoc) Error() string { return "more than one YAML document" }

// parseYAML parses data into its single document node; nil means the file
// holds no document (empty or only comments).
func parseYAML(data []byte) (doc *yaml.Node, err error) {
	defer func() {
		// A parser bug must not take the process down with it.
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first yaml.Node
	if err := dec.Decode(&first); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case errors.Is(err, io.EOF):
		return &first, nil
	case err != nil:
		return nil, err
	default:
		return nil, errMultiDoc{second.Line, second.Column}
	}
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// syntaxError turns a yaml.v3 error into a located Error. yaml.v3 reports
// scanner errors at the right line but parser errors at the 0-based line of
// the enclosing construct, and some errors (unknown anchors, encoding,
// nesting depth) at no line at all. So the reported line is only a lower
// bound: the real position is the shortest prefix of the file that fails
// with the same message, found by bisection over lines, then over the
// characters of that line. When ctx is done the search stops at the lower
// bound (the caller discards the result).
func syntaxError(ctx context.Context, file string, data []byte, err error) *Error {
	var md errMultiDoc
	if errors.As(err, &md) {
		return &Error{File: file, Line: max(md.line, 1), Col: max(md.col, 1),
			Msg: "more than one YAML document", Hint: "a pipecat.yaml holds one document: remove the '---' separator and merge the documents"}
	}
	msg, from := err.Error(), 1
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		msg = m[2]
		if m[1] != "" {
			from, _ = strconv.Atoi(m[1])
		}
	}
	line, col := locate(ctx, data, msg, max(from, 1))
	// yaml.v3 words a tab in indentation in three ways, none of which
	// says "tab" where it matters most ("found character that cannot
	// start any token").
	if tab := indentTab(data, line); tab > 0 || strings.Contains(msg, "tab character") {
		if tab > 0 {
			col = tab
		}
		return &Error{File: file, Line: line, Col: col, Msg: "tabs are not allowed for indentation; use spaces",
			Hint: fmt.Sprintf("replace the tabs at the start of line %d with spaces (YAML indents with spaces only)", line)}
	}
	return &Error{File: file, Line: line, Col: col, Msg: "invalid YAML: " + msg}
}

// indentTab returns the column of the first tab in the indentation of
// line (1-based), or 0.
func indentTab(data []byte, line int) int {
	text, ok := lineText(data, line)
	if !ok {
		return 0
	}
	for i, c := range []byte(text) {
		switch c {
		case '\t':
			return i + 1
		case ' ':
		default:
			return 0
		}
	}
	return 0
}

func locate(ctx context.Context, data []byte, msg string, from int) (line, col int) {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' && i+1 < len(data) {
			starts = append(starts, i+1)
		}
	}
	n := len(starts)
	from = min(from, n)
	lineEnd := func(l int) int { // byte offset just past line l (1-based), newline included
		if l < n {
			return starts[l]
		}
		return len(data)
	}
	// Bisection parses prefixes; the budgets keep a hostile file from
	// costing more than a few parses of itself, while a real config (a few
	// KiB) can afford the whole search. Parsing costs by the node, so the
	// second budget counts the node estimate of each prefix: a dense
	// 400 KB "{1,1,..." is as costly as megabytes of comments.
	budget := min(64*len(data), 8<<20)
	nodes := 2 * maxTokens
	fails := func(end int) bool {
		if ctx.Err() != nil {
			budget = -1
		}
		est, _ := nodeEstimate(data[:end], nodes)
		if nodes -= est; nodes < 0 {
			budget = -1
		}
		if budget -= end; budget < 0 {
			return false
		}
		_, err := parseYAML(data[:end])
		if err == nil {
			return false
		}
		m := yamlLineRE.FindStringSubmatch(err.Error())
		return m != nil && m[2] == msg
	}
	firstNonBlank := func(l int) int {
		s := data[starts[l-1]:lineEnd(l)]
		t := bytes.TrimLeft(s, " \t")
		return utf8.RuneCount(s[:len(s)-len(t)]) + 1
	}

	// Exponential probe from the lower bound, then bisection.
	lo, hi, step := from-1, -1, 1
	for cand := from; ; cand += step {
		cand = min(cand, n)
		if fails(lineEnd(cand)) {
			hi = cand
			break
		}
		if cand == n || budget < 0 {
			return from, firstNonBlank(from)
		}
		lo, step = cand, step*2
	}
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if fails(lineEnd(mid)) {
			hi = mid
		} else {
			lo = mid
		}
	}
	line = hi

	// Smallest k such that the prefix ending with the k-th character of the
	// line fails the same way: that character is where the parser stopped.
	start, end := starts[line-1], lineEnd(line)
	text := strings.TrimRight(string(data[start:end]), "\r\n")
	var offs []int // byte offset just past each character
	for i, r := range text {
		offs = append(offs, start+i+utf8.RuneLen(r))
	}
	a, b := 0, len(offs)+1 // fails(k) false for k <= a, unknown for a < k < b
	for a+1 < b {
		k := (a + b) / 2
		if k <= len(offs) && fails(offs[k-1]) {
			b = k
		} else {
			a = k
		}
	}
	if b > len(offs) || budget < 0 {
		return line, firstNonBlank(line)
	}
	return line, b
}

// invalidUTF8 returns the byte offset of the first invalid UTF-8 sequence,
// or -1.
func invalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// position converts a byte offset into a 1-based line and column.
func position(data []byte, off int) (line, col int) {
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	ls := bytes.LastIndexByte(data[:off], '\n') + 1
	return line, utf8.RuneCount(data[ls:off]) + 1
}

// YAML also ends lines at a lone CR and, as yaml.v3 reads it (YAML 1.1), at
// U+0085, U+2028 and U+2029, which most editors and GitHub do not. So that
// every line number means the same line everywhere, a lone CR becomes LF
// (same offsets, same YAML meaning) and the other three are refused.

func loneCRToLF(data []byte) []byte {
	if !bytes.Contains(data, []byte("\r")) {
		return data
	}
	out := bytes.Clone(data)
	for i, c := range out {
		if c == '\r' && (i+1 == len(out) || out[i+1] != '\n') {
			out[i] = '\n'
		}
	}
	return out
}

func unusualBreak(data []byte) int {
	first := -1
	for _, seq := range []string{"\u0085", "\u2028", "\u2029"} {
		if i := bytes.Index(data, []byte(seq)); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	return first
}
