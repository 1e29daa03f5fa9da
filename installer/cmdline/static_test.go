package cmdline

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStatic(t *testing.T) {
	const srv = "ingot.server=http://10.0.0.1:7480 "
	tests := []struct {
		name    string
		line    string
		want    *Static
		iface   string
		wantErr string // substring; "" for none
	}{
		{name: "dhcp", line: srv, want: nil},
		{
			name:  "full",
			line:  srv + "ingot.ip=10.0.0.5/24 ingot.gw=10.0.0.254 ingot.dns=10.0.0.2,10.0.0.3 ingot.iface=52:54:00:12:34:56",
			want:  &Static{Addr: netip.MustParsePrefix("10.0.0.5/24"), Gateway: netip.MustParseAddr("10.0.0.254"), DNS: []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")}},
			iface: "52:54:00:12:34:56",
		},
		{name: "address only", line: srv + "ingot.ip=10.0.0.5/24 ingot.iface=eth0", want: &Static{Addr: netip.MustParsePrefix("10.0.0.5/24")}, iface: "eth0"},
		{name: "ipv6", line: srv + "ingot.ip=fd00::5/64 ingot.gw=fd00::1", want: &Static{Addr: netip.MustParsePrefix("fd00::5/64"), Gateway: netip.MustParseAddr("fd00::1")}},
		{name: "no prefix", line: srv + "ingot.ip=10.0.0.5", wantErr: "want ADDRESS/PREFIX"},
		{name: "bad gateway", line: srv + "ingot.ip=10.0.0.5/24 ingot.gw=gateway", wantErr: "ingot.gw=\"gateway\""},
		{name: "bad dns", line: srv + "ingot.ip=10.0.0.5/24 ingot.dns=10.0.0.2,,", wantErr: "ingot.dns="},
		{name: "gateway elsewhere", line: srv + "ingot.ip=10.0.0.5/24 ingot.gw=10.0.1.1", wantErr: "not inside ingot.ip"},
		{name: "gateway without ip", line: srv + "ingot.gw=10.0.0.1", wantErr: "without ingot.ip"},
		{name: "network address", line: srv + "ingot.ip=10.0.0.0/24", wantErr: "network's or broadcast"},
		{name: "broadcast address", line: srv + "ingot.ip=10.0.0.255/24", wantErr: "network's or broadcast"},
		{name: "unspecified", line: srv + "ingot.ip=0.0.0.0/0", wantErr: "not a host address"},
		{name: "point to point", line: srv + "ingot.ip=10.0.0.1/31", want: &Static{Addr: netip.MustParsePrefix("10.0.0.1/31")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.line)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(): %v", err)
			}
			if d := cmp.Diff(tt.want, got.Static, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
				t.Errorf("Static (-want +got):\n%s", d)
			}
			if got.Iface != tt.iface {
				t.Errorf("Iface = %q, want %q", got.Iface, tt.iface)
			}
		})
	}
}

func TestStaticArgsRoundTrip(t *testing.T) {
	s := Static{Addr: netip.MustParsePrefix("10.0.0.5/24"), Gateway: netip.MustParseAddr("10.0.0.1"),
		DNS: []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("fd00::2")}}
	line := "ingot.server=http://s " + strings.Join(s.Args("52:54:00:00:00:01"), " ")
	got, err := Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	if got.Iface != "52:54:00:00:00:01" || got.Static == nil || got.Static.Addr != s.Addr || got.Static.Gateway != s.Gateway || len(got.Static.DNS) != 2 || got.Static.DNS[1] != s.DNS[1] {
		t.Errorf("Parse(%q) = %+v %+v", line, got, got.Static)
	}
}
