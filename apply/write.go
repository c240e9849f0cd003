package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// The writes of one agent, and how apply knows what became of them.
//
// The client never repeats a create, update or delete the API may have
// acted on (cloud's contract): a blind retry after an answer lost once the
// API committed the change would make a second deployment, or answer
// "already exists" as though someone else had made the agent. When the answer leaves the outcome open (no answer, a 5xx, a 2xx
// that could not be read), apply reads the agent back once: the change is
// in place (Succeeded, with a note saying so), or it is not and is sent
// again, at most sendTries times in all; a read-back that fails too makes
// the change Unknown. An API error below 500 (400, 404, a 429 that
// outlasted the client's retries) is an answer: nothing was done.

// sendTries bounds the sends of one write whose answers left its outcome
// open and whose read-back found it not applied.
const sendTries = 5

// written is what a change's writes did.
type written struct {
	d      *cloud.ServiceDetails // the agent after them; nil for a delete
	note   string
	effect Effect
}

// carriedOut tells whether the read-back of a write whose answer was lost
// shows it carried out; live is nil when the agent does not exist.
type carriedOut func(live *cloud.ServiceDetails) bool

// write sends one write of agent name until it is answered or a read-back
// shows it carried out (see above). note is set when the read-back decided.
func (r *runner) write(ctx context.Context, name string, send func() (*cloud.ServiceDetails, error), done carriedOut) (d *cloud.ServiceDetails, note string, err error) {
	for try := 1; ; try++ {
		d, err = send()
		var foreign *foreignAnswer
		if err == nil && d != nil && d.Name != "" && d.Name != name {
			// A 2xx about another agent says nothing of this write.
			foreign = &foreignAnswer{name: d.Name}
			d, err = nil, foreign
		}
		if err == nil || !openOutcome(err) || interrupted(ctx, err) {
			return d, "", err
		}
		live, gerr := r.api.GetAgent(ctx, name)
		if cloud.IsNotFound(gerr) {
			live, gerr = nil, nil
		}
		switch {
		case interrupted(ctx, gerr):
			return nil, "", gerr
		case gerr != nil:
			return nil, "", &Error{Agent: name, Code: CodeNoAnswer,
				Msg: fmt.Sprintf("%s, and reading the agent back: %v: %s", noAnswer(err), gerr, UnknownMessage)}
		case done(live):
			return live, appliedNote(err), nil
		case foreign != nil:
			// The API said it did something: sending again could do it
			// twice, and not seeing it is no proof it was not done.
			return nil, "", &Error{Agent: name, Code: CodeNotVerified,
				Msg: fmt.Sprintf("%s, and reading %s back does not show it applied: %s", foreign, name, UnknownMessage)}
		case try == sendTries:
			code, _ := describeError(err)
			return nil, "", &Error{Agent: name, Code: code,
				Msg: fmt.Sprintf("%s; read back after each of %d tries: not applied", noAnswer(err), try)}
		}
	}
}

// openOutcome reports whether err leaves open whether the API carried the
// write out: anything but an API error below 500.
func openOutcome(err error) bool {
	var ae *cloud.Error
	return !errors.As(err, &ae) || ae.Status >= 500
}

// noAnswer says what came back instead of an answer: a server error, or
// nothing ("the API's answer was lost (…)").
func noAnswer(err error) string {
	var ae *cloud.Error
	if errors.As(err, &ae) {
		return fmt.Sprintf("the API answered %d %s", ae.Status, ae.Message)
	}
	return fmt.Sprintf("the API's answer was lost (%v)", withoutUnknownMark(err))
}

// foreignAnswer is a 2xx answer to a write of one agent that describes
// another.
type foreignAnswer struct{ name string }

func (f *foreignAnswer) Error() string {
	return fmt.Sprintf("the API accepted the write but answered with agent %q", f.name)
}

// appliedNote is the note of a write a read-back found carried out after
// err: the note says what happened, the -v log the details.
func appliedNote(err error) string {
	var ae *cloud.Error
	var fa *foreignAnswer
	switch {
	case errors.As(err, &ae):
		return fmt.Sprintf("the API answered %d; read back: applied", ae.Status)
	case errors.As(err, &fa):
		return fa.Error() + "; read back: applied"
	}
	return LostAnswerNote
}

// LostAnswerNote is the note of a change whose answer was lost and which
// a read-back found applied.
const LostAnswerNote = "the API's answer was lost; read back: applied"

// withoutUnknownMark drops the client's "not repeated: the request may
// have been applied" from err: apply has looked.
func withoutUnknownMark(err error) error {
	if m, ok := err.(interface{ Unwrap() []error }); ok && errors.Is(err, cloud.ErrUnknownOutcome) {
		for _, e := range m.Unwrap() {
			if e != cloud.ErrUnknownOutcome {
				return e
			}
		}
	}
	return err
}

// create sends the full desired spec. An agent of that name found there
// (the API answers "already exists", or a read-back after a lost answer
// finds one) is this run's when it holds what this run sent after an
// earlier send of ours whose answer was lost; an agent someone else made
// with the desired spec (and no write-only field, which cannot be read
// back) is already in place; anything else is a CONFLICT: updating it
// would be a change no plan showed.
func (r *runner) create(ctx context.Context, name string, spec *schema.Spec) (written, error) {
	sends := 0
	d, note, err := r.write(ctx, name, func() (*cloud.ServiceDetails, error) {
		sends++
		return r.api.CreateAgent(ctx, plan.CreateRequest(name, spec))
	}, func(live *cloud.ServiceDetails) bool { return live != nil })
	switch {
	case err == nil && note == "":
		return written{d, note, Created}, nil
	case err == nil:
		// A read-back after a lost answer found it.
		if holds(spec, d) {
			return written{d, note, Created}, nil
		}
	case cloud.IsAlreadyExists(err):
		if d, err = r.api.GetAgent(ctx, name); err != nil {
			return written{}, fmt.Errorf("create %s: it already exists, and reading it back: %w", name, err)
		}
		switch {
		case sends > 1 && holds(spec, d):
			// An earlier send of ours, whose answer was lost, made it.
			return written{d, LostAnswerNote, Created}, nil
		case holds(spec, d) && !plan.HasWriteOnly(spec):
			return written{d, alreadyInPlaceNote, AlreadyInPlace}, nil
		}
	default:
		return written{}, err
	}
	return written{}, createConflict(name, spec, d)
}

// holds reports whether the agent d holds what spec sends, as far as a
// read shows it.
func holds(spec *schema.Spec, d *cloud.ServiceDetails) bool {
	return (spec.Region == nil || d.Region == *spec.Region) && len(plan.DiffLive(spec, d)) == 0
}

// createConflict is the error of a create that found an agent someone
// else made, which this run does not change.
func createConflict(name string, spec *schema.Spec, d *cloud.ServiceDetails) error {
	var why string
	switch diff := plan.DiffLive(spec, d); {
	case spec.Region != nil && d.Region != *spec.Region:
		why = fmt.Sprintf("it is in region %s, this run sent %s", d.Region, *spec.Region)
	case len(diff) > 0:
		why = describeDiff(diff)
	default:
		why = "its build or managed keys cannot be read back to compare"
	}
	return &Error{Agent: name, Code: CodeConflict,
		Msg: fmt.Sprintf("already exists, made by someone else (%s); not changed: run plan", why)}
}

// alreadyInPlaceNote is the note of a create that found the agent there,
// made by someone else with the desired spec.
const alreadyInPlaceNote = "already existed with the desired spec"

// update sends every managed field of spec; force asks for a new
// deployment even when nothing changes.
func (r *runner) update(ctx context.Context, name string, spec *schema.Spec, force bool) (written, error) {
	var before string
	if !readable(spec, force) {
		// Only a new deployment shows such an update carried out: note
		// the one before it.
		d, err := r.api.GetAgent(ctx, name)
		if err != nil {
			return written{}, updateError(name, "read its deployment before the update", err)
		}
		before = d.DesiredDeploymentID
	}
	return r.sendUpdate(ctx, name, spec, force, before)
}

// readable reports whether reading the agent back shows an update of spec
// carried out: not when it sends a write-only field or only redeploys.
func readable(spec *schema.Spec, force bool) bool { return !force && !plan.HasWriteOnly(spec) }

// sendUpdate sends the update of an agent whose deployment was before
// (needed only when the update is not readable).
func (r *runner) sendUpdate(ctx context.Context, name string, spec *schema.Spec, force bool, before string) (written, error) {
	req := plan.UpdateRequest(spec)
	req.ForceRedeploy = force
	d, note, err := r.write(ctx, name, func() (*cloud.ServiceDetails, error) {
		return r.api.UpdateAgent(ctx, name, req)
	}, func(live *cloud.ServiceDetails) bool {
		return live != nil && len(plan.DiffLive(spec, live)) == 0 &&
			(readable(spec, force) || live.DesiredDeploymentID != before)
	})
	if err != nil {
		return written{}, updateError(name, "update", err)
	}
	return written{d, note, Updated}, nil
}

func updateError(name, what string, err error) error {
	if cloud.IsNotFound(err) {
		return fmt.Errorf("update %s: the agent no longer exists; run plan again: %w", name, err)
	}
	if what == "update" {
		return err
	}
	return fmt.Errorf("update %s: %s: %w", name, what, err)
}

// delete deletes the agent. A 404 means someone else deleted it first.
func (r *runner) delete(ctx context.Context, name string) (written, error) {
	_, note, err := r.write(ctx, name, func() (*cloud.ServiceDetails, error) {
		return nil, r.api.DeleteAgent(ctx, name)
	}, func(live *cloud.ServiceDetails) bool { return live == nil })
	if cloud.IsNotFound(err) {
		return written{note: "already gone", effect: AlreadyInPlace}, nil
	}
	if err != nil {
		return written{}, err
	}
	return written{note: note, effect: Deleted}, nil
}
