// Package apply executes a plan through the Pipecat Cloud API and reports,
// per agent, what happened.
//
// It interprets the plan and decides nothing on its own: it runs exactly
// the plan's creates, updates, replaces and deletes, never touches an agent
// the plan does not list, and refuses a plan that holds errors (preflight
// findings or changes the plan's options refused) before sending anything.
// Creates, updates and replaces run first with bounded parallelism; deletes
// run after all of them. One agent's failure never stops the others.
// Retries of single requests are the cloud client's job; apply adds the
// recoveries that need the plan's knowledge: a create answered "already
// exists" (a lost response to an earlier try) is read back and finished as
// a no-op or an update, and a delete answered 404 is done.
package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
)

// API is the part of the cloud client apply needs.
type API interface {
	GetAgent(ctx context.Context, name string) (*cloud.ServiceDetails, error)
	CreateAgent(ctx context.Context, req *cloud.CreateServiceRequest) (*cloud.ServiceDetails, error)
	UpdateAgent(ctx context.Context, name string, req *cloud.UpdateServiceRequest) (*cloud.ServiceDetails, error)
	DeleteAgent(ctx context.Context, name string) error
}

// Options tune a run. The zero value applies with parallelism 8 and does
// not wait.
type Options struct {
	Parallelism int           // < 1 means 8
	Wait        bool          // poll changed agents until ready
	WaitTimeout time.Duration // per agent; < 1 means 5m
	// PollInterval is the first pause between polls of --wait; it doubles
	// up to maxPoll. < 1 means 250ms.
	PollInterval time.Duration
	// Progress, when set, is called on every change of an agent's state.
	// It may be called from several goroutines at once.
	Progress func(Event)
}

// Event is one change of state of one agent, for progress display.
type Event struct {
	Agent  string
	Action plan.Action
	State  string // "creating", "updating", "deleting", "waiting", "done", "failed"
	Detail string
}

// Run applies p and returns what happened to each change. Cancelling ctx
// stops new work, cancels in-flight requests, and still returns a Result
// that says what was done. A plan with errors is refused: Run returns an
// error and sends nothing.
func Run(ctx context.Context, api API, p *plan.Plan, o Options) (*Result, error) {
	if p.HasErrors() {
		return nil, fmt.Errorf("the plan has %d errors; nothing was applied", p.Summary.Errors)
	}
	if o.Parallelism < 1 {
		o.Parallelism = 8
	}
	if o.WaitTimeout < 1 {
		o.WaitTimeout = 5 * time.Minute
	}
	if o.PollInterval < 1 {
		o.PollInterval = 250 * time.Millisecond
	}
	r := &runner{api: api, o: o}
	var first, deletes []plan.Change
	for _, c := range p.Changes {
		switch c.Action {
		case plan.Delete:
			deletes = append(deletes, c)
		case plan.Create, plan.Update, plan.Replace:
			first = append(first, c)
		}
	}
	res := &Result{Config: p.Config}
	res.Results = append(res.Results, r.phase(ctx, first)...)
	res.Results = append(res.Results, r.phase(ctx, deletes)...)
	sort.SliceStable(res.Results, func(i, j int) bool { return res.Results[i].Agent < res.Results[j].Agent })
	res.Cancelled = ctx.Err() != nil && res.Failed() > 0
	return res, nil
}

type runner struct {
	api API
	o   Options
}

// phase runs changes with bounded parallelism. Changes not started when
// ctx is cancelled are Skipped.
func (r *runner) phase(ctx context.Context, changes []plan.Change) []AgentResult {
	out := make([]AgentResult, len(changes))
	sem := make(chan struct{}, r.o.Parallelism)
	var wg sync.WaitGroup
	for i, c := range changes {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			out[i] = AgentResult{Agent: c.Agent, Action: c.Action, Outcome: Skipped, Error: "not started: interrupted"}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i] = r.one(ctx, c)
		})
	}
	wg.Wait()
	return out
}

func (r *runner) event(c plan.Change, state, detail string) {
	if r.o.Progress != nil {
		r.o.Progress(Event{Agent: c.Agent, Action: c.Action, State: state, Detail: detail})
	}
}

// one applies a single change and, when asked, waits for it to be ready.
func (r *runner) one(ctx context.Context, c plan.Change) AgentResult {
	start := time.Now()
	res := AgentResult{Agent: c.Agent, Action: c.Action}
	d, note, err := r.change(ctx, c)
	res.Note = note
	if err == nil && d != nil {
		res.DeploymentID = d.DesiredDeploymentID
		if r.o.Wait && c.Action != plan.Delete {
			r.event(c, "waiting", "deployment "+d.DesiredDeploymentID)
			err = r.wait(ctx, c, d.DesiredDeploymentID)
			res.Ready = err == nil
		}
	}
	res.Duration = time.Since(start)
	if err != nil {
		res.Outcome = Failed
		res.Error = err.Error()
		var ae *cloud.Error
		if errors.As(err, &ae) {
			res.ErrorCode, res.Error = ae.Code, ae.Message
			if res.Error == "" {
				res.Error = err.Error()
			}
		}
		var we *WaitError
		if errors.As(err, &we) {
			res.ErrorCode = we.Code
		}
		r.event(c, "failed", res.Error)
		return res
	}
	r.event(c, "done", note)
	return res
}

// change sends the requests of one change and returns the agent's details
// after it (nil for a delete).
func (r *runner) change(ctx context.Context, c plan.Change) (*cloud.ServiceDetails, string, error) {
	switch c.Action {
	case plan.Create:
		r.event(c, "creating", "")
		return r.create(ctx, c)
	case plan.Update:
		r.event(c, "updating", "")
		d, err := r.api.UpdateAgent(ctx, c.Agent, plan.UpdateRequest(c.Desired))
		if cloud.IsNotFound(err) {
			return nil, "", fmt.Errorf("update %s: the agent no longer exists; run plan again: %w", c.Agent, err)
		}
		return d, "", err
	case plan.Replace:
		r.event(c, "deleting", "replace: delete before create")
		if err := r.api.DeleteAgent(ctx, c.Agent); err != nil && !cloud.IsNotFound(err) {
			return nil, "", fmt.Errorf("replace %s: delete: %w", c.Agent, err)
		}
		r.event(c, "creating", "replace: create")
		d, note, err := r.create(ctx, c)
		if err != nil {
			return nil, note, fmt.Errorf("replace %s: deleted, but create: %w", c.Agent, err)
		}
		return d, note, nil
	case plan.Delete:
		r.event(c, "deleting", "")
		err := r.api.DeleteAgent(ctx, c.Agent)
		if cloud.IsNotFound(err) {
			return nil, "already gone", nil
		}
		return nil, "", err
	default:
		return nil, "", fmt.Errorf("apply %s: unexpected action %s", c.Agent, c.Action)
	}
}

// create sends the full desired spec. "Already exists" means an earlier
// try's response was lost or someone raced us: read the agent back and
// finish as a no-op or an update, so a retried create never fails on its
// own success.
func (r *runner) create(ctx context.Context, c plan.Change) (*cloud.ServiceDetails, string, error) {
	d, err := r.api.CreateAgent(ctx, plan.CreateRequest(c.Agent, c.Desired))
	if err == nil || !cloud.IsAlreadyExists(err) {
		return d, "", err
	}
	d, err = r.api.GetAgent(ctx, c.Agent)
	if err != nil {
		return nil, "", fmt.Errorf("create %s: it already exists, and reading it back: %w", c.Agent, err)
	}
	if c.Desired.Region != nil && d.Region != *c.Desired.Region {
		return nil, "", fmt.Errorf("create %s: an agent of that name already exists in region %s", c.Agent, d.Region)
	}
	changed := plan.DiffLive(c.Desired, d)
	if len(changed) == 0 && c.Desired.BuildID == nil {
		return d, "already existed with the desired spec", nil
	}
	d, err = r.api.UpdateAgent(ctx, c.Agent, plan.UpdateRequest(c.Desired))
	if err != nil {
		return nil, "", fmt.Errorf("create %s: it already exists, and updating it: %w", c.Agent, err)
	}
	return d, "already existed; updated to the desired spec", nil
}

// maxPoll caps the pause between polls: quick for agents that deploy in
// seconds, gentle on the API for ones that take minutes.
const maxPoll = 5 * time.Second

// WaitError is a deployment that did not become ready.
type WaitError struct {
	Agent        string
	DeploymentID string
	Code         string // "DEPLOYMENT_FAILED" or "WAIT_TIMEOUT"
	Msg          string
}

func (e *WaitError) Error() string { return e.Msg }

// wait polls the agent until the deployment the change made is ready and
// reconciled, fails fast on a Failed revision, and gives up at the timeout.
func (r *runner) wait(ctx context.Context, c plan.Change, deployment string) error {
	agent := c.Agent
	ctx, cancel := context.WithTimeout(ctx, r.o.WaitTimeout)
	defer cancel()
	last := ""
	pause := r.o.PollInterval
	for {
		d, err := r.api.GetAgent(ctx, agent)
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("wait for %s: %w", agent, err)
		}
		if d != nil {
			if rev := d.CurrentRevision; rev != nil && rev.Phase == "Failed" && (rev.DeploymentID == "" || rev.DeploymentID == deployment) {
				return &WaitError{Agent: agent, DeploymentID: deployment, Code: "DEPLOYMENT_FAILED", Msg: failedMessage(deployment, rev)}
			}
			if d.Ready && d.ReconciledDeploymentID != nil && *d.ReconciledDeploymentID == deployment && d.DesiredDeploymentID == deployment {
				return nil
			}
			if d.DesiredDeploymentID != "" && d.DesiredDeploymentID != deployment {
				return fmt.Errorf("wait for %s: deployment %s was superseded by %s (another apply?)", agent, deployment, d.DesiredDeploymentID)
			}
			if phase := revisionPhase(d); phase != last {
				last = phase
				r.event(c, "waiting", phase)
			}
		}
		t := time.NewTimer(pause)
		pause = min(2*pause, max(maxPoll, r.o.PollInterval))
		select {
		case <-ctx.Done():
			t.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return &WaitError{Agent: agent, DeploymentID: deployment, Code: "WAIT_TIMEOUT",
					Msg: fmt.Sprintf("deployment %s not ready after %s (last state: %s)", deployment, r.o.WaitTimeout, orUnknown(last))}
			}
			return fmt.Errorf("wait for %s: %w", agent, ctx.Err())
		case <-t.C:
		}
	}
}

func revisionPhase(d *cloud.ServiceDetails) string {
	if d.CurrentRevision == nil || d.CurrentRevision.Phase == "" {
		return "pending"
	}
	return d.CurrentRevision.Phase
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// failedMessage tells why a revision failed: reason, exit code and the last
// lines of the crash output, which is what a user needs to fix it.
func failedMessage(deployment string, rev *cloud.RevisionInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "deployment %s failed", deployment)
	h := rev.Health
	if h == nil {
		return b.String()
	}
	if h.Reason != "" {
		fmt.Fprintf(&b, ": %s", h.Reason)
	}
	var extra []string
	if h.LastExitCode != nil {
		extra = append(extra, fmt.Sprintf("exit code %d", *h.LastExitCode))
	}
	if h.LastTerminationReason != "" {
		extra = append(extra, "last termination "+h.LastTerminationReason)
	}
	if h.RestartCount > 0 {
		extra = append(extra, fmt.Sprintf("%d restarts", h.RestartCount))
	}
	if len(extra) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(extra, ", "))
	}
	if msg := strings.TrimSpace(h.Message); msg != "" {
		lines := strings.Split(msg, "\n")
		if len(lines) > 5 {
			lines = lines[len(lines)-5:]
		}
		fmt.Fprintf(&b, ":\n%s", strings.Join(lines, "\n"))
	}
	return b.String()
}
