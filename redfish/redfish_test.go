package redfish_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/redfish/emulator"
	"ingot.dev/ingot/redfish/fakebmc"
)

type env struct {
	bmc *fakebmc.BMC
	c   *redfish.Client
	log *bytes.Buffer
}

func config(b *fakebmc.BMC, log *bytes.Buffer) redfish.Config {
	return redfish.Config{
		Endpoint: b.URL(), Username: fakebmc.User, Password: fakebmc.Password,
		Timeout: 2 * time.Second, PollInterval: 10 * time.Millisecond, GracefulTimeout: 200 * time.Millisecond,
		Retry:  redfish.Retry{Attempts: 3, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func start(t *testing.T, q emulator.Quirks) env {
	t.Helper()
	b := fakebmc.New(t, fakebmc.Options{Quirks: q})
	var log bytes.Buffer
	c, err := redfish.Connect(t.Context(), config(b, &log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if strings.Contains(log.String(), fakebmc.Password) {
			t.Errorf("log holds the password:\n%s", log.String())
		}
	})
	return env{bmc: b, c: c, log: &log}
}

// calls runs f and returns how many requests it sent.
func calls(t *testing.T, c *redfish.Client, f func() error) int64 {
	t.Helper()
	before := c.Calls()
	if err := f(); err != nil {
		t.Fatal(err)
	}
	return c.Calls() - before
}

func TestBootOverrideQuirks(t *testing.T) {
	tests := []struct {
		name      string
		quirks    emulator.Quirks
		wantErr   error
		wantCalls int64 // for the second, learned, override
		want      func(redfish.Quirks) bool
	}{
		{"standard", emulator.Quirks{}, nil, 2, func(q redfish.Quirks) bool { return q.BootSettingsPath == "" && !q.BootETag }},
		{"settings object with ETag", emulator.Quirks{BootViaSettings: true}, nil, 3,
			func(q redfish.Quirks) bool { return strings.HasSuffix(q.BootSettingsPath, "/Settings") && q.BootETag }},
		{"PATCH answers 200 and changes nothing", emulator.Quirks{IgnoreBootPatch: true}, redfish.ErrNotApplied, 0,
			func(q redfish.Quirks) bool { return q.BootNotApplied }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, tt.quirks)
			ctx := t.Context()
			e.bmc.Machine.SetPower(true)
			err := e.c.SetBootOverride(ctx, redfish.BootOverride{Target: redfish.BootPxe})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("SetBootOverride: %v, want %v", err, tt.wantErr)
			}
			if !tt.want(e.c.Quirks()) {
				t.Errorf("learned quirks %+v", e.c.Quirks())
			}
			if tt.wantErr != nil {
				if !strings.Contains(err.Error(), "bmc 127.0.0.1:") || !strings.Contains(err.Error(), "set boot override") {
					t.Errorf("error does not name the BMC and the call: %v", err)
				}
				return
			}
			// A fresh client given the learned quirks goes straight to the right place.
			c2, err := redfish.Connect(ctx, withQuirks(config(e.bmc, e.log), e.c.Quirks()))
			if err != nil {
				t.Fatal(err)
			}
			n := calls(t, c2, func() error {
				return c2.SetBootOverride(ctx, redfish.BootOverride{Target: redfish.BootUefiHTTP, HTTPBootURI: "http://10.0.0.1/boot.efi"})
			})
			if n != tt.wantCalls {
				t.Errorf("boot override took %d calls, want %d", n, tt.wantCalls)
			}
			if err := c2.PowerCycle(ctx, false); err != nil {
				t.Fatal(err)
			}
			if got := e.bmc.Machine.LastBoot; got != "UefiHttp" {
				t.Errorf("machine booted %q, want UefiHttp", got)
			}
			if target, enabled := e.bmc.Boot(); enabled != "Disabled" {
				t.Errorf("one-time override still %s %s after the boot", enabled, target)
			}
		})
	}
}

func withQuirks(c redfish.Config, q redfish.Quirks) redfish.Config {
	c.Quirks = q
	return c
}

func TestBootTargetNotOffered(t *testing.T) {
	e := start(t, emulator.Quirks{})
	if _, err := e.c.BootOverride(t.Context()); err != nil { // learns AllowableValues
		t.Fatal(err)
	}
	err := e.c.SetBootOverride(t.Context(), redfish.BootOverride{Target: redfish.BootUsbCd})
	if !errors.Is(err, redfish.ErrUnsupported) {
		t.Fatalf("got %v, want ErrUnsupported", err)
	}
}

func TestClearBootOverride(t *testing.T) {
	e := start(t, emulator.Quirks{BootViaSettings: true})
	ctx := t.Context()
	if err := e.c.SetBootOverride(ctx, redfish.BootOverride{Target: redfish.BootCd}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.ClearBootOverride(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestVirtualMedia(t *testing.T) {
	const iso = "http://10.0.0.1/host7.iso"
	for _, tt := range []struct {
		name         string
		quirks       emulator.Quirks
		wantOmit     bool
		firstCalls   int64
		learnedCalls int64
	}{
		{"standard", emulator.Quirks{}, false, 6, 2},
		{"rejects Inserted", emulator.Quirks{RejectInserted: true}, true, 7, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, tt.quirks)
			ctx := t.Context()
			n := calls(t, e.c, func() error { return e.c.InsertMedia(ctx, iso) })
			if n != tt.firstCalls {
				t.Errorf("first insert took %d calls, want %d", n, tt.firstCalls)
			}
			if got := e.bmc.Image(); got != iso {
				t.Fatalf("BMC holds %q", got)
			}
			if got := e.c.Quirks().MediaOmitInserted; got != tt.wantOmit {
				t.Errorf("MediaOmitInserted = %v", got)
			}
			if n := calls(t, e.c, func() error { return e.c.EjectMedia(ctx) }); n != 2 {
				t.Errorf("eject took %d calls, want 2", n)
			}
			if n := calls(t, e.c, func() error { return e.c.InsertMedia(ctx, iso) }); n != tt.learnedCalls {
				t.Errorf("second insert took %d calls, want %d", n, tt.learnedCalls)
			}
			if err := e.c.EjectMedia(ctx); err != nil {
				t.Fatal(err)
			}
			if err := e.c.EjectMedia(ctx); err != nil {
				t.Errorf("eject of an empty slot: %v", err)
			}
		})
	}
}

func TestPower(t *testing.T) {
	e := start(t, emulator.Quirks{})
	ctx := t.Context()
	if err := e.c.PowerOn(ctx); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.c.PowerState(ctx); s != redfish.PowerOn {
		t.Fatalf("state %s after PowerOn", s)
	}
	if err := e.c.PowerCycle(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := e.c.PowerOff(ctx, true); err != nil {
		t.Fatal(err)
	}
	want := []string{"On:", "GracefulShutdown:", "On:", "GracefulShutdown:"}
	if d := cmp.Diff(want, e.bmc.Machine.Resets()); d != "" {
		t.Errorf("resets (-want +got):\n%s", d)
	}
}

func TestInventory(t *testing.T) {
	e := start(t, emulator.Quirks{})
	inv, err := e.c.Inventory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := []string{inv.UUID.String(), inv.Serial, inv.Manufacturer, inv.Model, inv.BMCFirmware}
	for _, m := range inv.MACs() {
		got = append(got, m.String())
	}
	for _, d := range inv.Disks {
		got = append(got, d.Serial)
	}
	want := []string{"38947555-7742-3448-3784-823347823834", "437XR1138R2", "Contoso", "3500", "1.00",
		"12:44:6a:3b:04:11", "12:44:6a:3b:04:12", "72D0A037FRD26"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("inventory (-want +got):\n%s", d)
	}
}

func TestBasicAuthFallback(t *testing.T) {
	e := start(t, emulator.Quirks{NoSessions: true})
	if _, err := e.c.PowerState(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !e.c.Quirks().NoSessions {
		t.Error("NoSessions not learned")
	}
}

func TestSessionClosed(t *testing.T) {
	e := start(t, emulator.Quirks{})
	if e.bmc.Sessions() != 1 {
		t.Fatalf("%d sessions open", e.bmc.Sessions())
	}
	if err := e.c.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if e.bmc.Sessions() != 0 {
		t.Errorf("%d sessions left after Close", e.bmc.Sessions())
	}
}

func TestBadBMCs(t *testing.T) {
	tests := []struct {
		name      string
		faults    fakebmc.Faults
		call      func(context.Context, *redfish.Client) error
		wantErr   error  // nil: succeeds after retries
		wantInErr string // the error names the call
		wantCalls int64
	}{
		{"503 burst on GET is retried", fakebmc.Faults{Fail5xx: 2}, readPower, nil, "", 3},
		{"500 on GET retried then fails", fakebmc.Faults{Fail5xx: 5, FailStatus: 500}, readPower, nil, "HTTP 500 after 3 attempts", 3},
		{"500 on reset is not retried", fakebmc.Faults{Fail5xx: 5, FailStatus: 500}, reset, nil, "reset On (POST", 1},
		{"503 on reset is retried", fakebmc.Faults{Fail5xx: 1}, reset, nil, "", 2},
		{"malformed JSON retried", fakebmc.Faults{Malformed: 1}, readPower, nil, "", 2},
		{"malformed JSON every time", fakebmc.Faults{Malformed: 9}, readPower, redfish.ErrMalformed, "read power state", 3},
		{"slow BMC times out", fakebmc.Faults{Delay: 300 * time.Millisecond}, readPower, redfish.ErrTimeout, "read power state", 3},
		// net/http itself resends a GET whose reused connection was closed
		// before it was answered; either way the caller sees success.
		{"dropped connection on GET retried", fakebmc.Faults{Drop: 1}, readPower, nil, "", 1},
		{"dropped connection on reset not retried", fakebmc.Faults{Drop: 1}, reset, nil, "reset On", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, emulator.Quirks{})
			cfg := config(e.bmc, e.log)
			cfg.Timeout = 150 * time.Millisecond
			c, err := redfish.Connect(t.Context(), withQuirks(cfg, e.c.Quirks()))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.PowerState(t.Context()); err != nil { // learn paths first
				t.Fatal(err)
			}
			e.bmc.SetFaults(tt.faults)
			before := c.Calls()
			err = tt.call(t.Context(), c)
			if n := c.Calls() - before; n != tt.wantCalls {
				t.Errorf("%d calls, want %d", n, tt.wantCalls)
			}
			switch {
			case tt.wantErr == nil && tt.wantInErr == "":
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
			default:
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.wantInErr) {
					t.Fatalf("got %v, want %v containing %q", err, tt.wantErr, tt.wantInErr)
				}
				if _, ok := errors.AsType[*redfish.Error](err); !ok || !strings.Contains(err.Error(), "bmc 127.0.0.1:") {
					t.Errorf("error does not name the BMC: %v", err)
				}
			}
		})
	}
}

func readPower(ctx context.Context, c *redfish.Client) error {
	_, err := c.PowerState(ctx)
	return err
}

func reset(ctx context.Context, c *redfish.Client) error { return c.Reset(ctx, redfish.ResetOn) }

func TestWrongCredentials(t *testing.T) {
	b := fakebmc.New(t, fakebmc.Options{})
	var log bytes.Buffer
	for _, basic := range []bool{false, true} {
		cfg := config(b, &log)
		cfg.Password = "wrong-" + fakebmc.Password
		cfg.BasicAuth = basic
		c, err := redfish.Connect(t.Context(), cfg)
		if err == nil {
			_, err = c.PowerState(t.Context())
		}
		if !errors.Is(err, redfish.ErrAuth) || !strings.Contains(err.Error(), "HTTP 401") {
			t.Fatalf("basic=%v: got %v, want ErrAuth", basic, err)
		}
		if strings.Contains(err.Error(), fakebmc.Password) {
			t.Errorf("error holds the password: %v", err)
		}
	}
	if strings.Contains(log.String(), fakebmc.Password) {
		t.Errorf("log holds the password:\n%s", log.String())
	}
}

func TestTLS(t *testing.T) {
	b := fakebmc.New(t, fakebmc.Options{TLS: true})
	var log bytes.Buffer
	cfg := config(b, &log)
	_, err := redfish.Connect(t.Context(), cfg)
	if !errors.Is(err, redfish.ErrTLS) || !strings.Contains(err.Error(), "read service root") {
		t.Fatalf("without the CA: %v, want ErrTLS", err)
	}
	if n := b.Calls(); n != 0 {
		t.Errorf("a TLS failure reached the handler %d times", n)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.TLS().Certificate().Raw})
	if err := os.WriteFile(ca, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.CAFile = ca
	c, err := redfish.Connect(t.Context(), cfg)
	if err != nil {
		t.Fatalf("with the CA bundle: %v", err)
	}
	if _, err := c.PowerState(t.Context()); err != nil {
		t.Fatal(err)
	}
	cfg.CAFile, cfg.InsecureSkipVerify = "", true
	if _, err := redfish.Connect(t.Context(), cfg); err != nil {
		t.Fatalf("insecure: %v", err)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	var buf bytes.Buffer
	cfg := redfish.Config{Endpoint: "bmc", Username: "u", Password: "hunter2"}
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cfg", "cfg", cfg, "pw", cfg.Password)
	if strings.Contains(buf.String(), "hunter2") {
		t.Fatalf("secret logged: %s", buf.String())
	}
}
