package pack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var epoch2020 = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

// gunzip returns the tar inside a packed archive.
func gunzip(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// packed is an archive with the bytes Write wrote.
type packed struct {
	*Archive
	Data []byte
}

func pack(t *testing.T, dir string, opts Options) packed {
	t.Helper()
	a, err := Scan(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := a.Write(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	if a.Compressed != int64(buf.Len()) {
		t.Errorf("Compressed = %d, wrote %d bytes", a.Compressed, buf.Len())
	}
	return packed{a, buf.Bytes()}
}

// fileNames lists the archive's file names in order.
func fileNames(a packed) []string {
	var names []string
	for _, f := range a.Files {
		names = append(names, f.Name)
	}
	return names
}

// wantFixtureFiles is fixtureWant with the sizes filled in.
func wantFixtureFiles() []File {
	content := fixtureContent()
	var want []File
	for _, f := range fixtureWant {
		f.Size = int64(len(content[f.Name]))
		want = append(want, f)
	}
	return want
}

// TestPackGolden pins the uncompressed tar of the fixture byte for byte.
// The golden was checked against the official action's own
// createDeterministicTarball (Node 20, tar-stream 3.1.8) on the same tree;
// since .git is never packed, it is that tar with the .git/HEAD entry's
// blocks cut out (each entry's blocks stand alone, so that is what the
// action packs from the tree without .git).
func TestPackGolden(t *testing.T) {
	a := pack(t, makeFixture(t, epoch2020, false), Options{})
	got := gunzip(t, a.Data)
	golden := filepath.Join("testdata", "context.tar.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("tar differs from %s at byte %d (block %d, offset %d): got %q, want %q (run with -update after checking why)",
					golden, i, i/512, i%512, got[i], want[i])
			}
		}
		t.Fatalf("tar is %d bytes, %s is %d", len(got), golden, len(want))
	}
}

// TestPackFilesAndHeaders reads the archive back and checks the exact file
// list, order, content and every header field the action normalizes.
func TestPackFilesAndHeaders(t *testing.T) {
	a := pack(t, makeFixture(t, epoch2020, false), Options{})
	want := wantFixtureFiles()
	if diff := cmp.Diff(want, a.Files); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
	var total int64
	for _, f := range want {
		total += f.Size
	}
	if a.Size != total {
		t.Errorf("Size = %d, want %d", a.Size, total)
	}
	if diff := cmp.Diff([]Skipped{{Path: fixtureSymlink, Reason: "symlink (only regular files are packed)"}}, a.Skipped); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}
	if !a.Dockerignore {
		t.Error("Dockerignore = false, want true")
	}

	type header struct {
		Name         string
		Mode         int64
		MTime        int64
		UID, GID     int
		Uname, Gname string
		Typeflag     byte
		PAX          bool
		Content      string
	}
	content := fixtureContent()
	var wantHeaders []header
	for _, f := range want {
		ascii := f.Name == strings.ToValidUTF8(f.Name, "") && !strings.ContainsFunc(f.Name, func(r rune) bool { return r >= 0x80 })
		wantHeaders = append(wantHeaders, header{
			Name: f.Name, Mode: f.Mode, Typeflag: tar.TypeReg, Content: content[f.Name],
			PAX: !ascii || f.Name == longComponent,
		})
	}
	var got []header
	tr := tar.NewReader(bytes.NewReader(gunzip(t, a.Data)))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, header{
			Name: h.Name, Mode: h.Mode, MTime: h.ModTime.Unix(), UID: h.Uid, GID: h.Gid,
			Uname: h.Uname, Gname: h.Gname, Typeflag: h.Typeflag,
			PAX: h.PAXRecords["path"] != "", Content: string(body),
		})
	}
	if diff := cmp.Diff(wantHeaders, got); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
}

// TestPackDeterministic packs the same tree twice, and a copy made in the
// opposite order with other mtimes: all three are the same bytes.
func TestPackDeterministic(t *testing.T) {
	dir := makeFixture(t, epoch2020, false)
	first := pack(t, dir, Options{})
	again := pack(t, dir, Options{})
	if !bytes.Equal(first.Data, again.Data) {
		t.Error("two packs of the same tree differ")
	}
	other := pack(t, makeFixture(t, time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC), true), Options{})
	if !bytes.Equal(first.Data, other.Data) {
		t.Error("a copy of the tree created in another order with other mtimes packs differently")
	}
	if first.ContextHash != other.ContextHash {
		t.Errorf("ContextHash %s != %s", first.ContextHash, other.ContextHash)
	}
}

// TestPackGzipHeader checks the 10-byte gzip header equals Node's
// zlib.gzipSync output after the action zeroes the mtime.
func TestPackGzipHeader(t *testing.T) {
	a := pack(t, makeFixture(t, epoch2020, false), Options{})
	want := "1f8b0800000000000003"
	if got := hex.EncodeToString(a.Data[:10]); got != want {
		t.Errorf("gzip header = %s, want %s", got, want)
	}
}

// TestPackBytesPinned pins the gzipped bytes and the hash of the fixture
// as the in-memory packer wrote them before packing streamed (measured on
// the fixture without its .git): streaming changed no byte, so a context
// without .git keeps its hash and its cached builds.
func TestPackBytesPinned(t *testing.T) {
	a := pack(t, makeFixture(t, epoch2020, false), Options{})
	sum := sha256.Sum256(a.Data)
	got := fmt.Sprintf("%s %d %x", a.ContextHash, len(a.Data), sum)
	want := "a83b482f2c4738d5 1375 1c800d511832274023ff1e62b760c6b3837f0d238035d93b48d5a350f0c2bb31"
	if got != want {
		t.Errorf("hash, size, sha256 = %s\nwant %s", got, want)
	}
	b, err := Pack(context.Background(), makeFixture(t, epoch2020, true), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b.ContextHash != a.ContextHash || b.Compressed != int64(len(a.Data)) {
		t.Errorf("Pack = %s, %d bytes; Write gave %s, %d", b.ContextHash, b.Compressed, a.ContextHash, len(a.Data))
	}
}

// TestPackContextHash checks the hash format, that it is the MD5 of the
// uploaded bytes, and that it follows content, not metadata.
func TestPackContextHash(t *testing.T) {
	dir := makeFixture(t, epoch2020, false)
	a := pack(t, dir, Options{})
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(a.ContextHash) {
		t.Fatalf("ContextHash = %q, want 16 lowercase hex digits", a.ContextHash)
	}
	sum := md5.Sum(a.Data)
	if want := hex.EncodeToString(sum[:])[:16]; a.ContextHash != want {
		t.Errorf("ContextHash = %s, want the MD5 prefix of the uploaded bytes %s", a.ContextHash, want)
	}

	if err := os.Chtimes(filepath.Join(dir, "app/main.py"), time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if b := pack(t, dir, Options{}); b.ContextHash != a.ContextHash {
		t.Errorf("touching a file changed the hash: %s -> %s", a.ContextHash, b.ContextHash)
	}
	if err := os.WriteFile(filepath.Join(dir, "app/main.py"), []byte("print('bye')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b := pack(t, dir, Options{}); b.ContextHash == a.ContextHash {
		t.Error("changing a file's content kept the hash")
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("API_KEY=rotated\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := pack(t, dir, Options{})
	if err := os.WriteFile(filepath.Join(dir, "debug.log"), []byte("more\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d := pack(t, dir, Options{}); d.ContextHash != c.ContextHash {
		t.Error("changing an excluded file changed the hash")
	}
}

// TestPackDefaultExclusions: without a .dockerignore the action's default
// list applies ("env" is the pipecatcloud CLI's, not the action's).
func TestPackDefaultExclusions(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, []fixtureFile{
		{path: "Dockerfile", mode: 0o644},
		{path: "main.py", mode: 0o644},
		{path: "env/settings.py", mode: 0o644},
		{path: ".env", mode: 0o644},
		{path: "config/.env.staging", mode: 0o644},
		{path: "tls/site.pem", mode: 0o644},
		{path: ".git/config", mode: 0o644},
		{path: ".gitignore", mode: 0o644},
		{path: "node_modules/x/index.js", mode: 0o644},
		{path: "app/__pycache__/m.cpython-312.pyc", mode: 0o644},
		{path: "app/m.pyc", mode: 0o644},
		{path: "build/out.txt", mode: 0o644},
		{path: "dist/pkg.whl", mode: 0o644},
		{path: "venv/bin/python", mode: 0o755},
		{path: ".venv/bin/python", mode: 0o755},
		{path: ".github/workflows/ci.yml", mode: 0o644},
		{path: "pcc-deploy.toml", mode: 0o644},
		{path: "server.log", mode: 0o644},
		{path: "app/.DS_Store", mode: 0o644},
		{path: "pkg.egg-info/PKG-INFO", mode: 0o644},
	}, epoch2020)
	a := pack(t, dir, Options{})
	names := fileNames(a)
	if diff := cmp.Diff([]string{"Dockerfile", "env/settings.py", "main.py"}, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if a.Dockerignore {
		t.Error("Dockerignore = true without a .dockerignore")
	}
}

// TestPackBackslashNames: the action turns '\' into '/' for matching and
// for the tar name, but sorts by the original name.
func TestPackBackslashNames(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, []fixtureFile{
		{path: "Dockerfile", mode: 0o644},
		{path: `x\y.txt`, mode: 0o644},
		{path: "x0.txt", mode: 0o644},
		{path: `logs\a.log`, mode: 0o644},
	}, epoch2020)
	a := pack(t, dir, Options{})
	names := fileNames(a)
	// By original name "x0.txt" < `x\y.txt` ('0' < '\'); by tar name the
	// order would be the reverse ('/' < '0').
	if diff := cmp.Diff([]string{"Dockerfile", "x0.txt", "x/y.txt"}, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

// TestPackTooLarge refuses a context over the limit, naming the five
// largest files, and accepts one exactly at it; excluded files do not
// count.
func TestPackTooLarge(t *testing.T) {
	dir := t.TempDir()
	sizes := map[string]int{
		"Dockerfile": 10, "a.bin": 700, "b.bin": 500, "c/d.bin": 900, "e.bin": 300,
		"f.bin": 500, "g.bin": 20, "skipped.log": 5000,
	}
	var files []fixtureFile
	total := 0
	for p, n := range sizes {
		files = append(files, fixtureFile{path: p, mode: 0o644, data: strings.Repeat("x", n)})
		if p != "skipped.log" {
			total += n
		}
	}
	files = append(files, fixtureFile{path: ".dockerignore", mode: 0o644, data: "*.log\n"})
	total += len("*.log\n")
	writeTree(t, dir, files, epoch2020)

	if a := pack(t, dir, Options{MaxSize: int64(total)}); a.Size != int64(total) {
		t.Errorf("at the limit: Size = %d, want %d", a.Size, total)
	}

	_, err := Pack(context.Background(), dir, Options{MaxSize: int64(total - 1)})
	var tl *TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("err = %v, want a *TooLargeError", err)
	}
	want := &TooLargeError{Context: dir, Size: int64(total), Limit: int64(total - 1), Largest: []File{
		{Name: "c/d.bin", Size: 900, Mode: 0o644},
		{Name: "a.bin", Size: 700, Mode: 0o644},
		{Name: "b.bin", Size: 500, Mode: 0o644},
		{Name: "f.bin", Size: 500, Mode: 0o644},
		{Name: "e.bin", Size: 300, Mode: 0o644},
	}}
	if diff := cmp.Diff(want, tl); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	msg := "build context " + dir + " is 2.9 KB, over the 2.9 KB limit; exclude files in .dockerignore. Largest files: c/d.bin (900 B), a.bin (700 B), b.bin (500 B), f.bin (500 B), e.bin (300 B)"
	if err.Error() != msg {
		t.Errorf("message:\n got %s\nwant %s", err, msg)
	}
}

// TestPackSymlinks: links are never followed; one that resolves outside
// the context is refused with its path, unless it is excluded.
func TestPackSymlinks(t *testing.T) {
	tests := []struct {
		name    string
		link    string // path of the link in the context
		target  string
		ignore  string
		wantErr *SymlinkError
		skipped []Skipped
	}{
		{name: "relative target escaping", link: "sub/link", target: "../../outside.txt",
			wantErr: &SymlinkError{Path: "sub/link", Target: "../../outside.txt"}},
		{name: "absolute target outside", link: "passwd", target: "/etc/passwd",
			wantErr: &SymlinkError{Path: "passwd", Target: "/etc/passwd"}},
		{name: "directory outside", link: "models", target: "../",
			wantErr: &SymlinkError{Path: "models", Target: "../"}},
		{name: "dangling target outside", link: "gone", target: "/nonexistent/file",
			wantErr: &SymlinkError{Path: "gone", Target: "/nonexistent/file"}},
		{name: "chain through an inside link to the outside", link: "hop", target: "sub/out",
			wantErr: &SymlinkError{Path: "hop", Target: "sub/out"}},
		{name: "escaping link excluded by .dockerignore", link: "outside.lnk", target: "../outside.txt",
			ignore: "*.lnk\n", skipped: nil},
		{name: "inside link skipped", link: "again", target: "Dockerfile",
			skipped: []Skipped{{Path: "again", Reason: "symlink (only regular files are packed)"}}},
		{name: "dangling inside link skipped", link: "later", target: "not-yet",
			skipped: []Skipped{{Path: "later", Reason: "symlink (only regular files are packed)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			writeTree(t, parent, []fixtureFile{{path: "outside.txt", mode: 0o644}}, epoch2020)
			dir := filepath.Join(parent, "ctx")
			files := []fixtureFile{{path: "Dockerfile", mode: 0o644}}
			if tt.ignore != "" {
				files = append(files, fixtureFile{path: ".dockerignore", mode: 0o644, data: tt.ignore})
			}
			writeTree(t, dir, files, epoch2020)
			if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.link == "hop" {
				if err := os.Symlink("../../outside.txt", filepath.Join(dir, "sub/out")); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(tt.target, filepath.Join(dir, filepath.FromSlash(tt.link))); err != nil {
				t.Fatal(err)
			}
			a, err := Pack(context.Background(), dir, Options{})
			if tt.wantErr != nil {
				var se *SymlinkError
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want a *SymlinkError", err)
				}
				tt.wantErr.Context = dir
				if diff := cmp.Diff(tt.wantErr, se); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
				if !strings.Contains(err.Error(), tt.wantErr.Path+": symlink to "+tt.wantErr.Target+" points outside the context") {
					t.Errorf("message %q does not locate the link", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.skipped, a.Skipped); diff != "" {
				t.Errorf("Skipped (-want +got):\n%s", diff)
			}
			if len(a.Files) == 0 || a.Files[len(a.Files)-1].Name != "Dockerfile" {
				t.Errorf("Files = %v, want the Dockerfile last", a.Files)
			}
		})
	}
}

// TestPackDockerfile refuses, before upload, a Dockerfile the archive
// would not contain.
func TestPackDockerfile(t *testing.T) {
	tests := []struct {
		name       string
		files      []fixtureFile
		symlink    string // a symlink named Dockerfile to this target
		dockerfile string
		wantErr    string // "" for success
	}{
		{name: "custom path", dockerfile: "deploy/Dockerfile.prod",
			files: []fixtureFile{{path: "deploy/Dockerfile.prod", mode: 0o644}}},
		{name: "missing",
			files:   []fixtureFile{{path: "main.py", mode: 0o644}},
			wantErr: "build context CTX: Dockerfile: Dockerfile not found in the context"},
		{name: "excluded by .dockerignore",
			files: []fixtureFile{{path: "Dockerfile", mode: 0o644}, {path: ".dockerignore", mode: 0o644, data: "# docker\nDockerfile\n"}},
			wantErr: "build context CTX: Dockerfile: the Dockerfile is excluded by Dockerfile (.dockerignore line 2), " +
				"but the cloud build reads the Dockerfile from the uploaded context"},
		{name: "directory excluded by default", dockerfile: "build/Dockerfile",
			files: []fixtureFile{{path: "build/Dockerfile", mode: 0o644}},
			wantErr: "build context CTX: build/Dockerfile: its directory build is excluded by build (default exclusions), " +
				"but the cloud build reads the Dockerfile from the uploaded context"},
		{name: "symlink", symlink: "real.Dockerfile",
			files:   []fixtureFile{{path: "real.Dockerfile", mode: 0o644}},
			wantErr: "build context CTX: Dockerfile: the Dockerfile is a symlink, and only regular files are packed"},
		{name: "inside .git", dockerfile: ".git/Dockerfile",
			files:   []fixtureFile{{path: ".git/Dockerfile", mode: 0o644}, {path: ".dockerignore", mode: 0o644}},
			wantErr: "build context CTX: .git/Dockerfile: the Dockerfile is inside .git, which is never packed"},
		{name: "outside the context", dockerfile: "../Dockerfile",
			files:   []fixtureFile{{path: "Dockerfile", mode: 0o644}},
			wantErr: "build context CTX: ../Dockerfile: the Dockerfile must be a relative path inside the context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.files, epoch2020)
			if tt.symlink != "" {
				if err := os.Symlink(tt.symlink, filepath.Join(dir, "Dockerfile")); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Pack(context.Background(), dir, Options{Dockerfile: tt.dockerfile})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var pe *PathError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *PathError", err)
			}
			if got := strings.ReplaceAll(err.Error(), dir, "CTX"); got != tt.wantErr {
				t.Errorf("error:\n got %s\nwant %s", got, tt.wantErr)
			}
		})
	}
}

// TestPackBadInput covers located errors for a context that cannot be
// packed as the action would.
func TestPackBadInput(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		ctx     string // context directory relative to dir
		wantErr string
	}{
		{name: "context missing", ctx: "nope",
			setup:   func(t *testing.T, dir string) {},
			wantErr: "build context CTX/nope: no such file or directory"},
		{name: "context is a file", ctx: "Dockerfile",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}}, epoch2020)
			},
			wantErr: "build context CTX/Dockerfile: not a directory"},
		{name: "name not UTF-8",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}, {path: "bad\xff.txt", mode: 0o644}}, epoch2020)
			},
			wantErr: `build context CTX: "bad\xff.txt": name is not valid UTF-8, which the official action cannot pack; rename it or exclude it in .dockerignore`},
		{name: "invalid pattern",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}, {path: ".dockerignore", mode: 0o644, data: "*.log\n\n?*\n"}}, epoch2020)
			},
			wantErr: "build context CTX: .dockerignore line 3: pattern ?*: '?' has nothing before it to make optional (the official action's regular expression is invalid)"},
		{name: ".dockerignore not UTF-8",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}, {path: ".dockerignore", mode: 0o644, data: "a\nb\xc3\n"}}, epoch2020)
			},
			wantErr: "build context CTX: .dockerignore line 2: not valid UTF-8"},
		{name: ".dockerignore is a directory",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}, {path: ".dockerignore/x", mode: 0o644}}, epoch2020)
			},
			wantErr: "build context CTX: .dockerignore: not a regular file"},
		{name: "backslashes make an absolute entry",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}, {path: `\etc\cron.d\evil`, mode: 0o644}}, epoch2020)
			},
			wantErr: `build context CTX: "\\etc\\cron.d\\evil": the name holds '\', which the official action turns into '/', so the archive entry would be /etc/cron.d/evil, outside the context; rename the file or exclude it in .dockerignore`},
		{name: "backslashes make a parent entry",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}, {path: `sub/..\..\..\tmp\evil`, mode: 0o644}}, epoch2020)
			},
			wantErr: `build context CTX: "sub/..\\..\\..\\tmp\\evil": the name holds '\', which the official action turns into '/', so the archive entry would be sub/../../../tmp/evil, outside the context; rename the file or exclude it in .dockerignore`},
		{name: "backslashes make an empty component",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}, {path: `a\\b`, mode: 0o644}}, epoch2020)
			},
			wantErr: `build context CTX: "a\\\\b": the name holds '\', which the official action turns into '/', so the archive entry would be a//b, not a clean relative path; rename the file or exclude it in .dockerignore`},
		{name: "backslashes make a .git entry",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}, {path: `x\.git\config`, mode: 0o644}, {path: ".dockerignore", mode: 0o644, data: "*.log\n"}}, epoch2020)
			},
			wantErr: `build context CTX: "x\\.git\\config": the name holds '\', which the official action turns into '/', so the archive entry would be x/.git/config, inside .git, which is never packed; rename the file or exclude it in .dockerignore`},
		{name: "backslashes make two files one entry",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}, {path: `x\y.txt`, mode: 0o644}, {path: "x/y.txt", mode: 0o644}}, epoch2020)
			},
			wantErr: `build context CTX: "x\\y.txt": becomes the archive entry x/y.txt, as x/y.txt does ('\' turns into '/'); rename one of them`},
		{name: "backslashes put a file under a file",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}, {path: `Dockerfile\x`, mode: 0o644}}, epoch2020)
			},
			wantErr: `build context CTX: "Dockerfile\\x": becomes the archive entry Dockerfile/x, under Dockerfile, which is the file Dockerfile ('\' turns into '/'); rename one of them`},
		{name: ".dockerignore over 1 MiB",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}, {path: ".dockerignore", mode: 0o644, data: strings.Repeat("# padding\n", MaxIgnoreSize/10+1)}}, epoch2020)
			},
			wantErr: "build context CTX: .dockerignore: 1.0 MB is over the 1.0 MB limit of a .dockerignore"},
		{name: ".dockerignore with too many patterns",
			setup: func(t *testing.T, dir string) {
				var b strings.Builder
				b.WriteString("# generated\n")
				for i := range MaxIgnorePatterns + 1 {
					fmt.Fprintf(&b, "dir%d\n", i)
				}
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}, {path: ".dockerignore", mode: 0o644, data: b.String()}}, epoch2020)
			},
			wantErr: "build context CTX: .dockerignore line 1002: more than 1000 patterns; exclude whole directories instead"},
		{name: "a long pattern with an optional character",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}, {path: ".dockerignore", mode: 0o644, data: "*.log\n*" + strings.Repeat("a?", 300) + "\n"}}, epoch2020)
			},
			wantErr: "build context CTX: .dockerignore line 2: pattern *" + strings.Repeat("a?", 300) + ": a pattern with '?' may have at most 256 characters besides its '?'"},
		{name: ".dockerignore links outside",
			setup: func(t *testing.T, dir string) {
				writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}}, epoch2020)
				if err := os.Symlink("/etc/hostname", filepath.Join(dir, ".dockerignore")); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "build context CTX: .dockerignore: symlink to /etc/hostname points outside the context; copy the file in or exclude the link in .dockerignore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			_, err := Pack(context.Background(), filepath.Join(dir, tt.ctx), Options{})
			if err == nil {
				t.Fatal("Pack succeeded")
			}
			if got := strings.ReplaceAll(err.Error(), dir, "CTX"); got != tt.wantErr {
				t.Errorf("error:\n got %s\nwant %s", got, tt.wantErr)
			}
		})
	}
}

// TestPackNonUTF8NameExcluded: a name Node could not open is fine when a
// pattern excludes it first, as in the action.
func TestPackNonUTF8NameExcluded(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, []fixtureFile{
		{path: "Dockerfile", mode: 0o644},
		{path: ".dockerignore", mode: 0o644, data: "*.tmp\n"},
		{path: "junk\xff.tmp", mode: 0o644},
	}, epoch2020)
	a := pack(t, dir, Options{})
	if len(a.Files) != 2 {
		t.Errorf("Files = %v, want .dockerignore and Dockerfile", a.Files)
	}
}

// TestPackCancelled stops on a cancelled context.
func TestPackCancelled(t *testing.T) {
	dir := makeFixture(t, epoch2020, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Pack(ctx, dir, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !strings.HasPrefix(err.Error(), "build context "+dir+": ") {
		t.Errorf("error %q does not name the context", err)
	}

	// Cancelled while copying a file.
	r := ctxReader{ctx, strings.NewReader("data")}
	if _, err := r.Read(make([]byte, 4)); !errors.Is(err, context.Canceled) {
		t.Errorf("ctxReader.Read err = %v, want context.Canceled", err)
	}
}
