package github_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestExampleCheckoutsPersistNoCredentials: every actions/checkout step of
// the example workflows sets persist-credentials: false, so the job's
// token is not left in .git/config for any later step to pack or upload.
func TestExampleCheckoutsPersistNoCredentials(t *testing.T) {
	for _, file := range exampleWorkflows {
		data, err := os.ReadFile(filepath.Join(repoRoot, file))
		if err != nil {
			t.Fatal(err)
		}
		var wf struct {
			Jobs map[string]struct {
				Steps []struct {
					Uses string
					With map[string]any
				}
			}
		}
		if err := yaml.Unmarshal(data, &wf); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		checkouts := 0
		for name, job := range wf.Jobs {
			for _, s := range job.Steps {
				if !strings.HasPrefix(s.Uses, "actions/checkout@") {
					continue
				}
				checkouts++
				if v, ok := s.With["persist-credentials"]; !ok || v != false {
					t.Errorf("%s: job %s: actions/checkout without persist-credentials: false", file, name)
				}
			}
		}
		if checkouts == 0 {
			t.Errorf("%s: no actions/checkout step", file)
		}
	}
}
