package httpapi_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/internal/testenv"
	"ingot.dev/ingot/server/imagecheck/imagechecktest"
	"ingot.dev/ingot/server/setcheck"
)

// TestScheduledCheckBlocksDeploys: a chunk removed from the chunk store
// makes the scheduled check mark the set failed; deploys and assignments
// of the set are then refused naming the chunk; once the chunk is back,
// the next check passes and deploys go ahead.
func TestScheduledCheckBlocksDeploys(t *testing.T) {
	ctx := t.Context()
	e, imgs := newCheckedEnv(t)
	id, hashes := importImage(t, e, imgs, "debian", imagechecktest.Block(1), imagechecktest.Block(2))
	must(t)(e.admin.ImageSets().Create(ctx, api.ImageSet{Name: "base", Variants: []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: id}}}))
	must(t)(e.admin.Hostgroups().Create(ctx, api.Hostgroup{Name: "web", ImageSet: "base"}))
	must(t)(e.admin.Hosts().Create(ctx, api.Host{Name: "web-1", Hostgroup: "web", MACs: []api.MAC{mac("52:54:00:00:00:01")}}))

	rc, err := imgs.Store.Get(ctx, hashes[1])
	if err != nil {
		t.Fatal(err)
	}
	frame, _ := io.ReadAll(rc)
	rc.Close()
	must(t)(nil, imgs.Store.Delete(ctx, hashes[1]))

	sched := &setcheck.Scheduler{Store: e.store, Images: imgs, Interval: 20 * time.Millisecond, Log: slog.New(slog.DiscardHandler)}
	stop := testenv.Serve(t, sched.Run)
	set := waitCheck(t, e, "base", api.CheckFailed)
	stop()
	for _, want := range []string{"amd64/uefi/sb=false", id, hashes[1].String(), "missing from the chunk store"} {
		if !strings.Contains(set.Check.Error, want) {
			t.Errorf("recorded check error %q lacks %q", set.Check.Error, want)
		}
	}

	_, err = e.admin.Deploy(ctx, api.DeployRequest{Hosts: []string{"web-1"}})
	wantRefusal(t, err, "body.hosts[0]", hashes[1].String())
	_, err = e.admin.Hostgroups().Create(ctx, api.Hostgroup{Name: "db", ImageSet: "base"})
	wantRefusal(t, err, "body.image_set", hashes[1].String())

	must(t)(nil, imgs.Store.Put(ctx, hashes[1], bytes.NewReader(frame)))
	checked, err := e.admin.CheckImageSet(ctx, "base")
	if err != nil {
		t.Fatal(err)
	}
	if checked.Check == nil || checked.Check.Status != api.CheckOK {
		t.Fatalf("check after the chunk is back: %+v", checked.Check)
	}
	if _, err := e.admin.Deploy(ctx, api.DeployRequest{Hosts: []string{"web-1"}}); err != nil {
		t.Fatalf("deploy after the set checks ok: %v", err)
	}
	must(t)(e.admin.Hostgroups().Create(ctx, api.Hostgroup{Name: "db", ImageSet: "base"}))
}

// TestAssignmentChecksImages: assigning a set whose image lost a chunk to a
// hostgroup is refused naming the image and the chunk, though no check was
// recorded yet; an update that keeps the set does not check again.
func TestAssignmentChecksImages(t *testing.T) {
	ctx := t.Context()
	e, imgs := newCheckedEnv(t)
	good, _ := importImage(t, e, imgs, "good", imagechecktest.Block(3))
	bad, hashes := importImage(t, e, imgs, "bad", imagechecktest.Block(4))
	must(t)(e.admin.ImageSets().Create(ctx, api.ImageSet{Name: "good", Variants: []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: good}}}))
	must(t)(e.admin.ImageSets().Create(ctx, api.ImageSet{Name: "bad", Variants: []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: bad}}}))
	must(t)(e.admin.Hostgroups().Create(ctx, api.Hostgroup{Name: "web", ImageSet: "good"}))
	must(t)(nil, imgs.Store.Delete(ctx, hashes[0]))

	_, err := e.admin.Hostgroups().Put(ctx, "web", api.Hostgroup{Name: "web", ImageSet: "bad"})
	wantRefusal(t, err, "body.image_set", bad)
	_, err = e.admin.Hostgroups().Create(ctx, api.Hostgroup{Name: "db", ImageSet: "bad"})
	wantRefusal(t, err, "body.image_set", hashes[0].String())
	must(t)(e.admin.Hostgroups().Put(ctx, "web", api.Hostgroup{Name: "web", ImageSet: "good", MaxConcurrent: 3}))
}

func waitCheck(t *testing.T, e *env, name string, want api.CheckStatus) api.ImageSet {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		set, err := e.admin.ImageSets().Get(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		if set.Check != nil && set.Check.Status == want {
			return set
		}
		if time.Now().After(deadline) {
			t.Fatalf("image set %s check: %+v, want %s", name, set.Check, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func wantRefusal(t *testing.T, err error, location, mention string) {
	t.Helper()
	var p *api.Problem
	if !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity || len(p.Errors) == 0 {
		t.Fatalf("got %v, want a 422 problem", err)
	}
	if p.Errors[0].Location != location || !strings.Contains(p.Errors[0].Message, mention) {
		t.Fatalf("problem error %+v, want at %s mentioning %s", p.Errors[0], location, mention)
	}
}
