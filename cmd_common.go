package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/github"
	"github.com/pipecat-gitops/pipecat-gitops/gitrev"
	"github.com/pipecat-gitops/pipecat-gitops/internal/httpcore"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/pack"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/report"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// defaultSandboxState is where --sandbox keeps its state when given no
// file; pack never packs it into a build context (it holds secret values).
const defaultSandboxState = pack.SandboxState

// apiFlags are the flags of every command that talks to the API.
type apiFlags struct {
	apiURL      string
	sandbox     string
	verbose     bool
	parallelism int
	// timeout bounds the whole command (--timeout); 0: no bound.
	timeout time.Duration
}

// Default --timeout of plan and import: well under a CI job's patience,
// far above what 1,000 agents take.
const defaultTimeout = 10 * time.Minute

// registerTimeout adds --timeout, whose default def the command chooses.
func (f *apiFlags) registerTimeout(fs *pflag.FlagSet, def time.Duration, about string) {
	fs.DurationVar(&f.timeout, "timeout", def, "end the whole command with an error after this long, retries and waits included (0: no limit)"+about)
}

// withTimeout bounds ctx by --timeout; when it passes, the context's
// cause is a *timeoutError naming the flag.
func (f *apiFlags) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if f.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, f.timeout, &timeoutError{f.timeout})
}

// timeoutError is the cause of a command ended by --timeout.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string { return fmt.Sprintf("stopped by --timeout %s", e.d) }

// timedOut says so in err when ctx ended by --timeout (once).
func timedOut(ctx context.Context, err error) error {
	var te *timeoutError
	if err == nil || errors.As(err, &te) || !errors.As(context.Cause(ctx), &te) {
		return err
	}
	return &timedOutError{te, err}
}

// timedOutError is err, prefixed with the --timeout that caused it; its
// hints stay reachable.
type timedOutError struct {
	*timeoutError
	err error
}

func (e *timedOutError) Error() string { return e.timeoutError.Error() + ": " + e.err.Error() }
func (e *timedOutError) Unwrap() []error {
	return []error{e.timeoutError, e.err}
}

func (f *apiFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.apiURL, "api-url", "", "Pipecat Cloud API base `URL` (default $PIPECAT_API_URL or "+cloud.DefaultBaseURL+")")
	fs.StringVar(&f.sandbox, "sandbox", "", "run against the built-in API emulator, state kept in `STATEFILE`")
	fs.Lookup("sandbox").NoOptDefVal = defaultSandboxState
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "log every HTTP request to stderr (the API key is never logged)")
	fs.IntVar(&f.parallelism, "parallelism", 8, "requests in flight at most")
}

func (f *apiFlags) check() error {
	if f.parallelism < 1 {
		return fmt.Errorf("--parallelism must be at least 1, not %d", f.parallelism)
	}
	if f.timeout < 0 {
		return fmt.Errorf("--timeout must not be negative, not %s", f.timeout)
	}
	return nil
}

// given is the API flags as the user gave them (" --sandbox",
// " --api-url URL"), for the hints that name a next command: without them
// that command would talk to another API, or to none.
func (f *apiFlags) given() string {
	switch {
	case f.sandbox == defaultSandboxState:
		return " --sandbox"
	case f.sandbox != "":
		return " --sandbox=" + shellWord(f.sandbox)
	case f.apiURL != "":
		return " --api-url " + shellWord(f.apiURL)
	}
	return ""
}

// connect returns an API client: to the in-process sandbox with --sandbox,
// else to the real API with the key from PIPECAT_API_KEY. close stops the
// sandbox, if any, and the client's idle connections.
func (e *env) connect(f *apiFlags, progress *report.Progress) (client *cloud.Client, closeFn func(), err error) {
	opts := cloud.Options{UserAgent: "pipecat-gitops/" + readVersion(version, readBuildInfo).Version, MaxInFlight: f.parallelism}
	// A long wait says what it waits for, so a CI log is not silent.
	opts.OnRetry = func(ev cloud.RetryEvent) {
		if ev.Wait > 2*time.Second {
			// Through the progress display, so a live status line stays
			// whole.
			progress.Line("pipecat-gitops: " + ev.String())
		}
	}
	if f.verbose {
		// One line per attempt, whatever the server's message holds.
		opts.Logger = func(l cloud.RequestLog) { fmt.Fprintf(e.stderr, "http: %s\n", report.TerminalLine(l.String())) }
	}
	closeFn = func() {}
	if f.sandbox != "" {
		if f.apiURL != "" {
			return nil, nil, errors.New("--sandbox and --api-url exclude each other")
		}
		url, stop, err := startSandbox(f.sandbox)
		if err != nil {
			return nil, nil, err
		}
		// A random key nobody sees: the sandbox accepts any, and a short
		// fixed one would be hidden in every word it makes up.
		opts.BaseURL, opts.APIKey, closeFn = url, randomSandboxKey(), stop
		e.red.Add(opts.APIKey)
	} else {
		opts.BaseURL = f.apiURL
		if opts.BaseURL == "" {
			opts.BaseURL = e.getenv("PIPECAT_API_URL")
		}
		// A key pasted with its line break is still the key; a blank one
		// is no key.
		opts.APIKey = strings.TrimSpace(e.getenv("PIPECAT_API_KEY"))
		if opts.APIKey == "" {
			return nil, nil, withHint(errors.New("PIPECAT_API_KEY is not set"),
				"export your Pipecat Cloud private API key as PIPECAT_API_KEY (never as a flag: flags end up in shell history)",
				"or try the tool against the local emulator with --sandbox")
		}
	}
	client, err = cloud.New(opts)
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	stop := closeFn
	return client, func() { client.Close(); stop() }, nil
}

// fingerprintKey is the key of the fingerprints of secret set values:
// the API key the command uses (trimmed, as connect sends it), "sandbox"
// with --sandbox (whose API key is random, while its state file keeps
// fingerprints from run to run).
func (f *apiFlags) fingerprintKey(e *env) string {
	if f.sandbox != "" {
		return "sandbox"
	}
	return strings.TrimSpace(e.getenv("PIPECAT_API_KEY"))
}

// randomSandboxKey is a random API key for the in-process sandbox.
func randomSandboxKey() string {
	return "sandbox_" + rand.Text()
}

// startSandbox serves the emulator on a loopback port for one command.
func startSandbox(statePath string) (url string, stop func(), err error) {
	sb, err := sandbox.New(sandbox.Options{StatePath: statePath, SecretSets: sandbox.ExampleSecretSets})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("start sandbox: %w", err)
	}
	srv := sb.HTTPServer()
	go srv.Serve(ln)
	// Close, not Shutdown: every request of the command has finished, and
	// Shutdown would wait 5 s for a connection the client opened but never
	// used. sb.Close folds the journal into the state file.
	return "http://" + ln.Addr().String(), func() { srv.Close(); sb.Close() }, nil
}

// hostHint says which API URL a host failure (a name that does not
// resolve, a refused TLS handshake or certificate) came from, and where
// that URL is set; other errors pass unchanged.
func (f *apiFlags) hostHint(e *env, err error) error {
	if err == nil || f.sandbox != "" || !httpcore.HostFailure(err) {
		return err
	}
	url, from := f.apiURL, "--api-url"
	if url == "" {
		url, from = e.getenv("PIPECAT_API_URL"), "PIPECAT_API_URL"
	}
	if url == "" {
		url, from = cloud.DefaultBaseURL, "the default"
	}
	return withHint(err, fmt.Sprintf("the API URL in use is %s (%s); check --api-url and PIPECAT_API_URL", url, from),
		"this is not retried: the host does not resolve or its TLS is refused, and would be again")
}

// apiHint adds what to do about the API errors a user can fix.
func apiHint(err error) error {
	var ae *cloud.Error
	if !errors.As(err, &ae) {
		return err
	}
	switch ae.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return withHint(err, "check PIPECAT_API_KEY: it must be a private API key of the organization (Pipecat Cloud dashboard, Settings, API keys)")
	}
	return err
}

// secretLookup reads a variable holding a value of a secret set: the
// value becomes a credential of the run, hidden in every output.
func (e *env) secretLookup(name string) (string, bool) {
	v, ok := e.lookup(name)
	if ok {
		e.red.Add(v)
	}
	return v, ok
}

// guardSecretSets makes the values of sets (those the environment holds)
// and their fingerprint keys credentials of the run, before anything is
// sent: an API that echoes a request must not show them.
func (e *env) guardSecretSets(fpKey string, sets map[string]*schema.SecretSetSpec) {
	// Added at once: each Add that adds anything rebuilds the matcher.
	var creds []string
	for name, spec := range sets {
		if spec == nil {
			continue
		}
		values, missing := plan.SecretValues(spec, e.lookup)
		for _, v := range values {
			creds = append(creds, v)
		}
		if len(missing) == 0 && fpKey != "" {
			// Not the prefix, which names the tool: its key id and digest.
			id := strings.TrimPrefix(plan.Marker(fpKey, name, spec, values), plan.MarkerPrefix)
			keyID, _, _ := strings.Cut(id, "_")
			creds = append(creds, id, keyID)
		}
	}
	e.red.Add(creds...)
}

// configSets are the secret sets of a config, by name.
func configSets(cfg *schema.Config) map[string]*schema.SecretSetSpec {
	m := map[string]*schema.SecretSetSpec{}
	for i := range cfg.SecretSets {
		m[cfg.SecretSets[i].Name] = &cfg.SecretSets[i].Spec
	}
	return m
}

// planSets are the secret sets a plan writes, by name.
func planSets(p *plan.Plan) map[string]*schema.SecretSetSpec {
	m := map[string]*schema.SecretSetSpec{}
	for _, c := range p.SecretSets {
		m[c.Name] = c.Desired
	}
	return m
}

// loadOptions resolves ${VAR} from the process environment and hands the
// loader the credentials it holds, so that no copy of one is expanded.
func (e *env) loadOptions() schema.LoadOptions {
	secrets := map[string]string{}
	for _, name := range schema.CredentialVars {
		if v, ok := e.lookup(name); ok && v != "" {
			secrets[name] = v
		}
	}
	return schema.LoadOptions{Lookup: e.lookup, Secrets: secrets}
}

// loadConfig loads and validates the config; inside GitHub Actions its
// errors also become annotations on the file.
func (e *env) loadConfig(ctx context.Context, path string) (*schema.Config, error) {
	cfg, err := schema.Load(ctx, path, e.loadOptions())
	if err != nil {
		e.annotateConfigErrors(path, err)
		return nil, err
	}
	return cfg, nil
}

// annotateConfigErrors writes the located errors of the config at path
// as annotations, inside GitHub Actions.
func (e *env) annotateConfigErrors(path string, err error) {
	var list schema.Errors
	if e.gh.enabled && errors.As(err, &list) {
		// Every error is in the one file loaded: resolve its path once.
		file := e.repoPath(path)
		for _, v := range list {
			e.annotate(github.Annotation{Level: "error", File: file, Line: v.Line, Col: v.Col,
				Title: "pipecat.yaml", Message: v.Path + ": " + v.Msg})
		}
	}
}

// How readSources reads the build contexts.
type packMode int

const (
	packHash  packMode = iota // pack each to its hash (plan)
	packScan                  // check them, reading no file's content (validate)
	packSpool                 // spool each to a temporary file for apply to upload
)

// readSources packs the build contexts of cfg and reads the base
// revision, when the config has build agents or a base is asked for; nil
// otherwise. Build contexts must be inside the git repository of the
// config (or its directory, without one). mode says how far each context
// is packed; with packSpool the caller closes the result.
func (e *env) readSources(ctx context.Context, cfg *schema.Config, base string, mode packMode) (*plan.Sources, error) {
	builds := false
	for _, a := range cfg.Agents {
		builds = builds || a.Spec.Build != nil
	}
	if !builds && base == "" {
		return nil, nil
	}
	dir, err := filepath.Abs(filepath.Dir(cfg.File))
	if err != nil {
		return nil, err
	}
	root := gitrev.TopLevel(dir)
	if root == "" {
		root = dir
	}
	s, err := plan.ReadSources(ctx, cfg, plan.SourceOptions{Root: root, Base: base, Load: e.loadOptions(),
		KeepArchives: mode == packSpool, ScanOnly: mode == packScan})
	if err != nil {
		e.annotateConfigErrors(cfg.File, err)
		return nil, err
	}
	return s, nil
}

// savedPlanRoot is where the build contexts of a saved plan are: the git
// repository apply runs in, or, without one, the directory of the plan's
// config as the plan names it.
func savedPlanRoot(p *plan.Plan) string {
	cwd, err := os.Getwd()
	if err == nil {
		if root := gitrev.TopLevel(cwd); root != "" {
			return root
		}
	}
	return filepath.Dir(filepath.FromSlash(p.Config))
}

func (e *env) annotate(a github.Annotation) {
	// stderr: stdout may be a JSON document; the runner reads workflow
	// commands from both streams.
	if err := github.WriteAnnotation(e.stderr, a); err != nil {
		fmt.Fprintf(e.stderr, "pipecat-gitops: warning: %s\n", report.TerminalText(err.Error()))
	}
}

// repoPath is a path as the repository names it: relative to
// GITHUB_WORKSPACE or the git top level, with forward slashes. The PR
// comment marker and annotations both use it, so "-f ./pipecat.yaml" and
// "-f pipecat.yaml" share one comment.
func (e *env) repoPath(path string) string {
	cwd, err := os.Getwd()
	if err != nil {
		return filepath.ToSlash(filepath.Clean(path))
	}
	root := e.gh.workspace
	if root == "" {
		root = gitrev.TopLevel(cwd)
	}
	return github.ConfigPathForMarker(path, root, cwd)
}

// annotateFindings writes the plan's preflight findings as annotations.
// A finding's file is always the plan's config, whose repository path
// p.Config already holds.
func (e *env) annotateFindings(p *plan.Plan) {
	for _, f := range p.Findings {
		a := github.Annotation{Level: f.Severity.String(), Title: "pipecat-gitops preflight", Message: f.Message}
		switch {
		case f.Agent != "":
			a.Message = fmt.Sprintf("agent %s: %s: %s", f.Agent, f.Field, f.Message)
		case f.Field != "":
			a.Message = f.Field + ": " + f.Message
		}
		if f.File != "" {
			a.File, a.Line, a.Col = p.Config, f.Line, f.Col
		}
		e.annotate(a)
	}
}

// meta is what the Markdown footer says about this run.
func (e *env) meta(config string) report.Meta {
	return report.Meta{Config: config, Commit: e.gh.sha, Time: time.Now().UTC(), RunURL: e.gh.runURL()}
}

// actionsOutputs appends the Markdown to the step summary and writes the
// step outputs, when running inside GitHub Actions.
func (e *env) actionsOutputs(markdown string, outs []github.Output) {
	if !e.gh.enabled {
		return
	}
	if path := e.gh.stepSummary; path != "" {
		if err := github.AppendStepSummary(path, e.red.Text(markdown)); err != nil {
			fmt.Fprintf(e.stderr, "pipecat-gitops: warning: step summary: %s\n", report.TerminalText(err.Error()))
		}
	}
	if path := e.gh.output; path != "" && len(outs) > 0 {
		for i := range outs {
			outs[i].Value = e.red.Text(outs[i].Value)
		}
		if err := github.WriteOutputs(path, outs); err != nil {
			fmt.Fprintf(e.stderr, "pipecat-gitops: warning: step outputs: %s\n", report.TerminalText(err.Error()))
		}
	}
}

// reportFailure writes the Markdown of a failed command where its result
// would have gone (--summary-file and the job summary), errors first, as
// printError words them: the PR comment then shows the failure at this
// commit instead of keeping an older plan up.
func (e *env) reportFailure(subject, config, summaryFile string, err error, details ...string) {
	var b strings.Builder
	printError(&b, err)
	lines := append(details, strings.Split(strings.TrimRight(b.String(), "\n"), "\n")...)
	md := report.FailureMarkdown(subject, lines, e.meta(config))
	if summaryFile != "" {
		if werr := e.writeText(summaryFile, md); werr != nil {
			fmt.Fprintf(e.stderr, "pipecat-gitops: warning: write summary: %s\n", report.TerminalText(werr.Error()))
		}
	}
	e.actionsOutputs(md, []github.Output{{Name: "summary-file", Value: summaryFile}})
}

// result is one command's result document in every form it is written:
// text or JSON or Markdown on stdout, the Markdown also to --summary-file
// and the job summary, and the step outputs.
type result struct {
	text     func(w io.Writer, color bool) error
	json     func(w io.Writer) error
	markdown string
	outputs  []github.Output
}

// emit writes r: the one output path of plan and apply. The document
// is rendered whole, then written at once, so that redaction sees every
// credential in one piece.
func (e *env) emit(r result, format, summaryFile string) error {
	var (
		buf bytes.Buffer
		err error
	)
	switch format {
	case "json":
		if err = r.json(&buf); err == nil {
			_, err = e.out.WriteData(buf.Bytes())
		}
	case "markdown":
		_, err = io.WriteString(e.stdout, r.markdown)
	default:
		if err = r.text(&buf, e.useColor(e.stdout)); err == nil {
			_, err = e.stdout.Write(buf.Bytes())
		}
	}
	if err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	if summaryFile != "" {
		if err := e.writeText(summaryFile, r.markdown); err != nil {
			return fmt.Errorf("write summary: %w", err)
		}
	}
	e.actionsOutputs(r.markdown, r.outputs)
	return nil
}

// useColor: colour only on a terminal, never with NO_COLOR.
func (e *env) useColor(w io.Writer) bool {
	if e.getenv("NO_COLOR") != "" {
		return false
	}
	return e.isTTY(w)
}

// writeText writes text for people (a summary) to path, redacted as
// stdout is.
func (e *env) writeText(path, text string) error {
	return os.WriteFile(path, []byte(e.red.Text(text)), 0o644)
}

// writeDoc writes a document that is read back (a saved plan, a config)
// to path through writeFileAtomic, or with excl only if path does not
// exist: credentials of redact.MinLen characters or more are redacted,
// shorter ones are left (they would corrupt the document). A document
// that lost text that way is written all the same, with a warning that
// names its lines and the consequence.
func (e *env) writeDoc(path string, doc []byte, excl bool, consequence string) error {
	shown := e.red.Data(string(doc))
	var err error
	if excl {
		err = writeExcl(path, []byte(shown))
	} else {
		err = writeFileAtomic(path, []byte(shown))
	}
	if err == nil && shown != string(doc) {
		// The file no longer says what the API said: whoever reads it
		// back must know why.
		fmt.Fprintf(e.stderr, "pipecat-gitops: warning: %s: text from the API held a credential of this run, written as REDACTED (%s); %s\n",
			report.TerminalText(path), redactedLines(shown), consequence)
	}
	return err
}

// redactedLines names the lines of doc that hold REDACTED.
func redactedLines(doc string) string {
	var lines []string
	for i, l := range strings.Split(doc, "\n") {
		if strings.Contains(l, "REDACTED") {
			lines = append(lines, strconv.Itoa(i+1))
		}
	}
	if len(lines) == 1 {
		return "line " + lines[0]
	}
	return "lines " + strings.Join(lines, ", ")
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so a reader never sees half a plan.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	// On disk before the rename, so a crash leaves the old file or the
	// whole new one.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// checkFormat validates --format.
func checkFormat(format string) error {
	switch format {
	case "text", "markdown", "json":
		return nil
	}
	return fmt.Errorf("--format must be text, markdown or json, not %q", format)
}

// parseTimeout reads a timeout as the official deploy action and a Go
// program both write one: a bare integer is seconds ("90"), anything else
// a Go duration ("90s", "5m"). It must be positive.
func parseTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s != "" && strings.Trim(s, "0123456789") == "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > int64(math.MaxInt64/time.Second) {
			return 0, fmt.Errorf("%q is too large", s)
		}
		if n == 0 {
			return 0, fmt.Errorf("must be positive, not %s", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is neither a number of seconds (90) nor a duration (90s, 5m)", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be positive, not %s", s)
	}
	return d, nil
}

// timeoutValue is a flag of parseTimeout's form.
type timeoutValue time.Duration

func newTimeoutValue(d time.Duration, p *time.Duration) *timeoutValue {
	*p = d
	return (*timeoutValue)(p)
}

func (v *timeoutValue) Set(s string) error {
	d, err := parseTimeout(s)
	if err != nil {
		return err
	}
	*v = timeoutValue(d)
	return nil
}

func (v *timeoutValue) String() string { return time.Duration(*v).String() }

// Type names the value in the flag's help line.
func (v *timeoutValue) Type() string { return "DURATION" }
