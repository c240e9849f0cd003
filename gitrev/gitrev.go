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
	"slices"
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
	// Paths are names, never patterns: a directory called "a*" is that
	// directory.
	cmd := exec.CommandContext(ctx, "git", append([]string{"--literal-pathspecs", "-c", "core.quotepath=off"}, args...)...)
	cmd.Dir = r.Dir
	cmd.Stdin = stdin
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case !errors.As(err, &exit):
		return nil, fmt.Errorf("run git: %w", err) // not installed, say
	}
	msg := strings.TrimSpace(stderr.String())
	if msg == "" {
		msg = err.Error()
	}
	return nil, &Error{Args: args, Msg: msg, Err: err}
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
	// --quiet: a revision that names no commit exits 1 and says nothing;
	// anything else (not a repository, an unsafe directory) is git's own
	// error, with its message.
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
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

// list lists the entries at paths (relative to the top level,
// '/'-separated; none for the top level) in commit, and with recursive
// everything under them.
func (r Repo) list(ctx context.Context, commit string, paths []string, recursive bool) ([]entry, error) {
	args := []string{"ls-tree", "-z", "--full-tree"}
	if recursive {
		args = append(args, "-r")
	}
	args = append(args, commit, "--")
	args = append(args, paths...)
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
	es, err := r.list(ctx, commit, []string{p}, false)
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

// Extract is Checkout of one directory: where it is, or an error
// wrapping ErrNotExist when it is no directory in commit.
func (r Repo) Extract(ctx context.Context, commit, dir, scratch string) (string, error) {
	got, err := r.Checkout(ctx, commit, []string{dir}, scratch)
	if err != nil {
		return "", err
	}
	p, ok := got[path.Clean(dir)]
	if !ok {
		return "", fmt.Errorf("directory %s at %s: %w", path.Clean(dir), short(commit), ErrNotExist)
	}
	return p, nil
}

// Checkout checks out the directories dirs (relative to the top level,
// '/'-separated; "." for the whole tree) as they are in commit, under
// scratch, an empty directory, and returns where each one is, by its
// cleaned name. A dir that is no directory in commit (absent, a file, a
// link) is not in the map. It uses one temporary index and one git
// checkout-index for all of them, so the files are exactly those a
// checkout of commit writes, filters applied, and the repository's own
// index and work tree are not touched.
func (r Repo) Checkout(ctx context.Context, commit string, dirs []string, scratch string) (map[string]string, error) {
	var want []string
	whole := false
	for _, d := range dirs {
		d = path.Clean(d)
		whole = whole || d == "."
		if d != "." && !slices.Contains(want, d) {
			want = append(want, d)
		}
	}
	found := map[string]bool{}
	if len(want) > 0 {
		// Each directory itself must be a tree.
		es, err := r.list(ctx, commit, want, false)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if e.typ == "tree" && slices.Contains(want, e.path) {
				found[e.path] = true
			}
		}
	}
	out := map[string]string{}
	if !whole && len(found) == 0 {
		return out, nil
	}
	index := []string{"GIT_INDEX_FILE=" + filepath.Join(scratch, ".index")}
	if _, err := r.git(ctx, index, nil, "read-tree", commit); err != nil {
		return nil, err
	}
	args := []string{"ls-files", "-z", "--cached"}
	if !whole {
		args = append(args, "--")
		for d := range found {
			args = append(args, d+"/")
		}
	}
	files, err := r.git(ctx, index, nil, args...)
	if err != nil {
		return nil, err
	}
	tree := filepath.Join(scratch, "tree")
	if err := os.Mkdir(tree, 0o700); err != nil {
		return nil, err
	}
	// checkout-index skips submodules (gitlinks): their content is
	// another repository's.
	prefix := tree + string(filepath.Separator)
	if _, err := r.git(ctx, index, bytes.NewReader(files), "checkout-index", "-z", "--stdin", "-f", "--prefix="+prefix); err != nil {
		return nil, err
	}
	if err := os.Remove(filepath.Join(scratch, ".index")); err != nil {
		return nil, err
	}
	if whole {
		out["."] = tree
	}
	for d := range found {
		p := filepath.Join(tree, filepath.FromSlash(d))
		// A directory of submodules only has no file to write; it is
		// still the (empty) directory.
		if err := os.MkdirAll(p, 0o755); err != nil {
			return nil, err
		}
		out[d] = p
	}
	return out, nil
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
