package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/netboot/boot"
	"ingot.dev/ingot/netboot/dhcp"
	"ingot.dev/ingot/server/auth"
	"ingot.dev/ingot/server/store"
)

// bootResolver tells netboot what a MAC boots: its host's boot decision,
// and for the installer the deployment and its derived one-time token.
type bootResolver struct {
	store   store.Store
	deriver *auth.Deriver
	base    *url.URL
}

var _ boot.Resolver = (*bootResolver)(nil)

func (r *bootResolver) Resolve(ctx context.Context, mac net.HardwareAddr) (boot.Target, error) {
	t := boot.Target{BaseURL: r.base}
	h, err := r.store.GetHostByMAC(ctx, api.MAC{HardwareAddr: mac})
	if errors.Is(err, store.ErrNotFound) {
		t.Decision = api.BootDiscovery
		return t, nil
	}
	if err != nil {
		return t, fmt.Errorf("resolving %s: %w", mac, err)
	}
	t.Known, t.Host, t.Decision = true, h.Name, h.Boot
	if h.Boot != api.BootInstaller {
		return t, nil
	}
	d, err := r.store.ActiveDeployment(ctx, h.Name)
	if err != nil {
		// No deployment (yet, or any more: a failed install leaves its
		// host on the installer, its disk in an unknown state): hold the
		// machine in iPXE until one starts, rather than boot that disk.
		t.Decision = api.BootHold
		return t, nil
	}
	t.Deployment, t.Token = d.ID, r.deriver.InstallerSecret(d.ID)
	return t, nil
}

// leaseStore keeps full-DHCP leases in the state store.
type leaseStore struct{ store store.Store }

var _ dhcp.Leases = leaseStore{}

func (l leaseStore) Get(ctx context.Context, mac net.HardwareAddr) (dhcp.Lease, error) {
	got, err := l.store.GetLease(ctx, api.MAC{HardwareAddr: mac})
	if errors.Is(err, store.ErrNotFound) {
		return dhcp.Lease{}, dhcp.ErrNoLease
	}
	return dhcp.Lease{MAC: got.MAC.HardwareAddr, Addr: got.Addr, Expires: got.Expires}, err
}

func (l leaseStore) Put(ctx context.Context, le dhcp.Lease) error {
	return l.store.PutLease(ctx, store.DHCPLease{MAC: api.MAC{HardwareAddr: le.MAC}, Addr: le.Addr, Expires: le.Expires})
}

func (l leaseStore) List(ctx context.Context) ([]dhcp.Lease, error) {
	all, err := l.store.ListLeases(ctx)
	out := make([]dhcp.Lease, len(all))
	for i, le := range all {
		out[i] = dhcp.Lease{MAC: le.MAC.HardwareAddr, Addr: le.Addr, Expires: le.Expires}
	}
	return out, err
}

func (l leaseStore) Expire(ctx context.Context, t time.Time) (int, error) {
	return l.store.ExpireLeases(ctx, t)
}
