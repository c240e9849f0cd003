// Package gitrev reads files and trees of a git repository at a revision,
// through the git command (every CI runner has it), so that a plan can
// compare the build inputs of a config with those at a base revision.
//
// Contract:
//   - TopLevel finds a repository from the filesystem alone (no git
//     needed); the other functions run git, with the context, in the
//     repository's top level, and never change the repository, its index
//     or its working tree.
//   - A revision is resolved to a commit once (Resolve); a commit that is
//     not in the clone (a shallow checkout) is ErrNoCommit, so callers can
//     fall back rather than fail.
//   - Extract writes a directory as a checkout of that commit writes it
//     (git checkout-index through a temporary index): git's filters
//     (end-of-line conversion, smudge) apply, executable files are
//     executable, symbolic links are links, and submodules (gitlinks) are
//     left out, as their content is another repository's. Show gives a
//     file as stored.
//   - Errors carry git's own message.
package gitrev

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// ErrNoCommit is a revision that does not name a commit of the clone: a
// typo, or a commit a shallow checkout did not fetch.
var ErrNoCommit = errors.New("no such commit in this clone")

// ErrNotExist is a path that is not in the commit.
var ErrNotExist = errors.New("not in that revision")

// TopLevel returns the top level of the git work tree holding dir (the
// nearest directory at or above it with a .git entry, a directory or the
// file of a linked worktree), or "" when there is none. dir should be
// absolute.
func TopLevel(dir string) string {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Repo is a repository, named by its top level.
type Repo struct {
	Dir string
}

// git runs one git command in the repository, with env added to the
// process's environment; stdin may be nil.
func (r Repo) git(ctx context.Context, env []string, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "core.quotepath=off"}, args...)...)
	cmd.Dir = r.Dir
	cmd.Stdin = stdin
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, &Error{Args: args, Msg: msg, Err: err}
	}
	return out, nil
}

// Error is a git command that failed, with git's message.
type Error struct {
	Args []string
	Msg  string
	Err  error
}

func (e *Error) Error() string { return "git " + e.Args[0] + ": " + e.Msg }

func (e *Error) Unwrap() error { return e.Err }

// Resolve returns the full commit id rev names, or ErrNoCommit.
func (r Repo) Resolve(ctx context.Context, rev string) (string, error) {
	if rev == "" || strings.HasPrefix(rev, "-") {
		return "", fmt.Errorf("revision %q: %w", rev, ErrNoCommit)
	}
	out, err := r.git(ctx, nil, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	var ge *Error
	if errors.As(err, &ge) {
		return "", fmt.Errorf("revision %s: %w", rev, ErrNoCommit)
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// entry is one entry of a tree listing.
type entry struct {
	mode, typ, oid, path string
}

// list lists the entries at or under p (a path relative to the top level,
// '/'-separated; "." or "" for the whole tree) in commit, recursively.
func (r Repo) list(ctx context.Context, commit, p string, recursive bool) ([]entry, error) {
	args := []string{"ls-tree", "-z", "--full-tree"}
	if recursive {
		args = append(args, "-r")
	}
	args = append(args, commit)
	if p != "" && p != "." {
		args = append(args, "--", p)
	}
	out, err := r.git(ctx, nil, nil, args...)
	if err != nil {
		return nil, err
	}
	var es []entry
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		meta, name, ok := bytes.Cut(rec, []byte{'\t'})
		f := strings.Fields(string(meta))
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("git ls-tree: unexpected line %q", rec)
		}
		es = append(es, entry{mode: f[0], typ: f[1], oid: f[2], path: string(name)})
	}
	return es, nil
}

// Show returns the content of the file at p (relative to the top level,
// '/'-separated) in commit, as stored, or an error wrapping ErrNotExist.
func (r Repo) Show(ctx context.Context, commit, p string) ([]byte, error) {
	p = path.Clean(p)
	es, err := r.list(ctx, commit, p, false)
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		if e.path == p && e.typ == "blob" && e.mode != "120000" {
			return r.git(ctx, nil, nil, "cat-file", "blob", e.oid)
		}
	}
	return nil, fmt.Errorf("%s at %s: %w", p, short(commit), ErrNotExist)
}

// Extract checks out the directory dir (relative to the top level,
// '/'-separated; "." for the whole tree) as it is in commit, under
// scratch, an empty directory, and returns where it is. It uses a
// temporary index and git checkout-index, so the files are exactly those
// a checkout of commit writes, filters applied, and the repository's own
// index and work tree are not touched. A dir that is no directory in
// commit is an error wrapping ErrNotExist.
func (r Repo) Extract(ctx context.Context, commit, dir, scratch string) (string, error) {
	dir = path.Clean(dir)
	if dir != "." {
		// The directory itself must be a tree: a file or a link of that
		// name is not a context.
		es, err := r.list(ctx, commit, dir, false)
		if err != nil {
			return "", err
		}
		if len(es) != 1 || es[0].path != dir || es[0].typ != "tree" {
			return "", fmt.Errorf("directory %s at %s: %w", dir, short(commit), ErrNotExist)
		}
	}
	index := []string{"GIT_INDEX_FILE=" + filepath.Join(scratch, ".index")}
	if _, err := r.git(ctx, index, nil, "read-tree", commit); err != nil {
		return "", err
	}
	args := []string{"ls-files", "-z", "--cached"}
	if dir != "." {
		args = append(args, "--", dir+"/")
	}
	files, err := r.git(ctx, index, nil, args...)
	if err != nil {
		return "", err
	}
	out := filepath.Join(scratch, "tree")
	if err := os.Mkdir(out, 0o700); err != nil {
		return "", err
	}
	// checkout-index skips submodules (gitlinks): their content is
	// another repository's.
	prefix := out + string(filepath.Separator)
	if _, err := r.git(ctx, index, bytes.NewReader(files), "checkout-index", "-z", "--stdin", "-f", "--prefix="+prefix); err != nil {
		return "", err
	}
	if err := os.Remove(filepath.Join(scratch, ".index")); err != nil {
		return "", err
	}
	if dir == "." {
		return out, nil
	}
	got := filepath.Join(out, filepath.FromSlash(dir))
	// A directory of submodules only, or of nothing git tracks, has no
	// file to write; it is still the (empty) context.
	if err := os.MkdirAll(got, 0o755); err != nil {
		return "", err
	}
	return got, nil
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
