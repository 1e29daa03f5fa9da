package steps

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/engine"
)

func TestRegisterNames(t *testing.T) {
	reg := engine.NewRegistry()
	Register(reg, newFake().deps(t0))
	want := []string{"boot-disk", "finish", "installer-token", "notify", "set-boot", "validate", "wait-firstboot", "wait-installer", "wait-kit-report"}
	if diff := cmp.Diff(want, reg.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
}

func TestParams(t *testing.T) {
	tests := []struct {
		name, kind, params string
		wantErr            string
	}{
		{name: "validate ok", kind: KindValidate, params: `{"image_set":"debian","variant":"amd64/uefi/sb=false","image":"` + imgA + `"}`},
		{name: "validate missing image", kind: KindValidate, params: `{"image_set":"debian","variant":"amd64/uefi/sb=false"}`, wantErr: "image are required"},
		{name: "validate unknown field", kind: KindValidate, params: `{"image_set":"d","variant":"v","image":"i","arch":"x"}`, wantErr: `unknown field "arch"`},
		{name: "token ok", kind: KindInstallerToken, params: `{"ttl":"2h"}`},
		{name: "token without ttl", kind: KindInstallerToken, params: `{}`, wantErr: "ttl is required"},
		{name: "token bad duration", kind: KindInstallerToken, params: `{"ttl":"soon"}`, wantErr: `invalid duration "soon"`},
		{name: "set-boot ok", kind: KindSetBoot, params: `{"previous_boot":"local","previous_state":"registered"}`},
		{name: "wait no params", kind: KindWaitInstaller, params: ``},
		{name: "wait negative timeout", kind: KindWaitInstaller, params: `{"timeout":"-1h"}`, wantErr: "must not be negative"},
		{name: "wait trailing data", kind: KindWaitFirstboot, params: `{} {}`, wantErr: "trailing data"},
		{name: "finish with params", kind: KindFinish, params: `{"x":1}`, wantErr: "unknown field"},
		{name: "notify without message", kind: KindNotify, params: `{}`, wantErr: "message is required"},
		{name: "unknown kind", kind: "reboot", params: `{}`, wantErr: "unknown step kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build(t, newFake(), t0, tt.kind, tt.params)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("build: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("build error = %v; want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	params := `{"image_set":"debian","variant":"amd64/uefi/sb=false","image":"` + imgA + `"}`
	tests := []struct {
		name     string
		change   func(f *fakeDeps)
		wantCode string
		wantMsg  string
	}{
		{name: "plan holds", change: func(*fakeDeps) {}},
		{name: "host gone", change: func(f *fakeDeps) { delete(f.hosts, "h1") }, wantCode: CodeValidate, wantMsg: "host h1 no longer exists"},
		{name: "host moved", change: func(f *fakeDeps) { h := f.hosts["h1"]; h.Hostgroup = "db"; f.hosts["h1"] = h }, wantCode: CodeValidate, wantMsg: `moved from hostgroup "web" to "db"`},
		{name: "hostgroup gone", change: func(f *fakeDeps) { delete(f.groups, "web") }, wantCode: CodeValidate, wantMsg: "hostgroup web no longer exists"},
		{name: "hostgroup changed set", change: func(f *fakeDeps) { f.groups["web"] = api.Hostgroup{Name: "web", ImageSet: "ubuntu"} }, wantCode: CodeValidate, wantMsg: `now uses image set "ubuntu"`},
		{name: "image set gone", change: func(f *fakeDeps) { delete(f.sets, "debian") }, wantCode: CodeValidate, wantMsg: "image set debian no longer exists"},
		{name: "variant image replaced", change: func(f *fakeDeps) {
			f.sets["debian"] = api.ImageSet{Name: "debian", Variants: []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: "sha256:bb"}}}
		}, wantCode: CodeValidate, wantMsg: "no longer has image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			tt.change(f)
			s, err := build(t, f, t0, KindValidate, params)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Do(t.Context())
			if got := code(err); got != tt.wantCode {
				t.Fatalf("Do = %v (code %q); want code %q", err, got, tt.wantCode)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Do = %v; want it to contain %q", err, tt.wantMsg)
			}
			var se *api.StepError
			if errors.As(err, &se) && se.Hint == "" {
				t.Errorf("StepError %+v has no hint", se)
			}
		})
	}
}

func TestHostSteps(t *testing.T) {
	type hostState struct {
		Boot   api.BootDecision
		State  api.HostState
		Token  bool
		Writes int
	}
	tests := []struct {
		name   string
		kind   string
		params string
		signal string // stored before the step runs
		run    func(ctx context.Context, s engine.Step) error
		want   hostState
	}{
		{name: "set-boot do twice writes once", kind: KindSetBoot, params: `{"previous_boot":"local","previous_state":"registered"}`,
			run:  func(ctx context.Context, s engine.Step) error { return errors.Join(s.Do(ctx), s.Do(ctx)) },
			want: hostState{Boot: api.BootInstaller, State: api.HostDeploying, Writes: 1}},
		{name: "set-boot undo restores", kind: KindSetBoot, params: `{"previous_boot":"discovery","previous_state":"discovered"}`,
			run: func(ctx context.Context, s engine.Step) error {
				return errors.Join(s.Do(ctx), s.Undo(ctx), s.Undo(ctx))
			},
			want: hostState{Boot: api.BootDiscovery, State: api.HostDiscovered, Writes: 2}},
		{name: "set-boot undo after the installer reported keeps it on the installer", kind: KindSetBoot,
			params: `{"previous_boot":"local","previous_state":"registered"}`, signal: SignalInstallerProgress,
			run:  func(ctx context.Context, s engine.Step) error { return errors.Join(s.Do(ctx), s.Undo(ctx)) },
			want: hostState{Boot: api.BootInstaller, State: api.HostFailed, Writes: 2}},
		{name: "set-boot undo after installer.failed keeps it on the installer", kind: KindSetBoot,
			params: `{"previous_boot":"local","previous_state":"deployed"}`, signal: SignalInstallerFailed,
			run:  func(ctx context.Context, s engine.Step) error { return errors.Join(s.Do(ctx), s.Undo(ctx)) },
			want: hostState{Boot: api.BootInstaller, State: api.HostFailed, Writes: 2}},
		{name: "token issued", kind: KindInstallerToken, params: `{"ttl":"90m"}`,
			run:  func(ctx context.Context, s engine.Step) error { return s.Do(ctx) },
			want: hostState{Boot: api.BootLocal, State: api.HostRegistered, Token: true}},
		{name: "token revoked on undo", kind: KindInstallerToken, params: `{"ttl":"90m"}`,
			run:  func(ctx context.Context, s engine.Step) error { return errors.Join(s.Do(ctx), s.Undo(ctx)) },
			want: hostState{Boot: api.BootLocal, State: api.HostRegistered}},
		{name: "finish", kind: KindFinish, params: ``,
			run: func(ctx context.Context, s engine.Step) error {
				return s.Do(ctx)
			},
			want: hostState{Boot: api.BootLocal, State: api.HostDeployed, Writes: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			if tt.signal != "" {
				f.signals = append(f.signals, api.Signal{Name: tt.signal})
			}
			if tt.kind == KindFinish {
				f.tokens["dep_1"] = time.Hour
				h := f.hosts["h1"]
				h.Boot, h.State = api.BootInstaller, api.HostDeploying
				f.hosts["h1"] = h
			}
			s, err := build(t, f, t0, tt.kind, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.run(t.Context(), s); err != nil {
				t.Fatal(err)
			}
			h := f.hosts["h1"]
			_, tok := f.tokens["dep_1"]
			got := hostState{Boot: h.Boot, State: h.State, Token: tok, Writes: f.updates}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("host (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetBootUndoOfDeletedHost(t *testing.T) {
	f := newFake()
	s, err := build(t, f, t0, KindSetBoot, `{"previous_boot":"local","previous_state":"registered"}`)
	if err != nil {
		t.Fatal(err)
	}
	delete(f.hosts, "h1")
	if err := s.Undo(t.Context()); err != nil {
		t.Errorf("Undo = %v; want nil for a deleted host", err)
	}
	if err := s.Do(t.Context()); err == nil {
		t.Error("Do = nil; want an error for a deleted host")
	}
}

func TestNotify(t *testing.T) {
	f := newFake()
	s, err := build(t, f, t0, KindNotify, `{"message":"rack 4 done"}`)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(s.Do(t.Context()), s.Undo(t.Context())); err != nil {
		t.Fatal(err)
	}
	want := []api.Event{{Deployment: "dep_1", Time: t0, Step: 0, Type: TypeNote, Message: "rack 4 done"}}
	if diff := cmp.Diff(want, f.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
