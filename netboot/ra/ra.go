// Package ra sends minimal IPv6 router advertisements on segments Ingot
// owns: no prefixes, no managed or other-config flags and a router lifetime
// of 0. That tells iPXE that IPv6 configuration is done (it otherwise waits
// for a timeout on every boot) without making Ingot anyone's router.
package ra

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
)

// Config configures the sender on one interface.
type Config struct {
	// Interface is the interface the advertisements go out on.
	Interface string
	// Interval between unsolicited advertisements. Default 4s.
	Interval time.Duration
}

// Validate checks c.
func (c Config) Validate() error {
	if c.Interface == "" {
		return errors.New("ra: Interface: want the provisioning interface name")
	}
	if c.Interval < 0 || (c.Interval > 0 && c.Interval < 100*time.Millisecond) {
		return fmt.Errorf("ra: Interval %v: want at least 100ms", c.Interval)
	}
	return nil
}

// Sender sends router advertisements on one interface.
type Sender struct {
	cfg  Config
	log  *slog.Logger
	ifi  *net.Interface
	conn *icmp.PacketConn
	pc   *ipv6.PacketConn
	msg  []byte
}

var (
	allNodes   = net.ParseIP("ff02::1")
	allRouters = net.ParseIP("ff02::2")
)

// New opens a raw ICMPv6 socket on the interface (needs CAP_NET_RAW).
func New(cfg Config, log *slog.Logger) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Interval == 0 {
		cfg.Interval = 4 * time.Second
	}
	ifi, err := net.InterfaceByName(cfg.Interface)
	if err != nil {
		return nil, fmt.Errorf("ra: interface %s: %w", cfg.Interface, err)
	}
	conn, err := icmp.ListenPacket("ip6:ipv6-icmp", "::")
	if err != nil {
		return nil, fmt.Errorf("ra: opening ICMPv6 socket: %w", err)
	}
	s := &Sender{cfg: cfg, log: log.With("interface", cfg.Interface), ifi: ifi, conn: conn, pc: conn.IPv6PacketConn(),
		msg: Message(ifi.HardwareAddr)}
	if err := s.setup(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("ra: %s: %w", cfg.Interface, err)
	}
	return s, nil
}

func (s *Sender) setup() error {
	var f ipv6.ICMPFilter
	f.SetAll(true)
	f.Accept(ipv6.ICMPTypeRouterSolicitation)
	if err := s.pc.SetICMPFilter(&f); err != nil {
		return fmt.Errorf("ICMP filter: %w", err)
	}
	if err := s.pc.SetMulticastHopLimit(255); err != nil {
		return fmt.Errorf("hop limit: %w", err)
	}
	if err := s.pc.SetHopLimit(255); err != nil {
		return fmt.Errorf("hop limit: %w", err)
	}
	if err := s.pc.SetMulticastInterface(s.ifi); err != nil {
		return fmt.Errorf("multicast interface: %w", err)
	}
	if err := s.pc.SetMulticastLoopback(false); err != nil {
		return fmt.Errorf("multicast loopback: %w", err)
	}
	if err := s.pc.JoinGroup(s.ifi, &net.IPAddr{IP: allRouters}); err != nil {
		return fmt.Errorf("joining ff02::2: %w", err)
	}
	return s.pc.SetControlMessage(ipv6.FlagInterface|ipv6.FlagHopLimit, true)
}

// Message is the router advertisement: hop limit unspecified, no flags,
// router lifetime 0, no prefixes, and the source link-layer address.
func Message(mac net.HardwareAddr) []byte {
	body := []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} // hop limit, flags, lifetime, reachable, retrans
	if len(mac) == 6 {
		body = append(body, 1, 1) // source link-layer address option, 8 bytes
		body = append(body, mac...)
	}
	m := icmp.Message{Type: ipv6.ICMPTypeRouterAdvertisement, Body: &icmp.RawBody{Data: body}}
	b, _ := m.Marshal(nil) // the kernel fills in the checksum
	return b
}

// Serve advertises every Interval and answers router solicitations until
// ctx ends.
func (s *Sender) Serve(ctx context.Context) error {
	go func() { <-ctx.Done(); s.conn.Close() }()
	go s.tick(ctx)
	buf := make([]byte, 1500)
	for {
		n, cm, src, err := s.pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("ra: %s: reading: %w", s.cfg.Interface, err)
		}
		if cm == nil || cm.IfIndex != s.ifi.Index || cm.HopLimit != 255 || n < 8 || buf[0] != byte(ipv6.ICMPTypeRouterSolicitation) {
			continue
		}
		s.log.Debug("router solicitation", "from", src)
		s.send()
	}
}

func (s *Sender) tick(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	s.send()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.send()
		}
	}
}

func (s *Sender) send() {
	cm := &ipv6.ControlMessage{HopLimit: 255, IfIndex: s.ifi.Index}
	dst := &net.IPAddr{IP: allNodes, Zone: s.cfg.Interface}
	if _, err := s.pc.WriteTo(s.msg, cm, dst); err != nil {
		s.log.Debug("router advertisement not sent", "err", err)
	}
}

// LinkLocal returns the interface's IPv6 link-local address, if any; RAs
// need one as their source.
func LinkLocal(ifi *net.Interface) (netip.Addr, bool) {
	addrs, _ := ifi.Addrs()
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is6() && p.Addr().IsLinkLocalUnicast() {
			return p.Addr(), true
		}
	}
	return netip.Addr{}, false
}
