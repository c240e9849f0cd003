package sandbox

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/cloud"
)

func logLines(t *testing.T, s *Server, query string) []string {
	t.Helper()
	out := decode[cloud.AgentLogsResponse](t, mustCall(t, s, "GET", "/v1/agents/bot/logs"+query, "", 200))
	lines := []string{}
	for _, l := range out.Logs {
		lines = append(lines, l.Log)
	}
	return lines
}

// TestAgentLogs: a deployment logs once it settles: a start-up when it is
// ready, a traceback per restart when its image fails; the log is newest
// first, scoped by deploymentId, and bounded by limit and offset.
func TestAgentLogs(t *testing.T) {
	s, clk := newTestServer(t, Options{ReadyDelay: 10 * time.Second})
	good := decode[cloud.ServiceDetails](t, mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:1"}`, 200)).DesiredDeploymentID
	if got := logLines(t, s, ""); len(got) != 0 {
		t.Errorf("a deployment that has not settled logged %q", got)
	}
	clk.Advance(10 * time.Second)
	if diff := cmp.Diff([]string{startupLog[3], startupLog[2]}, logLines(t, s, "?limit=2")); diff != "" {
		t.Errorf("newest two lines (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(startupLog, logLines(t, s, "?order=asc")); diff != "" {
		t.Errorf("oldest first (-want +got):\n%s", diff)
	}
	bad := decode[cloud.ServiceDetails](t, mustCall(t, s, "POST", "/v1/agents/bot", `{"image":"a/b:fail-crash"}`, 200)).DesiredDeploymentID
	clk.Advance(10 * time.Second)
	crash := logLines(t, s, "?deploymentId="+bad+"&limit=100")
	if len(crash) != len(crashLog)*(crashRestarts+1) || crash[0] != crashLog[len(crashLog)-1] {
		t.Errorf("crash log: %q", crash)
	}
	if diff := cmp.Diff(startupLog, logLines(t, s, "?deploymentId="+good+"&order=asc")); diff != "" {
		t.Errorf("the serving deployment's log (-want +got):\n%s", diff)
	}
	if got := logLines(t, s, "?offset=100"); len(got) != 0 {
		t.Errorf("past the end: %q", got)
	}
	for _, q := range []string{"?limit=0", "?limit=x", "?offset=-1", "?order=up"} {
		if code, body := call(t, s, "GET", "/v1/agents/bot/logs"+q, ""); code != 400 {
			t.Errorf("%s: %d %s", q, code, body)
		}
	}
	if code, _ := call(t, s, "GET", "/v1/agents/nobody/logs", ""); code != 404 {
		t.Errorf("logs of an unknown agent: %d", code)
	}
}

// TestPullFailure: an image of the fail-pull convention fails with
// ImagePullBackOff, an entry in errors[] and no log.
func TestPullFailure(t *testing.T) {
	s, clk := newTestServer(t, Options{ReadyDelay: 10 * time.Second})
	mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:fail-pull"}`, 200)
	if d := decode[cloud.ServiceDetails](t, mustCall(t, s, "GET", "/v1/agents/bot", "", 200)); len(d.Errors) != 0 {
		t.Errorf("errors before the deployment settled: %+v", d.Errors)
	}
	clk.Advance(10 * time.Second)
	d := decode[cloud.ServiceDetails](t, mustCall(t, s, "GET", "/v1/agents/bot", "", 200))
	want := []cloud.AgentError{{Code: "IMAGE_PULL_FAILED", Message: "Failed to pull image 'a/b:fail-pull': manifest unknown. Check the image name and tag, and the image pull secret set."}}
	if diff := cmp.Diff(want, d.Errors); diff != "" || d.Ready || d.CurrentRevision.Phase != "Failed" || d.CurrentRevision.Health.Reason != "ImagePullBackOff" {
		t.Errorf("errors (-want +got):\n%s\nready %v, revision %+v", diff, d.Ready, d.CurrentRevision)
	}
	if got := logLines(t, s, ""); len(got) != 0 {
		t.Errorf("an image never pulled logged %q", got)
	}
}

// TestCrashLoopBeforeFailed: a failing image crash-loops through the
// second half of its ready delay, its health saying so and its log
// growing by one traceback per start, before the revision is Failed.
func TestCrashLoopBeforeFailed(t *testing.T) {
	s, clk := newTestServer(t, Options{ReadyDelay: 60 * time.Second})
	mustCall(t, s, "POST", "/v1/agents", `{"serviceName":"bot","image":"a/b:fail-crash"}`, 200)
	for _, tt := range []struct {
		after         time.Duration
		phase, reason string
		restarts      int
		lines         int
	}{
		{29 * time.Second, "Creating", "", 0, 0},
		{30 * time.Second, "Validating", "CrashLoopBackOff", 0, 4},
		{40 * time.Second, "Validating", "CrashLoopBackOff", 1, 8},
		{60 * time.Second, "Failed", "CrashLoopBackOff", 3, 16},
	} {
		clk.Advance(tt.after - clk.Now().Sub(t0))
		d := decode[cloud.ServiceDetails](t, mustCall(t, s, "GET", "/v1/agents/bot", "", 200))
		rev := d.CurrentRevision
		reason, restarts := "", 0
		if rev.Health != nil {
			reason, restarts = rev.Health.Reason, rev.Health.RestartCount
		}
		if rev.Phase != tt.phase || reason != tt.reason || restarts != tt.restarts {
			t.Errorf("at %s: phase %s, reason %q, %d restarts", tt.after, rev.Phase, reason, restarts)
		}
		if n := len(logLines(t, s, "?limit=100")); n != tt.lines {
			t.Errorf("at %s: %d log lines, want %d", tt.after, n, tt.lines)
		}
	}
}
