package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/redfish/emulator"
	"ingot.dev/ingot/redfish/fakebmc"
)

// TestImportAndProbeThroughServer registers hosts from two fake BMCs (one
// unreachable) through a real `ingot serve`, again (idempotent), probes one
// host's BMC through the server and reads the stored quirks back.
func TestImportAndProbeThroughServer(t *testing.T) {
	data := t.TempDir()
	p := startServer(t, data)
	c := adminClient(t, p, data)
	ctx := context.Background()
	seed(t, c)
	mustOK(t, second(c.Credentials().Put(ctx, "bmc", api.Credential{Name: "bmc", Username: fakebmc.User, Password: fakebmc.Password})))
	quirky := fakebmc.New(t, fakebmc.Options{Quirks: emulator.Quirks{BootViaSettings: true, RejectInserted: true},
		Identity: emulator.Identity{UUID: "4c4c4544-0042-3610-8052-b4c04f4e3032", Serial: "SRV-0001", HostName: "db-7.rack1.example",
			Manufacturer: "Dell Inc.", Model: "PowerEdge R650", Firmware: "6.10", MACs: []string{"b4:96:91:00:00:01"}}})
	plain := fakebmc.New(t, fakebmc.Options{})
	token, _ := os.ReadFile(filepath.Join(data, "admin.token.txt"))
	cli := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"--server", p.url, "--token", strings.TrimSpace(string(token))}, args...), nil, &out, &out)
		return out.String(), err
	}

	urls := strings.Join([]string{quirky.URL(), plain.URL(), "http://127.0.0.1:1"}, ",")
	out, err := cli("host", "import", "--redfish", urls, "--hostgroup", "rack-1", "--credential", "bmc")
	if err == nil || !strings.Contains(err.Error(), "1 of 3") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	for _, want := range []string{"created db-7 (serial SRV-0001", "created 437xr1138r2", "disks 1", "FAILED: bmc 127.0.0.1:1: read service root"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	out, _ = cli("host", "import", "--redfish", urls, "--hostgroup", "rack-1", "--credential", "bmc")
	if strings.Count(out, "unchanged") != 2 {
		t.Errorf("second import changed something:\n%s", out)
	}
	h := must1(c.Hosts().Get(ctx, "db-7"))
	if h.Hostgroup != "rack-1" || h.BMC == nil || h.BMC.Credential != "bmc" || h.SystemUUID != "4c4c4544-0042-3610-8052-b4c04f4e3032" || len(h.MACs) != 1 {
		t.Errorf("imported host: %+v", h)
	}

	out, err = cli("bmc", "probe", "--active", "--media-url", "http://10.0.0.1/installer.iso", "db-7")
	if err != nil {
		t.Fatalf("probe: %v\n%s", err, out)
	}
	for _, want := range []string{"db-7: Dell Inc./PowerEdge R650/6.10", "boot-via-settings", "boot-needs-if-match", "media-without-inserted"} {
		if !strings.Contains(out, want) {
			t.Errorf("probe output lacks %q:\n%s", want, out)
		}
	}
	mustOK(t, second(c.Hosts().Create(ctx, api.Host{Name: "gone", Hostgroup: "rack-1", BMC: &api.BMC{Endpoint: "http://127.0.0.1:1", Credential: "bmc"}})))
	out, err = cli("bmc", "probe", "gone")
	if err == nil || !strings.Contains(out, "gone: FAILED: Bad Gateway: bmc 127.0.0.1:1: read service root") {
		t.Errorf("probe of an unreachable BMC: %v\n%s", err, out)
	}
	out, err = cli("bmc", "quirks")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{quirky.URL(), "probe", plain.URL(), "learned", "Contoso/3500/1.00"} {
		if !strings.Contains(out, want) {
			t.Errorf("bmc quirks lacks %q:\n%s", want, out)
		}
	}
	if _, err := cli("bmc", "quirks", "ok-1"); err == nil || !strings.Contains(err.Error(), "has no BMC") {
		t.Errorf("quirks of a host without a BMC: %v", err)
	}
	if strings.Contains(out+p.out.String(), fakebmc.Password) {
		t.Error("the BMC password shows in the output or the server log")
	}
}
