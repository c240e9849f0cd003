//go:build unix

package pack

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDockerignoreFIFO: a FIFO named .dockerignore is refused at once,
// never waited on (open(2) of a FIFO blocks until a writer comes).
func TestDockerignoreFIFO(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, []fixtureFile{{path: "Dockerfile", mode: 0o644}}, epoch2020)
	if err := syscall.Mkfifo(filepath.Join(dir, ".dockerignore"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Scan(context.Background(), dir, Options{})
	if want := "build context " + dir + ": .dockerignore: not a regular file"; err == nil || err.Error() != want {
		t.Errorf("Scan = %v, want %s", err, want)
	}
}

// TestOpenRegularFIFO: a FIFO put where a packed file was is refused by
// the open itself, so Write cannot hang on it either.
func TestOpenRegularFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := openRegular(p); err == nil || err.Error() != "not a regular file" {
		t.Errorf("openRegular(FIFO) = %v", err)
	}
}

// gitRepo makes a git repository in a new directory.
func gitRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "-q")
	writeTree(t, dir, []fixtureFile{
		{path: "ctx/Dockerfile", mode: 0o644},
		{path: "ctx/tracked.txt", mode: 0o644, data: "committed\n"},
		{path: "ctx/changed.txt", mode: 0o644, data: "committed\n"},
	}, epoch2020)
	run("add", "-A")
	run("commit", "-q", "-m", "first")
	return dir
}

// TestPackHardLinks: a file with more than one name is packed when all its
// names are in the context or git tracks it unmodified; otherwise it is
// refused, naming it.
func TestPackHardLinks(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	outside := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(outside, []byte("aws_secret_access_key=SECRET\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		link    func(t *testing.T, ctx string)
		wantErr string // with CTX for the context
	}{
		{"no hard link", func(t *testing.T, ctx string) {}, ""},
		{"both names in the context", func(t *testing.T, ctx string) {
			link(t, filepath.Join(ctx, "tracked.txt"), filepath.Join(ctx, "copy.txt"))
		}, ""},
		{"a tracked, unmodified file also linked from outside", func(t *testing.T, ctx string) {
			link(t, filepath.Join(ctx, "tracked.txt"), filepath.Join(t.TempDir(), "elsewhere"))
		}, ""},
		{"an untracked link to a file outside", func(t *testing.T, ctx string) {
			link(t, outside, filepath.Join(ctx, "creds.txt"))
		}, "build context CTX: creds.txt: a hard link with 2 names, not all in the context, and git does not track it unmodified: it may be a file from outside the repository; copy it instead of linking it, or exclude it in .dockerignore"},
		{"a tracked file replaced by a link to a file outside", func(t *testing.T, ctx string) {
			os.Remove(filepath.Join(ctx, "changed.txt"))
			link(t, outside, filepath.Join(ctx, "changed.txt"))
		}, "build context CTX: changed.txt: a hard link with 2 names, not all in the context, and git does not track it unmodified: it may be a file from outside the repository; copy it instead of linking it, or exclude it in .dockerignore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := filepath.Join(gitRepo(t), "ctx")
			tt.link(t, ctx)
			a, err := Scan(context.Background(), ctx, Options{})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(a.Files) < 3 {
					t.Errorf("files = %v", a.Files)
				}
				return
			}
			got := ""
			if err != nil {
				got = strings.ReplaceAll(err.Error(), ctx, "CTX")
			}
			if diff := cmp.Diff(tt.wantErr, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func link(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Link(from, to); err != nil {
		t.Skipf("hard links: %v", err)
	}
}
