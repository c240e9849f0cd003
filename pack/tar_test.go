package pack

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHeaderLayout checks each field of one header as tar-stream 3.1.8's
// headers.encode writes it (it differs from archive/tar: the checksum is
// digits, space, NUL; size and mtime have no NUL).
func TestHeaderLayout(t *testing.T) {
	var buf bytes.Buffer
	tw := &tarWriter{w: &buf}
	if err := tw.writeHeader("bin/tool", 0o755, 10); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if len(b) != 512 {
		t.Fatalf("header is %d bytes", len(b))
	}
	fields := []struct {
		name     string
		off, end int
		want     string
	}{
		{"name", 0, 100, "bin/tool" + strings.Repeat("\x00", 92)},
		{"mode", 100, 108, "000755 \x00"},
		{"uid", 108, 116, "000000 \x00"},
		{"gid", 116, 124, "000000 \x00"},
		{"size", 124, 136, "00000000012 "},
		{"mtime", 136, 148, "00000000000 "},
		{"checksum", 148, 156, "010631 \x00"},
		{"typeflag", 156, 157, "0"},
		{"linkname", 157, 257, strings.Repeat("\x00", 100)},
		{"magic and version", 257, 265, "ustar\x0000"},
		{"uname", 265, 297, strings.Repeat("\x00", 32)},
		{"gname", 297, 329, strings.Repeat("\x00", 32)},
		{"devmajor", 329, 337, "000000 \x00"},
		{"devminor", 337, 345, "000000 \x00"},
		{"prefix and padding", 345, 512, strings.Repeat("\x00", 167)},
	}
	for _, f := range fields {
		if got := string(b[f.off:f.end]); got != f.want {
			t.Errorf("%s = %q, want %q", f.name, got, f.want)
		}
	}
}

// TestUstarName checks which names fit ustar and how the prefix is split:
// leading components move to the prefix until the rest fits.
func TestUstarName(t *testing.T) {
	seg := func(c string, n int) string { return strings.Repeat(c, n) }
	tests := []struct {
		name             string
		in               string
		wantName, prefix string
		ok               bool
	}{
		{"short", "a/b.txt", "a/b.txt", "", true},
		{"exactly 100 bytes", seg("x", 100), seg("x", 100), "", true},
		{"101 bytes without a slash", seg("x", 101), "", "", false},
		{"first component to the prefix", "aa/" + seg("b", 100), seg("b", 100), "aa", true},
		{"minimal prefix, not the last slash", "p/q/" + seg("c", 97), "q/" + seg("c", 97), "p", true},
		{"several components to the prefix", "p/q/" + seg("c", 99), seg("c", 99), "p/q", true},
		{"prefix of 155 bytes", seg("p", 155) + "/" + seg("n", 100), seg("n", 100), seg("p", 155), true},
		{"prefix over 155 bytes", seg("p", 156) + "/" + seg("n", 100), "", "", false},
		{"non-ASCII", "café.txt", "", "", false},
		{"non-ASCII in a long path", "é/" + seg("n", 100), "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, prefix, ok := ustarName(tt.in)
			if diff := cmp.Diff([]any{tt.wantName, tt.prefix, tt.ok}, []any{name, prefix, ok}); diff != "" {
				t.Errorf("ustarName(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestPaxRecord checks the length prefix, which counts its own digits.
func TestPaxRecord(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  string
	}{
		{"two digits", "é", "11 path=é\n"},
		{"body of 97 bytes stays at two digits", strings.Repeat("a", 90), "99 path=" + strings.Repeat("a", 90) + "\n"},
		{"body of 98 bytes needs three digits", strings.Repeat("a", 91), "101 path=" + strings.Repeat("a", 91) + "\n"},
		{"body of 997 bytes crosses to four digits", strings.Repeat("a", 990), "1001 path=" + strings.Repeat("a", 990) + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := paxRecord("path", tt.value)
			if got != tt.want {
				t.Errorf("paxRecord = %q, want %q", got, tt.want)
			}
			if len(got) != atoi(t, strings.Fields(got)[0]) {
				t.Errorf("record length %q does not equal its own length %d", strings.Fields(got)[0], len(got))
			}
		})
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// TestPutSize checks octal below 8 GiB and base-256 from there.
func TestPutSize(t *testing.T) {
	tests := []struct {
		name string
		size int64
		want string
	}{
		{"zero", 0, "00000000000 "},
		{"largest octal", 8<<30 - 1, "77777777777 "},
		{"8 GiB in base-256", 8 << 30, "\x80\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, 12)
			putSize(b, tt.size)
			if string(b) != tt.want {
				t.Errorf("putSize(%d) = %q, want %q", tt.size, b, tt.want)
			}
		})
	}
}

// TestFormatSize matches the action's formatSize.
func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KB", 1536: "1.5 KB",
		1024*1024 - 1: "1024.0 KB", 1024 * 1024: "1.0 MB", DefaultMaxSize: "500.0 MB",
	} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
