package dhcp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"time"
)

// Mode is how the server takes part in DHCP on its segment.
type Mode string

// Modes.
const (
	// ModeProxy (the default) answers PXE and HTTP boot clients only and
	// hands out no addresses: the site's DHCP server does that (proxyDHCP).
	ModeProxy Mode = "proxy"
	// ModeFull is a complete DHCP server with pools, reservations and leases.
	ModeFull Mode = "full"
)

// Config configures the DHCP server of one interface. The zero value of
// every optional field is a documented default.
type Config struct {
	// Interface is the network interface the server is bound to
	// (SO_BINDTODEVICE). Empty binds no device (tests, benches).
	Interface string
	// ServerAddr is Ingot's IPv4 address on this segment: next-server,
	// server identifier and, when Listen is unset, the PXE (4011) address.
	ServerAddr netip.Addr
	// Listen is the DHCP address. Default 0.0.0.0:67.
	Listen netip.AddrPort
	// ListenPXE is the PXE boot server address (proxyDHCP requests).
	// Default ServerAddr:4011.
	ListenPXE netip.AddrPort
	// Mode is proxy (default) or full.
	Mode Mode
	// HTTPBase is the base URL iPXE and UEFI HTTP boot clients fetch from.
	HTTPBase *url.URL
	// TFTP says a TFTP server serves Files on ServerAddr; without it, only
	// iPXE and UEFI HTTP boot clients are answered.
	TFTP bool
	// Files names the iPXE binaries. Defaults: undionly.kpxe, ipxe.efi, and
	// no arm64 file (arm64 PXE clients are then not answered).
	Files Files
	// Pools are the address pools of full mode, one per subnet (the
	// interface's own, and those behind relays).
	Pools []Pool
	// Reservations pin addresses to MACs in full mode.
	Reservations []Reservation
	// LeaseTime is the full-mode lease duration. Default 1h.
	LeaseTime time.Duration
	// RateLimit limits how often one MAC and all unknown MACs are answered.
	RateLimit RateLimit
	// ReadBuffer is the socket receive buffer in bytes. Default 4 MiB.
	ReadBuffer int
	// Workers is the number of goroutines handling packets. Default 4.
	Workers int
	// ClientPort and RelayPort are where replies go. Defaults 68 and 67.
	ClientPort, RelayPort uint16
	// ReplyToSource sends every reply to the request's source address
	// instead of broadcasting. For loopback tests and benches only.
	ReplyToSource bool
	// Metrics, when set, is called once per handled packet. It must not block.
	Metrics func(Event)
}

// Files are the iPXE binaries offered by TFTP and over HTTP.
type Files struct {
	BIOS  string // default undionly.kpxe
	UEFI  string // x86-64 UEFI; default ipxe.efi (snponly.efi also works)
	ARM64 string // arm64 UEFI; default none
}

// Pool is one subnet's addresses in full mode.
type Pool struct {
	Subnet netip.Prefix
	// Ranges are inclusive address ranges inside Subnet.
	Ranges []Range
	Router netip.Addr
	DNS    []netip.Addr
}

// Range is an inclusive range of IPv4 addresses.
type Range struct{ From, To netip.Addr }

// Reservation pins one MAC to one address.
type Reservation struct {
	MAC  net.HardwareAddr
	Addr netip.Addr
}

// RateLimit are token buckets: one per MAC, and one shared by all MACs the
// Resolver does not know. Known hosts never wait on the shared bucket.
type RateLimit struct {
	PerMAC       float64 // packets/s per MAC; default 4
	PerMACBurst  int     // default 16
	Unknown      float64 // packets/s for all unknown MACs together; default 200
	UnknownBurst int     // default 400
	Disabled     bool
}

func (c *Config) setDefaults() {
	if !c.Listen.IsValid() {
		c.Listen = netip.AddrPortFrom(netip.IPv4Unspecified(), 67)
	}
	if !c.ListenPXE.IsValid() {
		c.ListenPXE = netip.AddrPortFrom(c.ServerAddr, 4011)
	}
	if c.Mode == "" {
		c.Mode = ModeProxy
	}
	c.Files.BIOS = or(c.Files.BIOS, "undionly.kpxe")
	c.Files.UEFI = or(c.Files.UEFI, "ipxe.efi")
	if c.LeaseTime == 0 {
		c.LeaseTime = time.Hour
	}
	r := &c.RateLimit
	r.PerMAC, r.PerMACBurst = orNum(r.PerMAC, 4), orNum(r.PerMACBurst, 16)
	r.Unknown, r.UnknownBurst = orNum(r.Unknown, 200), orNum(r.UnknownBurst, 400)
	c.ReadBuffer = orNum(c.ReadBuffer, 4<<20)
	c.Workers = orNum(c.Workers, 4)
	c.ClientPort, c.RelayPort = orNum(c.ClientPort, 68), orNum(c.RelayPort, 67)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orNum[T int | float64 | uint16](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Validate checks c, naming the field at fault.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !c.ServerAddr.Is4() {
		bad("dhcp %s: ServerAddr %v: want the interface's IPv4 address", c.Interface, c.ServerAddr)
	}
	if c.HTTPBase == nil || (c.HTTPBase.Scheme != "http" && c.HTTPBase.Scheme != "https") || c.HTTPBase.Host == "" {
		bad("dhcp %s: HTTPBase %v: want an http(s) URL such as http://10.0.0.1:7480", c.Interface, c.HTTPBase)
	}
	switch c.Mode {
	case "", ModeProxy:
		if len(c.Pools) > 0 || len(c.Reservations) > 0 {
			bad("dhcp %s: Pools and Reservations need Mode full", c.Interface)
		}
	case ModeFull:
		if len(c.Pools) == 0 {
			bad("dhcp %s: Mode full needs at least one pool", c.Interface)
		}
	default:
		bad("dhcp %s: Mode %q: want proxy or full", c.Interface, c.Mode)
	}
	for i, p := range c.Pools {
		if err := p.validate(); err != nil {
			bad("dhcp %s: Pools[%d]: %w", c.Interface, i, err)
		}
	}
	errs = append(errs, c.validateReservations()...)
	if c.LeaseTime < 0 || (c.LeaseTime > 0 && c.LeaseTime < time.Minute) {
		bad("dhcp %s: LeaseTime %v: want at least 1m", c.Interface, c.LeaseTime)
	}
	if r := c.RateLimit; r.PerMAC < 0 || r.Unknown < 0 || r.PerMACBurst < 0 || r.UnknownBurst < 0 {
		bad("dhcp %s: RateLimit: rates and bursts must not be negative", c.Interface)
	}
	return errors.Join(errs...)
}

func (c Config) validateReservations() []error {
	var errs []error
	seen := map[string]bool{}
	for i, r := range c.Reservations {
		switch {
		case len(r.MAC) != 6:
			errs = append(errs, fmt.Errorf("dhcp %s: Reservations[%d]: MAC %v: want 6 bytes", c.Interface, i, r.MAC))
		case !r.Addr.Is4():
			errs = append(errs, fmt.Errorf("dhcp %s: Reservations[%d]: Addr %v: want IPv4", c.Interface, i, r.Addr))
		case seen[r.MAC.String()] || seen[r.Addr.String()]:
			errs = append(errs, fmt.Errorf("dhcp %s: Reservations[%d]: %v or %v reserved twice", c.Interface, i, r.MAC, r.Addr))
		case c.poolFor(r.Addr) == nil:
			errs = append(errs, fmt.Errorf("dhcp %s: Reservations[%d]: %v is in no pool's subnet", c.Interface, i, r.Addr))
		}
		seen[r.MAC.String()], seen[r.Addr.String()] = true, true
	}
	return errs
}

func (p Pool) validate() error {
	if !p.Subnet.IsValid() || !p.Subnet.Addr().Is4() || p.Subnet.Bits() > 30 {
		return fmt.Errorf("subnet %v: want an IPv4 prefix of /30 or larger", p.Subnet)
	}
	if len(p.Ranges) == 0 {
		return errors.New("ranges: want at least one range")
	}
	for i, r := range p.Ranges {
		if !p.Subnet.Contains(r.From) || !p.Subnet.Contains(r.To) || r.To.Less(r.From) {
			return fmt.Errorf("ranges[%d] %v-%v: want From <= To, both inside %v", i, r.From, r.To, p.Subnet)
		}
	}
	if p.Router.IsValid() && !p.Subnet.Contains(p.Router) {
		return fmt.Errorf("router %v is outside %v", p.Router, p.Subnet)
	}
	return nil
}

// poolFor returns the pool whose subnet holds a, or nil.
func (c *Config) poolFor(a netip.Addr) *Pool {
	for i := range c.Pools {
		if c.Pools[i].Subnet.Contains(a) {
			return &c.Pools[i]
		}
	}
	return nil
}
