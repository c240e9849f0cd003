package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSandboxServes runs the sandbox command on a free loopback port,
// calls it as the README does, and stops it by cancelling its context as
// SIGINT would.
func TestSandboxServes(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	pr, pw := io.Pipe()
	e := newEnv(strings.NewReader(""), io.Discard, pw, func(string) (string, bool) { return "", false }, func(any) bool { return false })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- cmdSandbox(ctx, e, []string{"--listen", "127.0.0.1:0", "--state", state, "--default-region", "eu-central"})
		pw.Close()
	}()
	// stderr is read on its own goroutine: the handler logs a request
	// before it answers, and a pipe write waits for its reader.
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		t.Helper()
		l, ok := <-lines
		if !ok {
			t.Fatal("stderr ended")
		}
		return l
	}

	first := next()
	url, ok := strings.CutPrefix(first, "sandbox: listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first line %q", first)
	}
	if got := next(); got != "sandbox: state in "+state {
		t.Errorf("second line %q", got)
	}

	req, _ := http.NewRequest("GET", url+"/v1/secrets", nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The example secret sets are there for the quick start.
	for _, name := range []string{"voice-starter-secrets", "support-bot-secrets", "concierge-secrets", "ghcr-pull"} {
		if !strings.Contains(string(body), `"name":"`+name+`"`) {
			t.Errorf("secret set %s missing from %s", name, body)
		}
	}
	if log := next(); !strings.HasPrefix(log, "sandbox: GET /v1/secrets 200 ") || strings.Contains(log, "Bearer") {
		t.Errorf("request log line %q", log)
	}

	// --default-region is the organization's property, kept in the state.
	req, _ = http.NewRequest("GET", url+"/v1/properties", nil)
	req.Header.Set("Authorization", "Bearer x")
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != `{"properties":{"defaultRegion":"eu-central"}}` {
		t.Errorf("GET /v1/properties: %s", body)
	}
	next()

	cancel()
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	if err := <-done; err != nil {
		t.Fatalf("sandbox returned %v", err)
	}
	if len(rest) != 1 || rest[0] != "sandbox: stopped" {
		t.Errorf("lines after cancel: %q", rest)
	}
	if data, err := os.ReadFile(state); err != nil || !strings.Contains(string(data), `"defaultRegion": "eu-central"`) {
		t.Errorf("state file (%v): no defaultRegion eu-central in\n%s", err, data)
	}
}
