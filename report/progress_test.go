package report

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
)

// fakeNow is a clock the test moves by hand.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time          { return f.t }
func (f *fakeNow) advance(d time.Duration) { f.t = f.t.Add(d) }

func TestProgressLines(t *testing.T) {
	var b strings.Builder
	p := NewProgress(&b, ProgressOptions{})
	p.Event(apply.Event{Agent: "bot", State: "creating"})
	p.Event(apply.Event{Agent: "bot", State: "waiting", Detail: "deployment d-1"})
	p.Event(apply.Event{Agent: "bot", State: "failed", Detail: "deployment d-1 failed: \x1b[31mCrashLoopBackOff:\nTraceback"})
	want := "bot: creating\nbot: waiting (deployment d-1)\nbot: failed (deployment d-1 failed: \\x1b[31mCrashLoopBackOff:)\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("log lines (-want +got):\n%s", diff)
	}
}

// TestProgressLogCounts: off a terminal, each phase's counts are written
// at most once per LogEvery, the first time LogEvery after the phase
// began; agent lines are written as they come.
func TestProgressLogCounts(t *testing.T) {
	clk := &fakeNow{t: time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)}
	var b strings.Builder
	p := NewProgress(&b, ProgressOptions{Now: clk.now})
	step := func(d time.Duration) { clk.advance(d); p.tick() }

	p.Refresh(0, 300)
	step(5 * time.Second) // too early
	p.Refresh(120, 300)
	step(5 * time.Second) // 10 s into the phase
	p.Refresh(200, 300)
	step(9 * time.Second) // 9 s after the last line
	step(time.Second)
	p.End()
	step(20 * time.Second) // between phases: nothing

	p.Apply(apply.Status{Stage: apply.StageApplying, Total: 200})
	p.Event(apply.Event{Agent: "bot", State: "creating"})
	p.Apply(apply.Status{Stage: apply.StageApplying, Done: 40, Failed: 2, Total: 200})
	step(10 * time.Second)
	deadline := clk.t.Add(3*time.Minute + 22*time.Second)
	p.Apply(apply.Status{Stage: apply.StageWaiting, Total: 200, Deadline: deadline})
	p.Apply(apply.Status{Stage: apply.StageWaiting, Done: 15, Failed: 1, Total: 200, Deadline: deadline})
	step(10 * time.Second)

	want := "refreshing 120/300\n" +
		"refreshing 200/300\n" +
		"bot: creating\n" +
		"applying 40/200, 2 failed\n" +
		"waiting 14/200 ready, 1 failed, 3m12s left\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
}

// TestProgressLive: on a terminal one status line is redrawn in place,
// final agent states and lines go above it, the ticker redraws the time
// left, and End clears it.
func TestProgressLive(t *testing.T) {
	clk := &fakeNow{t: time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)}
	var b strings.Builder
	p := NewProgress(&b, ProgressOptions{Live: true, Now: clk.now})
	const cr = "\r\x1b[2K" // back to the line's start and clear it
	var want strings.Builder

	p.Refresh(0, 2)
	p.Refresh(1, 2)
	want.WriteString(cr + "refreshing 0/2" + cr + "refreshing 1/2")
	p.End()
	want.WriteString(cr)
	p.End() // nothing on screen: nothing to clear

	deadline := clk.t.Add(5 * time.Minute)
	p.Apply(apply.Status{Stage: apply.StageWaiting, Total: 2, Deadline: deadline})
	want.WriteString(cr + "waiting 0/2 ready, 5m0s left")
	p.Event(apply.Event{Agent: "aa", State: "waiting", Detail: "Validating"}) // not final: the line tells
	p.Event(apply.Event{Agent: "aa", State: "done"})
	want.WriteString(cr + "aa: done\n" + cr + "waiting 0/2 ready, 5m0s left")
	p.Apply(apply.Status{Stage: apply.StageWaiting, Done: 1, Total: 2, Deadline: deadline})
	want.WriteString(cr + "waiting 1/2 ready, 5m0s left")
	clk.advance(1500 * time.Millisecond)
	p.tick()
	want.WriteString(cr + "waiting 1/2 ready, 4m59s left")
	p.Line("retrying in 30s: 429 Too Many Requests")
	want.WriteString(cr + "retrying in 30s: 429 Too Many Requests\n" + cr + "waiting 1/2 ready, 4m59s left")
	p.End()
	want.WriteString(cr)
	p.tick() // between phases: nothing

	if diff := cmp.Diff(want.String(), b.String()); diff != "" {
		t.Errorf("terminal output (-want +got):\n%s", diff)
	}
}

// TestProgressTicker: Start and Stop run and end the ticker goroutine;
// Stop clears the live line.
func TestProgressTicker(t *testing.T) {
	var b strings.Builder
	p := NewProgress(&b, ProgressOptions{Live: true})
	p.Start()
	p.Refresh(0, 1)
	p.Stop()
	if got := b.String(); !strings.HasPrefix(got, "\r\x1b[2Krefreshing 0/1") || !strings.HasSuffix(got, "\r\x1b[2K") {
		t.Errorf("output = %q, want the status line, then cleared", got)
	}
}

// TestProgressLogOnSchedule: ticks that arrive late do not push the
// schedule back, so no phase is silent longer than LogEvery plus one tick
// (a refresh of 600 slow agents logged at 11, 21, 31 and 42 s).
func TestProgressLogOnSchedule(t *testing.T) {
	clk := &fakeNow{t: time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)}
	start := clk.t
	var b strings.Builder
	p := NewProgress(&b, ProgressOptions{Now: clk.now})
	p.Refresh(0, 600)
	var at []time.Duration
	for _, d := range []time.Duration{10900, 20100, 30050, 40200} { // ms after the start
		clk.t = start.Add(d * time.Millisecond)
		before := b.Len()
		p.tick()
		if b.Len() > before {
			at = append(at, clk.t.Sub(start))
		}
	}
	want := []time.Duration{10900 * time.Millisecond, 20100 * time.Millisecond, 30050 * time.Millisecond, 40200 * time.Millisecond}
	if diff := cmp.Diff(want, at); diff != "" {
		t.Errorf("count lines logged at (-want +got):\n%s", diff)
	}
}
