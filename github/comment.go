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

// The labels comment keeps on a pull request, one at a time: a plan that
// deletes or replaces an agent, one with other changes, one with none.
const (
	LabelChanges   = "pipecat:changes"
	LabelDeletes   = "pipecat:deletes"
	LabelNoChanges = "pipecat:no-changes"
)

// Labels are every label comment keeps.
var Labels = []string{LabelChanges, LabelDeletes, LabelNoChanges}

// CommentOptions say what to post where. The event fields are what the
// runner provides (GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_SHA,
// GITHUB_RUN_ID, GITHUB_REF_NAME).
type CommentOptions struct {
	Client *Client
	// Body's first line is report.Marker or report.ApplyMarker of the
	// config path; an apply result's second line may be
	// report.CommitMarker (else SHA is taken, see Comment).
	Body string
	PR   int // pull request to comment on; 0 finds it from the event

	EventName string
	EventPath string
	SHA       string
	// RunID and Branch find the workflow's last successful apply on a
	// push (see Comment); without them the push event's before is used.
	RunID  int64
	Branch string
	// OwnOnly posts an apply result on its own pull request only. An
	// apply of a saved plan carries nothing but that plan, so the note on
	// earlier merges would not be true.
	OwnOnly bool

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

	// Merges is set for an apply result on a push: the pull requests
	// merged since the last successful apply, and what was posted there.
	Merges *Merges
}

// Merges are the pull requests an apply on a push carried besides its own:
// those merged since the last successful apply, whose own apply GitHub's
// concurrency group may have dropped for this one.
type Merges struct {
	Since     string // commit of the last successful apply; "" if none was found
	SinceFrom string // where Since came from: "the last successful run N" or "the push's before"
	// Carried are the comments posted on those pull requests, oldest
	// merge first.
	Carried []CarriedComment
	// Unplanned are those pull requests without a plan comment of ours
	// for the config: they did not touch it, so they get no comment.
	Unplanned []int
	// Warnings say why pull requests merged since the last successful
	// apply may not have been told; the apply comment itself was posted.
	Warnings []error
}

// CarriedComment is the apply comment posted on a pull request the apply
// carried.
type CarriedComment struct {
	PR        int
	Action    string // "created", "updated" or "unchanged"
	CommentID int64
	URL       string
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
	return "commit " + short(r.SHA)
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// PermissionError is a 403 or 404 from GitHub: the token may not do what
// was asked, which is what pull requests from forks always get. Callers
// report it as a warning, not a failure.
type PermissionError struct {
	Permission string // the workflow permission that is missing, e.g. "pull-requests: write"
	Err        *APIError
}

func (e *PermissionError) Error() string {
	msg := fmt.Sprintf("%s (GitHub answered %d %s); the workflow needs the %q permission",
		e.Err.Method+" "+e.Err.Path, e.Err.StatusCode, e.Err.Message, e.Permission)
	if e.Permission == permPR {
		msg += "; pull requests from forks only get a read-only token"
	}
	return msg
}

func (e *PermissionError) Unwrap() error { return e.Err }

// The workflow permissions the calls need.
const (
	permPR      = "pull-requests: write"
	permCommit  = "contents: write"
	permActions = "actions: read"
)

// Comment creates or edits the one comment of ours that carries the body's
// key: on the pull request given or found from the event, else on the
// commit. The key is the marker line; for an apply result it is the marker
// and the commit line (report.CommitMarker, inserted from SHA when the
// body has none), so the apply comment stands beside the plan comment, a
// re-run of the same apply edits it, and the apply of a later push to the
// same pull request adds its own. Only a comment by the token's own user
// (Client.Viewer, else FallbackLogin) is edited; a marker in anyone else's
// comment is ignored. An edit whose body would not change is not sent; a
// create whose answer was lost is looked for before it is posted again.
//
// An apply result on a push (no PR given) also goes to every pull request
// merged since the last successful apply (see Merges), with a note naming
// the apply that carried it. The returned error is a *PermissionError when
// GitHub refused access; the result is still filled in when the comment
// was posted and only the labels failed.
func Comment(ctx context.Context, opts CommentOptions) (CommentResult, error) {
	var res CommentResult
	kind, path, body, err := prepareBody(opts.Body, opts.SHA)
	if err != nil {
		return res, err
	}
	if opts.Label != "" && !slices.Contains(Labels, opts.Label) {
		return res, fmt.Errorf("label %q: want one of %s", opts.Label, strings.Join(Labels, ", "))
	}
	var ev Event
	if opts.PR == 0 && opts.EventPath != "" {
		if ev, err = ReadEvent(opts.EventPath); err != nil {
			return res, err
		}
	}
	key := commentKey(body)
	c := opts.Client
	mine := func(cs []PostedComment) *PostedComment {
		for i := range cs {
			if commentKey(cs[i].Body) == key && strings.EqualFold(cs[i].User.Login, res.author(ctx, c)) {
				return &cs[i]
			}
		}
		return nil
	}

	pr, sha, err := findTarget(ctx, opts, ev)
	if err != nil {
		return res, err
	}
	res.PR, res.SHA = pr, sha
	th := commitThread(ctx, c, sha)
	if pr != 0 {
		th = prThread(ctx, c, pr)
	}
	existing, err := th.list()
	if err != nil {
		return res, permission(err, th.perm)
	}
	posted, action, cut, err := th.upsert(existing, body, opts.RunURL, mine)
	if err != nil {
		return res, permission(err, th.perm)
	}
	res.Action, res.Truncated, res.CommentID, res.URL = action, cut, posted.ID, posted.HTMLURL

	if opts.Label != "" && pr != 0 {
		res.LabelsAdded, res.LabelsRemoved, err = keepLabel(ctx, c, pr, opts.Label)
		if err != nil {
			return res, permission(err, permPR)
		}
	}
	if kind == report.MarkerApply && !opts.OwnOnly && opts.PR == 0 && ev.PullRequest == 0 && opts.EventName == "push" && opts.SHA != "" {
		res.Merges = carry(ctx, opts, ev, &res, path, body, mine)
	}
	return res, nil
}

// prepareBody checks the marker line of body and, for an apply result
// without a commit line, inserts one for sha (when sha is a full commit).
func prepareBody(body, sha string) (kind, path, out string, err error) {
	first, rest, nl := strings.Cut(body, "\n")
	kind, path, ok := report.ParseMarker(strings.TrimRight(first, "\r"))
	if !ok {
		return "", "", "", fmt.Errorf("comment body: first line must be the marker %q, got %q", report.Marker("PATH"), clip(strings.TrimRight(first, "\r"), 80))
	}
	if kind != report.MarkerApply || !report.IsFullSHA(sha) {
		return kind, path, body, nil
	}
	second, _, _ := strings.Cut(rest, "\n")
	if _, ok := report.ParseCommitMarker(strings.TrimRight(second, "\r")); ok {
		return kind, path, body, nil
	}
	if !nl {
		return kind, path, body + "\n" + report.CommitMarker(sha), nil
	}
	return kind, path, first + "\n" + report.CommitMarker(sha) + "\n" + rest, nil
}

// headLines returns the lines of body that make its key: the marker line,
// and for an apply result the commit line if it has one.
func headLines(body string) (head []string, rest string) {
	first, rest, _ := strings.Cut(body, "\n")
	first = strings.TrimRight(first, "\r")
	head = []string{first}
	if kind, _, ok := report.ParseMarker(first); !ok || kind != report.MarkerApply {
		return head, rest
	}
	second, after, _ := strings.Cut(rest, "\n")
	if sha, ok := report.ParseCommitMarker(strings.TrimRight(second, "\r")); ok {
		return append(head, report.CommitMarker(sha)), after
	}
	return head, rest
}

// commentKey is what identifies a comment of ours: its marker line, and
// for an apply result also its commit line (none matches only none).
func commentKey(body string) string {
	head, _ := headLines(body)
	return strings.Join(head, "\n")
}

// thread is where comments go: a pull request's conversation or a commit.
type thread struct {
	perm   string // the permission writing here needs
	list   func() ([]PostedComment, error)
	create func(body string) (PostedComment, error)
	edit   func(id int64, body string) (PostedComment, error)
}

func prThread(ctx context.Context, c *Client, pr int) thread {
	return thread{
		perm:   permPR,
		list:   func() ([]PostedComment, error) { return c.ListIssueComments(ctx, pr) },
		create: func(body string) (PostedComment, error) { return c.CreateIssueComment(ctx, pr, body) },
		edit:   func(id int64, body string) (PostedComment, error) { return c.EditIssueComment(ctx, id, body) },
	}
}

func commitThread(ctx context.Context, c *Client, sha string) thread {
	return thread{
		perm:   permCommit,
		list:   func() ([]PostedComment, error) { return c.ListCommitComments(ctx, sha) },
		create: func(body string) (PostedComment, error) { return c.CreateCommitComment(ctx, sha, body) },
		edit:   func(id int64, body string) (PostedComment, error) { return c.EditCommitComment(ctx, id, body) },
	}
}

// upsert cuts body to size, then edits the comment find picks from
// existing (the oldest of ours with the key: it keeps its place in the
// thread), sends nothing when its text is the same, or creates one.
func (t thread) upsert(existing []PostedComment, body, runURL string, find func([]PostedComment) *PostedComment) (posted PostedComment, action string, cut bool, err error) {
	body, cut = Truncate(body, report.MaxCommentSize, runURL)
	switch found := find(existing); {
	case found == nil:
		posted, err = createOnce(func() (PostedComment, error) { return t.create(body) }, t.list, find)
		action = "created"
	case found.Body == body:
		posted, action = *found, "unchanged"
	default:
		posted, err = t.edit(found.ID, body)
		action = "updated"
	}
	if err != nil {
		return PostedComment{}, "", cut, err
	}
	return posted, action, cut, nil
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
func findTarget(ctx context.Context, opts CommentOptions, ev Event) (pr int, sha string, err error) {
	if opts.PR > 0 {
		return opts.PR, "", nil
	}
	if ev.PullRequest != 0 {
		return ev.PullRequest, "", nil
	}
	if opts.SHA == "" {
		return 0, "", errors.New("no pull request or commit to comment on: pass --pr, or run in a pull_request or push workflow")
	}
	if opts.EventName == "push" {
		prs, err := opts.Client.PullRequestsForCommit(ctx, opts.SHA)
		if err != nil {
			return 0, "", permission(err, permPR)
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
	// Before is a push's previous commit of the branch; all zeros when
	// the push created the branch.
	Before string
	// BaseSHA is a pull request's base commit (pull_request.base.sha).
	BaseSHA string
	// HeadRepo and BaseRepo are the full names (owner/name) of a pull
	// request's head and base repositories: they differ for a fork.
	HeadRepo, BaseRepo string
}

// Fork reports whether the event's pull request comes from another
// repository than its base (a fork): its workflow gets no secrets.
func (ev Event) Fork() bool {
	return ev.HeadRepo != "" && !strings.EqualFold(ev.HeadRepo, ev.BaseRepo)
}

// ReadEvent reads the event payload at path ($GITHUB_EVENT_PATH). The
// pull_request* events carry pull_request.number; issue_comment events on
// a pull request carry issue.number with an issue.pull_request object;
// push events carry before.
func ReadEvent(path string) (Event, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Event{}, fmt.Errorf("read event: %w", err)
	}
	var raw struct {
		PullRequest *struct {
			Number int `json:"number"`
			Base   struct {
				SHA  string `json:"sha"`
				Repo struct {
					FullName string `json:"full_name"`
				} `json:"repo"`
			} `json:"base"`
			Head struct {
				// repo is null when the fork was deleted.
				Repo *struct {
					FullName string `json:"full_name"`
				} `json:"repo"`
			} `json:"head"`
		} `json:"pull_request"`
		Issue *struct {
			Number      int             `json:"number"`
			PullRequest json.RawMessage `json:"pull_request"`
		} `json:"issue"`
		Before string `json:"before"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return Event{}, fmt.Errorf("read event %s: %w", path, err)
	}
	ev := Event{Before: raw.Before}
	switch {
	case raw.PullRequest != nil:
		ev.PullRequest, ev.BaseSHA = raw.PullRequest.Number, raw.PullRequest.Base.SHA
		ev.BaseRepo = raw.PullRequest.Base.Repo.FullName
		if r := raw.PullRequest.Head.Repo; r != nil {
			ev.HeadRepo = r.FullName
		} else if ev.BaseRepo != "" {
			ev.HeadRepo = "(deleted fork)"
		}
	case raw.Issue != nil && len(raw.Issue.PullRequest) > 0 && string(raw.Issue.PullRequest) != "null":
		ev.PullRequest = raw.Issue.Number
	}
	return ev, nil
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
