package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
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
		"pipecat-gitops": func() {
			// A script sets it to test a name that does not resolve
			// without a network: every lookup answers NXDOMAIN.
			if os.Getenv("TEST_RESOLVER") == "nxdomain" {
				net.DefaultResolver = nxdomainResolver()
			}
			os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
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
			"echoapi":     cmdEchoAPI,
			"freeport":    cmdFreePort,
			"waitlisten":  cmdWaitListen,
			"jsonset":     cmdJSONSet,
			"uploads":     cmdUploads,
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

// cmdFreePort sets an environment variable to a loopback TCP port free
// now, for a server the script starts in the background:
//
//	freeport NAME
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport NAME")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := ln.Addr().(*net.TCPAddr).Port
	ts.Check(ln.Close())
	ts.Setenv(args[0], strconv.Itoa(port))
}

// cmdWaitListen waits until something accepts connections at a loopback
// address (a server the script started in the background is up), at
// most 10 seconds:
//
//	waitlisten HOST:PORT
func cmdWaitListen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitlisten HOST:PORT")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", args[0], time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("nothing listens at %s: %v", args[0], err)
		}
		time.Sleep(10 * time.Millisecond)
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
type leaks struct{ secrets map[string]leak } // text -> what it is

// leak is one secret; whole ones are looked for only whole, the others
// also by any 12 characters of them in a row; exact ones only as written.
type leak struct {
	what         string
	whole, exact bool
}

func (l *leaks) add(text, what string) { l.put(text, leak{what: what}) }

func (l *leaks) addWhole(text, what string) { l.put(text, leak{what: what, whole: true}) }

func (l *leaks) put(text string, k leak) {
	if l.secrets == nil {
		l.secrets = map[string]leak{}
	}
	if text != "" {
		l.secrets[text] = k
	}
}

// cmdLeakScan fails when a file, or the last exec's stdout or stderr,
// shows a secret:
//
//	leakscan FILE|stdout|stderr...
//
// The secrets are the API key, the GitHub token, the word SECRETVALUE
// (which every value of the scripts carries; as written), every value the script's
// sandbox holds in a secret set or held at an earlier leakscan, the
// SHA-256 of each, and every fingerprint key of a set, whole and its key
// id and digest apart. A secret is found in any of the forms a reader
// decodes: any letter case, '-' for '_', white space or escaped line
// breaks inside, JSON \u escapes, percent escapes, HTML entities, base64
// (each alignment), and any 12 characters of it in a row.
func cmdLeakScan(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: leakscan FILE|stdout|stderr...")
	}
	l := ts.Value(leaksKey{}).(*leaks)
	l.add(scriptAPIKey, "the API key")
	l.add(ts.Getenv("GITHUB_TOKEN"), "the GitHub token")
	// As written: the API's field secretValue is no value.
	l.put("SECRETVALUE", leak{what: "a secret value", exact: true})
	sb := ts.Value(sandboxKey{}).(*sandbox.Server)
	ts.Check(sb.Mutate(func(st *sandbox.State) error {
		for name, set := range st.SecretSets {
			values := maps.All(set.Values)
			if set.Value != "" {
				values = func(yield func(string, string) bool) { yield("", set.Value) }
			}
			for k, v := range values {
				if plan.IsMarker(k) {
					continue // says what it is, the same for every set
				}
				l.add(v, "a value of secret set "+name)
				sum := sha256.Sum256([]byte(v))
				l.add(hex.EncodeToString(sum[:]), "the SHA-256 of a value of secret set "+name)
			}
			for _, k := range set.Keys {
				if rest, ok := strings.CutPrefix(k, plan.MarkerPrefix); ok {
					keyID, digest, _ := strings.Cut(rest, "_")
					// Whole: its prefix names the tool.
					l.addWhole(k, "the fingerprint key of secret set "+name)
					l.addWhole(keyID, "the key id of a fingerprint")
					l.add(digest, "the digest of a fingerprint")
				}
			}
		}
		return nil
	}))
	for _, f := range args {
		text := ts.ReadFile(f)
		views := leakViews(text)
		for secret, k := range l.secrets {
			if k.exact {
				if strings.Contains(text, secret) {
					ts.Fatalf("%s shows %s", f, k.what)
				}
				continue
			}
			for _, form := range secretForms(secret, k.whole) {
				for _, v := range views {
					if strings.Contains(v, form) {
						ts.Fatalf("%s shows %s (as %q)", f, k.what, form)
					}
				}
			}
		}
	}
}

var (
	uEscape   = regexp.MustCompile(`(?i)\\+u([0-9a-f]{4})`)
	pctEscape = regexp.MustCompile(`%(?:25)*([0-9a-fA-F]{2})`)
	squashOut = strings.NewReplacer(`\n`, "", `\r`, "", `\t`, "", `\`, "", "\u2060", "", "-", "_")
)

// leakViews are text as each decoding reads it, squashed: lower case,
// no white space, no backslashes, '-' as '_'.
func leakViews(text string) []string {
	views := []string{
		text,
		uEscape.ReplaceAllStringFunc(text, func(m string) string {
			n, _ := strconv.ParseUint(m[len(m)-4:], 16, 32)
			return string(rune(n))
		}),
		pctEscape.ReplaceAllStringFunc(text, func(m string) string {
			n, _ := strconv.ParseUint(m[len(m)-2:], 16, 8)
			return string([]byte{byte(n)})
		}),
		html.UnescapeString(text),
	}
	for i, v := range views {
		views[i] = squash(v)
	}
	return views
}

func squash(s string) string {
	s = squashOut.Replace(strings.ToLower(s))
	return strings.Join(strings.Fields(s), "")
}

// secretForms are the squashed pieces of a secret leakscan looks for: the
// secret and the core of its base64 at each alignment, whole or (unless
// whole) every run of 12 characters.
func secretForms(secret string, whole bool) []string {
	forms := []string{squash(secret)}
	for pad := range 3 {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, pad), secret...))
		// The characters that depend on the secret's bytes alone.
		from, to := (8*pad+5)/6, 8*(pad+len(secret))/6
		if to-from >= 12 {
			forms = append(forms, squash(enc[from:to]))
		}
	}
	if whole {
		return forms[:1]
	}
	var out []string
	for _, f := range forms {
		if len(f) < 12 {
			out = append(out, f)
			continue
		}
		for i := 0; i+12 <= len(f); i++ {
			out = append(out, f[i:i+12])
		}
	}
	return out
}

// cmdEchoAPI puts an API in front of the script's sandbox that echoes
// every credential it is sent, in every form (echoForms), and points
// PIPECAT_API_URL at it:
//
//	echoapi
//
// The list of agents gains agents named after the key; an agent's image
// holds the key as JSON \u escapes, and its health reason every form of
// it. Every write reaches the sandbox, then is answered 400 with an error
// whose message holds a forged line "pipecat-gitops: error: forged by the
// API", and echoes the body (JSON-escaped, as a proxy does) and every
// form of the key and of each string of the body (secret values,
// fingerprint keys), and whose code is the key as \u escapes.
func cmdEchoAPI(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: echoapi")
	}
	srv := httptest.NewServer(echoAPI{ts.Value(sandboxKey{}).(*sandbox.Server)})
	ts.Defer(srv.Close)
	ts.Setenv("PIPECAT_API_URL", srv.URL)
}

type echoAPI struct{ next http.Handler }

func (h echoAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	h.next.ServeHTTP(rec, r)
	answer := func(status int, doc any, raw ...string) {
		// raw replaces the placeholders "@0", "@1"... with JSON text
		// json.Marshal would not write (\u escapes of ASCII).
		data, _ := json.Marshal(doc)
		for i, v := range raw {
			data = bytes.Replace(data, []byte(fmt.Sprintf(`"@%d"`, i)), []byte(v), 1)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(data)
	}
	var doc map[string]any
	ok := rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &doc) == nil
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/agents" && ok:
		services, _ := doc["services"].([]any)
		var raw []string
		for i, f := range echoForms(key) {
			services = append(services, map[string]any{"name": fmt.Sprintf("@%d", i)})
			raw = append(raw, f)
		}
		doc["services"] = services
		answer(http.StatusOK, doc, raw...)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/agents/") && ok:
		if d, _ := doc["deployment"].(map[string]any); d != nil {
			if m, _ := d["manifest"].(map[string]any); m != nil {
				if spec, _ := m["spec"].(map[string]any); spec != nil {
					spec["image"] = "@0"
				}
			}
		}
		doc["ready"] = false
		doc["currentRevision"] = map[string]any{"phase": "Failed", "phaseStartedAt": "@1",
			"health": map[string]any{"reason": "@2", "restartCount": 3}}
		answer(http.StatusOK, doc, `"acme/`+uEscaped(key)+`:1"`, echoForms(key)[0], `"`+echoAll([]string{key})+`"`)
	case r.Method != http.MethodGet:
		creds := append([]string{key}, jsonStrings(body)...)
		// A line of its own, if a line break started one.
		msg := "Invalid request format: " + inner(jsonText(string(body))) + `\npipecat-gitops: error: forged by the API\n` + echoAll(creds)
		answer(http.StatusBadRequest, map[string]any{"error": "@0", "code": "@1"}, `"`+msg+`"`, `"`+uEscaped(key)+`"`)
	default:
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}
}

// echoForms are JSON string literals of c in the forms a server, a proxy
// or a log may give it: as is, upper case, JSON \u escapes, '_' as '-',
// a 16-character prefix, split by a space and by a line break, base64 at
// each alignment, and percent-escaped.
func echoForms(c string) []string {
	half := len(c) / 2
	forms := []string{
		`"` + uEscaped(c) + `"`,
		jsonText(c),
		jsonText(strings.ToUpper(c)),
		jsonText(strings.ReplaceAll(c, "_", "-")),
		jsonText(c[:half] + " " + c[half:]),
		jsonText(c[:half] + "\n" + c[half:]),
		jsonText(base64.StdEncoding.EncodeToString([]byte(c))),
		jsonText(base64.StdEncoding.EncodeToString([]byte("a" + c))),
		jsonText(base64.StdEncoding.EncodeToString([]byte("ab" + c))),
		jsonText(url.QueryEscape(c) + " " + percentAll(c)),
	}
	if len(c) >= 16 {
		forms = append(forms, jsonText(c[:16]))
	}
	return forms
}

// echoAll is every form of every credential, in one JSON string's text
// (without its quotes).
func echoAll(creds []string) string {
	var parts []string
	for _, c := range creds {
		if len(c) < 8 {
			continue
		}
		for _, f := range echoForms(c) {
			parts = append(parts, inner(f))
		}
	}
	return strings.Join(parts, " ")
}

// jsonText is s as a JSON string literal, <>& escaped as \u003c as Go
// writes them.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// inner is a JSON string literal without its quotes.
func inner(lit string) string { return lit[1 : len(lit)-1] }

func uEscaped(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

func percentAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// jsonStrings are the string values of a JSON document.
func jsonStrings(doc []byte) []string {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

// nxdomainResolver is a resolver whose DNS server, in process, answers
// every query "no such domain": the lookup fails as it does for a real
// name that does not exist (*net.DNSError, IsNotFound), with no network.
func nxdomainResolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		client, server := net.Pipe()
		go func() {
			defer server.Close()
			// Not a PacketConn, so the resolver frames messages as over
			// TCP: a 2-byte length, then the message.
			for {
				var n [2]byte
				if _, err := io.ReadFull(server, n[:]); err != nil {
					return
				}
				q := make([]byte, int(n[0])<<8|int(n[1]))
				if _, err := io.ReadFull(server, q); err != nil || len(q) < 12 {
					return
				}
				// The query's id and question; QR, RD and RA set;
				// RCODE 3 (NXDOMAIN); no answers.
				q[2], q[3] = 0x81, 0x83
				copy(q[6:12], []byte{0, 0, 0, 0, 0, 0})
				if _, err := server.Write(append([]byte{byte(len(q) >> 8), byte(len(q))}, q...)); err != nil {
					return
				}
			}
		}()
		return client, nil
	}}
}
