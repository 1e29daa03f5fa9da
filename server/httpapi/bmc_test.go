package httpapi_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/redfish"
)

// fakeBMCs answers probes and inventories from a table of machines keyed by
// BMC endpoint; an unknown endpoint fails like an unreachable BMC.
type fakeBMCs struct{ machines map[string]redfish.Inventory }

func (f fakeBMCs) Probe(_ context.Context, h api.Host, _ api.BMCProbeRequest) (api.BMCProbe, error) {
	return api.BMCProbe{Host: h.Name, Quirks: api.BMCQuirks{Endpoint: h.BMC.Endpoint, Quirks: api.RawJSON(`{}`), Source: api.QuirksFromProbe}, Calls: 7}, nil
}

func (f fakeBMCs) Inventory(_ context.Context, b api.BMC) (redfish.Inventory, error) {
	inv, ok := f.machines[b.Endpoint]
	if !ok {
		return inv, fmt.Errorf("bmc %s: read service root: connection refused", strings.TrimPrefix(b.Endpoint, "https://"))
	}
	return inv, nil
}

// machine is an inventory with n NICs.
func machine(serial, hostname string, macs ...string) redfish.Inventory {
	inv := redfish.Inventory{Serial: serial, HostName: hostname, UUID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(serial)),
		Disks: []redfish.Disk{{Name: "d0", SizeBytes: 1 << 40}}}
	for i, m := range macs {
		hw, _ := net.ParseMAC(m)
		inv.NICs = append(inv.NICs, redfish.NIC{Name: fmt.Sprint(i), MAC: hw})
	}
	return inv
}

func TestImportHosts(t *testing.T) {
	e := newEnv(t)
	e.fixtures()
	ctx := t.Context()
	req := api.HostImportRequest{Redfish: []string{"https://bmc-1.example", "https://bmc-2.example", "https://bmc-down.example", "https://bmc-3.example"}, Hostgroup: "web"}
	summary := func(res api.HostImportResponse) []string {
		var out []string
		for _, r := range res.Results {
			out = append(out, fmt.Sprintf("%s %s %s", r.Host, r.Action, r.Error))
		}
		return out
	}
	res, err := e.admin.ImportHosts(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"node-1 created ", "ser-2-x created ",
		"  bmc bmc-down.example: read service root: connection refused", "web-1 updated "}
	if diff := cmp.Diff(want, summary(res)); diff != "" {
		t.Errorf("first import (-want +got):\n%s", diff)
	}
	if inv := res.Results[0].Inventory; inv == nil || inv.Serial != "SER-1" || len(inv.MACs) != 1 || len(inv.Disks) != 1 {
		t.Errorf("inventory of bmc-1: %+v", inv)
	}
	h, err := e.admin.Hosts().Get(ctx, "web-1")
	if err != nil {
		t.Fatal(err)
	}
	if h.Serial != "SER-3" || h.BMC == nil || h.BMC.Endpoint != "https://bmc-3.example" || len(h.MACs) != 2 {
		t.Errorf("web-1 after import: %+v; want serial, BMC and both MACs", h)
	}

	res, err = e.admin.ImportHosts(ctx, req) // idempotent
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"node-1 unchanged ", "ser-2-x unchanged ", want[2], "web-1 unchanged "}
	if diff := cmp.Diff(want, summary(res)); diff != "" {
		t.Errorf("second import (-want +got):\n%s", diff)
	}
	all, err := e.admin.Hosts().All(ctx, nil)
	if err != nil || len(all) != 3 {
		t.Errorf("%d hosts after two imports (%v); want 3", len(all), err)
	}

	bad := api.HostImportRequest{Redfish: []string{"ftp://x", "https://bmc-1.example", "https://bmc-1.example"}, Hostgroup: "nope", Credential: "nope"}
	_, err = e.admin.ImportHosts(ctx, bad)
	for _, loc := range []string{"body.redfish[0]", "body.redfish[2]", "body.hostgroup", "body.credential"} {
		if !strings.Contains(fmt.Sprint(err), loc) {
			t.Errorf("bad import: %v; want it to name %s", err, loc)
		}
	}
	if _, err := e.token("hostgroup:manage:db").ImportHosts(ctx, req); status(err) != 403 {
		t.Errorf("import into web with a db token: %v; want 403", err)
	}
}
