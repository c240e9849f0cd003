package report

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
)

// ProgressLine is one change of state of one agent during apply, as the
// log line written when stderr is not a terminal:
// "voice-starter: waiting (deployment 3f2a…)". Only the first line of a
// multi-line detail is shown; the result has the rest. Agent names and
// details are escaped as TerminalText does.
func ProgressLine(ev apply.Event) string {
	line := terminalLine(ev.Agent) + ": " + terminalLine(ev.State)
	if d, _, _ := strings.Cut(ev.Detail, "\n"); d != "" {
		line += " (" + terminalLine(strings.TrimSuffix(d, "\r")) + ")"
	}
	return line
}

// maxLiveRows bounds the live view: a block taller than a terminal cannot
// be redrawn in place, so larger applies fall back to log lines.
const maxLiveRows = 40

// Progress writes apply progress: one ProgressLine per event, or, on a
// terminal, a live block with one row per agent redrawn in place. It is
// safe for concurrent use.
type Progress struct {
	w    io.Writer
	live bool

	mu     sync.Mutex
	order  []string
	rows   map[string]string
	height int
}

// NewProgress returns a progress writer for changes agents; live asks for
// the in-place view (the caller knows whether w is a terminal).
func NewProgress(w io.Writer, live bool, changes int) *Progress {
	return &Progress{w: w, live: live && changes <= maxLiveRows, rows: map[string]string{}}
}

// Event records one event and writes it.
func (p *Progress) Event(ev apply.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.live {
		fmt.Fprintln(p.w, ProgressLine(ev))
		return
	}
	if _, seen := p.rows[ev.Agent]; !seen {
		p.order = append(p.order, ev.Agent)
	}
	p.rows[ev.Agent] = ProgressLine(ev)
	var b strings.Builder
	if p.height > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.height) // back to the top of the block
	}
	for _, a := range p.order {
		b.WriteString("\x1b[2K" + p.rows[a] + "\n") // clear the row, then write it
	}
	p.height = len(p.order)
	io.WriteString(p.w, b.String())
}
