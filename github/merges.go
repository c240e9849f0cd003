package github

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pipecat-gitops/pipecat-gitops/report"
)

// MaxCarriedCommits caps the commits read between the last successful
// apply and this one. Past it (a branch whose applies failed for weeks, a
// first apply of a long history) only the push's own pull request is told:
// commenting on every pull request of such a range would be noise, and the
// calls (one per merge) would eat the token's rate limit.
const MaxCarriedCommits = 250

// recentRuns is how many successful runs are read to find one other than
// this run and its commit.
const recentRuns = 10

// zeroSHA is a push event's before when the push created the branch.
var zeroSHA = strings.Repeat("0", 40)

// carry posts the apply comment body on every pull request merged since
// the last successful apply, besides res's own, that has a plan comment of
// ours for the config at path. Nothing here fails the comment: what went
// wrong is in the Warnings.
func carry(ctx context.Context, opts CommentOptions, ev Event, res *CommentResult, path, body string, mine func([]PostedComment) *PostedComment) *Merges {
	c := opts.Client
	m := &Merges{}
	m.Since, m.SinceFrom = lastApplied(ctx, opts, ev, m)
	if m.Since == "" {
		return m
	}
	prs, err := mergedSince(ctx, c, m.Since, opts.SHA, res.PR)
	if err != nil {
		m.Warnings = append(m.Warnings, err)
		return m
	}
	note := carriedNote(res.PR, opts.SHA)
	for _, pr := range prs {
		th := prThread(ctx, c, pr)
		existing, err := th.list()
		if err != nil {
			m.Warnings = append(m.Warnings, fmt.Errorf("pull request #%d: %w", pr, permission(err, th.perm)))
			continue
		}
		if !slices.ContainsFunc(existing, func(pc PostedComment) bool {
			kind, p, ok := report.ParseMarker(firstLine(pc.Body))
			return ok && kind == report.MarkerPlan && p == path && strings.EqualFold(pc.User.Login, res.author(ctx, c))
		}) {
			m.Unplanned = append(m.Unplanned, pr)
			continue
		}
		posted, action, _, err := th.upsert(existing, withNote(body, note), opts.RunURL, mine)
		if err != nil {
			m.Warnings = append(m.Warnings, fmt.Errorf("pull request #%d: %w", pr, permission(err, th.perm)))
			continue
		}
		m.Carried = append(m.Carried, CarriedComment{PR: pr, Action: action, CommentID: posted.ID, URL: posted.HTMLURL})
	}
	return m
}

// lastApplied returns the commit of the last successful apply before this
// one and where it was found: the newest successful push run of this
// workflow on the branch (another run, of another commit), else the push
// event's before. It returns "" when there is nothing to compare: a push
// that created the branch, or no before to fall back on.
func lastApplied(ctx context.Context, opts CommentOptions, ev Event, m *Merges) (sha, from string) {
	if opts.RunID != 0 && opts.Branch != "" {
		sha, from, err := lastSuccessfulRun(ctx, opts)
		if err == nil && sha != "" {
			return sha, from
		}
		if err != nil {
			m.Warnings = append(m.Warnings, fmt.Errorf("find the last successful apply: %w; falling back to the push's before, so a pull request merged before this push whose apply was dropped is not told", permission(err, permActions)))
		}
	}
	switch {
	case ev.Before == zeroSHA:
		return "", "" // a new branch: this push holds all there is
	case !report.IsFullSHA(ev.Before):
		return "", ""
	}
	return ev.Before, "the push's before"
}

// lastSuccessfulRun finds the newest successful push run of this run's
// workflow on opts.Branch that is not this run (a re-run attempt of a run
// that once succeeded) and not of this commit.
func lastSuccessfulRun(ctx context.Context, opts CommentOptions) (sha, from string, err error) {
	c := opts.Client
	run, err := c.WorkflowRun(ctx, opts.RunID)
	if err != nil {
		return "", "", err
	}
	runs, err := c.SuccessfulPushRuns(ctx, run.WorkflowID, opts.Branch, recentRuns)
	if err != nil {
		return "", "", err
	}
	for _, r := range runs {
		if r.ID != opts.RunID && r.HeadSHA != opts.SHA && report.IsFullSHA(r.HeadSHA) {
			return r.HeadSHA, fmt.Sprintf("the last successful run %d", r.ID), nil
		}
	}
	return "", "", nil
}

// mergedSince returns the pull requests other than own whose merge lies
// between base and head, oldest first. Merges are the first-parent chain
// of head back to base: a merge commit, a squash commit or a rebased
// commit on the branch, never a commit inside a merged branch. A pull
// request counts when its merge_commit_sha is on that chain.
func mergedSince(ctx context.Context, c *Client, base, head string, own int) ([]int, error) {
	cmp, err := c.Compare(ctx, base, head, MaxCarriedCommits)
	if err != nil {
		return nil, fmt.Errorf("list the commits since commit %s: %w", short(base), err)
	}
	if cmp.TotalCommits > MaxCarriedCommits {
		return nil, fmt.Errorf("%d commits since commit %s, more than %d: only this push's pull request is told", cmp.TotalCommits, short(base), MaxCarriedCommits)
	}
	byID := make(map[string]Commit, len(cmp.Commits))
	for _, cm := range cmp.Commits {
		byID[cm.SHA] = cm
	}
	var chain []string // newest first
	onChain := map[string]bool{}
	for sha := head; ; {
		cm, ok := byID[sha]
		if !ok || onChain[sha] {
			break
		}
		chain = append(chain, sha)
		onChain[sha] = true
		if len(cm.Parents) == 0 {
			break
		}
		sha = cm.Parents[0].SHA
	}
	var prs []int
	seen := map[int]bool{own: true}
	for _, sha := range slices.Backward(chain) {
		if sha == head {
			continue // its pull request is own, found already
		}
		pulls, err := c.PullRequestsForCommit(ctx, sha)
		if err != nil {
			return prs, fmt.Errorf("find the pull request of commit %s: %w", short(sha), err)
		}
		for _, p := range pulls {
			if p.MergedAt != nil && onChain[p.MergeCommitSHA] && !seen[p.Number] {
				seen[p.Number] = true
				prs = append(prs, p.Number)
			}
		}
	}
	return prs, nil
}

// carriedNote is the note on the apply comment of a pull request merged
// since the last successful apply. It holds only a number and a commit id,
// nothing from the network that would need escaping.
func carriedNote(own int, sha string) string {
	by := fmt.Sprintf("commit `%s`", short(sha))
	if own != 0 {
		by = fmt.Sprintf("#%d, commit `%s`", own, short(sha))
	}
	return "> [!NOTE]\n> This pull request was merged since the last successful apply, so the apply below (run for " + by + ") carried its changes too.\n\n"
}

// withNote puts note right after the lines that make body's key.
func withNote(body, note string) string {
	head, rest := headLines(body)
	return strings.Join(head, "\n") + "\n" + note + rest
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return strings.TrimRight(first, "\r")
}
