package netup

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/u-root/u-root/pkg/dhclient"
	"github.com/vishvananda/netlink"

	"ingot.dev/ingot/installer/cmdline"
)

// Static configures one NIC with s, without DHCP: iface (a name or a MAC)
// names it; empty is allowed when the machine has a single Ethernet NIC.
// It waits up to timeout for the link to come up.
func Static(ctx context.Context, log *slog.Logger, iface string, s cmdline.Static, timeout time.Duration) (Lease, error) {
	links, err := findLinks(iface)
	if err != nil {
		return Lease{}, err
	}
	if len(links) > 1 {
		var names []string
		for _, l := range links {
			names = append(names, l.Attrs().Name+" ("+l.Attrs().HardwareAddr.String()+")")
		}
		return Lease{}, fmt.Errorf("static address %s: this machine has several NICs (%s): say which one with ingot.iface=NAME-or-MAC", s.Addr, strings.Join(names, ", "))
	}
	name := links[0].Attrs().Name
	link, err := dhclient.IfUp(name, timeout)
	if err != nil {
		return Lease{}, fmt.Errorf("bringing %s up: %w: check the cable and the switch port", name, err)
	}
	if err := netlink.AddrReplace(link, &netlink.Addr{IPNet: ipNet(s)}); err != nil {
		return Lease{}, fmt.Errorf("setting %s on %s: %w", s.Addr, name, err)
	}
	if s.Gateway.IsValid() {
		r := &netlink.Route{LinkIndex: link.Attrs().Index, Gw: net.IP(s.Gateway.AsSlice())}
		if err := netlink.RouteReplace(r); err != nil {
			return Lease{}, fmt.Errorf("default route via %s on %s: %w", s.Gateway, name, err)
		}
	}
	if len(s.DNS) > 0 {
		ns := make([]net.IP, len(s.DNS))
		for i, a := range s.DNS {
			ns[i] = net.IP(a.AsSlice())
		}
		if err := dhclient.WriteDNSSettings(ns, nil, "", dhclient.ResolvConfPath); err != nil {
			return Lease{}, fmt.Errorf("writing resolv.conf: %w", err)
		}
	}
	log.DebugContext(ctx, "static network", "iface", name, "addr", s.Addr, "gw", s.Gateway, "dns", s.DNS)
	return Lease{Interface: name, MAC: link.Attrs().HardwareAddr.String(),
		Summary: fmt.Sprintf("static %s gateway %v dns %v (no DHCP)", s.Addr, s.Gateway, s.DNS)}, nil
}

func ipNet(s cmdline.Static) *net.IPNet {
	bits := 32
	if s.Addr.Addr().Is6() {
		bits = 128
	}
	return &net.IPNet{IP: net.IP(s.Addr.Addr().AsSlice()), Mask: net.CIDRMask(s.Addr.Bits(), bits)}
}

// findLinks lists the NICs iface names: every eth*/en* NIC when empty, the
// one with that MAC when it parses as one, else the one with that name.
func findLinks(iface string) ([]netlink.Link, error) {
	pattern := "^(eth|en)"
	mac, macErr := net.ParseMAC(iface)
	if iface != "" && macErr != nil {
		pattern = "^" + regexp.QuoteMeta(iface) + "$"
	}
	links, err := dhclient.Interfaces(pattern)
	if err != nil {
		return nil, fmt.Errorf("finding network interfaces: %w: is the NIC's driver in the installer?", err)
	}
	if macErr != nil {
		return links, nil
	}
	for _, l := range links {
		if strings.EqualFold(l.Attrs().HardwareAddr.String(), mac.String()) {
			return []netlink.Link{l}, nil
		}
	}
	return nil, fmt.Errorf("no NIC has MAC %s (ingot.iface): is the NIC's driver in the installer?", mac)
}
