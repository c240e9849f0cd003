package plan

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// writeTree writes files (path -> content) under dir.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// loadConfig loads the config at dir/pipecat.yaml.
func loadConfig(t testing.TB, dir string) *schema.Config {
	t.Helper()
	cfg, err := schema.Load(context.Background(), filepath.Join(dir, "pipecat.yaml"), schema.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// git runs git in dir with a fixed identity.
func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestReadSourcesErrors: every way a build context can be wrong is a
// config error at the line and column of the value at fault, all at once.
func TestReadSourcesErrors(t *testing.T) {
	repo := t.TempDir()
	dir := filepath.Join(repo, "deploy")
	writeTree(t, repo, map[string]string{
		"outside/Dockerfile":      "FROM x\n",
		"deploy/ok/Dockerfile":    "FROM x\n",
		"deploy/nodocker/app.py":  "x\n",
		"deploy/file":             "x\n",
		"deploy/leaky/Dockerfile": "FROM x\n",
		"deploy/pipecat.yaml": `version: 1
agents:
  absolute:
    build: {context: /etc}
  missing:
    build: {context: nope}
  not-dir:
    build: {context: file}
  no-dockerfile:
    build: {context: nodocker}
  wrong-dockerfile:
    build: {context: ok, dockerfile: prod.Dockerfile}
  escaping-dockerfile:
    build: {context: ok, dockerfile: ../outside/Dockerfile}
  linked:
    build: {context: link}
  leaky:
    build: {context: leaky}
  fine:
    build: {context: ok}
`,
	})
	if err := os.Symlink("../outside", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "leaky", "passwd")); err != nil {
		t.Fatal(err)
	}
	cfg := loadConfig(t, dir)
	// The config's directory is the root: no repository here.
	_, err := ReadSources(context.Background(), cfg, SourceOptions{Root: dir})
	var errs schema.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("ReadSources = %v, want schema.Errors", err)
	}
	file := cfg.File
	want := []string{
		file + `:4:22: agents.absolute.build.context: /etc is an absolute path; a build context is relative to the config file`,
		file + `:6:22: agents.missing.build.context: directory nope does not exist`,
		file + `:8:22: agents.not-dir.build.context: file is not a directory`,
		file + `:10:22: agents.no-dockerfile.build.context: build context nodocker: Dockerfile: Dockerfile not found in the context`,
		file + `:12:38: agents.wrong-dockerfile.build.dockerfile: build context ok: prod.Dockerfile: Dockerfile not found in the context`,
		file + `:14:38: agents.escaping-dockerfile.build.dockerfile: ../outside/Dockerfile is not a path inside the context`,
		file + `:16:22: agents.linked.build.context: link is outside the repository (` + dir + `)`,
		file + `:18:22: agents.leaky.build.context: build context leaky: passwd: symlink to /etc/passwd points outside the context; copy the file in or exclude the link in .dockerignore`,
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestReadSourcesPacksEachContextOnce: agents sharing a context and
// Dockerfile share one pack; another Dockerfile is another pack; contexts
// are named from the repository's top level.
func TestReadSourcesPacksEachContextOnce(t *testing.T) {
	repo := t.TempDir()
	writeTree(t, repo, map[string]string{
		"agents/shared/Dockerfile":      "FROM python:3.12\n",
		"agents/shared/prod.Dockerfile": "FROM python:3.12-slim\n",
		"agents/shared/bot.py":          "print(1)\n",
		"deploy/pipecat.yaml": `version: 1
defaults:
  build: {context: ../agents/shared}
agents:
  one: {}
  two: {region: eu-central}
  prod:
    build: {dockerfile: prod.Dockerfile}
`,
	})
	s, err := ReadSources(context.Background(), loadConfig(t, filepath.Join(repo, "deploy")), SourceOptions{Root: repo, KeepArchives: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	one, two, prod := s.Packs["one"], s.Packs["two"], s.Packs["prod"]
	if one != two || one == prod {
		t.Errorf("packs: one %p, two %p, prod %p; want one and two shared, prod its own", one, two, prod)
	}
	if one.Context != "agents/shared" || one.Dockerfile != "Dockerfile" || prod.Dockerfile != "prod.Dockerfile" || one.Files != 3 || one.Archive == nil || one.Archive.Compressed == 0 {
		t.Errorf("pack = %+v", one)
	}
	// The same bytes either way: the Dockerfile is not part of the archive's identity.
	if one.ContextHash != prod.ContextHash {
		t.Errorf("hashes %s and %s of one directory differ", one.ContextHash, prod.ContextHash)
	}
}

// TestReadSourcesBase reads the contexts at a base revision through git:
// an unchanged context has the same hash there, a changed one another, an
// agent added since is not at base, and the config at a revision without
// it declares nothing.
func TestReadSourcesBase(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ctx := context.Background()
	repo := t.TempDir()
	git(t, repo, "init", "-q")
	writeTree(t, repo, map[string]string{"README": "x\n"})
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-q", "-m", "before the config")
	writeTree(t, repo, map[string]string{
		"agents/a/Dockerfile": "FROM a\n",
		"agents/b/Dockerfile": "FROM b\n",
		"pipecat.yaml":        "version: 1\nagents:\n  a-bot: {build: {context: agents/a}, managedKeys: true}\n  b-bot: {build: {context: agents/b}}\n",
	})
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-q", "-m", "config")
	writeTree(t, repo, map[string]string{
		"agents/b/Dockerfile": "FROM b:2\n",
		"pipecat.yaml":        "version: 1\nagents:\n  a-bot: {build: {context: agents/a}}\n  b-bot: {build: {context: agents/b}}\n  c-bot: {build: {context: agents/a}}\n",
	})
	cfg := loadConfig(t, repo)

	s, err := ReadSources(ctx, cfg, SourceOptions{Root: repo, Base: "HEAD"})
	if err != nil || s.BaseErr != nil {
		t.Fatalf("ReadSources = %v, base error %v", err, s.BaseErr)
	}
	if s.Base.Commit != git(t, repo, "rev-parse", "HEAD") {
		t.Errorf("base commit %s", s.Base.Commit)
	}
	a, b := s.Base.Agents["a-bot"], s.Base.Agents["b-bot"]
	if a.ContextHash != s.Packs["a-bot"].ContextHash || a.Spec.ManagedKeys == nil || !*a.Spec.ManagedKeys {
		t.Errorf("a-bot at base: %+v; want the hash of now, %s, and managedKeys true", a, s.Packs["a-bot"].ContextHash)
	}
	if b.ContextHash == "" || b.ContextHash == s.Packs["b-bot"].ContextHash {
		t.Errorf("b-bot at base: hash %q; want one other than now's %s", b.ContextHash, s.Packs["b-bot"].ContextHash)
	}
	if _, ok := s.Base.Agents["c-bot"]; ok {
		t.Error("c-bot is at base, though it was added since")
	}

	s, err = ReadSources(ctx, cfg, SourceOptions{Root: repo, Base: "HEAD~1"})
	if err != nil || s.BaseErr != nil || len(s.Base.Agents) != 0 {
		t.Errorf("base before the config: %+v, %v, %v; want no agents", s.Base, err, s.BaseErr)
	}
	for _, tc := range []struct{ root, base, want string }{
		{repo, "0123456789abcdef0123456789abcdef01234567", "no commit 0123456789abcdef0123456789abcdef01234567 in this clone (a shallow checkout? fetch it with: git fetch --depth=1 origin 0123456789abcdef0123456789abcdef01234567)"},
	} {
		s, err := ReadSources(ctx, cfg, SourceOptions{Root: tc.root, Base: tc.base})
		if err != nil || s.Base != nil || s.BaseErr == nil || s.BaseErr.Error() != tc.want {
			t.Errorf("base %s: %v, base error %v; want %q", tc.base, err, s.BaseErr, tc.want)
		}
	}
}

// TestDiffWriteOnly: the write-only inputs are compared with the base
// revision, and without one they are shown but never a change.
func TestDiffWriteOnly(t *testing.T) {
	const id1, id2 = "123e4567-e89b-12d3-a456-426614174000", "223e4567-e89b-12d3-a456-426614174000"
	buildAgent := schema.Agent{Name: "bot", Spec: schema.Spec{Build: &schema.BuildSource{Context: sp("agents/bot")}, Region: sp("us-west")}}
	pack := &Pack{Context: "agents/bot", Dockerfile: "Dockerfile", ContextHash: "aaaaaaaaaaaaaaaa", Files: 3, Size: 120}
	redacted := liveAgent("bot", schema.Spec{Image: sp("redacted"), Region: sp("us-west")})
	key := BuildKey{"aaaaaaaaaaaaaaaa", "Dockerfile", "us-west"}
	base := func(agents map[string]BaseAgent) *Base {
		return &Base{Commit: "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00", Agents: agents}
	}
	atBase := func(hash string) map[string]BaseAgent {
		return map[string]BaseAgent{"bot": {Spec: buildAgent.Spec, ContextHash: hash, Dockerfile: "Dockerfile"}}
	}
	type want struct {
		action, reason string
		fields         []FieldChange
		build          *BuildPlan
	}
	plan := func(compared, baseHash, cached string) *BuildPlan {
		return &BuildPlan{Context: "agents/bot", Dockerfile: "Dockerfile", Region: "us-west", ContextHash: "aaaaaaaaaaaaaaaa",
			Files: 3, Size: 120, Compared: compared, BaseContextHash: baseHash, CachedBuildID: cached}
	}
	tests := []struct {
		name   string
		agent  schema.Agent
		live   *cloud.ServiceDetails
		base   *Base
		cached map[BuildKey]string
		o      Options
		want   want
	}{
		{name: "no base: shown, not a change", agent: buildAgent, live: redacted,
			want: want{action: "no-op", build: plan(CompareNone, "", "")}},
		{name: "unchanged since base", agent: buildAgent, live: redacted, base: base(atBase("aaaaaaaaaaaaaaaa")),
			want: want{action: "no-op", build: plan(CompareUnchanged, "", "")}},
		{name: "changed since base: a new build", agent: buildAgent, live: redacted, base: base(atBase("bbbbbbbbbbbbbbbb")),
			want: want{action: "update", reason: "build: context changed bbbbbbbb -> aaaaaaaa; new cloud build", build: plan(CompareChanged, "bbbbbbbbbbbbbbbb", "")}},
		{name: "changed since base: an existing build reused", agent: buildAgent, live: redacted, base: base(atBase("bbbbbbbbbbbbbbbb")), cached: map[BuildKey]string{key: id1},
			want: want{action: "update", reason: "build: context changed bbbbbbbb -> aaaaaaaa; reuse build " + id1, build: plan(CompareChanged, "bbbbbbbbbbbbbbbb", id1)}},
		{name: "not at base", agent: buildAgent, live: redacted, base: base(nil),
			want: want{action: "update", reason: "build: not built from a context at c0ffee00c0ff; new cloud build", build: plan(CompareNew, "", "")}},
		{name: "context unreadable at base", agent: buildAgent, live: redacted,
			base: base(map[string]BaseAgent{"bot": {Spec: buildAgent.Spec, ContextErr: errors.New("directory agents/bot at c0ffee00c0ff: not in that revision"), Dockerfile: "Dockerfile"}}),
			want: want{action: "update", reason: "build: the context at c0ffee00c0ff could not be packed (directory agents/bot at c0ffee00c0ff: not in that revision); new cloud build", build: plan(CompareChanged, "", "")}},
		{name: "redeploy without base", agent: buildAgent, live: redacted, o: Options{RedeployBuilds: true},
			want: want{action: "update", reason: ReasonRedeployBuild, build: plan(CompareNone, "", "")}},
		{name: "a plain image runs: certainly not the build", agent: buildAgent, live: liveAgent("bot", schema.Spec{Image: sp("acme/bot:1"), Region: sp("us-west")}),
			want: want{action: "update", fields: []FieldChange{{Path: "build.context", After: "agents/bot"}}, build: plan(CompareNone, "", "")}},
		{name: "create", agent: buildAgent, cached: map[BuildKey]string{key: id1},
			want: want{action: "create", fields: []FieldChange{{Path: "build.context", After: "agents/bot"}, {Path: "region", After: "us-west"}}, build: plan(CompareNone, "", id1)}},
		{name: "buildId changed since base", live: redacted,
			agent: schema.Agent{Name: "bot", Spec: schema.Spec{BuildID: sp(id2)}},
			base:  base(map[string]BaseAgent{"bot": {Spec: schema.Spec{BuildID: sp(id1)}}}),
			want:  want{action: "update", fields: []FieldChange{{Path: "buildId", Before: id1, After: id2}}}},
		{name: "managedKeys changed since base", live: liveAgent("bot", schema.Spec{Image: sp("a:1")}),
			agent: schema.Agent{Name: "bot", Spec: schema.Spec{Image: sp("a:1"), ManagedKeys: bp(true)}},
			base:  base(map[string]BaseAgent{"bot": {Spec: schema.Spec{Image: sp("a:1"), ManagedKeys: bp(false)}}}),
			want:  want{action: "update", fields: []FieldChange{{Path: "managedKeys", Before: false, After: true}}}},
		{name: "managedKeys the same as at base", live: liveAgent("bot", schema.Spec{Image: sp("a:1")}),
			agent: schema.Agent{Name: "bot", Spec: schema.Spec{Image: sp("a:1"), ManagedKeys: bp(true)}},
			base:  base(map[string]BaseAgent{"bot": {Spec: schema.Spec{Image: sp("a:1"), ManagedKeys: bp(true)}}}),
			want:  want{action: "no-op"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Sources = &Sources{Packs: map[string]*Pack{}, Base: tt.base}
			if tt.agent.Spec.Build != nil {
				o.Sources.Packs["bot"] = pack
			}
			live := liveOf()
			if tt.live != nil {
				live = liveOf(tt.live)
			}
			live.CachedBuilds = tt.cached
			p := Diff(config(schema.Prune{}, tt.agent), live, o)
			c := p.Changes[0]
			got := want{action: c.Action.String(), reason: c.Reason, fields: c.Fields, build: c.Build}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("change (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteOnlyWarnings: without a base, buildId and managedKeys agents
// are warned about once each; with one, not; an unreadable base is one
// plan-wide warning.
func TestWriteOnlyWarnings(t *testing.T) {
	id := "123e4567-e89b-12d3-a456-426614174000"
	cfg := config(schema.Prune{},
		schema.Agent{Name: "bot", Spec: schema.Spec{BuildID: &id}},
		schema.Agent{Name: "keyed", Spec: schema.Spec{Image: sp("a:1"), ManagedKeys: bp(true)}})
	fields := func(p *Plan) []string {
		var out []string
		for _, f := range p.Findings {
			out = append(out, f.Agent+" "+f.Field+" "+f.Severity.String())
		}
		return out
	}
	if diff := cmp.Diff([]string{"bot buildId warning", "keyed managedKeys warning"}, fields(Diff(cfg, liveOf(), Options{}))); diff != "" {
		t.Errorf("without base (-want +got):\n%s", diff)
	}
	withBase := Options{Sources: &Sources{Base: &Base{Commit: "c0ffee", Agents: map[string]BaseAgent{}}}}
	if got := fields(Diff(cfg, liveOf(), withBase)); len(got) != 0 {
		t.Errorf("with base: findings %q, want none", got)
	}
	broken := Options{Sources: &Sources{BaseRef: "main", BaseErr: errors.New("no commit main in this clone")}}
	p := Diff(cfg, liveOf(), broken)
	if len(p.Findings) != 3 || p.Findings[0].Message != "--base main: no commit main in this clone; build, buildId, managedKeys and websocketAuth are not compared with it" {
		t.Errorf("unreadable base: findings %+v", p.Findings)
	}
}

// TestReadSourcesModes: ScanOnly (validate) checks the context but packs
// nothing, so no hash; the default packs to the hash and keeps no bytes;
// KeepArchives spools them, and Close removes them.
func TestReadSourcesModes(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"agents/bot/Dockerfile": "FROM a\n", "agents/bot/.npmrc": "//r/:_authToken=x\n",
		"pipecat.yaml": "version: 1\nagents:\n  bot: {build: {context: agents/bot}}\n"})
	cfg := loadConfig(t, root)
	scan, err := ReadSources(context.Background(), cfg, SourceOptions{Root: root, ScanOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if pk := scan.Packs["bot"]; pk.Files != 2 || pk.ContextHash != "" || pk.Archive != nil || pk.Credentials != nil {
		t.Errorf("ScanOnly pack = %+v; want 2 files, no hash, no archive, nothing read", pk)
	}
	hashed, err := ReadSources(context.Background(), cfg, SourceOptions{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	pk := hashed.Packs["bot"]
	if pk.ContextHash == "" || pk.Archive != nil || len(pk.Credentials) != 1 {
		t.Errorf("default pack = %+v; want a hash, no archive, the .npmrc", pk)
	}
	kept, err := ReadSources(context.Background(), cfg, SourceOptions{Root: root, KeepArchives: true})
	if err != nil {
		t.Fatal(err)
	}
	a := kept.Packs["bot"].Archive
	if a == nil || a.ContextHash != pk.ContextHash {
		t.Fatalf("KeepArchives pack archive = %+v; want the same hash %s", a, pk.ContextHash)
	}
	spooled := a.Path
	kept.Close()
	if _, err := os.Stat(spooled); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left %s: %v", spooled, err)
	}
}

// TestRepack: a saved plan's contexts are packed again; a context that
// changed since makes the plan stale, naming it and its agents.
func TestRepack(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"agents/bot/Dockerfile": "FROM a\n", "pipecat.yaml": "version: 1\nagents:\n  bot: {build: {context: agents/bot}}\n  twin: {build: {context: agents/bot}}\n"})
	cfg := loadConfig(t, root)
	s, err := ReadSources(context.Background(), cfg, SourceOptions{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	p := Diff(cfg, liveOf(), Options{Sources: s})
	archives, err := Repack(context.Background(), p, root)
	if err != nil || len(archives) != 1 || archives[s.Packs["bot"].ContextHash] == nil {
		t.Fatalf("Repack = %d archives, %v; want the one planned", len(archives), err)
	}
	spooled := archives[s.Packs["bot"].ContextHash].Path
	if _, err := os.Stat(spooled); err != nil {
		t.Errorf("the spooled archive: %v", err)
	}
	RemoveArchives(archives)
	if _, err := os.Stat(spooled); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("RemoveArchives left %s: %v", spooled, err)
	}
	writeTree(t, root, map[string]string{"agents/bot/Dockerfile": "FROM b\n"})
	_, err = Repack(context.Background(), p, root)
	var stale *StaleBuildError
	if !errors.As(err, &stale) || !strings.HasPrefix(err.Error(), "plan is stale: build context agents/bot of bot, twin changed since the plan was made (planned "+s.Packs["bot"].ContextHash+", now ") {
		t.Errorf("Repack after a change = %v", err)
	}
}
