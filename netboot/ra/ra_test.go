package ra

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"

	"ingot.dev/ingot/internal/testenv"
)

func TestMessage(t *testing.T) {
	b := Message(net.HardwareAddr{0x52, 0x54, 0, 1, 2, 3})
	want := "860000000000000000000000000000000101525400010203"
	if got := fmt.Sprintf("%x", b); got[:4] != want[:4] || got[8:] != want[8:] {
		t.Errorf("RA = %s, want type 134, lifetime 0, no flags, SLLA option", got)
	}
}

func TestValidate(t *testing.T) {
	if err := (Config{}).Validate(); err == nil || !strings.Contains(err.Error(), "Interface") {
		t.Errorf("empty config: %v", err)
	}
	if err := (Config{Interface: "x", Interval: time.Millisecond}).Validate(); err == nil {
		t.Error("1ms interval accepted")
	}
}

// TestRAInNamespace builds a namespace with a veth pair, runs the sender on
// one end and checks the other end receives advertisements, periodic and
// in answer to a solicitation. The test re-executes itself inside the
// namespace.
func TestRAInNamespace(t *testing.T) {
	if os.Getenv("INGOT_RA_CHILD") == "1" {
		child(t)
		return
	}
	if os.Geteuid() != 0 {
		testenv.Skip(t, "needs root for a network namespace")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		testenv.Skip(t, "needs iproute2")
	}
	ns := fmt.Sprintf("ingot-ra-%d", os.Getpid())
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	run("ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	in := func(args ...string) { run(append([]string{"ip", "netns", "exec", ns}, args...)...) }
	in("sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0")
	in("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0")
	in("ip", "link", "add", "ra0", "type", "veth", "peer", "name", "ra1")
	in("ip", "link", "set", "ra0", "up")
	in("ip", "link", "set", "ra1", "up")
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestRAInNamespace$", "-test.v")
	cmd.Env = append(os.Environ(), "INGOT_RA_CHILD=1")
	out, err := cmd.CombinedOutput()
	t.Logf("in %s:\n%s", ns, out)
	if err != nil {
		t.Fatalf("child: %v", err)
	}
}

func child(t *testing.T) {
	ra1, err := net.InterfaceByName("ra1")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ { // link-local addresses appear once the link is up
		if _, ok := LinkLocal(ra1); ok {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The listener: a host on ra1.
	c, err := icmp.ListenPacket("ip6:ipv6-icmp", "::")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pc := c.IPv6PacketConn()
	var f ipv6.ICMPFilter
	f.SetAll(true)
	f.Accept(ipv6.ICMPTypeRouterAdvertisement)
	pc.SetICMPFilter(&f)
	pc.SetControlMessage(ipv6.FlagInterface|ipv6.FlagHopLimit, true)
	pc.JoinGroup(ra1, &net.IPAddr{IP: allNodes})

	s, err := New(Config{Interface: "ra0", Interval: time.Hour}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	stop := testenv.Serve(t, s.Serve)

	expectRA(t, pc, ra1, "the first unsolicited RA")
	// Solicit: the sender answers at once although its interval is an hour.
	rs, _ := (&icmp.Message{Type: ipv6.ICMPTypeRouterSolicitation, Body: &icmp.RawBody{Data: make([]byte, 4)}}).Marshal(nil)
	pc.SetMulticastInterface(ra1)
	pc.SetMulticastHopLimit(255)
	if _, err := pc.WriteTo(rs, &ipv6.ControlMessage{HopLimit: 255, IfIndex: ra1.Index}, &net.IPAddr{IP: allRouters, Zone: "ra1"}); err != nil {
		t.Fatal(err)
	}
	expectRA(t, pc, ra1, "the answer to a solicitation")
	stop()
}

func expectRA(t *testing.T, pc *ipv6.PacketConn, ifi *net.Interface, what string) {
	t.Helper()
	buf := make([]byte, 1500)
	pc.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		n, cm, src, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if cm == nil || cm.IfIndex != ifi.Index || buf[0] != byte(ipv6.ICMPTypeRouterAdvertisement) {
			continue
		}
		lifetime := int(buf[6])<<8 | int(buf[7])
		if cm.HopLimit != 255 || lifetime != 0 || buf[5] != 0 || n != 24 {
			t.Fatalf("%s: hop limit %d, lifetime %d, flags %x, %d bytes", what, cm.HopLimit, lifetime, buf[5], n)
		}
		t.Logf("got %s from %v", what, src)
		return
	}
}
