package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
	ctx := context.Background()
	d, installer := e.deployWeb1()
	bare := e.installerToken(d.ID, "web-1")
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

// deployWeb1 loads the fixtures, deploys web-1 and returns the deployment
// and its installer's client: the deployment's token, from web-1's MAC.
func (e *env) deployWeb1() (api.Deployment, *client.Client) {
	e.t.Helper()
	e.fixtures()
	res, err := e.admin.Deploy(context.Background(), api.DeployRequest{Hosts: []string{"web-1"}})
	if err != nil {
		e.t.Fatal(err)
	}
	d := res.Deployments[0]
	return d, e.installerToken(d.ID, "web-1").WithHeader("X-Ingot-MAC", "52:54:00:00:00:01")
}

func (e *env) installerToken(id api.DeploymentID, host string) *client.Client {
	e.t.Helper()
	secret, hash := auth.NewSecret()
	if _, err := e.store.CreateToken(context.Background(), api.Token{Name: "installer:" + string(id) + host, Scopes: []string{auth.InstallerScope(id)}, Host: host}, hash); err != nil {
		e.t.Fatal(err)
	}
	return client.New(e.url, secret)
}

// testInstallerSecret stands in for the server's token deriver.
func testInstallerSecret(id api.DeploymentID) string { return "ingot_inst_test_" + string(id) }

// TestDiscoveryActions walks a known host through its life as a generic
// boot medium sees it: idle → wait; deploying → install with the
// deployment and its token (which works for the plan only from the host's
// MAC); past the installer or deployed → local.
func TestDiscoveryActions(t *testing.T) {
	e := newEnv(t)
	e.fixtures()
	ctx := context.Background()
	anon := client.New(e.url, "")
	inv := plan.Inventory{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI}
	discover := func(mac string) plan.DiscoveryReply {
		t.Helper()
		var r plan.DiscoveryReply
		if err := anon.Do(ctx, http.MethodPost, "/v1/discovery", nil, plan.Discovery{MACs: []string{mac}, Inventory: inv}, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	setHost := func(boot api.BootDecision, state api.HostState) {
		t.Helper()
		h, err := e.store.GetHost(ctx, "web-1")
		if err != nil {
			t.Fatal(err)
		}
		h.Boot, h.State = boot, state
		if _, err := e.store.UpdateHost(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	// Discovery is rate limited per first MAC: give web-1 one MAC per call.
	h, err := e.store.GetHost(ctx, "web-1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		h.MACs = append(h.MACs, mac(fmt.Sprintf("52:54:00:00:01:%02x", i)))
	}
	must(t)(e.store.UpdateHost(ctx, h))
	const webMAC = "52:54:00:00:00:01"
	idle := discover("52:54:00:00:01:00")
	res, err := e.admin.Deploy(ctx, api.DeployRequest{Hosts: []string{"web-1"}})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Deployments[0]
	// What the installer-token step issues and set-boot sets.
	secret := testInstallerSecret(d.ID)
	must(t)(e.store.CreateToken(ctx, api.Token{ID: "inst_" + string(d.ID), Name: "installer:" + string(d.ID),
		Scopes: []string{auth.InstallerScope(d.ID)}, Host: "web-1"}, auth.Hash(secret)))
	setHost(api.BootInstaller, api.HostDeploying)
	deploying := discover(webMAC)
	unknown := discover("52:54:00:77:00:01")

	tests := []struct {
		name string
		got  plan.DiscoveryReply
		want plan.DiscoveryReply
	}{
		{"unknown MAC", unknown, plan.DiscoveryReply{Host: "disc-525400770001", Action: "wait", Poll: 15}},
		{"known host, idle", idle, plan.DiscoveryReply{Host: "web-1", Action: "wait", Poll: 15}},
		{"known host, deploying", deploying, plan.DiscoveryReply{Host: "web-1", Action: "install", Deployment: d.ID, Token: secret}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("%s: reply (-want +got):\n%s", tt.name, diff)
		}
	}
	// The token of the reply fetches the plan from the host's MAC only.
	tok := client.New(e.url, deploying.Token)
	var p plan.Plan
	if err := tok.WithHeader("X-Ingot-MAC", webMAC).Do(ctx, http.MethodGet, "/v1/installer/plan", nil, nil, &p); err != nil || p.Deployment != d.ID {
		t.Errorf("plan with the discovery token: %+v, %v", p.Deployment, err)
	}
	if err := tok.WithHeader("X-Ingot-MAC", "52:54:00:77:00:01").Do(ctx, http.MethodGet, "/v1/installer/plan", nil, nil, nil); client.StatusOf(err) != 403 {
		t.Errorf("the discovery token from another MAC: %v, want 403", err)
	}
	// The installer reported done but boot-disk has not run yet: boot the disk.
	must(t)(nil, e.store.AddSignal(ctx, d.ID, api.Signal{Name: "installer.done"}))
	if r := discover("52:54:00:00:01:01"); r.Action != "local" || r.Token != "" {
		t.Errorf("after installer.done: %+v, want local without a token", r)
	}
	setHost(api.BootLocal, api.HostDeploying) // boot-disk ran
	if r := discover("52:54:00:00:01:02"); r.Action != "local" {
		t.Errorf("after boot-disk: %+v, want local", r)
	}
	setHost(api.BootLocal, api.HostDeployed)
	if r := discover("52:54:00:00:01:03"); r.Action != "local" {
		t.Errorf("deployed: %+v, want local", r)
	}
}

// TestInstallerPlanOfHostImage: once a deployment has a host image (made
// for a site kit or a per-host ISO), its plan names that image and keeps
// only the deployment's part of the config; the host's part is in the
// image's config layer. An expired host image is not used.
func TestInstallerPlanOfHostImage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d, installer := e.deployWeb1()
	now := time.Now()
	expired := api.HostImage{ID: "sha256:" + strings.Repeat("e", 64), Host: "web-1", Base: imgA, Deployment: d.ID, CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}
	live := api.HostImage{ID: imgC, Host: "web-1", Base: imgA, Deployment: d.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	for _, hi := range []api.HostImage{expired, live} {
		if err := e.store.PutHostImage(ctx, hi); err != nil {
			t.Fatal(err)
		}
	}
	var p plan.Plan
	if err := installer.Do(ctx, http.MethodGet, "/v1/installer/plan", nil, nil, &p); err != nil {
		t.Fatal(err)
	}
	if p.Image.ID != imgC {
		t.Errorf("plan image = %s, want the live host image %s", p.Image.ID, imgC)
	}
	if p.Config.Hostname != "" || len(p.Config.SSHKeys) != 0 || p.Config.PhoneHome == "" || p.Config.PhoneHomeToken == "" {
		t.Errorf("plan config of a host image = %+v, want the phone-home alone", p.Config)
	}
}
