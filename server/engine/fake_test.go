package engine

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// fakeStore is an in-memory Store that keeps the contract: leases fence
// writes, a zero wake time parks a deployment until a signal or a cancel,
// caps limit what is claimed, and every read returns a copy.
type fakeStore struct {
	mu     sync.Mutex
	now    func() time.Time
	deps   map[api.DeploymentID]*fakeDep
	order  []api.DeploymentID
	events []api.Event
	saves  int
}

type fakeDep struct {
	d       api.Deployment
	lease   store.Lease
	wake    time.Time
	signals []api.Signal
}

var _ Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{now: time.Now, deps: make(map[api.DeploymentID]*fakeDep)}
}

func cloneDep(d api.Deployment) api.Deployment {
	d.Steps = slices.Clone(d.Steps)
	return d
}

func (f *fakeStore) create(d api.Deployment, events ...api.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deps[d.ID] = &fakeDep{d: cloneDep(d), wake: f.now()}
	f.order = append(f.order, d.ID)
	f.appendLocked(d.ID, append([]api.Event{{Step: -1, Type: "deployment.created"}}, events...))
}

func (f *fakeStore) appendLocked(id api.DeploymentID, events []api.Event) {
	for _, e := range events {
		e.Seq = int64(len(f.events) + 1)
		e.Deployment = id
		f.events = append(f.events, e)
	}
}

func (f *fakeStore) ClaimDeployments(_ context.Context, c store.Claim) ([]api.Deployment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	started := 0
	for _, fd := range f.deps {
		if s := fd.d.State; s != api.DeploymentPending && !s.Terminal() {
			started++
		}
	}
	var out []api.Deployment
	for _, id := range f.order {
		fd := f.deps[id]
		if len(out) >= c.Limit || fd.d.State.Terminal() || fd.wake.IsZero() || fd.wake.After(c.Now) {
			continue
		}
		if fd.lease.Owner != "" && fd.lease.Until.After(c.Now) {
			continue
		}
		if fd.d.State == api.DeploymentPending {
			if c.GlobalCap > 0 && started >= c.GlobalCap {
				continue
			}
			started++
		}
		fd.lease = store.Lease{Owner: c.Owner, Until: c.Now.Add(c.TTL)}
		out = append(out, cloneDep(fd.d))
	}
	return out, nil
}

func (f *fakeStore) SaveDeployment(_ context.Context, lease store.Lease, d api.Deployment, wake time.Time, events []api.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fd, ok := f.deps[d.ID]
	if !ok {
		return fmt.Errorf("deployment %s: %w", d.ID, store.ErrNotFound)
	}
	if fd.lease.Owner != lease.Owner {
		return store.ErrLeaseLost
	}
	cancel := fd.d.Cancel // only RequestCancel sets it; a save never clears it
	fd.d = cloneDep(d)
	fd.d.Cancel = fd.d.Cancel || cancel
	fd.lease.Until = lease.Until
	fd.wake = wake
	f.saves++
	f.appendLocked(d.ID, events)
	return nil
}

func (f *fakeStore) ReleaseDeployment(_ context.Context, id api.DeploymentID, owner string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fd, ok := f.deps[id]
	if !ok {
		return store.ErrNotFound
	}
	if fd.lease.Owner == owner {
		fd.lease = store.Lease{}
	}
	return nil
}

func (f *fakeStore) GetDeployment(_ context.Context, id api.DeploymentID) (api.Deployment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fd, ok := f.deps[id]
	if !ok {
		return api.Deployment{}, store.ErrNotFound
	}
	return cloneDep(fd.d), nil
}

func (f *fakeStore) Signals(_ context.Context, id api.DeploymentID) ([]api.Signal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fd, ok := f.deps[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return slices.Clone(fd.signals), nil
}

func (f *fakeStore) AddSignal(_ context.Context, id api.DeploymentID, s api.Signal) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fd := f.deps[id]
	s.Time = f.now()
	fd.signals = append(fd.signals, s)
	fd.wake = f.now()
	return nil
}

func (f *fakeStore) RequestCancel(_ context.Context, id api.DeploymentID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fd := f.deps[id]
	fd.d.Cancel = true
	fd.wake = f.now()
	return nil
}

// steal hands the lease to another owner, as if this engine had stalled.
func (f *fakeStore) steal(id api.DeploymentID, owner string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deps[id].lease = store.Lease{Owner: owner, Until: f.now().Add(time.Hour)}
}

func (f *fakeStore) leaseOf(id api.DeploymentID) store.Lease {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deps[id].lease
}

func (f *fakeStore) saveCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.saves
}

// eventsOf lists the deployment's events as "step type" strings.
func (f *fakeStore) eventsOf(id api.DeploymentID) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, e := range f.events {
		if e.Deployment == id {
			out = append(out, fmt.Sprintf("%d %s", e.Step, e.Type))
		}
	}
	return out
}
