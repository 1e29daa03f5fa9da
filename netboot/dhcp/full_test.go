package dhcp

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// dora runs DISCOVER, OFFER, REQUEST, ACK and returns the ACK.
func dora(t *testing.T, s *Server, c *net.UDPConn, mac net.HardwareAddr, p pxe) *dhcpv4.DHCPv4 {
	t.Helper()
	offer := exchange(t, c, s.Addr(), discover(t, mac, p), 2*time.Second)
	if offer == nil || offer.MessageType() != dhcpv4.MessageTypeOffer {
		t.Fatalf("%v: no OFFER (got %v)", mac, offer)
	}
	req, err := dhcpv4.NewRequestFromOffer(offer, p.mods()...)
	if err != nil {
		t.Fatal(err)
	}
	ack := exchange(t, c, s.Addr(), req, 2*time.Second)
	if ack == nil || ack.MessageType() != dhcpv4.MessageTypeAck {
		t.Fatalf("%v: no ACK (got %v)", mac, ack)
	}
	if !ack.YourIPAddr.Equal(offer.YourIPAddr) {
		t.Fatalf("ACK %v differs from OFFER %v", ack.YourIPAddr, offer.YourIPAddr)
	}
	return ack
}

func TestFullMode(t *testing.T) {
	leases := &MemLeases{}
	s, _ := start(t, fullConfig(), &resolver{}, leases)
	c := clientConn(t)
	ctx := context.Background()

	ackA := dora(t, s, c, macA, pxe{arch: arch(0), vendor: "PXEClient"})
	if got := ackA.YourIPAddr.String(); got != "10.9.0.100" {
		t.Errorf("first client got %s, want 10.9.0.100", got)
	}
	if ackA.BootFileNameOption() != "undionly.kpxe" || ackA.SubnetMask().String() != "ffffff00" ||
		ackA.Router()[0].String() != "10.9.0.254" || ackA.DNS()[0].String() != "10.9.0.53" ||
		ackA.IPAddressLeaseTime(0) != time.Hour {
		t.Errorf("ACK options: file %q mask %v router %v dns %v lease %v", ackA.BootFileNameOption(),
			ackA.SubnetMask(), ackA.Router(), ackA.DNS(), ackA.IPAddressLeaseTime(0))
	}
	l, err := leases.Get(ctx, macA)
	if err != nil || l.Addr.String() != "10.9.0.100" || time.Until(l.Expires) < 59*time.Minute {
		t.Errorf("lease of A: %+v, %v; want 10.9.0.100 for an hour", l, err)
	}

	// A plain (non-PXE) client gets an address and no boot file.
	ackB := dora(t, s, c, macB, pxe{})
	if ackB.YourIPAddr.String() != "10.9.0.101" || ackB.BootFileNameOption() != "" {
		t.Errorf("B got %v file %q, want 10.9.0.101 and no file", ackB.YourIPAddr, ackB.BootFileNameOption())
	}
	// The reserved MAC gets its address, outside the range.
	if got := dora(t, s, c, macR, pxe{}).YourIPAddr.String(); got != "10.9.0.50" {
		t.Errorf("reserved MAC got %s, want 10.9.0.50", got)
	}
	// The pool is full for a fourth MAC.
	macD := net.HardwareAddr{0x52, 0x54, 0, 0, 0, 0xd}
	if r := exchange(t, c, s.Addr(), discover(t, macD, pxe{}), 300*time.Millisecond); r != nil {
		t.Errorf("full pool answered %s %v", r.MessageType(), r.YourIPAddr)
	}

	// Renewing (ciaddr set, unicast) extends the same lease.
	renew, _ := dhcpv4.New(dhcpv4.WithHwAddr(macA), dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest),
		dhcpv4.WithClientIP(ackA.YourIPAddr))
	if r := exchange(t, c, s.Addr(), renew, 2*time.Second); r == nil || r.MessageType() != dhcpv4.MessageTypeAck || !r.YourIPAddr.Equal(ackA.YourIPAddr) {
		t.Errorf("renew: %v", r)
	}
	// Asking for someone else's address is refused.
	steal, _ := dhcpv4.New(dhcpv4.WithHwAddr(macA), dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest),
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.ParseIP("10.9.0.101"))))
	if r := exchange(t, c, s.Addr(), steal, 2*time.Second); r == nil || r.MessageType() != dhcpv4.MessageTypeNak {
		t.Errorf("stealing B's address: %v, want NAK", r)
	}
	// A REQUEST for another server is not ours to answer.
	other, _ := dhcpv4.New(dhcpv4.WithHwAddr(macA), dhcpv4.WithMessageType(dhcpv4.MessageTypeRequest),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.ParseIP("10.9.0.2"))),
		dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.ParseIP("10.9.0.100"))))
	if r := exchange(t, c, s.Addr(), other, 300*time.Millisecond); r != nil {
		t.Errorf("REQUEST for another server answered: %s", r.MessageType())
	}

	// B releases; D can now have B's address.
	rel, _ := dhcpv4.New(dhcpv4.WithHwAddr(macB), dhcpv4.WithMessageType(dhcpv4.MessageTypeRelease), dhcpv4.WithClientIP(ackB.YourIPAddr))
	exchange(t, c, s.Addr(), rel, 200*time.Millisecond)
	if got := dora(t, s, c, macD, pxe{}).YourIPAddr.String(); got != "10.9.0.101" {
		t.Errorf("after release D got %s, want 10.9.0.101", got)
	}
}

// Leases outlive the server: a new server on the same store gives each MAC
// its address back.
func TestFullModeLeasesPersist(t *testing.T) {
	leases := &MemLeases{}
	ctx := context.Background()
	leases.Put(ctx, Lease{MAC: macB, Addr: netip.MustParseAddr("10.9.0.100"), Expires: time.Now().Add(time.Hour)})
	s, _ := start(t, fullConfig(), &resolver{}, leases)
	c := clientConn(t)
	if got := dora(t, s, c, macA, pxe{}).YourIPAddr.String(); got != "10.9.0.101" {
		t.Errorf("A got %s, want 10.9.0.101 (10.9.0.100 is B's)", got)
	}
	if got := dora(t, s, c, macB, pxe{}).YourIPAddr.String(); got != "10.9.0.100" {
		t.Errorf("B got %s, want its stored 10.9.0.100", got)
	}
	// Expired leases free their address.
	leases.Put(ctx, Lease{MAC: macB, Addr: netip.MustParseAddr("10.9.0.100"), Expires: time.Now().Add(-time.Minute)})
	if n, _ := leases.Expire(ctx, time.Now()); n != 1 {
		t.Errorf("Expire removed %d leases, want 1", n)
	}
	all, _ := leases.List(ctx)
	if len(all) != 1 || all[0].Addr.String() != "10.9.0.101" {
		t.Errorf("leases after expiry: %+v", all)
	}
}

// A relayed DISCOVER gets an address from the relay's subnet, sent to the relay.
func TestFullModeRelay(t *testing.T) {
	relay := clientConn(t)
	cfg := fullConfig()
	cfg.ReplyToSource = false
	cfg.RelayPort = relay.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	s, _ := start(t, cfg, &resolver{}, &MemLeases{})
	r := exchange(t, relay, s.Addr(), discover(t, macA, pxe{}, dhcpv4.WithRelay(net.IPv4(127, 0, 0, 1))), 2*time.Second)
	if r == nil || r.YourIPAddr.String() != "127.0.0.200" {
		t.Fatalf("relayed offer: %v, want 127.0.0.200", r)
	}
}
