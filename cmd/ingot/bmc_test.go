package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"ingot.dev/ingot/redfish/emulator"
	"ingot.dev/ingot/redfish/fakebmc"
)

// The lead wires newBMCCommand and newLabBMCCommand into the root command;
// until then the tests build them directly.
func TestBMCProbeAndInventory(t *testing.T) {
	good := fakebmc.New(t, fakebmc.Options{Quirks: emulator.Quirks{RejectInserted: true}})
	t.Setenv("INGOT_BMC_PASSWORD", fakebmc.Password)
	var out, errOut bytes.Buffer
	app := &App{Out: &out, Err: &errOut, Output: "json"}
	cmd := newBMCCommand(app)
	cmd.SetArgs([]string{"probe", "--direct", "--active", "--media-url", "http://10.0.0.1/p.iso", good.URL(), "http://127.0.0.1:1"})
	cmd.SetContext(t.Context())
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "1 of 2") {
		t.Fatalf("probe: %v", err)
	}
	var res []probeResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(res) != 2 || !res[0].Quirks.MediaOmitInserted || res[0].Key != "Contoso/3500/1.00" {
		t.Errorf("probe of the fake: %+v", res[0])
	}
	if !strings.Contains(res[1].Error, "bmc 127.0.0.1:1: read service root") {
		t.Errorf("unreachable BMC error: %q", res[1].Error)
	}
	out.Reset()
	app.Output = "table"
	cmd = newBMCCommand(app)
	cmd.SetArgs([]string{"inventory", good.URL()})
	cmd.SetContext(t.Context())
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "serial 437XR1138R2") || !strings.Contains(out.String(), "12:44:6a:3b:04:11") {
		t.Errorf("inventory: %s", out.String())
	}
	if strings.Contains(out.String()+errOut.String(), fakebmc.Password) {
		t.Error("output holds the password")
	}
}

func TestLabBMCNeedsPassword(t *testing.T) {
	t.Setenv("INGOT_LAB_BMC_PASSWORD", "")
	var out bytes.Buffer
	cmd := newLabBMCCommand(&App{Out: &out, Err: &out})
	cmd.SetArgs([]string{"--qmp", "/nonexistent"})
	cmd.SetContext(t.Context())
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "INGOT_LAB_BMC_PASSWORD") {
		t.Fatalf("got %v", err)
	}
}
