package storetest

import (
	"net/netip"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

func fullHost(t *testing.T, name, group string, macs ...api.MAC) api.Host {
	return api.Host{
		Name: name, MACs: macs, Serial: "SN123", SystemUUID: "4c4c4544-0042-3510-8052-b4c04f384d32",
		BMC:       &api.BMC{Endpoint: "https://10.0.0.9", Credential: "ipmi"},
		Hostgroup: group,
		Values: api.HostValues{
			Hostname: name + ".example", SSHKeys: []string{"ssh-ed25519 AAAA x"},
			Addresses: []api.StaticAddress{{
				Interface: "eth0", Address: netip.MustParsePrefix("10.0.0.5/24"),
				Gateway: netip.MustParseAddr("10.0.0.1"), DNS: []netip.Addr{netip.MustParseAddr("10.0.0.2")},
			}},
			Files: []api.File{{Path: "/etc/motd", Content: "hi", Mode: 0o644}},
		},
		Inventory: api.RawJSON(`{"cpus":4}`),
		State:     api.HostRegistered,
		Boot:      api.BootInstaller,
	}
}

func testHosts(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	h := fullHost(t, "node1", f.group.Name, mac(t, 1), mac(t, 2))
	got := must(s.CreateHost(f.ctx, h))(t)
	if got.CreatedAt.IsZero() || !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Errorf("CreateHost times: created %v updated %v", got.CreatedAt, got.UpdatedAt)
	}
	h.CreatedAt, h.UpdatedAt = got.CreatedAt, got.UpdatedAt
	diff(t, "CreateHost", h, got)
	diff(t, "GetHost", h, must(s.GetHost(f.ctx, "node1"))(t))
	diff(t, "GetHostByMAC", h, must(s.GetHostByMAC(f.ctx, mac(t, 2)))(t))

	bare := must(s.CreateHost(f.ctx, api.Host{Name: "bare"}))(t)
	diff(t, "bare host", api.Host{Name: "bare", CreatedAt: bare.CreatedAt, UpdatedAt: bare.UpdatedAt}, bare)

	_, err := s.CreateHost(f.ctx, api.Host{Name: "node1"})
	wantConflict(t, err, "name")
	_, err = s.CreateHost(f.ctx, api.Host{Name: "node2", Hostgroup: "nope"})
	wantConflict(t, err, "hostgroup")
	_, err = s.GetHost(f.ctx, "node2")
	wantNotFound(t, err)
	_, err = s.GetHostByMAC(f.ctx, mac(t, 99))
	wantNotFound(t, err)

	// Update replaces the MACs: the old one is free again.
	h.MACs = []api.MAC{mac(t, 3), mac(t, 1)}
	h.State, h.Inventory, h.BMC = api.HostDeployed, nil, nil
	upd := must(s.UpdateHost(f.ctx, h))(t)
	if !upd.CreatedAt.Equal(h.CreatedAt) {
		t.Errorf("UpdateHost changed CreatedAt: %v, want %v", upd.CreatedAt, h.CreatedAt)
	}
	h.UpdatedAt = upd.UpdatedAt
	diff(t, "UpdateHost", h, upd)
	_, err = s.GetHostByMAC(f.ctx, mac(t, 2))
	wantNotFound(t, err)
	diff(t, "host by new MAC", h, must(s.GetHostByMAC(f.ctx, mac(t, 3)))(t))
	must(s.CreateHost(f.ctx, api.Host{Name: "reuse", MACs: []api.MAC{mac(t, 2)}}))(t)

	_, err = s.UpdateHost(f.ctx, api.Host{Name: "ghost"})
	wantNotFound(t, err)
	_, err = s.UpdateHost(f.ctx, api.Host{Name: "bare", Hostgroup: "nope"})
	wantConflict(t, err, "hostgroup")

	check(t, s.DeleteHost(f.ctx, "node1"))
	wantNotFound(t, s.DeleteHost(f.ctx, "node1"))
	_, err = s.GetHostByMAC(f.ctx, mac(t, 1))
	wantNotFound(t, err)
	must(s.CreateHost(f.ctx, api.Host{Name: "node1", MACs: []api.MAC{mac(t, 1), mac(t, 3)}}))(t)
}

func testHostMACConflicts(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	must(s.CreateHost(f.ctx, api.Host{Name: "a", MACs: []api.MAC{mac(t, 1), mac(t, 2)}}))(t)
	must(s.CreateHost(f.ctx, api.Host{Name: "b", MACs: []api.MAC{mac(t, 5)}}))(t)
	tests := []struct {
		name    string
		update  bool
		host    api.Host
		field   string
		message []string
	}{
		{"used by another host", false, api.Host{Name: "c", MACs: []api.MAC{mac(t, 9), mac(t, 2)}}, "macs[1]", []string{mac(t, 2).String(), "host a"}},
		{"first of several in use", false, api.Host{Name: "c", MACs: []api.MAC{mac(t, 9), mac(t, 5), mac(t, 1)}}, "macs[1]", []string{"host b"}},
		{"listed twice", false, api.Host{Name: "c", MACs: []api.MAC{mac(t, 7), mac(t, 8), mac(t, 7)}}, "macs[2]", []string{mac(t, 7).String()}},
		{"update takes another's", true, api.Host{Name: "b", MACs: []api.MAC{mac(t, 5), mac(t, 1)}}, "macs[1]", []string{"host a"}},
		{"update lists twice", true, api.Host{Name: "b", MACs: []api.MAC{mac(t, 6), mac(t, 6)}}, "macs[1]", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.update {
				_, err = s.UpdateHost(f.ctx, tt.host)
			} else {
				_, err = s.CreateHost(f.ctx, tt.host)
			}
			ce := wantConflict(t, err, tt.field)
			if !containsAll(ce.Message, tt.message...) {
				t.Errorf("message %q does not say %q", ce.Message, tt.message)
			}
		})
	}
	// Nothing of the failed writes remains.
	_, err := s.GetHost(f.ctx, "c")
	wantNotFound(t, err)
	_, err = s.GetHostByMAC(f.ctx, mac(t, 9))
	wantNotFound(t, err)
	diff(t, "host b MACs", []api.MAC{mac(t, 5)}, must(s.GetHost(f.ctx, "b"))(t).MACs)
	// A host may keep its own MACs on update.
	must(s.UpdateHost(f.ctx, api.Host{Name: "a", MACs: []api.MAC{mac(t, 2), mac(t, 1)}}))(t)
}

func testHostList(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	f.newGroup(t, s, "db", 0)
	var all, web []string
	for i := range 25 {
		group, state := "web", api.HostRegistered
		if i%3 == 0 {
			group = "db"
		}
		if i%2 == 0 {
			state = api.HostDeployed
		}
		h := api.Host{Name: string(rune('a'+i%26)) + "-host", Hostgroup: group, State: state,
			MACs: []api.MAC{mac(t, 2*i), mac(t, 2*i+1)}}
		must(s.CreateHost(f.ctx, h))(t)
		all = append(all, h.Name)
		if group == "web" {
			web = append(web, h.Name)
		}
	}
	list := func(flt store.HostFilter) func(store.ListOptions) (api.Page[api.Host], error) {
		return func(o store.ListOptions) (api.Page[api.Host], error) {
			flt.ListOptions = o
			return s.ListHosts(f.ctx, flt)
		}
	}
	names := func(hs []api.Host) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.Name)
			if len(h.MACs) != 2 {
				t.Errorf("listed host %s has MACs %v, want 2", h.Name, h.MACs)
			}
		}
		return out
	}
	diff(t, "all hosts", all, names(walk(t, 4, list(store.HostFilter{}))))
	diff(t, "all hosts, one page", all, names(walk(t, 1000, list(store.HostFilter{}))))
	diff(t, "web hosts", web, names(walk(t, 3, list(store.HostFilter{Hostgroup: "web"}))))
	dbDeployed := names(walk(t, 2, list(store.HostFilter{Hostgroup: "db", State: api.HostDeployed})))
	diff(t, "db deployed", []string{"a-host", "g-host", "m-host", "s-host", "y-host"}, dbDeployed)

	p := must(s.ListHosts(f.ctx, store.HostFilter{}))(t)
	if len(p.Items) != 25 || p.NextCursor != "" {
		t.Errorf("default limit: %d items, next %q; want 25 and none", len(p.Items), p.NextCursor)
	}
	p = must(s.ListHosts(f.ctx, store.HostFilter{ListOptions: store.ListOptions{Limit: 25}}))(t)
	if p.NextCursor != "" {
		t.Errorf("exactly full page has next cursor %q", p.NextCursor)
	}
}
