package gitrev_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/gitrev"
)

// repo makes a git repository in a temporary directory.
type repo struct {
	t   *testing.T
	dir string
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r := &repo{t: t, dir: t.TempDir()}
	r.git("init", "-q")
	return r
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+r.dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *repo) write(name, content string, mode os.FileMode) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		r.t.Fatal(err)
	}
}

func (r *repo) commit(msg string) string {
	r.t.Helper()
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

// tree reads a directory back: path -> content, with "(exec)" after an
// executable file and "-> target" for a link.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			out[rel] = "-> " + target
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		out[rel] = string(data)
		if info.Mode().Perm()&0o111 != 0 {
			out[rel] += " (exec)"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTopLevel(t *testing.T) {
	r := newRepo(t)
	sub := filepath.Join(r.dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := gitrev.TopLevel(sub); got != r.dir {
		t.Errorf("TopLevel(%s) = %q, want %q", sub, got, r.dir)
	}
	if got := gitrev.TopLevel(t.TempDir()); got != "" {
		t.Errorf("TopLevel outside any repository = %q, want \"\"", got)
	}
}

// TestExtract writes a context as it was at an earlier commit: its files
// with their executable bit, its links, nothing of a sibling directory
// whose name starts the same, and a file's later change not at all.
func TestExtract(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	r.write("agents/bot/Dockerfile", "FROM python:3.12\n", 0o644)
	r.write("agents/bot/run.sh", "#!/bin/sh\n", 0o755)
	r.write("agents/bot/src/ünï code.py", "print(1)\n", 0o644)
	r.write("agents/bot2/Dockerfile", "FROM other\n", 0o644)
	r.write("pipecat.yaml", "version: 1\n", 0o644)
	if err := os.Symlink("../shared.txt", filepath.Join(r.dir, "agents/bot/link")); err != nil {
		t.Fatal(err)
	}
	r.git("add", "-A")
	// A submodule: a gitlink, whose content is another repository's.
	r.git("update-index", "--add", "--cacheinfo", "160000,0123456789abcdef0123456789abcdef01234567,agents/bot/vendored")
	r.git("commit", "-q", "-m", "first")
	first := r.git("rev-parse", "HEAD")
	r.write("agents/bot/Dockerfile", "FROM python:3.13\n", 0o644)
	r.git("commit", "-q", "-a", "-m", "second")

	g := gitrev.Repo{Dir: r.dir}
	commit, err := g.Resolve(ctx, "HEAD~1")
	if err != nil || commit != first {
		t.Fatalf("Resolve(HEAD~1) = %q, %v; want %s", commit, err, first)
	}
	dest, err := g.Extract(ctx, commit, "agents/bot", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Dockerfile":      "FROM python:3.12\n",
		"run.sh":          "#!/bin/sh\n (exec)",
		"src/ünï code.py": "print(1)\n",
		"link":            "-> ../shared.txt",
	}
	if diff := cmp.Diff(want, tree(t, dest)); diff != "" {
		t.Errorf("extracted tree (-want +got):\n%s", diff)
	}
	if status := r.git("status", "--porcelain", "--ignore-submodules"); status != "" {
		t.Errorf("Extract changed the repository:\n%s", status)
	}

	whole, err := g.Extract(ctx, commit, ".", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := tree(t, whole)["agents/bot2/Dockerfile"]; got != "FROM other\n" {
		t.Errorf("the whole tree lacks agents/bot2/Dockerfile: %q", got)
	}

	data, err := g.Show(ctx, commit, "pipecat.yaml")
	if err != nil || string(data) != "version: 1\n" {
		t.Errorf("Show = %q, %v", data, err)
	}
}

// TestFiltersApply: a file git converts on checkout (eol=crlf) is
// extracted as a checkout writes it, so that the same commit packs the
// same way from the working tree and from the revision.
func TestFiltersApply(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	r.write(".gitattributes", "*.txt text eol=crlf\n", 0o644)
	r.write("ctx/a.txt", "one\ntwo\n", 0o644)
	commit := r.commit("crlf")
	dest, err := (gitrev.Repo{Dir: r.dir}).Extract(ctx, commit, "ctx", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dest, "a.txt"))
	os.Remove(filepath.Join(r.dir, "ctx", "a.txt"))
	r.git("checkout", "--", "ctx/a.txt")
	checkedOut, _ := os.ReadFile(filepath.Join(r.dir, "ctx", "a.txt"))
	if string(got) != "one\r\ntwo\r\n" || string(got) != string(checkedOut) {
		t.Errorf("extracted %q, a checkout writes %q; want both CRLF", got, checkedOut)
	}
}

// TestCheckoutMany checks out several directories with one index: each
// is where the map says, a name with pattern characters is that name,
// and a directory the commit lacks is not in the map.
func TestCheckoutMany(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	r.write("a/x", "a\n", 0o644)
	r.write("a*/y", "star\n", 0o644)
	r.write("ab/z", "ab\n", 0o644)
	commit := r.commit("one")
	got, err := (gitrev.Repo{Dir: r.dir}).Checkout(ctx, commit, []string{"a*", "a/", "gone"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("Checkout = %v; want a and a*", got)
	}
	if diff := cmp.Diff(map[string]string{"y": "star\n"}, tree(t, got["a*"])); diff != "" {
		t.Errorf("a* (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"x": "a\n"}, tree(t, got["a"])); diff != "" {
		t.Errorf("a (-want +got):\n%s", diff)
	}
}

func TestMissing(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	r.write("ctx/Dockerfile", "FROM x\n", 0o644)
	r.write("file", "x", 0o644)
	commit := r.commit("one")
	g := gitrev.Repo{Dir: r.dir}

	for _, rev := range []string{"0123456789abcdef0123456789abcdef01234567", "no-such-branch", "--upload-pack=x", ""} {
		if _, err := g.Resolve(ctx, rev); !errors.Is(err, gitrev.ErrNoCommit) {
			t.Errorf("Resolve(%q) = %v, want ErrNoCommit", rev, err)
		}
	}
	if _, err := g.Show(ctx, commit, "nope.yaml"); !errors.Is(err, gitrev.ErrNotExist) {
		t.Errorf("Show of a missing file = %v, want ErrNotExist", err)
	}
	for _, dir := range []string{"nope", "file", "ctx/Dockerfile"} {
		if _, err := g.Extract(ctx, commit, dir, t.TempDir()); !errors.Is(err, gitrev.ErrNotExist) {
			t.Errorf("Extract(%q) = %v, want ErrNotExist", dir, err)
		}
	}
	// Outside a repository git's own error says so: it is no missing
	// commit.
	if _, err := (gitrev.Repo{Dir: t.TempDir()}).Resolve(ctx, "HEAD"); err == nil || errors.Is(err, gitrev.ErrNoCommit) || !strings.Contains(err.Error(), "not a git repository") {
		t.Errorf("Resolve outside a repository = %v, want git's error", err)
	}
}
