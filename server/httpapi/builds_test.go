package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/internal/testenv"
)

// TestBuildJobOverHTTP submits a build of a small raw disk with the real
// import backend, follows its log live and finds the image in the set.
func TestBuildJobOverHTTP(t *testing.T) {
	e := newEnv(t)
	testenv.Serve(t, e.builds.Run)
	ctx := context.Background()
	disk := make([]byte, 8<<20)
	copy(disk[4<<20:], "not all zero")
	must(t)(nil, os.MkdirAll(filepath.Join(e.dir, "imports"), 0o755))
	must(t)(nil, os.WriteFile(filepath.Join(e.dir, "imports", "deb.raw"), disk, 0o644))

	c := e.token("image:build", "imageset:manage:debian")
	b, err := c.SubmitBuild(ctx, api.BuildRequest{Recipe: api.RawJSON(`{"name":"deb","backend":"import","file":"deb.raw","firmware":"bios"}`), ImageSet: "debian"})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	final, err := c.FollowBuild(ctx, b.ID, 0, func(l api.BuildLogLine) error {
		lines = append(lines, l.Line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if final.State != api.BuildSucceeded || final.Image == "" {
		t.Fatalf("build ended %+v", final)
	}
	log := strings.Join(lines, "\n")
	if !strings.Contains(log, "phase publish") || !strings.Contains(log, "registered image "+final.Image) {
		t.Errorf("streamed log:\n%s", log)
	}
	set, err := c.ImageSets().Get(ctx, "debian")
	if err != nil || len(set.Variants) != 1 || set.Variants[0].Image != final.Image || set.Variants[0].Firmware != api.FirmwareBIOS {
		t.Fatalf("image set %+v, %v", set, err)
	}
	got, err := c.Builds().Get(ctx, string(b.ID))
	if err != nil || got.State != api.BuildSucceeded {
		t.Fatalf("get build: %+v, %v", got, err)
	}
	if p, err := c.Builds().List(ctx, 10, "", nil); err != nil || len(p.Items) != 1 {
		t.Fatalf("list builds: %+v, %v", p, err)
	}
	if _, err := c.CancelBuild(ctx, b.ID); status(err) != http.StatusConflict {
		t.Fatalf("cancelling a finished build: %v, want 409", err)
	}
}

func TestBuildCancelQueuedOverHTTP(t *testing.T) {
	e := newEnv(t) // the runner is not running: the build stays queued
	c := e.token("image:build", "imageset:manage:deb")
	b, err := c.SubmitBuild(context.Background(), api.BuildRequest{Recipe: api.RawJSON(`{"name":"deb","backend":"import","file":"deb.raw"}`)})
	if err != nil || b.State != api.BuildQueued || b.ImageSet != "deb" {
		t.Fatalf("submit: %+v, %v", b, err)
	}
	b, err = c.CancelBuild(context.Background(), b.ID)
	if err != nil || b.State != api.BuildCancelled {
		t.Fatalf("cancel: %+v, %v", b, err)
	}
	if _, err := c.CancelBuild(context.Background(), "bld_nope"); status(err) != http.StatusNotFound {
		t.Fatalf("cancelling a missing build: %v, want 404", err)
	}
}

func TestBuildBadRecipeIs400WithFieldPath(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ name, recipe, location, msg string }{
		{"unknown nested field", `{"name":"deb","backend":"import","file":"d.raw","layout":{"presets":"cis"}}`, "body.recipe.layout.presets", "unknown field"},
		{"unknown backend", `{"name":"deb","backend":"kiwi"}`, "body.recipe.backend", `unknown backend "kiwi"`},
		{"import file outside the import directory", `{"name":"deb","backend":"import","file":"/etc/shadow"}`, "body.recipe.file", "import directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.admin.SubmitBuild(context.Background(), api.BuildRequest{Recipe: api.RawJSON(tt.recipe), ImageSet: "deb"})
			var p *api.Problem
			if !errors.As(err, &p) || p.Status != http.StatusBadRequest || len(p.Errors) != 1 {
				t.Fatalf("got %v, want a 400 problem with one error", err)
			}
			if p.Errors[0].Location != tt.location || !strings.Contains(p.Errors[0].Message, tt.msg) {
				t.Fatalf("problem error %+v, want at %s saying ...%s...", p.Errors[0], tt.location, tt.msg)
			}
		})
	}
	if p, _ := e.admin.Builds().List(context.Background(), 10, "", nil); len(p.Items) != 0 {
		t.Fatalf("bad recipes were queued: %+v", p.Items)
	}
}
