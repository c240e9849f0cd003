package plan

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// BenchmarkReadSources measures the repository side of a plan of n build
// agents: packing their contexts (each of 20 files, 4 KB each), alone and
// with --base (reading the config and checking out and packing every
// context at the base commit through git). "shared" agents all use one
// context; "distinct" ones one each. It reports contexts/op, the
// contexts packed (twice with a base).
func BenchmarkReadSources(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git is not installed")
	}
	sizes := []int{10, 100}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, n := range sizes {
		for _, shared := range []bool{true, false} {
			for _, base := range []string{"", "HEAD"} {
				name := fmt.Sprintf("agents=%d/%s/base=%v", n, map[bool]string{true: "shared", false: "distinct"}[shared], base != "")
				b.Run(name, func(b *testing.B) {
					repo := b.TempDir()
					files := map[string]string{}
					var cfg strings.Builder
					cfg.WriteString("version: 1\nagents:\n")
					contexts := n
					if shared {
						contexts = 1
					}
					for c := range contexts {
						for f := range 20 {
							files[fmt.Sprintf("agents/a%d/src/f%d.py", c, f)] = strings.Repeat(fmt.Sprintf("print(%d)\n", f), 400)
						}
						files[fmt.Sprintf("agents/a%d/Dockerfile", c)] = "FROM python:3.12\n"
					}
					for i := range n {
						fmt.Fprintf(&cfg, "  bot-%d: {build: {context: agents/a%d}}\n", i, i%contexts)
					}
					files["pipecat.yaml"] = cfg.String()
					writeTree(b, repo, files)
					git(b, repo, "init", "-q")
					git(b, repo, "add", "-A")
					git(b, repo, "commit", "-q", "-m", "bench")
					config := loadConfig(b, repo)
					for b.Loop() {
						s, err := ReadSources(context.Background(), config, SourceOptions{Root: repo, Base: base})
						if err != nil || s.BaseErr != nil || len(s.Packs) != n {
							b.Fatalf("ReadSources: %v, %v, %d packs", err, s.BaseErr, len(s.Packs))
						}
					}
					packed := contexts
					if base != "" {
						packed *= 2
					}
					b.ReportMetric(float64(packed), "contexts/op")
				})
			}
		}
	}
}
