package template

import (
	"net/netip"
	"testing"

	"ingot.dev/ingot/api"
)

var (
	pfx = netip.MustParsePrefix
	ip  = netip.MustParseAddr
)

var addrAllowed = api.Template{Addresses: api.AddressRule{Allowed: true}}
var addrInNets = api.Template{Addresses: api.AddressRule{Allowed: true,
	Networks: []netip.Prefix{pfx("10.0.0.0/16"), pfx("fd00::/48")}}}

func addrs(a ...api.StaticAddress) api.HostValues { return api.HostValues{Addresses: a} }

var addressCases = []checkCase{
	{name: "locked", values: addrs(api.StaticAddress{Address: pfx("10.0.0.5/24")}),
		want: []want{{"values.addresses", "must set template.addresses.allowed"}}},
	{name: "v4 and v6 with gateways and dns", tmpl: addrAllowed, values: addrs(
		api.StaticAddress{Interface: "eno1", Address: pfx("10.0.0.5/24"), Gateway: ip("10.0.0.1"), DNS: []netip.Addr{ip("10.0.0.53")}},
		api.StaticAddress{Interface: "52:54:00:12:34:56", Address: pfx("2001:db8::5/64"), Gateway: ip("2001:db8::1")},
		api.StaticAddress{Address: pfx("192.0.2.7/32")},
	)},
	{name: "v6 link-local gateway", tmpl: addrAllowed,
		values: addrs(api.StaticAddress{Address: pfx("2001:db8::5/64"), Gateway: ip("fe80::1")})},
	{name: "max met", tmpl: api.Template{Addresses: api.AddressRule{Allowed: true, Max: 1}},
		values: addrs(api.StaticAddress{Address: pfx("10.0.0.5/24")})},
	{name: "max exceeded", tmpl: api.Template{Addresses: api.AddressRule{Allowed: true, Max: 1}},
		values: addrs(api.StaticAddress{Address: pfx("10.0.0.5/24")}, api.StaticAddress{Address: pfx("10.0.0.6/24")}),
		want:   []want{{"values.addresses", "at most 1 (template.addresses.max), got 2"}}},
	{name: "missing address", tmpl: addrAllowed, values: addrs(api.StaticAddress{Interface: "eth0"}),
		want: []want{{"values.addresses[0].address", "missing or invalid"}}},
	{name: "inside networks", tmpl: addrInNets,
		values: addrs(api.StaticAddress{Address: pfx("10.0.3.4/24")}, api.StaticAddress{Address: pfx("fd00::9/64")})},
	{name: "outside networks", tmpl: addrInNets, values: addrs(api.StaticAddress{Address: pfx("10.1.0.5/24")}),
		want: []want{{"values.addresses[0].address", "outside the networks the hostgroup template allows (template.addresses.networks): 10.0.0.0/16, fd00::/48"}}},
	{name: "prefix wider than network", tmpl: addrInNets, values: addrs(api.StaticAddress{Address: pfx("10.0.0.5/8")}),
		want: []want{{"values.addresses[0].address", "outside the networks"}}},
	{name: "network address", tmpl: addrAllowed, values: addrs(api.StaticAddress{Address: pfx("10.0.0.0/24")}),
		want: []want{{"values.addresses[0].address", "10.0.0.0 is the network address of 10.0.0.0/24"}}},
	{name: "broadcast address", tmpl: addrAllowed, values: addrs(api.StaticAddress{Address: pfx("10.0.0.255/24")}),
		want: []want{{"values.addresses[0].address", "broadcast address"}}},
	{name: "point to point /31", tmpl: addrAllowed, values: addrs(api.StaticAddress{Address: pfx("10.0.0.0/31")})},
	{name: "loopback", tmpl: addrAllowed, values: addrs(api.StaticAddress{Address: pfx("127.0.0.2/8")}),
		want: []want{{"values.addresses[0].address", "not a host address"}}},
	{name: "mapped", tmpl: addrAllowed, values: addrs(api.StaticAddress{Address: pfx("::ffff:10.0.0.5/120")}),
		want: []want{{"values.addresses[0].address", "write it as IPv4 (10.0.0.5)"}}},
	{name: "duplicate", tmpl: addrAllowed,
		values: addrs(api.StaticAddress{Address: pfx("10.0.0.5/24")}, api.StaticAddress{Interface: "eth1", Address: pfx("10.0.0.5/16")}),
		want:   []want{{"values.addresses[1].address", "the same address as values.addresses[0].address"}}},
	{name: "gateway outside subnet", tmpl: addrAllowed,
		values: addrs(api.StaticAddress{Address: pfx("10.0.0.5/24"), Gateway: ip("10.0.1.1")}),
		want:   []want{{"values.addresses[0].gateway", "outside the address's subnet 10.0.0.0/24"}}},
	{name: "gateway other family", tmpl: addrAllowed,
		values: addrs(api.StaticAddress{Address: pfx("10.0.0.5/24"), Gateway: ip("2001:db8::1")}),
		want:   []want{{"values.addresses[0].gateway", "not of the same IP version"}}},
	{name: "gateway is the address", tmpl: addrAllowed,
		values: addrs(api.StaticAddress{Address: pfx("10.0.0.5/24"), Gateway: ip("10.0.0.5")}),
		want:   []want{{"values.addresses[0].gateway", "the address itself"}}},
	{name: "bad dns", tmpl: addrAllowed,
		values: addrs(api.StaticAddress{Address: pfx("10.0.0.5/24"), DNS: []netip.Addr{ip("10.0.0.53"), {}, ip("224.0.0.1")}}),
		want: []want{{"values.addresses[0].dns[1]", "missing or invalid"},
			{"values.addresses[0].dns[2]", "not a DNS server address"}}},
	{name: "bad interface", tmpl: addrAllowed,
		values: addrs(api.StaticAddress{Interface: "a very long interface name", Address: pfx("10.0.0.5/24")},
			api.StaticAddress{Interface: "eth/0", Address: pfx("10.0.0.6/24")}),
		want: []want{{"values.addresses[0].interface", "not a MAC address or interface name"},
			{"values.addresses[1].interface", "not a MAC address"}}},
	{name: "errors sorted by path", tmpl: addrInNets,
		values: addrs(api.StaticAddress{Interface: "a/b", Address: pfx("10.9.0.5/24"), DNS: []netip.Addr{{}}}),
		want: []want{{"values.addresses[0].address", "outside"},
			{"values.addresses[0].dns[0]", "missing"},
			{"values.addresses[0].interface", "not a MAC"}}},
}

func TestCheckAddresses(t *testing.T) { runCheckCases(t, addressCases) }
