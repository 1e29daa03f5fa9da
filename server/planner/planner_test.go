package planner

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/engine"
	"ingot.dev/ingot/server/steps"
	"ingot.dev/ingot/server/store"
)

type fakeCatalog struct {
	hosts  map[string]api.Host
	groups map[string]api.Hostgroup
	sets   map[string]api.ImageSet
	err    error // returned by every call when set
}

func (f *fakeCatalog) GetHost(_ context.Context, n string) (api.Host, error) {
	return get(f.hosts, n, f.err)
}

func (f *fakeCatalog) GetHostgroup(_ context.Context, n string) (api.Hostgroup, error) {
	return get(f.groups, n, f.err)
}

func (f *fakeCatalog) GetImageSet(_ context.Context, n string) (api.ImageSet, error) {
	return get(f.sets, n, f.err)
}

func get[T any](m map[string]T, n string, err error) (T, error) {
	v, ok := m[n]
	switch {
	case err != nil:
		return v, err
	case !ok:
		return v, store.ErrNotFound
	}
	return v, nil
}

const (
	imgAmdUEFI = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	imgAmdBIOS = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	imgArmUEFI = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
	imgAmdSB   = "sha256:4444444444444444444444444444444444444444444444444444444444444444"
)

func catalog() *fakeCatalog {
	return &fakeCatalog{
		hosts: map[string]api.Host{
			"h1": {Name: "h1", Hostgroup: "web", Boot: api.BootLocal, State: api.HostRegistered},
		},
		groups: map[string]api.Hostgroup{"web": {Name: "web", ImageSet: "debian"}},
		sets: map[string]api.ImageSet{"debian": {Name: "debian", Variants: []api.Variant{
			{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: imgAmdUEFI},
		}}},
	}
}

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestPlan(t *testing.T) {
	p := New(catalog())
	d, err := p.Plan(t.Context(), "h1", Options{CreatedBy: "alice", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := api.Deployment{
		Host: "h1", Hostgroup: "web", ImageSet: "debian", State: api.DeploymentPending,
		CreatedBy: "alice", CreatedAt: now, Deadline: now.Add(2 * time.Hour),
		Steps: []api.Step{
			{Name: "validate", Status: api.StepPending, Params: json.RawMessage(`{"image_set":"debian","variant":"amd64/uefi/sb=false","image":"` + imgAmdUEFI + `"}`)},
			{Name: "installer-token", Status: api.StepPending, Params: json.RawMessage(`{"ttl":"2h0m0s"}`)},
			{Name: "set-boot", Status: api.StepPending, Params: json.RawMessage(`{"previous_boot":"local","previous_state":"registered"}`)},
			{Name: "wait-installer", Status: api.StepPending, Params: json.RawMessage(`{"timeout":"1h0m0s"}`)},
			{Name: "boot-disk", Status: api.StepPending, Params: json.RawMessage(`{}`)},
			{Name: "wait-firstboot", Status: api.StepPending, Params: json.RawMessage(`{}`)},
			{Name: "finish", Status: api.StepPending, Params: json.RawMessage(`{}`)},
		},
	}
	if diff := cmp.Diff(want, d, cmpopts.IgnoreFields(api.Deployment{}, "ID")); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(string(d.ID), "dep_") || len(d.ID) != 4+12+8 {
		t.Errorf("ID = %q; want dep_ and 20 base32 digits", d.ID)
	}
}

// Every planned step must build with the real step kinds: the plan and the
// steps agree on names and params.
func TestPlanBuildsWithBuiltinSteps(t *testing.T) {
	d, err := New(catalog()).Plan(t.Context(), "h1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg := engine.NewRegistry()
	steps.Register(reg, steps.Deps{Hosts: nopDeps{}, Catalog: nopDeps{}, Tokens: nopDeps{}, Signals: nopDeps{}, Events: nopDeps{}})
	if _, err := reg.Build(d); err != nil {
		t.Fatalf("Build(plan): %v", err)
	}
}

type nopDeps struct{}

func (nopDeps) GetHost(context.Context, string) (api.Host, error)          { return api.Host{}, nil }
func (nopDeps) UpdateHost(_ context.Context, h api.Host) (api.Host, error) { return h, nil }

func (nopDeps) GetHostgroup(context.Context, string) (api.Hostgroup, error) {
	return api.Hostgroup{}, nil
}
func (nopDeps) GetImageSet(context.Context, string) (api.ImageSet, error)           { return api.ImageSet{}, nil }
func (nopDeps) IssueInstaller(context.Context, api.Deployment, time.Duration) error { return nil }
func (nopDeps) RevokeInstaller(context.Context, api.DeploymentID) error             { return nil }
func (nopDeps) Signals(context.Context, api.DeploymentID) ([]api.Signal, error)     { return nil, nil }
func (nopDeps) AppendEvents(context.Context, []api.Event) error                     { return nil }

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name      string
		host      string
		change    func(c *fakeCatalog)
		opts      Options
		wantField string
		wantMsg   string
	}{
		{name: "unknown host", host: "nope", wantField: "host", wantMsg: "host nope does not exist"},
		{name: "no hostgroup", host: "h1", change: func(c *fakeCatalog) { c.hosts["h1"] = api.Host{Name: "h1"} }, wantField: "hostgroup", wantMsg: "in no hostgroup"},
		{name: "hostgroup gone", host: "h1", change: func(c *fakeCatalog) { delete(c.groups, "web") }, wantField: "hostgroup", wantMsg: "hostgroup web of host h1"},
		{name: "image set gone", host: "h1", change: func(c *fakeCatalog) { delete(c.sets, "debian") }, wantField: "image_set", wantMsg: "image set debian of hostgroup web"},
		{name: "empty image set", host: "h1", change: func(c *fakeCatalog) { c.sets["debian"] = api.ImageSet{Name: "debian"} }, wantField: "image_set", wantMsg: "no variants"},
		{name: "no variant fits", host: "h1", change: func(c *fakeCatalog) {
			c.hosts["h1"] = api.Host{Name: "h1", Hostgroup: "web", Inventory: api.RawJSON(`{"arch":"arm64","firmware":"bios"}`)}
		}, wantField: "variant", wantMsg: "image set debian has no variant for host h1 (arch=arm64 firmware=bios secure_boot=any); it has amd64/uefi/sb=false"},
		{name: "bad inventory", host: "h1", change: func(c *fakeCatalog) {
			c.hosts["h1"] = api.Host{Name: "h1", Hostgroup: "web", Inventory: api.RawJSON(`{"arch":`)}
		}, wantField: "inventory", wantMsg: "not valid JSON"},
		{name: "negative timeout", host: "h1", opts: Options{Timeout: -time.Minute}, wantField: "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := catalog()
			if tt.change != nil {
				tt.change(c)
			}
			_, err := New(c).Plan(t.Context(), tt.host, tt.opts)
			var pe *PlanError
			if !errors.As(err, &pe) {
				t.Fatalf("Plan error = %v; want a *PlanError", err)
			}
			if pe.Field != tt.wantField || !strings.Contains(pe.Message, tt.wantMsg) {
				t.Errorf("PlanError = %+v; want field %q, message containing %q", pe, tt.wantField, tt.wantMsg)
			}
		})
	}
}

func TestPlanStoreFailureIsNotAPlanError(t *testing.T) {
	c := catalog()
	c.err = errors.New("database is locked")
	_, err := New(c).Plan(t.Context(), "h1", Options{})
	var pe *PlanError
	if err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), "database is locked") {
		t.Errorf("Plan error = %v; want the store error, not a PlanError", err)
	}
}

func TestIDsSortByCreation(t *testing.T) {
	p := New(catalog())
	var ids []string
	times := []time.Time{now, now, now.Add(-time.Second), now.Add(time.Millisecond), now.Add(time.Hour)}
	for _, at := range times {
		d, err := p.Plan(t.Context(), "h1", Options{Now: at})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, string(d.ID))
	}
	if !sort.StringsAreSorted(ids) {
		t.Errorf("IDs %v are not in creation order", ids)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			t.Errorf("IDs %d and %d are equal: %s", i-1, i, ids[i])
		}
	}
	// A later planner (another server) still sorts after, by time alone.
	later, err := New(catalog()).Plan(t.Context(), "h1", Options{Now: now.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if string(later.ID) <= ids[len(ids)-1] {
		t.Errorf("later ID %s sorts before %s", later.ID, ids[len(ids)-1])
	}
}

func TestEncodeTime(t *testing.T) {
	tests := []struct {
		name string
		ms   int64
		want string
	}{
		{name: "zero", ms: 0, want: "000000000000"},
		{name: "one", ms: 1, want: "000000000001"},
		{name: "thirty-two", ms: 32, want: "000000000010"},
		{name: "no ambiguous letters", ms: 31, want: "00000000000z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := encodeTime(tt.ms); got != tt.want {
				t.Errorf("encodeTime(%d) = %q; want %q", tt.ms, got, tt.want)
			}
		})
	}
}
