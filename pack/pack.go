package pack

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// DefaultMaxSize is the official action's MAX_CONTEXT_SIZE (src/build.js):
// the largest total size of the packed files, uncompressed.
const DefaultMaxSize = 500 * 1024 * 1024

// DefaultDockerfile is the action's default for its dockerfile input.
const DefaultDockerfile = "Dockerfile"

// largestListed is how many files a TooLargeError names.
const largestListed = 5

// gitDir is never packed, at any depth, whatever the exclusions say: a
// checkout keeps its credentials in .git/config.
const gitDir = ".git"

// SandboxState is where pipecat-gitops --sandbox keeps its state by
// default. It holds secret set values in clear (and the contexts it was
// sent, beside it in SandboxState+".uploads"), so neither is ever packed
// either: a context is often the directory --sandbox was tried in.
const SandboxState = ".pipecat-sandbox.json"

// Options tune Pack. The zero value packs like the official action.
type Options struct {
	// Dockerfile is the Dockerfile's path inside the context,
	// '/'-separated; "" means DefaultDockerfile.
	Dockerfile string
	// MaxSize refuses a context whose files add up to more bytes than
	// this; 0 means DefaultMaxSize.
	MaxSize int64
}

// File is one packed file.
type File struct {
	Name string // name in the archive, '/'-separated
	Size int64
	Mode int64 // 0o755 or 0o644
}

// Skipped is a context entry that is not excluded but is not a regular
// file, so it is not packed (the official action skips these silently).
type Skipped struct {
	Path   string
	Reason string
}

// Archive is a scanned, and after Write a packed, context.
type Archive struct {
	// ContextHash is the first 16 hex digits of the MD5 of the gzipped
	// tar; "" until it is written.
	ContextHash string
	// Compressed is the size of the gzipped tar; 0 until it is written.
	Compressed int64
	// Files lists the packed files in archive order.
	Files []File
	// Size is the total size of the files, uncompressed.
	Size int64
	// Skipped lists symlinks and special files left out.
	Skipped []Skipped
	// Dockerignore reports whether the context has a .dockerignore; when
	// it has none the default exclusions applied.
	Dockerignore bool
	// Path is the temporary file Spool wrote the gzipped tar to; "" for
	// an archive from Scan or Pack.
	Path string

	dir     string // the context as the caller named it, for messages
	entries []entry
}

// entry is a regular file found by the walk.
type entry struct {
	rel  string // path relative to the context, the action's arcName and sort key
	name string // name in the archive
	full string
	info fs.FileInfo
	mode int64
}

// Scan walks the context in dir and checks it (exclusions, size limit,
// Dockerfile, names, hard links) without reading any file's content but
// .dockerignore's. The result lists the files; Write packs them.
func Scan(ctx context.Context, dir string, opts Options) (*Archive, error) {
	w, err := newWalker(ctx, dir)
	if err != nil {
		return nil, err
	}
	if err := w.walk(w.root, ""); err != nil {
		return nil, err
	}
	files := w.files
	// createDeterministicTarball: files.sort by codePointCompare(arcName).
	slices.SortFunc(files, func(a, b entry) int { return compareUTF16(a.rel, b.rel) })

	if err := w.checkDockerfile(opts.Dockerfile); err != nil {
		return nil, err
	}
	limit := cmp.Or(opts.MaxSize, DefaultMaxSize)
	var total int64
	for _, e := range files {
		total += e.info.Size()
	}
	if total > limit {
		return nil, tooLarge(dir, files, total, limit)
	}
	if w.backslash {
		if err := w.checkCollisions(); err != nil {
			return nil, err
		}
	}
	if err := w.checkHardLinks(); err != nil {
		return nil, err
	}
	a := &Archive{Size: total, Skipped: w.skipped, Dockerignore: w.rules.dockerignore, dir: dir, entries: files}
	for _, e := range files {
		a.Files = append(a.Files, File{Name: e.name, Size: e.info.Size(), Mode: e.mode})
	}
	return a, nil
}

// Pack scans the context in dir and packs it without keeping the bytes:
// the result has its ContextHash and Compressed size. Memory is bounded by
// buffers, whatever the context's size.
func Pack(ctx context.Context, dir string, opts Options) (*Archive, error) {
	a, err := Scan(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	if err := a.Write(ctx, io.Discard); err != nil {
		return nil, err
	}
	return a, nil
}

// Spool scans the context in dir and packs it into a new temporary file
// in tmp ("" for the system's); see WriteTemp.
func Spool(ctx context.Context, dir, tmp string, opts Options) (*Archive, error) {
	a, err := Scan(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	if err := a.WriteTemp(ctx, tmp); err != nil {
		return nil, err
	}
	return a, nil
}

// WriteTemp packs the scanned files into a new temporary file in tmp (""
// for the system's), named by Path, so that the bytes uploaded are the
// bytes hashed; the caller removes it with Remove. Scan every context
// before writing any: a temporary directory inside a context would
// otherwise put one context's archive into another.
func (a *Archive) WriteTemp(ctx context.Context, tmp string) error {
	f, err := os.CreateTemp(tmp, "pipecat-context-*.tar.gz")
	if err != nil {
		return fmt.Errorf("build context %s: %w", a.dir, err)
	}
	err = a.Write(ctx, f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("build context %s: %w", a.dir, cerr)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	a.Path = f.Name()
	return nil
}

// Open reads a spooled archive.
func (a *Archive) Open() (io.ReadCloser, error) {
	if a.Path == "" {
		return nil, errors.New("build context: the archive was not spooled")
	}
	return os.Open(a.Path)
}

// Remove deletes a spooled archive's file; it does nothing for others.
func (a *Archive) Remove() error {
	if a.Path == "" {
		return nil
	}
	err := os.Remove(a.Path)
	a.Path = ""
	return err
}

// Write packs the scanned files into w as the gzipped tar to upload,
// setting ContextHash and Compressed. Every file is read in turn through
// fixed buffers and refused if it changed since the scan.
func (a *Archive) Write(ctx context.Context, w io.Writer) error {
	sum := md5.New()
	out := &countWriter{w: io.MultiWriter(w, sum)}
	zw, err := gzip.NewWriterLevel(out, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	// Node's zlib.gzipSync writes OS 3 (Unix); the action zeroes the mtime,
	// which a zero ModTime already leaves at 0.
	zw.OS = 3
	tw := &tarWriter{w: zw}
	for _, e := range a.entries {
		if err := tw.writeHeader(e.name, e.mode, e.info.Size()); err != nil {
			return a.writeErr(err)
		}
		if err := copyFile(ctx, tw.w, e); err != nil {
			return &PathError{Context: a.dir, Path: e.rel, Err: unwrapPath(err)}
		}
		if err := tw.pad(e.info.Size()); err != nil {
			return a.writeErr(err)
		}
	}
	if err := tw.close(); err != nil {
		return a.writeErr(err)
	}
	if err := zw.Close(); err != nil {
		return a.writeErr(err)
	}
	a.ContextHash = hex.EncodeToString(sum.Sum(nil))[:16]
	a.Compressed = out.n
	return nil
}

func (a *Archive) writeErr(err error) error {
	return fmt.Errorf("build context %s: write archive: %w", a.dir, err)
}

// countWriter counts what goes through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// walker collects the files of one context.
type walker struct {
	ctx       context.Context
	dir       string // the context as the caller named it, for messages
	abs       string // absolute, as given
	root      string // absolute, symlinks resolved
	rules     *rules
	files     []entry
	skipped   []Skipped
	backslash bool // some packed name held a '\'
}

func newWalker(ctx context.Context, dir string) (*walker, error) {
	w := &walker{ctx: ctx, dir: dir}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, w.pathErr("", err)
	}
	w.abs = abs
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, w.pathErr("", err)
	}
	st, err := os.Stat(root)
	if err != nil {
		return nil, w.pathErr("", err)
	}
	if !st.IsDir() {
		return nil, w.pathErr("", errors.New("not a directory"))
	}
	w.root = root
	if w.rules, err = w.loadRules(); err != nil {
		return nil, err
	}
	return w, nil
}

// loadRules reads .dockerignore (loadDockerignore and getExclusions in the
// action's src/build.js). The action falls back to the defaults with a
// warning when the file exists but cannot be read; this refuses instead,
// since the user's exclusions would silently not apply. Only a regular
// file of at most MaxIgnoreSize bytes is read: a FIFO would block.
func (w *walker) loadRules() (*rules, error) {
	const name = ".dockerignore"
	full := filepath.Join(w.root, name)
	st, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return newRules(nil, false)
	}
	if err != nil {
		return nil, w.pathErr(name, err)
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		if err := w.checkLink(full, name); err != nil {
			return nil, err
		}
	}
	f, info, err := openFile(full)
	if err != nil {
		return nil, w.pathErr(name, err)
	}
	defer f.Close()
	if info.Size() > MaxIgnoreSize {
		return nil, w.pathErr(name, fmt.Errorf("%s is over the %s limit of a .dockerignore", FormatSize(info.Size()), FormatSize(MaxIgnoreSize)))
	}
	data, err := io.ReadAll(io.LimitReader(ctxReader{w.ctx, f}, MaxIgnoreSize+1))
	if err != nil {
		return nil, w.pathErr(name, err)
	}
	if len(data) > MaxIgnoreSize {
		return nil, w.pathErr(name, fmt.Errorf("over the %s limit of a .dockerignore", FormatSize(MaxIgnoreSize)))
	}
	r, err := newRules(data, true)
	var ie *IgnoreError
	if errors.As(err, &ie) {
		ie.Context = w.dir
	}
	return r, err
}

// openFile opens every file Pack reads; a test counts the calls.
var openFile = openRegular

// openRegular opens a file for reading only if it is a regular file. The
// open does not block (O_NONBLOCK), so a FIFO put in a file's place is
// refused rather than waited on.
func openRegular(name string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// walk is the action's collectFiles: every entry is tested against the
// exclusions before its type, an excluded directory is not entered, and
// only directories and regular files are looked at further (Dirent
// isDirectory / isFile, which do not follow symlinks). Anything named
// .git is left out first.
func (w *walker) walk(full, rel string) error {
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("build context %s: %w", w.dir, err)
	}
	ents, err := os.ReadDir(full)
	if err != nil {
		return w.pathErr(cmp.Or(rel, "."), err)
	}
	for _, de := range ents {
		if err := w.ctx.Err(); err != nil {
			return fmt.Errorf("build context %s: %w", w.dir, err)
		}
		name := de.Name()
		childRel := name
		if rel != "" {
			childRel = rel + "/" + name
		}
		childFull := filepath.Join(full, name)
		if neverPacked(name) {
			continue
		}
		// Node decodes names as UTF-8, replacing invalid bytes, before
		// matching; a name it cannot decode it cannot open either.
		valid := utf8.ValidString(name)
		matchRel := childRel
		if !valid {
			matchRel = string([]rune(childRel))
		}
		// The directories above were tested when they were entered.
		if w.rules.excludedLeaf(matchRel) != nil {
			continue
		}
		if !valid {
			return w.pathErr(childRel, errors.New("name is not valid UTF-8, which the official action cannot pack; rename it or exclude it in .dockerignore"))
		}
		switch t := de.Type(); {
		case t.IsDir():
			if err := w.walk(childFull, childRel); err != nil {
				return err
			}
		case t.IsRegular():
			info, err := de.Info()
			if err != nil {
				return w.pathErr(childRel, err)
			}
			// The action names entries arcName.replace(/\\/g, "/").
			tarName := childRel
			if strings.Contains(name, `\`) {
				w.backslash = true
				tarName = strings.ReplaceAll(childRel, `\`, "/")
				if !safeName(tarName) {
					parts := strings.Split(tarName, "/")
					where := "not a clean relative path"
					switch {
					case path.IsAbs(tarName) || slices.Contains(parts, ".."):
						where = "outside the context"
					case slices.ContainsFunc(parts, isGit):
						where = "inside .git, which is never packed"
					}
					return w.pathErr(childRel, fmt.Errorf("the name holds '\\', which the official action turns into '/', so the archive entry would be %s, %s; rename the file or exclude it in .dockerignore", quote(tarName), where))
				}
			}
			// isExecutable = (stat.mode & 0o111) !== 0.
			mode := int64(0o644)
			if info.Mode().Perm()&0o111 != 0 {
				mode = 0o755
			}
			w.files = append(w.files, entry{rel: childRel, name: tarName, full: childFull, info: info, mode: mode})
		case t&fs.ModeSymlink != 0:
			if err := w.checkLink(childFull, childRel); err != nil {
				return err
			}
			w.skipped = append(w.skipped, Skipped{Path: childRel, Reason: "symlink (only regular files are packed)"})
		default:
			w.skipped = append(w.skipped, Skipped{Path: childRel, Reason: "not a regular file"})
		}
	}
	return nil
}

// isGit reports whether a directory entry is a .git: a repository, or
// the file of a submodule or linked worktree.
func isGit(name string) bool { return name == gitDir }

// neverPacked reports whether a directory entry is never packed: a .git,
// or the sandbox's state, its journal or its uploads.
func neverPacked(name string) bool {
	return isGit(name) || name == SandboxState || strings.HasPrefix(name, SandboxState+".")
}

// safeName reports whether an archive entry name stays inside the
// directory it is extracted in: relative, clean, without '..'.
func safeName(name string) bool {
	if name == "" || path.IsAbs(name) || path.Clean(name) != name {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." || isGit(part) {
			return false
		}
	}
	return true
}

// checkCollisions refuses two files that become the same archive entry,
// or a file whose entry is another's directory, once '\' became '/'.
func (w *walker) checkCollisions() error {
	byName := make(map[string]string, len(w.files))
	for _, e := range w.files {
		if other, ok := byName[e.name]; ok {
			return w.pathErr(e.rel, fmt.Errorf("becomes the archive entry %s, as %s does ('\\' turns into '/'); rename one of them", quote(e.name), quote(other)))
		}
		byName[e.name] = e.rel
	}
	for _, e := range w.files {
		for d := path.Dir(e.name); d != "."; d = path.Dir(d) {
			if other, ok := byName[d]; ok {
				return w.pathErr(e.rel, fmt.Errorf("becomes the archive entry %s, under %s, which is the file %s ('\\' turns into '/'); rename one of them", quote(e.name), quote(d), quote(other)))
			}
		}
	}
	return nil
}

// checkLink refuses a symlink that resolves outside the context. A link
// that resolves (through any chain) stays inside or fails on the final
// path; a dangling link is judged by its text alone.
func (w *walker) checkLink(full, rel string) error {
	target, err := os.Readlink(full)
	if err != nil {
		return w.pathErr(rel, err)
	}
	resolved, err := filepath.EvalSymlinks(full)
	if err != nil {
		lexical := target
		if !filepath.IsAbs(lexical) {
			lexical = filepath.Join(filepath.Dir(full), target)
		}
		if within(w.root, lexical) || within(w.abs, lexical) {
			return nil
		}
	} else if within(w.root, resolved) {
		return nil
	}
	return &SymlinkError{Context: w.dir, Path: rel, Target: target}
}

// within reports whether p is root or under it (both absolute).
func within(root, p string) bool {
	p = filepath.Clean(p)
	if p == root {
		return true
	}
	if !strings.HasSuffix(root, string(filepath.Separator)) {
		root += string(filepath.Separator)
	}
	return strings.HasPrefix(p, root)
}

// checkDockerfile refuses a Dockerfile that will not be in the archive.
// The action only checks that the path exists (following symlinks); the
// cloud build reads the Dockerfile from the uploaded context, so a missing,
// excluded or non-regular one would fail there, after the upload.
func (w *walker) checkDockerfile(dockerfile string) error {
	dockerfile = cmp.Or(dockerfile, DefaultDockerfile)
	if !filepath.IsLocal(filepath.FromSlash(dockerfile)) {
		return w.pathErr(dockerfile, errors.New("the Dockerfile must be a relative path inside the context"))
	}
	rel := path.Clean(filepath.ToSlash(dockerfile))
	for _, e := range w.files {
		if e.rel == rel {
			return nil
		}
	}
	st, err := os.Lstat(filepath.Join(w.root, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return w.pathErr(rel, errors.New("Dockerfile not found in the context"))
	}
	if err != nil {
		return w.pathErr(rel, err)
	}
	// Name the rule that excluded it or a parent directory.
	parts := strings.Split(rel, "/")
	for i := range parts {
		prefix := strings.Join(parts[:i+1], "/")
		what := "the Dockerfile"
		if i < len(parts)-1 {
			what = "its directory " + quote(prefix)
		}
		if isGit(parts[i]) {
			return w.pathErr(rel, fmt.Errorf("the Dockerfile is inside %s, which is never packed", quote(prefix)))
		}
		if p := w.rules.excludedBy(prefix); p != nil {
			return w.pathErr(rel, fmt.Errorf("%s is excluded by %s (%s), but the cloud build reads the Dockerfile from the uploaded context",
				what, quote(p.text), p.location()))
		}
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		return w.pathErr(rel, errors.New("the Dockerfile is a symlink, and only regular files are packed"))
	}
	if st.Mode().IsRegular() {
		return w.pathErr(rel, errors.New("a directory on the Dockerfile's path is a symlink, and symlinks are never followed"))
	}
	return w.pathErr(rel, errors.New("the Dockerfile is not a regular file"))
}

func (w *walker) pathErr(rel string, err error) error {
	return &PathError{Context: w.dir, Path: rel, Err: unwrapPath(err)}
}

// unwrapPath drops an *fs.PathError's path: messages name the path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// tooLarge builds the error naming the largest files.
func tooLarge(dir string, files []entry, total, limit int64) error {
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b entry) int {
		return cmp.Or(cmp.Compare(b.info.Size(), a.info.Size()), compareUTF16(a.rel, b.rel))
	})
	e := &TooLargeError{Context: dir, Size: total, Limit: limit}
	for _, f := range sorted[:min(largestListed, len(sorted))] {
		e.Largest = append(e.Largest, File{Name: f.rel, Size: f.info.Size(), Mode: f.mode})
	}
	return e
}

// copyFile copies e's content, refusing a file that changed since the
// walk measured it (the size limit and the tar header depend on it).
func copyFile(ctx context.Context, w io.Writer, e entry) error {
	f, st, err := openFile(e.full)
	if err != nil {
		return err
	}
	defer f.Close()
	if !os.SameFile(st, e.info) || st.Size() != e.info.Size() {
		return errors.New("changed while packing; pack again")
	}
	n, err := io.Copy(w, io.LimitReader(ctxReader{ctx, f}, e.info.Size()))
	if err != nil {
		return err
	}
	if n != e.info.Size() {
		return errors.New("changed while packing; pack again")
	}
	return nil
}

// ctxReader stops a long copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Credential is a packed file that looks like a credential store the
// exclusions do not cover.
type Credential struct {
	Path string // name in the archive
	What string // what it looks like, e.g. "an npm auth token"
}

// credentialFiles are files that hold credentials by their name alone,
// by their last path components.
var credentialFiles = []struct{ suffix, what string }{
	{".netrc", "a netrc login file"},
	{"_netrc", "a netrc login file"},
	{".git-credentials", "a git credential store"},
	{".docker/config.json", "a Docker registry login"},
	{".aws/credentials", "AWS access keys"},
}

// maxNpmrcRead bounds what is read of an .npmrc to look for a token.
const maxNpmrcRead = 1 << 20

// Credentials lists the packed files that look like credential stores:
// .netrc, .git-credentials, .docker/config.json, .aws/credentials, and an
// .npmrc holding an auth setting (_authToken, _auth, _password). Only
// .npmrc files are read, and no content leaves this function.
func (a *Archive) Credentials(ctx context.Context) ([]Credential, error) {
	var out []Credential
	for _, e := range a.entries {
		name := "/" + e.name
		for _, c := range credentialFiles {
			if strings.HasSuffix(name, "/"+c.suffix) {
				out = append(out, Credential{Path: e.name, What: c.what})
			}
		}
		if path.Base(e.name) != ".npmrc" {
			continue
		}
		found, err := npmrcHasToken(ctx, e)
		if err != nil {
			return nil, &PathError{Context: a.dir, Path: e.rel, Err: unwrapPath(err)}
		}
		if found {
			out = append(out, Credential{Path: e.name, What: "an npm auth token"})
		}
	}
	return out, nil
}

func npmrcHasToken(ctx context.Context, e entry) (bool, error) {
	f, _, err := openFile(e.full)
	if err != nil {
		return false, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(ctxReader{ctx, f}, maxNpmrcRead))
	if err != nil {
		return false, err
	}
	// "_auth" covers _authToken.
	for _, key := range []string{"_auth", "_password"} {
		if bytes.Contains(data, []byte(key)) {
			return true, nil
		}
	}
	return false, nil
}
