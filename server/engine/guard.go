package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

var (
	errCancelRequested = errors.New("cancel requested")
	errDeadline        = errors.New("deployment deadline passed")
	errStepReturned    = errors.New("step returned")
)

// guarded calls fn (a step's Do or Undo) while a guard renews the lease
// and, if interruptible, watches for a cancel request or the deadline. A
// panic in fn becomes an error. stop is non-nil when work on the deployment
// must stop or change course: store.ErrLeaseLost, the engine's ctx error,
// errCancelRequested or errDeadline.
func (r *run) guarded(ctx context.Context, fn func(context.Context) error, interruptible bool) (err, stop error) {
	sctx, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.guard(sctx, cancel, interruptible)
	}()
	err = r.call(sctx, fn)
	cause := context.Cause(sctx)
	cancel(errStepReturned)
	wg.Wait()
	switch {
	case errors.Is(cause, store.ErrLeaseLost):
		return err, store.ErrLeaseLost
	case err == nil:
		return nil, nil
	case ctx.Err() != nil:
		return err, ctx.Err()
	case errors.Is(cause, errCancelRequested):
		return err, errCancelRequested
	case errors.Is(cause, errDeadline):
		return err, errDeadline
	}
	return err, nil
}

// call runs fn and turns a panic into a StepError.
func (r *run) call(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			r.log.Error("step panicked", "panic", v, "stack", string(debug.Stack()))
			err = &api.StepError{
				Code:    CodePanic,
				Message: fmt.Sprintf("step panicked: %v", v),
				Hint:    "this is a bug in Ingot: report it with the server log",
			}
		}
	}()
	return fn(ctx)
}

// guard renews the lease every LeaseTTL/3 until ctx ends. It cancels ctx
// when the lease is lost, and, if interruptible, when a cancel is requested
// or the deadline passes.
func (r *run) guard(ctx context.Context, cancel context.CancelCauseFunc, interruptible bool) {
	t := time.NewTicker(r.e.cfg.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := r.renew(ctx); errors.Is(err, store.ErrLeaseLost) {
			cancel(store.ErrLeaseLost)
			return
		} else if err != nil && ctx.Err() == nil {
			r.log.Warn("renewing lease", "err", err)
		}
		if !interruptible {
			continue
		}
		if ev, _ := r.interrupted(); ev == Timeout {
			cancel(errDeadline)
			return
		}
		cur, err := r.e.st.GetDeployment(ctx, r.d.ID)
		if err == nil && cur.Cancel {
			cancel(errCancelRequested)
			return
		}
	}
}

// renew extends the lease by saving the deployment as it is, with no
// events. Only the guard's caller changes r.d, and it is blocked in the step.
func (r *run) renew(ctx context.Context) error {
	now := r.now()
	lease := store.Lease{Owner: r.e.cfg.Owner, Until: now.Add(r.e.cfg.LeaseTTL)}
	return r.e.st.SaveDeployment(ctx, lease, r.d, now, nil)
}
