package steps

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/engine"
	"ingot.dev/ingot/server/store"
)

// fakeDeps is an in-memory stand-in for the store and the token service.
type fakeDeps struct {
	hosts   map[string]api.Host
	groups  map[string]api.Hostgroup
	sets    map[string]api.ImageSet
	tokens  map[api.DeploymentID]time.Duration
	signals []api.Signal
	events  []api.Event
	updates int
}

const imgA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func newFake() *fakeDeps {
	return &fakeDeps{
		hosts:  map[string]api.Host{"h1": {Name: "h1", Hostgroup: "web", State: api.HostRegistered, Boot: api.BootLocal}},
		groups: map[string]api.Hostgroup{"web": {Name: "web", ImageSet: "debian"}},
		sets: map[string]api.ImageSet{"debian": {Name: "debian", Variants: []api.Variant{
			{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: imgA},
		}}},
		tokens: map[api.DeploymentID]time.Duration{},
	}
}

func (f *fakeDeps) GetHost(_ context.Context, name string) (api.Host, error) {
	h, ok := f.hosts[name]
	if !ok {
		return api.Host{}, store.ErrNotFound
	}
	return h, nil
}

func (f *fakeDeps) UpdateHost(_ context.Context, h api.Host) (api.Host, error) {
	if _, ok := f.hosts[h.Name]; !ok {
		return api.Host{}, store.ErrNotFound
	}
	f.hosts[h.Name] = h
	f.updates++
	return h, nil
}

func (f *fakeDeps) GetHostgroup(_ context.Context, name string) (api.Hostgroup, error) {
	g, ok := f.groups[name]
	if !ok {
		return api.Hostgroup{}, store.ErrNotFound
	}
	return g, nil
}

func (f *fakeDeps) GetImageSet(_ context.Context, name string) (api.ImageSet, error) {
	s, ok := f.sets[name]
	if !ok {
		return api.ImageSet{}, store.ErrNotFound
	}
	return s, nil
}

func (f *fakeDeps) IssueInstaller(_ context.Context, d api.Deployment, ttl time.Duration) error {
	f.tokens[d.ID] = ttl
	return nil
}

func (f *fakeDeps) RevokeInstaller(_ context.Context, id api.DeploymentID) error {
	delete(f.tokens, id)
	return nil
}

func (f *fakeDeps) Signals(context.Context, api.DeploymentID) ([]api.Signal, error) {
	return f.signals, nil
}

func (f *fakeDeps) AppendEvents(_ context.Context, evs []api.Event) error {
	f.events = append(f.events, evs...)
	return nil
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func (f *fakeDeps) deps(now time.Time) Deps {
	return Deps{Hosts: f, Catalog: f, Tokens: f, Signals: f, Events: f, Now: func() time.Time { return now }}
}

// build registers the built-in steps over f and builds a one-step
// deployment of the given kind, started at t0.
func build(t *testing.T, f *fakeDeps, now time.Time, kind, params string) (engine.Step, error) {
	t.Helper()
	reg := engine.NewRegistry()
	Register(reg, f.deps(now))
	d := api.Deployment{
		ID: "dep_1", Host: "h1", Hostgroup: "web", ImageSet: "debian",
		Steps: []api.Step{{Name: kind, Params: json.RawMessage(params), Status: api.StepRunning, StartedAt: t0}},
	}
	return reg.BuildStep(d, 0)
}

// code is the StepError code of err, "" for nil, "plain" for other errors.
func code(err error) string {
	var se *api.StepError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return se.Code
	}
	return "plain"
}
