package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pipecat-gitops/pipecat-gitops/internal/httpcore"
	"github.com/pipecat-gitops/pipecat-gitops/report"
)

// Labels are the labels comment keeps on a pull request, one at a time.
var Labels = []string{"pipecat:changes", "pipecat:deletes", "pipecat:no-changes"}

// CommentOptions say what to post where. The event fields are what the
// runner provides (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_SHA).
type CommentOptions struct {
	Client *Client
	Body   string // first line: report.Marker or report.ApplyMarker of the config path
	PR     int    // pull request to comment on; 0 finds it from the event

	EventName string
	EventPath string
	SHA       string

	RunURL string // linked from the note on a body cut to size; may be ""
	Label  string // one of Labels to keep on the pull request; "" leaves labels alone
}

// CommentResult says what Comment did.
type CommentResult struct {
	Action    string // "created", "updated" or "unchanged"
	CommentID int64
	URL       string
	PR        int    // the pull request commented on, or 0
	SHA       string // the commit commented on when there is no pull request
	Truncated bool   // the body was cut to report.MaxCommentSize characters
	// LabelsAdded and LabelsRemoved are the label changes made.
	LabelsAdded, LabelsRemoved []string
	// Author is the login whose comments may be edited ("" if none was
	// needed); IdentityErr says why it is FallbackLogin when the token's
	// identity could not be read.
	Author      string
	IdentityErr error
}

// FallbackLogin is whose comments are edited when the token's identity
// cannot be read: the user of a workflow's GITHUB_TOKEN.
const FallbackLogin = "github-actions[bot]"

// author returns the token's login, reading it once.
func (r *CommentResult) author(ctx context.Context, c *Client) string {
	if r.Author == "" {
		r.Author, r.IdentityErr = c.Viewer(ctx)
		if r.IdentityErr != nil {
			r.Author = FallbackLogin
		}
	}
	return r.Author
}

// Target names where the comment went: "PR 7" or "commit 0123abc".
func (r CommentResult) Target() string {
	if r.PR != 0 {
		return fmt.Sprintf("PR %d", r.PR)
	}
	sha := r.SHA
	if len(sha) > 7 {
		sha = sha[:7]
	}
	return "commit " + sha
}

// PermissionError is a 403 or 404 from GitHub: the token may not write
// where the comment goes, which is what pull requests from forks always
// get. Callers report it as a warning, not a failure.
type PermissionError struct {
	Permission string // the workflow permission that is missing, e.g. "pull-requests: write"
	Err        *APIError
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("%s (GitHub answered %d %s); the workflow needs the %q permission; pull requests from forks only get a read-only token",
		e.Err.Method+" "+e.Err.Path, e.Err.StatusCode, e.Err.Message, e.Permission)
}

func (e *PermissionError) Unwrap() error { return e.Err }

// Comment creates or edits the one comment carrying the body's marker
// line: on the pull request given or found from the event, else on the
// commit. Only a comment by the token's own user (Client.Viewer, else
// FallbackLogin) is edited; a marker in anyone else's comment is ignored.
// An edit whose body would not change is not sent; a create whose answer
// was lost is looked for before it is posted again. The returned
// error is a *PermissionError when GitHub refused access; the result is
// still filled in when the comment was posted and only the labels failed.
func Comment(ctx context.Context, opts CommentOptions) (CommentResult, error) {
	var res CommentResult
	marker, _, _ := strings.Cut(opts.Body, "\n")
	marker = strings.TrimRight(marker, "\r")
	if _, _, ok := report.ParseMarker(marker); !ok {
		return res, fmt.Errorf("comment body: first line must be the marker %q, got %q", report.Marker("PATH"), clip(marker, 80))
	}
	if opts.Label != "" && !slices.Contains(Labels, opts.Label) {
		return res, fmt.Errorf("label %q: want one of %s", opts.Label, strings.Join(Labels, ", "))
	}
	body, cut := Truncate(opts.Body, report.MaxCommentSize, opts.RunURL)
	res.Truncated = cut

	pr, sha, err := findTarget(ctx, opts)
	if err != nil {
		return res, err
	}
	res.PR, res.SHA = pr, sha

	var (
		list   func() ([]PostedComment, error)
		create func() (PostedComment, error)
		edit   func(id int64) (PostedComment, error)
		perm   string
	)
	c := opts.Client
	if pr != 0 {
		perm = "pull-requests: write"
		list = func() ([]PostedComment, error) { return c.ListIssueComments(ctx, pr) }
		create = func() (PostedComment, error) { return c.CreateIssueComment(ctx, pr, body) }
		edit = func(id int64) (PostedComment, error) { return c.EditIssueComment(ctx, id, body) }
	} else {
		perm = "contents: write"
		list = func() ([]PostedComment, error) { return c.ListCommitComments(ctx, sha) }
		create = func() (PostedComment, error) { return c.CreateCommitComment(ctx, sha, body) }
		edit = func(id int64) (PostedComment, error) { return c.EditCommitComment(ctx, id, body) }
	}

	// find returns the oldest comment of ours carrying the marker: it
	// keeps its place in the thread. Anyone may write the marker; only
	// the token's own comments are edited. Who that is, is asked only
	// when a marker is there.
	find := func(cs []PostedComment) *PostedComment {
		for i := range cs {
			first, _, _ := strings.Cut(cs[i].Body, "\n")
			if strings.TrimRight(first, "\r") == marker && strings.EqualFold(cs[i].User.Login, res.author(ctx, c)) {
				return &cs[i]
			}
		}
		return nil
	}
	existing, err := list()
	if err != nil {
		return res, permission(err, perm)
	}
	found := find(existing)
	var posted PostedComment
	switch {
	case found == nil:
		posted, err = createOnce(create, list, find)
		res.Action = "created"
	case found.Body == body:
		posted = *found
		res.Action = "unchanged"
	default:
		posted, err = edit(found.ID)
		res.Action = "updated"
	}
	if err != nil {
		res.Action = ""
		return res, permission(err, perm)
	}
	res.CommentID, res.URL = posted.ID, posted.HTMLURL

	if opts.Label != "" && pr != 0 {
		res.LabelsAdded, res.LabelsRemoved, err = keepLabel(ctx, c, pr, opts.Label)
		if err != nil {
			return res, permission(err, "pull-requests: write")
		}
	}
	return res, nil
}

// createOnce posts a comment without ever posting it twice. When an
// answer is lost after GitHub may have stored the comment, a blind retry
// would duplicate it; the comments are listed again instead, and the
// comment is posted again only if it is not there.
func createOnce(create func() (PostedComment, error), list func() ([]PostedComment, error), find func([]PostedComment) *PostedComment) (PostedComment, error) {
	const tries = 3
	for try := 1; ; try++ {
		posted, err := create()
		if try == tries || !errors.Is(err, httpcore.ErrUnknownOutcome) {
			return posted, err
		}
		again, lerr := list()
		if lerr != nil {
			return posted, fmt.Errorf("%w; looking for it: %w", err, lerr)
		}
		if f := find(again); f != nil {
			return *f, nil
		}
	}
}

func permission(err error, perm string) error {
	var apiErr *APIError
	if errors.As(err, &apiErr) && !apiErr.RateLimited &&
		(apiErr.StatusCode == http.StatusForbidden || apiErr.StatusCode == http.StatusNotFound) {
		return &PermissionError{Permission: perm, Err: apiErr}
	}
	return err
}

// keepLabel puts label on pull request pr and takes the other Labels off.
func keepLabel(ctx context.Context, c *Client, pr int, label string) (added, removed []string, err error) {
	have, err := c.IssueLabels(ctx, pr)
	if err != nil {
		return nil, nil, err
	}
	if !slices.Contains(have, label) {
		if err := c.AddIssueLabels(ctx, pr, []string{label}); err != nil {
			return nil, nil, err
		}
		added = append(added, label)
	}
	for _, l := range Labels {
		if l != label && slices.Contains(have, l) {
			if err := c.RemoveIssueLabel(ctx, pr, l); err != nil {
				return added, removed, err
			}
			removed = append(removed, l)
		}
	}
	return added, removed, nil
}

// findTarget returns the pull request to comment on, or else the commit.
func findTarget(ctx context.Context, opts CommentOptions) (pr int, sha string, err error) {
	if opts.PR > 0 {
		return opts.PR, "", nil
	}
	if opts.EventPath != "" {
		ev, err := ReadEvent(opts.EventPath)
		if err != nil {
			return 0, "", err
		}
		if ev.PullRequest != 0 {
			return ev.PullRequest, "", nil
		}
	}
	if opts.SHA == "" {
		return 0, "", errors.New("no pull request or commit to comment on: pass --pr, or run in a pull_request or push workflow")
	}
	if opts.EventName == "push" {
		prs, err := opts.Client.PullRequestsForCommit(ctx, opts.SHA)
		if err != nil {
			return 0, "", permission(err, "pull-requests: write")
		}
		if n := mergedPR(prs, opts.SHA); n != 0 {
			return n, "", nil
		}
	}
	return 0, opts.SHA, nil
}

// mergedPR picks the pull request whose merge made commit sha, else any
// merged one listed; open pull requests that merely contain the commit do
// not count (the apply ran on a branch, not from their merge).
func mergedPR(prs []PullRequest, sha string) int {
	for _, p := range prs {
		if p.MergedAt != nil && p.MergeCommitSHA == sha {
			return p.Number
		}
	}
	for _, p := range prs {
		if p.MergedAt != nil {
			return p.Number
		}
	}
	return 0
}

// Event is the part of the workflow's event payload that comment uses.
type Event struct {
	PullRequest int // the pull request number, 0 when the event has none
}

// ReadEvent reads the event payload at path ($GITHUB_EVENT_PATH). The
// pull_request* events carry pull_request.number; issue_comment events on
// a pull request carry issue.number with an issue.pull_request object.
func ReadEvent(path string) (Event, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Event{}, fmt.Errorf("read event: %w", err)
	}
	var raw struct {
		PullRequest *struct {
			Number int `json:"number"`
		} `json:"pull_request"`
		Issue *struct {
			Number      int             `json:"number"`
			PullRequest json.RawMessage `json:"pull_request"`
		} `json:"issue"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return Event{}, fmt.Errorf("read event %s: %w", path, err)
	}
	switch {
	case raw.PullRequest != nil:
		return Event{PullRequest: raw.PullRequest.Number}, nil
	case raw.Issue != nil && len(raw.Issue.PullRequest) > 0 && string(raw.Issue.PullRequest) != "null":
		return Event{PullRequest: raw.Issue.Number}, nil
	}
	return Event{}, nil
}

// Truncate cuts body to at most limit characters (runes), at a line end
// when one is near, closes a code fence or <details> block left open by
// the cut, and ends with a note linking runURL (if given). The renderer
// already tries to stay under the limit; this is the last guard.
func Truncate(body string, limit int, runURL string) (string, bool) {
	if utf8.RuneCountInString(body) <= limit {
		return body, false
	}
	note := fmt.Sprintf("\n\n> [!WARNING]\n> This comment was cut to fit GitHub's limit of %d characters.", limit)
	if runURL != "" {
		note += " The full output is in the [workflow run](" + runURL + ")."
	}
	note += "\n"
	keep := limit - utf8.RuneCountInString(note)
	for keep > 0 {
		head := string([]rune(body)[:keep])
		if i := strings.LastIndexByte(head, '\n'); i > len(head)-2000 && i > 0 {
			head = head[:i]
		}
		head += closers(head)
		if out := head + note; utf8.RuneCountInString(out) <= limit {
			return out, true
		}
		keep -= 256 // the closers did not fit; make room for them
	}
	return note, true
}

// closers returns what closes a fenced code block and <details> blocks
// that head leaves open.
func closers(head string) string {
	var s string
	fences := 0
	for _, line := range strings.Split(head, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fences++
		}
	}
	if fences%2 == 1 {
		s += "\n```"
	}
	for range strings.Count(head, "<details") - strings.Count(head, "</details>") {
		s += "\n</details>"
	}
	return s
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "..."
}
