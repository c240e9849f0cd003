package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pipecat-gitops/pipecat-gitops/cloud"
	"github.com/pipecat-gitops/pipecat-gitops/plan"
	"github.com/pipecat-gitops/pipecat-gitops/schema"
)

// Secret sets go before the agents and their deletes after them:
//
//   - writing: a create or update is one PUT of the whole set (every
//     declared key and the fingerprint key; the API upserts), then, for an
//     update of a set of type secret, one DELETE per key the plan lists
//     as removed and per old fingerprint key (found by reading the set's
//     key names again; a key that appeared since the plan is left, and
//     the result's note names it); a replace deletes the set first;
//   - waiting: a PUT leaves the set pending. When the run deploys agents
//     (or with Wait), the list of sets is polled in rounds until each set
//     written is ready or failed; an agent that names a set that failed,
//     or is not ready when WaitTimeout passes, is not sent (its result
//     says why), since the API would refuse it or run it without its
//     values;
//   - deleting (prune.secretSets) comes after the agent deletes.
//
// Values are read from Options.SecretValue when they are sent; they are
// never part of a result, an event or an error.

// Stages of the secret sets: before StageApplying, and after
// StageDeleting.
const (
	StageSecretSets         = "writing secret sets"     // sending set creates, updates and replaces
	StageWaitingSecretSets  = "waiting for secret sets" // until the sets the agents need are ready
	StageDeletingSecretSets = "deleting secret sets"    // prune.secretSets, after the agents that used them
)

// setItem is one secret set change on its way through the stages.
type setItem struct {
	c     plan.SecretSetChange
	res   SecretSetResult
	start time.Time
	// sent: every request of the change succeeded.
	sent bool
	// deleted: the delete of a replace succeeded.
	deleted bool
	// waited: the run waits for its readiness (an agent needs it, or
	// Options.Wait).
	waited  bool
	settled bool
}

func (r *runner) setEvent(it *setItem, state, detail string) {
	if r.o.Progress != nil {
		r.o.Progress(Event{Agent: "secret set " + it.c.Name, Action: it.c.Action, State: state, Detail: detail})
	}
}

// secretSets writes the plan's set creates, updates and replaces and waits
// for the ones the agents (or Options.Wait) need. It returns the items of
// those changes and of the set deletes, which deleteSets sends later.
func (r *runner) secretSets(ctx context.Context, p *plan.Plan, agents []*item) (writes, deletes []*setItem) {
	for _, c := range p.SecretSets {
		it := &setItem{c: c, res: SecretSetResult{Name: c.Name, Action: c.Action}}
		switch c.Action {
		case plan.Delete:
			deletes = append(deletes, it)
		case plan.Create, plan.Update, plan.Replace:
			// Before any agent is deployed, every set written is waited
			// for, not only those the agent changes name: an agent whose
			// plan leaves secretSet unmanaged still binds its live set.
			it.waited = r.o.Wait || len(agents) > 0
			writes = append(writes, it)
		}
	}
	if len(writes) == 0 {
		return writes, deletes
	}
	r.stage(Status{Stage: StageSecretSets, Total: len(writes)})
	parallel(ctx, r.o.Parallelism, writes, func(it *setItem) { r.writeSet(ctx, it) }, func(it *setItem) {
		it.res.Outcome, it.res.Error = r.notStarted()
	})
	r.waitSets(ctx, writes)
	return writes, deletes
}

// setsOf names the secret sets an agent change binds or restarts for.
func setsOf(c plan.Change) []string {
	var out []string
	if c.Desired != nil {
		for _, ref := range []*string{c.Desired.SecretSet, c.Desired.ImagePullSecretSet} {
			if ref != nil {
				out = append(out, *ref)
			}
		}
	}
	if c.RestartFor != "" {
		out = append(out, c.RestartFor)
	}
	return out
}

// writeSet sends the requests of one set change.
func (r *runner) writeSet(ctx context.Context, it *setItem) {
	it.start = time.Now()
	note, err := r.putSet(ctx, it)
	if err != nil {
		// A server that echoes the request in its error must not put a
		// value into the result.
		err = redacted{err, it.c.Desired, r.o.SecretValue}
	}
	it.res.Note = note
	it.res.Duration = time.Since(it.start)
	switch {
	case err == nil:
		it.sent = true
		if it.waited {
			r.setEvent(it, "waiting", "provisioning")
		} else {
			// No agent is deployed: readiness is not this run's concern
			// unless --wait asks.
			it.res.Note = joinNote(it.res.Note, "provisioning; not waited for (no agent to deploy; --wait waits)")
			r.setEvent(it, "done", it.res.Note)
		}
		r.finished(false)
	case interrupted(ctx, err):
		it.res.Outcome, it.res.ErrorCode, it.res.Error = r.inFlight(it.deleted)
		r.setEvent(it, "unknown", it.res.Error)
		r.finished(false)
	default:
		r.failSet(it, err)
		r.finished(true)
	}
}

// failSet records err as the set's failure, as fail does for an agent.
func (r *runner) failSet(it *setItem, err error) {
	it.res.Outcome = Failed
	it.res.ErrorCode, it.res.Error = describeError(err)
	if re, ok := err.(redacted); ok {
		it.res.ErrorCode, it.res.Error = re.redact(it.res.ErrorCode), re.redact(it.res.Error)
	}
	r.setEvent(it, "failed", it.res.Error)
}

// putSet writes one set: delete first for a replace, then one PUT of the
// whole set, then the deletes of the keys no longer declared.
func (r *runner) putSet(ctx context.Context, it *setItem) (note string, err error) {
	c := it.c
	values, missing := plan.SecretValues(c.Desired, r.o.SecretValue)
	if len(missing) > 0 {
		// The plan (or the check of a saved plan) refuses this first;
		// never send a set with a value missing.
		return "", fmt.Errorf("environment variable %s is not set or empty", strings.Join(missing, ", "))
	}
	req, marker := plan.SecretSetRequest(r.o.FingerprintKey, c.Name, c.Desired, values)
	if c.Action == plan.Replace {
		r.setEvent(it, "deleting", "replace: delete before create")
		if err := r.api.DeleteSecretSet(ctx, c.Name); err != nil && !cloud.IsNotFound(err) {
			return "", fmt.Errorf("replace secret set %s: delete: %w", c.Name, err)
		}
		it.deleted = true
	}
	r.setEvent(it, "writing", "")
	if _, err := r.api.PutSecretSet(ctx, c.Name, req); err != nil {
		if it.deleted {
			return "", fmt.Errorf("replace secret set %s: deleted, but create: %w", c.Name, err)
		}
		return "", err
	}
	if c.Action != plan.Update || c.Desired.ImagePull != nil {
		return "", nil
	}
	// The PUT upserts: keys it does not name stay. Remove the keys the
	// plan listed and the old fingerprint keys (the tool's own); a key
	// that appeared since the plan is left for the next plan to show.
	d, err := r.api.GetSecretSet(ctx, c.Name)
	if err != nil {
		return "", fmt.Errorf("written, but reading its keys to remove the old ones: %w", err)
	}
	var appeared []string
	for _, k := range d.Secrets {
		key := k.FieldName
		_, declared := c.Desired.Secrets[key]
		switch {
		case declared, key == marker:
			continue
		case !plan.IsMarker(key) && !slices.Contains(c.KeysRemoved, key):
			appeared = append(appeared, key)
			continue
		}
		if err := r.api.DeleteSecretKey(ctx, c.Name, key); err != nil && !cloud.IsNotFound(err) {
			return "", fmt.Errorf("written, but removing a key: %w", err)
		}
	}
	if len(appeared) > 0 {
		return fmt.Sprintf("left key %s, which appeared after the plan: run plan", strings.Join(appeared, ", ")), nil
	}
	return "", nil
}

// waitSets polls the list of sets in rounds until every written set the
// run waits for is ready or failed, or WaitTimeout passes. One list read
// per round covers every set.
func (r *runner) waitSets(ctx context.Context, items []*setItem) {
	var pending []*setItem
	for _, it := range items {
		if it.sent && it.waited {
			pending = append(pending, it)
		}
	}
	if len(pending) == 0 {
		return
	}
	deadline := time.Now().Add(r.o.WaitTimeout)
	r.stage(Status{Stage: StageWaitingSecretSets, Total: len(pending), Deadline: deadline})
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	pause := r.o.PollInterval
	last := map[string]string{} // status last seen
	for {
		if ctx.Err() == nil && wctx.Err() == nil {
			sets, err := r.api.ListSecretSets(wctx)
			switch {
			case err != nil && wctx.Err() != nil:
			case err != nil:
				for _, it := range pending {
					r.settleSet(it, fmt.Errorf("wait for secret set %s: %w", it.c.Name, err))
				}
			default:
				r.observeSets(pending, sets, last)
			}
		}
		pending = slices.DeleteFunc(pending, func(it *setItem) bool { return it.settled })
		switch {
		case len(pending) == 0:
			return
		case ctx.Err() != nil:
			r.markInterrupted()
			for _, it := range pending {
				it.res.Note = joinNote(it.res.Note, "readiness unknown: interrupted while waiting")
				it.res.Duration = time.Since(it.start)
			}
			return
		case wctx.Err() != nil:
			for _, it := range pending {
				r.settleSet(it, &Error{Agent: it.c.Name, Code: CodeWaitTimeout,
					Msg: fmt.Sprintf("not ready after %s (last status: %s)", r.o.WaitTimeout, orUnknown(last[it.c.Name]))})
			}
			return
		}
		pause = r.pause(wctx, pause)
	}
}

// observeSets judges one read of the list for every pending set.
func (r *runner) observeSets(pending []*setItem, sets []cloud.SecretSetSummary, last map[string]string) {
	byName := make(map[string]cloud.SecretSetSummary, len(sets))
	for _, s := range sets {
		byName[s.Name] = s
	}
	for _, it := range pending {
		s, ok := byName[it.c.Name]
		switch {
		case !ok:
			r.settleSet(it, &Error{Agent: it.c.Name, Code: CodeConflict, Msg: "deleted by someone else during apply"})
		case s.Status == cloud.SecretStatusReady:
			it.res.Ready = true
			r.settleSet(it, nil)
			r.setEvent(it, "done", "ready")
		case s.Status == cloud.SecretStatusFailed:
			msg := s.ErrorMessage
			if msg == "" {
				msg = "provisioning failed"
			}
			r.settleSet(it, &Error{Agent: it.c.Name, Code: CodeSecretSetFailed, Msg: msg})
		case s.Status != last[it.c.Name]:
			last[it.c.Name] = s.Status
			r.setEvent(it, "waiting", s.Status)
		}
	}
}

func (r *runner) settleSet(it *setItem, err error) {
	it.settled = true
	it.res.Duration = time.Since(it.start)
	if err != nil {
		r.failSet(it, err)
	}
	r.finished(err != nil)
}

// blockOnSets fails the agent changes that need a set of this run that is
// not ready, without sending them, and returns the others.
func (r *runner) blockOnSets(agents []*item, sets []*setItem) []*item {
	bad := map[string]*setItem{}
	for _, it := range sets {
		if it.waited && !it.res.Ready {
			bad[it.c.Name] = it
		}
	}
	var out []*item
	for _, it := range agents {
		var why []string
		skipped := false
		for _, name := range setsOf(it.c) {
			s, ok := bad[name]
			if !ok {
				continue
			}
			switch {
			case s.res.Outcome == Skipped || s.res.Outcome == Unknown || s.res.Outcome == Succeeded:
				// Interrupted before the set was (seen) ready.
				skipped = true
			default:
				why = append(why, fmt.Sprintf("secret set %s is not ready (%s)", name, s.res.Error))
			}
		}
		switch {
		case len(why) > 0:
			it.res.Outcome, it.res.ErrorCode = Failed, CodeSecretSetNotReady
			it.res.Error = strings.Join(why, "; ") + "; the agent was not sent"
			r.event(it.c, "failed", it.res.Error)
		case skipped:
			it.res.Outcome, it.res.Error = r.notStarted()
		default:
			out = append(out, it)
		}
	}
	return out
}

// deleteSets sends the set deletes of prune.secretSets.
func (r *runner) deleteSets(ctx context.Context, items []*setItem) {
	if len(items) == 0 {
		return
	}
	r.stage(Status{Stage: StageDeletingSecretSets, Total: len(items)})
	parallel(ctx, r.o.Parallelism, items, func(it *setItem) {
		it.start = time.Now()
		r.setEvent(it, "deleting", "")
		err := r.api.DeleteSecretSet(ctx, it.c.Name)
		it.res.Duration = time.Since(it.start)
		switch {
		case err == nil || cloud.IsNotFound(err):
			if err != nil {
				it.res.Note = "already gone"
			}
			r.setEvent(it, "done", it.res.Note)
			r.finished(false)
		case interrupted(ctx, err):
			it.res.Outcome, it.res.ErrorCode, it.res.Error = r.inFlight(false)
			r.setEvent(it, "unknown", it.res.Error)
			r.finished(false)
		default:
			r.failSet(it, err)
			r.finished(true)
		}
	}, func(it *setItem) {
		it.res.Outcome, it.res.Error = r.notStarted()
	})
}

// minRedacted is the shortest value redacted inside a longer message; a
// shorter one is redacted only when it is the whole message, so that a
// one-letter test value does not mangle every error.
const minRedacted = 6

// redacted is an error whose messages never hold a value of the set (or
// its fingerprint key): describeError and Error see the redacted text.
type redacted struct {
	err    error
	set    *schema.SecretSetSpec
	lookup func(string) (string, bool)
}

func (e redacted) Error() string { return e.redact(e.err.Error()) }
func (e redacted) Unwrap() error { return e.err }

func (e redacted) redact(s string) string {
	values, _ := plan.SecretValues(e.set, e.lookup)
	for _, v := range values {
		if s == v {
			return "***"
		}
		if len(v) >= minRedacted {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	if i := strings.Index(s, plan.MarkerPrefix); i >= 0 {
		end := i + len(plan.MarkerPrefix)
		for end < len(s) && (s[end] == '_' || s[end] >= '0' && s[end] <= '9' || s[end] >= 'a' && s[end] <= 'f') {
			end++
		}
		s = s[:i] + plan.MarkerPrefix + "…" + e.redact(s[end:])
	}
	return s
}
