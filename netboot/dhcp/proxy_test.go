package dhcp

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/insomniacslk/dhcp/dhcpv4"
)

func TestProxyBootFiles(t *testing.T) {
	cfg := proxyConfig()
	cfg.Files.ARM64 = "ipxe-arm64.efi"
	s, _ := start(t, cfg, &resolver{}, nil)
	c := clientConn(t)
	tests := []struct {
		name       string
		p          pxe
		wantFile   string
		wantVendor string
		wantNext   string // siaddr: always set; iPXE drops ProxyDHCP replies without it
	}{
		{"BIOS PXE", pxe{arch: arch(0), vendor: "PXEClient:Arch:00000:UNDI:002001"}, "undionly.kpxe", "PXEClient", "10.9.0.1"},
		{"BIOS PXE without option 93", pxe{vendor: "PXEClient:Arch:00000:UNDI:002001"}, "undionly.kpxe", "PXEClient", "10.9.0.1"},
		{"x86-64 UEFI (7)", pxe{arch: arch(7), vendor: "PXEClient:Arch:00007:UNDI:003016"}, "ipxe.efi", "PXEClient", "10.9.0.1"},
		{"x86-64 UEFI (9)", pxe{arch: arch(9), vendor: "PXEClient:Arch:00009:UNDI:003016"}, "ipxe.efi", "PXEClient", "10.9.0.1"},
		{"arm64 UEFI (11)", pxe{arch: arch(11), vendor: "PXEClient:Arch:00011:UNDI:003000"}, "ipxe-arm64.efi", "PXEClient", "10.9.0.1"},
		{"x86-64 HTTP boot (16)", pxe{arch: arch(16), vendor: "HTTPClient:Arch:00016:UNDI:003001"}, "http://10.9.0.1:7480/boot/ipxe.efi", "HTTPClient", "10.9.0.1"},
		{"arm64 HTTP boot (19)", pxe{arch: arch(19), vendor: "HTTPClient:Arch:00019:UNDI:003001"}, "http://10.9.0.1:7480/boot/ipxe-arm64.efi", "HTTPClient", "10.9.0.1"},
		{"iPXE BIOS", pxe{arch: arch(0), vendor: "PXEClient:Arch:00000:UNDI:002001", userClass: "iPXE"},
			"http://10.9.0.1:7480/boot/ipxe?arch=i386&mac=52%3A54%3A00%3A00%3A00%3A0a&platform=pcbios", "PXEClient", "10.9.0.1"},
		{"iPXE UEFI", pxe{arch: arch(7), vendor: "PXEClient:Arch:00007:UNDI:003010", userClass: "iPXE"},
			"http://10.9.0.1:7480/boot/ipxe?arch=x86_64&mac=52%3A54%3A00%3A00%3A00%3A0a&platform=efi", "PXEClient", "10.9.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			guid := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
			m := discover(t, macA, tt.p, dhcpv4.WithGeneric(dhcpv4.OptionClientMachineIdentifier, guid))
			r := exchange(t, c, s.Addr(), m, 2*time.Second)
			if r == nil {
				t.Fatal("no offer")
			}
			got := map[string]string{
				"type": r.MessageType().String(), "op": r.OpCode.String(), "file": r.BootFileNameOption(),
				"vendor": r.ClassIdentifier(), "siaddr": r.ServerIPAddr.String(), "yiaddr": r.YourIPAddr.String(),
				"server-id": r.ServerIdentifier().String(), "guid": string(r.GetOneOption(dhcpv4.OptionClientMachineIdentifier)),
			}
			want := map[string]string{
				"type": "OFFER", "op": "BootReply", "file": tt.wantFile, "vendor": tt.wantVendor, "siaddr": tt.wantNext,
				"yiaddr": "0.0.0.0", "server-id": "10.9.0.1", "guid": string(guid),
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("offer (-want +got):\n%s", d)
			}
			if len(tt.wantFile) < 128 && r.BootFileName != tt.wantFile {
				t.Errorf("file field %q, want %q", r.BootFileName, tt.wantFile)
			}
			if tt.wantVendor == "PXEClient" && string(r.GetOneOption(dhcpv4.OptionVendorSpecificInformation)) != "\x06\x01\x08\xff" {
				t.Errorf("option 43 = %x, want PXE discovery control 8", r.GetOneOption(dhcpv4.OptionVendorSpecificInformation))
			}
		})
	}
}

func TestProxyIgnores(t *testing.T) {
	cfg := proxyConfig()
	cfg.TFTP = false
	s, events := start(t, cfg, &resolver{}, nil)
	c := clientConn(t)
	tests := []struct {
		name string
		m    *dhcpv4.DHCPv4
		drop string
	}{
		{"plain DHCP client", discover(t, macA, pxe{}), DropNotPXE},
		{"vendor class of another kind", discover(t, macA, pxe{vendor: "MSFT 5.0"}), DropNotPXE},
		{"arm64 without a file", discover(t, macA, pxe{arch: arch(11), vendor: "PXEClient"}), DropUnsupported},
		{"IA32 UEFI", discover(t, macA, pxe{arch: arch(6), vendor: "PXEClient"}), DropUnsupported},
		{"PXE BIOS but no TFTP", discover(t, macA, pxe{arch: arch(0), vendor: "PXEClient"}), DropUnsupported},
		{"REQUEST on 67 in proxy mode", func() *dhcpv4.DHCPv4 {
			m := discover(t, macA, pxe{arch: arch(0), vendor: "PXEClient"})
			m.UpdateOption(dhcpv4.OptMessageType(dhcpv4.MessageTypeRequest))
			return m
		}(), DropIgnored},
		{"reply op code", func() *dhcpv4.DHCPv4 {
			m := discover(t, macA, pxe{arch: arch(0), vendor: "PXEClient"})
			m.OpCode = dhcpv4.OpcodeBootReply
			return m
		}(), DropNotRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := exchange(t, c, s.Addr(), tt.m, 300*time.Millisecond); r != nil {
				t.Fatalf("got %s, want no answer", r.MessageType())
			}
			e := waitEvent(t, events, func(e Event) bool { return e.Drop != "" })
			if e.Drop != tt.drop {
				t.Errorf("drop reason %q, want %q", e.Drop, tt.drop)
			}
		})
	}
}

// A PXE ROM (and iPXE) asks the proxy again on port 4011 once it has an
// address; the ACK goes back to where the request came from.
func TestProxyPort4011(t *testing.T) {
	s, _ := start(t, proxyConfig(), &resolver{}, nil)
	c := clientConn(t)
	m := discover(t, macA, pxe{arch: arch(7), vendor: "PXEClient:Arch:00007"}, dhcpv4.WithClientIP(net.IPv4(127, 0, 0, 1)))
	m.UpdateOption(dhcpv4.OptMessageType(dhcpv4.MessageTypeRequest))
	r := exchange(t, c, s.PXEAddr(), m, 2*time.Second)
	if r == nil {
		t.Fatal("no ACK on the PXE port")
	}
	if r.MessageType() != dhcpv4.MessageTypeAck || r.BootFileNameOption() != "ipxe.efi" || !r.YourIPAddr.IsUnspecified() {
		t.Errorf("got %s file %q yiaddr %v, want ACK ipxe.efi 0.0.0.0", r.MessageType(), r.BootFileNameOption(), r.YourIPAddr)
	}
	// DISCOVER is not answered on 4011.
	if r := exchange(t, c, s.PXEAddr(), discover(t, macA, pxe{arch: arch(7), vendor: "PXEClient"}), 300*time.Millisecond); r != nil {
		t.Errorf("DISCOVER on 4011 answered with %s", r.MessageType())
	}
}

// Without ReplyToSource, a relayed request is answered to the relay
// (giaddr, relay port), not broadcast.
func TestRelay(t *testing.T) {
	relay := clientConn(t)
	cfg := proxyConfig()
	cfg.ReplyToSource = false
	cfg.RelayPort = relay.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	s, _ := start(t, cfg, &resolver{}, nil)
	m := discover(t, macA, pxe{arch: arch(0), vendor: "PXEClient"}, dhcpv4.WithRelay(net.IPv4(127, 0, 0, 1)))
	r := exchange(t, relay, s.Addr(), m, 2*time.Second)
	if r == nil {
		t.Fatal("relay got no offer")
	}
	if !r.GatewayIPAddr.Equal(net.IPv4(127, 0, 0, 1)) || r.BootFileNameOption() != "undionly.kpxe" {
		t.Errorf("offer giaddr %v file %q", r.GatewayIPAddr, r.BootFileNameOption())
	}
}

// A DISCOVER flood from random unknown MACs must not stop answers to a
// known host.
func TestFloodKeepsKnownHostServed(t *testing.T) {
	cfg := proxyConfig()
	cfg.RateLimit = RateLimit{Unknown: 50, UnknownBurst: 50}
	s, events := start(t, cfg, &resolver{known: map[string]bool{macA.String(): true}}, nil)
	stop := make(chan struct{})
	flooded := make(chan int)
	for g := range 2 {
		go func() {
			c := clientConn(t)
			n := 0
			buf := make([]byte, 1500)
			for i := 0; ; i++ {
				select {
				case <-stop:
					flooded <- n
					return
				default:
				}
				mac := net.HardwareAddr{0x02, byte(g), byte(i >> 16), byte(i >> 8), byte(i), 1}
				c.WriteToUDPAddrPort(discover(t, mac, pxe{arch: arch(0), vendor: "PXEClient"}).ToBytes(), s.Addr())
				c.SetReadDeadline(time.Now().Add(time.Microsecond))
				c.ReadFromUDPAddrPort(buf) // drain
				n++
			}
		}()
	}
	known := clientConn(t)
	served := 0
	for range 20 {
		if r := exchange(t, known, s.Addr(), discover(t, macA, pxe{arch: arch(0), vendor: "PXEClient"}), time.Second); r != nil {
			served++
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	sent := <-flooded + <-flooded
	limited := 0
	for len(events) > 0 {
		if e := <-events; e.Drop == DropUnknownLimit {
			limited++
		}
	}
	t.Logf("flood: %d unknown DISCOVERs sent, >= %d dropped by the unknown limit; known host served %d/20", sent, limited, served)
	if served < 18 {
		t.Errorf("known host served %d of 20 times during the flood", served)
	}
	if limited == 0 {
		t.Error("the unknown-MAC limit dropped nothing")
	}
}

// One MAC may not get more than its burst in a row.
func TestPerMACLimit(t *testing.T) {
	cfg := proxyConfig()
	cfg.RateLimit = RateLimit{PerMAC: 0.001, PerMACBurst: 3}
	s, _ := start(t, cfg, &resolver{}, nil)
	c := clientConn(t)
	answered := 0
	for range 6 {
		if exchange(t, c, s.Addr(), discover(t, macB, pxe{arch: arch(0), vendor: "PXEClient"}), 300*time.Millisecond) != nil {
			answered++
		}
	}
	if answered != 3 {
		t.Errorf("answered %d of 6, want the burst of 3", answered)
	}
}

func TestValidate(t *testing.T) {
	ok := fullConfig()
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no server addr", func(c *Config) { c.ServerAddr = netip.Addr{} }, "ServerAddr"},
		{"no base", func(c *Config) { c.HTTPBase = nil }, "HTTPBase"},
		{"bad mode", func(c *Config) { c.Mode = "half" }, "Mode"},
		{"pools in proxy", func(c *Config) { c.Mode = ModeProxy }, "need Mode full"},
		{"range outside", func(c *Config) { c.Pools[0].Ranges[0].To = netip.MustParseAddr("10.10.0.1") }, "Pools[0]: ranges[0]"},
		{"reservation outside", func(c *Config) { c.Reservations[0].Addr = netip.MustParseAddr("192.168.0.1") }, "Reservations[0]"},
		{"short lease", func(c *Config) { c.LeaseTime = time.Second }, "LeaseTime"},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fullConfig()
			tt.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}
