// Package redact hides the credentials of a run in the text it writes out.
// It is applied where text leaves the process (a terminal, a log, a file, a
// comment), never to data on its way in: an API answer is decoded as sent.
//
// Contract:
//   - A Set holds every credential the run knows (the API key, the GitHub
//     token, the values of secret sets, fingerprint key names); Add may be
//     called at any time, from any goroutine.
//   - Text is matched through its common transformations: any letter
//     case, '-' for '_', white space (line breaks included) anywhere
//     inside, JSON and terminal escapes in either case (\u0070, \U0070,
//     \x70, \n, \_), percent
//     escapes (%70, %2570), HTML entities (&lt;, &#60;), invisible joiners,
//     and base64 (standard and URL alphabets, each of the 3 alignments).
//   - A credential of at least Run characters is found by any Run
//     consecutive characters of it (a prefix or a cut); one of MinLen to
//     Run-1 characters only whole. Each match, with the escapes and white
//     space inside it, becomes "REDACTED".
//   - A credential under MinLen characters is no real key or token (a
//     sandbox stand-in such as "x") or a short value; it is replaced only
//     where it is a whole token, bounded by white space, quotes or
//     punctuation such as ,;:= (never by - _ . /, which join the parts
//     of a name: "x-bot", "X-Amz-Signature" stay), and only by Text:
//     Data leaves it, since a saved plan, a JSON document or a YAML
//     config must say exactly what the API said.
//   - Matching is one pass over the text with a rolling hash of its last
//     Run normalised bytes; text without a match is returned as is.
package redact

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

const (
	// Run is the length of the shortest piece of a long credential that
	// is redacted inside other text.
	Run = 12
	// MinLen is the length of the shortest credential matched inside
	// other text; shorter ones are matched as whole tokens by Text only.
	MinLen = 8
)

// Mark replaces each credential.
const Mark = "REDACTED"

// Set is the credentials of a run. The zero value holds none; a nil *Set
// redacts nothing.
type Set struct {
	mu    sync.Mutex
	creds []string
	m     atomic.Pointer[Matcher]
}

// New returns a Set holding creds.
func New(creds ...string) *Set {
	s := &Set{}
	s.Add(creds...)
	return s
}

// Add adds credentials; empty and known ones are ignored.
func (s *Set) Add(creds ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.creds)
	for _, c := range creds {
		c = strings.TrimSpace(c)
		if c != "" && !contains(s.creds, c) {
			s.creds = append(s.creds, c)
		}
	}
	if len(s.creds) != n {
		s.m.Store(NewMatcher(s.creds...))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Set) matcher() *Matcher {
	if s == nil {
		return nil
	}
	return s.m.Load()
}

// Text is s as it may be shown: every credential replaced, short ones
// too as whole tokens.
func (s *Set) Text(str string) string { return s.matcher().redact(str, true) }

// Data is s as it may be written into a document that is read back (a
// saved plan, JSON, YAML): credentials of MinLen characters or more
// replaced, shorter ones left, since they would corrupt ordinary words.
func (s *Set) Data(str string) string { return s.matcher().redact(str, false) }

// Writer returns a writer that writes through Text, one Write at a time:
// write whole lines or documents, so that a credential is not cut in two.
func (s *Set) Writer(w io.Writer) *Writer { return &Writer{w: w, s: s} }

// Writer redacts what it writes; see Set.Writer.
type Writer struct {
	w io.Writer
	s *Set
}

// Write writes Text(p) and reports p written whole.
func (w *Writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, w.s.Text(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteData writes Data(p): a document, not text for people.
func (w *Writer) WriteData(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, w.s.Data(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Unwrap returns the writer written to.
func (w *Writer) Unwrap() io.Writer { return w.w }

// Matcher finds credentials; see the package contract. It is immutable
// and safe for concurrent use.
type Matcher struct {
	grams  map[[Run]byte]int // normalised Run-grams -> credential index
	filter []uint64          // bit set over gramHash, a fast "no"
	whole  []wholeCred       // MinLen <= length < Run, normalised
	short  []string          // length < MinLen, lower case
	pow    uint32            // hashBase^(Run-1)
}

type wholeCred struct {
	norm []byte
	idx  int
}

const (
	hashBase   = 16777619
	filterBits = 1 << 16
)

// NewMatcher returns a Matcher for creds (empty ones are ignored).
func NewMatcher(creds ...string) *Matcher {
	m := &Matcher{grams: map[[Run]byte]int{}, filter: make([]uint64, filterBits/64), pow: 1}
	for i := 0; i < Run-1; i++ {
		m.pow *= hashBase
	}
	for idx, c := range creds {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		plain := plainNorm(c)
		if len(plain) < MinLen {
			m.short = append(m.short, strings.ToLower(c))
			continue
		}
		// The credential as written, and as the text normaliser reads it
		// (they differ when it holds '%', '\\' or '&').
		forms := [][]byte{plain, normalize(nil, nil, c)}
		for a := 0; a < 3; a++ {
			for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
				if core := base64Core(enc, c, a); len(core) >= Run {
					forms = append(forms, plainNorm(core))
				}
			}
		}
		for _, f := range forms {
			if len(f) < Run {
				if len(f) >= MinLen {
					m.whole = append(m.whole, wholeCred{f, idx})
				}
				continue
			}
			for i := 0; i+Run <= len(f); i++ {
				var g [Run]byte
				copy(g[:], f[i:])
				if _, ok := m.grams[g]; !ok {
					m.grams[g] = idx
				}
				m.setFilter(hashOf(g[:]))
			}
		}
	}
	return m
}

// base64Core is the part of the base64 of c that does not depend on the
// bytes around it, when c starts a bytes into a 3-byte group.
func base64Core(enc *base64.Encoding, c string, a int) string {
	b := make([]byte, a+len(c))
	copy(b[a:], c)
	s := enc.EncodeToString(b)
	from := (8*a + 5) / 6
	to := 8 * (a + len(c)) / 6
	if from >= to {
		return ""
	}
	return s[from:to]
}

func hashOf(b []byte) uint32 {
	var h uint32
	for _, c := range b {
		h = h*hashBase + uint32(c)
	}
	return h
}

func filterIndex(h uint32) uint32 { return (h * 0x9E3779B1) >> (32 - 16) }

func (m *Matcher) setFilter(h uint32) {
	i := filterIndex(h)
	m.filter[i/64] |= 1 << (i % 64)
}

func (m *Matcher) inFilter(h uint32) bool {
	i := filterIndex(h)
	return m.filter[i/64]&(1<<(i%64)) != 0
}

// Holds returns the index (in NewMatcher's arguments) of a credential of
// MinLen characters or more that s holds, or -1.
func (m *Matcher) Holds(s string) int {
	if m == nil || len(m.grams) == 0 && len(m.whole) == 0 {
		return -1
	}
	norm := normalize(nil, nil, s)
	at, idx := m.scan(norm, nil)
	if at >= 0 {
		return idx
	}
	return -1
}

var bufs = sync.Pool{New: func() any { return new(scratch) }}

type scratch struct {
	norm  []byte
	spans []span
	mark  []bool
}

type span struct{ from, to int32 }

func (m *Matcher) redact(s string, display bool) string {
	if m == nil || s == "" {
		return s
	}
	if len(m.grams) > 0 || len(m.whole) > 0 {
		b := bufs.Get().(*scratch)
		b.norm = normalize(b.norm[:0], nil, s)
		if at, _ := m.scan(b.norm, nil); at >= 0 {
			b.norm, b.spans = b.norm[:0], b.spans[:0]
			b.norm = normalize(b.norm, &b.spans, s)
			b.mark = append(b.mark[:0], make([]bool, len(b.norm))...)
			m.scan(b.norm, b.mark)
			s = replace(s, b.spans, b.mark)
		}
		bufs.Put(b)
	}
	if display {
		for _, c := range m.short {
			s = replaceWord(s, c)
		}
	}
	return s
}

// scan looks for credentials in the normalised text. Without mark it
// returns at the first match (its position and credential); with mark
// it marks every normalised byte inside a match.
func (m *Matcher) scan(norm []byte, mark []bool) (at, idx int) {
	at, idx = -1, -1
	if len(m.grams) > 0 && len(norm) >= Run {
		h := hashOf(norm[:Run])
		for i := 0; ; i++ {
			if m.inFilter(h) {
				var g [Run]byte
				copy(g[:], norm[i:])
				if ci, ok := m.grams[g]; ok {
					if mark == nil {
						return i, ci
					}
					for j := i; j < i+Run; j++ {
						mark[j] = true
					}
				}
			}
			if i+Run >= len(norm) {
				break
			}
			h = (h-uint32(norm[i])*m.pow)*hashBase + uint32(norm[i+Run])
		}
	}
	for _, w := range m.whole {
		for off := 0; off+len(w.norm) <= len(norm); {
			j := indexBytes(norm[off:], w.norm)
			if j < 0 {
				break
			}
			if mark == nil {
				return off + j, w.idx
			}
			for k := off + j; k < off+j+len(w.norm); k++ {
				mark[k] = true
			}
			off += j + 1
		}
	}
	return at, idx
}

func indexBytes(s, sub []byte) int { return bytes.Index(s, sub) }

// replace writes s with each run of marked units, from the first byte of
// its first unit to the last of its last, as Mark.
func replace(s string, spans []span, mark []bool) string {
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for i := 0; i < len(mark); {
		if !mark[i] {
			i++
			continue
		}
		j := i
		for j+1 < len(mark) && mark[j+1] {
			j++
		}
		from, to := int(spans[i].from), int(spans[j].to)
		// A unit shared by several bytes (a multi-byte escape) is
		// redacted whole.
		for i > 0 && spans[i-1].from == spans[i].from {
			i--
			from = int(spans[i].from)
		}
		for j+1 < len(spans) && spans[j+1].from == spans[j].from {
			j++
			to = int(spans[j].to)
		}
		if from < last {
			from = last
		}
		b.WriteString(s[last:from])
		b.WriteString(Mark)
		last = to
		i = j + 1
	}
	b.WriteString(s[last:])
	return b.String()
}

// replaceWord replaces the occurrences of lower (lower case) in s, in
// any letter case, that are a whole token: bounded by the ends of s or
// by separators (white space, quotes, punctuation that ends a value),
// never by '-', '_', '.' or '/', which join the parts of a name.
func replaceWord(s, lower string) string {
	var b strings.Builder
	last := 0
	for i := 0; i+len(lower) <= len(s); i++ {
		if !hasPrefixFold(s[i:], lower) || i > 0 && !separator(s[i-1]) || i+len(lower) < len(s) && !separator(s[i+len(lower)]) {
			continue
		}
		if i < last {
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(Mark)
		last = i + len(lower)
		i = last - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// separator reports the bytes that end a token for replaceWord.
func separator(c byte) bool {
	return c <= ' ' || strings.IndexByte("\"'`,;:=()[]{}<>|!?*&#$", c) >= 0
}

func hasPrefixFold(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		if lowerByte(s[i]) != lower[i] {
			return false
		}
	}
	return true
}

func wordByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// plainNorm normalises a credential as written: lower case, '-' as '_',
// no white space; escapes are not read.
func plainNorm(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c, ok := fold(s[i]); ok {
			out = append(out, c)
		}
	}
	return out
}

// fold maps one decoded byte to its normalised form; ok is false for
// white space, which is dropped.
func fold(c byte) (byte, bool) {
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
		return 0, false
	case c == '-':
		return '_', true
	}
	return lowerByte(c), true
}

// normalize appends the normalised form of s to dst: escapes decoded,
// then folded. With spans, it also records the bytes of s each
// normalised byte came from.
func normalize(dst []byte, spans *[]span, s string) []byte {
	put := func(c byte, from, to int) {
		if f, ok := fold(c); ok {
			dst = append(dst, f)
			if spans != nil {
				*spans = append(*spans, span{int32(from), int32(to)})
			}
		}
	}
	putRune := func(r rune, from, to int) {
		if r < utf8.RuneSelf {
			put(byte(r), from, to)
			return
		}
		if invisibleJoiner(r) {
			return
		}
		var buf [utf8.UTFMax]byte
		for _, c := range buf[:utf8.EncodeRune(buf[:], r)] {
			put(c, from, to)
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if plainByte[c] != 0 {
			// The common case, without a call: a byte that is itself.
			dst = append(dst, plainByte[c])
			if spans != nil {
				*spans = append(*spans, span{int32(i), int32(i + 1)})
			}
			i++
			continue
		}
		switch {
		case c == '\\':
			if r, next, ok := backslashEscape(s, i); ok {
				putRune(r, i, next)
				i = next
				continue
			}
		case c == '%':
			if b, next, ok := percentEscape(s, i); ok {
				put(b, i, next)
				i = next
				continue
			}
		case c == '&':
			if r, next, ok := entity(s, i); ok {
				putRune(r, i, next)
				i = next
				continue
			}
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || n > 1 {
				putRune(r, i, i+n)
				i += n
				continue
			}
		}
		put(c, i, i+1)
		i++
	}
	return dst
}

// plainByte is the folded form of each ASCII byte that is neither white
// space nor the start of an escape; 0 for the others.
var plainByte = func() (t [256]byte) {
	for c := 0x21; c < 0x7f; c++ {
		if c != '\\' && c != '%' && c != '&' {
			t[c], _ = fold(byte(c))
		}
	}
	return t
}()

// invisibleJoiner reports runes that render as nothing or as a space:
// word joiner, zero-width space and joiners, BOM, no-break space, line
// and paragraph separators.
func invisibleJoiner(r rune) bool {
	switch r {
	case 0x2060, 0x200b, 0x200c, 0x200d, 0xfeff, 0x00a0, 0x2028, 0x2029:
		return true
	}
	return false
}

// backslashEscape reads the escape at s[i] == '\\': any run of
// backslashes (an escape escaped again) then uXXXX, xHH, n, r, t or a
// punctuation character (Markdown and JSON escape those). White space
// decodes to ' ', which fold drops.
func backslashEscape(s string, i int) (r rune, next int, ok bool) {
	k := i
	for k < len(s) && s[k] == '\\' {
		k++
	}
	if k >= len(s) {
		return 0, 0, false
	}
	switch c := s[k]; {
	case c == 'U' && k+9 <= len(s):
		// Go's \UXXXXXXXX, or \uXXXX upper-cased by the way.
		if v, ok := hexValue(s[k+1 : k+9]); ok && v <= utf8.MaxRune {
			return rune(v), k + 9, true
		}
		if v, ok := hexValue(s[k+1 : k+5]); ok {
			return rune(v), k + 5, true
		}
	case c == 'U' && k+5 <= len(s):
		if v, ok := hexValue(s[k+1 : k+5]); ok {
			return rune(v), k + 5, true
		}
	case c == 'u' && k+5 <= len(s):
		if v, ok := hexValue(s[k+1 : k+5]); ok {
			return rune(v), k + 5, true
		}
	case (c == 'x' || c == 'X') && k+3 <= len(s):
		if v, ok := hexValue(s[k+1 : k+3]); ok {
			return rune(v), k + 3, true
		}
	case c == 'n' || c == 'r' || c == 't':
		return ' ', k + 1, true
	case c < utf8.RuneSelf && isPunct(c):
		return rune(c), k + 1, true
	}
	return 0, 0, false
}

func isPunct(c byte) bool {
	return '!' <= c && c <= '/' || ':' <= c && c <= '@' || '[' <= c && c <= '`' || '{' <= c && c <= '~'
}

// percentEscape reads %HH at s[i], also when the percent sign itself was
// escaped again (%2541).
func percentEscape(s string, i int) (b byte, next int, ok bool) {
	if i+3 > len(s) {
		return 0, 0, false
	}
	v, ok := hexValue(s[i+1 : i+3])
	if !ok {
		return 0, 0, false
	}
	next = i + 3
	for v == '%' && next+2 <= len(s) && isHex(s[next]) && isHex(s[next+1]) {
		v, _ = hexValue(s[next : next+2])
		next += 2
	}
	return byte(v), next, true
}

// entity reads an HTML character reference at s[i] == '&'.
func entity(s string, i int) (r rune, next int, ok bool) {
	end := strings.IndexByte(s[i:min(len(s), i+10)], ';')
	if end < 0 {
		return 0, 0, false
	}
	name := s[i+1 : i+end]
	next = i + end + 1
	switch name {
	case "lt":
		return '<', next, true
	case "gt":
		return '>', next, true
	case "amp":
		return '&', next, true
	case "quot":
		return '"', next, true
	case "apos":
		return '\'', next, true
	}
	if len(name) > 1 && name[0] == '#' {
		var v uint32
		digits := name[1:]
		base := uint32(10)
		if digits[0] == 'x' || digits[0] == 'X' {
			digits, base = digits[1:], 16
		}
		if digits == "" {
			return 0, 0, false
		}
		for j := 0; j < len(digits); j++ {
			d, ok := digitValue(digits[j], base)
			if !ok {
				return 0, 0, false
			}
			v = v*base + d
		}
		if v > utf8.MaxRune {
			return 0, 0, false
		}
		return rune(v), next, true
	}
	return 0, 0, false
}

func hexValue(s string) (uint32, bool) {
	var v uint32
	for i := 0; i < len(s); i++ {
		d, ok := digitValue(s[i], 16)
		if !ok {
			return 0, false
		}
		v = v<<4 | d
	}
	return v, true
}

func isHex(c byte) bool { _, ok := digitValue(c, 16); return ok }

func digitValue(c byte, base uint32) (uint32, bool) {
	var d uint32
	switch {
	case '0' <= c && c <= '9':
		d = uint32(c - '0')
	case 'a' <= c && c <= 'f':
		d = uint32(c-'a') + 10
	case 'A' <= c && c <= 'F':
		d = uint32(c-'A') + 10
	default:
		return 0, false
	}
	return d, d < base
}
