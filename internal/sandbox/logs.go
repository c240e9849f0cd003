package sandbox

// Agent logs: GET /v1/agents/{name}/logs, computed from the agent's
// deployments and the clock like its readiness. A deployment that becomes
// ready logs a uvicorn start-up; one of the failing-image convention
// (fail*) logs a Python traceback once per start, from the middle of its
// ready delay (Validating, crash-looping) until it is marked Failed, and one whose tag
// starts with "fail-pull" logs nothing: its image is never pulled, which
// the agent's errors[] report (see agentErrors). Only the latest
// deployment and the one serving before it are remembered, so older
// deployments' lines are gone, as a log retention would lose them.

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

// Lines of the emulated logs.
var (
	startupLog = []string{
		"INFO:     Started server process [1]",
		"INFO:     Waiting for application startup.",
		"INFO:     Application startup complete.",
		"INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)",
	}
	crashLog = []string{
		"Traceback (most recent call last):",
		`  File "/app/bot.py", line 3, in <module>`,
		"    from pipecat.pipeline.pipeline import Pipeline",
		"ModuleNotFoundError: No module named 'pipecat'",
	}
)

// crashRestarts is the restart count of a failing revision (its health
// says so too); its log holds one crash per start.
const crashRestarts = 3

// pullFailing reports whether image follows the never-pulled convention:
// a tag that starts with "fail-pull".
func pullFailing(image string) bool {
	_, tag, digest, _ := parseReference(image)
	return digest == "" && strings.HasPrefix(tag, "fail-pull")
}

// agentErrors are the platform's errors of an agent at now: an image of
// the fail-pull convention, once its deployment settles.
func agentErrors(a *Agent, now time.Time) []cloud.AgentError {
	if now.Before(a.Deployment.ReadyAt) || !pullFailing(a.Spec.Image) {
		return nil
	}
	return []cloud.AgentError{{Code: "IMAGE_PULL_FAILED",
		Message: fmt.Sprintf("Failed to pull image '%s': manifest unknown. Check the image name and tag, and the image pull secret set.", a.Spec.Image)}}
}

// logEntry is one emulated line with its time.
type logEntry struct {
	at         time.Time
	line, depl string
}

// crashAt is when a failing deployment's start k (0 to crashRestarts)
// crashes: from the middle of its ready delay (Validating) to its end,
// evenly; all at once without a delay.
func crashAt(dep Deployment, k int) time.Time {
	validating := dep.CreatedAt.Add(dep.ReadyAt.Sub(dep.CreatedAt) / 2)
	return validating.Add(dep.ReadyAt.Sub(validating) * time.Duration(k) / crashRestarts)
}

// crashesBy is how many times a deployment of image has crashed by now:
// 0 unless image follows the fail* convention (and is pulled).
func crashesBy(dep Deployment, image string, now time.Time) int {
	if !failing(image) || pullFailing(image) {
		return 0
	}
	n := 0
	for k := 0; k <= crashRestarts && !now.Before(crashAt(dep, k)); k++ {
		n++
	}
	return n
}

// deploymentLog is what deployment dep of image wrote by now: a start-up
// once it is ready, or a traceback per crash.
func deploymentLog(dep Deployment, image string, now time.Time) []logEntry {
	var out []logEntry
	// Microseconds apart, so the order is the order written.
	write := func(at time.Time, lines []string) {
		for i, l := range lines {
			out = append(out, logEntry{at: at.Add(time.Duration(i) * time.Microsecond), line: l, depl: dep.ID})
		}
	}
	switch {
	case pullFailing(image):
	case failing(image):
		for k := range crashesBy(dep, image, now) {
			write(crashAt(dep, k).Add(time.Duration(k)*time.Duration(len(crashLog))*time.Microsecond), crashLog)
		}
	case !now.Before(dep.ReadyAt):
		write(dep.ReadyAt, startupLog)
	}
	return out
}

func (s *Server) getAgentLogs(res *response, r *http.Request, name string) {
	q := r.URL.Query()
	limit, offset := 10, 0
	for _, p := range []struct {
		name string
		v    *int
		min  int
	}{{"limit", &limit, 1}, {"offset", &offset, 0}} {
		if raw := q.Get(p.name); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < p.min {
				res.fail(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("Invalid %s '%s'", p.name, raw))
				return
			}
			*p.v = n
		}
	}
	order := q.Get("order")
	if order != "" && order != "asc" && order != "desc" {
		res.fail(http.StatusBadRequest, codeBadRequest, fmt.Sprintf("Invalid order '%s'. Valid values are: asc, desc.", order))
		return
	}
	deployment := q.Get("deploymentId")

	s.lock(res)
	defer s.mu.Unlock()
	a := s.state.Agents[name]
	if a == nil {
		res.fail(http.StatusNotFound, codeNotFound, "Not found")
		return
	}
	now := s.now()
	entries := deploymentLog(a.Deployment, a.Spec.Image, now)
	if a.Serving != nil {
		// It became ready, so it served its start-up.
		entries = append(entries, deploymentLog(*a.Serving, "", now)...)
	}
	var kept []logEntry
	for _, e := range entries {
		if deployment == "" || e.depl == deployment {
			kept = append(kept, e)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool {
		if order == "asc" {
			return kept[i].at.Before(kept[j].at)
		}
		return kept[i].at.After(kept[j].at)
	})
	out := cloud.AgentLogsResponse{Total: &cloud.LogTotal{Value: len(kept), Relation: "eq"}, Logs: []cloud.LogEntry{}}
	for i := offset; i < len(kept) && i < offset+limit; i++ {
		e := kept[i]
		out.Logs = append(out.Logs, cloud.LogEntry{Log: e.line, Timestamp: e.at.UTC().Format(time.RFC3339Nano), DeploymentID: &e.depl})
	}
	res.json(http.StatusOK, out)
}
