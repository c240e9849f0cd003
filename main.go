// Command pipecat-gitops keeps the agents of a Pipecat Cloud organization
// equal to a pipecat.yaml file kept in git.
//
// This file holds only dispatch and the one place errors are printed; each
// subcommand lives in cmd_<name>.go, where flags fill an options struct that
// is handed to the package doing the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// env is what a subcommand may touch of the outside world. Only main reads
// the process environment; packages below get values through option structs.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// lookup reads an environment variable.
	lookup func(string) (string, bool)
	// isTTY reports whether a stream is a terminal (stdin for the apply
	// prompt, stdout for colour); tests replace it.
	isTTY func(any) bool
}

func (e *env) getenv(name string) string {
	v, _ := e.lookup(name)
	return v
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands is the dispatch table, in the order the usage text lists them.
var commands []command

func register(c command) { commands = append(commands, c) }

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: pipecat-gitops <command> [flags]\n\nCommands:\n")
	for _, c := range sortedCommands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'pipecat-gitops <command> --help' for the flags of a command.\n")
}

// commandOrder fixes the order of the usage text independently of the order
// in which the cmd_*.go files register themselves.
var commandOrder = []string{"validate", "plan", "apply", "schema", "comment", "sandbox", "version"}

func sortedCommands() []command {
	var out []command
	for _, name := range commandOrder {
		for _, c := range commands {
			if c.name == name {
				out = append(out, c)
			}
		}
	}
	return out
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, lookup: os.LookupEnv, isTTY: isTerminal}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return dispatch(ctx, e, args)
}

func dispatch(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return 1
	}
	name := args[0]
	switch name {
	case "-h", "--help", "help":
		usage(e.stdout)
		return 0
	case "--version":
		name = "version"
	}
	for _, c := range commands {
		if c.name == name {
			return exitCode(e.stderr, c.run(ctx, e, args[1:]))
		}
	}
	printError(e.stderr, fmt.Errorf("unknown command %q", name))
	usage(e.stderr)
	return 1
}

// exitStatus makes a command exit with a code other than 0 or 1 without
// printing anything (plan --detailed-exitcode uses 2).
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// silentError is an error that was already reported in full (for example a
// list of validation errors) and exits 1 without another line.
type silentError struct{ err error }

func (s silentError) Error() string { return s.err.Error() }
func (s silentError) Unwrap() error { return s.err }

// hintError adds "hint:" lines under the error line.
type hintError struct {
	err   error
	hints []string
}

func (h *hintError) Error() string { return h.err.Error() }
func (h *hintError) Unwrap() error { return h.err }

func withHint(err error, hints ...string) error { return &hintError{err: err, hints: hints} }

func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	var st exitStatus
	if errors.As(err, &st) {
		return int(st)
	}
	if errors.Is(err, pflag.ErrHelp) {
		return 0
	}
	var silent silentError
	if !errors.As(err, &silent) {
		printError(stderr, err)
	}
	return 1
}

// printError is the one place errors reach the user.
func printError(w io.Writer, err error) {
	var errs schema.Errors
	if errors.As(err, &errs) && len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(w, e.Error())
			if e.Hint != "" {
				fmt.Fprintf(w, "hint: %s\n", e.Hint)
			}
		}
		n := fmt.Sprintf("%d errors", len(errs))
		if len(errs) == 1 {
			n = "1 error"
		}
		fmt.Fprintf(w, "pipecat-gitops: error: %s: %s\n", errs[0].File, n)
		return
	}
	fmt.Fprintf(w, "pipecat-gitops: error: %s\n", err)
	var h *hintError
	if errors.As(err, &h) {
		for _, hint := range h.hints {
			fmt.Fprintf(w, "hint: %s\n", strings.TrimSpace(hint))
		}
	}
}

// newFlagSet returns a flag set whose errors are returned, not printed and
// exited on, so that a bad flag exits 1 through the same path as any error.
func newFlagSet(e *env, name, usageLine string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: pipecat-gitops %s\n\nFlags:\n%s", usageLine, fs.FlagUsages())
	}
	fs.SortFlags = false
	return fs
}

// parseFlags parses args and turns flag errors into usage errors (exit 1,
// never 2).
func parseFlags(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return withHint(fmt.Errorf("%s: %w", fs.Name(), err), "run 'pipecat-gitops "+fs.Name()+" --help' for usage")
	}
	return nil
}
