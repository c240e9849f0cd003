package pack

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestExcluded pins the official action's matcher (matchesPattern and
// shouldExclude in daily-co/pipecat-cloud-deploy-action src/build.js),
// including where it differs from Docker's .dockerignore. Every "want" was
// checked against the action's functions run under Node 20.
func TestExcluded(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		path    string
		want    bool
	}{
		{"exact name at the root", "Dockerfile", "Dockerfile", true},
		{"exact name matches any component", "node_modules", "a/node_modules/b.js", true},
		{"exact name needs the whole component", "node", "node_modules/x.js", false},
		{"path without star is the exact whole path", "docs/internal", "docs/internal", true},
		{"path without star is anchored at the root", "docs/internal", "x/docs/internal", false},
		{"star suffix at any depth (Docker: root only)", "*.log", "a/b/c.log", true},
		{"star crosses slashes (Docker: one component)", "src/*.tmp", "src/a/b.tmp", true},
		{"star pattern is anchored at both ends", "src/*.tmp", "x/src/a.tmp", false},
		{"double star needs a slash (Docker: matches the root too)", "**/*.bak", "a.bak", false},
		{"double star below the root", "**/*.bak", "d/a.bak", true},
		{"leading slash never matches (Docker: root-anchored)", "/root.txt", "root.txt", false},
		{"leading slash with a star never matches", "/*.txt", "a.txt", false},
		{"trailing slash never matches the directory (Docker: it does)", "tmp/", "tmp", false},
		{"trailing slash never matches its files", "tmp/", "tmp/x", false},
		{"slash star excludes the children", "cache/*", "cache/x", true},
		{"slash star keeps the directory", "cache/*", "cache", false},
		{"bang is a literal name, never a re-include", "!keep.log", "keep.log", false},
		{"bang names a file starting with bang", "!keep.log", "!keep.log", true},
		{"question mark without a star is literal", "a?c", "abc", false},
		{"question mark without a star matches itself", "a?c", "a?c", true},
		{"question mark with a star makes the character before optional", "*.py?", "a.p", true},
		{"optional character present", "*.py?", "a.py", true},
		{"optional character is at most one", "*.py?", "a.pyc", false},
		{"lazy star matches like a star", "a*?z", "a/b/z", true},
		{"lazy optional matches like optional", "*ab??", "xa", true},
		{"brackets are literal", "*[ab].txt", "x[ab].txt", true},
		{"brackets are not a class", "*[ab].txt", "xa.txt", false},
		{"dot is literal", "*.txt", "atxt", false},
		{"regex syntax is literal", "*(a|b)+$", "x(a|b)+$", true},
		{"regex syntax is not an alternation", "*(a|b)+$", "xa", false},
		{"backslash in a name splits like a slash", "b.log", `a\b.log`, true},
		{"backslash in a pattern never meets one in a path", `a\*`, `a\x`, false},
		{"star does not match a newline", "*.txt", "a\nb.txt", false},
		{"star does not match a line separator", "*.txt", "a\u2028b.txt", false},
		{"matching is case sensitive", "*.LOG", "a.log", false},
		{"star alone matches everything", "*", "any/deep/file", true},
		{"unicode exact name", "café", "café/menu.txt", true},
		{"astral character with a star", "😀*", "😀.txt", true},
		{"question mark after an astral character optional low surrogate only", "x😀?*", "x", false},
		{"astral character then optional low surrogate present", "x😀?*", "x😀a", true},
		{".env.* matches a nested env file", ".env.*", "secrets/.env.prod", true},
		{".env.* needs the dot", ".env.*", ".envrc", false},
		{".env is exact", ".env", ".env.local", false},
		{"*.key matches a directory component", "*.key", "certs.key/readme", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := compilePattern(tt.pattern, fromDockerignore, 1)
			if err != nil {
				t.Fatal(err)
			}
			r := &rules{}
			r.add(p)
			if got := r.excludedBy(tt.path) != nil; got != tt.want {
				t.Errorf("pattern %q on %q: excluded = %v, want %v", tt.pattern, tt.path, got, tt.want)
			}
		})
	}
}

// TestNewRules checks how .dockerignore lines become patterns: trimmed as
// String.prototype.trim does, comments and blanks skipped, duplicates
// dropped, the security patterns appended.
func TestNewRules(t *testing.T) {
	type pat struct {
		Text   string
		Source string
		Line   int
	}
	sec := []pat{
		{".env", fromSecurity, 0}, {".env.*", fromSecurity, 0},
		{"*.pem", fromSecurity, 0}, {"*.key", fromSecurity, 0},
	}
	tests := []struct {
		name    string
		content string
		present bool
		want    []pat
		wantErr *IgnoreError
	}{
		{name: "empty file keeps only the security patterns", content: "", present: true, want: sec},
		{name: "comments, blanks and JavaScript whitespace",
			content: "\uFEFF# comment\n\n  # indented comment\n\t*.log \r\n\u3000dist\u00a0\nnot # a comment\n\u0085x\n",
			present: true,
			want: append([]pat{
				{"*.log", fromDockerignore, 4}, {"dist", fromDockerignore, 5},
				{"not # a comment", fromDockerignore, 6}, {"\u0085x", fromDockerignore, 7},
			}, sec...)},
		{name: "duplicates keep the first line, secrets listed once",
			content: "*.pem\nbuild\nbuild\n", present: true,
			want: []pat{{"*.pem", fromDockerignore, 1}, {"build", fromDockerignore, 2},
				{".env", fromSecurity, 0}, {".env.*", fromSecurity, 0}, {"*.key", fromSecurity, 0}}},
		{name: "question marks without a star are literal", content: "a???\n", present: true,
			want: append([]pat{{"a???", fromDockerignore, 1}}, sec...)},
		{name: "lazy quantifiers are valid", content: "*?\n*a??\n", present: true,
			want: append([]pat{{"*?", fromDockerignore, 1}, {"*a??", fromDockerignore, 2}}, sec...)},
		{name: "question mark first", content: "ok\n?*\n", present: true,
			wantErr: &IgnoreError{Line: 2, Pattern: "?*"}},
		{name: "question mark after a lazy star", content: "*??\n", present: true,
			wantErr: &IgnoreError{Line: 1, Pattern: "*??"}},
		{name: "three question marks after a character", content: "*a???\n", present: true,
			wantErr: &IgnoreError{Line: 1, Pattern: "*a???"}},
		{name: "invalid UTF-8", content: "a\n\nb\xff\n", present: true,
			wantErr: &IgnoreError{Line: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := newRules([]byte(tt.content), tt.present)
			if tt.wantErr != nil {
				var ie *IgnoreError
				if !errors.As(err, &ie) {
					t.Fatalf("err = %v, want an *IgnoreError", err)
				}
				if ie.Line != tt.wantErr.Line || ie.Pattern != tt.wantErr.Pattern {
					t.Errorf("error at line %d pattern %q, want line %d pattern %q", ie.Line, ie.Pattern, tt.wantErr.Line, tt.wantErr.Pattern)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []pat
			for _, p := range r.patterns {
				got = append(got, pat{p.text, p.source, p.line})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("patterns (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaultRules: without a .dockerignore the action's default list
// applies, the security patterns first.
func TestDefaultRules(t *testing.T) {
	r, err := newRules(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.dockerignore {
		t.Error("dockerignore = true")
	}
	var got []string
	for _, p := range r.patterns {
		got = append(got, p.text)
	}
	want := []string{".env", ".env.*", "*.pem", "*.key",
		".git", ".gitignore", ".gitattributes", "__pycache__", "*.pyc", "*.pyo", "*.pyd", "*.so", ".Python",
		".venv", "venv", "ENV", ".pytest_cache", ".coverage", "htmlcov", ".tox", ".nox", ".mypy_cache", ".ruff_cache",
		".vscode", ".idea", "*.swp", "*.swo", "dist", "build", "*.egg-info", "*.egg", ".eggs", "node_modules", ".github",
		".claude", ".codex", ".cursor", "pcc-deploy.toml", ".ipynb_checkpoints", ".cache", ".DS_Store", "Thumbs.db", "*.log"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

// TestCompareUTF16 checks the sort order against JavaScript's <.
func TestCompareUTF16(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{"equal", "a/b", "a/b", 0},
		{"prefix first", "a", "ab", -1},
		{"longer after", "ab", "a", 1},
		{"ASCII by byte", "A.txt", "a.txt", -1},
		{"dot before slash", "a.b", "a/b", -1},
		{"backslash after digits", `x\y`, "x0", 1},
		{"BMP by code point", "é", "日", -1},
		{"astral before U+FF5A (code point order says after)", "😀", "ｚ", -1},
		{"astral before U+E000 (code point order says after)", "😀", "\uE000", -1},
		{"astral after U+D7FF", "😀", "\uD7FF", 1},
		{"astral by code point among themselves", "😀", "😁", -1},
		{"lowest and highest astral", "\U00010000", "\U0010FFFF", -1},
		{"decided at the first difference", "a😀z", "a\uE000a", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compareUTF16(tt.a, tt.b); got != tt.want {
				t.Errorf("compareUTF16(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// TestExcludedLeafAgrees: testing only the last name (and the whole path)
// of a path whose directories matched nothing gives what testing every
// component gives, '\' in names included.
func TestExcludedLeafAgrees(t *testing.T) {
	r, err := newRules([]byte("logs\n*.tmp\nx/y\ncache*\n"), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"a", "a.tmp", `a\logs`, `logs\a`, `dir/b\cache1\c`, "dir/x/y", `x\y`, "dir/ok.txt", `d/e\f`} {
		// Only paths whose directories (split at '/') are not excluded.
		parent, _, ok := cutLast(rel)
		if ok && r.excludedBy(parent) != nil {
			t.Fatalf("bad case %q: its directory is excluded", rel)
		}
		if got, want := r.excludedLeaf(rel), r.excludedBy(rel); got != want {
			t.Errorf("%q: excludedLeaf = %v, excludedBy = %v", rel, got, want)
		}
	}
}

func cutLast(rel string) (string, string, bool) {
	i := strings.LastIndexByte(rel, '/')
	if i < 0 {
		return "", rel, false
	}
	return rel[:i], rel[i+1:], true
}
