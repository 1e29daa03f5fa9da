package steps

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/engine"
)

func sig(name, data string) api.Signal {
	return api.Signal{Name: name, Data: json.RawMessage(data)}
}

type waitCase struct {
	name      string
	kind      string
	params    string
	signals   []api.Signal
	now       time.Time
	wantWait  bool
	wantUntil time.Time
	wantErr   *api.StepError
	wantProg  *api.Progress
}

var waitCases = []waitCase{
	{name: "installer: nothing yet", kind: KindWaitInstaller, now: t0, wantWait: true},
	{name: "installer: done", kind: KindWaitInstaller, now: t0, signals: []api.Signal{sig("installer.done", "")}},
	{name: "installer: failed with message and hint", kind: KindWaitInstaller, now: t0,
		signals: []api.Signal{sig("installer.failed", `{"message":"no disk matches","hint":"check the layout's selectors"}`)},
		wantErr: &api.StepError{Code: CodeInstaller, Message: "no disk matches", Hint: "check the layout's selectors"}},
	{name: "installer: failed without data", kind: KindWaitInstaller, now: t0,
		signals: []api.Signal{sig("installer.failed", "")},
		wantErr: &api.StepError{Code: CodeInstaller, Message: "the installer reported a failure without a message", Hint: "read the installer's events and the console of host h1"}},
	{name: "installer: latest progress wins", kind: KindWaitInstaller, now: t0, wantWait: true,
		signals: []api.Signal{
			sig("installer.progress", `{"bytes":10,"total":100}`),
			sig("installer.progress", `{"bytes":60,"total":100}`),
			sig("installer.progress", `not json`),
		},
		wantProg: &api.Progress{Bytes: 60, Total: 100}},
	{name: "installer: progress then done", kind: KindWaitInstaller, now: t0,
		signals:  []api.Signal{sig("installer.progress", `{"bytes":100,"total":100}`), sig("installer.done", "")},
		wantProg: &api.Progress{Bytes: 100, Total: 100}},
	{name: "installer: within timeout waits until it", kind: KindWaitInstaller, params: `{"timeout":"1h"}`,
		now: t0.Add(10 * time.Minute), wantWait: true, wantUntil: t0.Add(time.Hour)},
	{name: "installer: timeout passed", kind: KindWaitInstaller, params: `{"timeout":"1h"}`, now: t0.Add(time.Hour),
		wantErr: &api.StepError{Code: CodeTimeout, Message: "no installer.done signal from host h1 within 1h0m0s",
			Hint: "check the host's console: did it network-boot the installer, and can it reach the server?"}},
	{name: "installer: done beats timeout", kind: KindWaitInstaller, params: `{"timeout":"1h"}`, now: t0.Add(2 * time.Hour),
		signals: []api.Signal{sig("installer.done", "")}},
	{name: "firstboot: installer signals do not count", kind: KindWaitFirstboot, now: t0, wantWait: true,
		signals: []api.Signal{sig("installer.done", ""), sig("installer.failed", `{"message":"x"}`)}},
	{name: "firstboot: done", kind: KindWaitFirstboot, now: t0, signals: []api.Signal{sig("firstboot", "")}},
}

func TestWait(t *testing.T) {
	tests := waitCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.signals = tt.signals
			s, err := build(t, f, tt.now, tt.kind, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Do(t.Context())
			var w *engine.Wait
			if gotWait := errors.As(err, &w); gotWait != tt.wantWait {
				t.Fatalf("Do = %v; want waiting %t", err, tt.wantWait)
			}
			if w != nil && !w.Until.Equal(tt.wantUntil) {
				t.Errorf("wait until %v; want %v", w.Until, tt.wantUntil)
			}
			var se *api.StepError
			errors.As(err, &se)
			if diff := cmp.Diff(tt.wantErr, se); diff != "" {
				t.Errorf("step error (-want +got):\n%s", diff)
			}
			if !tt.wantWait && tt.wantErr == nil && err != nil {
				t.Errorf("Do = %v; want nil", err)
			}
			if diff := cmp.Diff(tt.wantProg, s.(engine.Progresser).Progress()); diff != "" {
				t.Errorf("progress (-want +got):\n%s", diff)
			}
		})
	}
}
