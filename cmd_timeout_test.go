package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
)

// TestTimeoutEndsTheCommand: --timeout ends plan, apply and import with an
// error naming the flag, against servers each of whose answers stays
// within the per-call limits: one that asks to retry after an hour (the
// client waits up to 60s each time), and a slowloris that sends its
// headers and then a byte at a time, never finishing.
func TestTimeoutEndsTheCommand(t *testing.T) {
	retryAfter := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	slowloris := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		for {
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			rc.Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	// Ready an hour after each deploy: apply --wait waits.
	sb, err := sandbox.New(sandbox.Options{ReadyDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "pipecat.yaml")
	if err := os.WriteFile(cfg, []byte("version: 1\nagents:\n  bot:\n    image: acme/bot:1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		server http.Handler
		args   []string
		want   string
	}{
		{"plan, Retry-After abuse", retryAfter, []string{"plan", "-f", cfg, "--timeout", "300ms"},
			"pipecat-gitops: error: stopped by --timeout 300ms: "},
		{"plan, slowloris", slowloris, []string{"plan", "-f", cfg, "--timeout", "300ms"},
			"pipecat-gitops: error: stopped by --timeout 300ms: "},
		{"import, slowloris", slowloris, []string{"import", "--timeout", "300ms"},
			"pipecat-gitops: error: stopped by --timeout 300ms: "},
		{"apply, Retry-After abuse", retryAfter, []string{"apply", "-f", cfg, "--auto-approve", "--timeout", "300ms"},
			"pipecat-gitops: error: stopped by --timeout 300ms: "},
		{"apply --wait, an agent never ready", sb, []string{"apply", "-f", cfg, "--auto-approve", "--wait", "--timeout", "300ms"},
			"pipecat-gitops: error: stopped by --timeout 300ms: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				tt.server.ServeHTTP(w, r)
			}))
			defer srv.Close()
			vars := map[string]string{"PIPECAT_API_URL": srv.URL, "PIPECAT_API_KEY": "k"}
			var stdout, stderr bytes.Buffer
			e := newEnv(strings.NewReader(""), &stdout, &stderr,
				func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, func(any) bool { return false })
			// A watchdog, not a measurement: without --timeout the command
			// would run for minutes.
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			if code := dispatch(ctx, e, tt.args); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if ctx.Err() != nil {
				t.Fatal("the watchdog ended the command, not --timeout")
			}
			lines := strings.SplitAfter(stderr.String(), "\n")
			var got string
			for _, l := range lines {
				if strings.HasPrefix(l, "pipecat-gitops: error: ") {
					got = l
				}
			}
			if hits.Load() == 0 {
				t.Error("the server was never asked")
			}
			// The run's own words follow: the request cut off, or (apply
			// --wait) the changes interrupted.
			if !strings.HasPrefix(got, tt.want) || !strings.Contains(got, "context deadline exceeded") && !strings.Contains(got, "apply interrupted") {
				t.Errorf("error line %q, want it to start %q; stderr:\n%s", got, tt.want, stderr.String())
			}
		})
	}
}

func TestApplyTimeoutDefault(t *testing.T) {
	for _, tt := range []struct{ build, wait, want time.Duration }{
		{10 * time.Minute, 5 * time.Minute, 30 * time.Minute},
		{time.Hour, 10 * time.Minute, 90 * time.Minute},
	} {
		if got := applyTimeout(tt.build, tt.wait); got != tt.want {
			t.Errorf("applyTimeout(%s, %s) = %s, want %s", tt.build, tt.wait, got, tt.want)
		}
	}
}

func TestParseTimeout(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		wantErr string
	}{
		{"a bare integer is seconds, as the official action's inputs", "90", 90 * time.Second, ""},
		{"the official build timeout", "600", 10 * time.Minute, ""},
		{"surrounding blanks of a YAML input are ignored", " 90\n", 90 * time.Second, ""},
		{"a Go duration", "5m", 5 * time.Minute, ""},
		{"a compound Go duration", "1m30s", 90 * time.Second, ""},
		{"zero seconds is refused", "0", 0, "must be positive, not 0"},
		{"a negative duration is refused", "-5m", 0, "must be positive, not -5m"},
		{"a word is refused with both forms named", "soon", 0, `"soon" is neither a number of seconds (90) nor a duration (90s, 5m)`},
		{"empty is refused", "", 0, `"" is neither a number of seconds (90) nor a duration (90s, 5m)`},
		{"a fraction without a unit is refused", "1.5", 0, `"1.5" is neither a number of seconds (90) nor a duration (90s, 5m)`},
		{"seconds that overflow a duration are refused", "99999999999999999999", 0, `"99999999999999999999" is too large`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTimeout(tt.in)
			if errText(err) != tt.wantErr || got != tt.want {
				t.Errorf("parseTimeout(%q) = %v, %v; want %v, %q", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestApplyTimeoutFlags: apply takes the official action's seconds on its
// flags, and names the flag of a bad value before any request.
func TestApplyTimeoutFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    applyOptions
		wantErr string
	}{
		{"bare seconds", []string{"--wait-timeout", "90", "--build-timeout", "600"}, applyOptions{waitTimeout: 90 * time.Second, buildTimeout: 600 * time.Second}, ""},
		{"defaults", nil, applyOptions{waitTimeout: 5 * time.Minute, buildTimeout: 10 * time.Minute}, ""},
		{"durations", []string{"--wait-timeout=2m", "--build-timeout=1h"}, applyOptions{waitTimeout: 2 * time.Minute, buildTimeout: time.Hour}, ""},
		{"a bad wait timeout", []string{"--wait-timeout", "ninety"}, applyOptions{},
			`apply: invalid argument "ninety" for "--wait-timeout" flag: "ninety" is neither a number of seconds (90) nor a duration (90s, 5m)`},
		{"a zero build timeout", []string{"--build-timeout", "0"}, applyOptions{},
			`apply: invalid argument "0" for "--build-timeout" flag: must be positive, not 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := newEnv(strings.NewReader(""), &stdout, &stderr, func(string) (string, bool) { return "", false }, func(any) bool { return false })
			got, err := parseApplyFlags(e, tt.args)
			if errText(err) != tt.wantErr {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if err == nil && (got.waitTimeout != tt.want.waitTimeout || got.buildTimeout != tt.want.buildTimeout) {
				t.Errorf("wait %v build %v; want %v %v", got.waitTimeout, got.buildTimeout, tt.want.waitTimeout, tt.want.buildTimeout)
			}
		})
	}
}
