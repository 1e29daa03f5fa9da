package storetest

import (
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

func testImageSetCheck(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	if f.set.Check != nil {
		t.Fatalf("a new set has a check: %+v", f.set.Check)
	}
	failed := api.ImageSetCheck{Time: base(), Status: api.CheckFailed, Error: "chunk 0123 missing"}
	check(t, s.RecordImageSetCheck(f.ctx, f.set.Name, f.set.UpdatedAt, failed))
	diff(t, "recorded check", &failed, must(s.GetImageSet(f.ctx, f.set.Name))(t).Check)
	listed := must(s.ListImageSets(f.ctx, store.ListOptions{}))(t)
	diff(t, "listed check", &failed, listed.Items[0].Check)

	ok := api.ImageSetCheck{Time: base().Add(time.Hour), Status: api.CheckOK}
	check(t, s.RecordImageSetCheck(f.ctx, f.set.Name, f.set.UpdatedAt, ok))
	diff(t, "second check", &ok, must(s.GetImageSet(f.ctx, f.set.Name))(t).Check)

	// Changing the set makes the recorded check stale: it is dropped, and
	// a check of the set as it was is refused.
	time.Sleep(time.Millisecond) // updated_at moves on
	if got := must(s.UpdateImageSet(f.ctx, f.set))(t); got.Check != nil {
		t.Fatalf("check after an update: %+v", got.Check)
	}
	wantConflict(t, s.RecordImageSetCheck(f.ctx, f.set.Name, f.set.UpdatedAt, failed), "updated_at")
	wantNotFound(t, s.RecordImageSetCheck(f.ctx, "nope", f.set.UpdatedAt, ok))
}
