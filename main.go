// Command pipecat-gitops keeps the agents of a Pipecat Cloud organization
// equal to a pipecat.yaml file kept in git.
//
// This file holds dispatch, the environment a command may touch, and the
// one place errors are printed. Each subcommand lives in cmd_<name>.go:
// its flags fill an options struct, and run<Name>(ctx, env, opts) does the
// work through the packages below, which read no flags and no environment.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/pipecat-gitops/pipecat-gitops/internal/redact"
	"github.com/pipecat-gitops/pipecat-gitops/report"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// command is one subcommand: its name, its help text (summary,
// environment, exit codes; kept next to its flags in cmd_<name>.go), and
// its entry point, which parses args into options and runs.
type command struct {
	name string
	doc  *commandDoc
	run  func(ctx context.Context, e *env, args []string) error
}

// commands is the dispatch table, in the order the usage text lists them.
// It is filled in init: the help of every command reads it, and a package
// variable whose initializer reaches itself through the commands'
// functions would be an initialization cycle.
var commands []command

func init() {
	commands = []command{
		{"validate", &validateDoc, cmdValidate},
		{"plan", &planDoc, cmdPlan},
		{"apply", &applyDoc, cmdApply},
		{"show", &showDoc, cmdShow},
		{"import", &importDoc, cmdImport},
		{"preview", &previewDoc, cmdPreview},
		{"schema", &schemaDoc, cmdSchema},
		{"comment", &commentDoc, cmdComment},
		{"sandbox", &sandboxDoc, cmdSandbox},
		{"version", &versionDoc, cmdVersion},
		{"help", &helpDoc, cmdHelp},
	}
}

// env is what a subcommand may touch of the outside world. Only main reads
// the process environment; packages below get values through option structs.
//
// Every byte a command writes out passes the run's credentials (red) on
// its way: stdout and stderr are redacting writers, and the files a
// command writes go through writeText or writeDoc (cmd_common.go).
type env struct {
	stdin  io.Reader
	stdout io.Writer // out, as an io.Writer
	stderr io.Writer
	out    *redact.Writer
	// red holds every credential of the run: the credential variables of
	// the environment from the start, the sandbox key, secret set values
	// and fingerprint keys as they are read.
	red *redact.Set
	// lookup reads an environment variable.
	lookup func(string) (string, bool)
	// isTTY reports whether a stream is a terminal (stdin for the apply
	// prompt, stdout for colour); tests replace it.
	isTTY func(any) bool
	// gh is the GitHub Actions environment, read once.
	gh actionsEnv
}

// newEnv returns the environment of one command run.
func newEnv(stdin io.Reader, stdout, stderr io.Writer, lookup func(string) (string, bool), isTTY func(any) bool) *env {
	red := redact.New()
	for _, name := range schema.CredentialVars {
		if v, ok := lookup(name); ok {
			red.Add(v)
		}
	}
	out := red.Writer(stdout)
	e := &env{stdin: stdin, stdout: out, stderr: red.Writer(stderr), out: out, red: red, lookup: lookup,
		// Whether the stream under the redacting writer is a terminal.
		isTTY: func(v any) bool {
			if w, ok := v.(*redact.Writer); ok {
				v = w.Unwrap()
			}
			return isTTY(v)
		}}
	e.gh = readActionsEnv(e.getenv)
	return e
}

func (e *env) getenv(name string) string {
	v, _ := e.lookup(name)
	return v
}

// actionsEnv is what the tool reads of a GitHub Actions runner.
type actionsEnv struct {
	enabled     bool   // GITHUB_ACTIONS=true
	stepSummary string // GITHUB_STEP_SUMMARY
	output      string // GITHUB_OUTPUT
	workspace   string // GITHUB_WORKSPACE
	sha         string // GITHUB_SHA
	serverURL   string // GITHUB_SERVER_URL
	repository  string // GITHUB_REPOSITORY, owner/name
	runID       string // GITHUB_RUN_ID
	refName     string // GITHUB_REF_NAME, the branch (or tag) of the run
	eventName   string // GITHUB_EVENT_NAME
	eventPath   string // GITHUB_EVENT_PATH
	apiURL      string // GITHUB_API_URL
	token       string // GITHUB_TOKEN
}

func readActionsEnv(getenv func(string) string) actionsEnv {
	return actionsEnv{
		enabled:     getenv("GITHUB_ACTIONS") == "true",
		stepSummary: getenv("GITHUB_STEP_SUMMARY"),
		output:      getenv("GITHUB_OUTPUT"),
		workspace:   getenv("GITHUB_WORKSPACE"),
		sha:         getenv("GITHUB_SHA"),
		serverURL:   getenv("GITHUB_SERVER_URL"),
		repository:  getenv("GITHUB_REPOSITORY"),
		runID:       getenv("GITHUB_RUN_ID"),
		refName:     getenv("GITHUB_REF_NAME"),
		eventName:   getenv("GITHUB_EVENT_NAME"),
		eventPath:   getenv("GITHUB_EVENT_PATH"),
		apiURL:      getenv("GITHUB_API_URL"),
		token:       getenv("GITHUB_TOKEN"),
	}
}

// runURL links the workflow run, or is empty outside Actions.
func (g actionsEnv) runURL() string {
	if g.serverURL == "" || g.repository == "" || g.runID == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s/actions/runs/%s", strings.TrimRight(g.serverURL, "/"), g.repository, g.runID)
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := newEnv(stdin, stdout, stderr, os.LookupEnv, isTerminal)
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
	case "-h", "--help":
		name = "help"
	case "--version":
		name = "version"
	}
	c, ok := findCommand(name)
	if !ok && strings.HasPrefix(name, "-") {
		printError(e.stderr, flagBeforeCommand(args))
		return 1
	}
	if !ok && name == hiddenAction.name {
		c, ok = hiddenAction, true
	}
	if !ok {
		near, err := unknownCommand(name)
		printError(e.stderr, err)
		if near == "" {
			usage(e.stderr)
		}
		return 1
	}
	return exitCode(e.stderr, c.run(ctx, e, args[1:]))
}

// flagBeforeCommand is the error for a first argument that is a flag
// other than --help and --version: the command comes first, so it names
// the command the flag was likely meant for, or the nearest of those two.
func flagBeforeCommand(args []string) error {
	for i, a := range args[1:] {
		if _, ok := findCommand(a); ok {
			rest := append(append([]string{a}, args[:i+1]...), args[i+2:]...)
			words := make([]string, len(rest))
			for j, w := range rest {
				words[j] = shellWord(w)
			}
			return withHint(fmt.Errorf("flag %s comes before the command", args[0]),
				"flags go after the command: pipecat-gitops "+strings.Join(words, " "))
		}
	}
	err := fmt.Errorf("unknown flag %s", args[0])
	flag, _, _ := strings.Cut(args[0], "=")
	if near := schema.Suggest(strings.TrimLeft(flag, "-"), []string{"help", "version"}); near != "" {
		return withHint(err, fmt.Sprintf("did you mean --%s?", near))
	}
	return withHint(err, "run 'pipecat-gitops help' for the list of commands")
}

// exitStatus makes a command exit with a code other than 0 or 1 without
// printing anything (plan --detailed-exitcode uses 2).
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

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
	printError(stderr, err)
	return 1
}

// printError is the one place errors reach the user.
func printError(w io.Writer, err error) {
	var errs schema.Errors
	if errors.As(err, &errs) && len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(w, visible(e.Error()))
			printSource(w, e)
			if e.Hint != "" {
				// A hint may show YAML over several lines: each is a hint line.
				for _, line := range strings.Split(e.Hint, "\n") {
					fmt.Fprintf(w, "hint: %s\n", visible(line))
				}
			}
		}
		n := plural(errs.Count(), "error")
		if files := errs.Files(); len(files) > 1 {
			fmt.Fprintf(w, "pipecat-gitops: error: %s in %d files\n", n, len(files))
			return
		}
		fmt.Fprintf(w, "pipecat-gitops: error: %s: %s\n", visible(errs[0].File), n)
		return
	}
	// Error text carries the API's messages: control characters and
	// workflow commands in it must not act on a terminal or a runner.
	fmt.Fprintf(w, "pipecat-gitops: error: %s\n", report.TerminalText(err.Error()))
	var h *hintError
	if errors.As(err, &h) {
		for _, hint := range h.hints {
			fmt.Fprintf(w, "hint: %s\n", report.TerminalText(strings.TrimSpace(hint)))
		}
	}
}

// printSource shows the offending line with a caret under the column,
// as compilers do:
//
//	7 |     autoScaling: {minAgents: 30, maxAgents: 20}
//	  |                  ^
func printSource(w io.Writer, e *schema.Error) {
	if e.SourceCol < 1 {
		return
	}
	num := strconv.Itoa(e.Line)
	width := max(5, len(num))
	// The caret goes under the character as shown, escapes included.
	cut, n := len(e.Source), 0
	for i := range e.Source {
		if n == e.SourceCol-1 {
			cut = i
			break
		}
		n++
	}
	pad := utf8.RuneCountInString(visible(e.Source[:cut])) + max(0, e.SourceCol-1-n)
	fmt.Fprintf(w, "%*s | %s\n", width, num, visible(e.Source))
	fmt.Fprintf(w, "%*s | %s^\n", width, "", strings.Repeat(" ", pad))
}

// visible escapes what a terminal or a CI log would not show as the text
// it is: control characters (tab and line breaks included), invalid UTF-8,
// and invisible format characters (bidi overrides, zero-width spaces).
// Config text is data; it must not reformat the output around it.
//
// It differs from report.TerminalText on purpose: a config's source line
// shows tabs and invalid bytes escaped too, so a caret can point at them.
func visible(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r == '\t':
			b.WriteString("\\t")
		case r < 0x20 || r == 0x7f || 0x80 <= r && r < 0xa0:
			fmt.Fprintf(&b, "\\x%02x", r)
		case unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// newFlagSet returns a flag set whose errors are returned, not printed and
// exited on, so that a bad flag exits 1 through the same path as any error.
func newFlagSet(e *env, name, usageLine string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	// pflag calls Usage only for -h/--help (errors are returned): the
	// help was asked for, so it goes to stdout.
	fs.Usage = func() { writeHelp(e.stdout, name, usageLine, fs) }
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
		hints := []string{"run 'pipecat-gitops " + fs.Name() + " --help' for usage"}
		if near := nearFlag(fs, err); near != "" {
			hints = append([]string{fmt.Sprintf("did you mean %s?", near)}, hints...)
		}
		return withHint(fmt.Errorf("%s: %w", fs.Name(), err), hints...)
	}
	return nil
}

// nearFlag is the flag of fs nearest to the unknown one err names
// ("--auto-aprove" gives "--auto-approve"), or "" when none is near.
func nearFlag(fs *pflag.FlagSet, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return ""
	}
	name, _, _ = strings.Cut(name, "=")
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	if near := schema.Suggest(name, names); near != "" {
		return "--" + near
	}
	return ""
}

// isTerminal reports whether v is a terminal: a character device such as
// /dev/null is not.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
