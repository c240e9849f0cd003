// Package apply executes a plan through the Pipecat Cloud API and reports,
// per agent and secret set, what happened. It decides nothing: the plan did.
//
//   - Run sends exactly the plan's changes, never touches an agent the plan
//     does not list, and refuses a plan that holds errors before sending
//     anything. It makes no decision the plan does not record: a build
//     agent deploys the cached build the plan names (gone or not
//     successful: CodeStale, nothing substituted); a secret set loses only
//     the keys the plan removes; a create that finds someone else's agent
//     with another spec is a CONFLICT, never an unplanned update; a write
//     a read-back cannot confirm is Unknown (CodeNotVerified).
//   - The stages run in order: secret sets, cloud builds, creates, updates
//     and replaces (polled until ready with Options.Wait), deletes, then a
//     check that every changed agent still holds what this run sent.
//   - One agent's failure never stops the others. A write whose answer was
//     lost is read back before it is sent again (write.go), and a lost
//     build is looked up by its context hash, so a result never calls
//     Failed a change that was applied; counts count effects.
//   - Interrupted, a change never started is Skipped and one in flight is
//     Unknown.
//
// docs/architecture.md explains the stages, the read-back and the counts.
package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/pack"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// API is the part of the cloud client apply needs.
type API interface {
	ListAgents(ctx context.Context) ([]cloud.ServiceListItem, error)
	GetAgent(ctx context.Context, name string) (*cloud.ServiceDetails, error)
	CreateAgent(ctx context.Context, req *cloud.CreateServiceRequest) (*cloud.ServiceDetails, error)
	UpdateAgent(ctx context.Context, name string, req *cloud.UpdateServiceRequest) (*cloud.ServiceDetails, error)
	DeleteAgent(ctx context.Context, name string) error
	ListSecretSets(ctx context.Context) ([]cloud.SecretSetSummary, error)
	GetSecretSet(ctx context.Context, name string) (*cloud.SecretSetDetails, error)
	PutSecretSet(ctx context.Context, name string, req *cloud.SecretSetRequest) (*cloud.SecretSetAccepted, error)
	DeleteSecretSet(ctx context.Context, name string) error
	DeleteSecretKey(ctx context.Context, name, key string) error
	// The build API, for agents built from a context.
	ListBuilds(ctx context.Context, q cloud.BuildQuery) ([]cloud.Build, error)
	UploadURL(ctx context.Context, region string) (*cloud.UploadURLResponse, error)
	Upload(ctx context.Context, u *cloud.UploadURLResponse, body cloud.UploadBody) error
	CreateBuild(ctx context.Context, req *cloud.CreateBuildRequest) (*cloud.CreateBuildResponse, error)
	GetBuild(ctx context.Context, id string) (*cloud.Build, error)
	GetBuildLogs(ctx context.Context, id string, limit int) ([]string, error)
	// The organization's properties, and the log of a failed deployment.
	UpdateProperties(ctx context.Context, req *cloud.UpdatePropertiesRequest) (*cloud.PropertiesSchemaResponse, error)
	AgentLogs(ctx context.Context, name string, q cloud.LogQuery) ([]cloud.LogEntry, error)
}

// Options tune a run. The zero value applies with parallelism 8 and does
// not wait.
type Options struct {
	Parallelism int  // requests in flight at most; < 1 means 8
	Wait        bool // poll changed agents until ready
	// WaitTimeout bounds the wait, counted from the moment every change
	// was sent; < 1 means 5m.
	WaitTimeout time.Duration
	// PollInterval is the first pause between poll rounds of --wait; each
	// pause is half again the last, up to maxPoll. < 1 means 250ms.
	PollInterval time.Duration
	// Progress, when set, is called on every change of an agent's state.
	// It may be called from several goroutines at once.
	Progress func(Event)
	// Status, when set, is called when a stage starts and whenever its
	// counts change. Calls are serialized.
	Status func(Status)
	// SecretValue reads the value of a fromEnv variable of the plan's
	// secret sets (a plan holds only their names); FingerprintKey keys
	// their fingerprints, as plan.Options does.
	SecretValue    func(name string) (string, bool)
	FingerprintKey string
	// BuildTimeout bounds each cloud build, from its start to its end;
	// < 1 means 10m.
	BuildTimeout time.Duration
	// Contexts holds, by context hash, the spooled archive to upload for
	// each build the plan needs (plan.Sources.Archives, or plan.Repack
	// for a saved plan).
	Contexts map[string]*pack.Archive
}

// Event is one change of state of one agent, secret set or cloud build,
// for progress display.
type Event struct {
	// Agent names the agent; a set as "secret set NAME"; for a build, the
	// agents it is for, joined with ", ".
	Agent  string
	Action plan.Action
	State  string // "creating", "updating", "deleting", "waiting", "uploading", "building", "done", "failed", "unknown"
	Detail string
	// Build names the build of a build's event: its context and hash,
	// "agents/bot (a1b2c3d4)"; empty for an agent's event.
	Build string
}

// Stages of a run, in order. Empty stages are not announced. The secret
// set stages (secretsets.go) come first and last.
const (
	StageBuilding  = "building"  // cloud builds of the agents built from a context
	StageApplying  = "applying"  // sending creates, updates and replaces
	StageWaiting   = "waiting"   // --wait: polling until ready
	StageDeleting  = "deleting"  // sending deletes
	StageVerifying = "verifying" // reading changed agents back
)

// Status is where the stage under way stands, for progress display.
type Status struct {
	Stage string
	// Done of Total agents have finished the stage (for StageWaiting:
	// became ready or failed); Failed of them failed.
	Done, Total, Failed int
	// Deadline is when StageWaiting gives up; zero for other stages.
	Deadline time.Time
	// Started is when StageBuilding began (its elapsed time is shown);
	// zero for other stages.
	Started time.Time
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
	if o.BuildTimeout < 1 {
		o.BuildTimeout = 10 * time.Minute
	}
	r := &runner{api: api, o: o}
	var first, deletes []*item
	for _, c := range p.Changes {
		it := &item{c: c, spec: c.Desired, res: AgentResult{Agent: c.Agent, Action: c.Action}}
		switch c.Action {
		case plan.Delete:
			deletes = append(deletes, it)
		case plan.Create, plan.Update, plan.Replace:
			first = append(first, it)
		}
	}
	// The organization's properties first: a create that names no region
	// lands in its default region. Then secret sets: an agent binding a
	// set that is not ready is refused, and one redeployed for new values
	// must find them. Then the builds; an agent whose build failed is not
	// sent either.
	org := r.organization(ctx, p.Organization)
	going := r.blockOnOrganization(first, org)
	sets, setDeletes := r.secretSets(ctx, p, going)
	send := r.blockOnSets(r.builds(ctx, going), sets)
	r.send(ctx, StageApplying, send)
	if o.Wait {
		r.waitReady(ctx, send)
		r.deploymentLogs(ctx, send)
	}
	// Deletes go last, so a rename never leaves a gap (with --wait: not
	// before the new agent is ready).
	r.send(ctx, StageDeleting, deletes)
	r.deleteSets(ctx, setDeletes)
	r.verify(ctx, send)

	res := &Result{Config: p.Config, Cancelled: r.interrupted, Organization: org}
	for _, it := range append(first, deletes...) {
		res.Results = append(res.Results, it.res)
	}
	sort.SliceStable(res.Results, func(i, j int) bool { return res.Results[i].Agent < res.Results[j].Agent })
	for _, it := range append(sets, setDeletes...) {
		res.SecretSets = append(res.SecretSets, it.res)
	}
	sort.SliceStable(res.SecretSets, func(i, j int) bool { return res.SecretSets[i].Name < res.SecretSets[j].Name })
	res.Summary = res.Tally()
	return res, nil
}

// item is one change on its way through the stages. Stages run one after
// the other and touch an item from one goroutine at a time.
type item struct {
	c plan.Change
	// spec is what is sent: c.Desired, with the buildId of its build.
	spec  *schema.Spec
	res   AgentResult
	start time.Time
	// sent: every request of the change succeeded.
	sent bool
	// deleted: the delete of a replace succeeded.
	deleted bool
	// settled: --wait is over for this item (ready, failed or timed out).
	settled bool
	// readBack is the agent as read after every change was sent (the last
	// poll of --wait, or the verify read).
	readBack *cloud.ServiceDetails
	phase    string // last revision phase --wait reported
}

type runner struct {
	api API
	o   Options

	mu          sync.Mutex // guards status and interrupted
	status      Status
	interrupted bool
}

// stage announces the start of a stage of total agents.
func (r *runner) stage(s Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = s
	if r.o.Status != nil {
		r.o.Status(r.status)
	}
}

// finished counts one agent done with the stage under way.
func (r *runner) finished(failed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status.Done++
	if failed {
		r.status.Failed++
	}
	if r.o.Status != nil {
		r.o.Status(r.status)
	}
}

func (r *runner) markInterrupted() {
	r.mu.Lock()
	r.interrupted = true
	r.mu.Unlock()
}

// inFlight is the outcome of a change whose request Ctrl-C cut off: the
// API may have applied it or not. deleted: a replace had deleted the
// agent (or set) already.
func (r *runner) inFlight(deleted bool) (Outcome, string, string) {
	r.markInterrupted()
	if deleted {
		return Unknown, CodeInterrupted, "deleted; the create " + UnknownMessage
	}
	return Unknown, CodeInterrupted, UnknownMessage
}

// notStarted is the outcome of a change Ctrl-C kept from starting.
func (r *runner) notStarted() (Outcome, string) {
	r.markInterrupted()
	return Skipped, "interrupted"
}

func (r *runner) event(c plan.Change, state, detail string) {
	if r.o.Progress != nil {
		r.o.Progress(Event{Agent: c.Agent, Action: c.Action, State: state, Detail: detail})
	}
}

// each runs fn for every item, at most Parallelism at a time. Items not
// started when ctx is done go to notStarted (if not nil) instead.
func (r *runner) each(ctx context.Context, items []*item, fn, notStarted func(*item)) {
	parallel(ctx, r.o.Parallelism, items, fn, notStarted)
}

// parallel runs fn for every item, at most n at a time; the items not
// started when ctx is done go to notStarted (if not nil) instead.
func parallel[T any](ctx context.Context, n int, items []T, fn, notStarted func(T)) {
	var g errgroup.Group
	g.SetLimit(n)
	for _, it := range items {
		g.Go(func() error {
			switch {
			case ctx.Err() == nil:
				fn(it)
			case notStarted != nil:
				notStarted(it)
			}
			return nil
		})
	}
	g.Wait()
}

// send runs the changes of one stage. Changes not started when ctx is
// cancelled are Skipped.
func (r *runner) send(ctx context.Context, stage string, items []*item) {
	if len(items) == 0 {
		return
	}
	r.stage(Status{Stage: stage, Total: len(items)})
	r.each(ctx, items, func(it *item) { r.one(ctx, it) }, func(it *item) {
		it.res.Outcome, it.res.Error = r.notStarted()
	})
}

// one sends the requests of a single change.
func (r *runner) one(ctx context.Context, it *item) {
	c := it.c
	it.start = time.Now()
	w, err := r.change(ctx, it)
	it.res.Note = w.note
	it.res.Duration = time.Since(it.start)
	var le *Error
	switch {
	case err == nil:
		it.sent = true
		it.res.Effect = w.effect
		if w.d != nil {
			it.res.DeploymentID = w.d.DesiredDeploymentID
		}
		if r.o.Wait && w.d != nil {
			r.event(c, "waiting", "deployment "+w.d.DesiredDeploymentID)
		} else {
			r.event(c, "done", w.note)
		}
		r.finished(false)
	case interrupted(ctx, err):
		// The request was cut off: the API may have applied it or not.
		it.res.Outcome, it.res.ErrorCode, it.res.Error = r.inFlight(it.deleted)
		r.event(c, "unknown", it.res.Error)
		r.finished(false)
	case errors.As(err, &le) && (le.Code == CodeNoAnswer || le.Code == CodeNotVerified):
		// No answer (or one about another agent), and the read-back
		// failed or does not show it: nobody knows.
		it.res.Outcome, it.res.ErrorCode, it.res.Error = Unknown, le.Code, le.Msg
		if it.deleted {
			it.res.Error = "deleted; the create: " + le.Msg
		}
		r.event(c, "unknown", it.res.Error)
		r.finished(true)
	default:
		r.fail(it, err)
		r.finished(true)
	}
}

// interrupted reports whether err is the consequence of ctx being
// cancelled rather than an answer of the API.
func interrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil && errors.Is(err, ctx.Err())
}

// fail records err as the item's failure: the API's code and message when
// it is an API error, the local code of a wait or conflict error.
func (r *runner) fail(it *item, err error) {
	it.res.Outcome, it.res.Effect = Failed, NoEffect
	it.res.ErrorCode, it.res.Error = describeError(err)
	r.event(it.c, "failed", it.res.Error)
}

// describeError is the code and message of a failure: the API's, or the
// local ones of an *Error, else the error's text.
func describeError(err error) (code, msg string) {
	msg = err.Error()
	var ae *cloud.Error
	if errors.As(err, &ae) {
		code = ae.Code
		if ae.Message != "" {
			msg = ae.Message
		}
	}
	var le *Error
	if errors.As(err, &le) {
		code, msg = le.Code, le.Msg
	}
	return code, msg
}

// change sends the requests of one change (write.go).
func (r *runner) change(ctx context.Context, it *item) (written, error) {
	c := it.c
	switch c.Action {
	case plan.Create:
		r.event(c, "creating", "")
		return r.create(ctx, c.Agent, it.spec)
	case plan.Update:
		r.event(c, "updating", "")
		// New values of its secret set reach the agent only in a new
		// deployment.
		// --redeploy asks for the same: a mutable tag is pulled again.
		return r.update(ctx, c.Agent, it.spec, c.RestartFor != "" || c.Reason == plan.ReasonRedeploy)
	case plan.Replace:
		r.event(c, "deleting", "replace: delete before create")
		del, err := r.delete(ctx, c.Agent)
		if err != nil {
			return written{}, fmt.Errorf("replace %s: delete: %w", c.Agent, err)
		}
		it.deleted = true
		r.event(c, "creating", "replace: create")
		w, err := r.create(ctx, c.Agent, it.spec)
		w.note = joinNote(del.note, w.note)
		if err != nil {
			return w, fmt.Errorf("replace %s: deleted, but create: %w", c.Agent, err)
		}
		w.effect = Replaced
		return w, nil
	case plan.Delete:
		r.event(c, "deleting", "")
		return r.delete(ctx, c.Agent)
	default:
		return written{}, fmt.Errorf("apply %s: unexpected action %s", c.Agent, c.Action)
	}
}

// maxPoll caps the pause between poll rounds: quick for agents that deploy
// in seconds, gentle on the API for ones that take minutes.
const maxPoll = 5 * time.Second

// Error is a failure apply itself found: a deployment that failed or did
// not become ready (CodeDeploymentFailed, CodeWaitTimeout), or an agent
// someone else changed during the run (CodeConflict).
type Error struct {
	Agent        string
	DeploymentID string
	Code         string
	Msg          string
}

func (e *Error) Error() string { return e.Agent + ": " + e.Msg }

// waitReady polls every sent change in rounds, each round one read per
// pending agent with at most Parallelism in flight, until each is ready
// and reconciled, fails, or WaitTimeout passes. Between rounds it holds no
// request slot, so the wait costs the slowest readiness, not a wave of
// readiness per Parallelism agents. (GET /v1/agents cannot batch the
// poll: the spec's list items carry neither `ready` nor the revision's
// phase and health.)
func (r *runner) waitReady(ctx context.Context, items []*item) {
	var pending []*item
	for _, it := range items {
		if it.sent && it.res.DeploymentID != "" {
			pending = append(pending, it)
		}
	}
	if len(pending) == 0 {
		return
	}
	deadline := time.Now().Add(r.o.WaitTimeout)
	r.stage(Status{Stage: StageWaiting, Total: len(pending), Deadline: deadline})
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	pause := r.o.PollInterval
	for {
		if ctx.Err() == nil && wctx.Err() == nil {
			r.each(wctx, pending, func(it *item) { r.poll(wctx, it) }, nil)
		}
		pending = unsettled(pending)
		switch {
		case len(pending) == 0:
			return
		case ctx.Err() != nil:
			// Interrupted: what was sent was sent; only readiness is unknown.
			r.markInterrupted()
			for _, it := range pending {
				it.res.ReadinessUnknown = true
				it.res.Duration = time.Since(it.start)
				r.event(it.c, "done", "readiness unknown: interrupted while waiting")
			}
			return
		case wctx.Err() != nil:
			for _, it := range pending {
				it.res.Duration = time.Since(it.start)
				r.fail(it, &Error{Agent: it.c.Agent, DeploymentID: it.res.DeploymentID, Code: CodeWaitTimeout,
					Msg: fmt.Sprintf("deployment %s not ready after %s (last state: %s)", it.res.DeploymentID, r.o.WaitTimeout, orUnknown(it.phase))})
				r.finished(true)
			}
			return
		}
		pause = r.pause(wctx, pause)
	}
}

// pause waits d (or until ctx is done) between two poll rounds and
// returns the next pause. Growing by half rather than doubling, a
// deployment is seen ready at most about half its readiness time late
// (doubling: as late again), for a few more reads.
func (r *runner) pause(ctx context.Context, d time.Duration) time.Duration {
	t := time.NewTimer(d)
	select {
	case <-ctx.Done():
		t.Stop()
	case <-t.C:
	}
	return min(d+d/2, max(maxPoll, r.o.PollInterval))
}

func unsettled(items []*item) []*item {
	var out []*item
	for _, it := range items {
		if !it.settled {
			out = append(out, it)
		}
	}
	return out
}

// poll reads one waiting agent once and settles it when its deployment is
// ready, failed, or replaced by someone else's. A read cut off by the
// deadline or an interrupt leaves it pending: waitReady decides.
func (r *runner) poll(ctx context.Context, it *item) {
	d, err := r.api.GetAgent(ctx, it.c.Agent)
	switch {
	case err != nil && ctx.Err() != nil:
	case cloud.IsNotFound(err):
		r.settle(it, &Error{Agent: it.c.Agent, DeploymentID: it.res.DeploymentID, Code: CodeConflict, Msg: "deleted by someone else during apply"})
	case err != nil:
		r.settle(it, fmt.Errorf("wait for %s: %w", it.c.Agent, err))
	default:
		r.observe(it, d)
	}
}

// observe judges one read of a waiting agent.
func (r *runner) observe(it *item, d *cloud.ServiceDetails) {
	agent, deployment := it.c.Agent, it.res.DeploymentID
	switch rev := d.CurrentRevision; {
	case len(d.Errors) > 0 && (d.DesiredDeploymentID == "" || d.DesiredDeploymentID == deployment):
		// What the official CLI and deploy action stop on.
		msg := fmt.Sprintf("deployment %s failed: %s", deployment, platformErrors(d))
		if rev != nil && rev.Phase == "Failed" {
			msg = failedMessage(deployment, rev) + "; errors: " + platformErrors(d)
		}
		r.settle(it, &Error{Agent: agent, DeploymentID: deployment, Code: CodeDeploymentFailed, Msg: msg})
	case rev != nil && rev.Phase == "Failed" && (rev.DeploymentID == "" || rev.DeploymentID == deployment):
		r.settle(it, &Error{Agent: agent, DeploymentID: deployment, Code: CodeDeploymentFailed, Msg: failedMessage(deployment, rev)})
	case d.Ready && d.ReconciledDeploymentID != nil && *d.ReconciledDeploymentID == deployment && d.DesiredDeploymentID == deployment:
		it.res.Ready = true
		it.readBack = d
		r.settle(it, nil)
		r.event(it.c, "done", it.res.Note)
	case d.DesiredDeploymentID != "" && d.DesiredDeploymentID != deployment:
		// Someone deployed after us. The same spec (another apply of the
		// same config) is no conflict: wait for their deployment instead.
		if diff := plan.DiffLive(it.c.Desired, d); len(diff) > 0 {
			r.settle(it, &Error{Agent: agent, DeploymentID: deployment, Code: CodeConflict,
				Msg: "changed by someone else during apply: " + describeDiff(diff)})
			return
		}
		it.res.DeploymentID = d.DesiredDeploymentID
		it.res.Note = joinNote(it.res.Note, redeployedNote)
		r.observe(it, d)
	default:
		if phase := revisionPhase(d); phase != it.phase {
			it.phase = phase
			r.event(it.c, "waiting", phase)
		}
	}
}

// settle ends the wait of one agent: ready when err is nil, else failed.
func (r *runner) settle(it *item, err error) {
	it.settled = true
	it.res.Duration = time.Since(it.start)
	if err != nil {
		r.fail(it, err)
	}
	r.finished(err != nil)
}

// verify reads every changed agent back once, after everything was sent,
// and fails the ones that no longer hold what this run sent: another apply
// or a person changed them meanwhile, and reporting success would be a
// lie. Every update makes a new deployment, so one list (GET /v1/agents)
// shows which agents someone deployed after us: only those are read in
// full and compared field by field (plan.DiffLive); the same spec sent by
// someone else is no conflict. Agents --wait saw ready are not read again:
// that read came after every change was sent.
func (r *runner) verify(ctx context.Context, items []*item) {
	var check, read []*item
	for _, it := range items {
		if !it.sent || it.res.Outcome != Succeeded || it.res.ReadinessUnknown {
			continue
		}
		check = append(check, it)
		if it.readBack == nil {
			read = append(read, it)
		}
	}
	notVerified := func(it *item, why string) { it.res.Note = joinNote(it.res.Note, "not verified: "+why) }
	if len(read) > 0 {
		r.stage(Status{Stage: StageVerifying, Total: len(read)})
		if moved, err := r.moved(ctx, read); err == nil {
			for range len(read) - len(moved) {
				r.finished(false)
			}
			read = moved
		}
		// Without the list (it failed), every agent is read.
		r.each(ctx, read, func(it *item) {
			d, err := r.api.GetAgent(ctx, it.c.Agent)
			switch {
			case err == nil:
				it.readBack = d
			case cloud.IsNotFound(err):
				r.fail(it, &Error{Agent: it.c.Agent, DeploymentID: it.res.DeploymentID, Code: CodeConflict, Msg: "deleted by someone else during apply"})
			case interrupted(ctx, err):
				r.markInterrupted()
				notVerified(it, "interrupted")
			default:
				notVerified(it, err.Error())
			}
			r.finished(it.res.Outcome == Failed)
		}, func(it *item) {
			r.markInterrupted()
			notVerified(it, "interrupted")
		})
	}
	for _, it := range check {
		if it.readBack == nil || it.res.Outcome != Succeeded {
			continue
		}
		diff := plan.DiffLive(it.c.Desired, it.readBack)
		switch {
		case len(diff) > 0:
			r.fail(it, &Error{Agent: it.c.Agent, DeploymentID: it.res.DeploymentID, Code: CodeConflict,
				Msg: "changed by someone else during apply: " + describeDiff(diff)})
		case it.readBack.DesiredDeploymentID != "" && it.readBack.DesiredDeploymentID != it.res.DeploymentID:
			it.res.DeploymentID = it.readBack.DesiredDeploymentID
			it.res.Note = joinNote(it.res.Note, redeployedNote)
		}
	}
}

// redeployedNote marks a change someone else deployed again, with the
// spec this run sent.
const redeployedNote = "redeployed meanwhile by someone else with the same spec"

// moved lists the items whose agent is missing from the organization's
// list or names a deployment other than the one this run made.
func (r *runner) moved(ctx context.Context, items []*item) ([]*item, error) {
	list, err := r.api.ListAgents(ctx)
	if err != nil {
		return nil, err
	}
	desired := make(map[string]string, len(list))
	for _, a := range list {
		desired[a.Name] = a.DesiredDeploymentID
	}
	var out []*item
	for _, it := range items {
		if d, ok := desired[it.c.Agent]; !ok || d == "" || d != it.res.DeploymentID {
			out = append(out, it)
		}
	}
	return out, nil
}

// describeDiff says, per field, what the agent holds and what this run
// sent.
func describeDiff(diff []plan.FieldChange) string {
	parts := make([]string, len(diff))
	for i, f := range diff {
		parts[i] = fmt.Sprintf("%s is %s, this run sent %s", f.Path, value(f.Before), value(f.After))
	}
	return strings.Join(parts, "; ")
}

func value(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v)
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" || b == a {
		return a
	}
	return a + "; " + b
}

// revisionPhase is what a waiting agent's revision says: its phase and,
// when its health names one, the reason (a crash loop before the revision
// is marked Failed: CrashLoopBackOff, 2 restarts).
func revisionPhase(d *cloud.ServiceDetails) string {
	rev := d.CurrentRevision
	if rev == nil || rev.Phase == "" {
		return "pending"
	}
	if h := rev.Health; h != nil && h.Reason != "" {
		if h.RestartCount > 0 {
			return fmt.Sprintf("%s: %s, %d restarts", rev.Phase, h.Reason, h.RestartCount)
		}
		return rev.Phase + ": " + h.Reason
	}
	return rev.Phase
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
