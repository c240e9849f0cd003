package pack

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
)

// tarNames lists the entry names of a packed archive, read back.
func tarNames(t *testing.T, data []byte) []string {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(gunzip(t, data)))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}

// TestPackNeverGit: a .git directory or file is never packed, at any
// depth, with or without a .dockerignore naming it. Nor is the state of
// --sandbox (its file, journal and uploads), which holds secret values in
// clear.
func TestPackNeverGit(t *testing.T) {
	files := []fixtureFile{
		{path: "Dockerfile", mode: 0o644},
		{path: ".git/config", mode: 0o644, data: "[http \"https://github.com/\"]\n\textraheader = AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA==\n"},
		{path: ".git/HEAD", mode: 0o644},
		{path: "vendor/lib/.git", mode: 0o644, data: "gitdir: ../../.git/modules/lib\n"},
		{path: "vendor/lib/lib.py", mode: 0o644},
		{path: "nested/repo/.git/config", mode: 0o644},
		{path: "nested/repo/app.py", mode: 0o644},
		{path: ".gitignore", mode: 0o644},
		{path: "a.git", mode: 0o644},
		{path: ".pipecat-sandbox.json", mode: 0o644, data: `{"secretValues":{"KEY":"sandbox-held-secret"}}`},
		{path: ".pipecat-sandbox.json.journal", mode: 0o644},
		{path: ".pipecat-sandbox.json.uploads/0123.tar.gz", mode: 0o644},
		{path: "sub/.pipecat-sandbox.json", mode: 0o644},
	}
	tests := []struct {
		name         string
		dockerignore string // "-": none
		want         []string
	}{
		{"a .dockerignore that does not name .git", "*.log\n",
			[]string{".dockerignore", ".gitignore", "Dockerfile", "a.git", "nested/repo/app.py", "vendor/lib/lib.py"}},
		{"a .dockerignore that re-includes .git", "!.git\n!.git/config\n",
			[]string{".dockerignore", ".gitignore", "Dockerfile", "a.git", "nested/repo/app.py", "vendor/lib/lib.py"}},
		{"no .dockerignore (the defaults name .git and .gitignore)", "-",
			[]string{"Dockerfile", "a.git", "nested/repo/app.py", "vendor/lib/lib.py"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fs := files
			if tt.dockerignore != "-" {
				fs = append(fs[:len(fs):len(fs)], fixtureFile{path: ".dockerignore", mode: 0o644, data: tt.dockerignore})
			}
			writeTree(t, dir, fs, epoch2020)
			a := pack(t, dir, Options{})
			if diff := cmp.Diff(tt.want, tarNames(t, a.Data)); diff != "" {
				t.Errorf("archive entries (-want +got):\n%s", diff)
			}
			if bytes.Contains(gunzip(t, a.Data), []byte("extraheader")) {
				t.Error("the archive holds the checkout's credential")
			}
			if bytes.Contains(gunzip(t, a.Data), []byte("sandbox-held-secret")) {
				t.Error("the archive holds the sandbox's state")
			}
		})
	}
}

// TestScanReadsNoContent: Scan (validate) opens no file but .dockerignore;
// Write opens each packed file once.
func TestScanReadsNoContent(t *testing.T) {
	dir := makeFixture(t, epoch2020, false)
	var opened []string
	openFile = func(name string) (*os.File, os.FileInfo, error) {
		rel, _ := filepath.Rel(dir, name)
		opened = append(opened, filepath.ToSlash(rel))
		return openRegular(name)
	}
	t.Cleanup(func() { openFile = openRegular })
	a, err := Scan(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{".dockerignore"}, opened); diff != "" {
		t.Errorf("Scan opened (-want +got):\n%s", diff)
	}
	if a.ContextHash != "" || a.Compressed != 0 {
		t.Errorf("Scan gave hash %q, %d bytes; want none", a.ContextHash, a.Compressed)
	}
	opened = nil
	if err := a.Write(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	if len(opened) != len(a.Files) {
		t.Errorf("Write opened %d files for %d packed", len(opened), len(a.Files))
	}
}

// TestSpool: the spooled file holds the bytes hashed, and Remove deletes
// it.
func TestSpool(t *testing.T) {
	dir := makeFixture(t, epoch2020, false)
	a, err := Spool(context.Background(), dir, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := pack(t, dir, Options{})
	r, err := a.Open()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Data) || a.ContextHash != want.ContextHash || a.Compressed != int64(len(got)) {
		t.Errorf("spooled %d bytes, hash %s; want %d, %s", len(got), a.ContextHash, len(want.Data), want.ContextHash)
	}
	spooled := a.Path
	if err := a.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spooled); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Remove: %v", err)
	}
}

// TestCredentials names the packed files that look like credential
// stores, and not the others.
func TestCredentials(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, []fixtureFile{
		{path: "Dockerfile", mode: 0o644},
		{path: ".dockerignore", mode: 0o644, data: "*.log\n"},
		{path: ".npmrc", mode: 0o644, data: "//registry.npmjs.org/:_authToken=npm_SECRET\n"},
		{path: "web/.npmrc", mode: 0o644, data: "save-exact=true\n"},
		{path: "home/.netrc", mode: 0o644, data: "machine github.com login x password y\n"},
		{path: "home/.docker/config.json", mode: 0o644, data: "{}"},
		{path: "home/.aws/credentials", mode: 0o644, data: "[default]\n"},
		{path: "docker/config.json", mode: 0o644, data: "{}"},
		{path: "aws/credentials.md", mode: 0o644},
	}, epoch2020)
	a, err := Scan(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.Credentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []Credential{
		{Path: ".npmrc", What: "an npm auth token"},
		{Path: "home/.aws/credentials", What: "AWS access keys"},
		{Path: "home/.docker/config.json", What: "a Docker registry login"},
		{Path: "home/.netrc", What: "a netrc login file"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Credentials (-want +got):\n%s", diff)
	}
}

// TestMatchAgreesWithAutomaton checks the greedy matcher of star patterns
// against the automaton (the reference) on random patterns and names over
// a small alphabet, line terminators included.
func TestMatchAgreesWithAutomaton(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "*", "\n", "é", "😀"}
	gen := func(n int, stars bool) string {
		var b strings.Builder
		for range rng.IntN(n) {
			c := alphabet[rng.IntN(len(alphabet))]
			if c == "*" && !stars {
				c = "a"
			}
			b.WriteString(c)
		}
		return b.String()
	}
	for range 20000 {
		text := "*" + gen(6, true)
		if rng.IntN(2) == 0 {
			text = gen(6, true) + "*"
		}
		p, err := compilePattern(text, fromDockerignore, 1)
		if err != nil || p.optional {
			t.Fatalf("compile %q: %v", text, err)
		}
		name := gen(8, false)
		want := p.matchNFA(utf16.Encode([]rune(name)))
		if got := p.match(name, nil); got != want {
			t.Fatalf("pattern %q on %q: greedy %v, automaton %v", text, name, got, want)
		}
	}
}

// hostileIgnore is one 100 KB line of 50,000 "*a", and names that almost
// match it: the case that took the action-like matcher seconds.
func hostileIgnore(t testing.TB) string {
	dir := t.TempDir()
	files := []fixtureFile{
		{path: "Dockerfile", mode: 0o644},
		{path: ".dockerignore", mode: 0o644, data: strings.Repeat("*a", 50_000) + "\n"},
	}
	for i := range 200 {
		files = append(files, fixtureFile{path: fmt.Sprintf("%03d%s", i, strings.Repeat("a", 240)), mode: 0o644})
	}
	writeTree(t, dir, files, epoch2020)
	return dir
}

// TestHostileDockerignore: the hostile line is accepted and matches
// nothing here (no name has 50,000 a's).
func TestHostileDockerignore(t *testing.T) {
	a, err := Scan(context.Background(), hostileIgnore(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Files) != 202 {
		t.Errorf("%d files packed, want all 202", len(a.Files))
	}
}

// BenchmarkHostileDockerignore scans the hostile context (run with
// -bench HostileDockerignore; the figure is in docs/performance.md).
func BenchmarkHostileDockerignore(b *testing.B) {
	dir := hostileIgnore(b)
	for b.Loop() {
		if _, err := Scan(context.Background(), dir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
