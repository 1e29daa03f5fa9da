package engine

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// run is one engine's work on one claimed deployment. Only its goroutine
// changes d; the lease guard reads it while a step runs.
type run struct {
	e      *Engine
	d      api.Deployment
	events []api.Event
	log    *slog.Logger
}

func newRun(e *Engine, d api.Deployment) *run {
	d.Steps = append([]api.Step(nil), d.Steps...)
	return &run{e: e, d: d, log: e.log.With("deployment", d.ID, "host", d.Host)}
}

func (r *run) now() time.Time { return r.e.cfg.Now() }

// emit queues an event; the next save writes it with the deployment.
func (r *run) emit(step int, typ, msg string, data any) {
	r.events = append(r.events, api.Event{
		Deployment: r.d.ID,
		Time:       r.now(),
		Step:       step,
		Type:       typ,
		Message:    msg,
		Data:       mustJSON(data),
	})
}

// saveTimeout bounds one save, which outlives the engine's context.
const saveTimeout = 10 * time.Second

// save writes the deployment and its queued events, renews the lease and
// sets the wake time.
func (r *run) save(ctx context.Context, wake time.Time) error {
	// A finished step must be recorded even while the engine stops.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	lease := store.Lease{Owner: r.e.cfg.Owner, Until: r.now().Add(r.e.cfg.LeaseTTL)}
	if err := r.e.st.SaveDeployment(ctx, lease, r.d, wake, r.events); err != nil {
		return fmt.Errorf("saving deployment %s: %w", r.d.ID, err)
	}
	r.events = nil
	return nil
}

// saveFinal saves a deployment that reached a terminal state.
func (r *run) saveFinal(ctx context.Context) error {
	if err := r.save(ctx, time.Time{}); err != nil {
		return err
	}
	r.e.cfg.Metrics.DeploymentFinished(r.d.State, r.d.FinishedAt.Sub(r.d.CreatedAt))
	return nil
}

// transition moves the deployment along the state machine.
func (r *run) transition(ev Event) error {
	to, err := NextFor(r.d, ev)
	if err != nil {
		return err
	}
	r.d.State = to
	return nil
}

// advance drives the deployment as far as it can go now.
func (r *run) advance(ctx context.Context) error {
	if r.d.State == api.DeploymentPending {
		if err := r.start(ctx); err != nil {
			return err
		}
	}
	if r.d.State == api.DeploymentRunning {
		if err := r.runSteps(ctx); err != nil {
			return err
		}
	}
	if r.d.State == api.DeploymentCompensating {
		return r.compensate(ctx)
	}
	return nil
}

// start moves a pending deployment to running, or straight to cancelled if
// a cancel came first.
func (r *run) start(ctx context.Context) error {
	now := r.now()
	if r.d.Cancel {
		if err := r.transition(Cancel); err != nil {
			return err
		}
		r.d.Error = cancelError()
		r.skipPending()
		r.d.FinishedAt = now
		r.emit(DeploymentStep, TypeDeploymentCancelled, "cancelled before it started", nil)
		return r.saveFinal(ctx)
	}
	if err := r.transition(Start); err != nil {
		return err
	}
	r.d.StartedAt = now
	r.emit(DeploymentStep, TypeDeploymentStarted, fmt.Sprintf("deploying host %s", r.d.Host), nil)
	return r.save(ctx, now)
}

// runSteps runs the steps in order from the first one not yet done. It
// returns with the deployment succeeded, compensating, or parked.
func (r *run) runSteps(ctx context.Context) error {
	for i := 0; i < len(r.d.Steps); {
		if err := ctx.Err(); err != nil {
			return err
		}
		if r.d.Steps[i].Status == api.StepSucceeded {
			i++
			continue
		}
		if s := r.d.Steps[i]; !runnable(s.Status) {
			return r.beginCompensation(ctx, Fail, &api.StepError{
				Step: s.Name, Code: CodeInvalid,
				Message: fmt.Sprintf("step %d is %s while the deployment runs", i, s.Status),
				Hint:    "the stored deployment is inconsistent; deploy the host again",
			})
		}
		if ev, cause := r.interrupted(); cause != nil {
			return r.beginCompensation(ctx, ev, cause)
		}
		res, err := r.runStep(ctx, i)
		if err != nil {
			return err
		}
		switch res {
		case stepDone:
			i++
		case stepParked:
			return nil
		case stepFailed:
			return nil // runStep moved the deployment to compensating
		case stepAgain, stepInterrupted:
			// Check cancel and deadline, then run the same step again.
		}
	}
	if err := r.transition(Finish); err != nil {
		return err
	}
	r.d.FinishedAt = r.now()
	r.emit(DeploymentStep, TypeDeploymentSucceeded, fmt.Sprintf("host %s deployed", r.d.Host), nil)
	return r.saveFinal(ctx)
}

// runnable reports whether a step in status s can run in a running
// deployment.
func runnable(s api.StepStatus) bool {
	return s == api.StepPending || s == api.StepRunning || s == api.StepWaiting
}

// interrupted reports whether a cancel request or the deadline stops the
// deployment, with the event and the cause to record.
func (r *run) interrupted() (Event, *api.StepError) {
	if r.d.Cancel {
		return Cancel, cancelError()
	}
	if !r.d.Deadline.IsZero() && r.now().After(r.d.Deadline) {
		return Timeout, &api.StepError{
			Code:    CodeTimeout,
			Message: fmt.Sprintf("deployment not done by its deadline %s", r.d.Deadline.UTC().Format(time.RFC3339)),
			Hint:    "check the host's console and the installer's events, then deploy again with a longer timeout if it was just slow",
		}
	}
	return "", nil
}

func cancelError() *api.StepError {
	return &api.StepError{Code: CodeCancelled, Message: "cancelled on request"}
}

// skipPending marks every step that never ran as skipped.
func (r *run) skipPending() {
	for i := range r.d.Steps {
		if r.d.Steps[i].Status == api.StepPending {
			r.d.Steps[i].Status = api.StepSkipped
			r.emit(i, TypeStepSkipped, "never ran", nil)
		}
	}
}

// wakeAt is the earlier of until and deadline, where zero means never.
func wakeAt(until, deadline time.Time) time.Time {
	switch {
	case until.IsZero():
		return deadline
	case deadline.IsZero() || until.Before(deadline):
		return until
	default:
		return deadline
	}
}
