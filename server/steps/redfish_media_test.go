package steps

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/redfish/emulator"
	"ingot.dev/ingot/redfish/fakebmc"
	"ingot.dev/ingot/server/engine"
)

// fakeMedia mints fixed URLs and records revocations.
type fakeMedia struct {
	mu      sync.Mutex
	err     error
	minted  []api.DeploymentID
	revoked []api.DeploymentID
}

func (m *fakeMedia) Mint(_ context.Context, d api.Deployment) (api.MediaTicket, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return api.MediaTicket{}, m.err
	}
	m.minted = append(m.minted, d.ID)
	return api.MediaTicket{Deployment: d.ID, URL: "http://10.0.0.1:7480/media/secret/ingot.iso"}, nil
}

func (m *fakeMedia) Revoke(id api.DeploymentID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.revoked = append(m.revoked, id)
}

func buildMediaStep(t *testing.T, endpoint string, media *fakeMedia, kind, params string) engine.Step {
	t.Helper()
	f := newFake()
	h := f.hosts["h1"]
	h.BMC = &api.BMC{Endpoint: endpoint}
	f.hosts["h1"] = h
	reg := engine.NewRegistry()
	deps := f.deps(t0)
	deps.BMC, deps.Media = fakeBMCs{}, media
	Register(reg, deps)
	s, err := reg.BuildStep(api.Deployment{ID: "dep_1", Host: "h1", Steps: []api.Step{{Name: kind, Params: []byte(params)}}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func slot(t *testing.T, b *fakebmc.BMC) string {
	t.Helper()
	c, err := fakeBMCs{}.Connect(t.Context(), api.Host{BMC: &api.BMC{Endpoint: b.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := c.(*redfish.Client).MediaState(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestBMCBootVirtualMedia: Do inserts the one-time URL, boots Cd once and
// powers the host on; Undo ejects, revokes and powers it off again.
func TestBMCBootVirtualMedia(t *testing.T) {
	b := fakebmc.New(t, fakebmc.Options{})
	m := &fakeMedia{}
	s := buildMediaStep(t, b.URL(), m, KindBMCBoot, `{"target":"Cd"}`)
	if err := s.Do(t.Context()); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if got := slot(t, b); got != "http://10.0.0.1:7480/media/secret/ingot.iso" {
		t.Errorf("virtual media slot holds %q", got)
	}
	if b.Machine.LastBoot != "Cd" {
		t.Errorf("booted %q; want Cd", b.Machine.LastBoot)
	}
	for range 2 { // idempotent
		if err := s.Undo(t.Context()); err != nil {
			t.Fatalf("Undo: %v", err)
		}
	}
	if got := slot(t, b); got != "" {
		t.Errorf("after Undo the slot holds %q", got)
	}
	if diff := cmp.Diff([]string{"On:Cd", "ForceOff:"}, b.Machine.Resets()); diff != "" {
		t.Errorf("resets (-want +got):\n%s", diff)
	}
	if len(m.minted) != 1 || len(m.revoked) != 2 {
		t.Errorf("minted %v revoked %v; want one mint, a revoke per Undo", m.minted, m.revoked)
	}
}

// TestBMCBootVirtualMediaQuirkAndFailure: a BMC that refuses Inserted still takes
// the media (the redfish quirk), and a failed ISO build is a media error.
func TestBMCBootVirtualMediaQuirkAndFailure(t *testing.T) {
	b := fakebmc.New(t, fakebmc.Options{Quirks: emulator.Quirks{RejectInserted: true}})
	if err := buildMediaStep(t, b.URL(), &fakeMedia{}, KindBMCBoot, `{"target":"Cd"}`).Do(t.Context()); err != nil {
		t.Fatalf("Do on a BMC that rejects Inserted: %v", err)
	}
	m := &fakeMedia{err: errors.New("grub-mkrescue: not found")}
	err := buildMediaStep(t, fakebmc.New(t, fakebmc.Options{}).URL(), m, KindBMCBoot, `{"target":"Cd"}`).Do(t.Context())
	if got := code(err); got != CodeMedia {
		t.Fatalf("Do with a failing ISO build: %v (code %q); want code media", err, got)
	}
}

func TestBMCEject(t *testing.T) {
	b := fakebmc.New(t, fakebmc.Options{})
	m := &fakeMedia{}
	if err := buildMediaStep(t, b.URL(), m, KindBMCBoot, `{"target":"Cd"}`).Do(t.Context()); err != nil {
		t.Fatal(err)
	}
	e := buildMediaStep(t, b.URL(), m, KindBMCEject, `{}`)
	if err := e.Do(t.Context()); err != nil {
		t.Fatalf("eject: %v", err)
	}
	if got := slot(t, b); got != "" || len(m.revoked) != 1 {
		t.Errorf("after eject the slot holds %q, revoked %v", got, m.revoked)
	}
}

func TestBMCBootMediaNeedsMedia(t *testing.T) {
	reg := engine.NewRegistry()
	deps := newFake().deps(t0)
	deps.BMC = fakeBMCs{}
	Register(reg, deps)
	if _, err := reg.BuildStep(api.Deployment{Steps: []api.Step{{Name: KindBMCBoot, Params: []byte(`{"target":"Cd"}`)}}}, 0); err == nil {
		t.Error("target Cd accepted without a media service")
	}
}
