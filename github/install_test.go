package github_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// The install step of action.yml (scripts/install-binary.sh) run with bash
// as the runner runs it, against a fake GitHub release on a local server.

const fakeCommit = "0123456789ab"

// runnerNames maps GoReleaser's platform names to the runner's RUNNER_OS
// and RUNNER_ARCH.
var runnerNames = map[string]string{
	"linux": "Linux", "darwin": "macOS", "windows": "Windows",
	"amd64": "X64", "arm64": "ARM64",
}

// fakeRelease serves releases as github.com/OWNER/NAME/releases/download
// does: /TAG/ASSET, 404 for anything else.
type fakeRelease struct {
	t      *testing.T
	cfg    goreleaserConfig
	srv    *httptest.Server
	mu     sync.Mutex
	files  map[string][]byte
	status map[string]int
	log    []string
}

func newFakeRelease(t *testing.T) *fakeRelease {
	f := &fakeRelease{t: t, cfg: readGoreleaser(t), files: map[string][]byte{}, status: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.log = append(f.log, r.URL.Path)
		if code := f.status[r.URL.Path]; code != 0 {
			http.Error(w, http.StatusText(code), code)
			return
		}
		body, ok := f.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRelease) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// archive is the asset name of tag for one platform.
func (f *fakeRelease) archive(tag, goos, goarch string) string {
	return f.cfg.archiveName(f.t, strings.TrimPrefix(tag, "v"), goos, goarch)
}

// fakeBinary is a shell script standing in for the binary: it answers
// `version` as a release build does.
func fakeBinary(says string) []byte {
	return []byte("#!/bin/sh\necho '" + says + "'\n")
}

// publish puts a release of tag on the server: an archive per platform of
// .goreleaser.yaml, each holding a binary that prints says, and the
// checksums.txt of them all.
func (f *fakeRelease) publish(tag, says string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var sums strings.Builder
	for _, goos := range f.cfg.Builds[0].Goos {
		for _, goarch := range f.cfg.Builds[0].Goarch {
			name := f.archive(tag, goos, goarch)
			binary := f.cfg.Builds[0].Binary
			if goos == "windows" {
				binary += ".exe"
			}
			data := makeArchive(f.t, name, map[string][]byte{binary: fakeBinary(says), "README.md": []byte("# pipecat-gitops\n")})
			f.files["/"+tag+"/"+name] = data
			fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(data), name)
		}
	}
	f.files["/"+tag+"/"+f.cfg.Checksum.NameTemplate] = []byte(sums.String())
}

func makeArchive(t *testing.T, name string, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range files {
			if !yield(n) {
				return
			}
		}
	})
	switch {
	case strings.HasSuffix(name, ".zip"):
		zw := zip.NewWriter(&buf)
		for _, n := range names {
			w, err := zw.Create(n)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(files[n])
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	case strings.HasSuffix(name, ".tar.gz"):
		gz := gzip.NewWriter(&buf)
		tw := tar.NewWriter(gz)
		for _, n := range names {
			if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o755, Size: int64(len(files[n]))}); err != nil {
				t.Fatal(err)
			}
			tw.Write(files[n])
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := gz.Close(); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("archive %s: unknown format", name)
	}
	return buf.Bytes()
}

// runner is one job's runner: its temp directory (new per run) and tool
// cache (kept across runs, as on a self-hosted runner).
type runner struct {
	os, arch  string
	toolCache string
	// repoURL is where alias tags are listed (PIPECAT_GITOPS_REPO_URL).
	repoURL string
}

type installResult struct {
	stdout  string
	outputs map[string]string
	temp    string
	took    time.Duration
}

// binary is where the action's later steps run the binary from.
func (r installResult) binary() string { return filepath.Join(r.temp, "pipecat-gitops") }

var expression = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// substitute evaluates the only expressions the binary steps may use.
func substitute(t *testing.T, text string, values map[string]string) string {
	t.Helper()
	return expression.ReplaceAllStringFunc(text, func(m string) string {
		name := expression.FindStringSubmatch(m)[1]
		v, ok := values[name]
		if !ok {
			t.Fatalf("the test runner does not know the expression %s", m)
		}
		return v
	})
}

// actionStep returns the step of action.yml with the given name.
func actionStep(t *testing.T, name string) map[string]string {
	t.Helper()
	a, _ := readAction(t)
	for _, step := range a.Runs.Steps {
		if f := stepFields(t, step); f["name"] == name {
			return f
		}
	}
	t.Fatalf("action.yml has no step %q", name)
	return nil
}

// runStep runs a bash step of action.yml as the runner does (bash
// --noprofile --norc -eo pipefail on a file holding the script), in a
// minimal environment: the runner's variables, the step's env and the
// extra variables given.
func runStep(t *testing.T, step map[string]string, values, extra map[string]string) (stdout string, err error) {
	t.Helper()
	if step["shell"] != "bash" {
		t.Fatalf("step %q: shell %q, want bash", step["name"], step["shell"])
	}
	script := filepath.Join(t.TempDir(), "step.sh")
	if err := os.WriteFile(script, []byte(step["run"]), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Dir = substitute(t, step["working-directory"], values)
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "LC_ALL=C", "GIT_CONFIG_NOSYSTEM=1"}
	if env := step["env"]; env != "" {
		var m map[string]string
		if err := yaml.Unmarshal([]byte(env), &m); err != nil {
			t.Fatalf("step %q env: %v", step["name"], err)
		}
		for k, v := range m {
			cmd.Env = append(cmd.Env, k+"="+substitute(t, v, values))
		}
	}
	for k, v := range extra {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if errOut.Len() > 0 {
		t.Logf("step %q stderr:\n%s", step["name"], errOut.String())
	}
	return out.String(), err
}

// actionDir lays out the action as the runner keeps it,
// _actions/OWNER/NAME/REF, as a link to this repository. An empty ref is a
// local action (uses: ./), whose path is the repository itself.
func actionDir(t *testing.T, ref string) string {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if ref == "" {
		return root
	}
	dir := filepath.Join(t.TempDir(), "_actions", "pipecat-gitops", "pipecat-gitops", ref)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(root, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// install runs action.yml's install step for ref (kept at pathRef, which
// is normally the ref itself) on r against the release server f.
func (r runner) install(t *testing.T, f *fakeRelease, ref, pathRef string) installResult {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	temp := t.TempDir()
	outputs := filepath.Join(temp, "github_output")
	if err := os.WriteFile(outputs, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{
		"github.action_ref":        ref,
		"github.action_repository": "pipecat-gitops/pipecat-gitops",
		"github.action_path":       actionDir(t, pathRef),
	}
	extra := map[string]string{
		"RUNNER_OS": r.os, "RUNNER_ARCH": r.arch, "RUNNER_TEMP": temp, "RUNNER_TOOL_CACHE": r.toolCache,
		"GITHUB_OUTPUT":                   outputs,
		"PIPECAT_GITOPS_RELEASE_BASE_URL": f.srv.URL,
		"PIPECAT_GITOPS_REPO_URL":         r.repoURL,
	}
	start := time.Now()
	stdout, err := runStep(t, actionStep(t, "Install pipecat-gitops"), values, extra)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("install step: %v\nstdout:\n%s", err, stdout)
	}
	data, err := os.ReadFile(outputs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for line := range strings.Lines(string(data)) {
		k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		if _, dup := got[k]; dup {
			t.Errorf("output %s is written twice", k)
		}
		got[k] = v
	}
	return installResult{stdout: stdout, outputs: got, temp: temp, took: took}
}

func linuxRunner(t *testing.T) runner {
	return runner{os: "Linux", arch: "X64", toolCache: t.TempDir()}
}

func annotations(stdout string) []string {
	var out []string
	for line := range strings.Lines(stdout) {
		if strings.HasPrefix(line, "::") {
			out = append(out, strings.TrimSuffix(line, "\n"))
		}
	}
	return out
}

func runBinary(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command(path, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s version: %v\n%s", path, err, out)
	}
	return string(out)
}

// TestInstallDownloadsVerifiesAndCaches is the path of a release tag: the
// first run downloads and checks the archive and fills the tool cache; the
// next job on the runner takes it from the cache without any request.
func TestInstallDownloadsVerifiesAndCaches(t *testing.T) {
	t.Parallel()
	f := newFakeRelease(t)
	f.publish("v1.4.2", "pipecat-gitops v1.4.2 (commit "+fakeCommit+")")
	r := linuxRunner(t)

	first := r.install(t, f, "v1.4.2", "v1.4.2")
	if diff := cmp.Diff(map[string]string{"installed": "true", "source": "release", "version": "v1.4.2"}, first.outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	wantRequests := []string{"/v1.4.2/checksums.txt", "/v1.4.2/pipecat-gitops_1.4.2_linux_amd64.tar.gz"}
	if diff := cmp.Diff(wantRequests, f.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if got := annotations(first.stdout); len(got) > 0 {
		t.Errorf("annotations on the happy path: %q", got)
	}
	if got := runBinary(t, first.binary()); got != "pipecat-gitops v1.4.2 (commit "+fakeCommit+")\n" {
		t.Errorf("installed binary says %q", got)
	}
	cached := filepath.Join(r.toolCache, "pipecat-gitops", "1.4.2", "x64")
	for _, p := range []string{filepath.Join(cached, "pipecat-gitops"), cached + ".complete"} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("tool cache: %v", err)
		}
	}

	// The server is gone: the second job must not need it.
	f.srv.Close()
	second := r.install(t, f, "v1.4.2", "v1.4.2")
	if diff := cmp.Diff(map[string]string{"installed": "true", "source": "cache", "version": "v1.4.2"}, second.outputs); diff != "" {
		t.Errorf("second run outputs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantRequests, f.requests()); diff != "" {
		t.Errorf("the second run sent requests (-want +got):\n%s", diff)
	}
	if got := runBinary(t, second.binary()); !strings.HasPrefix(got, "pipecat-gitops v1.4.2 ") {
		t.Errorf("binary from the cache says %q", got)
	}
	// A figure for the report, not an assertion: step start to binary ready.
	t.Logf("install step: %v downloading and verifying the release, %v from the tool cache", first.took, second.took)
}

// TestInstallWithoutAToolCache: a runner with no tool cache, or one that
// cannot be written, still gets the release binary; only the next job pays
// for the download again.
func TestInstallWithoutAToolCache(t *testing.T) {
	t.Parallel()
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		toolCache string
		// annotations: the start of each (the rest is mkdir's own words).
		annotations []string
	}{
		{name: "RUNNER_TOOL_CACHE unset", toolCache: ""},
		{
			name: "the tool cache cannot be written", toolCache: notADir,
			annotations: []string{"::warning title=pipecat-gitops::could not cache the binary in " + notADir + "/pipecat-gitops/1.4.2/x64: mkdir"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeRelease(t)
			f.publish("v1.4.2", "pipecat-gitops v1.4.2")
			r := runner{os: "Linux", arch: "X64", toolCache: tt.toolCache}
			res := r.install(t, f, "v1.4.2", "v1.4.2")
			if diff := cmp.Diff(map[string]string{"installed": "true", "source": "release", "version": "v1.4.2"}, res.outputs); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
			got := annotations(res.stdout)
			for i := range got {
				if i < len(tt.annotations) && strings.HasPrefix(got[i], tt.annotations[i]) {
					got[i] = tt.annotations[i]
				}
			}
			if diff := cmp.Diff(tt.annotations, got); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
			if got := runBinary(t, res.binary()); got != "pipecat-gitops v1.4.2\n" {
				t.Errorf("installed binary says %q", got)
			}
		})
	}
}

// TestInstallPicksTheRunnersArchive installs on every platform the release
// builds, so the script's archive names and formats are GoReleaser's.
func TestInstallPicksTheRunnersArchive(t *testing.T) {
	t.Parallel()
	cfg := readGoreleaser(t)
	for _, goos := range cfg.Builds[0].Goos {
		for _, goarch := range cfg.Builds[0].Goarch {
			t.Run(goos+"_"+goarch, func(t *testing.T) {
				t.Parallel()
				f := newFakeRelease(t)
				f.publish("v1.4.2", "pipecat-gitops v1.4.2")
				archive := f.archive("v1.4.2", goos, goarch)
				if strings.HasSuffix(archive, ".zip") {
					if _, err := exec.LookPath("unzip"); err != nil {
						t.Skip("unzip is not installed")
					}
				}
				r := runner{os: runnerNames[goos], arch: runnerNames[goarch], toolCache: t.TempDir()}
				res := r.install(t, f, "v1.4.2", "v1.4.2")
				if res.outputs["source"] != "release" {
					t.Fatalf("outputs %v, annotations %q", res.outputs, annotations(res.stdout))
				}
				if got := f.requests(); got[len(got)-1] != "/v1.4.2/"+archive {
					t.Errorf("downloaded %s, want %s", got[len(got)-1], archive)
				}
				cacheArch := map[string]string{"amd64": "x64", "arm64": "arm64"}[goarch]
				exe := "pipecat-gitops"
				if goos == "windows" {
					exe += ".exe"
				}
				if _, err := os.Stat(filepath.Join(r.toolCache, "pipecat-gitops", "1.4.2", cacheArch, exe)); err != nil {
					t.Errorf("tool cache: %v", err)
				}
			})
		}
	}
}

// TestInstallFallsBackToSource covers every way a run ends up building from
// source: it says why (a notice when that is expected, a warning when a
// release should have worked), installs and caches nothing, and hands the
// build the ref to stamp.
func TestInstallFallsBackToSource(t *testing.T) {
	t.Parallel()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name    string
		ref     string
		pathRef string // where the runner keeps the action; default ref
		arch    string // default X64
		setup   func(f *fakeRelease)
		// want: the one annotation (a prefix and a part of its message),
		// the requests sent, and the version the build stamps.
		level    string
		message  string
		requests []string
		version  string
	}{
		{
			name: "checksum mismatch: the archive is refused",
			ref:  "v1.4.2",
			setup: func(f *fakeRelease) {
				f.publish("v1.4.2", "pipecat-gitops v1.4.2")
				f.tamper("v1.4.2", "linux", "amd64")
			},
			level: "warning", message: "pipecat-gitops_1.4.2_linux_amd64.tar.gz of release v1.4.2 has sha256 ",
			requests: []string{"/v1.4.2/checksums.txt", "/v1.4.2/pipecat-gitops_1.4.2_linux_amd64.tar.gz"},
			version:  "v1.4.2",
		},
		{
			name: "a commit SHA pin builds that commit",
			ref:  sha, level: "notice", message: "the action is pinned to commit " + sha,
			version: sha,
		},
		{
			name: "a branch is not a release",
			ref:  "main", level: "notice", message: "the action ref main is not a release tag",
			version: "main",
		},
		{
			name: "a tag with no release (404)",
			ref:  "v9.9.9", setup: func(f *fakeRelease) { f.publish("v1.4.2", "pipecat-gitops v1.4.2") },
			level: "notice", message: "release v9.9.9 has no checksums.txt",
			requests: []string{"/v9.9.9/checksums.txt"},
			version:  "v9.9.9",
		},
		{
			name: "the checksums download fails",
			ref:  "v1.4.2",
			setup: func(f *fakeRelease) {
				f.publish("v1.4.2", "pipecat-gitops v1.4.2")
				f.status["/v1.4.2/checksums.txt"] = http.StatusForbidden
			},
			level: "warning", message: "checksums.txt failed (HTTP 403)",
			requests: []string{"/v1.4.2/checksums.txt"},
			version:  "v1.4.2",
		},
		{
			name: "the archive download fails",
			ref:  "v1.4.2",
			setup: func(f *fakeRelease) {
				f.publish("v1.4.2", "pipecat-gitops v1.4.2")
				delete(f.files, "/v1.4.2/pipecat-gitops_1.4.2_linux_amd64.tar.gz")
			},
			level: "warning", message: "pipecat-gitops_1.4.2_linux_amd64.tar.gz failed (HTTP 404)",
			requests: []string{"/v1.4.2/checksums.txt", "/v1.4.2/pipecat-gitops_1.4.2_linux_amd64.tar.gz"},
			version:  "v1.4.2",
		},
		{
			name: "the release has no archive for this runner",
			ref:  "v1.4.2", arch: "ARM64",
			setup: func(f *fakeRelease) {
				f.publish("v1.4.2", "pipecat-gitops v1.4.2")
				f.files["/v1.4.2/checksums.txt"] = []byte(fmt.Sprintf("%x  pipecat-gitops_1.4.2_linux_amd64.tar.gz\n", sha256.Sum256(nil)))
			},
			level: "notice", message: "release v1.4.2 has no pipecat-gitops_1.4.2_linux_arm64.tar.gz in its checksums.txt",
			requests: []string{"/v1.4.2/checksums.txt"},
			version:  "v1.4.2",
		},
		{
			name:  "the archive holds another version",
			ref:   "v1.4.2",
			setup: func(f *fakeRelease) { f.publish("v1.4.2", "pipecat-gitops v1.4.1") },
			level: "warning", message: "the pipecat-gitops of release v1.4.2 says 'pipecat-gitops v1.4.1', not 'pipecat-gitops v1.4.2'",
			requests: []string{"/v1.4.2/checksums.txt", "/v1.4.2/pipecat-gitops_1.4.2_linux_amd64.tar.gz"},
			version:  "v1.4.2",
		},
		{
			name: "the archive has no binary",
			ref:  "v1.4.2",
			setup: func(f *fakeRelease) {
				f.publish("v1.4.2", "pipecat-gitops v1.4.2")
				f.republish("v1.4.2", "linux", "amd64", map[string][]byte{"README.md": nil})
			},
			level: "warning", message: "pipecat-gitops_1.4.2_linux_amd64.tar.gz of release v1.4.2 has no pipecat-gitops",
			requests: []string{"/v1.4.2/checksums.txt", "/v1.4.2/pipecat-gitops_1.4.2_linux_amd64.tar.gz"},
			version:  "v1.4.2",
		},
		{
			name: "a local action (uses: ./) has no ref",
			ref:  "", level: "notice", message: "the action has no ref",
			version: "local",
		},
		{
			name: "inside another composite action, github.action_ref is the outer one's",
			ref:  "v1.4.2", pathRef: "v3",
			setup: func(f *fakeRelease) { f.publish("v1.4.2", "pipecat-gitops v1.4.2") },
			level: "notice", message: "github.action_ref (v1.4.2) is not the ref of the action's path",
			version: "v1.4.2",
		},
		{
			name: "a runner architecture with no release build",
			ref:  "v1.4.2", arch: "X86",
			level: "notice", message: "no release binary is built for runner architecture 'X86'",
			version: "v1.4.2",
		},
		{
			name: "a ref -ldflags could misread is stamped with _",
			ref:  "fix/it's", level: "notice", message: "the action ref fix/it's is not a release tag",
			version: "fix/it_s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeRelease(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			r := linuxRunner(t)
			if tt.arch != "" {
				r.arch = tt.arch
			}
			pathRef := tt.ref
			if tt.pathRef != "" {
				pathRef = tt.pathRef
			}
			res := r.install(t, f, tt.ref, pathRef)

			if diff := cmp.Diff(map[string]string{"installed": "false", "source": "build", "version": tt.version}, res.outputs); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
			got := annotations(res.stdout)
			prefix := "::" + tt.level + " title=pipecat-gitops::"
			if len(got) != 1 || !strings.HasPrefix(got[0], prefix) || !strings.Contains(got[0], tt.message) || !strings.HasSuffix(got[0], "building pipecat-gitops from source instead (about a minute)") {
				t.Errorf("annotations %q, want one %s...%s...", got, prefix, tt.message)
			}
			if diff := cmp.Diff(tt.requests, f.requests()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if _, err := os.Stat(res.binary()); !os.IsNotExist(err) {
				t.Errorf("a binary was put in place (%v); the build step writes it", err)
			}
			if entries, _ := os.ReadDir(r.toolCache); len(entries) > 0 {
				t.Errorf("the tool cache was written: %v", entries)
			}
		})
	}
}

// tamper replaces one archive with another whose binary differs, keeping
// checksums.txt: what a corrupted or swapped download looks like.
func (f *fakeRelease) tamper(tag, goos, goarch string) {
	name := f.archive(tag, goos, goarch)
	f.files["/"+tag+"/"+name] = makeArchive(f.t, name, map[string][]byte{"pipecat-gitops": fakeBinary("pipecat-gitops " + tag + " evil")})
}

// republish replaces one archive and its line in checksums.txt: a release
// that is consistent but built wrong.
func (f *fakeRelease) republish(tag, goos, goarch string, files map[string][]byte) {
	name := f.archive(tag, goos, goarch)
	data := makeArchive(f.t, name, files)
	f.files["/"+tag+"/"+name] = data
	sums := "/" + tag + "/" + f.cfg.Checksum.NameTemplate
	var out strings.Builder
	for line := range strings.Lines(string(f.files[sums])) {
		if strings.HasSuffix(line, "  "+name+"\n") {
			line = fmt.Sprintf("%x  %s\n", sha256.Sum256(data), name)
		}
		out.WriteString(line)
	}
	f.files[sums] = []byte(out.String())
}

// gitRepo makes a repository whose tags are those of a released action:
// every release tag vX.Y.Z, and alias tags (v1, v1.1) that maintainers move.
// tags maps a commit's message to its tags; a tag ending in "!" is made
// annotated (ls-remote then lists it peeled).
func gitRepo(t *testing.T, commits []string, tags map[string][]string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %q: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	for _, c := range commits {
		git("commit", "-q", "--allow-empty", "-m", c)
		for _, tag := range tags[c] {
			if name, ok := strings.CutSuffix(tag, "!"); ok {
				git("tag", "-a", "-m", name, name)
			} else {
				git("tag", tag)
			}
		}
	}
	return dir
}

// TestInstallResolvesAliasTags: @v1 and @v1.1 get the release on the commit
// the alias points at, the newest when several are; an alias without a
// release tag on its commit builds from source.
func TestInstallResolvesAliasTags(t *testing.T) {
	t.Parallel()
	repo := gitRepo(t, []string{"c1", "c2", "c3"}, map[string][]string{
		"c1": {"v1.1.0", "v1.1"},
		// v1.10.0 is newer than v1.9.0: numbers, not text, are compared.
		"c2": {"v1.9.0!", "v1.10.0!", "v1!"},
		"c3": {"v2"},
	})
	tests := []struct {
		name     string
		ref      string
		repoURL  string
		outputs  map[string]string
		requests []string
		notice   string
	}{
		{
			name: "v1, annotated, is the newest release on its commit", ref: "v1",
			outputs:  map[string]string{"installed": "true", "source": "release", "version": "v1.10.0"},
			requests: []string{"/v1.10.0/checksums.txt", "/v1.10.0/pipecat-gitops_1.10.0_linux_amd64.tar.gz"},
		},
		{
			name: "v1.1, lightweight", ref: "v1.1",
			outputs:  map[string]string{"installed": "true", "source": "release", "version": "v1.1.0"},
			requests: []string{"/v1.1.0/checksums.txt", "/v1.1.0/pipecat-gitops_1.1.0_linux_amd64.tar.gz"},
		},
		{
			name: "v2 has no release tag on its commit", ref: "v2",
			outputs: map[string]string{"installed": "false", "source": "build", "version": "v2"},
			notice:  "::notice title=pipecat-gitops::no vX.Y.Z tag of " + repo + " is on the commit of v2",
		},
		{
			name: "v3 does not exist", ref: "v3",
			outputs: map[string]string{"installed": "false", "source": "build", "version": "v3"},
			notice:  "::notice title=pipecat-gitops::no vX.Y.Z tag of " + repo + " is on the commit of v3",
		},
		{
			name: "the tags cannot be listed", ref: "v1", repoURL: filepath.Join(t.TempDir(), "missing"),
			outputs: map[string]string{"installed": "false", "source": "build", "version": "v1"},
			notice:  "::warning title=pipecat-gitops::could not list the tags of ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeRelease(t)
			f.publish("v1.1.0", "pipecat-gitops v1.1.0")
			f.publish("v1.10.0", "pipecat-gitops v1.10.0")
			r := linuxRunner(t)
			r.repoURL = repo
			if tt.repoURL != "" {
				r.repoURL = tt.repoURL
			}
			res := r.install(t, f, tt.ref, tt.ref)
			if diff := cmp.Diff(tt.outputs, res.outputs); diff != "" {
				t.Errorf("outputs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.requests, f.requests()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			got := annotations(res.stdout)
			if tt.notice == "" && len(got) > 0 || tt.notice != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tt.notice)) {
				t.Errorf("annotations %q, want %q", got, tt.notice)
			}
		})
	}
}

// TestActionBuildStampsTheRef follows a run with no release into the two
// build steps: they run only then, and go build stamps the ref, so
// `pipecat-gitops version` never says dev in an Action run. A stub go
// records the command instead of building.
func TestActionBuildStampsTheRef(t *testing.T) {
	t.Parallel()
	f := newFakeRelease(t)
	r := linuxRunner(t)
	res := r.install(t, f, "main", "main")

	a, _ := readAction(t)
	var steps []map[string]string
	for _, step := range a.Runs.Steps {
		steps = append(steps, stepFields(t, step))
	}
	var names, conditional []string
	for _, s := range steps {
		names = append(names, s["name"])
		if s["if"] == "steps.install.outputs.installed != 'true'" {
			conditional = append(conditional, s["name"])
		}
	}
	if diff := cmp.Diff([]string{"Set up Go", "Build pipecat-gitops from source"}, conditional); diff != "" {
		t.Errorf("steps that run only without a release binary (-want +got):\n%s", diff)
	}
	if !slices.Equal(names[:3], []string{"Install pipecat-gitops", "Set up Go", "Build pipecat-gitops from source"}) {
		t.Errorf("the binary is not obtained first: steps %q", names)
	}

	stubDir := t.TempDir()
	argsFile := filepath.Join(stubDir, "args")
	stub := "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + argsFile + "'\n"
	if err := os.WriteFile(filepath.Join(stubDir, "go"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	build := actionStep(t, "Build pipecat-gitops from source")
	values := map[string]string{
		"github.action_path":            actionDir(t, ""),
		"steps.install.outputs.version": res.outputs["version"],
	}
	build["run"] = "PATH='" + stubDir + "':\"$PATH\"\n" + build["run"]
	if _, err := runStep(t, build, values, map[string]string{"RUNNER_TEMP": res.temp}); err != nil {
		t.Fatalf("build step: %v", err)
	}
	args, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"build", "-trimpath", "-ldflags", "-X main.version=main", "-o", res.binary(), "."}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(string(args), "\n"), "\n")); diff != "" {
		t.Errorf("go command of the build step (-want +got):\n%s", diff)
	}

	// The steps after it run the binary where both paths put it.
	for _, name := range []string{"Run pipecat-gitops", "Comment on the pull request"} {
		if !strings.HasPrefix(actionStep(t, name)["run"], `"$RUNNER_TEMP/pipecat-gitops" action `) {
			t.Errorf("step %q does not run $RUNNER_TEMP/pipecat-gitops", name)
		}
	}
}

// TestInstallScriptShellcheck lints the script as actionlint lints the
// action's inline scripts, where shellcheck is installed.
func TestInstallScriptShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck is not installed")
	}
	out, err := exec.Command(sc, filepath.Join(repoRoot, "scripts", "install-binary.sh")).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}
