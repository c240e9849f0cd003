package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

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
	res   BuildResult
	err   error
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
			jobs[b.Key()] = j
			order = append(order, j)
		}
		j.items = append(j.items, it)
	}
	if len(order) == 0 {
		return ready
	}
	r.stage(Status{Stage: StageBuilding, Total: len(order), Started: time.Now()})
	sem := make(chan struct{}, r.o.Parallelism)
	var wg sync.WaitGroup
	for _, j := range order {
		wg.Go(func() {
			r.runBuild(ctx, j, sem)
			r.finished(j.err != nil)
		})
	}
	wg.Wait()
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
// is set when it fails.
func (r *runner) runBuild(ctx context.Context, j *buildJob, sem chan struct{}) {
	start := time.Now()
	defer func() { j.res.Duration = time.Since(start) }()
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		j.err = ctx.Err()
		return
	}
	id, cached, err := r.startBuild(ctx, j)
	<-sem
	if err != nil {
		j.err = asBuildError(ctx, err)
		r.buildEvent(j, "failed", errText(err))
		return
	}
	j.res.ID, j.res.Cached = id, cached
	if cached {
		j.res.Status = cloud.BuildStatusSuccess
		r.buildEvent(j, "done", "reusing build "+id)
		return
	}
	j.err = asBuildError(ctx, r.awaitBuild(ctx, j))
	if j.err != nil {
		r.buildEvent(j, "failed", errText(j.err))
		return
	}
	r.buildEvent(j, "done", fmt.Sprintf("build %s, %s", id, time.Since(start).Round(time.Second)))
}

// startBuild looks the build up in the cache, else uploads the context
// and creates the build. cached reports a build that existed (the lookup,
// or the API's own cache hit).
func (r *runner) startBuild(ctx context.Context, j *buildJob) (id string, cached bool, err error) {
	k := j.key
	var found []cloud.Build
	// No region: the plan could not read the organization's default;
	// the build goes there (the API's default), and a lookup without a
	// region could find another region's build.
	if k.Region != "" {
		found, err = r.api.ListBuilds(ctx, cloud.BuildQuery{ContextHash: k.ContextHash, DockerfilePath: k.Dockerfile,
			Region: k.Region, Status: cloud.BuildStatusSuccess, Limit: 1})
	}
	if err == nil && len(found) > 0 && found[0].ID != "" && found[0].ContextHash == k.ContextHash {
		j.res.LogsURL = found[0].LogsURL
		return found[0].ID, true, nil
	}
	if ctx.Err() != nil {
		return "", false, ctx.Err()
	}
	// A failed lookup only costs a build the cache may have spared.
	data := r.o.Contexts[k.ContextHash]
	if data == nil {
		return "", false, &Error{Code: CodeBuildFailed, Msg: fmt.Sprintf("build of %s: the context was not packed for this run", j.label)}
	}
	r.buildEvent(j, "uploading", fmt.Sprintf("%d bytes", len(data)))
	u, err := r.api.UploadURL(ctx, k.Region)
	if err != nil {
		return "", false, fmt.Errorf("build of %s: upload URL: %w", j.label, err)
	}
	if err := r.api.Upload(ctx, u, data); err != nil {
		return "", false, fmt.Errorf("build of %s: upload: %w", j.label, err)
	}
	out, err := r.api.CreateBuild(ctx, &cloud.CreateBuildRequest{UploadID: u.UploadID, Region: k.Region, DockerfilePath: k.Dockerfile})
	if err != nil {
		return "", false, fmt.Errorf("build of %s: %w", j.label, err)
	}
	j.res.LogsURL = out.Build.LogsURL
	return out.Build.ID, out.Cached, nil
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
