package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
)

// ProgressLine is one change of state of one agent during apply, as the
// log line written when stderr is not a terminal:
// "voice-starter: waiting (deployment 3f2a…)". Only the first line of a
// multi-line detail is shown; the result has the rest. Agent names and
// details are escaped as TerminalText does.
//
// A build's event names the build and its agents:
// "build agents/bot (a1b2c3d4) for bot, twin: uploading (4096 bytes)".
func ProgressLine(ev apply.Event) string {
	line := terminalLine(ev.Agent) + ": " + terminalLine(ev.State)
	if ev.Build != "" {
		line = "build " + terminalLine(ev.Build) + " for " + line
	}
	if d, _, _ := strings.Cut(ev.Detail, "\n"); d != "" {
		line += " (" + terminalLine(strings.TrimSuffix(d, "\r")) + ")"
	}
	return line
}

// DefaultLogEvery is how often, at most, a phase's counts are logged when
// the output is not a terminal.
const DefaultLogEvery = 10 * time.Second

// ProgressOptions tune a Progress.
type ProgressOptions struct {
	// Live asks for the in-place status line; the caller knows whether the
	// writer is a terminal.
	Live bool
	// Now is the clock; nil means time.Now. Tests move it by hand.
	Now func() time.Time
	// LogEvery spaces the count lines of log mode; < 1 means
	// DefaultLogEvery.
	LogEvery time.Duration
}

// Progress shows how the long phases of plan and apply advance
// (refreshing, applying, waiting, deleting, verifying), so that no phase
// is silent however long it takes.
//
// On a terminal (Live) it keeps one status line at the bottom, redrawn in
// place on every change and every second ("applying 40/200", "waiting
// 14/200 ready, 3m12s left"), and prints above it each agent's final state
// and every Line. Elsewhere (CI logs) it prints every agent's change of
// state and every Line as it happens, and the phase's counts every
// LogEvery after the phase began, on a schedule that does not drift (a
// short phase writes none).
//
// Its methods are safe for concurrent use. Start runs the ticker; without
// it (in tests) nothing happens between calls but what tick does.
type Progress struct {
	w        io.Writer
	live     bool
	now      func() time.Time
	logEvery time.Duration

	mu       sync.Mutex
	stage    string // "" between phases
	done     int
	total    int
	failed   int
	deadline time.Time
	started  time.Time // shown as elapsed time when set
	lastLog  time.Time // log mode: when counts were last written (or the stage began)
	shown    bool      // live mode: a status line is on screen

	stop    chan struct{}
	stopped chan struct{}
}

// NewProgress returns a progress display writing to w.
func NewProgress(w io.Writer, o ProgressOptions) *Progress {
	p := &Progress{w: w, live: o.Live, now: o.Now, logEvery: o.LogEvery}
	if p.now == nil {
		p.now = time.Now
	}
	if p.logEvery < 1 {
		p.logEvery = DefaultLogEvery
	}
	return p
}

// Start runs the ticker that redraws the live line every second (for the
// time left) and writes the log mode's count lines. Stop ends it.
func (p *Progress) Start() {
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.stopped)
		// A quarter second: the log's schedule is kept within that, and
		// the live line's seconds move on time.
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.tick()
			}
		}
	}()
}

// Stop ends the ticker, if started, and the phase under way.
func (p *Progress) Stop() {
	if p.stop != nil {
		close(p.stop)
		<-p.stopped
		p.stop = nil
	}
	p.End()
}

// Refresh follows plan.Refresh: done of total detail reads.
func (p *Progress) Refresh(done, total int) {
	p.update("refreshing", done, total, 0, time.Time{}, time.Time{})
}

// Apply follows apply.Run's stages.
func (p *Progress) Apply(s apply.Status) {
	p.update(s.Stage, s.Done, s.Total, s.Failed, s.Deadline, s.Started)
}

// Event writes one agent's change of state: every change in log mode, the
// final ones (done, failed, unknown) on a terminal, where the status line
// tells the rest.
func (p *Progress) Event(ev apply.Event) {
	if p.live && ev.State != "done" && ev.State != "failed" && ev.State != "unknown" {
		return
	}
	p.line(ProgressLine(ev))
}

// Line writes one line of its own (a retry wait of the API client, say)
// above the live status line, on one line escaped as TerminalLine does:
// it may carry text from the network.
func (p *Progress) Line(s string) { p.line(terminalLine(s)) }

func (p *Progress) line(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live && p.shown {
		io.WriteString(p.w, "\r\x1b[2K"+s+"\n"+p.statusLocked())
		return
	}
	io.WriteString(p.w, s+"\n")
}

// End ends the phase under way: the live line is cleared, so that what
// follows (the plan, a prompt, the result) starts on a clean line.
func (p *Progress) End() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		io.WriteString(p.w, "\r\x1b[2K")
		p.shown = false
	}
	p.stage = ""
}

func (p *Progress) update(stage string, done, total, failed int, deadline, started time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	begins := stage != p.stage
	p.stage, p.done, p.total, p.failed, p.deadline, p.started = stage, done, total, failed, deadline, started
	if p.live {
		p.drawLocked()
		return
	}
	if begins {
		p.lastLog = p.now()
	}
}

// tick is the ticker's work: the live line's countdown, or the log mode's
// count line when LogEvery has passed.
func (p *Progress) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stage == "" {
		return
	}
	if p.live {
		if !p.deadline.IsZero() || !p.started.IsZero() { // only times move by themselves
			p.drawLocked()
		}
		return
	}
	if now := p.now(); now.Sub(p.lastLog) >= p.logEvery {
		// On schedule, not from now: ticks arrive late, and lateness
		// must not add up into a silence longer than LogEvery.
		p.lastLog = p.lastLog.Add(p.logEvery)
		if now.Sub(p.lastLog) >= p.logEvery { // the machine stalled
			p.lastLog = now
		}
		io.WriteString(p.w, p.statusText()+"\n")
	}
}

func (p *Progress) drawLocked() {
	if p.stage == "" {
		return
	}
	p.shown = true
	io.WriteString(p.w, p.statusLocked())
}

// statusLocked is the live line, drawn over whatever the line held.
func (p *Progress) statusLocked() string {
	return "\r\x1b[2K" + p.statusText()
}

// statusText is the counts of the phase: "refreshing 120/300", "applying
// 40/200, 2 failed", "waiting 14/200 ready, 3m12s left".
func (p *Progress) statusText() string {
	s := fmt.Sprintf("%s %d/%d", p.stage, p.done, p.total)
	if p.stage == apply.StageWaiting || p.stage == apply.StageWaitingSecretSets {
		s = fmt.Sprintf("%s %d/%d ready", p.stage, p.done-p.failed, p.total)
	}
	if p.failed > 0 {
		s += fmt.Sprintf(", %d failed", p.failed)
	}
	if !p.deadline.IsZero() {
		left := max(p.deadline.Sub(p.now()), 0).Round(time.Second)
		s += ", " + left.String() + " left"
	}
	if !p.started.IsZero() {
		s += ", " + max(p.now().Sub(p.started), 0).Round(time.Second).String() + " elapsed"
	}
	return s
}
