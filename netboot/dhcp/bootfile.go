package dhcp

import (
	"net"
	"strings"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"ingot.dev/ingot/netboot/boot"
	"ingot.dev/ingot/netboot/ipxe"
)

// bootFile picks what the client boots next: the iPXE script URL for iPXE,
// an HTTP URL of the iPXE binary for UEFI HTTP boot, or a TFTP file name.
// ok is false when nothing fits.
func (s *Server) bootFile(c client, mac net.HardwareAddr) (name string, http bool, ok bool) {
	base := s.cfg.HTTPBase
	switch {
	case c.ipxe:
		arch := c.arch
		if arch == boot.ArchUnknown {
			return ipxe.ScriptURL(base, mac, "", "").String(), true, true
		}
		return ipxe.ScriptURL(base, mac, arch.Platform(), arch.BuildArch()).String(), true, true
	case !c.arch.Supported():
		return "", false, false
	}
	file := s.cfg.Files.UEFI
	switch {
	case c.arch == boot.ArchBIOS:
		file = s.cfg.Files.BIOS
	case c.arch.CPU() == "arm64":
		file = s.cfg.Files.ARM64
	}
	if file == "" {
		return "", false, false
	}
	if c.arch.HTTP() || c.http {
		return strings.TrimSuffix(base.String(), "/") + "/boot/" + file, true, true
	}
	if !s.cfg.TFTP {
		return "", false, false
	}
	return file, false, true
}

// bootOptions adds what a network-booting client needs to reply.
func (s *Server) bootOptions(reply, req *dhcpv4.DHCPv4, c client) bool {
	file, http, ok := s.bootFile(c, req.ClientHWAddr)
	if !ok {
		return false
	}
	if len(file) < 128 {
		reply.BootFileName = file
	}
	reply.UpdateOption(dhcpv4.OptBootFileName(file))
	// next-server is set even for HTTP boot files: iPXE ignores a
	// ProxyDHCP reply without it ("Nothing to boot").
	reply.ServerIPAddr = s.cfg.ServerAddr.AsSlice()
	if http {
		if c.http || c.arch.HTTP() {
			reply.UpdateOption(dhcpv4.OptClassIdentifier("HTTPClient"))
		}
	} else {
		reply.ServerHostName = s.cfg.ServerAddr.String()
	}
	if c.pxe {
		reply.UpdateOption(dhcpv4.OptClassIdentifier("PXEClient"))
		// PXE_DISCOVERY_CONTROL = 8: boot the file given, no boot server
		// discovery (PXE 2.1 §2.4.4).
		reply.UpdateOption(dhcpv4.OptGeneric(dhcpv4.OptionVendorSpecificInformation, []byte{6, 1, 8, 255}))
	}
	if guid := req.GetOneOption(dhcpv4.OptionClientMachineIdentifier); guid != nil {
		reply.UpdateOption(dhcpv4.OptGeneric(dhcpv4.OptionClientMachineIdentifier, guid))
	}
	return true
}

// proxyReply answers a PXE client without an address: OFFER to DISCOVER on
// port 67, ACK to REQUEST on port 4011.
func (s *Server) proxyReply(req *dhcpv4.DHCPv4, c client) (*dhcpv4.DHCPv4, string) {
	mt := dhcpv4.MessageTypeOffer
	if req.MessageType() != dhcpv4.MessageTypeDiscover {
		mt = dhcpv4.MessageTypeAck
	}
	reply, err := dhcpv4.NewReplyFromRequest(req,
		dhcpv4.WithMessageType(mt),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(s.cfg.ServerAddr.AsSlice())),
	)
	if err != nil {
		return nil, DropMalformed
	}
	reply.YourIPAddr = net.IPv4zero
	if !s.bootOptions(reply, req, c) {
		return nil, DropUnsupported
	}
	return reply, ""
}
