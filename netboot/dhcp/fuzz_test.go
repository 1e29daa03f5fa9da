package dhcp

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// FuzzHandle feeds arbitrary datagrams (malformed and oversized options,
// wrong op codes, truncated headers) to both modes and both ports. The
// handler must not panic, and every reply must be a well-formed BOOTREPLY
// for the request's transaction and MAC.
func FuzzHandle(f *testing.F) {
	add := func(m *dhcpv4.DHCPv4) { f.Add(m.ToBytes(), false, false) }
	add(discover(f, macA, pxe{arch: arch(0), vendor: "PXEClient:Arch:00000:UNDI:002001"}))
	add(discover(f, macA, pxe{arch: arch(16), vendor: "HTTPClient:Arch:00016"}))
	add(discover(f, macA, pxe{arch: arch(7), vendor: "PXEClient", userClass: "iPXE"}))
	long := discover(f, macB, pxe{arch: arch(0), vendor: "PXEClient"})
	long.UpdateOption(dhcpv4.OptGeneric(dhcpv4.OptionClientMachineIdentifier, bytes.Repeat([]byte{7}, 600)))
	add(long)
	wrong := discover(f, macB, pxe{vendor: "PXEClient"})
	wrong.OpCode = dhcpv4.OpcodeBootReply
	add(wrong)
	f.Add([]byte{1, 1, 6, 0}, true, true)
	f.Add(append(discover(f, macA, pxe{}).ToBytes()[:240], 93, 1, 0, 60, 200, 'P'), false, true)

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var servers [2]*Server
	for i, cfg := range []Config{proxyConfig(), fullConfig()} {
		cfg.Files.ARM64 = "a.efi"
		s, err := New(cfg, &resolver{known: map[string]bool{macA.String(): true}}, &MemLeases{}, log)
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { s.dhcp.Close(); s.pxe.Close() })
		servers[i] = s
	}
	src := netip.MustParseAddrPort("127.0.0.1:68")
	f.Fuzz(func(t *testing.T, pkt []byte, full, pxePort bool) {
		s := servers[0]
		if full {
			s = servers[1]
		}
		s.limit.cfg.Disabled = true
		ev, reply, _ := s.handle(context.Background(), pkt, src, pxePort)
		if reply == nil {
			if ev.Drop == "" {
				t.Fatal("no reply and no drop reason")
			}
			return
		}
		req, err := dhcpv4.FromBytes(pkt)
		if err != nil {
			t.Fatalf("answered an unparsable request: %v", err)
		}
		r, err := dhcpv4.FromBytes(reply)
		if err != nil {
			t.Fatalf("reply does not parse: %v", err)
		}
		if r.OpCode != dhcpv4.OpcodeBootReply || r.TransactionID != req.TransactionID || !bytes.Equal(r.ClientHWAddr, req.ClientHWAddr) {
			t.Fatalf("reply op %v xid %v mac %v for request xid %v mac %v", r.OpCode, r.TransactionID, r.ClientHWAddr, req.TransactionID, req.ClientHWAddr)
		}
		if len(reply) > 1500 {
			t.Fatalf("reply of %d bytes", len(reply))
		}
	})
}
