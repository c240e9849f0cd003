package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPreviewFlags checks the modes preview accepts and the ones it
// refuses before anything is read or sent.
func TestPreviewFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantMode string
		wantOpen []int
		wantErr  string
	}{
		{"a pull request's previews", []string{"--pr", "12"}, "deploy", nil, ""},
		{"destroy", []string{"--pr", "12", "--destroy"}, "destroy", nil, ""},
		{"gc keeps the open pull requests", []string{"--gc", "--open", "12, #14,15"}, "gc", []int{12, 14, 15}, ""},
		{"gc with an empty list: none is open", []string{"--gc", "--open", ""}, "gc", nil, ""},
		{"gc without --open is refused", []string{"--gc"}, "", nil, "preview: --gc needs --open, the pull requests still open"},
		{"gc with --pr is refused", []string{"--gc", "--open", "1", "--pr", "2"}, "", nil, "preview: --gc covers every pull request not in --open; give it without --pr and --destroy"},
		{"--open without --gc is refused", []string{"--pr", "2", "--open", "1"}, "", nil, "preview: --open goes with --gc"},
		{"no pull request", []string{"--destroy"}, "", nil, "preview: --pr N is required (a pull request number, 1 or more)"},
		{"not a number in --open", []string{"--gc", "--open", "12,x"}, "", nil, `preview: --open: "x" is not a pull request number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := newEnv(strings.NewReader(""), &stdout, &stderr, func(string) (string, bool) { return "", false }, func(any) bool { return false })
			o, err := parsePreviewFlags(e, tt.args)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.mode() != tt.wantMode {
				t.Errorf("mode %q, want %q", o.mode(), tt.wantMode)
			}
			if diff := cmp.Diff(tt.wantOpen, o.open); diff != "" {
				t.Errorf("open (-want +got):\n%s", diff)
			}
		})
	}
}
