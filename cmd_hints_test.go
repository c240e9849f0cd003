package main

import "testing"

// TestHintCommands checks that the commands hints name repeat the flags
// that choose the config and the API, as given (issue 22).
func TestHintCommands(t *testing.T) {
	tests := []struct {
		name string
		o    applyOptions
		want string
	}{
		{"the defaults", applyOptions{file: "pipecat.yaml"}, "pipecat-gitops plan"},
		{"another config", applyOptions{file: "prod/pipecat.yaml"}, "pipecat-gitops plan -f prod/pipecat.yaml"},
		{"a saved plan names its config itself", applyOptions{file: "pipecat.yaml", planFile: "plan.json"}, "pipecat-gitops plan"},
		{"the sandbox", applyOptions{file: "pipecat.yaml", api: apiFlags{sandbox: defaultSandboxState}}, "pipecat-gitops plan --sandbox"},
		{"a sandbox state file", applyOptions{file: "a b.yaml", api: apiFlags{sandbox: "my state.json"}}, "pipecat-gitops plan -f 'a b.yaml' --sandbox='my state.json'"},
		{"an API URL", applyOptions{file: "pipecat.yaml", api: apiFlags{apiURL: "https://api.example"}}, "pipecat-gitops plan --api-url https://api.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := planCommand(tt.o); got != tt.want {
				t.Errorf("planCommand = %q, want %q", got, tt.want)
			}
		})
	}
}
