package planner

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/engine"
	"ingot.dev/ingot/server/steps"
)

func TestPlanBMCBoot(t *testing.T) {
	bmc := &api.BMC{Endpoint: "https://bmc1", Credential: "ipmi"}
	base := []string{"validate", "installer-token", "set-boot", "wait-installer", "boot-disk", "wait-firstboot", "finish"}
	withBMC := []string{"validate", "installer-token", "set-boot", "bmc-boot", "wait-installer", "boot-disk", "wait-firstboot", "finish"}
	vmedia := []string{"validate", "installer-token", "set-boot", "bmc-boot", "wait-installer", "bmc-eject", "boot-disk", "wait-firstboot", "finish"}
	for _, tc := range []struct {
		name   string
		path   api.BootPath
		bmc    *api.BMC
		want   []string
		params string
	}{
		{name: "pxe with bmc", path: api.BootPXE, bmc: bmc, want: withBMC, params: `{"target":"Pxe"}`},
		{name: "uefi-http with bmc", path: api.BootUEFIHTTP, bmc: bmc, want: withBMC, params: `{"target":"UefiHttp"}`},
		{name: "pxe without bmc", path: api.BootPXE, want: base},
		{name: "empty endpoint", path: api.BootPXE, bmc: &api.BMC{}, want: base},
		{name: "no boot path", bmc: bmc, want: base},
		{name: "virtual media", path: api.BootRedfishVMedia, bmc: bmc, want: vmedia, params: `{"target":"Cd"}`},
		{name: "virtual media without bmc", path: api.BootRedfishVMedia, want: base},
		{name: "usb", path: api.BootUSB, bmc: bmc, want: base},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := catalog()
			h := cat.hosts["h1"]
			h.BMC = tc.bmc
			cat.hosts["h1"] = h
			g := cat.groups["web"]
			g.BootPath = tc.path
			cat.groups["web"] = g
			d, err := New(cat).Plan(t.Context(), "h1", Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range d.Steps {
				got = append(got, s.Name)
				if s.Name == steps.KindBMCBoot && string(s.Params) != tc.params {
					t.Errorf("bmc-boot params = %s; want %s", s.Params, tc.params)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			reg := engine.NewRegistry()
			steps.Register(reg, steps.Deps{Hosts: nopDeps{}, Catalog: nopDeps{}, Tokens: nopDeps{}, Signals: nopDeps{}, Events: nopDeps{}, BMC: nopBMCs{}, Media: nopMedia{}})
			if _, err := reg.Build(d); err != nil {
				t.Fatalf("Build(plan): %v", err)
			}
		})
	}
}

type nopBMCs struct{}

func (nopBMCs) Connect(context.Context, api.Host) (steps.BMC, error) { return nil, nil }

type nopMedia struct{}

func (nopMedia) Mint(context.Context, api.Deployment) (api.MediaTicket, error) {
	return api.MediaTicket{}, nil
}
func (nopMedia) Revoke(api.DeploymentID) {}
