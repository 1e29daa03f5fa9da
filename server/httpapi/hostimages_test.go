package httpapi_test

import (
	"net/http"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/httpapi"
	"ingot.dev/ingot/server/imagecheck/imagechecktest"
)

// TestHostImageOverHTTP materializes a host's image from its hostgroup's
// set with the real manager: one new chunk, the base's chunks shared.
func TestHostImageOverHTTP(t *testing.T) {
	ctx := t.Context()
	e, imgs := newCheckedEnv(t)
	id, _ := importImage(t, e, imgs, "debian", imagechecktest.Block(1), imagechecktest.Block(2))
	must(t)(e.admin.ImageSets().Create(ctx, api.ImageSet{Name: "base", Variants: []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: id}}}))
	must(t)(e.admin.Hostgroups().Create(ctx, api.Hostgroup{Name: "web", ImageSet: "base", Template: api.Template{Hostname: api.StringRule{Allowed: true}}}))
	must(t)(e.admin.Hosts().Create(ctx, api.Host{Name: "web-1", Hostgroup: "web", MACs: []api.MAC{mac("52:54:00:00:00:01")}, Values: api.HostValues{Hostname: "web-1"}}))

	var res httpapi.HostImageResult
	c := e.token("hostgroup:deploy:web", "imageset:deploy:base")
	if err := c.Do(ctx, http.MethodPost, "/v1/hosts/web-1/image", nil, map[string]any{}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Base != id || res.Host != "web-1" || res.NewChunks != 1 || res.NewBytes <= 0 || res.NewBytes >= 1<<20 || res.ExpiresAt.IsZero() {
		t.Fatalf("host image %+v", res)
	}
	if err := imgs.CheckImage(ctx, res.ID); err != nil {
		t.Fatalf("host image does not check: %v", err)
	}
	err := e.admin.Do(ctx, http.MethodPost, "/v1/hosts/nobody/image", nil, map[string]any{}, nil)
	if status(err) != http.StatusNotFound {
		t.Fatalf("host image of an unknown host: %v, want 404", err)
	}
}
