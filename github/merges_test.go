package github_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pipecat-gitops/pipecat-gitops/github"
	"github.com/pipecat-gitops/pipecat-gitops/internal/githubtest"
	"github.com/pipecat-gitops/pipecat-gitops/report"
)

func sha(name string) string { return fmt.Sprintf("%040x", name) }

// mergeHistory loads main's history into srv, oldest first:
//
//	c0                      the last commit before these merges
//	f1, m1 = merge of #1    (a merge commit: parents c0, f1)
//	m2 = squash of #2
//	d                       a direct push, also a commit of #6, which was
//	                        merged into a release branch (r6), not main
//	m4 = squash of #4       which did not touch the config (no plan comment)
//	f5, m5 = merge of #5    this push (f5 branched from m1)
//
// The workflow's push runs: 101 of m1 succeeded, 102 of m2 was dropped
// (cancelled) for 105, the run of m5 in progress; #4 ran no workflow.
func mergeHistory(srv *githubtest.Server) {
	srv.AddCommit(sha("c0"))
	srv.AddCommit(sha("f1"), sha("c0"))
	srv.AddCommit(sha("m1"), sha("c0"), sha("f1"))
	srv.AddCommit(sha("m2"), sha("m1"))
	srv.AddCommit(sha("d"), sha("m2"))
	srv.AddCommit(sha("m4"), sha("d"))
	srv.AddCommit(sha("f5"), sha("m1"))
	srv.AddCommit(sha("m5"), sha("m4"), sha("f5"))
	merged := func(n int, mergeSHA string, commits ...string) {
		for _, c := range append(commits, mergeSHA) {
			srv.AddPull(c, githubtest.PullRequest{Number: n, State: "closed", Merged: true, MergeCommitSHA: mergeSHA})
		}
	}
	merged(1, sha("m1"), sha("f1"))
	merged(2, sha("m2"))
	merged(4, sha("m4"))
	merged(5, sha("m5"), sha("f5"))
	srv.AddPull(sha("m2"), githubtest.PullRequest{Number: 9, State: "open"}) // contains m2, not merged
	srv.AddPull(sha("d"), githubtest.PullRequest{Number: 6, State: "closed", Merged: true, MergeCommitSHA: sha("r6")})
	run := func(id int64, wf int64, head, branch, event, conclusion string) {
		status := "completed"
		if conclusion == "" {
			status = "in_progress"
		}
		srv.AddRun(githubtest.Run{ID: id, WorkflowID: wf, HeadSHA: head, Branch: branch, Event: event, Status: status, Conclusion: conclusion})
	}
	run(100, 7, sha("c0"), "main", "push", "success")
	run(101, 7, sha("m1"), "main", "push", "success")
	run(102, 7, sha("m2"), "main", "push", "cancelled")
	run(103, 7, sha("f5"), "feature", "pull_request", "success")
	run(104, 8, sha("m4"), "main", "push", "success") // another workflow
	run(105, 7, sha("m5"), "main", "push", "")
}

func applyBody(text string) string {
	return report.ApplyMarker("pipecat.yaml") + "\n### ✅ pipecat-gitops apply: " + text + "\n"
}

// TestCommentCarriesEarlierMerges: the apply comment of a push also goes
// to each pull request merged since the last successful apply (whose own
// apply GitHub's concurrency group may have dropped), with a note, when it
// has a plan comment of ours for the config.
func TestCommentCarriesEarlierMerges(t *testing.T) {
	tests := []struct {
		name          string
		runID         int64
		before        string
		noActions     bool
		ownRunSuccess bool // the run being re-run once succeeded
		wantSince     string
		wantFrom      string
		wantCarried   []int
		wantUnplanned []int
		wantWarning   string // substring of the one warning, "" for none
	}{
		{
			name: "the last successful run: the dropped middle merge is told", runID: 105, before: sha("m4"),
			wantSince: sha("m1"), wantFrom: "the last successful run 101", wantCarried: []int{2}, wantUnplanned: []int{4},
		},
		{
			name: "a re-run attempt of a run that once succeeded looks past it", runID: 105, before: sha("m4"), ownRunSuccess: true,
			wantSince: sha("m1"), wantFrom: "the last successful run 101", wantCarried: []int{2}, wantUnplanned: []int{4},
		},
		{
			name: "runs refused: the push's before, which holds only this push", runID: 105, before: sha("m4"), noActions: true,
			wantSince: sha("m4"), wantFrom: "the push's before",
			wantWarning: `GET /repos/acme/agents/actions/runs/105 (GitHub answered 403 Resource not accessible by integration); the workflow needs the "actions: read" permission; falling back to the push's before`,
		},
		{
			name: "runs refused: a push that carried two merges tells both", runID: 105, before: sha("m1"), noActions: true,
			wantSince: sha("m1"), wantFrom: "the push's before", wantCarried: []int{2}, wantUnplanned: []int{4},
			wantWarning: `"actions: read"`,
		},
		{
			name: "outside a run: the push's before, no warning", before: sha("c0"),
			wantSince: sha("c0"), wantFrom: "the push's before", wantCarried: []int{1, 2}, wantUnplanned: []int{4},
		},
		{
			name: "a push that created the branch holds all there is", before: strings.Repeat("0", 40),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t)
			mergeHistory(srv)
			if tt.ownRunSuccess {
				srv.AddRun(githubtest.Run{ID: 105, WorkflowID: 7, HeadSHA: sha("m5"), Branch: "main", Event: "push", Status: "completed", Conclusion: "success"})
			}
			srv.SetActionsForbidden(tt.noActions)
			for _, pr := range []int{1, 2, 5, 6} {
				srv.AddIssueComment(pr, githubtest.BotLogin, body("pipecat.yaml", fmt.Sprint("plan of #", pr)))
			}
			srv.AddIssueComment(4, "mallory", body("pipecat.yaml", "not ours"))
			srv.AddIssueComment(2, githubtest.BotLogin, body("staging.yaml", "another config's plan"))

			opts := github.CommentOptions{
				Client: c, Body: applyBody("1 updated"), EventName: "push", SHA: sha("m5"),
				RunID: tt.runID, Branch: "main", EventPath: writeEvent(t, `{"before": "`+tt.before+`", "after": "`+sha("m5")+`"}`),
			}
			res, err := github.Comment(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.PR != 5 || res.Action != "created" {
				t.Fatalf("own comment: %s on %s, want created on PR 5", res.Action, res.Target())
			}
			m := res.Merges
			if m == nil {
				t.Fatal("no Merges for an apply on a push")
			}
			var carried []int
			for _, cc := range m.Carried {
				carried = append(carried, cc.PR)
				if cc.Action != "created" {
					t.Errorf("PR %d: %s, want created", cc.PR, cc.Action)
				}
			}
			got := struct {
				Since, From        string
				Carried, Unplanned []int
			}{m.Since, m.SinceFrom, carried, m.Unplanned}
			want := struct {
				Since, From        string
				Carried, Unplanned []int
			}{tt.wantSince, tt.wantFrom, tt.wantCarried, tt.wantUnplanned}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("merges (-want +got):\n%s", diff)
			}
			switch {
			case tt.wantWarning == "" && len(m.Warnings) > 0:
				t.Errorf("warnings %v, want none", m.Warnings)
			case tt.wantWarning != "" && (len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0].Error(), tt.wantWarning)):
				t.Errorf("warnings %v, want one holding %q", m.Warnings, tt.wantWarning)
			}
			if tt.noActions {
				var perr *github.PermissionError
				if !errors.As(m.Warnings[0], &perr) || perr.Permission != "actions: read" {
					t.Errorf("warning %v is not a PermissionError for actions: read", m.Warnings[0])
				}
			}
			// Every pull request not carried keeps its comments as they were.
			for _, pr := range []int{1, 2, 4, 6, 9} {
				n := 0
				for _, cm := range srv.IssueComments(pr) {
					if strings.HasPrefix(cm.Body, report.ApplyMarker("pipecat.yaml")) {
						n++
					}
				}
				if want := countOf(tt.wantCarried, pr); n != want {
					t.Errorf("PR %d holds %d apply comments, want %d", pr, n, want)
				}
			}
		})
	}
}

func countOf(xs []int, x int) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

// TestCommentCarriedBodyAndReRun: the carried pull request's comment is
// the apply's body with a note naming the apply's pull request and commit
// under the key lines, and the plan comment stays; a re-run of the apply
// edits that comment rather than adding one.
func TestCommentCarriedBodyAndReRun(t *testing.T) {
	srv, c := newFake(t)
	mergeHistory(srv)
	plan2 := body("pipecat.yaml", "plan of #2")
	srv.AddIssueComment(2, githubtest.BotLogin, plan2)
	opts := github.CommentOptions{Client: c, EventName: "push", SHA: sha("m5"), RunID: 105, Branch: "main"}

	opts.Body = applyBody("1 updated, 1 failed")
	first, err := github.Comment(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Body = applyBody("1 updated")
	again, err := github.Comment(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	type posted struct {
		PR     int
		Action string
		ID     int64
	}
	if len(first.Merges.Carried) != 1 || len(again.Merges.Carried) != 1 {
		t.Fatalf("carried: first %+v, re-run %+v; want one each", first.Merges.Carried, again.Merges.Carried)
	}
	f, a := first.Merges.Carried[0], again.Merges.Carried[0]
	if diff := cmp.Diff(posted{2, "updated", f.CommentID}, posted{a.PR, a.Action, a.CommentID}); diff != "" {
		t.Errorf("re-run on PR 2 (-want +got):\n%s", diff)
	}
	want := []string{
		plan2,
		report.ApplyMarker("pipecat.yaml") + "\n" + report.CommitMarker(sha("m5")) + "\n" +
			"> [!NOTE]\n> This pull request was merged since the last successful apply, so the apply below (run for #5, commit `" + sha("m5")[:7] + "`) carried its changes too.\n\n" +
			"### ✅ pipecat-gitops apply: 1 updated\n",
	}
	var got []string
	for _, cm := range srv.IssueComments(2) {
		got = append(got, cm.Body)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("comments on PR 2 (-want +got):\n%s", diff)
	}
}

// TestCommentCarriedCap: the commits since the last successful apply are
// read over every page of the comparison up to MaxCarriedCommits; past it
// only the push's own pull request is told, the warning says why, and no
// other commit's pull requests are looked up.
func TestCommentCarriedCap(t *testing.T) {
	tests := []struct {
		name        string
		merges      int // squash merges since base, each with a plan comment
		wantCarried int
		wantPulls   int // pull request look-ups
		wantWarning string
	}{
		{name: "two pages of commits", merges: 40, wantCarried: 39, wantPulls: 40},
		{name: "at the cap", merges: github.MaxCarriedCommits, wantCarried: github.MaxCarriedCommits - 1, wantPulls: github.MaxCarriedCommits},
		{
			name: "past the cap", merges: github.MaxCarriedCommits + 1, wantPulls: 1,
			wantWarning: fmt.Sprintf("251 commits since commit %s, more than 250: only this push's pull request is told", sha("base")[:7]),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := newFake(t)
			srv.AddCommit(sha("base"))
			prev := sha("base")
			for i := range tt.merges {
				cur := sha(fmt.Sprint("c", i))
				srv.AddCommit(cur, prev)
				srv.AddPull(cur, githubtest.PullRequest{Number: i + 1, State: "closed", Merged: true, MergeCommitSHA: cur})
				srv.AddIssueComment(i+1, githubtest.BotLogin, body("pipecat.yaml", "plan"))
				prev = cur
			}
			res, err := github.Comment(context.Background(), github.CommentOptions{
				Client: c, Body: applyBody("1 updated"), EventName: "push", SHA: prev,
				EventPath: writeEvent(t, `{"before": "`+sha("base")+`"}`),
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.PR != tt.merges || res.Action != "created" || len(res.Merges.Carried) != tt.wantCarried {
				t.Errorf("got %s on %s and %d carried, want created on PR %d and %d carried", res.Action, res.Target(), len(res.Merges.Carried), tt.merges, tt.wantCarried)
			}
			var warnings []string
			for _, w := range res.Merges.Warnings {
				warnings = append(warnings, w.Error())
			}
			var want []string
			if tt.wantWarning != "" {
				want = []string{tt.wantWarning}
			}
			if diff := cmp.Diff(want, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			pulls := 0
			for _, r := range srv.Requests() {
				if strings.HasSuffix(r.Path, "/pulls") {
					pulls++
				}
			}
			if pulls != tt.wantPulls {
				t.Errorf("%d pull request look-ups, want %d", pulls, tt.wantPulls)
			}
		})
	}
}
