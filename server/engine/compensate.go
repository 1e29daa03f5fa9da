package engine

import (
	"context"
	"errors"
	"fmt"

	"ingot.dev/ingot/api"
)

// compensate undoes, in reverse order, every step that ran or was running,
// then ends the deployment failed or cancelled. An undo failure is recorded
// and compensation goes on; the deployment's Error stays the first cause.
func (r *run) compensate(ctx context.Context) error {
	for i := len(r.d.Steps) - 1; i >= 0; i-- {
		if !needsUndo(r.d.Steps[i].Status) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.undoStep(ctx, i); err != nil {
			return err
		}
	}
	if err := r.transition(Compensated); err != nil {
		return err
	}
	r.d.FinishedAt = r.now()
	typ := TypeDeploymentFailed
	if r.d.State == api.DeploymentCancelled {
		typ = TypeDeploymentCancelled
	}
	msg := "failed"
	if r.d.Error != nil {
		msg = r.d.Error.Error()
	}
	r.emit(DeploymentStep, typ, msg, r.d.Error)
	return r.saveFinal(ctx)
}

// needsUndo reports whether a step in status s may have changed something.
func needsUndo(s api.StepStatus) bool {
	switch s {
	case api.StepSucceeded, api.StepFailed, api.StepRunning, api.StepWaiting, api.StepUndoing:
		return true
	}
	return false
}

// errUndoWaits is the error of an Undo that asked to wait: undo cannot park.
var errUndoWaits = errors.New("undo asked to wait, which is not supported")

// undoStep undoes step i and records the outcome.
func (r *run) undoStep(ctx context.Context, i int) error {
	s := &r.d.Steps[i]
	start := r.now()
	if s.Status != api.StepUndoing {
		s.Status = api.StepUndoing
		r.emit(i, TypeStepUndoing, s.Name, nil)
		if err := r.save(ctx, start); err != nil {
			return err
		}
	}
	undoErr, stop := r.undo(ctx, i)
	if stop != nil {
		return stop
	}
	s = &r.d.Steps[i]
	if undoErr != nil {
		se := stepError(s.Name, undoErr)
		se.Code = CodeUndo
		s.Status = api.StepUndoFailed
		if s.Error == nil {
			s.Error = se
		}
		r.emit(i, TypeStepUndoFailed, se.Message, se)
		r.log.Warn("undo failed; compensation goes on", "step", i, "name", s.Name, "err", undoErr)
	} else {
		s.Status = api.StepUndone
		r.emit(i, TypeStepUndone, s.Name, durationOf(r.now().Sub(start)))
	}
	return r.save(ctx, r.now())
}

// undo builds step i and runs its Undo under the lease guard.
func (r *run) undo(ctx context.Context, i int) (undoErr, stop error) {
	step, err := r.e.reg.BuildStep(r.d, i)
	if err != nil {
		return fmt.Errorf("cannot build the step to undo it: %w", err), nil
	}
	undoErr, stop = r.guarded(ctx, step.Undo, false)
	if _, ok := asWait(undoErr); ok {
		undoErr = errUndoWaits
	}
	return undoErr, stop
}
