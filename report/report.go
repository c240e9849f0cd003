// Package report renders a plan (package plan), an apply result (package
// apply) and a preview run (package preview) as terminal text, as a
// Markdown pull-request comment and as JSON, and draws the progress of a
// running plan or apply (progress.go).
//
//   - Rendering is pure: the same input gives the same bytes, and nothing
//     here reads the environment; the caller says whether to use colour and
//     passes what it knows of the run in Meta. The progress display alone
//     has state and a ticker, and writes only to the writer it is given.
//   - The JSON documents are exactly the JSON encoding of plan.Plan and
//     apply.Result, indented, with nothing else on the writer.
//   - A Markdown comment starts with Marker(config), is never longer than
//     MaxCommentSize bytes, and always keeps its headline counts, the name
//     of every agent to be deleted or replaced and of every agent whose
//     secrets, placement or build change. A plan with errors says first
//     that it cannot be applied.
//   - Secret sets are shown by key name only, and names, values and
//     messages from files and the API are escaped for the format (escape.go).
package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/apply"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// MaxCommentSize is GitHub's limit on a comment body (65,536 characters):
// the one definition the renderers and the comment command share.
// Markdown renderings are kept within this many bytes, which is stricter.
const MaxCommentSize = 65536

// Marker kinds, as ParseMarker reports them: the plan comment (validate
// writes to it too) and the apply result comment, which stands beside the
// plan comment rather than replacing it.
const (
	MarkerPlan  = "plan"
	MarkerApply = "apply"
)

// markerStart and markerEnd frame the hidden first line of a comment:
// "<!-- pipecat-gitops: PATH -->" for a plan,
// "<!-- pipecat-gitops apply: PATH -->" for an apply result.
const (
	markerStart = "<!-- pipecat-gitops"
	markerEnd   = " -->"
)

// Marker is the hidden first line of the plan comment for one config file;
// the comment command finds its own comment by it. A ">" in the path is
// written as "&gt;" so the path cannot close the HTML comment, and line
// breaks become spaces so the marker stays one line.
func Marker(config string) string {
	return markerStart + ": " + markerText(config) + markerEnd
}

// ApplyMarker is the hidden first line of the apply result comment for one
// config file, escaped as Marker is.
func ApplyMarker(config string) string {
	return markerStart + " " + MarkerApply + ": " + markerText(config) + markerEnd
}

// markerText is the path as a marker writes it: one line that cannot close
// the HTML comment or act on a terminal or a runner.
func markerText(config string) string { return terminalLine(markerPath.Replace(config)) }

// ParseMarker reads the first line of a comment body: the kind of marker
// (MarkerPlan or MarkerApply) and the path as the marker writes it (a ">"
// still as "&gt;"). ok is false for any line Marker and ApplyMarker cannot
// make, or whose path is blank.
func ParseMarker(line string) (kind, path string, ok bool) {
	rest, ok1 := strings.CutPrefix(line, markerStart)
	rest, ok2 := strings.CutSuffix(rest, markerEnd)
	if !ok1 || !ok2 {
		return "", "", false
	}
	if path, ok = strings.CutPrefix(rest, ": "); ok {
		kind = MarkerPlan
	} else if path, ok = strings.CutPrefix(rest, " "+MarkerApply+": "); ok {
		kind = MarkerApply
	} else if path, ok = strings.CutPrefix(rest, " "+MarkerPreview+": "); ok {
		kind = MarkerPreview
	}
	if !ok || strings.TrimSpace(path) == "" || strings.ContainsAny(path, ">\r\n") {
		return "", "", false
	}
	return kind, path, true
}

// CommitMarker is the hidden second line of an apply result comment: the
// commit the apply ran at. The comment command edits an apply comment only
// when both lines match, so a re-run of the same apply edits its comment
// and the apply of a later push to the same pull request adds its own.
func CommitMarker(sha string) string {
	return markerStart + " commit: " + sha + markerEnd
}

// ParseCommitMarker reads a line CommitMarker made; ok is false for any
// other line, and for a commit that is not a full SHA-1 or SHA-256 hex.
func ParseCommitMarker(line string) (sha string, ok bool) {
	rest, ok1 := strings.CutPrefix(line, markerStart+" commit: ")
	sha, ok2 := strings.CutSuffix(rest, markerEnd)
	if !ok1 || !ok2 || !IsFullSHA(sha) {
		return "", false
	}
	return sha, true
}

// IsFullSHA reports whether s is a full commit id: 40 (SHA-1) or 64
// (SHA-256) lower-case hex digits, as GITHUB_SHA and the API give them.
func IsFullSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}

var markerPath = strings.NewReplacer(">", "&gt;", "\r", " ", "\n", " ")

// Meta is what the caller knows of the run that made a plan or result; it
// goes into the Markdown footer.
type Meta struct {
	Config string    // marker path (already normalized by the caller)
	Commit string    // may be empty
	Time   time.Time // zero = omit
	RunURL string    // "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID" or empty
}

// TextOptions tune the terminal rendering.
type TextOptions struct {
	// Color turns on ANSI colours. The caller decides: a TTY and no
	// NO_COLOR.
	Color bool
}

// maxUnmanaged caps the list of unmanaged agents: they are named once, for
// information, and an organization may hold hundreds of them.
const maxUnmanaged = 20

// summarize counts p's changes and findings without trusting (or touching)
// p.Summary, so a hand-built plan renders the counts it really holds.
func summarize(p *plan.Plan) plan.Summary {
	q := *p
	q.Summarize()
	return q.Summary
}

// planCounts is the counts sentence shared by text and Markdown.
func planCounts(s plan.Summary) string {
	out := fmt.Sprintf("%d to create, %d to update, %d to replace, %d to delete, %d unchanged",
		s.Create, s.Update, s.Replace, s.Delete, s.NoOp)
	if s.Builds > 0 {
		out += fmt.Sprintf(", %s to run", plural(s.Builds, "cloud build"))
	}
	if s.Organization > 0 {
		out += fmt.Sprintf(", %s to change", plural(s.Organization, "organization property"))
	}
	return out
}

// countsText is the counts sentence of a result, shared by text and
// Markdown: "1 created, 2 updated, 0 replaced, 0 deleted, 0 failed".
func countsText(c apply.Counts) string {
	s := fmt.Sprintf("%d created, %d updated, %d replaced, %d deleted", c.Created, c.Updated, c.Replaced, c.Deleted)
	if c.AlreadyInPlace > 0 {
		s += fmt.Sprintf(", %d already in place", c.AlreadyInPlace)
	}
	s += fmt.Sprintf(", %d failed", c.Failed)
	if c.Unknown > 0 {
		s += fmt.Sprintf(", %d unknown", c.Unknown)
	}
	if c.Skipped > 0 {
		s += fmt.Sprintf(", %d skipped", c.Skipped)
	}
	if c.ReadinessUnknown > 0 {
		s += fmt.Sprintf(", %d readiness unknown", c.ReadinessUnknown)
	}
	return s
}

// interruptedNote says what an interrupted run's outcomes mean, naming
// only the kinds present.
func interruptedNote(c apply.Counts) string {
	var parts []string
	if c.Unknown > 0 {
		parts = append(parts, "changes listed as unknown were in flight and may have been applied (run plan to see)")
	}
	if c.ReadinessUnknown > 0 {
		parts = append(parts, "changes with readiness unknown were sent but not seen ready")
	}
	if c.Skipped > 0 || len(parts) == 0 {
		parts = append(parts, "changes listed as skipped were never started")
	}
	return "Apply was interrupted: " + strings.Join(parts, "; ") + "."
}

// sortedFindings returns the findings errors first, keeping plan order
// within each severity.
func sortedFindings(fs []plan.Finding) []plan.Finding {
	out := append([]plan.Finding(nil), fs...)
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Severity == plan.Error && out[j].Severity != plan.Error
	})
	return out
}

// position is "file:line:col" (or "file:line") for a finding, empty when
// it has no line. A finding without a file is in the plan's config.
func position(f plan.Finding, config string) string {
	if f.Line <= 0 {
		return ""
	}
	file := f.File
	if file == "" {
		file = config
	}
	if f.Col > 0 {
		return fmt.Sprintf("%s:%d:%d", file, f.Line, f.Col)
	}
	return fmt.Sprintf("%s:%d", file, f.Line)
}

// shortSHA is the 7-character form of a commit, as git and GitHub show it;
// anything but a hexadecimal SHA is left whole.
func shortSHA(s string) string {
	if len(s) > 7 && strings.Trim(strings.ToLower(s), "0123456789abcdef") == "" {
		return s[:7]
	}
	return s
}

// durationText rounds to milliseconds, which is as precise as a human needs.
func durationText(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}

// changed returns the changes that are not no-ops, in plan order.
func changed(p *plan.Plan) []plan.Change {
	var out []plan.Change
	for _, c := range p.Changes {
		if c.Action != plan.NoOp {
			out = append(out, c)
		}
	}
	return out
}

// targetLine says that a targeted plan covers only some agents, or is
// empty for a whole plan.
func targetLine(p *plan.Plan) string {
	if p.Target == nil {
		return ""
	}
	return fmt.Sprintf("Targeted plan: %d of %d agents (--target %s); the others are not compared.",
		p.Target.Agents, p.Target.Of, strings.Join(p.Options.Targets, ", "))
}
