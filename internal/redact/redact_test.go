package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const key = "pk_live_4f1c9a2b7e3d5c6a8b0f" // 28 characters

// Forms lists the ways a server, a proxy or a renderer may write a
// credential; the end-to-end leak tests echo every one.
func Forms(c string) map[string]string {
	jsonU := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		return b.String()
	}
	b64 := func(prefix string) string { return base64.StdEncoding.EncodeToString([]byte(prefix + c + " and more")) }
	half := len(c) / 2
	return map[string]string{
		"as is":                          c,
		"upper case":                     strings.ToUpper(c),
		"JSON \\u escapes":               jsonU(c),
		"escaped twice":                  strings.ReplaceAll(jsonU(c), `\`, `\\`),
		"URL-escaped":                    url.PathEscape(c) + "%" + fmt.Sprintf("%02X", c[len(c)-1]),
		"every byte %-escaped":           percentAll(c),
		"_ as -":                         strings.ReplaceAll(c, "_", "-"),
		"a prefix of 12":                 c[:Run],
		"cut at both ends":               c[3 : len(c)-2],
		"split by a space":               c[:half] + " " + c[half:],
		"split by a line break":          c[:half] + "\n" + c[half:],
		"split by an escaped line break": c[:half] + `\n` + c[half:],
		"base64, aligned":                b64(""),
		"base64, shifted by one":         b64("a"),
		"base64, shifted by two":         b64("ab"),
		"base64 URL alphabet":            base64.RawURLEncoding.EncodeToString([]byte("x" + c)),
		"HTML entities":                  strings.ReplaceAll(strings.ReplaceAll(c, "_", "&#95;"), "a", "&#x61;"),
		"Markdown escapes":               strings.ReplaceAll(c, "_", `\_`),
		"word joiners":                   c[:4] + "\u2060" + c[4:],
	}
}

func percentAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02x", s[i])
	}
	return b.String()
}

// TestEveryForm: each form of the key, inside other text, is replaced,
// and the text around it is kept.
func TestEveryForm(t *testing.T) {
	s := New(key)
	for name, form := range Forms(key) {
		t.Run(name, func(t *testing.T) {
			in := "before <" + form + "> after"
			got := s.Text(in)
			if !strings.HasPrefix(got, "before <") || !strings.HasSuffix(got, "> after") && !strings.Contains(name, "base64") {
				t.Errorf("Text(%q) = %q: the text around the key is not kept", in, got)
			}
			if !strings.Contains(got, Mark) {
				t.Errorf("Text(%q) = %q: not redacted", in, got)
			}
			if s.matcher().Holds(got) >= 0 {
				t.Errorf("Text(%q) = %q: still holds the key", in, got)
			}
			if got := s.Data(in); !strings.Contains(got, Mark) {
				t.Errorf("Data(%q) = %q: not redacted", in, got)
			}
		})
	}
}

// TestRedactExact pins what is replaced, exactly.
func TestRedactExact(t *testing.T) {
	s := New(key, "hunter22", "x", "<a&b>-secret-value")
	tests := []struct{ name, in, text, data string }{
		{"whole key in JSON", `{"error":"bad key ` + key + `"}`, `{"error":"bad key REDACTED"}`, `{"error":"bad key REDACTED"}`},
		{"a run of 12 is redacted, the rest of the text kept", "id=" + key[5:17] + "!", "id=REDACTED!", "id=REDACTED!"},
		{"11 characters of a long key are not enough", "id=" + key[5:16] + "!", "id=" + key[5:16] + "!", "id=" + key[5:16] + "!"},
		{"an 8-character credential whole", "pw HUNTER22.", "pw REDACTED.", "pw REDACTED."},
		{"an 8-character credential cut is not matched", "pw hunter2.", "pw hunter2.", "pw hunter2."},
		{"short credential as a whole token, in text only", `key x, Bearer X; {"code":"x"} key=x`, `key REDACTED, Bearer REDACTED; {"code":"REDACTED"} key=REDACTED`,
			`key x, Bearer X; {"code":"x"} key=x`},
		{"short credential inside a name is left", "X-Amz-Signature x-bot x.yaml acme/x box", "X-Amz-Signature x-bot x.yaml acme/x box", "X-Amz-Signature x-bot x.yaml acme/x box"},
		{"<>& escaped the way Go's JSON encoder does", `"\u003ca\u0026b\u003e-secret-value"`, `"REDACTED"`, `"REDACTED"`},
		{"JSON escapes upper-cased by a proxy", `"\U003CA\U0026B\U003E-SECRET-VALUE"`, `"REDACTED"`, `"REDACTED"`},
		{"Go's long escapes", `\U0000003ca\U00000026b\U0000003e_secret_value`, `REDACTED`, `REDACTED`},
		{"<>& as HTML entities, upper case", `&lt;A&amp;B&gt;-SECRET-VALUE`, `REDACTED`, `REDACTED`},
		{"two credentials", key + " and hunter22", "REDACTED and REDACTED", "REDACTED and REDACTED"},
		{"nothing to redact", "plain text", "plain text", "plain text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.text, s.Text(tt.in)); diff != "" {
				t.Errorf("Text (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.data, s.Data(tt.in)); diff != "" {
				t.Errorf("Data (-want +got):\n%s", diff)
			}
		})
	}
}

// TestJSONStaysValid: a redacted JSON document still decodes; the key
// and its escapes are replaced inside the string.
func TestJSONStaysValid(t *testing.T) {
	doc, err := json.Marshal(map[string]string{"image": "acme/" + key + ":1", "html": "<" + key + ">"})
	if err != nil {
		t.Fatal(err)
	}
	got := New(key).Data(string(doc))
	var back map[string]string
	if err := json.Unmarshal([]byte(got), &back); err != nil {
		t.Fatalf("redacted JSON %s: %v", got, err)
	}
	want := map[string]string{"image": "acme/REDACTED:1", "html": "<REDACTED>"}
	if diff := cmp.Diff(want, back); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNilAndEmpty(t *testing.T) {
	var s *Set
	if got := s.Text("x " + key); got != "x "+key {
		t.Errorf("nil Set changed the text: %q", got)
	}
	if got := New("", "  ").Text("anything"); got != "anything" {
		t.Errorf("empty credentials changed the text: %q", got)
	}
	if got := (&Set{}).Data(key); got != key {
		t.Errorf("zero Set changed the text: %q", got)
	}
}

// TestAddLater: a credential added after the writer was made is redacted
// from the next write.
func TestAddLater(t *testing.T) {
	var b strings.Builder
	s := New()
	w := s.Writer(&b)
	fmt.Fprintf(w, "one %s\n", key)
	s.Add(key)
	fmt.Fprintf(w, "two %s\n", key)
	if want := "one " + key + "\ntwo REDACTED\n"; b.String() != want {
		t.Errorf("wrote %q, want %q", b.String(), want)
	}
}

func TestHolds(t *testing.T) {
	m := NewMatcher("short", key, "hunter22")
	tests := []struct {
		in   string
		want int
	}{
		{key, 1},
		{key[:16], 1},
		{strings.TrimPrefix(key, "pk_"), 1},
		{strings.ReplaceAll(key, "_", "-"), 1},
		{"acme/bot:" + strings.ToUpper(key[2:20]), 1},
		{"HUNTER22", 2},
		{"short", -1}, // under MinLen: the caller compares whole values
		{"acme/bot:1.0", -1},
	}
	for _, tt := range tests {
		if got := m.Holds(tt.in); got != tt.want {
			t.Errorf("Holds(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// BenchmarkText measures the redaction of 64 KiB of plan text holding
// no credential (the common case) and one holding a few, against ten
// credentials.
func BenchmarkText(b *testing.B) {
	creds := []string{key}
	for i := range 9 {
		creds = append(creds, fmt.Sprintf("sk-SECRETVALUE-%02d-4f1c9a2b7e3d", i))
	}
	s := New(creds...)
	line := "  ~ voice-starter-bot      update  image: \"acme/bot:1.0\" -> \"acme/bot:1.1\" (region us-west)\n"
	clean := strings.Repeat(line, 64<<10/len(line))
	dirty := clean[:len(clean)/2] + key + clean[len(clean)/2:] + creds[3]
	for _, c := range []struct{ name, text string }{{"clean", clean}, {"with credentials", dirty}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.text)))
			for b.Loop() {
				s.Text(c.text)
			}
		})
	}
}

// TestConcurrentUse: credentials are added while other goroutines write
// (progress, -v logs); run with -race.
func TestConcurrentUse(t *testing.T) {
	s := New(key)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			var b strings.Builder
			w := s.Writer(&b)
			for j := range 10 {
				fmt.Fprintf(w, "line %d %d %s\n", i, j, key)
				s.Add(fmt.Sprintf("secret-value-%02d-%02d", i, j))
			}
		})
	}
	wg.Wait()
	if got := s.Text(key + " and secret-value-03-09"); got != "REDACTED and REDACTED" {
		t.Errorf("after every Add: %q", got)
	}
}
