package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/internal/githubtest"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"pipecat-gitops": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// scriptAPIKey is the key scripts use; they check it never shows.
const scriptAPIKey = "pcsk_script_secret_0123456789"

// TestScripts runs the end-to-end CLI scripts in testdata/script, one topic
// per file, through the real entry point, each against its own sandbox.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:   scriptsDir(t),
		Setup: scriptSetup,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"pcapi":       cmdPCAPI,
			"requests":    cmdRequests,
			"ghcomments":  cmdGHComments,
			"droplines":   cmdDropLines,
			"ghload":      cmdGHLoad,
			"leakscan":    cmdLeakScan,
			"jsonset":     cmdJSONSet,
			inProcessName: cmdInProcess,
		},
	})
}

type (
	sandboxKey struct{}
	githubKey  struct{}
	leaksKey   struct{}
)

func scriptSetup(env *testscript.Env) error {
	// Nothing of the developer's environment may change what a script sees.
	env.Setenv("NO_COLOR", "")
	env.Setenv("GITHUB_ACTIONS", "")
	// A fake GitHub API per script, for the comment command.
	gh := githubtest.NewServer()
	env.Defer(gh.Close)
	env.Values[githubKey{}] = gh
	env.Values[leaksKey{}] = &leaks{}
	env.Setenv("GITHUB_API_URL", gh.URL)
	env.Setenv("GITHUB_REPOSITORY", gh.Repo)
	return startScriptSandbox(env)
}

// scriptSandboxOptions is the optional sandbox.json of a script, for the
// few scripts that need readiness delays or faults.
type scriptSandboxOptions struct {
	ReadyDelay string  `json:"readyDelay"`
	DropRate   float64 `json:"dropRate"`
	FaultRate  float64 `json:"faultRate"`
	Seed       int64   `json:"seed"`
	// Builds are successful cloud builds to seed: build id -> region.
	Builds map[string]string `json:"builds"`
	// SecretSets are more sets to seed (e.g. one whose provisioning
	// failed), beside those of the examples.
	SecretSets []sandbox.SecretSetSeed `json:"secretSets"`
}

// startScriptSandbox serves a fresh sandbox (seeded with the secret sets
// examples/pipecat.yaml uses) on a loopback port and points the binary at
// it through the environment, as a user would.
func startScriptSandbox(env *testscript.Env) error {
	opts := sandbox.Options{SecretSets: sandbox.ExampleSecretSets}
	var seededBuilds map[string]string
	if data, err := os.ReadFile(filepath.Join(env.WorkDir, "sandbox.json")); err == nil {
		var so scriptSandboxOptions
		if err := json.Unmarshal(data, &so); err != nil {
			return fmt.Errorf("sandbox.json: %w", err)
		}
		if so.ReadyDelay != "" {
			d, err := time.ParseDuration(so.ReadyDelay)
			if err != nil {
				return fmt.Errorf("sandbox.json: %w", err)
			}
			opts.ReadyDelay = d
		}
		opts.DropRate, opts.FaultRate, opts.Seed = so.DropRate, so.FaultRate, so.Seed
		opts.SecretSets = append(slices.Clip(opts.SecretSets), so.SecretSets...)
		seededBuilds = so.Builds
	}
	sb, err := sandbox.New(opts)
	if err != nil {
		return err
	}
	if err := sb.Mutate(func(st *sandbox.State) error {
		for id, region := range seededBuilds {
			st.Builds[id] = &sandbox.Build{Region: region, Result: cloud.BuildStatusSuccess}
		}
		return nil
	}); err != nil {
		return err
	}
	srv := httptest.NewServer(sb)
	env.Defer(srv.Close)
	env.Values[sandboxKey{}] = sb
	env.Setenv("PIPECAT_API_URL", srv.URL)
	env.Setenv("PIPECAT_API_KEY", scriptAPIKey)
	return nil
}

// cmdPCAPI sends one request to the script's sandbox, as someone changing
// live state behind the tool's back would:
//
//	pcapi METHOD PATH [JSON-BODY]
//
// It prints the status and the body on stdout.
func cmdPCAPI(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: pcapi METHOD PATH [BODY]")
	}
	var body io.Reader
	if len(args) == 3 {
		body = strings.NewReader(args[2])
	}
	req, err := http.NewRequest(args[0], ts.Getenv("PIPECAT_API_URL")+args[1], body)
	ts.Check(err)
	req.Header.Set("Authorization", "Bearer "+scriptAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "%d %s\n", resp.StatusCode, data)
	if failed := resp.StatusCode >= 300; failed != neg {
		ts.Fatalf("pcapi %s %s: status %d", args[0], args[1], resp.StatusCode)
	}
}

// cmdRequests prints the sandbox's request log, one "METHOD PATH STATUS"
// line each, so scripts can assert what was (not) sent:
//
//	requests [writes]
//
// With "writes", only the requests that may change state (not GET).
func cmdRequests(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 || (len(args) == 1 && args[0] != "writes") {
		ts.Fatalf("usage: requests [writes]")
	}
	out := ts.Stdout() // asked first, so no requests is an empty stdout
	sb := ts.Value(sandboxKey{}).(*sandbox.Server)
	for _, r := range sb.Requests() {
		if len(args) == 1 && r.Method == http.MethodGet {
			continue
		}
		fmt.Fprintf(out, "%s %s %d\n", r.Method, r.Path, r.Status)
	}
}

// cmdGHComments prints the comments of a pull request (or, given a commit
// id, of a commit) on the script's fake GitHub, each as "#ID by USER:" and
// its body, so scripts can assert what a reviewer sees:
//
//	ghcomments PR|SHA
func cmdGHComments(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ghcomments PR|SHA")
	}
	out := ts.Stdout() // asked first, so no comments is an empty stdout
	gh := ts.Value(githubKey{}).(*githubtest.Server)
	comments := gh.CommitComments(args[0])
	if pr, err := strconv.Atoi(args[0]); err == nil && len(args[0]) < 40 {
		comments = gh.IssueComments(pr)
	}
	for _, c := range comments {
		fmt.Fprintf(out, "#%d by %s:\n%s\n", c.ID, c.User, c.Body)
	}
}

// cmdDropLines deletes the lines of a file that match a regular
// expression, so that a script can compare two renderings that differ
// only there (the time in a Markdown footer):
//
//	droplines REGEXP FILE
func cmdDropLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: droplines REGEXP FILE")
	}
	re, err := regexp.Compile(args[0])
	ts.Check(err)
	path := ts.MkAbs(args[1])
	data, err := os.ReadFile(path)
	ts.Check(err)
	var kept []string
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if !re.MatchString(strings.TrimSuffix(l, "\n")) {
			kept = append(kept, l)
		}
	}
	ts.Check(os.WriteFile(path, []byte(strings.Join(kept, "")), 0o644))
}

// cmdJSONSet edits a JSON file (a saved plan) as a person would by hand:
// it sets the value at a dot-separated path of object keys and list
// indexes, and writes the file back indented:
//
//	jsonset FILE PATH JSON-VALUE
func cmdJSONSet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: jsonset FILE PATH JSON-VALUE")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber() // integers stay integers
	var doc, value any
	ts.Check(dec.Decode(&doc))
	dec = json.NewDecoder(strings.NewReader(args[2]))
	dec.UseNumber()
	ts.Check(dec.Decode(&value))
	keys := strings.Split(args[1], ".")
	at := doc
	for i, k := range keys {
		last := i == len(keys)-1
		switch node := at.(type) {
		case map[string]any:
			if last {
				node[k] = value
			}
			at = node[k]
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 || n >= len(node) {
				ts.Fatalf("jsonset: %s: no index %s", strings.Join(keys[:i], "."), k)
			}
			if last {
				node[n] = value
			}
			at = node[n]
		default:
			ts.Fatalf("jsonset: %s is not an object or a list", strings.Join(keys[:i], "."))
		}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(path, append(out, '\n'), 0o644))
}

// cmdGHLoad adds the commits, pull requests and workflow runs of a JSON
// file (githubtest.Fixture) to the script's fake GitHub:
//
//	ghload FILE
func cmdGHLoad(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: ghload FILE")
	}
	gh := ts.Value(githubKey{}).(*githubtest.Server)
	ts.Check(gh.Load([]byte(ts.ReadFile(args[0]))))
}

// leaks are the secrets a script must never show: what leakscan collected
// from its sandbox so far (values that are gone by now included).
type leaks struct{ secrets map[string]string } // text -> what it is

func (l *leaks) add(text, what string) {
	if l.secrets == nil {
		l.secrets = map[string]string{}
	}
	if text != "" {
		l.secrets[text] = what
	}
}

// cmdLeakScan fails when a file, or the last exec's stdout or stderr,
// shows a secret:
//
//	leakscan FILE|stdout|stderr...
//
// The secrets are the API key, the word SECRETVALUE (which every value
// of the scripts carries), every value the script's sandbox holds in a
// secret set or held at an earlier leakscan, the SHA-256 of each, and
// every fingerprint key of a set, whole and its key id and digest apart.
func cmdLeakScan(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: leakscan FILE|stdout|stderr...")
	}
	l := ts.Value(leaksKey{}).(*leaks)
	l.add(scriptAPIKey, "the API key")
	l.add("SECRETVALUE", "a secret value")
	sb := ts.Value(sandboxKey{}).(*sandbox.Server)
	ts.Check(sb.Mutate(func(st *sandbox.State) error {
		for name, set := range st.SecretSets {
			values := maps.Values(set.Values)
			if set.Value != "" {
				values = func(yield func(string) bool) { yield(set.Value) }
			}
			for v := range values {
				l.add(v, "a value of secret set "+name)
				sum := sha256.Sum256([]byte(v))
				l.add(hex.EncodeToString(sum[:]), "the SHA-256 of a value of secret set "+name)
			}
			for _, k := range set.Keys {
				if rest, ok := strings.CutPrefix(k, plan.MarkerPrefix); ok {
					keyID, digest, _ := strings.Cut(rest, "_")
					l.add(k, "the fingerprint key of secret set "+name)
					l.add(keyID, "the key id of a fingerprint")
					l.add(digest, "the digest of a fingerprint")
				}
			}
		}
		return nil
	}))
	for _, f := range args {
		text := ts.ReadFile(f)
		for secret, what := range l.secrets {
			if strings.Contains(strings.ToLower(text), strings.ToLower(secret)) {
				ts.Fatalf("%s shows %s", f, what)
			}
		}
	}
}
