package main

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const modulePath = "github.com/pipecat-gitops/pipecat-gitops"

// TestLayout checks the layout drawn in CONTRIBUTING.md against the code:
// every package of the module is drawn, the drawn imports are exactly the
// imports between the module's packages (test files aside), and every
// import points at a package drawn below its importer.
func TestLayout(t *testing.T) {
	drawn, order := drawnLayout(t)
	real := moduleImports(t)

	var drawnPkgs, realPkgs []string
	for p := range drawn {
		drawnPkgs = append(drawnPkgs, p)
	}
	for p := range real {
		realPkgs = append(realPkgs, p)
	}
	slices.Sort(drawnPkgs)
	slices.Sort(realPkgs)
	if diff := cmp.Diff(realPkgs, drawnPkgs); diff != "" {
		t.Errorf("packages drawn in CONTRIBUTING.md (-real +drawn):\n%s", diff)
	}
	if diff := cmp.Diff(edges(real), edges(drawn)); diff != "" {
		t.Errorf("imports drawn in CONTRIBUTING.md (-real +drawn):\n%s", diff)
	}
	for from, tos := range real {
		for _, to := range tos {
			if order[to] <= order[from] {
				t.Errorf("%s imports %s, which is not drawn below it: an import runs back up", from, to)
			}
		}
	}
}

func edges(g map[string][]string) []string {
	var out []string
	for from, tos := range g {
		for _, to := range tos {
			out = append(out, from+" -> "+to)
		}
	}
	slices.Sort(out)
	return out
}

// layoutLine is one package of the drawing: tree characters, its name,
// "─>" and what it imports, then its job after two spaces or more.
var layoutLine = regexp.MustCompile(`^[\s│├└─]*([a-z][a-z/]*)(?: ─> ([a-z/]+(?: [a-z/]+)*))?(?:\s{2,}.*)?$`)

// drawnLayout reads the drawing: package -> imports, and each package's
// line number.
func drawnLayout(t *testing.T) (map[string][]string, map[string]int) {
	t.Helper()
	data, err := os.ReadFile("CONTRIBUTING.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "<!-- layout: checked by TestLayout -->\n```\n")
	if !ok {
		t.Fatal("CONTRIBUTING.md has no layout drawing")
	}
	block, _, _ := strings.Cut(rest, "```")
	g, order := map[string][]string{}, map[string]int{}
	for i, line := range strings.Split(strings.TrimSuffix(block, "\n"), "\n") {
		if strings.Trim(line, " │") == "" {
			continue
		}
		m := layoutLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("CONTRIBUTING.md layout line %q is not \"name ─> imports  job\"", line)
		}
		if _, dup := g[m[1]]; dup {
			t.Errorf("CONTRIBUTING.md draws %s twice", m[1])
		}
		g[m[1]] = nil
		if m[2] != "" {
			g[m[1]] = strings.Fields(m[2])
			slices.Sort(g[m[1]])
		}
		order[m[1]] = i
	}
	return g, order
}

// moduleImports is, for each package of the module, the module's packages
// its non-test files import, named as the drawing names them ("main" for
// the root).
func moduleImports(t *testing.T) map[string][]string {
	t.Helper()
	g := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); path != "." && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(path, 0)
		if _, none := err.(*build.NoGoError); none {
			return nil
		}
		if err != nil {
			return err
		}
		from := "main"
		if path != "." {
			from = filepath.ToSlash(path)
		}
		g[from] = nil
		for _, imp := range pkg.Imports {
			if rel, ok := strings.CutPrefix(imp, modulePath+"/"); ok {
				g[from] = append(g[from], rel)
			}
		}
		slices.Sort(g[from])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(g) < 10 {
		t.Fatalf("found %d packages; the walk is broken", len(g))
	}
	return g
}
