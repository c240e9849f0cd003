package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

func TestAPIHint(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"refused key", fmt.Errorf("list agents: %w", &cloud.Error{Method: "GET", Path: "/v1/agents", Status: 401, Code: "UNAUTHORIZED", Message: "Unauthorized"}),
			"pipecat-gitops: error: list agents: GET /v1/agents: 401 UNAUTHORIZED: Unauthorized\nhint: check PIPECAT_API_KEY: it must be a private API key of the organization (Pipecat Cloud dashboard, Settings, API keys)\n"},
		{"other API error has no hint", &cloud.Error{Method: "GET", Path: "/v1/agents", Status: 500, Code: "INTERNAL_SERVER_ERROR", Message: "Internal server error"},
			"pipecat-gitops: error: GET /v1/agents: 500 INTERNAL_SERVER_ERROR: Internal server error\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			printError(&b, apiHint(tt.err))
			if b.String() != tt.want {
				t.Errorf("printed\n%q\nwant\n%q", b.String(), tt.want)
			}
		})
	}
}

// TestBlankKeyIsNoKey: a key of blanks gets the "not set" hint at once,
// not a 401 from the API later.
func TestBlankKeyIsNoKey(t *testing.T) {
	var stdout, stderr bytes.Buffer
	vars := map[string]string{"PIPECAT_API_KEY": "  \n", "PIPECAT_API_URL": "http://127.0.0.1:1"}
	e := newEnv(strings.NewReader(""), &stdout, &stderr, func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, func(any) bool { return false })
	if _, _, err := e.connect(&apiFlags{parallelism: 1}, nil); err == nil || err.Error() != "PIPECAT_API_KEY is not set" {
		t.Errorf("connect with a blank key: %v, want \"PIPECAT_API_KEY is not set\"", err)
	}
}
