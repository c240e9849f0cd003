package pack

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixtureFile is one file of a test tree. An empty data means
// "content of <path>\n"; use noData for an empty file.
type fixtureFile struct {
	path string
	mode os.FileMode
	data string
}

const noData = "\x00empty"

func (f fixtureFile) content() string {
	switch f.data {
	case "":
		return "content of " + f.path + "\n"
	case noData:
		return ""
	}
	return f.data
}

// Names that exercise the header encodings.
var (
	longPath      = "long/" + strings.Repeat("d", 60) + "/" + strings.Repeat("e", 60) + "/file.txt" // ustar prefix
	longComponent = strings.Repeat("n", 120) + ".txt"                                               // no ustar fit: PAX
	name100       = strings.Repeat("x", 96) + ".txt"                                                // exactly 100 bytes, no NUL
	// A PAX body of 98 bytes: its record length needs three digits.
	paxEdge = "ü" + strings.Repeat("u", 85) + ".txt"
)

// fixtureIgnore is the fixture's .dockerignore. It starts with a byte-order
// mark and ends with a line padded with spaces, a tab and a CR, and it
// tries to re-include every secret.
const fixtureIgnore = "\uFEFF# Comments and blank lines are skipped.\n" +
	"\n" +
	"*.log\n" +
	"!keep.log\n" +
	"!.env\n" +
	"!secrets/.env.prod\n" +
	"!key.pem\n" +
	"/root-only.txt\n" +
	"docs/internal\n" +
	"tmp/\n" +
	"cache/*\n" +
	"**/*.bak\n" +
	"src/*.tmp\n" +
	"   spaced.txt\t\r\n"

// fixtureFiles is the golden tree: .dockerignore, executables, nested
// directories, unicode names (some whose UTF-16 order differs from their
// code point order), long names and secrets that must stay out.
var fixtureFiles = []fixtureFile{
	{path: ".dockerignore", mode: 0o644, data: fixtureIgnore},
	{path: "Dockerfile", mode: 0o644, data: "FROM python:3.12-slim\nCOPY . /app\nCMD [\"python\", \"/app/app/main.py\"]\n"},
	{path: "start.sh", mode: 0o755, data: "#!/bin/sh\nexec python app/main.py\n"},
	{path: "bin/tool", mode: 0o750},
	{path: "bin/group-exec", mode: 0o610},
	{path: "bin/other-exec", mode: 0o601},
	{path: "readonly.txt", mode: 0o444},
	{path: "private.txt", mode: 0o600},
	{path: "app/main.py", mode: 0o644, data: "print('hello')\n"},
	{path: "app/util/__init__.py", mode: 0o644, data: noData},
	{path: "app/block512.bin", mode: 0o644, data: strings.Repeat("\x00\x01\xfe\xff", 128)},
	{path: "app/block513.bin", mode: 0o644, data: strings.Repeat("z", 513)},
	{path: "A.txt", mode: 0o644},
	{path: "Z.txt", mode: 0o644},
	{path: "_under.txt", mode: 0o644},
	{path: "a b.txt", mode: 0o644},
	{path: "a-b.txt", mode: 0o644},
	{path: "a.txt", mode: 0o644},
	{path: "a.bak", mode: 0o644},
	{path: "café.txt", mode: 0o644},
	{path: "😀.txt", mode: 0o644},
	{path: "\uE000.txt", mode: 0o644},
	{path: "ｚ.txt", mode: 0o644},
	{path: "日本語/ファイル.txt", mode: 0o644},
	{path: longPath, mode: 0o644},
	{path: longComponent, mode: 0o644},
	{path: name100, mode: 0o644},
	{path: paxEdge, mode: 0o644},
	// Not Docker's semantics, the action's: these patterns match nothing.
	{path: "root-only.txt", mode: 0o644},
	{path: "tmp/scratch.txt", mode: 0o644},
	// With a .dockerignore the defaults do not apply, but .git is never
	// packed.
	{path: ".git/HEAD", mode: 0o644, data: "ref: refs/heads/main\n"},
	{path: "node_modules/pkg/index.js", mode: 0o644},
	{path: "docs/readme.md", mode: 0o644},
	{path: "secrets/keep.txt", mode: 0o644},
	// Excluded.
	{path: ".env", mode: 0o644, data: "API_KEY=secret\n"},
	{path: ".env.local", mode: 0o644, data: "API_KEY=secret\n"},
	{path: "secrets/.env.prod", mode: 0o644, data: "API_KEY=secret\n"},
	{path: "key.pem", mode: 0o600, data: "-----BEGIN PRIVATE KEY-----\n"},
	{path: "certs/server.key", mode: 0o600, data: "secret\n"},
	{path: "!.env", mode: 0o644},
	{path: "debug.log", mode: 0o644},
	{path: "keep.log", mode: 0o644},
	{path: "logs/app.log", mode: 0o644},
	{path: "docs/internal/notes.md", mode: 0o644},
	{path: "cache/blob", mode: 0o644},
	{path: "src/old.bak", mode: 0o644},
	{path: "src/x.tmp", mode: 0o644},
	{path: "src/deep/y.tmp", mode: 0o644},
	{path: "spaced.txt", mode: 0o644},
}

// fixtureWant is the archive's file list: the fixture minus exclusions, in
// UTF-16 order ("😀" before U+E000 and "ｚ", unlike code point order).
var fixtureWant = []File{
	{Name: ".dockerignore", Mode: 0o644},
	{Name: "A.txt", Mode: 0o644},
	{Name: "Dockerfile", Mode: 0o644},
	{Name: "Z.txt", Mode: 0o644},
	{Name: "_under.txt", Mode: 0o644},
	{Name: "a b.txt", Mode: 0o644},
	{Name: "a-b.txt", Mode: 0o644},
	{Name: "a.bak", Mode: 0o644},
	{Name: "a.txt", Mode: 0o644},
	{Name: "app/block512.bin", Mode: 0o644},
	{Name: "app/block513.bin", Mode: 0o644},
	{Name: "app/main.py", Mode: 0o644},
	{Name: "app/util/__init__.py", Mode: 0o644},
	{Name: "bin/group-exec", Mode: 0o755},
	{Name: "bin/other-exec", Mode: 0o755},
	{Name: "bin/tool", Mode: 0o755},
	{Name: "café.txt", Mode: 0o644},
	{Name: "docs/readme.md", Mode: 0o644},
	{Name: longPath, Mode: 0o644},
	{Name: longComponent, Mode: 0o644},
	{Name: "node_modules/pkg/index.js", Mode: 0o644},
	{Name: "private.txt", Mode: 0o644},
	{Name: "readonly.txt", Mode: 0o644},
	{Name: "root-only.txt", Mode: 0o644},
	{Name: "secrets/keep.txt", Mode: 0o644},
	{Name: "start.sh", Mode: 0o755},
	{Name: "tmp/scratch.txt", Mode: 0o644},
	{Name: name100, Mode: 0o644},
	{Name: paxEdge, Mode: 0o644},
	{Name: "日本語/ファイル.txt", Mode: 0o644},
	{Name: "😀.txt", Mode: 0o644},
	{Name: "\uE000.txt", Mode: 0o644},
	{Name: "ｚ.txt", Mode: 0o644},
}

// fixtureSymlink is inside the context: skipped, not followed, no error.
const fixtureSymlink = "link-to-start"

// writeTree creates files under dir, in the given order, each with the
// given mtime, then sets every mode (after writing, so read-only files
// can be written).
func writeTree(t testing.TB, dir string, files []fixtureFile, mtime time.Time) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.content()), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
}

// makeFixture builds the golden tree in a new directory. reverse creates
// the files in the opposite order, so directory order differs.
func makeFixture(t testing.TB, mtime time.Time, reverse bool) string {
	t.Helper()
	dir := t.TempDir()
	files := slices.Clone(fixtureFiles)
	if reverse {
		slices.Reverse(files)
	}
	writeTree(t, dir, files, mtime)
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("start.sh", filepath.Join(dir, fixtureSymlink)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fixtureContent maps each fixture path to its content.
func fixtureContent() map[string]string {
	m := map[string]string{}
	for _, f := range fixtureFiles {
		m[f.path] = f.content()
	}
	return m
}
