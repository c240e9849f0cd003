package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// logLines is how much of a failed build's log a result carries.
const logLines = 50

// buildJob is one cloud build and the changes waiting for it.
type buildJob struct {
	key   plan.BuildKey
	label string // "agents/bot (a1b2c3d4)"
	items []*item
	// cachedID is the existing build the plan recorded for it.
	cachedID string
	res      BuildResult
	err      error
}

// builds runs the cloud build of every change built from a context, one
// per distinct plan.BuildKey, and returns the items to send: those without
// a build, and those whose build succeeded, their spec carrying its
// buildId. An item whose build failed is failed with the build's error
// and logs; one whose build did not end before ctx did is Skipped.
//
// The lookups and uploads run at most Parallelism at a time; the wait for
// a build to end holds no slot (its polls go through the client's bound on
// requests in flight), so N builds take about the slowest, not N of them.
func (r *runner) builds(ctx context.Context, items []*item) []*item {
	var ready []*item
	jobs := map[plan.BuildKey]*buildJob{}
	var order []*buildJob
	for _, it := range items {
		b := it.c.Build
		if b == nil {
			ready = append(ready, it)
			continue
		}
		j := jobs[b.Key()]
		if j == nil {
			j = &buildJob{key: b.Key(), label: fmt.Sprintf("%s (%s)", b.Context, short(b.ContextHash)),
				res: BuildResult{ContextHash: b.ContextHash}}
			j.cachedID = b.CachedBuildID
			jobs[b.Key()] = j
			order = append(order, j)
		}
		j.items = append(j.items, it)
	}
	if len(order) == 0 {
		return ready
	}
	r.stage(Status{Stage: StageBuilding, Total: len(order), Started: time.Now()})
	// Lookups and uploads take a slot of starts; the waits, started from
	// there, take none.
	var starts, waits errgroup.Group
	starts.SetLimit(r.o.Parallelism)
	for _, j := range order {
		starts.Go(func() error {
			start := time.Now()
			if !r.runBuild(ctx, j, start) {
				r.finished(j.err != nil)
				return nil
			}
			waits.Go(func() error {
				r.awaitRun(ctx, j, start)
				r.finished(j.err != nil)
				return nil
			})
			return nil
		})
	}
	starts.Wait()
	waits.Wait()
	for _, j := range order {
		for _, it := range j.items {
			res := j.res
			it.res.Build = &res
			switch {
			case j.err == nil:
				spec := it.c.Desired.Clone()
				spec.BuildID = &j.res.ID
				it.spec = spec
				ready = append(ready, it)
			case interrupted(ctx, j.err):
				r.markInterrupted()
				it.res.Outcome, it.res.Error = Skipped, "interrupted during its cloud build"
			default:
				it.res.Duration = j.res.Duration
				r.fail(it, j.err)
			}
		}
	}
	return ready
}

// buildEvent reports a change of state of a build.
func (r *runner) buildEvent(j *buildJob, state, detail string) {
	if r.o.Progress == nil {
		return
	}
	names := make([]string, len(j.items))
	for i, it := range j.items {
		names[i] = it.c.Agent
	}
	r.o.Progress(Event{Agent: strings.Join(names, ", "), Build: j.label, State: state, Detail: detail})
}

// runBuild finds or makes the build of j and records it in j.res; j.err
// is set when it fails. It reports whether the build runs, for awaitRun
// to wait for.
func (r *runner) runBuild(ctx context.Context, j *buildJob, start time.Time) (started bool) {
	defer func() { j.res.Duration = time.Since(start) }()
	if err := ctx.Err(); err != nil {
		j.err = err
		return false
	}
	id, cached, err := r.startBuild(ctx, j)
	if err != nil {
		j.err = asBuildError(ctx, err)
		r.buildEvent(j, "failed", errText(err))
		return false
	}
	j.res.ID, j.res.Cached = id, cached
	if cached {
		j.res.Status = cloud.BuildStatusSuccess
		r.buildEvent(j, "done", "reusing build "+id)
		return false
	}
	return true
}

// awaitRun waits for the build runBuild started.
func (r *runner) awaitRun(ctx context.Context, j *buildJob, start time.Time) {
	defer func() { j.res.Duration = time.Since(start) }()
	id := j.res.ID
	j.err = asBuildError(ctx, r.awaitBuild(ctx, j))
	if j.err != nil {
		r.buildEvent(j, "failed", errText(j.err))
		return
	}
	r.buildEvent(j, "done", fmt.Sprintf("build %s, %s", id, time.Since(start).Round(time.Second)))
}

// startBuild deploys the cached build the plan recorded, else uploads the
// context and creates the build. cached reports a build that existed (the
// plan's, or the API's own cache hit). The cache is not searched again:
// the plan decided (see the package doc).
func (r *runner) startBuild(ctx context.Context, j *buildJob) (id string, cached bool, err error) {
	k := j.key
	if j.cachedID != "" {
		return r.plannedBuild(ctx, j)
	}
	if ctx.Err() != nil {
		return "", false, ctx.Err()
	}
	archive := r.o.Contexts[k.ContextHash]
	if archive == nil {
		return "", false, &Error{Code: CodeBuildFailed, Msg: fmt.Sprintf("build of %s: the context was not packed for this run", j.label)}
	}
	r.buildEvent(j, "uploading", fmt.Sprintf("%d bytes", archive.Compressed))
	u, err := r.api.UploadURL(ctx, k.Region)
	if err != nil {
		return "", false, fmt.Errorf("build of %s: upload URL: %w", j.label, err)
	}
	if err := r.api.Upload(ctx, u, cloud.UploadBody{Open: archive.Open, Size: archive.Compressed}); err != nil {
		return "", false, fmt.Errorf("build of %s: upload: %w", j.label, err)
	}
	req := &cloud.CreateBuildRequest{UploadID: u.UploadID, Region: k.Region, DockerfilePath: k.Dockerfile}
	out, err := r.api.CreateBuild(ctx, req)
	if err != nil && errors.Is(err, cloud.ErrUnknownOutcome) && !interrupted(ctx, err) {
		// The API may have started the build: look for it before
		// starting another (POST /v1/builds is sent once).
		out, err = r.lostBuild(ctx, j, req, err)
	}
	if err != nil {
		return "", false, fmt.Errorf("build of %s: %w", j.label, err)
	}
	j.res.LogsURL = out.Build.LogsURL
	return out.Build.ID, out.Cached, nil
}

// plannedBuild checks that the build the plan recorded still exists and
// succeeded. Gone or not successful, the change fails as stale: nothing
// is substituted for what the plan named.
func (r *runner) plannedBuild(ctx context.Context, j *buildJob) (string, bool, error) {
	id := j.cachedID
	b, err := r.api.GetBuild(ctx, id)
	switch {
	case interrupted(ctx, err):
		return "", false, err
	case cloud.IsNotFound(err):
		return "", false, &Error{Code: CodeStale, Msg: fmt.Sprintf("the plan deploys the existing build %s of %s, and it no longer exists; nothing else is deployed: run plan", id, j.label)}
	case err != nil:
		return "", false, fmt.Errorf("build of %s: read the planned build %s: %w", j.label, id, err)
	case b.Status != cloud.BuildStatusSuccess:
		return "", false, &Error{Code: CodeStale, Msg: fmt.Sprintf("the plan deploys the existing build %s of %s, and its status is now %s; nothing else is deployed: run plan", id, j.label, b.Status)}
	}
	j.res.LogsURL = b.LogsURL
	return id, true, nil
}

// lostBuild follows up a POST /v1/builds whose answer was lost: the
// newest build of the same context, Dockerfile and region that has not
// failed is the one it started (or an equal one); without one, the build
// is asked for once more.
func (r *runner) lostBuild(ctx context.Context, j *buildJob, req *cloud.CreateBuildRequest, lost error) (*cloud.CreateBuildResponse, error) {
	k := j.key
	found, err := r.api.ListBuilds(ctx, cloud.BuildQuery{ContextHash: k.ContextHash, DockerfilePath: k.Dockerfile, Region: k.Region, Limit: 5})
	if err != nil {
		return nil, fmt.Errorf("%w; and looking the build up by its context hash: %w", lost, err)
	}
	for _, b := range found {
		if b.ID != "" && b.ContextHash == k.ContextHash && b.Status != cloud.BuildStatusFailed && b.Status != cloud.BuildStatusTimeout {
			return &cloud.CreateBuildResponse{Build: &b, ContextHash: b.ContextHash}, nil
		}
	}
	return r.api.CreateBuild(ctx, req)
}

// awaitBuild polls the build until it ends or BuildTimeout passes, with
// pauses growing as --wait's do. A failure carries the build's error
// message and the last lines of its log.
func (r *runner) awaitBuild(ctx context.Context, j *buildJob) error {
	id := j.res.ID
	bctx, cancel := context.WithTimeout(ctx, r.o.BuildTimeout)
	defer cancel()
	pause, status := r.o.PollInterval, ""
	for {
		b, err := r.api.GetBuild(bctx, id)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil && bctx.Err() == nil:
			return fmt.Errorf("build %s of %s: %w", id, j.label, err)
		case err == nil:
			if b.LogsURL != "" {
				j.res.LogsURL = b.LogsURL
			}
			j.res.Status = b.Status
			if b.Status != status {
				status = b.Status
				if !cloud.BuildFinal(status) {
					r.buildEvent(j, "building", "build "+id+", "+status)
				}
			}
			switch b.Status {
			case cloud.BuildStatusSuccess:
				return nil
			case cloud.BuildStatusFailed, cloud.BuildStatusTimeout:
				j.res.ErrorMessage = b.ErrorMessage
				msg := fmt.Sprintf("build %s %s", id, b.Status)
				if b.ErrorMessage != "" {
					msg += ": " + b.ErrorMessage
				}
				return r.buildFailure(ctx, j, msg)
			}
		}
		if bctx.Err() != nil {
			return r.buildFailure(ctx, j, fmt.Sprintf("build %s did not end within %s (last status: %s)", id, r.o.BuildTimeout, orUnknown(status)))
		}
		pause = r.pause(bctx, pause)
	}
}

// buildFailure is a failed build's error, its log's last lines fetched
// into j.res (a log that cannot be read is said so, not fatal).
func (r *runner) buildFailure(ctx context.Context, j *buildJob, msg string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	logs, err := r.api.GetBuildLogs(ctx, j.res.ID, logLines)
	if err != nil {
		msg += fmt.Sprintf(" (its log could not be read: %v)", err)
	}
	j.res.Logs = logs
	return &Error{Code: CodeBuildFailed, Msg: msg}
}

// asBuildError makes every failure of a build a BUILD_FAILED whose
// message says which build, keeping the interruptions as they are.
func asBuildError(ctx context.Context, err error) error {
	var le *Error
	if err == nil || interrupted(ctx, err) || errors.As(err, &le) {
		return err
	}
	return &Error{Code: CodeBuildFailed, Msg: err.Error()}
}

// errText is the one line an event shows of err.
func errText(err error) string {
	var le *Error
	if errors.As(err, &le) {
		return le.Msg
	}
	return err.Error()
}

func short(hash string) string {
	if len(hash) > 8 {
		return hash[:8]
	}
	return hash
}
