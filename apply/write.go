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

// appliedNote is the note of a write a read-back found carried out after
// err: the note says what happened, the -v log the details.
func appliedNote(err error) string {
	var ae *cloud.Error
	if errors.As(err, &ae) {
		return fmt.Sprintf("the API answered %d; read back: applied", ae.Status)
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

// create sends the full desired spec. An agent of that name that is
// already there (the API answers "already exists", or a read-back after a
// lost answer finds one with another spec) was made by someone else:
// it is finished as a no-op or an update (adopt).
func (r *runner) create(ctx context.Context, name string, spec *schema.Spec) (written, error) {
	d, note, err := r.write(ctx, name, func() (*cloud.ServiceDetails, error) {
		return r.api.CreateAgent(ctx, plan.CreateRequest(name, spec))
	}, func(live *cloud.ServiceDetails) bool { return live != nil })
	switch {
	case err == nil && (note == "" || len(plan.DiffLive(spec, d)) == 0):
		return written{d, note, Created}, nil
	case err == nil:
		// Found with another spec after a lost answer: not ours.
	case cloud.IsAlreadyExists(err):
		if d, err = r.api.GetAgent(ctx, name); err != nil {
			return written{}, fmt.Errorf("create %s: it already exists, and reading it back: %w", name, err)
		}
	default:
		return written{}, err
	}
	return r.adopt(ctx, name, spec, d)
}

// adopt finishes the create of an agent someone else made: nothing to do
// when it holds the desired spec, else an update to it.
func (r *runner) adopt(ctx context.Context, name string, spec *schema.Spec, d *cloud.ServiceDetails) (written, error) {
	if spec.Region != nil && d.Region != *spec.Region {
		return written{}, fmt.Errorf("create %s: an agent of that name already exists in region %s", name, d.Region)
	}
	// Write-only fields (a build, managed keys) cannot be read back:
	// send them.
	if len(plan.DiffLive(spec, d)) == 0 && !plan.HasWriteOnly(spec) {
		return written{d, alreadyInPlaceNote, AlreadyInPlace}, nil
	}
	w, err := r.sendUpdate(ctx, name, spec, false, d.DesiredDeploymentID)
	if err != nil {
		return written{}, fmt.Errorf("create %s: it already exists, and updating it: %w", name, err)
	}
	w.note = joinNote(alreadyUpdatedNote, w.note)
	return w, nil
}

// Notes of a create that found the agent there.
const (
	alreadyInPlaceNote = "already existed with the desired spec"
	alreadyUpdatedNote = "already existed; updated to the desired spec"
)

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
