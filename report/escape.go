package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Escaping: every string from a config or the API goes through one of
// these functions before it is written, chosen by where it lands.
//
//   - invisible characters (controls, bidi controls, zero-width and other
//     format characters) are shown as escapes in every format: \x1b,
//     \u202e. They could drive a terminal or hide and reorder text.
//   - Markdown text (messages, reasons) takes every Markdown and HTML
//     character literally, and a word joiner (U+2060, invisible) breaks
//     what GitHub would act on after rendering: @mentions and team
//     mentions, #123 / GH-123 / owner/repo#123 references and URLs, which
//     stay text rather than links. Backslashes and entities cannot do it:
//     GitHub finds mentions in the rendered text, where \@ is already @.
//   - Markdown code (names, paths, values in diffs) is left copyable:
//     GitHub neither mentions nor links inside code.
//   - GitHub Actions reads workflow commands from a job's output: "::" at
//     the start of a line (after spaces) and "##[" anywhere. Neither
//     reaches an output line from a config or API string (TerminalText).

// wordJoiner is invisible and joins what it separates, so mentions,
// references and links are no longer recognised but read the same.
const wordJoiner = '\u2060'

// invisible reports whether r must be shown as an escape: C0 controls
// (the caller handles tab and line feed), DEL, C1 controls, format
// characters (bidi controls, zero-width space and joiners, BOM, tag
// characters), line and paragraph separators, variation selectors and
// the filler characters that render as nothing.
func invisible(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r == 0x034f, r == 0x115f, r == 0x1160, r == 0x3164, r == 0xffa0, r >= 0x180b && r <= 0x180f:
		return true
	case r >= 0xfe00 && r <= 0xfe0f, r >= 0xe0100 && r <= 0xe01ef:
		return true
	}
	return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// escapeRune is the visible form of an invisible rune, as Go writes it.
func escapeRune(r rune) string {
	switch {
	case r < 0x80:
		return fmt.Sprintf(`\x%02x`, r)
	case r <= 0xffff:
		return fmt.Sprintf(`\u%04x`, r)
	}
	return fmt.Sprintf(`\U%08x`, r)
}

// visible shows every invisible rune of s as an escape, and every line
// break as \n (or \r), so s stays on one line. Invalid UTF-8 becomes
// U+FFFD.
func visible(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case invisible(r):
			b.WriteString(escapeRune(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r != '\t' && invisible(r)) || (r == utf8.RuneError && n == 1) {
			return true
		}
		i += n
	}
	return false
}

// oneLine joins the lines of a message with spaces, for a table cell or a
// list item.
func oneLine(s string) string { return lineBreaks.Replace(s) }

var lineBreaks = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// mdEscape writes text from user files and the API as Markdown text that
// reads the same and does nothing: no markup, no HTML, no mention, no
// reference, no link. Line breaks become spaces.
func mdEscape(s string) string {
	s = visible(oneLine(s))
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '`', '*', '_', '[', ']', '~', '$':
			// $ starts math on GitHub. A pipe is left to cell: it matters
			// only in a table.
			b.WriteByte('\\')
			b.WriteByte(c)
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '@', '#':
			// @user, @org/team, owner/repo@sha; #123, owner/repo#123,
			// "##[" and "# " headings.
			b.WriteByte(c)
			b.WriteRune(wordJoiner)
		case ':':
			b.WriteByte(c)
			if strings.HasPrefix(s[i+1:], "//") {
				b.WriteRune(wordJoiner) // https://… stays text
			}
		default:
			b.WriteByte(c)
			// www.example.com and GH-123 (either case) are links too.
			if rest := s[i:]; hasPrefixFold(rest, "www.") || (hasPrefixFold(rest, "gh-") && len(rest) > 3 && isDigit(rest[3])) {
				b.WriteString(rest[1:3])
				b.WriteRune(wordJoiner)
				i += 2
			}
		}
	}
	return b.String()
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// cell makes content safe inside a table cell: GitHub splits cells on
// every unescaped pipe, even inside code spans. Text from mdEscape has its
// pipes escaped already.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// mdCode writes s as a code span, with a backtick fence longer than any run
// of backticks inside it. GitHub does not look for mentions or references
// in code, so the text stays as it is (and can be copied), except that
// "##[" is broken for the runner.
func mdCode(s string) string {
	s = runnerSafe(visible(s), codeHashes)
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	// A space at each end of the content would be stripped, and a
	// backtick there would join the fence: pad both.
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") ||
		(len(s) > 1 && s[0] == ' ' && s[len(s)-1] == ' ' && strings.Trim(s, " ") != "") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// htmlCode is s inside the <code> of raw HTML (a <details> summary).
func htmlCode(s string) string { return html.EscapeString(runnerSafe(visible(s), codeHashes)) }

// TerminalText makes text from a config or the API safe to print on a
// terminal or in a GitHub Actions log, line breaks kept: control
// characters (ESC, OSC, CR, NUL, C1), bidi controls and zero-width
// characters are shown as escapes (\x1b, \u202e); a line that would
// begin with "::" (after white space), a workflow command such as
// ::add-mask:: or ::stop-commands::, begins with \x3a: instead; and
// "##[", the legacy command prefix the runner finds anywhere in a line,
// is written #\x23[. Package main uses it for the error lines it prints.
func TerminalText(s string) string { return terminalLines(s, "") }

// TerminalLine is TerminalText on one line: line breaks are shown as \n
// and \r, so text from the network cannot start a line that looks like
// the tool's (-v logs, progress lines).
func TerminalLine(s string) string { return terminalLine(s) }

// terminalLines is TerminalText with indent before every line after the
// first, so a multi-line message stays under its first line.
func terminalLines(s, indent string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = terminalLine(l)
	}
	return strings.Join(lines, "\n"+indent)
}

// terminalLine is s on one line of a terminal, a log or a code block:
// TerminalText with line breaks shown as \n.
func terminalLine(s string) string {
	s = runnerSafe(visible(s), terminalHashes)
	if t := strings.TrimLeftFunc(s, unicode.IsSpace); strings.HasPrefix(t, "::") {
		s = s[:len(s)-len(t)] + `\x3a` + t[1:]
	}
	return s
}

// runnerSafe breaks the legacy workflow command prefix "##[", which the
// runner finds anywhere in a line, by writing it as repl.
func runnerSafe(s, repl string) string {
	if !strings.Contains(s, "##[") {
		return s
	}
	return strings.ReplaceAll(s, "##[", repl)
}

// The forms of "##[": invisibly broken in code, shown in a terminal.
const (
	codeHashes     = "#\u2060#["
	terminalHashes = `#\x23[`
)

// codeFence returns a fence for a fenced code block that body cannot close.
func codeFence(body string) string {
	return strings.Repeat("`", max(3, longestRun(body, '`')+1))
}

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// mdURL is u as a link destination, or "" when it is not an http(s) URL.
// Characters that could end the destination or the link are
// percent-encoded.
func mdURL(u string) string {
	if !hasPrefixFold(u, "https://") && !hasPrefixFold(u, "http://") {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>[]\"'`\\|{}^", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// literal renders a field value as a JSON literal: strings quoted (and
// control characters escaped, so a value cannot drive the terminal),
// numbers bare, booleans, null. Invisible characters, which JSON allows
// raw, are written as \u escapes too, and "##[" as "#\u0023[": the same
// JSON value, shown.
func literal(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return visible(fmt.Sprintf("%v", v))
	}
	return string(jsonVisible(bytes.TrimSuffix(b.Bytes(), []byte("\n"))))
}

// jsonVisible rewrites encoded JSON so that its strings show every
// invisible character as a \u escape and break "##[". Both can only occur
// inside strings, and both rewrites decode to the same value.
func jsonVisible(doc []byte) []byte {
	if !needsEscape(string(doc)) && !bytes.Contains(doc, []byte("##[")) {
		return doc
	}
	var b bytes.Buffer
	for i := 0; i < len(doc); {
		r, n := utf8.DecodeRune(doc[i:])
		switch {
		case r == '#' && bytes.HasPrefix(doc[i:], []byte("##[")):
			b.WriteString(`#\u0023`)
			i += 2
			continue
		case r != '\t' && r != '\n' && invisible(r):
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.Write(doc[i : i+n])
		}
		i += n
	}
	return b.Bytes()
}
