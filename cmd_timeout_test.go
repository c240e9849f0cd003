package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

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
