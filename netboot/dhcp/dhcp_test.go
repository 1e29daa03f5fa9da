package dhcp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"

	"ingot.dev/ingot/internal/testenv"
	"ingot.dev/ingot/netboot/boot"
)

// resolver knows the MACs in its map.
type resolver struct {
	mu    sync.Mutex
	known map[string]bool
	calls int
}

func (r *resolver) Resolve(_ context.Context, mac net.HardwareAddr) (boot.Target, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	return boot.Target{Known: r.known[mac.String()]}, nil
}

var (
	loopback = netip.MustParseAddrPort("127.0.0.1:0")
	base, _  = url.Parse("http://10.9.0.1:7480")
	macA     = net.HardwareAddr{0x52, 0x54, 0, 0, 0, 0xa}
	macB     = net.HardwareAddr{0x52, 0x54, 0, 0, 0, 0xb}
	macR     = net.HardwareAddr{0x52, 0x54, 0, 0, 0, 0xc}
)

func proxyConfig() Config {
	return Config{ServerAddr: netip.MustParseAddr("10.9.0.1"), Listen: loopback, ListenPXE: loopback,
		HTTPBase: base, TFTP: true, ReplyToSource: true}
}

func fullConfig() Config {
	c := proxyConfig()
	c.Mode = ModeFull
	c.LeaseTime = time.Hour
	c.Pools = []Pool{
		{Subnet: netip.MustParsePrefix("10.9.0.0/24"), Ranges: []Range{{netip.MustParseAddr("10.9.0.100"), netip.MustParseAddr("10.9.0.101")}},
			Router: netip.MustParseAddr("10.9.0.254"), DNS: []netip.Addr{netip.MustParseAddr("10.9.0.53")}},
		{Subnet: netip.MustParsePrefix("127.0.0.0/24"), Ranges: []Range{{netip.MustParseAddr("127.0.0.200"), netip.MustParseAddr("127.0.0.210")}}},
	}
	c.Reservations = []Reservation{{MAC: macR, Addr: netip.MustParseAddr("10.9.0.50")}}
	return c
}

// start runs a server until the test ends; events arrive on the channel.
func start(t *testing.T, cfg Config, r boot.Resolver, leases Leases) (*Server, <-chan Event) {
	t.Helper()
	events := make(chan Event, 10000)
	cfg.Metrics = func(e Event) {
		select {
		case events <- e:
		default:
		}
	}
	s, err := New(cfg, r, leases, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	testenv.Serve(t, s.Serve)
	return s, events
}

func clientConn(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(loopback))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// exchange sends m to dst and returns the reply, or nil after wait.
func exchange(t testing.TB, c *net.UDPConn, dst netip.AddrPort, m *dhcpv4.DHCPv4, wait time.Duration) *dhcpv4.DHCPv4 {
	t.Helper()
	if _, err := c.WriteToUDPAddrPort(m.ToBytes(), dst); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	deadline := time.Now().Add(wait)
	for {
		c.SetReadDeadline(deadline)
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if isTimeout(err) {
			return nil
		} else if err != nil {
			t.Fatal(err)
		}
		r, err := dhcpv4.FromBytes(buf[:n])
		if err != nil {
			t.Fatalf("server sent an unparsable reply: %v", err)
		}
		if r.TransactionID == m.TransactionID {
			return r
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

type pxe struct {
	arch      *uint16
	vendor    string
	userClass string
}

func discover(t testing.TB, mac net.HardwareAddr, p pxe, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	t.Helper()
	m, err := dhcpv4.NewDiscovery(mac, append(p.mods(), mods...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mods are the options a client of this kind sends.
func (p pxe) mods() []dhcpv4.Modifier {
	var mods []dhcpv4.Modifier
	if p.vendor != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptClassIdentifier(p.vendor)))
	}
	if p.arch != nil {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptClientArch(iana.Arch(*p.arch))))
	}
	if p.userClass != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptUserClass(p.userClass)))
	}
	return mods
}

func arch(a uint16) *uint16 { return &a }

func waitEvent(t *testing.T, events <-chan Event, want func(Event) bool) Event {
	t.Helper()
	timeout := time.After(3 * time.Second)
	for {
		select {
		case e := <-events:
			if want(e) {
				return e
			}
		case <-timeout:
			t.Fatal("no matching event")
		}
	}
}
