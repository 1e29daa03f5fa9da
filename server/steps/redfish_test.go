package steps

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/redfish/fakebmc"
	"ingot.dev/ingot/server/engine"
)

// fakeBMCs connects to fake BMCs with their fixed credentials.
type fakeBMCs struct{}

func (fakeBMCs) Connect(ctx context.Context, h api.Host) (BMC, error) {
	return redfish.Connect(ctx, redfish.Config{Endpoint: h.BMC.Endpoint, Username: fakebmc.User,
		Password: fakebmc.Password, Retry: redfish.Retry{Attempts: 1}, PollInterval: time.Millisecond})
}

func buildBMCBoot(t *testing.T, f *fakeDeps, endpoint, params string) engine.Step {
	t.Helper()
	h := f.hosts["h1"]
	h.BMC = &api.BMC{Endpoint: endpoint}
	f.hosts["h1"] = h
	reg := engine.NewRegistry()
	deps := f.deps(t0)
	deps.BMC = fakeBMCs{}
	Register(reg, deps)
	s, err := reg.BuildStep(api.Deployment{ID: "dep_1", Host: "h1", Steps: []api.Step{{Name: KindBMCBoot, Params: []byte(params)}}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBMCBootDoUndo(t *testing.T) {
	for _, tc := range []struct {
		name       string
		on         bool
		params     string
		wantBoot   string
		wantResets []string // after Do and Undo
	}{
		{name: "off pxe", params: `{"target":"Pxe"}`, wantBoot: "Pxe", wantResets: []string{"On:Pxe", "ForceOff:"}},
		{name: "on uefi-http", on: true, params: `{"target":"UefiHttp"}`, wantBoot: "UefiHttp", wantResets: []string{"ForceRestart:UefiHttp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := fakebmc.New(t, fakebmc.Options{})
			b.Machine.SetPower(tc.on)
			s := buildBMCBoot(t, newFake(), b.URL(), tc.params)
			if err := s.Do(t.Context()); err != nil {
				t.Fatalf("Do: %v", err)
			}
			if b.Machine.LastBoot != tc.wantBoot {
				t.Errorf("booted %q; want %q", b.Machine.LastBoot, tc.wantBoot)
			}
			for range 2 { // Undo is idempotent
				if err := s.Undo(t.Context()); err != nil {
					t.Fatalf("Undo: %v", err)
				}
			}
			if diff := cmp.Diff(tc.wantResets, b.Machine.Resets()); diff != "" {
				t.Errorf("resets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBMCBootErrors(t *testing.T) {
	b := fakebmc.New(t, fakebmc.Options{})
	b.SetFaults(fakebmc.Faults{Fail5xx: 1000, FailStatus: 500})
	s := buildBMCBoot(t, newFake(), b.URL(), `{"target":"Pxe"}`)
	err := s.Do(t.Context())
	var se *api.StepError
	if !errors.As(err, &se) || se.Code != CodeBMC || se.Hint == "" {
		t.Fatalf("Do = %v; want a StepError with code bmc and a hint", err)
	}
	host := strings.TrimPrefix(b.URL(), "http://")
	if !strings.Contains(se.Message, host) || !strings.Contains(se.Message, "HTTP 500") {
		t.Errorf("message %q does not name the BMC %s and the status", se.Message, host)
	}
}

func TestBMCBootNoBMC(t *testing.T) {
	f := newFake()
	s := buildBMCBoot(t, f, "", `{"target":"Pxe"}`)
	if got := code(s.Do(t.Context())); got != CodeBMC {
		t.Errorf("Do without a BMC: code %q; want bmc", got)
	}
	delete(f.hosts, "h1")
	if err := s.Undo(t.Context()); err != nil {
		t.Errorf("Undo of a deleted host = %v; want nil", err)
	}
}

func TestBMCBootParams(t *testing.T) {
	for _, p := range []string{`{"target":"Hdd"}`, `{}`, `{"target":"Pxe","x":1}`} {
		reg := engine.NewRegistry()
		deps := newFake().deps(t0)
		deps.BMC = fakeBMCs{}
		Register(reg, deps)
		if _, err := reg.BuildStep(api.Deployment{Steps: []api.Step{{Name: KindBMCBoot, Params: []byte(p)}}}, 0); err == nil {
			t.Errorf("params %s accepted", p)
		}
	}
}

func TestRegisterWithoutBMC(t *testing.T) {
	reg := engine.NewRegistry()
	Register(reg, newFake().deps(t0))
	for _, n := range reg.Names() {
		if n == KindBMCBoot {
			t.Errorf("%s registered without a BMC connector", KindBMCBoot)
		}
	}
}
