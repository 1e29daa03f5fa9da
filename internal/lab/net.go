package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/netip"
	"os/exec"
	"strings"
)

// Net is a private L2 segment: a bridge inside its own network namespace,
// with a veth pair whose host end sits on the same segment. Servers inside
// the namespace listen on Gateway; the host (the test process) is Host.
// Nothing here is routed anywhere else.
type Net struct {
	NS      string       // network namespace
	Bridge  string       // bridge inside NS
	Subnet  netip.Prefix // a /24 picked at random from 10.200.0.0/13
	Gateway netip.Addr   // .1, the bridge's address inside NS
	Host    netip.Addr   // .254, the host end of the veth
	HostIf  string       // host-side veth interface name
	id      string
	taps    int
}

// NewNet creates the namespace, the bridge and the veth pair.
func NewNet(ctx context.Context) (*Net, error) {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	subnet, err := freeSubnet(ctx)
	if err != nil {
		return nil, err
	}
	base := subnet.Addr().As4()
	n := &Net{NS: "ingot-" + id, Bridge: "br0", Subnet: subnet, id: id, HostIf: "vh" + id,
		Gateway: netip.AddrFrom4([4]byte{base[0], base[1], base[2], 1}),
		Host:    netip.AddrFrom4([4]byte{base[0], base[1], base[2], 254})}
	steps := [][]string{
		{"ip", "netns", "add", n.NS},
		{"ip", "-n", n.NS, "link", "set", "lo", "up"},
		{"ip", "-n", n.NS, "link", "add", n.Bridge, "type", "bridge", "forward_delay", "0"},
		{"ip", "-n", n.NS, "addr", "add", n.Gateway.String() + "/24", "dev", n.Bridge},
		{"ip", "-n", n.NS, "link", "set", n.Bridge, "up"},
		{"ip", "link", "add", n.HostIf, "type", "veth", "peer", "name", "vl" + id},
		{"ip", "link", "set", "vl" + id, "netns", n.NS},
		{"ip", "-n", n.NS, "link", "set", "vl" + id, "master", n.Bridge, "up"},
		{"ip", "addr", "add", n.Host.String() + "/24", "dev", n.HostIf},
		{"ip", "link", "set", n.HostIf, "up"},
	}
	for _, s := range steps {
		if err := run(ctx, s...); err != nil {
			n.Close()
			return nil, fmt.Errorf("creating lab network: %w", err)
		}
	}
	return n, nil
}

// freeSubnet picks a /24 in 10.200.0.0/13 that no host route uses yet.
func freeSubnet(ctx context.Context) (netip.Prefix, error) {
	out, _ := exec.CommandContext(ctx, "ip", "-4", "route").Output()
	for range 50 {
		x, _ := rand.Int(rand.Reader, big.NewInt(8*256))
		i := int(x.Int64())
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(200 + i/256), byte(i % 256), 0}), 24)
		if !strings.Contains(string(out), p.String()) {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("no free 10.200.0.0/13 subnet for a lab network")
}

// Command runs name inside the namespace.
func (n *Net) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.NS, name}, args...)...)
}

// AddTap creates a tap device in the namespace, attached to the bridge.
func (n *Net) AddTap(ctx context.Context) (string, error) {
	n.taps++
	tap := fmt.Sprintf("tap%d", n.taps)
	for _, s := range [][]string{
		{"ip", "-n", n.NS, "tuntap", "add", "dev", tap, "mode", "tap"},
		{"ip", "-n", n.NS, "link", "set", tap, "master", n.Bridge, "up"},
	} {
		if err := run(ctx, s...); err != nil {
			return "", err
		}
	}
	return tap, nil
}

// Close deletes the namespace (and with it the bridge, taps and the veth).
func (n *Net) Close() error {
	_ = run(context.Background(), "ip", "link", "del", n.HostIf)
	return run(context.Background(), "ip", "netns", "del", n.NS)
}

func run(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
