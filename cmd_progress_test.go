package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
)

// writeConfig writes a config file in a new temporary directory.
func writeTestConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pipecat.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startTestAPI serves a fresh in-memory sandbox for the test.
func startTestAPI(t *testing.T) (url string, sb *sandbox.Server) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return srv.URL, sb
}

// lockedBuffer is a stderr that the progress ticker may write to while
// the command does.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestProgressOnTerminal: with stderr a terminal, plan and apply draw one
// status line per phase in place and clear it before their results; the
// agent's final state is printed above it.
func TestProgressOnTerminal(t *testing.T) {
	cfg := writeTestConfig(t, "version: 1\nagents:\n  bot:\n    image: acme/bot:1.0\n  old:\n    image: acme/old:2.0\n")
	url, _ := startTestAPI(t)
	client, err := cloud.New(cloud.Options{BaseURL: url, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateAgent(context.Background(), &cloud.CreateServiceRequest{ServiceName: "old", Image: "acme/old:1.0"}); err != nil {
		t.Fatal(err)
	}
	const cr = "\r\x1b[2K"
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"plan", "-f", cfg}, cr + "refreshing 0/1" + cr + "refreshing 1/1" + cr},
		{[]string{"apply", "-f", cfg, "--auto-approve", "--parallelism", "1"}, cr + "refreshing 0/1" + cr + "refreshing 1/1" + cr +
			cr + "applying 0/2" + cr + "bot: done\n" + cr + "applying 0/2" + cr + "applying 1/2" +
			cr + "old: done\n" + cr + "applying 1/2" + cr + "applying 2/2" +
			cr + "verifying 0/2" + cr + "verifying 1/2" + cr + "verifying 2/2" + cr},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			vars := map[string]string{"PIPECAT_API_URL": url, "PIPECAT_API_KEY": "k"}
			var stdout bytes.Buffer
			stderr := &lockedBuffer{}
			e := newEnv(strings.NewReader(""), &stdout, stderr,
				func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
				func(v any) bool { return v == any(stderr) })
			if code := dispatch(context.Background(), e, tt.args); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if diff := cmp.Diff(tt.want, stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%q", stderr.String())
			}
		})
	}
}
