package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

func newBuild(n int, at time.Time) api.Build {
	return api.Build{ID: api.BuildID(fmt.Sprintf("bld_%03d", n)), Name: "debian", Backend: "import", Recipe: api.RawJSON(`{"name":"debian"}`),
		ImageSet: "debian", State: api.BuildQueued, Phase: api.PhaseQueued, Percent: -1, CreatedBy: "alice", CreatedAt: at}
}

func testBuilds(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := base()
	b1, b2 := newBuild(1, at), newBuild(2, at.Add(time.Second))
	b2.SecureBoot = true
	check(t, s.CreateBuild(ctx, b1))
	check(t, s.CreateBuild(ctx, b2))
	wantConflict(t, s.CreateBuild(ctx, b1), "id")
	diff(t, "GetBuild", b2, must(s.GetBuild(ctx, b2.ID))(t))
	_, err := s.GetBuild(ctx, "bld_nope")
	wantNotFound(t, err)

	got := walk(t, 1, func(o store.ListOptions) (api.Page[api.Build], error) {
		return s.ListBuilds(ctx, store.BuildFilter{ListOptions: o})
	})
	diff(t, "ListBuilds (newest first)", []api.Build{b2, b1}, got)

	// Claims take the oldest queued build, then none is left.
	c1 := must(s.ClaimBuild(ctx, "node-a", at.Add(time.Minute)))(t)
	b1.State, b1.StartedAt = api.BuildRunning, at.Add(time.Minute)
	diff(t, "claimed", b1, c1)
	must(s.ClaimBuild(ctx, "node-b", at.Add(time.Minute)))(t)
	_, err = s.ClaimBuild(ctx, "node-a", at.Add(time.Minute))
	wantNotFound(t, err)
	running := must(s.ListBuilds(ctx, store.BuildFilter{State: api.BuildRunning}))(t)
	if len(running.Items) != 2 {
		t.Fatalf("running builds: %d, want 2", len(running.Items))
	}

	// Saving is fenced by the owner.
	c1.Phase, c1.Percent = api.PhasePublish, 40
	diff(t, "saved", c1, must(s.SaveBuild(ctx, "node-a", c1, at.Add(2*time.Minute)))(t))
	if _, err := s.SaveBuild(ctx, "node-b", c1, at.Add(2*time.Minute)); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("SaveBuild by another owner: %v, want ErrLeaseLost", err)
	}
	c1.State, c1.Phase, c1.Percent, c1.Image, c1.FinishedAt = api.BuildSucceeded, api.PhaseDone, 100, imageID(1), at.Add(3*time.Minute)
	diff(t, "finished", c1, must(s.SaveBuild(ctx, "node-a", c1, at.Add(3*time.Minute)))(t))
	if _, err := s.SaveBuild(ctx, "node-a", c1, at.Add(4*time.Minute)); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("SaveBuild after the end: %v, want ErrLeaseLost", err)
	}

	// node-b's build was last alive at +1m: a sweep at +5m fails it, a
	// sweep before that does nothing; finished builds are never touched.
	if n := must(s.FailStaleBuilds(ctx, at.Add(time.Minute), "gone", at.Add(5*time.Minute)))(t); n != 0 {
		t.Fatalf("FailStaleBuilds(+1m) failed %d builds, want 0", n)
	}
	if n := must(s.FailStaleBuilds(ctx, at.Add(5*time.Minute), "server restarted", at.Add(5*time.Minute)))(t); n != 1 {
		t.Fatalf("FailStaleBuilds(+5m) failed %d builds, want 1", n)
	}
	g := must(s.GetBuild(ctx, b2.ID))(t)
	if g.State != api.BuildFailed || g.Error != "server restarted" || !g.FinishedAt.Equal(at.Add(5*time.Minute)) {
		t.Fatalf("stale build: %+v", g)
	}
	if g := must(s.GetBuild(ctx, b1.ID))(t); g.State != api.BuildSucceeded {
		t.Fatalf("finished build became %s", g.State)
	}
}

func testBuildCancel(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := base()
	q, r := newBuild(1, at), newBuild(2, at)
	check(t, s.CreateBuild(ctx, r))
	must(s.ClaimBuild(ctx, "node-a", at))(t)
	check(t, s.CreateBuild(ctx, q))

	got := must(s.CancelBuild(ctx, q.ID, at.Add(time.Minute)))(t)
	if got.State != api.BuildCancelled || !got.Cancel || !got.FinishedAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("cancelled queued build: %+v", got)
	}
	if _, err := s.ClaimBuild(ctx, "node-a", at); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("claim after cancelling the only queued build: %v", err)
	}
	got = must(s.CancelBuild(ctx, r.ID, at.Add(time.Minute)))(t)
	if got.State != api.BuildRunning || !got.Cancel {
		t.Fatalf("cancelled running build: %+v", got)
	}
	// The owner learns of the request when it saves.
	got.Phase = api.PhaseBackend
	if saved := must(s.SaveBuild(ctx, "node-a", got, at))(t); !saved.Cancel {
		t.Fatal("SaveBuild lost the cancel request")
	}
	_, err := s.CancelBuild(ctx, "bld_nope", at)
	wantNotFound(t, err)
}

func testBuildLog(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := newBuild(1, base())
	check(t, s.CreateBuild(ctx, b))
	var all []api.BuildLogLine
	for i := range 5 {
		lines := []api.BuildLogLine{{Line: fmt.Sprint("line ", 2*i)}, {Line: fmt.Sprint("line ", 2*i+1)}}
		check(t, s.AppendBuildLog(ctx, b.ID, lines, 6))
		all = append(all, lines...)
	}
	for i, l := range all {
		if l.Seq != int64(i+1) || l.Time.IsZero() {
			t.Fatalf("line %d: seq %d time %v", i, l.Seq, l.Time)
		}
	}
	diff(t, "BuildLog keeps the newest 6", all[4:], must(s.BuildLog(ctx, b.ID, 0, 100))(t))
	diff(t, "BuildLog after 8", all[8:], must(s.BuildLog(ctx, b.ID, 8, 100))(t))
	diff(t, "BuildLog limit", all[4:6], must(s.BuildLog(ctx, b.ID, 0, 2))(t))
	if err := s.AppendBuildLog(ctx, "bld_nope", []api.BuildLogLine{{Line: "x"}}, 6); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("AppendBuildLog(missing build): %v, want ErrNotFound", err)
	}
}
