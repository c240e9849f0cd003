package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"
)

var scriptsExec = flag.Bool("scripts.exec", false, "run every pipecat-gitops of the scripts as its own process, as written")

// inProcessName is the command the foreground `exec pipecat-gitops` lines
// of the scripts become, unless -scripts.exec.
const inProcessName = "pipecat-gitops-in-process"

// scriptsDir is the directory TestScripts runs. With -scripts.exec it is
// testdata/script as written. Otherwise it holds copies whose foreground
// `exec pipecat-gitops` lines run the command in the test process
// (cmdInProcess): starting the binary costs some 40 ms of CPU (runtime,
// package initialization, the schema's compilation, page faults), which
// was three quarters of what the scripts cost. The line numbers stay, and
// so does every assertion. A command run in the background (&) or after a
// stdin line still starts the binary.
func scriptsDir(t *testing.T) string {
	src, err := filepath.Abs("testdata/script")
	if err != nil {
		t.Fatal(err)
	}
	if *scriptsExec {
		return src
	}
	files, err := filepath.Glob(filepath.Join(src, "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		a.Comment = inProcessScript(a.Comment)
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), txtar.Format(a), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// execLine is a script line that runs the binary: conditions, "!", then
// exec pipecat-gitops and its arguments.
var execLine = regexp.MustCompile(`^(\s*(?:\[[^\]]*\]\s*)*(?:!\s+)?)exec pipecat-gitops(\s.*)?$`)

// inProcessScript rewrites the foreground runs of the binary in a script
// to run in the test process.
func inProcessScript(script []byte) []byte {
	lines := strings.Split(string(script), "\n")
	afterStdin := false
	for i, l := range lines {
		trimmed := strings.TrimSpace(l)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if m := execLine.FindStringSubmatch(l); m != nil && !afterStdin && !strings.HasSuffix(trimmed, "&") {
			lines[i] = m[1] + inProcessName + m[2]
		}
		afterStdin = strings.HasPrefix(trimmed, "stdin ")
	}
	return []byte(strings.Join(lines, "\n"))
}

// inProcessMu lets one command run in the test process at a time: it runs
// in the script's directory, and the directory is the process's.
var inProcessMu sync.Mutex

// cmdInProcess runs pipecat-gitops as the binary would, in the test
// process: in the script's directory, with the script's environment (a
// variable set to the empty string reads as unset: testscript does not
// tell them apart), no stdin and no terminal. Its stdout and stderr are
// the script's, and it fails unless its exit code is 0 (or, with !, is
// not 0).
func cmdInProcess(ts *testscript.TestScript, neg bool, args []string) {
	// Concurrent writes are safe, as on the binary's stdout and stderr
	// (files): the -v log writes from every request's goroutine.
	var stdout, stderr lockedBuffer
	code := func() int {
		inProcessMu.Lock()
		defer inProcessMu.Unlock()
		back, err := os.Getwd()
		ts.Check(err)
		ts.Check(os.Chdir(ts.MkAbs(".")))
		defer func() { ts.Check(os.Chdir(back)) }()
		e := newEnv(strings.NewReader(""), &stdout, &stderr,
			func(k string) (string, bool) { v := ts.Getenv(k); return v, v != "" },
			func(any) bool { return false })
		return dispatch(context.Background(), e, args)
	}()
	ts.Stdout().Write(stdout.b.Bytes())
	ts.Stderr().Write(stderr.b.Bytes())
	switch {
	case code != 0 && !neg:
		ts.Fatalf("unexpected command failure (exit %d)", code)
	case code == 0 && neg:
		ts.Fatalf("unexpected command success")
	}
}

// TestInProcessScript checks which lines run in the test process.
func TestInProcessScript(t *testing.T) {
	in := `# a comment naming exec pipecat-gitops
exec pipecat-gitops plan -f x.yaml
! exec pipecat-gitops apply
[unix] exec pipecat-gitops version
[!windows] ! exec pipecat-gitops validate
exec pipecat-gitops sandbox --listen 127.0.0.1:0 &
stdin answer.txt
exec pipecat-gitops apply
exec git init
exec pipecat-gitops-other
`
	want := `# a comment naming exec pipecat-gitops
pipecat-gitops-in-process plan -f x.yaml
! pipecat-gitops-in-process apply
[unix] pipecat-gitops-in-process version
[!windows] ! pipecat-gitops-in-process validate
exec pipecat-gitops sandbox --listen 127.0.0.1:0 &
stdin answer.txt
exec pipecat-gitops apply
exec git init
exec pipecat-gitops-other
`
	if got := string(inProcessScript([]byte(in))); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
