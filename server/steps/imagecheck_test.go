package steps_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/engine"
	"ingot.dev/ingot/server/imagecheck"
	"ingot.dev/ingot/server/imagecheck/imagechecktest"
	"ingot.dev/ingot/server/planner"
	"ingot.dev/ingot/server/steps"
	"ingot.dev/ingot/server/store/sqlstore"
)

type checker struct{ svc *chunkstore.Service }

func (c checker) CheckImage(ctx context.Context, id string) error {
	return imagecheck.Check(ctx, c.svc.Manifests, c.svc.Store, c.svc.Key.Public().(ed25519.PublicKey), id)
}

// A planned deployment's validate step fails, naming the chunk, when a
// chunk of its image left the store after planning.
func TestValidateImageChunkMissing(t *testing.T) {
	ctx := t.Context()
	svc := imagechecktest.NewService(t)
	id, hashes := imagechecktest.Import(t, svc, "debian", imagechecktest.Block(1), imagechecktest.Block(2))
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "ingot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mac, _ := api.ParseMAC("52:54:00:00:00:01")
	_, err1 := st.CreateImage(ctx, api.Image{ID: id, Name: "debian", Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI})
	_, err2 := st.CreateImageSet(ctx, api.ImageSet{Name: "debian", Variants: []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: id}}})
	_, err3 := st.CreateHostgroup(ctx, api.Hostgroup{Name: "web", ImageSet: "debian"})
	_, err4 := st.CreateHost(ctx, api.Host{Name: "h1", Hostgroup: "web", MACs: []api.MAC{mac}, State: api.HostRegistered, Boot: api.BootLocal})
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		t.Fatal(err)
	}
	reg := engine.NewRegistry()
	steps.Register(reg, steps.Deps{Hosts: st, Catalog: st, Tokens: &tokens{}, Signals: st, Events: st, Images: checker{svc}})
	d, err := planner.New(st).Plan(ctx, "h1", planner.Options{CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Steps[0].Name != steps.KindValidate {
		t.Fatalf("first step is %s, want %s", d.Steps[0].Name, steps.KindValidate)
	}
	validate := func() error {
		s, err := reg.BuildStep(d, 0)
		if err != nil {
			t.Fatal(err)
		}
		return s.Do(ctx)
	}
	if err := validate(); err != nil {
		t.Fatalf("validate with the image whole: %v", err)
	}

	// A failure recorded by the scheduled check is surfaced as it is.
	set, _ := st.GetImageSet(ctx, "debian")
	recorded := api.ImageSetCheck{Time: set.UpdatedAt, Status: api.CheckFailed, Error: "variant amd64/uefi/sb=false: chunk 0123 is bad"}
	if err := st.RecordImageSetCheck(ctx, "debian", set.UpdatedAt, recorded); err != nil {
		t.Fatal(err)
	}
	var se *api.StepError
	if err := validate(); !errors.As(err, &se) || !strings.Contains(se.Message, "failed its check") || !strings.Contains(se.Message, "chunk 0123 is bad") {
		t.Fatalf("validate with a failed check recorded = %v", err)
	}
	recorded.Status, recorded.Error = api.CheckOK, ""
	if err := st.RecordImageSetCheck(ctx, "debian", set.UpdatedAt, recorded); err != nil {
		t.Fatal(err)
	}

	if err := svc.Store.Delete(ctx, hashes[1]); err != nil {
		t.Fatal(err)
	}
	err = validate()
	if !errors.As(err, &se) || se.Code != steps.CodeValidate {
		t.Fatalf("validate = %v, want a %s StepError", err, steps.CodeValidate)
	}
	for _, want := range []string{id, hashes[1].String(), "missing"} {
		if !strings.Contains(se.Message, want) {
			t.Errorf("message %q does not name %q", se.Message, want)
		}
	}
	if se.Hint == "" {
		t.Error("StepError has no hint")
	}
}
