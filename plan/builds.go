package plan

// Cloud builds and the other write-only inputs. The API never says which
// build an agent runs (it redacts the image) nor whether managed keys are
// on, so those inputs (build, buildId, managedKeys) are compared with the
// same agent's at a base revision of the repository: what the last apply
// of that revision deployed. ReadSources is the I/O (packing the contexts,
// reading the base through git); Diff compares; apply builds.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/gitrev"
	"github.com/pipecat-gitops/pipecat-gitops/pack"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// How a build agent's input compares with the base revision.
const (
	// CompareNone: no base revision (or it could not be read); the build
	// input is not counted as a change.
	CompareNone = "not_comparable"
	// CompareUnchanged: the same context hash and Dockerfile as at base.
	CompareUnchanged = "unchanged"
	// CompareChanged: another context hash or Dockerfile than at base,
	// or a context that could not be read there.
	CompareChanged = "changed"
	// CompareNew: at base the agent was not declared, or not built from a
	// context.
	CompareNew = "new"
)

// BuildPlan is what a plan says of one agent's cloud build.
type BuildPlan struct {
	// Context is the build context, relative to the repository's top
	// level ("." for it), '/'-separated.
	Context string `json:"context"`
	// Dockerfile is relative to the context.
	Dockerfile string `json:"dockerfile"`
	// Region is the agent's, where the build runs.
	Region string `json:"region"`
	// ContextHash identifies the packed context (see package build).
	ContextHash string `json:"context_hash"`
	Files       int    `json:"files"`
	Size        int64  `json:"size"`
	// CachedBuildID is a successful build of this context, Dockerfile
	// and region that exists already: apply deploys it without building.
	CachedBuildID string `json:"cached_build_id,omitempty"`
	// Compared says how the build input compares with the base revision
	// (CompareNone, CompareUnchanged, CompareChanged, CompareNew).
	Compared string `json:"compared"`
	// BaseContextHash is the context's hash at the base revision, when it
	// differs from ContextHash.
	BaseContextHash string `json:"base_context_hash,omitempty"`
}

// Key is what makes two agents share a build.
func (b *BuildPlan) Key() BuildKey {
	return BuildKey{ContextHash: b.ContextHash, Dockerfile: b.Dockerfile, Region: b.Region}
}

// BuildKey identifies a build: agents with the same context hash,
// Dockerfile and region share one.
type BuildKey struct {
	ContextHash, Dockerfile, Region string
}

// BuildReader is the part of the API client the build cache lookup needs.
type BuildReader interface {
	ListBuilds(ctx context.Context, q cloud.BuildQuery) ([]cloud.Build, error)
}

// SourceOptions says where a config's build contexts and its base
// revision are.
type SourceOptions struct {
	// Root is the directory every build context must be inside: the
	// repository's top level, or the config's directory when there is no
	// repository. Plans name contexts relative to it.
	Root string
	// Base is the git revision to compare the write-only inputs with; ""
	// for none.
	Base string
	// Load parses the config at Base as the current one was parsed.
	Load schema.LoadOptions
	// KeepArchives spools each packed context to a temporary file, for
	// apply to upload; Sources.Close removes them.
	KeepArchives bool
	// ScanOnly checks the contexts (files, exclusions, size, Dockerfile)
	// without reading any file's content, as validate does: the packs
	// have no hash. It excludes KeepArchives and Base.
	ScanOnly bool
}

// Sources is what ReadSources found: each build agent's packed context,
// and the config at the base revision.
type Sources struct {
	// Packs maps each build agent's name to its packed context.
	Packs map[string]*Pack
	// Base is the config at the base revision; nil without one.
	Base *Base
	// BaseRef is the revision asked for; BaseErr says why it could not be
	// read (the plan warns and compares nothing then).
	BaseRef string
	BaseErr error
}

// Pack is one packed build context.
type Pack struct {
	Context     string // relative to the root, '/'-separated
	Dockerfile  string // relative to the context
	ContextHash string
	Files       int
	Size        int64
	// Archive is the spooled gzipped tar to upload, with
	// SourceOptions.KeepArchives.
	Archive *pack.Archive
	// Credentials are packed files that look like credential stores
	// (the plan warns of them).
	Credentials []pack.Credential
}

// Close removes the spooled archives of s.
func (s *Sources) Close() {
	if s == nil {
		return
	}
	for _, p := range s.Packs {
		if p.Archive != nil {
			p.Archive.Remove()
		}
	}
}

// RemoveArchives removes spooled archives, as Repack returns them.
func RemoveArchives(m map[string]*pack.Archive) {
	for _, a := range m {
		a.Remove()
	}
}

// Base is the config at the base revision.
type Base struct {
	Commit string // resolved
	// Agents are the agents declared at base.
	Agents map[string]BaseAgent
}

// BaseAgent is one agent as the base revision declared it.
type BaseAgent struct {
	Spec schema.Spec
	// ContextHash and Dockerfile are its build input, for an agent built
	// from a context that is also one now; ContextErr says why the
	// context at base could not be packed.
	ContextHash string
	Dockerfile  string
	ContextErr  error
}

// ReadSources packs the build context of every agent of cfg that has one
// (once per distinct context and Dockerfile) and, with o.Base, reads the
// config and the contexts at that revision. A context that is missing, is
// no directory, lies outside o.Root (the directory itself, or a symlink
// in it), or does not hold its Dockerfile is a located config error
// (schema.Errors), as for any invalid value. A base that cannot be read
// (no repository, a commit a shallow clone lacks, an invalid config
// there) is no error: Sources.BaseErr says why, and the plan warns.
func ReadSources(ctx context.Context, cfg *schema.Config, o SourceOptions) (*Sources, error) {
	root, err := filepath.Abs(o.Root)
	if err == nil {
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		return nil, fmt.Errorf("build contexts: root %s: %w", o.Root, err)
	}
	s := &Sources{Packs: map[string]*Pack{}, BaseRef: o.Base}
	configDir, err := filepath.Abs(filepath.Dir(cfg.File))
	if err != nil {
		return nil, err
	}
	type job struct {
		dir, dockerfile string
		agents          []schema.Agent
		pack            *Pack
		err             error
	}
	var (
		errs schema.Errors
		jobs []*job
		byID = map[string]*job{}
	)
	for _, a := range cfg.Agents {
		if a.Spec.Build == nil || a.Spec.Build.Context == nil {
			continue
		}
		dir, dockerfile, rel, e := locate(cfg.File, configDir, root, a)
		if e != nil {
			errs = append(errs, e)
			continue
		}
		id := dir + "\x00" + dockerfile
		j := byID[id]
		if j == nil {
			j = &job{dir: dir, dockerfile: dockerfile, pack: &Pack{Context: rel, Dockerfile: dockerfile}}
			byID[id] = j
			jobs = append(jobs, j)
		}
		j.agents = append(j.agents, a)
	}
	// Packing is compression: as many at once as there are processors.
	// Every context is scanned before any is written, so that no spooled
	// archive lands in a context (a temporary directory inside one).
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	scanned := make([]*pack.Archive, len(jobs))
	for i, j := range jobs {
		g.Go(func() error {
			scanned[i], j.err = pack.Scan(ctx, j.dir, pack.Options{Dockerfile: j.dockerfile})
			return nil
		})
	}
	g.Wait()
	for i, j := range jobs {
		if j.err == nil && !o.ScanOnly {
			g.Go(func() error {
				j.err = writePack(ctx, scanned[i], j.pack, o)
				return nil
			})
		}
	}
	g.Wait()
	for i, j := range jobs {
		if a := scanned[i]; a != nil {
			j.pack.Files, j.pack.Size = len(a.Files), a.Size
		}
	}
	if err := ctx.Err(); err != nil {
		for _, j := range jobs {
			if j.pack.Archive != nil {
				j.pack.Archive.Remove()
			}
		}
		return nil, fmt.Errorf("build contexts: %w", err)
	}
	for _, j := range jobs {
		nameContext(j.err, j.pack.Context)
		for _, a := range j.agents {
			if j.err != nil {
				errs = append(errs, packError(cfg.File, a, j.err))
				continue
			}
			s.Packs[a.Name] = j.pack
		}
	}
	if len(errs) > 0 {
		s.Close()
		return nil, errs.Sorted()
	}
	if o.Base != "" && !o.ScanOnly {
		s.Base, s.BaseErr = readBase(ctx, cfg, configDir, root, o, s.Packs)
		if err := ctx.Err(); err != nil {
			s.Close()
			return nil, fmt.Errorf("base revision %s: %w", o.Base, err)
		}
	}
	return s, nil
}

// writePack packs a scanned context into pk: to its hash, or spooled
// with o.KeepArchives; and lists the credential stores it holds.
func writePack(ctx context.Context, a *pack.Archive, pk *Pack, o SourceOptions) error {
	var err error
	if o.KeepArchives {
		err = a.WriteTemp(ctx, "")
	} else {
		err = a.Write(ctx, io.Discard)
	}
	if err != nil {
		return err
	}
	pk.ContextHash = a.ContextHash
	if a.Path != "" {
		pk.Archive = a
	}
	if pk.Credentials, err = a.Credentials(ctx); err != nil {
		a.Remove()
		pk.Archive = nil
		return err
	}
	return nil
}

// configError is a located error about one of a's build fields.
func configError(file string, a schema.Agent, field, hint, format string, args ...any) *schema.Error {
	at, ok := a.FieldPos[field]
	if !ok {
		at = a.FieldPos["build"]
	}
	if at.Line == 0 {
		at = a.Pos
	}
	return &schema.Error{File: file, Line: at.Line, Col: at.Col, Path: "agents." + a.Name + "." + field,
		Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// locate resolves a's build context: the directory to pack, the
// Dockerfile in it, and the context's name relative to root. The context
// directory itself must be inside root once its symlinks are resolved.
func locate(file, configDir, root string, a schema.Agent) (dir, dockerfile, rel string, _ *schema.Error) {
	written := *a.Spec.Build.Context
	dockerfile = pack.DefaultDockerfile
	if d := a.Spec.Build.Dockerfile; d != nil {
		dockerfile = *d
	}
	native := filepath.FromSlash(written)
	if filepath.IsAbs(native) || filepath.VolumeName(native) != "" {
		return "", "", "", configError(file, a, "build.context", "write it relative to the config file's directory, e.g. agents/bot",
			"%s is an absolute path; a build context is relative to the config file", quoted(written))
	}
	if !filepath.IsLocal(filepath.FromSlash(dockerfile)) {
		return "", "", "", configError(file, a, "build.dockerfile", "the Dockerfile is relative to the context, e.g. Dockerfile or docker/prod.Dockerfile",
			"%s is not a path inside the context", quoted(dockerfile))
	}
	dir = filepath.Join(configDir, native)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", "", "", configError(file, a, "build.context", "", "directory %s does not exist", quoted(written))
	case err != nil:
		return "", "", "", configError(file, a, "build.context", "", "%s: %v", quoted(written), unwrapPath(err))
	case !st.IsDir():
		return "", "", "", configError(file, a, "build.context", "", "%s is not a directory", quoted(written))
	}
	resolved, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", "", "", configError(file, a, "build.context", "", "%s: %v", quoted(written), unwrapPath(err))
	}
	r, err := filepath.Rel(root, resolved)
	if err != nil || !filepath.IsLocal(r) && r != "." {
		return "", "", "", configError(file, a, "build.context", "a build context must be inside the repository, so that its base revision can be read and every runner packs the same files",
			"%s is outside the repository (%s)", quoted(written), root)
	}
	return dir, dockerfile, filepath.ToSlash(r), nil
}

// packError locates a packing failure at the field it is about.
func packError(file string, a schema.Agent, err error) *schema.Error {
	field := "build.context"
	var pe *pack.PathError
	if errors.As(err, &pe) && a.Spec.Build.Dockerfile != nil && pe.Path == path.Clean(filepath.ToSlash(*a.Spec.Build.Dockerfile)) {
		field = "build.dockerfile"
	}
	hint := ""
	var se *pack.SymlinkError
	if errors.As(err, &se) {
		hint = "a build context must not reach outside itself"
	}
	return configError(file, a, field, hint, "%v", err)
}

// nameContext names the context in a packing error as the plan names it
// (relative to the repository), rather than by the absolute path packed.
func nameContext(err error, name string) {
	var (
		pe *pack.PathError
		se *pack.SymlinkError
		ie *pack.IgnoreError
		te *pack.TooLargeError
	)
	switch {
	case errors.As(err, &pe):
		pe.Context = name
	case errors.As(err, &se):
		se.Context = name
	case errors.As(err, &ie):
		ie.Context = name
	case errors.As(err, &te):
		te.Context = name
	}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// quoted is a path as messages show it: Go-quoted when it holds anything
// but plain printable text.
func quoted(s string) string {
	if q := fmt.Sprintf("%q", s); s == "" || q != `"`+s+`"` || strings.ContainsAny(s, " \t") {
		return q
	}
	return s
}

// readBase reads the config and the build contexts at o.Base. Only the
// contexts of agents that are built from a context both now and at base
// are packed: any other pair differs without looking.
func readBase(ctx context.Context, cfg *schema.Config, configDir, root string, o SourceOptions, packs map[string]*Pack) (*Base, error) {
	top := gitrev.TopLevel(root)
	if top == "" {
		return nil, errors.New("not in a git repository")
	}
	repo := gitrev.Repo{Dir: top}
	commit, err := repo.Resolve(ctx, o.Base)
	if errors.Is(err, gitrev.ErrNoCommit) {
		return nil, fmt.Errorf("no commit %s in this clone (a shallow checkout? fetch it with: git fetch --depth=1 origin %s)", o.Base, o.Base)
	}
	if err != nil {
		return nil, err
	}
	abs, err := filepath.EvalSymlinks(filepath.Join(configDir, filepath.Base(cfg.File)))
	if err != nil {
		return nil, err
	}
	configRel, err := filepath.Rel(top, abs)
	if err != nil || !filepath.IsLocal(configRel) {
		return nil, fmt.Errorf("the config %s is not in the repository %s", cfg.File, top)
	}
	configRel = filepath.ToSlash(configRel)
	base := &Base{Commit: commit, Agents: map[string]BaseAgent{}}
	data, err := repo.Show(ctx, commit, configRel)
	if errors.Is(err, gitrev.ErrNotExist) {
		return base, nil // the config is new: every agent is
	}
	if err != nil {
		return nil, err
	}
	old, err := schema.Parse(ctx, o.Base+":"+configRel, data, o.Load)
	if err != nil {
		var list schema.Errors
		if errors.As(err, &list) && len(list) > 0 {
			return nil, fmt.Errorf("the config there is invalid: %v", list[0])
		}
		return nil, err
	}
	// The contexts to pack at base: those of agents built from a
	// context both there and now. All are checked out at once.
	type input struct {
		dir, dockerfile string
		hash            string
		err             error
	}
	inputs := map[string]*input{} // by directory and Dockerfile
	of := map[string]*input{}     // by agent
	var dirs []string
	for _, a := range old.Agents {
		b := BaseAgent{Spec: a.Spec}
		if a.Spec.Build != nil && a.Spec.Build.Context != nil && packs[a.Name] != nil {
			b.Dockerfile = cmp.Or(deref(a.Spec.Build.Dockerfile), pack.DefaultDockerfile)
			dir := path.Join(path.Dir(configRel), filepath.ToSlash(*a.Spec.Build.Context))
			key := dir + "\x00" + b.Dockerfile
			if inputs[key] == nil {
				inputs[key] = &input{dir: dir, dockerfile: b.Dockerfile}
				dirs = append(dirs, dir)
			}
			of[a.Name] = inputs[key]
		}
		base.Agents[a.Name] = b
	}
	if len(inputs) == 0 {
		return base, nil
	}
	scratch, err := os.MkdirTemp("", "pipecat-gitops-base-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	var inside []string
	for _, d := range dirs {
		if d == "." || filepath.IsLocal(filepath.FromSlash(d)) {
			inside = append(inside, d)
		}
	}
	trees, err := repo.Checkout(ctx, commit, inside, scratch)
	if err != nil {
		return nil, err
	}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, in := range inputs {
		g.Go(func() error {
			in.hash, in.err = packAt(ctx, trees, short(commit), in.dir, in.dockerfile)
			return nil
		})
	}
	g.Wait()
	for name, in := range of {
		b := base.Agents[name]
		b.ContextHash, b.ContextErr = in.hash, in.err
		base.Agents[name] = b
	}
	return base, nil
}

// packAt packs the context dir (relative to the top level) as checked
// out in trees; at names the commit in messages.
func packAt(ctx context.Context, trees map[string]string, at, dir, dockerfile string) (string, error) {
	tree, ok := trees[dir]
	if !ok {
		if dir != "." && !filepath.IsLocal(filepath.FromSlash(dir)) {
			return "", fmt.Errorf("%s is outside the repository", dir)
		}
		return "", fmt.Errorf("directory %s at %s: %w", dir, at, gitrev.ErrNotExist)
	}
	a, err := pack.Pack(ctx, tree, pack.Options{Dockerfile: dockerfile})
	if err != nil {
		// The error names the scratch directory; name the context instead.
		nameContext(err, dir)
		return "", err
	}
	return a.ContextHash, nil
}

// Archives returns the archive of every build p deploys, by context hash,
// from the packs of s (made with KeepArchives); s.Close removes them.
func (s *Sources) Archives(p *Plan) map[string]*pack.Archive {
	out := map[string]*pack.Archive{}
	for _, c := range p.Changes {
		if c.Build != nil && deploys(c.Action) {
			if pk := s.Packs[c.Agent]; pk != nil && pk.Archive != nil {
				out[pk.ContextHash] = pk.Archive
			}
		}
	}
	return out
}

// HasWriteOnly reports whether s manages a write-only field (a build,
// buildId, managedKeys), which an update must send whatever the live
// agent shows.
func HasWriteOnly(s *schema.Spec) bool {
	for _, f := range s.Fields() {
		if f.WriteOnly {
			return true
		}
	}
	return false
}

// deploys reports whether apply sends the agent's spec for the action.
func deploys(a Action) bool { return a == Create || a == Update || a == Replace }

// StaleBuildError refuses a saved plan whose build context no longer
// packs to the hash planned: apply would deploy something nobody
// reviewed.
type StaleBuildError struct {
	Context      string
	Planned, Now string // context hashes; Now is "" when it could not be packed
	Agents       []string
	Err          error // why it could not be packed
}

func (e *StaleBuildError) Error() string {
	what := "now " + e.Now
	if e.Err != nil {
		what = fmt.Sprintf("now unreadable: %v", e.Err)
	}
	return fmt.Sprintf("plan is stale: build context %s of %s changed since the plan was made (planned %s, %s); run plan again",
		e.Context, strings.Join(e.Agents, ", "), e.Planned, what)
}

func (e *StaleBuildError) Unwrap() error { return e.Err }

// Repack packs again, from root, the build context of every change of a
// saved plan that deploys one, and returns the archives, spooled, by
// context hash (RemoveArchives removes them). A context whose hash is not
// the planned one is a *StaleBuildError: the plan is refused before
// anything is sent.
func Repack(ctx context.Context, p *Plan, root string) (map[string]*pack.Archive, error) {
	type key struct{ context, dockerfile string }
	agents := map[key][]string{}
	planned := map[key]string{}
	var keys []key
	for _, c := range p.Changes {
		if c.Build == nil || !deploys(c.Action) {
			continue
		}
		k := key{c.Build.Context, c.Build.Dockerfile}
		if _, ok := planned[k]; !ok {
			keys = append(keys, k)
		}
		planned[k] = c.Build.ContextHash
		agents[k] = append(agents[k], c.Agent)
	}
	out := map[string]*pack.Archive{}
	var stale []error
	// All scanned before any is spooled, as in ReadSources.
	scanned := make([]*pack.Archive, len(keys))
	scanErrs := make([]error, len(keys))
	for i, k := range keys {
		dir := filepath.Join(root, filepath.FromSlash(k.context))
		scanned[i], scanErrs[i] = pack.Scan(ctx, dir, pack.Options{Dockerfile: k.dockerfile})
	}
	for i, k := range keys {
		a, err := scanned[i], scanErrs[i]
		if err == nil {
			err = a.WriteTemp(ctx, "")
		}
		if ctx.Err() != nil {
			if err == nil {
				a.Remove()
			}
			RemoveArchives(out)
			return nil, ctx.Err()
		}
		if err != nil || a.ContextHash != planned[k] {
			e := &StaleBuildError{Context: k.context, Planned: planned[k], Agents: agents[k], Err: err}
			if err == nil {
				e.Now = a.ContextHash
				a.Remove()
			}
			stale = append(stale, e)
			continue
		}
		out[a.ContextHash] = a
	}
	if len(stale) > 0 {
		RemoveArchives(out)
		return nil, errors.Join(stale...)
	}
	return out, nil
}

// LookupBuilds asks the build cache, for each key, for a successful build
// (GET /v1/builds?contextHash=&dockerfilePath=&region=&status=success
// &limit=1), at most parallelism at a time. An error of any lookup is
// returned beside what the others found: the plan warns and goes on.
func LookupBuilds(ctx context.Context, api BuildReader, keys []BuildKey, parallelism int) (map[BuildKey]string, error) {
	if parallelism < 1 {
		parallelism = 8
	}
	found := map[BuildKey]string{}
	var (
		mu   sync.Mutex
		errs []error
		g    errgroup.Group
	)
	g.SetLimit(parallelism)
	for _, k := range keys {
		if ctx.Err() != nil {
			break
		}
		if k.Region == "" {
			// The default region is unknown: a lookup without a region
			// could find another region's build.
			continue
		}
		g.Go(func() error {
			bs, err := api.ListBuilds(ctx, cloud.BuildQuery{ContextHash: k.ContextHash, DockerfilePath: k.Dockerfile,
				Region: k.Region, Status: cloud.BuildStatusSuccess, Limit: 1})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case len(bs) > 0 && bs[0].ID != "" && bs[0].ContextHash == k.ContextHash:
				found[k] = bs[0].ID
			}
			return nil
		})
	}
	g.Wait()
	if err := ctx.Err(); err != nil {
		return found, err
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return found, errors.Join(errs...)
}

// buildKeys are the builds the targeted agents of cfg would need, each
// once, in a stable order.
func buildKeys(cfg *schema.Config, live *Live, o Options) []BuildKey {
	seen := map[BuildKey]bool{}
	var keys []BuildKey
	for _, a := range cfg.Agents {
		pk := o.Sources.pack(a.Name)
		if pk == nil || !o.targeted(a.Name) {
			continue
		}
		k := BuildKey{ContextHash: pk.ContextHash, Dockerfile: pk.Dockerfile, Region: agentRegion(a, live.Details[a.Name], defaultRegion(cfg, live))}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

func (s *Sources) pack(name string) *Pack {
	if s == nil {
		return nil
	}
	return s.Packs[name]
}

// comparable reports whether the write-only inputs can be compared with
// a base revision.
func (s *Sources) comparable() bool { return s != nil && s.Base != nil }

// writeOnly compares a's write-only inputs with the base revision. It
// returns the field changes it finds (buildId, managedKeys, with the
// base's value as before) and, for a build agent, its BuildPlan and the
// reason of an update when its build input changed ("" when not).
func writeOnly(a schema.Agent, region string, s *Sources, cached map[BuildKey]string) (fields []FieldChange, bp *BuildPlan, reason string) {
	if pk := s.pack(a.Name); pk != nil {
		bp = &BuildPlan{Context: pk.Context, Dockerfile: pk.Dockerfile, Region: region, ContextHash: pk.ContextHash,
			Files: pk.Files, Size: pk.Size, Compared: CompareNone}
		bp.CachedBuildID = cached[bp.Key()]
	}
	if !s.comparable() {
		return nil, bp, ""
	}
	was, declared := s.Base.Agents[a.Name]
	for _, f := range a.Spec.Fields() {
		if !sentWriteOnly(f) {
			continue
		}
		if before, _ := was.Spec.Get(f.Path); !reflect.DeepEqual(before, f.Value) {
			fields = append(fields, FieldChange{Path: f.Path, Before: before, After: f.Value})
		}
	}
	if bp == nil {
		return fields, nil, ""
	}
	at := short(s.Base.Commit)
	switch {
	case !declared || was.Spec.Build == nil:
		bp.Compared = CompareNew
		reason = "build: not built from a context at " + at
	case was.ContextErr != nil:
		bp.Compared = CompareChanged
		reason = fmt.Sprintf("build: the context at %s could not be packed (%v)", at, was.ContextErr)
	case was.ContextHash != bp.ContextHash:
		bp.Compared, bp.BaseContextHash = CompareChanged, was.ContextHash
		reason = fmt.Sprintf("build: context changed %s -> %s", short8(was.ContextHash), short8(bp.ContextHash))
	case was.Dockerfile != bp.Dockerfile:
		bp.Compared = CompareChanged
		reason = fmt.Sprintf("build: Dockerfile changed %s -> %s", was.Dockerfile, bp.Dockerfile)
	default:
		bp.Compared = CompareUnchanged
		return fields, bp, ""
	}
	return fields, bp, reason + "; " + bp.Action()
}

// Action says what apply does for the build: reuse an existing one, or
// run a new one.
func (b *BuildPlan) Action() string {
	if b.CachedBuildID != "" {
		return "reuse build " + b.CachedBuildID
	}
	return "new cloud build"
}

// writeOnlyFindings warn, without a base revision, that the write-only
// inputs of an agent are not compared: a change of them alone is not
// planned (and --redeploy-builds forces a deploy of build agents).
func writeOnlyFindings(cfg *schema.Config, o Options) []Finding {
	out := credentialFindings(cfg, o.Sources)
	if s := o.Sources; s != nil && s.BaseErr != nil {
		out = append(out, Finding{Severity: Warning, Message: fmt.Sprintf(
			"--base %s: %v; %s are not compared with it", s.BaseRef, s.BaseErr, writeOnlyNames())})
	}
	if o.Sources.comparable() {
		return out
	}
	for _, a := range cfg.Agents {
		at := func(field, format string, args ...any) {
			pos, ok := a.FieldPos[field]
			if !ok {
				pos = a.Pos
			}
			out = append(out, Finding{Severity: Warning, Agent: a.Name, Field: field, File: cfg.File,
				Line: pos.Line, Col: pos.Col, Message: fmt.Sprintf(format, args...)})
		}
		if id := a.Spec.BuildID; id != nil {
			at("buildId", "deployed from build %s: the API does not report which build runs, so this plan cannot show a change of build; "+
				"apply sends buildId when it creates or updates this agent, and --redeploy-builds sends it on every apply; "+
				"plan with --base REF to compare it with a revision, or use image: with the build's imageUri (GET /v1/builds/%s)", *id, *id)
		}
		for _, f := range a.Spec.Fields() {
			if sentWriteOnly(f) && f.Path != "buildId" {
				at(f.Path, "set to %v, which the API does not report, so this plan cannot show a change of it; "+
					"apply sends it when it creates or updates this agent; plan with --base REF to compare it with a revision", f.Value)
			}
		}
	}
	return out
}

// sentWriteOnly reports whether f is a write-only field sent as such
// (buildId, managedKeys, websocketAuth), which plans compare with the
// base revision; a build is compared by its packed context instead.
func sentWriteOnly(f schema.Field) bool { return f.WriteOnly && f.Wire != "" }

// writeOnlyNames lists the write-only inputs: "build, buildId, managedKeys
// and websocketAuth".
func writeOnlyNames() string {
	names := []string{"build"}
	for _, f := range schema.AllFields() {
		if sentWriteOnly(f) {
			names = append(names, f.Path)
		}
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func anyOf[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// short8 abbreviates a context hash for a reason line.
func short8(h string) string {
	if len(h) > 8 {
		return h[:8]
	}
	return h
}

// short abbreviates a commit (or a hash) to 12 characters.
func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// credentialFindings warn of packed files that look like credential
// stores, at the agent's build.context, naming the file, never its
// content.
func credentialFindings(cfg *schema.Config, s *Sources) []Finding {
	var out []Finding
	for _, a := range cfg.Agents {
		pk := s.pack(a.Name)
		if pk == nil {
			continue
		}
		pos, ok := a.FieldPos["build.context"]
		if !ok {
			pos = a.Pos
		}
		for _, c := range pk.Credentials {
			out = append(out, Finding{Severity: Warning, Agent: a.Name, Field: "build.context", File: cfg.File,
				Line: pos.Line, Col: pos.Col, Message: fmt.Sprintf(
					"build context %s would upload %s, which looks like %s; exclude it in %s/.dockerignore (or remove it) unless the build needs it",
					pk.Context, quoted(path.Join(pk.Context, c.Path)), c.What, pk.Context)})
		}
	}
	return out
}

// switchFindings say, for every live build agent whose context no
// existing build matches and that no base revision built, that the first
// apply deploying it builds and redeploys it: contexts the official
// deploy action or the Pipecat CLI built were packed by Node, whose gzip
// bytes differ from ours, so their builds never match our context hash.
func switchFindings(cfg *schema.Config, changes []Change, live *Live) []Finding {
	agents := make(map[string]schema.Agent, len(cfg.Agents))
	for _, a := range cfg.Agents {
		agents[a.Name] = a
	}
	var out []Finding
	for _, c := range changes {
		b := c.Build
		if b == nil || live.Details[c.Agent] == nil || b.CachedBuildID != "" || live.BuildsErr != nil ||
			(b.Compared != CompareNone && b.Compared != CompareNew) {
			continue
		}
		a := agents[c.Agent]
		pos, ok := a.FieldPos["build.context"]
		if !ok {
			pos = a.Pos
		}
		out = append(out, Finding{Severity: Warning, Agent: c.Agent, Field: "build.context", File: cfg.File, Line: pos.Line, Col: pos.Col,
			Message: fmt.Sprintf("no build of context %s (%s) exists yet, and no base revision built it: the first apply that deploys this agent runs a cloud build and redeploys it, "+
				"even if the official deploy action or the Pipecat CLI built the same files (they pack with Node, whose gzip bytes differ, so the context hash does too); "+
				"expect one build and one redeploy per context after switching (docs/migrating.md)", b.Context, short8(b.ContextHash))})
	}
	return out
}
