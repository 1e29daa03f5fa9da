// Package netboot runs Ingot's network boot services on the interfaces it
// is given: DHCP (proxy or full) per interface with the PXE port, TFTP for
// the iPXE binaries, IPv6 router advertisements, and optionally the HTTP
// boot handler. An empty Config starts nothing and sends nothing.
package netboot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"ingot.dev/ingot/netboot/boot"
	"ingot.dev/ingot/netboot/dhcp"
	"ingot.dev/ingot/netboot/httpboot"
	"ingot.dev/ingot/netboot/ra"
	"ingot.dev/ingot/netboot/tftp"
)

// Config is the netboot part of the server configuration.
type Config struct {
	// Interfaces are the segments Ingot serves DHCP on. None: no DHCP.
	Interfaces []Interface
	// HTTPBase is the server's base URL as booting machines reach it,
	// e.g. http://10.0.0.1:7480. Required when anything is served.
	HTTPBase *url.URL
	// TFTP serves IPXEDir over TFTP (for firmware PXE). Default off.
	TFTP bool
	// TFTPListen is the TFTP address. Default 0.0.0.0:69.
	TFTPListen netip.AddrPort
	// RA sends IPv6 router advertisements (lifetime 0, no prefixes) on every
	// interface, so iPXE does not wait for IPv6. Only on segments Ingot owns.
	RA bool
	// RAInterval is the advertisement interval. Default 4s.
	RAInterval time.Duration
	// IPXEDir holds undionly.kpxe, ipxe.efi, snponly.efi. Default /usr/lib/ipxe.
	IPXEDir string
	// InstallerDir holds the installer's vmlinuz and initramfs.cpio.gz.
	InstallerDir string
	// HTTPListen, when set, makes Serve run its own HTTP server for /boot/
	// (rack agents, tests). Usually the API server mounts Handler instead.
	HTTPListen netip.AddrPort
	// Files names the iPXE binaries; see dhcp.Files for defaults.
	Files dhcp.Files
	// LeaseTime is the full-mode lease duration. Default 1h.
	LeaseTime time.Duration
	// HoldInterval is how often a machine on hold asks again. Default 30s.
	HoldInterval time.Duration
	// RateLimit is applied per interface; see dhcp.RateLimit for defaults.
	RateLimit dhcp.RateLimit
	// Metrics hooks; each may be nil and must not block.
	Metrics Metrics
}

// Interface is one segment Ingot serves.
type Interface struct {
	Name    string     // network interface, e.g. br0
	Address netip.Addr // Ingot's IPv4 address on it
	Mode    dhcp.Mode  // proxy (default) or full
	// Pools and Reservations are for full mode.
	Pools        []dhcp.Pool
	Reservations []dhcp.Reservation
}

// Metrics are the observation hooks.
type Metrics struct {
	DHCP func(dhcp.Event)
	TFTP func(tftp.Transfer)
	HTTP func(httpboot.Fetch)
}

// Empty reports whether c asks for nothing.
func (c Config) Empty() bool {
	return len(c.Interfaces) == 0 && !c.TFTP && !c.RA && !c.HTTPListen.IsValid()
}

func (c Config) ipxeDir() string {
	if c.IPXEDir == "" {
		return "/usr/lib/ipxe"
	}
	return c.IPXEDir
}

// Validate checks c, naming the field at fault.
func (c Config) Validate() error {
	if c.Empty() {
		return nil
	}
	var errs []error
	if c.HTTPBase == nil {
		errs = append(errs, errors.New("netboot: HTTPBase: required, e.g. http://10.0.0.1:7480"))
	}
	names := map[string]bool{}
	for i, ifc := range c.Interfaces {
		if ifc.Name == "" {
			errs = append(errs, fmt.Errorf("netboot: Interfaces[%d].Name: required", i))
		}
		if names[ifc.Name] {
			errs = append(errs, fmt.Errorf("netboot: Interfaces[%d].Name %q: listed twice", i, ifc.Name))
		}
		names[ifc.Name] = true
		if err := c.dhcpConfig(ifc).Validate(); err != nil {
			errs = append(errs, fmt.Errorf("netboot: Interfaces[%d]: %w", i, err))
		}
	}
	if c.RA && len(c.Interfaces) == 0 {
		errs = append(errs, errors.New("netboot: RA: needs at least one interface"))
	}
	if c.TFTP {
		if st, err := os.Stat(c.ipxeDir()); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("netboot: IPXEDir %s: not a directory (install Debian's ipxe package)", c.ipxeDir()))
		}
	}
	if c.HTTPListen.IsValid() && c.InstallerDir == "" {
		errs = append(errs, errors.New("netboot: InstallerDir: required with HTTPListen"))
	}
	return errors.Join(errs...)
}

func (c Config) dhcpConfig(ifc Interface) dhcp.Config {
	return dhcp.Config{Interface: ifc.Name, ServerAddr: ifc.Address, Mode: ifc.Mode, HTTPBase: c.HTTPBase,
		TFTP: c.TFTP, Files: c.Files, Pools: ifc.Pools, Reservations: ifc.Reservations, LeaseTime: c.LeaseTime,
		RateLimit: c.RateLimit, Metrics: c.Metrics.DHCP}
}

// Handler returns the HTTP boot handler for c, to mount at /boot/.
func Handler(c Config, r boot.Resolver, log *slog.Logger) (http.Handler, error) {
	return httpboot.New(httpboot.Config{Base: c.HTTPBase, Installer: os.DirFS(c.InstallerDir), IPXE: os.DirFS(c.ipxeDir()),
		Fetched: c.Metrics.HTTP, HoldInterval: c.HoldInterval}, r, log)
}

// Serve runs every configured service until ctx ends. It opens all sockets
// before serving, so a bad interface or a port in use fails fast. leases
// may be nil when no interface is in full mode.
func Serve(ctx context.Context, c Config, r boot.Resolver, leases dhcp.Leases, log *slog.Logger) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Empty() {
		return nil
	}
	var runs []func(context.Context) error
	for _, ifc := range c.Interfaces {
		s, err := dhcp.New(c.dhcpConfig(ifc), r, leases, log)
		if err != nil {
			return fmt.Errorf("netboot: %w", err)
		}
		runs = append(runs, s.Serve)
		if c.RA {
			s, err := ra.New(ra.Config{Interface: ifc.Name, Interval: c.RAInterval}, log)
			if err != nil {
				return fmt.Errorf("netboot: %w", err)
			}
			runs = append(runs, s.Serve)
		}
	}
	if c.TFTP {
		s, err := tftp.New(tftp.Config{Listen: c.TFTPListen, Root: os.DirFS(c.ipxeDir()), Stats: c.Metrics.TFTP}, log)
		if err != nil {
			return fmt.Errorf("netboot: %w", err)
		}
		runs = append(runs, s.Serve)
	}
	if c.HTTPListen.IsValid() {
		run, err := httpServer(c, r, log)
		if err != nil {
			return err
		}
		runs = append(runs, run)
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, run := range runs {
		g.Go(func() error { return run(ctx) })
	}
	return g.Wait()
}
