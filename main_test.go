package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"pipecat-gitops": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script, one topic
// per file, through the real entry point.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:   "testdata/script",
		Setup: scriptSetup,
	})
}

func scriptSetup(env *testscript.Env) error {
	// Nothing of the developer's environment may change what a script sees.
	env.Setenv("NO_COLOR", "")
	env.Setenv("GITHUB_ACTIONS", "")
	return nil
}
