package dhcp

import (
	"context"
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"

	"ingot.dev/ingot/netboot/boot"
)

// client is what a request says about the machine that sent it.
type client struct {
	mac   [6]byte
	arch  boot.ClientArch
	pxe   bool // vendor class PXEClient
	http  bool // vendor class HTTPClient
	ipxe  bool // user class iPXE
	known bool
}

func (c client) netboot() bool { return c.pxe || c.http || c.ipxe }

// handle turns one datagram into an event and, maybe, a reply and where to
// send it.
func (s *Server) handle(ctx context.Context, pkt []byte, src netip.AddrPort, pxePort bool) (Event, []byte, netip.AddrPort) {
	req, err := dhcpv4.FromBytes(pkt)
	if err != nil {
		return Event{Drop: DropMalformed}, nil, netip.AddrPort{}
	}
	ev := Event{MAC: req.ClientHWAddr, Request: req.MessageType().String()}
	if req.OpCode != dhcpv4.OpcodeBootRequest || req.HWType != iana.HWTypeEthernet || len(req.ClientHWAddr) != 6 {
		ev.Drop = DropNotRequest
		return ev, nil, netip.AddrPort{}
	}
	c := classify(req)
	ev.Arch = c.arch
	reply, drop := s.respond(ctx, req, &c, pxePort)
	ev.Known = c.known
	if reply == nil {
		ev.Drop = drop
		return ev, nil, netip.AddrPort{}
	}
	ev.Reply = reply.MessageType().String()
	return ev, reply.ToBytes(), s.destination(req, src, pxePort)
}

// respond decides the reply; a nil reply comes with the reason.
func (s *Server) respond(ctx context.Context, req *dhcpv4.DHCPv4, c *client, pxePort bool) (*dhcpv4.DHCPv4, string) {
	mt := req.MessageType()
	switch {
	case pxePort && mt != dhcpv4.MessageTypeRequest && mt != dhcpv4.MessageTypeInform:
		return nil, DropIgnored
	case s.cfg.Mode == ModeProxy && !pxePort && mt != dhcpv4.MessageTypeDiscover:
		return nil, DropIgnored // the site server handles the rest
	case s.cfg.Mode == ModeProxy || pxePort:
		if !c.netboot() {
			return nil, DropNotPXE
		}
	}
	if !s.limit.allowMAC(c.mac, time.Now()) {
		return nil, DropRateLimited
	}
	if c.netboot() || s.cfg.Mode == ModeFull {
		t, err := s.resolver.Resolve(ctx, req.ClientHWAddr)
		if err != nil {
			return nil, DropResolver
		}
		c.known = t.Known
		if !t.Known && !s.limit.allowUnknown(time.Now()) {
			return nil, DropUnknownLimit
		}
	}
	if s.cfg.Mode == ModeProxy || pxePort {
		return s.proxyReply(req, *c)
	}
	return s.fullReply(ctx, req, *c)
}

// classify reads options 60, 77 and 93.
func classify(req *dhcpv4.DHCPv4) client {
	c := client{arch: boot.ArchUnknown}
	copy(c.mac[:], req.ClientHWAddr)
	vc := req.ClassIdentifier()
	c.pxe = strings.HasPrefix(vc, "PXEClient")
	c.http = strings.HasPrefix(vc, "HTTPClient")
	for _, uc := range req.UserClass() {
		if uc == "iPXE" {
			c.ipxe = true
		}
	}
	if v := req.Options.Get(dhcpv4.OptionClientSystemArchitectureType); len(v) >= 2 {
		c.arch = boot.ClientArch(binary.BigEndian.Uint16(v))
	} else if f := strings.Split(vc, ":"); len(f) >= 3 && f[1] == "Arch" {
		if n, err := strconv.ParseUint(f[2], 10, 16); err == nil {
			c.arch = boot.ClientArch(n)
		}
	} else if c.pxe {
		c.arch = boot.ArchBIOS
	}
	return c
}

// destination applies RFC 2131 §4.1: relay, then the client's address, then
// broadcast.
func (s *Server) destination(req *dhcpv4.DHCPv4, src netip.AddrPort, pxePort bool) netip.AddrPort {
	if s.cfg.ReplyToSource || pxePort {
		return src
	}
	if gi, ok := netip.AddrFromSlice(req.GatewayIPAddr.To4()); ok && !gi.IsUnspecified() {
		return netip.AddrPortFrom(gi, s.cfg.RelayPort)
	}
	if ci, ok := netip.AddrFromSlice(req.ClientIPAddr.To4()); ok && !ci.IsUnspecified() {
		return netip.AddrPortFrom(ci, s.cfg.ClientPort)
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{255, 255, 255, 255}), s.cfg.ClientPort)
}
