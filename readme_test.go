package main

import (
	"os"
	"strings"
	"testing"
)

// TestDocsEmbedExamples keeps the README and docs honest: the example files
// they show in full are shown exactly as they are in examples/.
func TestDocsEmbedExamples(t *testing.T) {
	for _, c := range []struct{ page, example string }{
		{"README.md", "examples/pipecat.yaml"},
		{"README.md", "examples/workflows/pipecat.yml"},
		{"docs/configuration.md", "examples/pipecat.yaml"},
		{"docs/github-action.md", "examples/workflows/pipecat.yml"},
		{"docs/github-action.md", "examples/workflows/drift.yml"},
		{"docs/secret-sets.md", "examples/secret-sets.yaml"},
	} {
		page, err := os.ReadFile(c.page)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(c.example)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(page), "```yaml\n"+string(data)+"```") {
			t.Errorf("%s does not show %s exactly as it is (in a ```yaml block)", c.page, c.example)
		}
	}
}
