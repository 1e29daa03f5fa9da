package builds

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/server/store"
)

// Causes a build's context ends with.
var (
	errCancelRequested = errors.New("cancelled on request")
	errLeaseLost       = errors.New("the build was taken from this server (it was silent too long)")
)

// Run claims and runs queued builds until ctx ends, then waits for the
// running ones to stop. At start it fails the builds a previous run of
// the server left running.
func (r *Runner) Run(ctx context.Context) error {
	before := r.cfg.Now().Add(-r.cfg.StaleAfter)
	if r.cfg.Exclusive {
		before = r.cfg.Now().Add(time.Second) // nothing of ours runs yet
		if err := imagebuild.CleanWorkRoot(r.cfg.WorkRoot); err != nil {
			r.log.Warn("removing work directories of interrupted builds", "err", err)
		}
	}
	r.failStale(ctx, before, "interrupted: the server restarted during the build; submit it again")
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(r.cfg.Poll)
	defer t.Stop()
	for {
		r.startQueued(ctx, &wg)
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-t.C:
			r.failStale(ctx, r.cfg.Now().Add(-r.cfg.StaleAfter), "interrupted: the server running it stopped answering; submit it again")
		}
	}
}

func (r *Runner) failStale(ctx context.Context, before time.Time, reason string) {
	n, err := r.store.FailStaleBuilds(ctx, before, reason, r.cfg.Now())
	if err != nil && ctx.Err() == nil {
		r.log.Error("failing interrupted builds", "err", err)
	}
	if n > 0 {
		r.log.Warn("failed interrupted builds", "count", n, "reason", reason)
	}
}

// startQueued claims queued builds while a slot is free.
func (r *Runner) startQueued(ctx context.Context, wg *sync.WaitGroup) {
	for ctx.Err() == nil {
		select {
		case r.slots <- struct{}{}:
		default:
			return // every slot busy: the rest stay queued
		}
		b, err := r.store.ClaimBuild(ctx, r.cfg.Owner, r.cfg.Now())
		if err != nil {
			<-r.slots
			if !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
				r.log.Error("claiming a build", "err", err)
			}
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-r.slots; r.Wake() }()
			r.execute(ctx, b)
		}()
	}
}

// execute runs one claimed build to its end and records the outcome.
func (r *Runner) execute(parent context.Context, b api.Build) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	r.mu.Lock()
	r.running[b.ID] = cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.running, b.ID)
		r.mu.Unlock()
	}()
	j := newJob(r, b)
	stop := j.keepAlive(ctx, cancel)
	err := j.run(ctx)
	stop()
	j.finish(err, context.Cause(ctx), parent.Err() != nil)
}

// outcome maps how a build ended to its final state and error.
func outcome(err, cause error, stopping bool) (api.BuildState, string) {
	switch {
	case err == nil:
		return api.BuildSucceeded, ""
	case errors.Is(cause, errCancelRequested):
		return api.BuildCancelled, "cancelled on request; nothing was registered"
	case errors.Is(cause, errLeaseLost):
		return api.BuildFailed, cause.Error()
	case stopping:
		return api.BuildFailed, "interrupted: the server stopped during the build; submit it again"
	}
	return api.BuildFailed, err.Error()
}

// keepAlive saves the build's progress every Poll, which also proves this
// runner alive, and cancels ctx when a cancel request is seen. The
// returned stop waits for the loop to end.
func (j *job) keepAlive(ctx context.Context, cancel context.CancelCauseFunc) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(j.r.cfg.Poll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			saved, err := j.save(ctx)
			switch {
			case errors.Is(err, store.ErrLeaseLost):
				cancel(errLeaseLost)
			case err != nil:
				if ctx.Err() == nil {
					j.r.log.Warn("saving build progress", "build", j.id(), "err", err)
				}
			case saved.Cancel:
				cancel(errCancelRequested)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// finish records the outcome, whatever the state of the build's context.
func (j *job) finish(err, cause error, stopping bool) {
	ctx := context.Background()
	state, msg := outcome(err, cause, stopping)
	j.mu.Lock()
	j.b.State, j.b.Error, j.b.FinishedAt = state, msg, j.r.cfg.Now().UTC()
	if state == api.BuildSucceeded {
		j.b.Phase, j.b.Percent = api.PhaseDone, 100
	}
	j.mu.Unlock()
	j.logf("build %s %s%s", j.id(), state, prefixed(": ", msg))
	if _, err := j.save(ctx); err != nil {
		j.r.log.Error("recording the end of a build", "build", j.id(), "state", state, "err", err)
	}
	j.r.log.Info("build ended", "build", j.id(), "recipe", j.b.Name, "state", state, "image", j.b.Image, "err", msg)
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprint(p, s)
}
