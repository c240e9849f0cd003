package apply

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// TestLogTail: newest-first entries become oldest-first lines of the
// deployment only, at most deployLogLines, each at most deployLogLineMax
// bytes cut on a rune boundary.
func TestLogTail(t *testing.T) {
	dep, other := "d1", "d2"
	long := strings.Repeat("é", deployLogLineMax) // 2 bytes each
	entries := []cloud.LogEntry{
		{Log: "third\n", DeploymentID: &dep},
		{Log: "elsewhere", DeploymentID: &other},
		{Log: long},
		{Log: "first", DeploymentID: &dep},
	}
	got := logTail(entries, dep)
	want := []string{"first", strings.Repeat("é", deployLogLineMax/2) + "…", "third"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	var many []cloud.LogEntry
	for range deployLogLines + 5 {
		many = append(many, cloud.LogEntry{Log: "x"})
	}
	if n := len(logTail(many, dep)); n != deployLogLines {
		t.Errorf("%d lines, want %d", n, deployLogLines)
	}
}
