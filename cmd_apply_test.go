package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/github"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
)

// TestApplyPrompt drives the confirmation prompt the way a terminal user
// does; testscript cannot give a command a terminal.
func TestApplyPrompt(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "pipecat.yaml")
	if err := os.WriteFile(cfg, []byte("version: 1\nagents:\n  bot:\n    image: acme/bot:1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		answer   string
		wantCode int
		wantErr  string
		created  bool
	}{
		{"yes applies", "yes\n", 0, "", true},
		{"anything else cancels", "y\n", 1, "apply cancelled: nothing was changed", false},
		{"end of input cancels", "", 1, "read confirmation", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, err := sandbox.New(sandbox.Options{})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(sb)
			defer srv.Close()
			vars := map[string]string{"PIPECAT_API_URL": srv.URL, "PIPECAT_API_KEY": "k"}
			var stdout, stderr bytes.Buffer
			stdin := strings.NewReader(tt.answer)
			e := newEnv(stdin, &stdout, &stderr,
				func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
				func(v any) bool { return v == any(stdin) })
			code := dispatch(context.Background(), e, []string{"apply", "-f", cfg})
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), "Only 'yes' will be accepted") {
				t.Errorf("no prompt on stdout:\n%s", stdout.String())
			}
			if tt.wantErr != "" && !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.wantErr)
			}
			creates := 0
			for _, r := range sb.Requests() {
				if r.Method == "POST" {
					creates++
				}
			}
			if (creates == 1) != tt.created {
				t.Errorf("%d creates sent, want created = %v", creates, tt.created)
			}
		})
	}
}

// TestActionsOutputs checks that plan and apply each write exactly the
// outputs action.yml declares (github.OutputNames, which the action test
// compares with action.yml).
func TestActionsOutputs(t *testing.T) {
	cfg := writeTestConfig(t, "version: 1\nagents:\n  bot:\n    image: acme/bot:1.0\n")
	url, _ := startTestAPI(t)
	for _, args := range [][]string{
		{"plan", "-f", cfg, "--out", filepath.Join(filepath.Dir(cfg), "plan.json")},
		{"apply", "-f", cfg, "--auto-approve"},
	} {
		t.Run(args[0], func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "output")
			vars := map[string]string{"PIPECAT_API_URL": url, "PIPECAT_API_KEY": "k", "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out}
			var stdout, stderr bytes.Buffer
			e := newEnv(strings.NewReader(""), &stdout, &stderr,
				func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
				func(any) bool { return false })
			if code := dispatch(context.Background(), e, args); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				name, _, _ := strings.Cut(line, "=")
				names = append(names, name)
			}
			if diff := cmp.Diff(github.OutputNames, names); diff != "" {
				t.Errorf("outputs written (-action.yml +binary):\n%s", diff)
			}
		})
	}
}
