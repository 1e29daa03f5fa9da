package cmdline

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// parseStatic reads one of ingot.ip, ingot.gw and ingot.dns into c.Static.
func (c *Config) parseStatic(k, v string) error {
	if c.Static == nil {
		c.Static = &Static{}
	}
	switch k {
	case "ingot.ip":
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return fmt.Errorf("ingot.ip=%q: want ADDRESS/PREFIX, e.g. ingot.ip=10.0.0.5/24", v)
		}
		c.Static.Addr = p
	case "ingot.gw":
		a, err := netip.ParseAddr(v)
		if err != nil {
			return fmt.Errorf("ingot.gw=%q: want an IP address, e.g. ingot.gw=10.0.0.1", v)
		}
		c.Static.Gateway = a
	case "ingot.dns":
		for _, s := range strings.Split(v, ",") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return fmt.Errorf("ingot.dns=%q: want IP addresses separated by commas, e.g. ingot.dns=10.0.0.2,10.0.0.3", v)
			}
			c.Static.DNS = append(c.Static.DNS, a)
		}
	}
	return nil
}

// Validate says what is inconsistent in a static configuration.
func (s Static) Validate() error {
	if !s.Addr.IsValid() {
		return errors.New("ingot.gw= or ingot.dns= without ingot.ip=: give the address too, e.g. ingot.ip=10.0.0.5/24")
	}
	a := s.Addr.Addr()
	if a.IsUnspecified() || a.IsMulticast() || a.IsLoopback() {
		return fmt.Errorf("ingot.ip=%s: not a host address", s.Addr)
	}
	if a.Is4() && s.Addr.Bits() < 31 && (a == s.Addr.Masked().Addr() || a == lastAddr(s.Addr)) {
		return fmt.Errorf("ingot.ip=%s: that is the network's or broadcast address, not a host's", s.Addr)
	}
	if s.Gateway.IsValid() && !s.Addr.Masked().Contains(s.Gateway) {
		return fmt.Errorf("ingot.gw=%s is not inside ingot.ip=%s: the gateway must be on the host's own network", s.Gateway, s.Addr)
	}
	return nil
}

// lastAddr is the highest address of p (the IPv4 broadcast address).
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	for i := range 4 {
		b[3-i] |= byte(host >> (8 * i))
	}
	return netip.AddrFrom4(b)
}

// Args renders s (and the NIC to put it on, when iface is not empty) as
// kernel parameters: what Parse reads back.
func (s Static) Args(iface string) []string {
	a := []string{"ingot.ip=" + s.Addr.String()}
	if s.Gateway.IsValid() {
		a = append(a, "ingot.gw="+s.Gateway.String())
	}
	if len(s.DNS) > 0 {
		d := make([]string, len(s.DNS))
		for i, x := range s.DNS {
			d[i] = x.String()
		}
		a = append(a, "ingot.dns="+strings.Join(d, ","))
	}
	if iface != "" {
		a = append(a, "ingot.iface="+iface)
	}
	return a
}
