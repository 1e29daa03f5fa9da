// Package storetest is the conformance suite every store.Store
// implementation runs: the behaviour server/store documents, checked
// against a fresh database per test.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// Run runs the suite. open must return a store on a fresh, empty database
// and close it when the test ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Images", testImages},
		{"ImageSets", testImageSets},
		{"Hostgroups", testHostgroups},
		{"Hosts", testHosts},
		{"HostMACConflicts", testHostMACConflicts},
		{"HostList", testHostList},
		{"Credentials", testCredentials},
		{"RecoveryKeys", testRecoveryKeys},
		{"Tokens", testTokens},
		{"Audit", testAudit},
		{"Deployments", testDeployments},
		{"DeploymentsAllOrNothing", testDeploymentsAllOrNothing},
		{"DeploymentList", testDeploymentList},
		{"Events", testEvents},
		{"SaveFenced", testSaveFenced},
		{"ClaimLease", testClaimLease},
		{"ClaimWake", testClaimWake},
		{"ClaimGlobalCap", testClaimGlobalCap},
		{"ClaimHostgroupCap", testClaimHostgroupCap},
		{"ReleaseAll", testReleaseAll},
		{"Leases", testLeases},
		{"Rollouts", testRollouts},
		{"BMCQuirks", testBMCQuirks},
		{"Builds", testBuilds},
		{"BuildCancel", testBuildCancel},
		{"BuildLog", testBuildLog},
		{"ImageSetCheck", testImageSetCheck},
		{"HostImages", testHostImages},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// cmpOpts compares api values: netip types by value.
var cmpOpts = []cmp.Option{cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpOpts...); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// must returns v, or fails the test given to the returned function:
// must(s.GetHost(ctx, name))(t).
func must[T any](v T, err error) func(t testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantConflict fails unless err is a *store.ConflictError on field.
func wantConflict(t *testing.T, err error, field string) *store.ConflictError {
	t.Helper()
	var ce *store.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("got error %v, want a conflict on %q", err, field)
	}
	if ce.Field != field {
		t.Fatalf("conflict on %q (%s), want %q", ce.Field, ce.Message, field)
	}
	return ce
}

func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("got error %v, want ErrNotFound", err)
	}
}

// walk pages through a list with page size limit and returns every item,
// failing on an empty page or a page that overruns the limit.
func walk[T any](t *testing.T, limit int, list func(store.ListOptions) (api.Page[T], error)) []T {
	t.Helper()
	var all []T
	opt := store.ListOptions{Limit: limit}
	for i := 0; ; i++ {
		p, err := list(opt)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) > limit || (p.NextCursor != "" && len(p.Items) != limit) {
			t.Fatalf("page %d has %d items with limit %d, next %q", i, len(p.Items), limit, p.NextCursor)
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			return all
		}
		if i > 10000 {
			t.Fatal("pagination does not end")
		}
		opt.Cursor = p.NextCursor
	}
}

// fixture holds the objects most tests need.
type fixture struct {
	ctx   context.Context
	image api.Image
	set   api.ImageSet
	group api.Hostgroup
}

func imageID(n int) string { return fmt.Sprintf("sha256:%064x", n) }

func mac(t *testing.T, n int) api.MAC {
	t.Helper()
	return must(api.ParseMAC(fmt.Sprintf("52:54:00:%02x:%02x:%02x", n>>16&0xff, n>>8&0xff, n&0xff)))(t)
}

func newFixture(t *testing.T, s store.Store) *fixture {
	t.Helper()
	f := &fixture{ctx: context.Background()}
	f.image = must(s.CreateImage(f.ctx, api.Image{ID: imageID(1), Name: "debian", Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI}))(t)
	f.set = must(s.CreateImageSet(f.ctx, api.ImageSet{Name: "debian", Variants: []api.Variant{
		{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: f.image.ID}}}))(t)
	f.group = f.newGroup(t, s, "web", 0)
	return f
}

func (f *fixture) newGroup(t *testing.T, s store.Store, name string, maxConcurrent int) api.Hostgroup {
	t.Helper()
	return must(s.CreateHostgroup(f.ctx, api.Hostgroup{Name: name, ImageSet: f.set.Name, MaxConcurrent: maxConcurrent}))(t)
}

// hosts creates n hosts named prefix-i in group.
func (f *fixture) hosts(t *testing.T, s store.Store, prefix, group string, n int) []string {
	t.Helper()
	var names []string
	for i := range n {
		h := must(s.CreateHost(f.ctx, api.Host{Name: fmt.Sprintf("%s-%03d", prefix, i), Hostgroup: group}))(t)
		names = append(names, h.Name)
	}
	return names
}

// deploy creates one pending deployment per host, created a second apart
// from base so that their age order is the order of hosts.
func (f *fixture) deploy(t *testing.T, s store.Store, group string, base time.Time, hosts ...string) []api.Deployment {
	t.Helper()
	ds := make([]api.Deployment, len(hosts))
	for i, h := range hosts {
		ds[i] = api.Deployment{
			ID:        api.DeploymentID(fmt.Sprintf("d-%s-%s", base.Format("150405.000000"), h)),
			Host:      h,
			Hostgroup: group,
			ImageSet:  f.set.Name,
			Steps:     []api.Step{{Name: "plan", Status: api.StepPending}},
			CreatedAt: base.Add(time.Duration(i) * time.Second),
		}
	}
	check(t, s.CreateDeployments(f.ctx, ds))
	return ds
}

func ids(ds []api.Deployment) []api.DeploymentID {
	out := []api.DeploymentID{}
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

// containsAll reports whether s contains every one of subs.
func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func sortedIDs(ds []api.Deployment) []api.DeploymentID {
	out := ids(ds)
	slices.Sort(out)
	return out
}
