package storetest

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

func testLeases(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	m1, _ := api.ParseMAC("52:54:00:00:10:01")
	m2, _ := api.ParseMAC("52:54:00:00:10:02")
	if _, err := s.GetLease(ctx, m1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetLease of a new MAC: %v, want ErrNotFound", err)
	}
	l1 := store.DHCPLease{MAC: m1, Addr: netip.MustParseAddr("10.0.0.10"), Expires: now.Add(time.Hour)}
	if err := s.PutLease(ctx, l1); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetLease(ctx, m1)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "lease", l1, got)
	// Renewal replaces; another MAC cannot take a leased address.
	l1.Expires = now.Add(2 * time.Hour)
	if err := s.PutLease(ctx, l1); err != nil {
		t.Fatal(err)
	}
	var ce *store.ConflictError
	if err := s.PutLease(ctx, store.DHCPLease{MAC: m2, Addr: l1.Addr, Expires: now.Add(time.Hour)}); !errors.As(err, &ce) || ce.Field != "addr" {
		t.Fatalf("second MAC on a leased address: %v, want ConflictError on addr", err)
	}
	old := store.DHCPLease{MAC: m2, Addr: netip.MustParseAddr("10.0.0.11"), Expires: now.Add(-time.Minute)}
	if err := s.PutLease(ctx, old); err != nil {
		t.Fatal(err)
	}
	if all, err := s.ListLeases(ctx); err != nil || len(all) != 2 {
		t.Fatalf("ListLeases: %d %v, want 2", len(all), err)
	}
	if n, err := s.ExpireLeases(ctx, now); err != nil || n != 1 {
		t.Fatalf("ExpireLeases: %d %v, want 1", n, err)
	}
	if all, _ := s.ListLeases(ctx); len(all) != 1 || all[0].MAC.String() != m1.String() {
		t.Fatalf("after expiry: %+v", all)
	}
}
