package dhcp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Lease is one address handed to one MAC in full mode.
type Lease struct {
	MAC     net.HardwareAddr
	Addr    netip.Addr
	Expires time.Time
}

// Active reports whether the lease still holds its address at now.
func (l Lease) Active(now time.Time) bool { return now.Before(l.Expires) }

// ErrNoLease is returned by Leases.Get when the MAC has no lease.
var ErrNoLease = errors.New("no lease")

// Leases is where full mode keeps its leases. The Ingot server implements
// it on its store; MemLeases is an in-memory implementation.
type Leases interface {
	// Get returns the MAC's lease, or ErrNoLease.
	Get(ctx context.Context, mac net.HardwareAddr) (Lease, error)
	// Put creates or replaces the MAC's lease (one lease per MAC).
	Put(ctx context.Context, l Lease) error
	// List returns every lease, active or not.
	List(ctx context.Context) ([]Lease, error)
	// Expire deletes the leases that ended before t and returns how many.
	Expire(ctx context.Context, t time.Time) (int, error)
}

// MemLeases keeps leases in memory. The zero value is ready to use.
type MemLeases struct {
	mu sync.Mutex
	m  map[string]Lease
}

var _ Leases = (*MemLeases)(nil)

// Get implements Leases.
func (m *MemLeases) Get(_ context.Context, mac net.HardwareAddr) (Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.m[mac.String()]
	if !ok {
		return Lease{}, ErrNoLease
	}
	return l, nil
}

// Put implements Leases.
func (m *MemLeases) Put(_ context.Context, l Lease) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]Lease{}
	}
	l.MAC = slices.Clone(l.MAC)
	m.m[l.MAC.String()] = l
	return nil
}

// List implements Leases.
func (m *MemLeases) List(context.Context) ([]Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Lease, 0, len(m.m))
	for _, l := range m.m {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b Lease) int { return a.Addr.Compare(b.Addr) })
	return out, nil
}

// Expire implements Leases.
func (m *MemLeases) Expire(_ context.Context, t time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k, l := range m.m {
		if l.Expires.Before(t) {
			delete(m.m, k)
			n++
		}
	}
	return n, nil
}
