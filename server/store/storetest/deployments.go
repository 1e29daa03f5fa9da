package storetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// base is a time an hour ago, whole seconds, so deployments created from it
// are old enough to run and compare exactly after a round trip.
func base() time.Time { return time.Now().UTC().Truncate(time.Second).Add(-time.Hour) }

func testDeployments(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	hosts := f.hosts(t, s, "n", "web", 4)
	ds := f.deploy(t, s, "web", base(), hosts[:3]...)
	for _, d := range ds {
		d.State = api.DeploymentPending
		diff(t, "GetDeployment", d, must(s.GetDeployment(f.ctx, d.ID))(t))
		evs := must(s.Events(f.ctx, d.ID, 0, 0))(t)
		if len(evs) != 1 || evs[0].Type != "deployment.created" || evs[0].Step != -1 || evs[0].Deployment != d.ID {
			t.Errorf("events of new deployment %s = %+v, want one deployment.created", d.ID, evs)
		}
	}
	diff(t, "ActiveDeployment", ds[1], must(s.ActiveDeployment(f.ctx, hosts[1]))(t))
	_, err := s.ActiveDeployment(f.ctx, hosts[3])
	wantNotFound(t, err)
	_, err = s.GetDeployment(f.ctx, "nope")
	wantNotFound(t, err)

	wantConflict(t, s.CreateDeployments(f.ctx, []api.Deployment{{Host: hosts[3]}, {Host: hosts[0]}}), "hosts[1]")
	wantConflict(t, s.CreateDeployments(f.ctx, []api.Deployment{{Host: hosts[3]}, {Host: hosts[3]}}), "hosts[1]")
	wantConflict(t, s.CreateDeployments(f.ctx, []api.Deployment{{Host: "ghost"}}), "hosts[0]")
	wantConflict(t, s.DeleteHost(f.ctx, hosts[0]), "name")

	// Generated ID and defaults.
	gen := []api.Deployment{{Host: hosts[3]}}
	check(t, s.CreateDeployments(f.ctx, gen))
	if gen[0].ID == "" || gen[0].State != api.DeploymentPending || gen[0].CreatedAt.IsZero() {
		t.Errorf("CreateDeployments did not fill in the new deployment: %+v", gen[0])
	}
	diff(t, "generated deployment", gen[0], must(s.GetDeployment(f.ctx, gen[0].ID))(t))

	// Once finished, the host may be deployed again and deleted.
	finish(t, s, ds[0], api.DeploymentSucceeded)
	_, err = s.ActiveDeployment(f.ctx, hosts[0])
	wantNotFound(t, err)
	f.deploy(t, s, "web", base().Add(time.Minute), hosts[0])
	finish(t, s, must(s.ActiveDeployment(f.ctx, hosts[0]))(t), api.DeploymentFailed)
	check(t, s.DeleteHost(f.ctx, hosts[0]))
}

// finish claims d and saves it in state st.
func finish(t *testing.T, s store.Store, d api.Deployment, st api.DeploymentState) api.Deployment {
	t.Helper()
	ctx := t.Context()
	got := must(s.ClaimDeployments(ctx, store.Claim{Owner: "finisher", TTL: time.Minute, Limit: 1000, Now: time.Now()}))(t)
	found := false
	for _, c := range got {
		found = found || c.ID == d.ID
	}
	if !found {
		t.Fatalf("finish: deployment %s not claimable", d.ID)
	}
	d.State, d.FinishedAt = st, time.Now().UTC().Truncate(time.Microsecond)
	check(t, s.SaveDeployment(ctx, store.Lease{Owner: "finisher", Until: time.Now().Add(time.Minute)}, d, time.Time{}, nil))
	check(t, s.ReleaseAll(ctx))
	return d
}

func testDeploymentsAllOrNothing(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	hosts := f.hosts(t, s, "n", "web", 2)
	err := s.CreateDeployments(f.ctx, []api.Deployment{{ID: "a", Host: hosts[0]}, {ID: "b", Host: hosts[1]}, {ID: "c", Host: "ghost"}})
	wantConflict(t, err, "hosts[2]")
	p := must(s.ListDeployments(f.ctx, store.DeploymentFilter{}))(t)
	if len(p.Items) != 0 {
		t.Errorf("failed CreateDeployments left %d deployments", len(p.Items))
	}
	if evs := must(s.Events(f.ctx, "a", 0, 0))(t); len(evs) != 0 {
		t.Errorf("failed CreateDeployments left events %+v", evs)
	}
	_, err = s.ActiveDeployment(f.ctx, hosts[0])
	wantNotFound(t, err)
}

func testDeploymentList(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	f.newGroup(t, s, "db", 0)
	web := f.deploy(t, s, "web", base(), f.hosts(t, s, "w", "web", 7)...)
	db := f.deploy(t, s, "db", base().Add(time.Minute), f.hosts(t, s, "d", "db", 5)...)
	finish(t, s, web[2], api.DeploymentFailed)
	list := func(flt store.DeploymentFilter) func(store.ListOptions) (api.Page[api.Deployment], error) {
		return func(o store.ListOptions) (api.Page[api.Deployment], error) {
			flt.ListOptions = o
			return s.ListDeployments(f.ctx, flt)
		}
	}
	all := append(append([]api.Deployment{}, web...), db...)
	diff(t, "all", sortedIDs(all), ids(walk(t, 5, list(store.DeploymentFilter{}))))
	diff(t, "db", sortedIDs(db), ids(walk(t, 2, list(store.DeploymentFilter{Hostgroup: "db"}))))
	diff(t, "host", []api.DeploymentID{web[4].ID}, ids(walk(t, 2, list(store.DeploymentFilter{Host: web[4].Host}))))
	diff(t, "failed", []api.DeploymentID{web[2].ID}, ids(walk(t, 2, list(store.DeploymentFilter{State: api.DeploymentFailed}))))
	diff(t, "web pending", 6, len(walk(t, 4, list(store.DeploymentFilter{Hostgroup: "web", State: api.DeploymentPending}))))
}

func testEvents(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	d := f.deploy(t, s, "web", base(), f.hosts(t, s, "n", "web", 1)...)[0]
	created := must(s.Events(f.ctx, d.ID, 0, 0))(t)
	evs := []api.Event{
		{Deployment: d.ID, Step: 0, Type: "note", Message: "one", Data: json.RawMessage(`{"a":1}`)},
		{Deployment: d.ID, Step: 0, Type: "note", Message: "two", Time: time.Date(2025, 1, 1, 0, 0, 0, 1000, time.UTC)},
		{Deployment: d.ID, Step: 1, Type: "note", Message: "three"},
	}
	check(t, s.AppendEvents(f.ctx, evs))
	last := created[0].Seq
	for i, e := range evs {
		if e.Seq <= last || e.Time.IsZero() {
			t.Errorf("event %d: seq %d after %d, time %v", i, e.Seq, last, e.Time)
		}
		last = e.Seq
	}
	diff(t, "events after created", evs, must(s.Events(f.ctx, d.ID, created[0].Seq, 0))(t))
	diff(t, "events after first", evs[1:], must(s.Events(f.ctx, d.ID, evs[0].Seq, 0))(t))
	diff(t, "limit", evs[:2], must(s.Events(f.ctx, d.ID, created[0].Seq, 2))(t))
	wantNotFound(t, s.AppendEvents(f.ctx, []api.Event{{Deployment: "nope", Type: "x"}}))

	sigs := []api.Signal{
		{Name: "installer.progress", Data: json.RawMessage(`{"bytes":1}`), Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Name: "installer.done"},
	}
	for _, sig := range sigs {
		check(t, s.AddSignal(f.ctx, d.ID, sig))
	}
	got := must(s.Signals(f.ctx, d.ID))(t)
	if len(got) == 2 && !got[1].Time.IsZero() {
		sigs[1].Time = got[1].Time
	}
	diff(t, "Signals", sigs, got)
	wantNotFound(t, s.AddSignal(f.ctx, "nope", api.Signal{Name: "x"}))
	wantNotFound(t, s.RequestCancel(f.ctx, "nope"))
}

func testSaveFenced(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	d := f.deploy(t, s, "web", base(), f.hosts(t, s, "n", "web", 1)...)[0]
	now := time.Now()
	claimA := store.Claim{Owner: "a", TTL: time.Minute, Limit: 10, Now: now}
	diff(t, "claim", []api.DeploymentID{d.ID}, ids(must(s.ClaimDeployments(f.ctx, claimA))(t)))
	leaseA := store.Lease{Owner: "a", Until: now.Add(time.Minute)}

	d.State = api.DeploymentRunning
	d.StartedAt = now.UTC().Truncate(time.Microsecond)
	d.Steps[0].Status, d.Steps[0].Params = api.StepFailed, json.RawMessage(`{"k":"v"}`)
	d.Steps[0].Progress = &api.Progress{Bytes: 5, Total: 10}
	d.Error = &api.StepError{Step: "plan", Code: "timeout", Message: "too slow", Hint: "wait"}
	d.Steps[0].Error = d.Error
	err := s.SaveDeployment(f.ctx, store.Lease{Owner: "b", Until: now.Add(time.Minute)}, d, time.Time{}, nil)
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("save by non-owner: %v, want ErrLeaseLost", err)
	}
	evs := []api.Event{{Step: 0, Type: "step.failed"}, {Step: -1, Type: "deployment.compensating"}}
	check(t, s.SaveDeployment(f.ctx, leaseA, d, time.Time{}, evs))
	if evs[0].Deployment != d.ID || evs[0].Seq == 0 || evs[1].Seq <= evs[0].Seq {
		t.Errorf("saved events not filled in: %+v", evs)
	}
	diff(t, "saved deployment", d, must(s.GetDeployment(f.ctx, d.ID))(t))
	diff(t, "saved events", evs, must(s.Events(f.ctx, d.ID, evs[0].Seq-1, 0))(t))

	// The lease expires; b takes over and a's writes are refused.
	later := now.Add(2 * time.Minute)
	check(t, s.AddSignal(f.ctx, d.ID, api.Signal{Name: "wake"}))
	got := must(s.ClaimDeployments(f.ctx, store.Claim{Owner: "b", TTL: time.Minute, Limit: 10, Now: later}))(t)
	diff(t, "takeover", []api.DeploymentID{d.ID}, ids(got))
	err = s.SaveDeployment(f.ctx, leaseA, d, time.Time{}, []api.Event{{Type: "late"}})
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("save after takeover: %v, want ErrLeaseLost", err)
	}
	if n := len(must(s.Events(f.ctx, d.ID, evs[1].Seq, 0))(t)); n != 0 {
		t.Errorf("refused save appended %d events", n)
	}
	if err := s.ReleaseDeployment(f.ctx, d.ID, "a"); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("release by non-owner: %v, want ErrLeaseLost", err)
	}
	check(t, s.ReleaseDeployment(f.ctx, d.ID, "b"))
	diff(t, "claim after release", []api.DeploymentID{d.ID}, ids(must(s.ClaimDeployments(f.ctx, store.Claim{Owner: "c", TTL: time.Minute, Limit: 1, Now: later}))(t)))
}
