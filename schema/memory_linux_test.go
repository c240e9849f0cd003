//go:build linux

package schema

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// maxRSS is the peak memory any file within MaxFileSize may cost.
const maxRSS = 200 << 20

// TestHostileFilesMemory loads each hostile file in a child process (this
// test binary, running TestLoadFileChild) and checks the child's peak
// resident memory as the kernel measures it (VmHWM), whatever the
// machine's speed. The child reads it from /proc/self/status: the rusage
// of a child started by os/exec also counts the parent, whose address
// space the child shares until exec (CLONE_VFORK|CLONE_VM). The files are the worst the size limit admits: the densest node
// shapes at and past the node bounds, the bisection of a syntax error in
// one, 100,000 schema errors, the expansion cases of issue 10. Times are
// logged as figures (go test -v), never asserted.
//
// The heaviest cases (each costs the child 0.3 to 0.8 s of CPU) run only
// when SCHEMA_HOSTILE_ALL is set, which .ci/run does: every go test stays
// quick, and CI still checks every case.
func TestHostileFilesMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector multiplies memory use")
	}
	all := os.Getenv("SCHEMA_HOSTILE_ALL") != ""
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Just under the size limit and at the node-estimate limit.
	fill := func(prefix, unit, suffix string) string {
		return prefix + strings.Repeat(unit, (MaxFileSize-len(prefix)-len(suffix))/len(unit)) + suffix
	}
	atTokens := func(prefix, unit string, cost int, suffix string) string {
		return prefix + strings.Repeat(unit, maxTokens/cost-20) + suffix
	}
	var agents strings.Builder
	agents.WriteString("version: 1\ndefaults:\n  region: us-west\nagents:\n")
	for i := range 8000 {
		fmt.Fprintf(&agents, "  bot-%d:\n    image: acme/bot:1.%d\n    secretSet: s-%d\n    autoScaling: {minAgents: 1, maxAgents: 5}\n", i, i, i)
	}
	top := "version: 1\nagents: {}\nprune: {ignore: "
	env := []string{"BIG=" + strings.Repeat("x", 100_000), "LONGPATH=" + strings.Repeat("/usr/local/bin:", 14)}
	globs := "version: 1\nagents: {}\nprune:\n  ignore:\n"
	tests := []struct {
		name  string
		doc   string
		want  string // the start of one of the errors
		heavy bool   // only with SCHEMA_HOSTILE_ALL
	}{
		{"flow map of 5 MiB", fill(top+"{", "1,", "1}}\n"), "f.yaml:3:399993: more than 100000 YAML values (counted before parsing)", false},
		{"flow sequence of 5 MiB", fill(top+"[", "1,", "1]}\n"), "f.yaml:3:399994: more than 100000 YAML values (counted before parsing)", false},
		{"empty block entries, 5 MiB", fill("version: 1\nagents: {}\nx:\n", "-\n", ""), "f.yaml:133332:1: more than 100000 YAML values (counted before parsing)", false},
		{"flow map at the estimate limit", atTokens(top+"{", "1,", 2, "1}}\n"), "f.yaml:3:100009: more than 100000 YAML values; refusing", true},
		{"flow sequence at the estimate limit", atTokens(top+"[", "1,", 2, "1]}\n"), "f.yaml:3:200000: more than 100000 YAML values; refusing", true},
		{"unclosed flow map at the estimate limit", atTokens(top+"{", "1,", 2, "1\n"), "f.yaml:3:1: invalid YAML", true},
		{"99,980 integers where globs belong", "version: 1\nagents: {}\nprune:\n  ignore:\n" + strings.Repeat("  - 1\n", 99_980), "f.yaml:5:5: prune.ignore[0]: expected string, got integer", true},
		{"a 5 MiB string", fill(top+"[\"", "a", "\"]}\n"), "f.yaml:3:18: prune.ignore[0]: 5242836 characters long; the maximum is 255", false},
		{"8,000 valid agents", agents.String(), "", true},
		{"100,000 references to a 100 KB variable", "version: 1\nagents: {}\nx:\n" + strings.Repeat("- ${BIG}\n", 100_000), "f.yaml:57144:4: more than 100000 YAML values (counted before parsing)", false},
		{"50,000 references to a 100 KB variable", globs + strings.Repeat("  - ${BIG}\n", 50_000), "f.yaml:5:5: prune.ignore[0]: expanding ${BIG} makes the value longer than 64 KiB", false},
		{"2,000 references to a 100 KB variable in one value", "version: 1\nagents:\n  bot:\n    image: a:" + strings.Repeat("${BIG}", 2000) + "\n", "f.yaml:4:12: agents.bot.image: expanding ${BIG} makes the value longer than 64 KiB", false},
		{"50,000 references to a 210-byte variable", globs + strings.Repeat("  - ${LONGPATH}\n", 50_000), "f.yaml:24971:5: prune.ignore[24966]: expanding ${LONGPATH} makes the file's expanded values longer than 5 MiB in total", true},
		{"20,000 nested flow sequences", top + strings.Repeat("[", 20_000), "f.yaml:3:10016: invalid YAML: exceeded max depth of 10000", false},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.heavy && !all {
				t.Skip("heavy: set SCHEMA_HOSTILE_ALL=1 (as .ci/run does)")
			}
			t.Parallel()
			if len(tt.doc) > MaxFileSize {
				t.Fatalf("test file of %d bytes is over the limit", len(tt.doc))
			}
			path := filepath.Join(dir, fmt.Sprintf("%d", i), "f.yaml")
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tt.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(exe, "-test.run=^TestLoadFileChild$", "-test.count=1")
			cmd.Dir = filepath.Dir(path)
			cmd.Env = append(os.Environ(), append([]string{"SCHEMA_CHILD_FILE=f.yaml"}, env...)...)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			wall := time.Since(start)
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			var rss int
			var errs []string
			for _, line := range strings.Split(string(out), "\n") {
				if e, ok := strings.CutPrefix(line, "ERROR: "); ok {
					errs = append(errs, e)
				}
				if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(kb, "kB")))
					if err != nil {
						t.Fatalf("VmHWM %q: %v", kb, err)
					}
					rss = n << 10
				}
			}
			found := tt.want == "" && len(errs) == 0
			for _, e := range errs {
				found = found || tt.want != "" && strings.HasPrefix(e, tt.want)
			}
			if !found {
				t.Errorf("no error starts with %q; errors:\n%.2000s", tt.want, strings.Join(errs, "\n"))
			}
			if rss == 0 {
				t.Fatalf("the child reported no VmHWM:\n%s", out)
			}
			ps := cmd.ProcessState
			t.Logf("%d KiB file: peak RSS %d MB, CPU %v, wall %v (child process, test binary included)",
				len(tt.doc)>>10, rss>>20, (ps.UserTime() + ps.SystemTime()).Round(time.Millisecond), wall.Round(time.Millisecond))
			if rss > maxRSS {
				t.Errorf("peak RSS %d MB, want at most %d MB", rss>>20, maxRSS>>20)
			}
		})
	}
}

// TestLoadFileChild is the child of TestHostileFilesMemory: it loads the
// file named by SCHEMA_CHILD_FILE and prints its errors and its peak
// resident memory.
func TestLoadFileChild(t *testing.T) {
	path := os.Getenv("SCHEMA_CHILD_FILE")
	if path == "" {
		t.Skip("runs as the child process of TestHostileFilesMemory")
	}
	_, err := Load(context.Background(), path, LoadOptions{Lookup: os.LookupEnv})
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Printf("ERROR: %s\n", line)
		}
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Println(line)
		}
	}
}
