package report

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
)

func TestProgressLines(t *testing.T) {
	var b strings.Builder
	p := NewProgress(&b, false, 2)
	p.Event(apply.Event{Agent: "bot", State: "creating"})
	p.Event(apply.Event{Agent: "bot", State: "waiting", Detail: "deployment d-1"})
	p.Event(apply.Event{Agent: "bot", State: "failed", Detail: "deployment d-1 failed: CrashLoopBackOff:\nTraceback"})
	want := "bot: creating\nbot: waiting (deployment d-1)\nbot: failed (deployment d-1 failed: CrashLoopBackOff:)\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("log lines (-want +got):\n%s", diff)
	}
}

func TestProgressLive(t *testing.T) {
	var b strings.Builder
	p := NewProgress(&b, true, 2)
	p.Event(apply.Event{Agent: "aa", State: "creating"})
	p.Event(apply.Event{Agent: "bb", State: "updating"})
	p.Event(apply.Event{Agent: "aa", State: "done"})
	want := "\x1b[2Kaa: creating\n" +
		"\x1b[1A\x1b[2Kaa: creating\n\x1b[2Kbb: updating\n" +
		"\x1b[2A\x1b[2Kaa: done\n\x1b[2Kbb: updating\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("live view (-want +got):\n%q", b.String())
	}
	// Too many agents for a screen: plain lines.
	b.Reset()
	NewProgress(&b, true, maxLiveRows+1).Event(apply.Event{Agent: "aa", State: "creating"})
	if b.String() != "aa: creating\n" {
		t.Errorf("large apply on a terminal = %q, want a log line", b.String())
	}
}
