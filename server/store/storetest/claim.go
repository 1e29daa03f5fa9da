package storetest

import (
	"context"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// claimer claims at a fixed time for one owner.
type claimer struct {
	t   *testing.T
	s   store.Store
	now time.Time
}

func (c claimer) claim(owner string, limit, globalCap int) []api.DeploymentID {
	c.t.Helper()
	got, err := c.s.ClaimDeployments(context.Background(), store.Claim{
		Owner: owner, TTL: time.Minute, Limit: limit, GlobalCap: globalCap, Now: c.now})
	if err != nil {
		c.t.Fatal(err)
	}
	return ids(got)
}

// save saves d as owner in state st, waking at wake.
func (c claimer) save(owner string, d api.Deployment, st api.DeploymentState, wake time.Time) {
	c.t.Helper()
	d.State = st
	check(c.t, c.s.SaveDeployment(context.Background(), store.Lease{Owner: owner, Until: c.now.Add(time.Minute)}, d, wake, nil))
}

func testClaimLease(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	ds := f.deploy(t, s, "web", base(), f.hosts(t, s, "n", "web", 5)...)
	c := claimer{t, s, time.Now()}
	diff(t, "first claim, oldest first", ids(ds[:2]), c.claim("a", 2, 0))
	got := must(s.ClaimDeployments(f.ctx, store.Claim{Owner: "b", TTL: time.Minute, Limit: 10, Now: c.now}))(t)
	diff(t, "second claim", ids(ds[2:]), ids(got))
	if got[0].State != api.DeploymentPending {
		t.Errorf("claimed pending deployment comes back as %s", got[0].State)
	}
	diff(t, "all leased", []api.DeploymentID{}, c.claim("c", 10, 0))
	diff(t, "own leases are not claimed again", []api.DeploymentID{}, c.claim("a", 10, 0))

	c.now = c.now.Add(30 * time.Second)
	c.save("a", ds[0], api.DeploymentRunning, c.now) // extends a's lease on ds[0] to now+1m
	c.save("b", ds[4], api.DeploymentSucceeded, c.now)
	c.now = c.now.Add(45 * time.Second) // a's ds[1] and b's leases expired; ds[0] not
	diff(t, "expired leases", []api.DeploymentID{ds[1].ID, ds[2].ID, ds[3].ID}, c.claim("c", 10, 0))
}

func testClaimWake(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	ds := f.deploy(t, s, "web", base(), f.hosts(t, s, "n", "web", 4)...)
	c := claimer{t, s, time.Now()}
	diff(t, "claim all", ids(ds), c.claim("a", 10, 0))
	c.save("a", ds[0], api.DeploymentRunning, c.now.Add(time.Hour)) // sleeps an hour
	c.save("a", ds[1], api.DeploymentRunning, time.Time{})          // waits for a signal
	c.save("a", ds[2], api.DeploymentRunning, time.Time{})          // waits for a cancel
	c.save("a", ds[3], api.DeploymentRunning, time.Time{})          // signalled while leased
	check(t, s.ReleaseAll(f.ctx))
	diff(t, "nothing awake", []api.DeploymentID{}, c.claim("b", 10, 0))

	check(t, s.AddSignal(f.ctx, ds[1].ID, api.Signal{Name: "installer.done"}))
	check(t, s.RequestCancel(f.ctx, ds[2].ID))
	got := must(s.ClaimDeployments(f.ctx, store.Claim{Owner: "b", TTL: time.Minute, Limit: 10, Now: c.now}))(t)
	diff(t, "woken", ids(ds[1:3]), ids(got))
	if len(got) == 2 && (got[0].Cancel || !got[1].Cancel) {
		t.Errorf("cancel flags %t %t, want false true", got[0].Cancel, got[1].Cancel)
	}
	c.save("b", ds[1], api.DeploymentRunning, time.Time{})
	c.save("b", ds[2], api.DeploymentRunning, time.Time{})

	// A signal that arrives while the engine holds the lease is not lost
	// when the engine then saves "wait for a signal".
	diff(t, "claim ds[3]", []api.DeploymentID{}, c.claim("c", 10, 0))
	check(t, s.AddSignal(f.ctx, ds[3].ID, api.Signal{Name: "firstboot"}))
	diff(t, "ds[3] woken", []api.DeploymentID{ds[3].ID}, c.claim("c", 10, 0))
	check(t, s.AddSignal(f.ctx, ds[3].ID, api.Signal{Name: "late"}))
	c.save("c", ds[3], api.DeploymentRunning, time.Time{})
	check(t, s.ReleaseDeployment(f.ctx, ds[3].ID, "c"))
	diff(t, "signal during lease", []api.DeploymentID{ds[3].ID}, c.claim("d", 10, 0))
	c.save("d", ds[3], api.DeploymentRunning, time.Time{})
	check(t, s.ReleaseDeployment(f.ctx, ds[3].ID, "d"))
	diff(t, "no spurious wake", []api.DeploymentID{}, c.claim("e", 10, 0))

	c.now = c.now.Add(2 * time.Hour)
	diff(t, "timer", []api.DeploymentID{ds[0].ID}, c.claim("f", 10, 0))

	// Terminal deployments are never claimed, whatever wakes them.
	c.save("f", ds[0], api.DeploymentCancelled, c.now)
	check(t, s.ReleaseAll(f.ctx))
	check(t, s.AddSignal(f.ctx, ds[0].ID, api.Signal{Name: "x"}))
	c.now = c.now.Add(time.Hour)
	for _, id := range c.claim("g", 10, 0) {
		if id == ds[0].ID {
			t.Errorf("terminal deployment %s claimed", id)
		}
	}
}

func testClaimGlobalCap(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	ds := f.deploy(t, s, "web", base(), f.hosts(t, s, "n", "web", 5)...)
	c := claimer{t, s, time.Now()}
	diff(t, "cap 2", ids(ds[:2]), c.claim("a", 10, 2))
	diff(t, "claimed pending count against the cap", []api.DeploymentID{}, c.claim("b", 10, 2))
	c.save("a", ds[0], api.DeploymentRunning, c.now)
	c.save("a", ds[1], api.DeploymentCompensating, c.now)
	diff(t, "running and compensating count", []api.DeploymentID{}, c.claim("b", 10, 2))
	diff(t, "higher cap", []api.DeploymentID{ds[2].ID}, c.claim("b", 10, 3))
	diff(t, "no cap", ids(ds[3:]), c.claim("c", 10, 0))
	c.save("a", ds[0], api.DeploymentSucceeded, c.now)
	check(t, s.ReleaseAll(f.ctx))

	// Started deployments are reclaimed even when the cap is full; pending
	// ones whose lease ended no longer count.
	c.now = c.now.Add(time.Hour)
	diff(t, "full cap", []api.DeploymentID{ds[1].ID}, c.claim("d", 10, 1))
	check(t, s.ReleaseAll(f.ctx))
	diff(t, "room for one", []api.DeploymentID{ds[1].ID, ds[2].ID}, c.claim("d", 10, 2))
}

func testClaimHostgroupCap(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	f.newGroup(t, s, "db", 1)
	db := f.deploy(t, s, "db", base(), f.hosts(t, s, "d", "db", 3)...)
	web := f.deploy(t, s, "web", base().Add(time.Minute), f.hosts(t, s, "w", "web", 2)...)
	c := claimer{t, s, time.Now()}
	diff(t, "one of db, all of web", []api.DeploymentID{db[0].ID, web[0].ID, web[1].ID}, c.claim("a", 10, 0))
	diff(t, "db full", []api.DeploymentID{}, c.claim("b", 10, 0))
	c.save("a", db[0], api.DeploymentFailed, c.now)
	diff(t, "db slot free", []api.DeploymentID{db[1].ID}, c.claim("b", 10, 0))
	diff(t, "global cap also applies", []api.DeploymentID{}, c.claim("c", 10, 3))

	// A full group does not starve the groups behind it.
	more := f.deploy(t, s, "web", base().Add(2*time.Minute), f.hosts(t, s, "x", "web", 1)...)
	diff(t, "behind a full group", ids(more), c.claim("c", 1, 0))
}

func testReleaseAll(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	ds := f.deploy(t, s, "web", base(), f.hosts(t, s, "n", "web", 3)...)
	c := claimer{t, s, time.Now()}
	diff(t, "a", ids(ds[:2]), c.claim("a", 2, 0))
	diff(t, "b", ids(ds[2:]), c.claim("b", 2, 0))
	check(t, s.ReleaseAll(f.ctx))
	diff(t, "after ReleaseAll", ids(ds), c.claim("c", 10, 0))
	check(t, s.Ping(f.ctx))
}
