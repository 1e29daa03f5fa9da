package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
	"ingot.dev/ingot/installer/plan"
	"ingot.dev/ingot/server/auth"
)

func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	e.fixtures()
	ctx := context.Background()
	anon := client.New(e.url, "")
	inv := plan.Inventory{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, MemoryBytes: 1 << 30,
		Disks: []plan.Disk{{Name: "vda", Path: "/dev/vda", SizeBytes: 8 << 30, Serial: "D1"}}}
	var r plan.DiscoveryReply
	if err := anon.Do(ctx, http.MethodPost, "/v1/discovery", nil, plan.Discovery{MACs: []string{"52:54:00:99:00:01"}, Inventory: inv}, &r); err != nil {
		t.Fatal(err)
	}
	if r.Host != "disc-525400990001" || r.Action != "wait" || r.Poll == 0 {
		t.Fatalf("reply %+v", r)
	}
	h, err := e.admin.Hosts().Get(ctx, r.Host)
	if err != nil || h.State != api.HostDiscovered || h.Boot != api.BootDiscovery {
		t.Fatalf("discovered host %+v (%v)", h, err)
	}
	var got plan.Inventory
	if err := json.Unmarshal(h.Inventory, &got); err != nil || got.Disks[0].Serial != "D1" {
		t.Fatalf("inventory %s (%v)", h.Inventory, err)
	}
	// A known host's MAC updates that host instead of adding one.
	if err := anon.Do(ctx, http.MethodPost, "/v1/discovery", nil, plan.Discovery{MACs: []string{"52:54:00:00:00:01"}, Inventory: inv}, &r); err != nil || r.Host != "web-1" {
		t.Fatalf("known MAC: %+v %v", r, err)
	}
	if list, _ := e.admin.Hosts().All(ctx, map[string][]string{"state": {"discovered"}}); len(list) != 1 {
		t.Errorf("%d discovered hosts, want 1", len(list))
	}
	// A flood from one MAC is cut off; bad input is a 422.
	var last error
	for range 5 {
		last = anon.Do(ctx, http.MethodPost, "/v1/discovery", nil, plan.Discovery{MACs: []string{"52:54:00:99:00:02"}, Inventory: inv}, nil)
	}
	if client.StatusOf(last) != http.StatusTooManyRequests {
		t.Errorf("flood: %v, want 429", last)
	}
	if err := anon.Do(ctx, http.MethodPost, "/v1/discovery", nil, plan.Discovery{MACs: []string{"nope"}}, nil); client.StatusOf(err) != 422 {
		t.Errorf("bad MAC: %v, want 422", err)
	}
}

func TestInstallerPlanNeedsTheBoundToken(t *testing.T) {
	e := newEnv(t)
	e.fixtures()
	ctx := context.Background()
	res, err := e.admin.Deploy(ctx, api.DeployRequest{Hosts: []string{"web-1"}})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Deployments[0]
	bare := e.installerToken(d.ID, "web-1")
	installer := bare.WithHeader("X-Ingot-MAC", "52:54:00:00:00:01")
	var p plan.Plan
	if err := installer.Do(ctx, http.MethodGet, "/v1/installer/plan", nil, nil, &p); err != nil {
		t.Fatal(err)
	}
	if p.Deployment != d.ID || p.Host != "web-1" || p.Image.ID != imgA || p.Config.Hostname != "web-1" || p.Layout.Preset != "single" {
		t.Errorf("plan %+v", p)
	}
	if p.Config.PhoneHome == "" || p.Config.PhoneHomeToken == "" {
		t.Errorf("plan has no phone-home: %+v", p.Config)
	}
	inv := plan.Inventory{Arch: api.ArchAMD64, Firmware: api.FirmwareBIOS, MemoryBytes: 2 << 30}
	if err := installer.Do(ctx, http.MethodPost, "/v1/installer/inventory", nil, inv, nil); err != nil {
		t.Fatal(err)
	}
	if h, _ := e.admin.Hosts().Get(ctx, "web-1"); len(h.Inventory) == 0 {
		t.Error("inventory not recorded")
	}
	// The same token from another MAC, or naming none, is refused.
	for _, c := range []*client.Client{bare, bare.WithHeader("X-Ingot-MAC", "52:54:00:00:00:99")} {
		if err := c.Do(ctx, http.MethodGet, "/v1/installer/plan", nil, nil, nil); client.StatusOf(err) != 403 {
			t.Errorf("installer token without its host's MAC: %v, want 403", err)
		}
	}
	// A token bound to another host, and an API token, are refused.
	if err := e.installerToken(d.ID, "web-2").WithHeader("X-Ingot-MAC", "52:54:00:00:00:01").Do(ctx, http.MethodGet, "/v1/installer/plan", nil, nil, nil); client.StatusOf(err) != 403 {
		t.Errorf("token of another host: %v, want 403", err)
	}
	if err := e.admin.Do(ctx, http.MethodGet, "/v1/installer/plan", nil, nil, nil); client.StatusOf(err) != 403 {
		t.Errorf("admin token: %v, want 403", err)
	}
}

func (e *env) installerToken(id api.DeploymentID, host string) *client.Client {
	e.t.Helper()
	secret, hash := auth.NewSecret()
	if _, err := e.store.CreateToken(context.Background(), api.Token{Name: "installer:" + string(id) + host, Scopes: []string{auth.InstallerScope(id)}, Host: host}, hash); err != nil {
		e.t.Fatal(err)
	}
	return client.New(e.url, secret)
}
