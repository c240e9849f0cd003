package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

var update = flag.Bool("update", false, "rewrite the generated parts of the docs")

// docPages are the pages whose commands and examples the tests below run.
var docPages = func() []string {
	pages, _ := filepath.Glob("docs/*.md")
	return append([]string{"README.md", "CONTRIBUTING.md"}, pages...)
}()

// TestDocsEmbedExamples keeps the README and docs honest: the example files
// they show in full are shown exactly as they are in examples/.
func TestDocsEmbedExamples(t *testing.T) {
	for _, c := range []struct{ page, example string }{
		{"README.md", "examples/pipecat.yaml"},
		{"README.md", "examples/workflows/pipecat.yml"},
		{"docs/configuration.md", "examples/pipecat.yaml"},
		{"docs/github-action.md", "examples/workflows/pipecat.yml"},
		{"docs/github-action.md", "examples/workflows/drift.yml"},
		{"docs/secret-sets.md", "examples/secret-sets.yaml"},
	} {
		page, err := os.ReadFile(c.page)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(c.example)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(page), "```yaml\n"+string(data)+"```") {
			t.Errorf("%s does not show %s exactly as it is (in a ```yaml block)", c.page, c.example)
		}
	}
}

// The generated reference sits between these two lines of
// docs/configuration.md.
const (
	refBegin = "<!-- generated from schema/pipecat.schema.json; to refresh: go test . -run TestConfigReference -update -->\n"
	refEnd   = "<!-- end of generated reference -->\n"
)

// TestConfigReference checks that docs/configuration.md shows the field
// reference generated from the JSON Schema as it is now, so a key added to
// the schema is documented with no hand edit (-update rewrites it).
func TestConfigReference(t *testing.T) {
	const page = "docs/configuration.md"
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	head, rest, ok := strings.Cut(text, refBegin)
	if !ok {
		t.Fatalf("%s lacks the line %q", page, refBegin)
	}
	shown, tail, ok := strings.Cut(rest, refEnd)
	if !ok {
		t.Fatalf("%s lacks the line %q", page, refEnd)
	}
	want := "\n" + schema.ConfigReference().Markdown() + "\n"
	if *update {
		if err := os.WriteFile(page, []byte(head+refBegin+want+refEnd+tail), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(want, shown); diff != "" {
		t.Errorf("%s: the generated reference is stale; run go test . -run TestConfigReference -update (-want +got):\n%s", page, diff)
	}
}

// docCommand is one command line shown in a code block of the docs.
type docCommand struct {
	where string   // page:line
	args  []string // after "pipecat-gitops" or "go run ."
	// synopsis: a usage line ("plan [-f FILE] [--out PLANFILE]"), not a
	// command to run.
	synopsis bool
	// output is what the page shows the command printing, for a "$ "
	// line followed by output.
	output []string
}

var (
	docCommandLine = regexp.MustCompile(`^\s*(?:\$ )?(?:[A-Z_]+=\S* )*(?:pipecat-gitops|go run \.)(?:\s+(.*))?$`)
	docFlag        = regexp.MustCompile(`(?:^|[\s\[|])(--?[a-z][a-z-]*)`)
)

// docCommands lists every line of a fenced code block in the docs that
// runs pipecat-gitops (or go run . from a clone).
func docCommands(t *testing.T) []docCommand {
	t.Helper()
	var out []docCommand
	for _, page := range docPages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		inBlock := false
		var last *docCommand // the "$ " command whose output lines follow
		for i, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "```") {
				inBlock, last = !inBlock, nil
				continue
			}
			if !inBlock {
				continue
			}
			m := docCommandLine.FindStringSubmatch(line)
			if m == nil {
				if last != nil && !strings.HasPrefix(line, "$ ") {
					last.output = append(last.output, line)
				} else {
					last = nil
				}
				continue
			}
			rest := m[1]
			// A shell comment or redirection is not the command's.
			if j := strings.Index(rest, " #"); j >= 0 {
				rest = rest[:j]
			}
			if j := strings.Index(rest, " > "); j >= 0 {
				rest = rest[:j]
			}
			c := docCommand{
				where:    fmt.Sprintf("%s:%d", page, i+1),
				args:     shellWords(rest),
				synopsis: strings.ContainsAny(rest, "[|") || strings.Contains(rest, "..."),
			}
			out = append(out, c)
			last = nil
			if strings.HasPrefix(strings.TrimSpace(line), "$ ") {
				last = &out[len(out)-1]
			}
		}
	}
	return out
}

// shellWords splits a command line as a shell would, for the quoting the
// docs use: words separated by blanks, '...' and "..." kept whole.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// runInProcess runs the command line as the binary would, with the
// environment vars and no terminal.
func runInProcess(args []string, vars map[string]string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	env := newEnv(strings.NewReader(""), &o, &e,
		func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		func(any) bool { return false })
	code = dispatch(context.Background(), env, args)
	return code, o.String(), e.String()
}

// TestDocsCommands checks every command line the docs show against the
// real command table and flag parser: the command exists, every flag it
// names is one of that command's, and a concrete command line parses (it
// runs with --help appended, which pflag reaches only after parsing every
// flag before it).
func TestDocsCommands(t *testing.T) {
	cmds := docCommands(t)
	if len(cmds) < 10 {
		t.Fatalf("found %d command lines in the docs; the extraction is broken", len(cmds))
	}
	for _, c := range cmds {
		t.Run(c.where, func(t *testing.T) {
			if len(c.args) == 0 {
				t.Fatalf("%s: no command", c.where)
			}
			name := c.args[0]
			if _, ok := findCommand(name); !ok {
				t.Fatalf("%s: %q is not a command", c.where, name)
			}
			code, help, stderr := runInProcess([]string{name, "--help"}, nil)
			if code != 0 {
				t.Fatalf("%s --help: exit %d: %s", name, code, stderr)
			}
			for _, m := range docFlag.FindAllStringSubmatch(strings.Join(c.args[1:], " "), -1) {
				flagRow := regexp.MustCompile(`(?m)^  (?:-[a-z], )?\s*` + regexp.QuoteMeta(longOrShort(m[1])) + `[\s\[=,]`)
				if m[1] != "-h" && m[1] != "--help" && !flagRow.MatchString(help) {
					t.Errorf("%s: %s has no flag %s", c.where, name, m[1])
				}
			}
			if c.synopsis {
				return
			}
			code, _, stderr = runInProcess(append(slices.Clip(c.args), "--help"), nil)
			if code != 0 || stderr != "" {
				t.Errorf("%s: %q does not parse: exit %d, stderr:\n%s", c.where, strings.Join(c.args, " "), code, stderr)
			}
		})
	}
}

// longOrShort is how a flag shows in the help's flag column: "-f" as
// "-f," and "--file" as "--file".
func longOrShort(f string) string {
	if !strings.HasPrefix(f, "--") {
		return f + ","
	}
	return f
}

// TestDocsOutputs runs the commands the docs show with their output, where
// they need no API, and compares what they print.
func TestDocsOutputs(t *testing.T) {
	ran := 0
	for _, c := range docCommands(t) {
		if c.synopsis || len(c.output) == 0 || c.args[0] != "validate" {
			continue
		}
		ran++
		code, stdout, stderr := runInProcess(c.args, nil)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", c.where, code, stderr)
		}
		want := strings.Join(c.output, "\n") + "\n"
		if diff := cmp.Diff(want, stdout); diff != "" {
			t.Errorf("%s: %s prints otherwise (-shown +real):\n%s", c.where, strings.Join(c.args, " "), diff)
		}
	}
	if ran == 0 {
		t.Error("no validate command with its output in the docs; the extraction is broken")
	}
}

// TestQuickStart runs the README's quick start as a new user does, in a
// clone (here: a temporary directory holding the example): apply against
// the sandbox creates the three example agents, and a second run prints
// "No changes.".
func TestQuickStart(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const line = "go run . apply --sandbox --auto-approve -f examples/pipecat.yaml"
	if !strings.Contains(string(readme), "```\ngit clone https://github.com/pipecat-gitops/pipecat-gitops\ncd pipecat-gitops\n"+line+"\n```") {
		t.Fatalf("README.md's quick start is not %q any more; update this test", line)
	}
	example, err := os.ReadFile("examples/pipecat.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "examples"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "examples", "pipecat.yaml"), example, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir) // the sandbox keeps its state in the current directory
	args := strings.Fields(line)[3:]
	code, stdout, stderr := runInProcess(args, nil)
	if code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	for _, name := range []string{"voice-starter", "support-bot", "concierge"} {
		if !strings.Contains(stdout, name) {
			t.Errorf("first run does not name %s:\n%s", name, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".pipecat-sandbox.json")); err != nil {
		t.Errorf("the sandbox state is not where the README says: %v", err)
	}
	code, stdout, stderr = runInProcess(args, nil)
	if code != 0 || !strings.Contains(stdout, "No changes.") {
		t.Errorf("second run: exit %d, want 0 and \"No changes.\"; stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

var (
	mdLink    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdHeading = regexp.MustCompile(`^#+ (.*)$`)
)

// mdSlug is the anchor GitHub gives a heading.
func mdSlug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestDocsLinks checks that every relative link of the docs reaches a file
// and, with a #fragment into a Markdown page, one of its headings: pages
// cut apart and moved keep their links.
func TestDocsLinks(t *testing.T) {
	anchors := map[string]map[string]bool{}
	lines := map[string][]string{}
	for _, page := range docPages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		anchors[page] = map[string]bool{}
		inBlock := false
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "```") {
				inBlock = !inBlock
				continue
			}
			if inBlock {
				continue
			}
			lines[page] = append(lines[page], l)
			if m := mdHeading.FindStringSubmatch(l); m != nil {
				anchors[page][mdSlug(m[1])] = true
			}
		}
	}
	checked := 0
	for _, page := range docPages {
		for _, l := range lines[page] {
			for _, m := range mdLink.FindAllStringSubmatch(l, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				checked++
				path, frag, _ := strings.Cut(target, "#")
				file := page
				if path != "" {
					file = filepath.Join(filepath.Dir(page), path)
				}
				if _, err := os.Stat(file); err != nil {
					t.Errorf("%s: link %s: %v", page, target, err)
					continue
				}
				if a, ok := anchors[filepath.ToSlash(file)]; ok && frag != "" && !a[frag] {
					t.Errorf("%s: link %s: %s has no heading #%s", page, target, file, frag)
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("checked %d links; the extraction is broken", checked)
	}
}

// TestDocsActionTables checks the Inputs and Outputs tables of
// docs/github-action.md against action.yml: the same names, and each
// input's default as action.yml sets it.
func TestDocsActionTables(t *testing.T) {
	var action struct {
		Inputs map[string]struct {
			Default string `yaml:"default"`
		} `yaml:"inputs"`
		Outputs map[string]any `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(actionYAML, &action); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("docs/github-action.md")
	if err != nil {
		t.Fatal(err)
	}
	// rows returns the cells of the table under heading: the first
	// column's `names` and the second column.
	rows := func(heading string) map[string]string {
		_, rest, ok := strings.Cut(string(data), "\n"+heading+"\n")
		if !ok {
			t.Fatalf("docs/github-action.md has no %q", heading)
		}
		out := map[string]string{}
		for _, l := range strings.Split(rest, "\n")[1:] {
			if strings.HasPrefix(l, "#") {
				break
			}
			cells := strings.Split(l, " | ")
			if !strings.HasPrefix(l, "| `") || len(cells) < 2 {
				continue
			}
			for _, name := range strings.Split(strings.TrimPrefix(cells[0], "| "), ", ") {
				out[strings.Trim(name, "`")] = cells[1]
			}
		}
		return out
	}
	inputs, outputs := rows("## Inputs"), rows("## Outputs")
	var gotIn, wantIn, gotOut, wantOut []string
	for name := range inputs {
		gotIn = append(gotIn, name)
	}
	for name, in := range action.Inputs {
		wantIn = append(wantIn, name)
		if cell, ok := inputs[name]; ok && in.Default != "" && cell != "`"+in.Default+"`" {
			t.Errorf("docs/github-action.md: input %s defaults to %s, action.yml to %q", name, cell, in.Default)
		}
	}
	for name := range outputs {
		gotOut = append(gotOut, name)
	}
	for name := range action.Outputs {
		wantOut = append(wantOut, name)
	}
	for _, s := range [][]string{gotIn, wantIn, gotOut, wantOut} {
		slices.Sort(s)
	}
	if diff := cmp.Diff(wantIn, gotIn); diff != "" {
		t.Errorf("inputs in docs/github-action.md (-action.yml +docs):\n%s", diff)
	}
	if diff := cmp.Diff(wantOut, gotOut); diff != "" {
		t.Errorf("outputs in docs/github-action.md (-action.yml +docs):\n%s", diff)
	}
}
