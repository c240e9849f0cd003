package pack

import (
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// compareUTF16 orders strings as JavaScript's < does: by UTF-16 code
// units. The action sorts with codePointCompare (src/build.js), which is
// built on <, so a character above U+FFFF (a surrogate pair, D800–DBFF
// first) sorts before U+E000–U+FFFF although its code point is larger.
// Byte (code point) order and UTF-16 order agree everywhere else.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ka, kb := utf16Key(ra), utf16Key(rb)
			if ka < kb {
				return -1
			}
			return 1
		}
		a, b = a[na:], b[nb:]
	}
	switch {
	case a == b:
		return 0
	case a == "":
		return -1
	}
	return 1
}

// utf16Key maps a rune to a value that orders as its UTF-16 encoding does:
// the code unit for the BMP, and (high surrogate, low surrogate) for the
// rest, packed so that any pair sorts between D800 and DBFF.
func utf16Key(r rune) uint32 {
	if r < 0x10000 {
		return uint32(r) << 16
	}
	r -= 0x10000
	hi, lo := 0xD800+uint32(r>>10), 0xDC00+uint32(r&0x3FF)
	return hi<<16 | lo
}

// The tar layout is tar-stream 3.1.8's (headers.js encode and encodePax,
// pack.js _encodePax and overflow), which the action uses with
// {name, size, mtime: 0, uid: 0, gid: 0, uname: "", gname: "", mode}.
const (
	blockSize   = 512
	nameSize    = 100
	prefixSize  = 155
	paxTypeflag = 'x'
	regTypeflag = '0'
)

// tarWriter writes entries in tar-stream's exact layout.
type tarWriter struct {
	w     io.Writer
	block [blockSize]byte
}

// writeHeader writes the header(s) of a regular file named name.
func (t *tarWriter) writeHeader(name string, mode, size int64) error {
	if n, prefix, ok := ustarName(name); ok {
		return t.writeBlock(n, prefix, mode, size, regTypeflag)
	}
	// Pack._encodePax: a "PaxHeader" header of type 'x' carrying the path
	// record, the record padded to a block, then the file's own header,
	// also named "PaxHeader".
	record := paxRecord("path", name)
	if err := t.writeBlock("PaxHeader", "", mode, int64(len(record)), paxTypeflag); err != nil {
		return err
	}
	if _, err := io.WriteString(t.w, record); err != nil {
		return err
	}
	if err := t.pad(int64(len(record))); err != nil {
		return err
	}
	return t.writeBlock("PaxHeader", "", mode, size, regTypeflag)
}

// ustarName splits name the way headers.encode does: a name that is not
// ASCII gets no ustar header; while it is over 100 bytes, its leading
// component moves to the prefix; it fits when the rest is at most 100
// bytes and the prefix at most 155.
func ustarName(name string) (string, string, bool) {
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return "", "", false
		}
	}
	prefix := ""
	for len(name) > nameSize {
		i := strings.IndexByte(name, '/')
		if i < 0 {
			return "", "", false
		}
		if prefix != "" {
			prefix += "/" + name[:i]
		} else {
			prefix = name[:i]
		}
		name = name[i+1:]
	}
	if len(prefix) > prefixSize {
		return "", "", false
	}
	return name, prefix, true
}

// paxRecord is headers.encodePax's addLength(" key=value\n"): the record
// prefixed with its own length in decimal, digits included.
func paxRecord(key, value string) string {
	body := " " + key + "=" + value + "\n"
	digits := len(strconv.Itoa(len(body)))
	if len(strconv.Itoa(len(body)+digits)) > digits {
		digits++
	}
	return strconv.Itoa(len(body)+digits) + body
}

// writeBlock writes one 512-byte header as headers.encode lays it out.
// Numeric fields are zero-padded octal followed by a space, with the
// field's last byte left NUL for mode, uid, gid, checksum and device
// numbers; size and mtime use all 12 bytes (11 digits and a space).
func (t *tarWriter) writeBlock(name, prefix string, mode, size int64, typeflag byte) error {
	b := t.block[:]
	clear(b)
	copy(b[0:], name)
	putOctal(b[100:], mode&0o7777, 6)
	putOctal(b[108:], 0, 6) // uid
	putOctal(b[116:], 0, 6) // gid
	putSize(b[124:], size)
	putOctal(b[136:], 0, 11) // mtime
	b[156] = typeflag
	copy(b[257:], "ustar\x0000")
	// uname (265) and gname (297) are empty: tar-stream leaves them NUL.
	putOctal(b[329:], 0, 6) // devmajor
	putOctal(b[337:], 0, 6) // devminor
	copy(b[345:], prefix)
	// The checksum counts its own field as eight spaces.
	sum := int64(8 * ' ')
	for i, c := range b {
		if i < 148 || i >= 156 {
			sum += int64(c)
		}
	}
	putOctal(b[148:], sum, 6)
	_, err := t.w.Write(b)
	return err
}

// putOctal is headers.js encodeOct: n octal digits, zero-padded, then a
// space; a value too wide for n digits is written as n sevens.
func putOctal(b []byte, v int64, n int) {
	s := strconv.FormatInt(v, 8)
	if len(s) > n {
		s = strings.Repeat("7", n)
	} else {
		s = strings.Repeat("0", n-len(s)) + s
	}
	copy(b, s+" ")
}

// putSize is headers.js encodeSize: octal when it fits 11 digits (under
// 8 GiB), else base-256 with a 0x80 marker byte.
func putSize(b []byte, size int64) {
	if len(strconv.FormatInt(size, 8)) <= 11 {
		putOctal(b, size, 11)
		return
	}
	b[0] = 0x80
	for i := 11; i > 0; i-- {
		b[i] = byte(size)
		size >>= 8
	}
}

// pad writes the zeros that fill the last block of n bytes of data.
func (t *tarWriter) pad(n int64) error {
	if r := n % blockSize; r != 0 {
		clear(t.block[:])
		_, err := t.w.Write(t.block[:blockSize-r])
		return err
	}
	return nil
}

// close writes the end-of-archive marker, two zero blocks. tar-stream does
// not pad the archive to a 10 KiB record.
func (t *tarWriter) close() error {
	clear(t.block[:])
	for range 2 {
		if _, err := t.w.Write(t.block[:]); err != nil {
			return err
		}
	}
	return nil
}
