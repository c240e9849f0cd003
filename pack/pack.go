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

// Archive is a packed context.
type Archive struct {
	// Data is the gzipped tar to upload.
	Data []byte
	// ContextHash is the first 16 hex digits of the MD5 of Data.
	ContextHash string
	// Files lists the packed files in archive order.
	Files []File
	// Size is the total size of the files, uncompressed.
	Size int64
	// Skipped lists symlinks and special files left out.
	Skipped []Skipped
	// Dockerignore reports whether the context has a .dockerignore; when
	// it has none the default exclusions applied.
	Dockerignore bool
}

// entry is a regular file found by the walk.
type entry struct {
	rel  string // path relative to the context, the action's arcName and sort key
	full string
	info fs.FileInfo
	mode int64
}

// Pack packs the build context in dir; see the package documentation for
// the rules. No file's content is read before the size limit and the
// Dockerfile are checked, and ctx stops the walk and the packing.
func Pack(ctx context.Context, dir string, opts Options) (*Archive, error) {
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

	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	// Node's zlib.gzipSync writes OS 3 (Unix); the action zeroes the mtime,
	// which a zero ModTime already leaves at 0.
	zw.OS = 3
	tw := &tarWriter{w: zw}
	a := &Archive{Size: total, Skipped: w.skipped, Dockerignore: w.rules.dockerignore}
	for _, e := range files {
		// The action names entries arcName.replace(/\\/g, "/").
		name := strings.ReplaceAll(e.rel, `\`, "/")
		if err := tw.writeHeader(name, e.mode, e.info.Size()); err != nil {
			return nil, err
		}
		if err := copyFile(ctx, tw.w, e); err != nil {
			return nil, w.pathErr(e.rel, err)
		}
		if err := tw.pad(e.info.Size()); err != nil {
			return nil, err
		}
		a.Files = append(a.Files, File{Name: name, Size: e.info.Size(), Mode: e.mode})
	}
	if err := tw.close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	a.Data = buf.Bytes()
	sum := md5.Sum(a.Data)
	a.ContextHash = hex.EncodeToString(sum[:])[:16]
	return a, nil
}

// walker collects the files of one context.
type walker struct {
	ctx     context.Context
	dir     string // the context as the caller named it, for messages
	abs     string // absolute, as given
	root    string // absolute, symlinks resolved
	rules   *rules
	files   []entry
	skipped []Skipped
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
// since the user's exclusions would silently not apply.
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
	data, err := os.ReadFile(full)
	if err != nil {
		return nil, w.pathErr(name, err)
	}
	r, err := newRules(data, true)
	var ie *IgnoreError
	if errors.As(err, &ie) {
		ie.Context = w.dir
	}
	return r, err
}

// walk is the action's collectFiles: every entry is tested against the
// exclusions before its type, an excluded directory is not entered, and
// only directories and regular files are looked at further (Dirent
// isDirectory / isFile, which do not follow symlinks).
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
		// Node decodes names as UTF-8, replacing invalid bytes, before
		// matching; a name it cannot decode it cannot open either.
		valid := utf8.ValidString(name)
		matchRel := childRel
		if !valid {
			matchRel = string([]rune(childRel))
		}
		if w.rules.excludedBy(matchRel) != nil {
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
			// isExecutable = (stat.mode & 0o111) !== 0.
			mode := int64(0o644)
			if info.Mode().Perm()&0o111 != 0 {
				mode = 0o755
			}
			w.files = append(w.files, entry{rel: childRel, full: childFull, info: info, mode: mode})
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
		if p := w.rules.excludedBy(prefix); p != nil {
			what := "the Dockerfile"
			if i < len(parts)-1 {
				what = "its directory " + quote(prefix)
			}
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
	// The path is in the message already; keep the cause without it.
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &PathError{Context: w.dir, Path: rel, Err: err}
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
	f, err := os.Open(e.full)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
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
