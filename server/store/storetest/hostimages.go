package storetest

import (
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

func testHostImages(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := base()
	a := api.HostImage{ID: imageID(1), Host: "web-1", Base: imageID(9), Deployment: "dep_1", NewBytes: 4096, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	b := api.HostImage{ID: imageID(2), Host: "web-2", Base: imageID(9), NewBytes: 5000, CreatedAt: at.Add(time.Second), ExpiresAt: at.Add(time.Hour)}
	check(t, s.PutHostImage(ctx, a))
	check(t, s.PutHostImage(ctx, b))
	diff(t, "ListHostImages", []api.HostImage{a, b}, must(s.ListHostImages(ctx))(t))
	// The same image again (same config, same base) moves its expiry.
	a.Deployment, a.ExpiresAt = "dep_2", at.Add(2*time.Hour)
	check(t, s.PutHostImage(ctx, a))
	diff(t, "after put again", []api.HostImage{a, b}, must(s.ListHostImages(ctx))(t))
	check(t, s.DeleteHostImage(ctx, a.ID))
	diff(t, "after delete", []api.HostImage{b}, must(s.ListHostImages(ctx))(t))
	wantNotFound(t, s.DeleteHostImage(ctx, a.ID))
}
