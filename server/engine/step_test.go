package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
)

func nopFactory(api.Deployment, int, json.RawMessage) (Step, error) { return nil, nil }

func TestRegistryNames(t *testing.T) {
	reg := NewRegistry()
	for _, n := range []string{"finish", "validate", "notify"} {
		reg.Register(n, nopFactory)
	}
	if diff := cmp.Diff([]string{"finish", "notify", "validate"}, reg.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
}

func TestRegisterPanics(t *testing.T) {
	tests := []struct {
		name string
		reg  func(r *Registry)
	}{
		{name: "empty name", reg: func(r *Registry) { r.Register("", nopFactory) }},
		{name: "nil factory", reg: func(r *Registry) { r.Register("x", nil) }},
		{name: "duplicate", reg: func(r *Registry) { r.Register("x", nopFactory); r.Register("x", nopFactory) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Register did not panic")
				}
			}()
			tt.reg(NewRegistry())
		})
	}
}

func TestBuild(t *testing.T) {
	rec := &recorder{}
	reg := testRegistry(rec, newFakeStore())
	tests := []struct {
		name    string
		steps   []api.Step
		wantErr string
	}{
		{name: "all known", steps: []api.Step{{Name: "test"}, {Name: "test", Params: json.RawMessage(`{"fail":true}`)}}},
		{name: "unknown kind", steps: []api.Step{{Name: "test"}, {Name: "reboot"}}, wantErr: `step 1 "reboot": unknown step kind`},
		{name: "bad params", steps: []api.Step{{Name: "test", Params: json.RawMessage(`{"fial":true}`)}}, wantErr: `step 0 "test": params`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := reg.Build(api.Deployment{Steps: tt.steps})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Build error = %v; want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != len(tt.steps) {
				t.Fatalf("Build = %d steps, %v; want %d steps", len(got), err, len(tt.steps))
			}
		})
	}
}

func TestWakeAt(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	tests := []struct {
		name            string
		until, deadline time.Time
		want            time.Time
	}{
		{name: "signal only, no deadline", want: time.Time{}},
		{name: "signal only, deadline", deadline: t1, want: t1},
		{name: "until before deadline", until: t0, deadline: t1, want: t0},
		{name: "deadline before until", until: t1, deadline: t0, want: t0},
		{name: "until, no deadline", until: t1, want: t1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wakeAt(tt.until, tt.deadline); !got.Equal(tt.want) {
				t.Errorf("wakeAt = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestAsWait(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "sentinel", err: ErrWait, want: true},
		{name: "wrapped", err: fmt.Errorf("no signal yet: %w", &Wait{Reason: "x"}), want: true},
		{name: "plain error", err: errors.New("boom"), want: false},
		{name: "nil", err: nil, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := asWait(tt.err); got != tt.want {
				t.Errorf("asWait = %t; want %t", got, tt.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{name: "zero means defaults", cfg: Config{}},
		{name: "negative TTL", cfg: Config{LeaseTTL: -time.Second}, wantErr: true},
		{name: "tiny TTL", cfg: Config{LeaseTTL: time.Microsecond}, wantErr: true},
		{name: "negative poll", cfg: Config{PollInterval: -1}, wantErr: true},
		{name: "negative cap", cfg: Config{GlobalCap: -1}, wantErr: true},
		{name: "negative workers", cfg: Config{Workers: -2}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate = %v; want error %t", err, tt.wantErr)
			}
		})
	}
}
