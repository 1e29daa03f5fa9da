package template

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"ingot.dev/ingot/api"
)

const addressesPath = "values.addresses"

func checkAddresses(c *collector, r api.AddressRule, addrs []api.StaticAddress) {
	if len(addrs) > 0 && !r.Allowed {
		c.locked(addressesPath, "addresses", len(addrs))
		return
	}
	countLimits(c, addressesPath, "addresses", len(addrs), 0, r.Max)
	seen := map[netip.Addr]int{}
	for i, a := range addrs {
		path := fmt.Sprintf("%s[%d]", addressesPath, i)
		checkInterface(c, path+".interface", a.Interface)
		for j, d := range a.DNS {
			checkDNS(c, fmt.Sprintf("%s.dns[%d]", path, j), d)
		}
		if !checkAddress(c, path+".address", a.Address, r.Networks) {
			continue
		}
		if j, dup := seen[a.Address.Addr()]; dup {
			c.add(path+".address", a.Address.String(), "the same address as %s[%d].address", addressesPath, j)
		} else {
			seen[a.Address.Addr()] = i
		}
		checkGateway(c, path+".gateway", a.Address, a.Gateway)
	}
}

// checkAddress reports whether p is a usable host address in one of
// networks (any network if there are none), reporting why not.
func checkAddress(c *collector, path string, p netip.Prefix, networks []netip.Prefix) bool {
	if !p.IsValid() {
		c.add(path, nil, "missing or invalid: want an address with its prefix length, such as 10.0.0.5/24")
		return false
	}
	if err := hostAddress(p); err != nil {
		c.add(path, p.String(), "%v", err)
		return false
	}
	if len(networks) > 0 && !inNetworks(p, networks) {
		c.add(path, p.String(), "outside the networks the hostgroup template allows (template.addresses.networks): %s",
			joinPrefixes(networks))
		return false
	}
	return true
}

// hostAddress checks that p names one host: not the network or broadcast
// address of its subnet, not unspecified, loopback or multicast.
func hostAddress(p netip.Prefix) error {
	a := p.Addr()
	switch {
	case a.Is4In6():
		return fmt.Errorf("an IPv4-mapped IPv6 address; write it as IPv4 (%s)", a.Unmap())
	case a.IsUnspecified(), a.IsLoopback(), a.IsMulticast():
		return fmt.Errorf("%s is not a host address", a)
	case p.Bits() < a.BitLen()-1 && a == p.Masked().Addr():
		return fmt.Errorf("%s is the network address of %s; use a host address in it", a, p.Masked())
	case a.Is4() && p.Bits() < 31 && a == lastAddr(p):
		return fmt.Errorf("%s is the broadcast address of %s; use a host address in it", a, p.Masked())
	}
	return nil
}

// lastAddr is the highest address of p's subnet.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// inNetworks reports whether p lies wholly inside one of networks.
func inNetworks(p netip.Prefix, networks []netip.Prefix) bool {
	for _, n := range networks {
		if n.IsValid() && n.Bits() <= p.Bits() && n.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// checkGateway checks that gw, if set, is reachable on p's subnet. IPv6
// link-local gateways (fe80::/10) are accepted as they are on every link.
func checkGateway(c *collector, path string, p netip.Prefix, gw netip.Addr) {
	switch {
	case !gw.IsValid():
		return
	case gw.Is4() != p.Addr().Is4():
		c.add(path, gw.String(), "gateway %s is not of the same IP version as address %s", gw, p)
	case gw.WithZone("") == p.Addr():
		c.add(path, gw.String(), "gateway %s is the address itself", gw)
	case gw.Is6() && gw.IsLinkLocalUnicast():
		return
	case !p.Masked().Contains(gw.WithZone("")):
		c.add(path, gw.String(), "gateway %s is outside the address's subnet %s", gw, p.Masked())
	}
}

func checkDNS(c *collector, path string, d netip.Addr) {
	if !d.IsValid() {
		c.add(path, nil, "missing or invalid DNS server address")
	} else if d.IsUnspecified() || d.IsMulticast() {
		c.add(path, d.String(), "not a DNS server address")
	}
}

// checkInterface checks that name, if set, is a MAC or a Linux interface
// name (1 to 15 bytes, no '/', whitespace, or "." or "..").
func checkInterface(c *collector, path, name string) {
	if name == "" {
		return
	}
	if _, err := net.ParseMAC(name); err == nil {
		return
	}
	bad := len(name) > 15 || name == "." || name == ".." ||
		strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r == '/' || r >= 0x7f })
	if bad {
		c.add(path, name, "not a MAC address or interface name (at most 15 characters, no '/' or spaces)")
	}
}
