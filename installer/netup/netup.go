// Package netup brings the installer's network up: every Ethernet NIC (or
// the one named) is set up and asked for a DHCPv4 lease in parallel, and the
// first lease is configured (address, routes, resolv.conf); or, with a
// static configuration from the kernel command line, one NIC gets that
// address without DHCP. It wraps u-root's dhclient and netlink; their types
// do not leak.
package netup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/u-root/u-root/pkg/dhclient"
)

// Lease is the configuration the network came up with.
type Lease struct {
	Interface string
	MAC       string
	Summary   string
}

// Up configures the first NIC that gets a DHCP lease. iface is an
// interface name or MAC; empty means every eth*/en* NIC.
func Up(ctx context.Context, log *slog.Logger, iface string, timeout time.Duration) (Lease, error) {
	links, err := findLinks(iface)
	if err != nil {
		return Lease{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cfg := dhclient.Config{Timeout: 4 * time.Second, Retries: 5, LogLevel: dhclient.LogSummary}
	var errs []error
	for r := range dhclient.SendRequests(ctx, links, true, false, cfg, 15*time.Second) {
		name := r.Interface.Attrs().Name
		if r.Err != nil {
			log.Debug("no DHCP lease", "iface", name, "err", r.Err)
			errs = append(errs, fmt.Errorf("%s: %w", name, r.Err))
			continue
		}
		if err := r.Lease.Configure(); err != nil {
			errs = append(errs, fmt.Errorf("configuring %s: %w", name, err))
			continue
		}
		return Lease{Interface: name, MAC: r.Interface.Attrs().HardwareAddr.String(), Summary: r.Lease.String()}, nil
	}
	return Lease{}, fmt.Errorf("no DHCP lease on any NIC within %s (%w): check cabling and the DHCP server on the provisioning network", timeout, errors.Join(errs...))
}
