package engine

import (
	"context"
	"fmt"
	"time"

	"ingot.dev/ingot/api"
)

// stepResult is what runStep did with a step.
type stepResult int

const (
	stepDone        stepResult = iota // succeeded and saved
	stepParked                        // waiting and saved; the lease can go
	stepFailed                        // failed; the deployment is compensating
	stepAgain                         // parked, but woken while parking: run it again
	stepInterrupted                   // a cancel or the deadline stopped it
)

// runStep runs step i once: enter it, Do, record the outcome.
func (r *run) runStep(ctx context.Context, i int) (stepResult, error) {
	if err := r.enterStep(ctx, i); err != nil {
		return 0, err
	}
	name := r.d.Steps[i].Name
	step, err := r.e.reg.BuildStep(r.d, i)
	if err != nil {
		return r.failStep(ctx, i, &api.StepError{
			Step: name, Code: CodeInvalid, Message: err.Error(),
			Hint: "the deployment was planned by a different server version; plan it again",
		})
	}
	seen, err := r.e.st.Signals(ctx, r.d.ID)
	if err != nil {
		return 0, fmt.Errorf("reading signals of %s: %w", r.d.ID, err)
	}
	doErr, stop := r.guarded(ctx, step.Do, true)
	if stop == errCancelRequested || stop == errDeadline {
		r.d.Cancel = r.d.Cancel || stop == errCancelRequested
		return stepInterrupted, nil
	}
	if stop != nil {
		return 0, stop
	}
	r.recordProgress(i, step)
	if doErr == nil {
		return stepDone, r.succeedStep(ctx, i)
	}
	if w, ok := asWait(doErr); ok {
		return r.park(ctx, i, w, len(seen))
	}
	return r.failStep(ctx, i, stepError(name, doErr))
}

// enterStep marks step i running and saves that before Do. A step found
// running was in flight when its last engine died: it is resumed. A waiting
// step is polled again without a new event.
func (r *run) enterStep(ctx context.Context, i int) error {
	s := &r.d.Steps[i]
	now := r.now()
	switch s.Status {
	case api.StepPending:
		s.Status, s.StartedAt = api.StepRunning, now
		s.Attempts++
		r.emit(i, TypeStepStarted, s.Name, nil)
	case api.StepRunning:
		s.Attempts++
		r.emit(i, TypeStepResumed, s.Name+" was in flight when its engine stopped; running it again", nil)
	case api.StepWaiting:
		return nil
	default:
		return fmt.Errorf("step %d %q: cannot run from status %q", i, s.Name, s.Status)
	}
	return r.save(ctx, now)
}

func (r *run) recordProgress(i int, step Step) {
	p, ok := step.(Progresser)
	if !ok {
		return
	}
	got := p.Progress()
	if got == nil {
		return
	}
	cp := *got
	if progressBucket(r.d.Steps[i].Progress) != progressBucket(&cp) {
		r.emit(i, TypeStepProgress, "", cp)
	}
	r.d.Steps[i].Progress = &cp
}

// progressBucket cuts progress into 5 % slices, so the event log gets one
// step.progress event per slice however often the installer reports.
func progressBucket(p *api.Progress) int64 {
	if p == nil || p.Total <= 0 {
		return -1
	}
	return min(20*p.Bytes/p.Total, 20)
}

func (r *run) succeedStep(ctx context.Context, i int) error {
	s := &r.d.Steps[i]
	s.Status, s.FinishedAt, s.Error = api.StepSucceeded, r.now(), nil
	r.emit(i, TypeStepSucceeded, s.Name, durationOf(s.FinishedAt.Sub(s.StartedAt)))
	r.e.cfg.Metrics.StepFinished(s.Name, s.Status, s.FinishedAt.Sub(s.StartedAt))
	return r.save(ctx, s.FinishedAt)
}

// park saves step i as waiting with its wake time. If a signal or a cancel
// arrived since Do began, the saved wake time may have overwritten theirs,
// so the step runs again at once instead.
func (r *run) park(ctx context.Context, i int, w *Wait, seenSignals int) (stepResult, error) {
	s := &r.d.Steps[i]
	if s.Status != api.StepWaiting {
		s.Status = api.StepWaiting
		r.emit(i, TypeStepWaiting, w.Error(), waitData{Until: w.Until, Reason: w.Reason})
	}
	if err := r.save(ctx, wakeAt(w.Until, r.d.Deadline)); err != nil {
		return 0, err
	}
	cur, err := r.e.st.GetDeployment(ctx, r.d.ID)
	if err != nil {
		return 0, fmt.Errorf("re-reading deployment %s: %w", r.d.ID, err)
	}
	sigs, err := r.e.st.Signals(ctx, r.d.ID)
	if err != nil {
		return 0, fmt.Errorf("reading signals of %s: %w", r.d.ID, err)
	}
	if cur.Cancel || len(sigs) > seenSignals {
		r.d.Cancel = r.d.Cancel || cur.Cancel
		return stepAgain, nil
	}
	return stepParked, nil
}

type waitData struct {
	Until  time.Time `json:"until,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

// failStep records the failure of step i and starts compensation, in one
// save.
func (r *run) failStep(ctx context.Context, i int, se *api.StepError) (stepResult, error) {
	s := &r.d.Steps[i]
	s.Status, s.FinishedAt, s.Error = api.StepFailed, r.now(), se
	r.emit(i, TypeStepFailed, se.Message, se)
	r.e.cfg.Metrics.StepFinished(s.Name, s.Status, s.FinishedAt.Sub(s.StartedAt))
	if err := r.beginCompensation(ctx, Fail, se); err != nil {
		return 0, err
	}
	return stepFailed, nil
}

// beginCompensation moves a running deployment to compensating on ev with
// cause as its error (unless one is already set), skips the steps that
// never ran, and saves.
func (r *run) beginCompensation(ctx context.Context, ev Event, cause *api.StepError) error {
	if err := r.transition(ev); err != nil {
		return err
	}
	if r.d.Error == nil {
		r.d.Error = cause
	}
	r.skipPending()
	r.emit(DeploymentStep, TypeDeploymentCompensating, "undoing finished steps: "+r.d.Error.Error(), nil)
	return r.save(ctx, r.now())
}
