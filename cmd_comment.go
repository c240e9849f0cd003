package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/github"
	"github.com/pipecat-gitops/pipecat-gitops/report"
)

// commentOptions are the flags of comment.
type commentOptions struct {
	bodyFile string
	pr       int
	label    string
	ownOnly  bool
}

func cmdComment(ctx context.Context, e *env, args []string) error {
	var o commentOptions
	fs := newFlagSet(e, "comment", "comment --body-file PATH [--pr N] [--label NAME] [--own-only]")
	fs.StringVar(&o.bodyFile, "body-file", "", "Markdown `file` to post; its first line is the pipecat-gitops marker")
	fs.IntVar(&o.pr, "pr", 0, "pull request `number` (default: from the workflow event)")
	fs.StringVar(&o.label, "label", "", "keep this `label` on the pull request and remove the other pipecat:* ones ("+strings.Join(github.Labels, ", ")+")")
	fs.BoolVar(&o.ownOnly, "own-only", false, "on a push, post an apply result on the merged pull request only, not also on those merged since the last successful apply (for the apply of a saved plan, which carried only that plan)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.bodyFile == "" {
		return withHint(errors.New("comment: --body-file is required"), "pass the --summary-file written by plan or apply")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("comment: unexpected argument %q", fs.Arg(0))
	}
	return runComment(ctx, e, o)
}

func runComment(ctx context.Context, e *env, o commentOptions) error {
	body, err := os.ReadFile(o.bodyFile)
	if err != nil {
		return fmt.Errorf("comment: %w", err)
	}
	if e.gh.token == "" {
		return withHint(errors.New("comment: GITHUB_TOKEN is not set"), "in a workflow, add `env: GITHUB_TOKEN: ${{ github.token }}` to the step")
	}
	if e.gh.repository == "" {
		return errors.New("comment: GITHUB_REPOSITORY is not set (owner/name)")
	}
	// The body is posted where anyone who reads the pull request sees
	// it: no credential of the environment goes with it.
	body = []byte(e.red.Text(string(body)))
	client, err := github.New(github.Options{
		BaseURL: e.gh.apiURL,
		Token:   e.gh.token,
		Repo:    e.gh.repository,
		// A long wait says what it waits for, so a CI log is not silent.
		OnRetry: func(ev github.RetryEvent) {
			if ev.Wait > 2*time.Second {
				fmt.Fprintf(e.stderr, "comment: %s\n", report.TerminalText(ev.String()))
			}
		},
	})
	if err != nil {
		return fmt.Errorf("comment: %w", err)
	}
	// A run id that is not a number only loses the search for earlier
	// merges, which then falls back to the push's before.
	runID, _ := strconv.ParseInt(e.gh.runID, 10, 64)
	res, err := github.Comment(ctx, github.CommentOptions{
		Client:    client,
		Body:      string(body),
		PR:        o.pr,
		EventName: e.gh.eventName,
		EventPath: e.gh.eventPath,
		SHA:       e.gh.sha,
		RunID:     runID,
		Branch:    e.gh.refName,
		OwnOnly:   o.ownOnly,
		RunURL:    e.gh.runURL(),
		Label:     o.label,
	})
	warn := func(msg string) error {
		if e.gh.enabled {
			return github.WriteAnnotation(e.stdout, github.Annotation{Level: "warning", Title: "pipecat-gitops comment", Message: msg})
		}
		fmt.Fprintf(e.stderr, "pipecat-gitops: warning: %s\n", report.TerminalText(msg))
		return nil
	}
	if res.IdentityErr != nil {
		fmt.Fprintf(e.stderr, "comment: could not read the token's identity (%q); editing only comments by %s\n", res.IdentityErr.Error(), github.FallbackLogin)
	}
	if res.Action != "" {
		fmt.Fprintf(e.stderr, "comment: %s #%d on %s\n", res.Action, res.CommentID, res.Target())
		if res.Truncated {
			fmt.Fprintf(e.stderr, "comment: the body was cut to %d characters\n", report.MaxCommentSize)
		}
		for _, l := range res.LabelsAdded {
			fmt.Fprintf(e.stderr, "comment: label %s added\n", l)
		}
		for _, l := range res.LabelsRemoved {
			fmt.Fprintf(e.stderr, "comment: label %s removed\n", l)
		}
	}
	if m := res.Merges; m != nil {
		if m.Since != "" {
			fmt.Fprintf(e.stderr, "comment: looked for pull requests merged since commit %.7s (%s)\n", m.Since, m.SinceFrom)
		}
		for _, cc := range m.Carried {
			fmt.Fprintf(e.stderr, "comment: %s #%d on PR %d (merged since the last successful apply)\n", cc.Action, cc.CommentID, cc.PR)
		}
		for _, pr := range m.Unplanned {
			fmt.Fprintf(e.stderr, "comment: PR %d was merged since the last successful apply but has no plan comment for this config; not told\n", pr)
		}
		for _, w := range m.Warnings {
			if err := warn("earlier merges: " + w.Error()); err != nil {
				return err
			}
		}
	}
	var perr *github.PermissionError
	if errors.As(err, &perr) {
		// A fork's pull request gets a read-only token: the plan still
		// ran and is in the job summary, so this is not a failure.
		msg := "comment not posted: " + perr.Error()
		if res.Action != "" {
			msg = "labels not set: " + perr.Error()
		}
		return warn(msg)
	}
	if err != nil {
		return fmt.Errorf("comment: %w", err)
	}
	return nil
}

var commentDoc = commandDoc{
	summary: "Post or update the plan or apply comment on the pull request.",
	about:   "The comment is found by the marker on the body's first line, so each config keeps one comment. On a push, the comment goes to the pull request that was merged into the commit. A token that may not comment (a fork's pull request) is a warning, not an error.",
	env: []envDoc{
		{"GITHUB_TOKEN", "the token that posts the comment (required)"},
		{"GITHUB_REPOSITORY", "owner/name of the repository (required)"},
		{"GITHUB_API_URL", "the GitHub API (default https://api.github.com)"},
		{"GITHUB_EVENT_NAME, GITHUB_EVENT_PATH", "the workflow event, to find the pull request when --pr is not given"},
		{"GITHUB_SHA", "the commit whose merged pull request a push comments on"},
		{"GITHUB_SERVER_URL, GITHUB_RUN_ID", "the workflow run linked when the body is cut; on a push, the run id also finds this workflow's last successful apply, whose merged pull requests are told too"},
		{"GITHUB_REF_NAME", "on a push, the branch whose last successful apply is looked up"},
		{"GITHUB_ACTIONS", "\"true\": a refused permission is written as a warning annotation"},
	},
	exits: []exitDoc{
		{0, "the comment was posted or updated, or the token may not comment (a warning)"},
		{1, "any other error: a wrong flag, a missing variable, an unreadable body, a GitHub API failure"},
	},
}
