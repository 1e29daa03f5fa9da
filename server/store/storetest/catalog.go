package storetest

import (
	"context"
	"fmt"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

func testImages(t *testing.T, s store.Store) {
	ctx := context.Background()
	var created []api.Image
	for i := range 7 {
		img := api.Image{ID: imageID(7 - i), Name: "img", Arch: api.ArchARM64, Firmware: api.FirmwareBIOS, OS: "debian-12", Size: int64(i) << 30}
		got := must(s.CreateImage(ctx, img))(t)
		if got.CreatedAt.IsZero() {
			t.Errorf("CreateImage did not set CreatedAt")
		}
		created = append([]api.Image{got}, created...) // IDs descend, so prepend to sort
	}
	diff(t, "GetImage", created[0], must(s.GetImage(ctx, created[0].ID))(t))
	diff(t, "ListImages", created, walk(t, 3, func(o store.ListOptions) (api.Page[api.Image], error) { return s.ListImages(ctx, o) }))

	_, err := s.CreateImage(ctx, api.Image{ID: created[0].ID, Name: "again"})
	wantConflict(t, err, "id")
	_, err = s.GetImage(ctx, imageID(99))
	wantNotFound(t, err)
	wantNotFound(t, s.DeleteImage(ctx, imageID(99)))

	_ = must(s.CreateImageSet(ctx, api.ImageSet{Name: "set", Variants: []api.Variant{{Image: created[1].ID}}}))(t)
	ce := wantConflict(t, s.DeleteImage(ctx, created[1].ID), "id")
	if !containsAll(ce.Message, "set") {
		t.Errorf("conflict message %q does not name the set", ce.Message)
	}
	check(t, s.DeleteImage(ctx, created[0].ID))
	_, err = s.GetImage(ctx, created[0].ID)
	wantNotFound(t, err)
}

func testImageSets(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		must(s.CreateImage(ctx, api.Image{ID: imageID(i), Name: "img", Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI}))(t)
	}
	set := api.ImageSet{Name: "debian", Description: "Debian 12", Variants: []api.Variant{
		{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, SecureBoot: true, Image: imageID(1)},
		{Arch: api.ArchARM64, Firmware: api.FirmwareUEFI, Image: imageID(2)},
	}}
	got := must(s.CreateImageSet(ctx, set))(t)
	set.CreatedAt, set.UpdatedAt = got.CreatedAt, got.UpdatedAt
	diff(t, "CreateImageSet", set, got)
	diff(t, "GetImageSet", set, must(s.GetImageSet(ctx, "debian"))(t))

	_, err := s.CreateImageSet(ctx, set)
	wantConflict(t, err, "name")
	bad := api.ImageSet{Name: "bad", Variants: []api.Variant{{Image: imageID(1)}, {Image: imageID(42)}}}
	_, err = s.CreateImageSet(ctx, bad)
	wantConflict(t, err, "variants[1].image")
	_, err = s.GetImageSet(ctx, "bad")
	wantNotFound(t, err) // nothing half-written

	set.Variants = []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareBIOS, Image: imageID(3)}}
	set.Description = "changed"
	upd := must(s.UpdateImageSet(ctx, set))(t)
	set.UpdatedAt = upd.UpdatedAt
	diff(t, "UpdateImageSet", set, upd)
	check(t, s.DeleteImage(ctx, imageID(1))) // no longer used
	wantConflict(t, s.DeleteImage(ctx, imageID(3)), "id")
	_, err = s.UpdateImageSet(ctx, api.ImageSet{Name: "nope"})
	wantNotFound(t, err)
	_, err = s.UpdateImageSet(ctx, api.ImageSet{Name: "debian", Variants: []api.Variant{{Image: imageID(77)}}})
	wantConflict(t, err, "variants[0].image")
	diff(t, "set after failed update", set, must(s.GetImageSet(ctx, "debian"))(t))

	must(s.CreateHostgroup(ctx, api.Hostgroup{Name: "g", ImageSet: "debian"}))(t)
	wantConflict(t, s.DeleteImageSet(ctx, "debian"), "name")
	must(s.CreateImageSet(ctx, api.ImageSet{Name: "empty"}))(t)
	check(t, s.DeleteImageSet(ctx, "empty"))
	wantNotFound(t, s.DeleteImageSet(ctx, "empty"))

	names := []string{"debian"}
	for i := range 4 {
		names = append(names, must(s.CreateImageSet(ctx, api.ImageSet{Name: fmt.Sprintf("s%d", i)}))(t).Name)
	}
	var got2 []string
	for _, s := range walk(t, 2, func(o store.ListOptions) (api.Page[api.ImageSet], error) { return s.ListImageSets(ctx, o) }) {
		got2 = append(got2, s.Name)
	}
	diff(t, "ListImageSets", names, got2)
}

func testHostgroups(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	g := api.Hostgroup{
		Name: "db", Description: "databases", ImageSet: f.set.Name, Layout: "mirror+cis", Encryption: "tang",
		BootPath: api.BootRedfishVMedia, MaxConcurrent: 3,
		FirstBoot: api.FirstBoot{Packages: []string{"postgresql"}, RunCmd: []string{"true"}, UserData: "#cloud-config\n"},
		Template: api.Template{
			Hostname: api.StringRule{Allowed: true, Required: true, Pattern: "^db[0-9]+$"},
			SSHKeys:  api.ListRule{Allowed: true, Max: 4},
			Files:    api.FileRule{Allowed: true, Paths: []string{"/etc/*"}, MaxBytes: 1024},
		},
	}
	got := must(s.CreateHostgroup(f.ctx, g))(t)
	g.CreatedAt, g.UpdatedAt = got.CreatedAt, got.UpdatedAt
	diff(t, "CreateHostgroup", g, got)
	diff(t, "GetHostgroup", g, must(s.GetHostgroup(f.ctx, "db"))(t))

	_, err := s.CreateHostgroup(f.ctx, g)
	wantConflict(t, err, "name")
	_, err = s.CreateHostgroup(f.ctx, api.Hostgroup{Name: "x", ImageSet: "nope"})
	wantConflict(t, err, "image_set")
	_, err = s.UpdateHostgroup(f.ctx, api.Hostgroup{Name: "db", ImageSet: "nope"})
	wantConflict(t, err, "image_set")
	_, err = s.UpdateHostgroup(f.ctx, api.Hostgroup{Name: "nope", ImageSet: f.set.Name})
	wantNotFound(t, err)

	g.MaxConcurrent, g.Layout = 0, "single"
	upd := must(s.UpdateHostgroup(f.ctx, g))(t)
	g.UpdatedAt = upd.UpdatedAt
	diff(t, "UpdateHostgroup", g, upd)

	must(s.CreateHost(f.ctx, api.Host{Name: "db1", Hostgroup: "db"}))(t)
	wantConflict(t, s.DeleteHostgroup(f.ctx, "db"), "name")
	check(t, s.DeleteHost(f.ctx, "db1"))
	check(t, s.DeleteHostgroup(f.ctx, "db"))
	wantNotFound(t, s.DeleteHostgroup(f.ctx, "db"))

	want := []string{"web"}
	for i := range 5 {
		want = append(want, f.newGroup(t, s, fmt.Sprintf("x%d", i), 0).Name)
	}
	var names []string
	for _, g := range walk(t, 4, func(o store.ListOptions) (api.Page[api.Hostgroup], error) { return s.ListHostgroups(f.ctx, o) }) {
		names = append(names, g.Name)
	}
	diff(t, "ListHostgroups", want, names)
}
