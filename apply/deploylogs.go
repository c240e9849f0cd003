package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// Bounds of the deployment log a failed change carries: what a reviewer
// needs to see why, not the log.
const (
	deployLogLines   = 20
	deployLogLineMax = 300 // bytes of one line
)

// platformErrors is the agent's errors[] as one line, "" when none.
func platformErrors(d *cloud.ServiceDetails) string {
	var parts []string
	for _, e := range d.Errors {
		if t := e.Text(); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, "; ")
}

// deploymentLogs reads the end of the log of every change --wait saw fail
// or not become ready, scoped to its deployment, oldest line first. A log
// that cannot be read is noted, not fatal.
func (r *runner) deploymentLogs(ctx context.Context, items []*item) {
	var failed []*item
	for _, it := range items {
		if it.res.DeploymentID != "" && (it.res.ErrorCode == CodeDeploymentFailed || it.res.ErrorCode == CodeWaitTimeout) {
			failed = append(failed, it)
		}
	}
	if ctx.Err() != nil {
		return
	}
	r.each(ctx, failed, func(it *item) {
		entries, err := r.api.AgentLogs(ctx, it.c.Agent, cloud.LogQuery{Limit: deployLogLines, DeploymentID: it.res.DeploymentID})
		if err != nil {
			it.res.Note = joinNote(it.res.Note, fmt.Sprintf("its log could not be read: %v", err))
			return
		}
		it.res.Logs = logTail(entries, it.res.DeploymentID)
	}, nil)
}

// logTail turns the API's newest-first entries into the lines a result
// shows: oldest first, only deployment's (entries that name another are
// dropped, should the API not filter), each at most deployLogLineMax
// bytes.
func logTail(entries []cloud.LogEntry, deployment string) []string {
	var out []string
	for _, e := range entries {
		if e.DeploymentID != nil && *e.DeploymentID != "" && *e.DeploymentID != deployment {
			continue
		}
		out = append(out, clip(strings.TrimRight(e.Log, "\r\n"), deployLogLineMax))
	}
	if len(out) > deployLogLines {
		out = out[:deployLogLines]
	}
	slices.Reverse(out)
	return out
}

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
