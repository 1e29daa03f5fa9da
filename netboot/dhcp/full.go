package dhcp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// offerHold is how long an offered address stays set aside for the client.
const offerHold = 30 * time.Second

// fullReply is the full-mode answer: OFFER, ACK or NAK, plus boot options
// for network-booting clients.
func (s *Server) fullReply(ctx context.Context, req *dhcpv4.DHCPv4, c client) (*dhcpv4.DHCPv4, string) {
	pool := s.pool(req)
	if pool == nil {
		return nil, DropNoAddress
	}
	switch req.MessageType() {
	case dhcpv4.MessageTypeDiscover:
		addr, err := s.allocate(ctx, req, pool, offerHold)
		if err != nil {
			return nil, dropFor(err)
		}
		return s.leaseReply(req, c, pool, addr, dhcpv4.MessageTypeOffer)
	case dhcpv4.MessageTypeRequest:
		return s.request(ctx, req, c, pool)
	case dhcpv4.MessageTypeRelease:
		s.release(ctx, req)
		return nil, DropIgnored
	case dhcpv4.MessageTypeInform:
		reply, drop := s.leaseReply(req, c, pool, netip.Addr{}, dhcpv4.MessageTypeAck)
		if reply != nil {
			for _, o := range []dhcpv4.OptionCode{dhcpv4.OptionIPAddressLeaseTime, dhcpv4.OptionRenewTimeValue, dhcpv4.OptionRebindingTimeValue} {
				reply.Options.Del(o)
			}
		}
		return reply, drop
	}
	return nil, DropIgnored
}

func dropFor(err error) string {
	if errors.Is(err, errPoolFull) {
		return DropNoAddress
	}
	return DropLeaseStoreErr
}

// request handles SELECTING (server identifier given), INIT-REBOOT
// (requested address, no identifier) and RENEWING/REBINDING (ciaddr).
func (s *Server) request(ctx context.Context, req *dhcpv4.DHCPv4, c client, pool *Pool) (*dhcpv4.DHCPv4, string) {
	if sid := req.ServerIdentifier(); sid != nil && !sid.Equal(s.cfg.ServerAddr.AsSlice()) {
		return nil, DropNotForUs // the client chose another server
	}
	want, _ := netip.AddrFromSlice(req.RequestedIPAddress().To4())
	if !want.IsValid() {
		want, _ = netip.AddrFromSlice(req.ClientIPAddr.To4())
	}
	addr, err := s.allocate(ctx, req, pool, s.cfg.LeaseTime)
	if err != nil && !errors.Is(err, errPoolFull) {
		return nil, DropLeaseStoreErr
	}
	if err != nil || addr != want {
		return s.nak(req)
	}
	return s.leaseReply(req, c, pool, addr, dhcpv4.MessageTypeAck)
}

func (s *Server) nak(req *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, string) {
	reply, err := dhcpv4.NewReplyFromRequest(req, dhcpv4.WithMessageType(dhcpv4.MessageTypeNak),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(s.cfg.ServerAddr.AsSlice())))
	if err != nil {
		return nil, DropMalformed
	}
	reply.SetBroadcast()
	return reply, ""
}

func (s *Server) leaseReply(req *dhcpv4.DHCPv4, c client, pool *Pool, addr netip.Addr, mt dhcpv4.MessageType) (*dhcpv4.DHCPv4, string) {
	mods := []dhcpv4.Modifier{
		dhcpv4.WithMessageType(mt),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(s.cfg.ServerAddr.AsSlice())),
		dhcpv4.WithOption(dhcpv4.OptSubnetMask(net.CIDRMask(pool.Subnet.Bits(), 32))),
		dhcpv4.WithOption(dhcpv4.OptIPAddressLeaseTime(s.cfg.LeaseTime)),
		dhcpv4.WithOption(dhcpv4.OptRenewTimeValue(s.cfg.LeaseTime / 2)),
		dhcpv4.WithOption(dhcpv4.OptRebindingTimeValue(s.cfg.LeaseTime * 7 / 8)),
	}
	if addr.IsValid() {
		mods = append(mods, dhcpv4.WithYourIP(addr.AsSlice()))
	}
	if pool.Router.IsValid() {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptRouter(pool.Router.AsSlice())))
	}
	if len(pool.DNS) > 0 {
		var ips []net.IP
		for _, a := range pool.DNS {
			ips = append(ips, a.AsSlice())
		}
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptDNS(ips...)))
	}
	reply, err := dhcpv4.NewReplyFromRequest(req, mods...)
	if err != nil {
		return nil, DropMalformed
	}
	if c.netboot() {
		s.bootOptions(reply, req, c) // no fitting boot file: an address only
	}
	return reply, ""
}

// pool picks the pool of the relay's subnet, or of the interface's own.
func (s *Server) pool(req *dhcpv4.DHCPv4) *Pool {
	if gi, ok := netip.AddrFromSlice(req.GatewayIPAddr.To4()); ok && !gi.IsUnspecified() {
		return s.cfg.poolFor(gi)
	}
	return s.cfg.poolFor(s.cfg.ServerAddr)
}

var errPoolFull = errors.New("no free address")

// allocate finds the client's address (reservation, its current lease, the
// address it asks for, or the first free one) and records a lease for hold.
func (s *Server) allocate(ctx context.Context, req *dhcpv4.DHCPv4, pool *Pool, hold time.Duration) (netip.Addr, error) {
	s.allocMu.Lock()
	defer s.allocMu.Unlock()
	mac := req.ClientHWAddr
	now := time.Now()
	all, err := s.leases.List(ctx)
	if err != nil {
		return netip.Addr{}, err
	}
	taken := map[netip.Addr]bool{s.cfg.ServerAddr: true, pool.Router: true}
	var mine *Lease
	for i, l := range all {
		if bytes.Equal(l.MAC, mac) {
			mine = &all[i]
		} else if l.Active(now) {
			taken[l.Addr] = true
		}
	}
	addr, ok := s.reserved(mac)
	for _, r := range s.cfg.Reservations {
		if !bytes.Equal(r.MAC, mac) {
			taken[r.Addr] = true
		}
	}
	if !ok {
		requested, _ := netip.AddrFromSlice(req.RequestedIPAddress().To4())
		if requested.IsValid() && req.MessageType() == dhcpv4.MessageTypeRequest {
			// The client says which address it is confirming; anything else is a NAK.
			mineOK := mine != nil && mine.Addr == requested
			if !mineOK && (taken[requested] || !inRanges(pool, requested)) {
				return netip.Addr{}, errPoolFull
			}
		}
		addr, ok = pick(pool, taken, mine, requested)
	}
	if !ok {
		return netip.Addr{}, errPoolFull
	}
	expires := now.Add(hold)
	if mine != nil && mine.Addr == addr && mine.Expires.After(expires) {
		expires = mine.Expires
	}
	return addr, s.leases.Put(ctx, Lease{MAC: mac, Addr: addr, Expires: expires})
}

func (s *Server) reserved(mac net.HardwareAddr) (netip.Addr, bool) {
	for _, r := range s.cfg.Reservations {
		if bytes.Equal(r.MAC, mac) {
			return r.Addr, true
		}
	}
	return netip.Addr{}, false
}

// pick prefers the client's previous address, then the one it asks for,
// then the lowest free address.
func pick(pool *Pool, taken map[netip.Addr]bool, mine *Lease, requested netip.Addr) (netip.Addr, bool) {
	if mine != nil && inRanges(pool, mine.Addr) && !taken[mine.Addr] {
		return mine.Addr, true
	}
	if requested.IsValid() && inRanges(pool, requested) && !taken[requested] {
		return requested, true
	}
	for _, r := range pool.Ranges {
		for a := r.From; a.IsValid() && !r.To.Less(a); a = a.Next() {
			if !taken[a] {
				return a, true
			}
		}
	}
	return netip.Addr{}, false
}

func inRanges(pool *Pool, a netip.Addr) bool {
	for _, r := range pool.Ranges {
		if !a.Less(r.From) && !r.To.Less(a) {
			return true
		}
	}
	return false
}

func (s *Server) release(ctx context.Context, req *dhcpv4.DHCPv4) {
	l, err := s.leases.Get(ctx, req.ClientHWAddr)
	if err != nil {
		return
	}
	if ci, _ := netip.AddrFromSlice(req.ClientIPAddr.To4()); ci == l.Addr {
		l.Expires = time.Now()
		if err := s.leases.Put(ctx, l); err != nil {
			s.log.Warn("releasing lease", "mac", l.MAC, "err", err)
		}
	}
}
