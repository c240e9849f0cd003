package apply_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/internal/sandbox"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// TestCrashLoopLogs: a deployment still crash-looping (Validating, not yet
// Failed) when --wait gives up fails WAIT_TIMEOUT with the crashes of its
// own log so far, oldest first; one that fails brings its whole tail.
func TestCrashLoopLogs(t *testing.T) {
	now, advance := manualClock()
	e := newEnv(t, sandbox.Options{Now: now, ReadyDelay: time.Hour})
	// Once sent, 40 minutes pass: two crashes (at 30 and 40 minutes).
	api := &hooked{Client: e.client, afterChange: func(string) { advance(40 * time.Minute) }}
	cfg := &schema.Config{File: "pipecat.yaml", Agents: []schema.Agent{{Name: "bot", Spec: schema.Spec{Image: sp("acme/bot:fail-crash")}}}}
	res := run(t, context.Background(), api, e.plan(t, cfg), apply.Options{Wait: true, WaitTimeout: time.Nanosecond})
	r := res.Results[0]
	if r.ErrorCode != apply.CodeWaitTimeout {
		t.Fatalf("result %+v, want WAIT_TIMEOUT", r)
	}
	want := []string{"Traceback (most recent call last):", `  File "/app/bot.py", line 3, in <module>`,
		"    from pipecat.pipeline.pipeline import Pipeline", "ModuleNotFoundError: No module named 'pipecat'"}
	if diff := cmp.Diff(append(want, want...), r.Logs); diff != "" {
		t.Errorf("logs (-want +got):\n%s", diff)
	}

	// Failed at once (no delay): the last 20 lines of four crashes.
	e = newEnv(t, sandbox.Options{})
	res = run(t, context.Background(), e.client, e.plan(t, cfg), apply.Options{Wait: true, WaitTimeout: time.Minute})
	r = res.Results[0]
	if r.ErrorCode != apply.CodeDeploymentFailed || len(r.Logs) != 16 || !strings.HasPrefix(r.Error, "deployment "+r.DeploymentID+" failed: CrashLoopBackOff") {
		t.Errorf("result %+v", r)
	}
}
