package github_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The released official deploy action's surface (action.yml at tag
// v2.0.3 of daily-co/pipecat-cloud-deploy-action) and the keys the
// official CLI reads from pcc-deploy.toml (v0.6.0, deploy_utils.py). Kept
// by hand: a new release is a new row in docs/migrating.md.
var (
	officialInputs = []string{"api-key", "agent-name", "cloud-build", "build-context", "dockerfile", "build-id", "build-timeout",
		"image", "image-credentials", "secret-set", "region", "min-agents", "max-agents", "agent-profile", "enable-managed-keys",
		"wait-for-ready", "wait-timeout", "api-url"}
	officialOutputs = []string{"build-id", "service-name"}
	pccDeployKeys   = []string{"agent_name", "image", "build_id", "image_credentials", "secret_set", "region", "agent_profile",
		"enable_krisp", "max_session_duration", "min_agents", "max_agents", "min_instances", "max_instances", "audio_filter",
		"websocket_auth", "context_dir", "dockerfile", "patterns", "registry", "registry_username", "registry_url", "auto_latest"}
)

// tableRows returns the rows of the Markdown table whose header starts
// with header, each as its cells.
func tableRows(t *testing.T, doc, header string) [][]string {
	t.Helper()
	i := strings.Index(doc, "\n"+header)
	if i < 0 {
		t.Fatalf("no table with header %q", header)
	}
	var rows [][]string
	for n, line := range strings.Split(doc[i+1:], "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		if n < 2 { // header and separator
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		rows = append(rows, cells)
	}
	return rows
}

var (
	namedRef = regexp.MustCompile("(inputs?|outputs?) `([a-z-]+)`(?:, `([a-z-]+)`)?")
	codeRef  = regexp.MustCompile("`([a-z_]+)`")
)

// TestMigrationTables: docs/migrating.md maps every input and output of
// the released official action, and no other (an input of an unmerged
// branch, such as max-session-duration, is not one a user has); every
// input or output it names on our side exists in action.yml; and its
// pcc-deploy.toml table names every key the CLI reads.
func TestMigrationTables(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "migrating.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	a, _ := readAction(t)
	var inputs, outputs []string
	for _, row := range tableRows(t, doc, "| `daily-co/pipecat-cloud-deploy-action@v2` | here |") {
		for _, m := range namedRef.FindAllStringSubmatch(row[0], -1) {
			for _, name := range m[2:] {
				if name == "" {
					continue
				}
				if strings.HasPrefix(m[1], "input") {
					inputs = append(inputs, name)
				} else {
					outputs = append(outputs, name)
				}
			}
		}
		for _, m := range namedRef.FindAllStringSubmatch(row[1], -1) {
			for _, name := range m[2:] {
				_, isInput := a.Inputs[name]
				_, isOutput := a.Outputs[name]
				if name != "" && (strings.HasPrefix(m[1], "input") && !isInput || strings.HasPrefix(m[1], "output") && !isOutput) {
					t.Errorf("row %q names %s %s, which action.yml does not declare", row[0], m[1], name)
				}
			}
		}
	}
	slices.Sort(inputs)
	slices.Sort(outputs)
	if diff := cmp.Diff(slices.Sorted(slices.Values(officialInputs)), inputs); diff != "" {
		t.Errorf("official action inputs in the table (-released +table):\n%s", diff)
	}
	if diff := cmp.Diff(slices.Sorted(slices.Values(officialOutputs)), outputs); diff != "" {
		t.Errorf("official action outputs in the table (-released +table):\n%s", diff)
	}

	var keys []string
	for _, row := range tableRows(t, doc, "| pcc-deploy.toml | pipecat.yaml |") {
		for _, m := range codeRef.FindAllStringSubmatch(row[0], -1) {
			keys = append(keys, m[1])
		}
	}
	for _, k := range pccDeployKeys {
		if !slices.Contains(keys, k) {
			t.Errorf("pcc-deploy.toml key %s is not in the table", k)
		}
	}
}
