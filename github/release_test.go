package github_test

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// goreleaserConfig is the part of .goreleaser.yaml that the action's
// install script and `pipecat-gitops version` depend on.
type goreleaserConfig struct {
	Version     int
	ProjectName string `yaml:"project_name"`
	Builds      []struct {
		Main    string
		Binary  string
		Env     []string
		Goos    []string
		Goarch  []string
		Flags   []string
		Ldflags []string
	}
	Archives []struct {
		NameTemplate    string `yaml:"name_template"`
		Formats         []string
		FormatOverrides []struct {
			Goos    string
			Formats []string
		} `yaml:"format_overrides"`
		Files []string
	}
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string
	}
}

func readGoreleaser(t *testing.T) goreleaserConfig {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c goreleaserConfig
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("parse .goreleaser.yaml: %v", err)
	}
	if len(c.Builds) != 1 || len(c.Archives) != 1 {
		t.Fatalf(".goreleaser.yaml has %d builds and %d archives, want one of each", len(c.Builds), len(c.Archives))
	}
	return c
}

// archiveName is the asset GoReleaser publishes for one platform, rendered
// from the config's own template (GoReleaser's {{ .Version }} is the tag
// without its "v").
func (c goreleaserConfig) archiveName(t *testing.T, version, goos, goarch string) string {
	t.Helper()
	a := c.Archives[0]
	tmpl, err := template.New("name").Parse(a.NameTemplate)
	if err != nil {
		t.Fatalf("archive name_template: %v", err)
	}
	var name strings.Builder
	if err := tmpl.Execute(&name, map[string]string{"ProjectName": c.ProjectName, "Version": version, "Os": goos, "Arch": goarch}); err != nil {
		t.Fatalf("archive name_template: %v", err)
	}
	formats := a.Formats
	for _, o := range a.FormatOverrides {
		if o.Goos == goos {
			formats = o.Formats
		}
	}
	if len(formats) != 1 {
		t.Fatalf("%s/%s is archived as %q; the install script reads exactly one format", goos, goarch, formats)
	}
	return name.String() + "." + formats[0]
}

func TestGoreleaserConfig(t *testing.T) {
	c := readGoreleaser(t)
	b := c.Builds[0]
	got := map[string]any{
		"version":      c.Version,
		"project_name": c.ProjectName,
		"main":         b.Main,
		"binary":       b.Binary,
		"goos":         slices.Sorted(slices.Values(b.Goos)),
		"goarch":       slices.Sorted(slices.Values(b.Goarch)),
		"cgo off":      slices.Contains(b.Env, "CGO_ENABLED=0"),
		"trimpath":     slices.Contains(b.Flags, "-trimpath"),
		// The tag, not GoReleaser's {{ .Version }}, so a release prints
		// v1.4.2 as `go install ...@v1.4.2` does.
		"stamps the tag":   strings.Contains(strings.Join(b.Ldflags, " "), "-X main.version={{ .Tag }}"),
		"checksum file":    c.Checksum.NameTemplate,
		"checksum algo":    c.Checksum.Algorithm,
		"linux archive":    c.archiveName(t, "1.4.2", "linux", "amd64"),
		"darwin archive":   c.archiveName(t, "1.4.2", "darwin", "arm64"),
		"windows archive":  c.archiveName(t, "1.4.2", "windows", "amd64"),
		"ships the readme": slices.Contains(c.Archives[0].Files, "README.md") && slices.Contains(c.Archives[0].Files, "LICENSE"),
	}
	want := map[string]any{
		"version":          2,
		"project_name":     "pipecat-gitops",
		"main":             ".",
		"binary":           "pipecat-gitops",
		"goos":             []string{"darwin", "linux", "windows"},
		"goarch":           []string{"amd64", "arm64"},
		"cgo off":          true,
		"trimpath":         true,
		"stamps the tag":   true,
		"checksum file":    "checksums.txt",
		"checksum algo":    "sha256",
		"linux archive":    "pipecat-gitops_1.4.2_linux_amd64.tar.gz",
		"darwin archive":   "pipecat-gitops_1.4.2_darwin_arm64.tar.gz",
		"windows archive":  "pipecat-gitops_1.4.2_windows_amd64.zip",
		"ships the readme": true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf(".goreleaser.yaml (-want +got):\n%s", diff)
	}
}

type workflowFile struct {
	// Events by name; a present key with no value ("pull_request:") is
	// an event with no filters.
	On map[string]struct {
		Tags     []string
		Branches []string
	}
	Permissions yaml.Node
	Jobs        map[string]struct {
		Permissions map[string]string
		Steps       []struct {
			Uses string
			Run  string
			With map[string]string
			Env  map[string]string
		}
	}
}

func readWorkflow(t *testing.T, path string) (workflowFile, []byte) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflowFile
	if err := yaml.Unmarshal(src, &wf); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return wf, src
}

// filterPattern turns a GitHub Actions branch/tag filter into a regexp:
// * is any run of characters but /, + repeats the character before it,
// [...] is a class, everything else is literal.
func filterPattern(t *testing.T, p string) *regexp.Regexp {
	t.Helper()
	var re strings.Builder
	re.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			if strings.HasPrefix(p[i:], "**") {
				re.WriteString(".*")
				i++
			} else {
				re.WriteString("[^/]*")
			}
		case '+', '?':
			re.WriteByte(c)
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				t.Fatalf("filter %q: unclosed [", p)
			}
			re.WriteString(p[i : i+end+1])
			i += end
		default:
			re.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String())
}

func TestReleaseWorkflow(t *testing.T) {
	wf, src := readWorkflow(t, ".github/workflows/release.yml")
	if errs := lint(t, ".github/workflows/release.yml", src, nil); len(errs) > 0 {
		t.Errorf("%d actionlint errors", len(errs))
	}

	// Version tags release; the alias tags the maintainers move (v1) and
	// other tags do not.
	triggers := func(tag string) bool {
		for _, p := range wf.On["push"].Tags {
			if filterPattern(t, p).MatchString(tag) {
				return true
			}
		}
		return false
	}
	got := map[string]bool{}
	for _, tag := range []string{"v1.4.2", "v10.0.11", "v1.5.0-rc.1", "v1", "v1.4", "1.4.2", "vx.y.z", "latest"} {
		got[tag] = triggers(tag)
	}
	want := map[string]bool{"v1.4.2": true, "v10.0.11": true, "v1.5.0-rc.1": true, "v1": false, "v1.4": false, "1.4.2": false, "vx.y.z": false, "latest": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tags that start a release (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"push"}, slices.Sorted(maps.Keys(wf.On))); diff != "" || len(wf.On["push"].Branches) > 0 {
		t.Errorf("release.yml runs on more than pushed tags: %+v", wf.On)
	}

	// Least privilege: nothing by default, contents: write for the job that
	// publishes.
	if wf.Permissions.Kind != yaml.MappingNode || len(wf.Permissions.Content) != 0 {
		t.Errorf("release.yml top-level permissions are not {}")
	}
	var goreleaser int
	for name, job := range wf.Jobs {
		if diff := cmp.Diff(map[string]string{"contents": "write"}, job.Permissions); diff != "" {
			t.Errorf("job %s permissions (-want +got):\n%s", name, diff)
		}
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "goreleaser/goreleaser-action@") {
				goreleaser++
				if !strings.HasPrefix(s.With["args"], "release") || s.Env["GITHUB_TOKEN"] != "${{ secrets.GITHUB_TOKEN }}" {
					t.Errorf("goreleaser step: with %v, env %v", s.With, s.Env)
				}
			}
		}
	}
	if goreleaser != 1 {
		t.Errorf("release.yml runs goreleaser %d times, want once", goreleaser)
	}
}

func TestCIWorkflow(t *testing.T) {
	wf, src := readWorkflow(t, ".github/workflows/ci.yml")
	if errs := lint(t, ".github/workflows/ci.yml", src, nil); len(errs) > 0 {
		t.Errorf("%d actionlint errors", len(errs))
	}
	if _, ok := wf.On["pull_request"]; !ok || !slices.Equal(wf.On["push"].Branches, []string{"main"}) {
		t.Errorf("ci.yml does not run on pull requests and pushes to main: %+v", wf.On)
	}
	var runs []string
	for _, job := range wf.Jobs {
		for _, s := range job.Steps {
			if s.Run != "" {
				runs = append(runs, s.Run)
			}
		}
	}
	if diff := cmp.Diff([]string{".ci/run"}, runs); diff != "" {
		t.Errorf("ci.yml scripts (-want +got):\n%s", diff)
	}
}
