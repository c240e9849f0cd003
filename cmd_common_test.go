package main

import (
	"bytes"
	"fmt"
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
