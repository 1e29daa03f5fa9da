package storetest

import (
	"errors"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

func testRollouts(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := base()
	r := api.Rollout{ID: "ro_1", Hostgroup: "web", ImageSet: "debian", Hosts: []string{"a", "b"},
		Canary: 1, Batch: 20, MaxFailures: 5, CreatedBy: "alice", CreatedAt: at}
	check(t, s.CreateRollout(ctx, r))
	wantConflict(t, s.CreateRollout(ctx, r), "id")
	diff(t, "GetRollout", r, must(s.GetRollout(ctx, r.ID))(t))
	r2 := r
	r2.ID, r2.CreatedAt = "ro_2", at.Add(time.Second)
	check(t, s.CreateRollout(ctx, r2))
	diff(t, "ActiveRollouts", []api.Rollout{r, r2}, must(s.ActiveRollouts(ctx))(t))

	check(t, s.FinishRollout(ctx, r.ID, at.Add(time.Minute)))
	check(t, s.FinishRollout(ctx, r.ID, at.Add(time.Hour))) // idempotent: the first time stays
	r.FinishedAt = at.Add(time.Minute)
	diff(t, "finished", r, must(s.GetRollout(ctx, r.ID))(t))
	diff(t, "ActiveRollouts after finish", []api.Rollout{r2}, must(s.ActiveRollouts(ctx))(t))

	if _, err := s.GetRollout(ctx, "ro_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRollout(missing) = %v; want ErrNotFound", err)
	}
	if err := s.FinishRollout(ctx, "ro_nope", at); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FinishRollout(missing) = %v; want ErrNotFound", err)
	}
}
