package main

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEEmbedsExamples keeps the README honest: the example files it
// shows in full are shown exactly as they are in examples/.
func TestREADMEEmbedsExamples(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"examples/pipecat.yaml", "examples/workflows/pipecat.yml", "examples/workflows/drift.yml"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), "```yaml\n"+string(data)+"```") {
			t.Errorf("README.md does not show %s exactly as it is (in a ```yaml block)", f)
		}
	}
}
