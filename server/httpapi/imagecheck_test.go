package httpapi_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/hostimage"
	"ingot.dev/ingot/server/httpapi"
	"ingot.dev/ingot/server/imagecheck"
	"ingot.dev/ingot/server/imagecheck/imagechecktest"
	"ingot.dev/ingot/server/planner"
	"ingot.dev/ingot/server/rollout"
	"ingot.dev/ingot/server/secret"
	"ingot.dev/ingot/server/setcheck"
	"ingot.dev/ingot/server/store/sqlstore"
)

// checkedImages adds image checks and garbage collection to images, as the
// server's image service does.
type checkedImages struct{ images }

func (c checkedImages) pub() ed25519.PublicKey { return c.Key.Public().(ed25519.PublicKey) }

func (c checkedImages) CheckImage(ctx context.Context, id string) error {
	return imagecheck.Check(ctx, c.Manifests, c.Store, c.pub(), id)
}

func (c checkedImages) CollectImages(ctx context.Context, keep []string, grace time.Duration, dryRun bool) (httpapi.ImageGCResult, error) {
	res, err := imagecheck.Collect(ctx, c.Manifests, c.Store.(*chunkstore.Local), c.pub(), keep, grace, dryRun)
	return httpapi.ImageGCResult{DryRun: dryRun, Chunks: res.Deleted, Bytes: res.FreedBytes, Kept: res.Kept}, err
}

// newCheckedEnv is newEnv with checked images.
func newCheckedEnv(t *testing.T) (*env, checkedImages) {
	t.Helper()
	st, err := sqlstore.Open(t.Context(), filepath.Join(t.TempDir(), "ingot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	imgs := checkedImages{images{imagechecktest.NewService(t)}}
	mux := http.NewServeMux()
	httpapi.New(mux, httpapi.Deps{Store: st, Box: box, Planner: planner.New(st), Engine: nopWaker{}, Images: imgs,
		Rollouts:   rollout.New(st, planner.New(st), rollout.Config{}, slog.New(slog.DiscardHandler)),
		SetChecker: &setcheck.Scheduler{Store: st, Images: imgs, Log: slog.New(slog.DiscardHandler)},
		HostImages: &hostimage.Manager{Store: st, Images: imgs.Service},
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &env{t: t, store: st, url: srv.URL}
	e.admin, e.secret = e.tokenSecret("admin")
	return e, imgs
}

// importImage imports blocks as an image and adds it to the catalog.
func importImage(t *testing.T, e *env, imgs checkedImages, name string, blocks ...[]byte) (string, []manifest.Hash) {
	t.Helper()
	id, hashes := imagechecktest.Import(t, imgs.Service, name, blocks...)
	must(t)(e.store.CreateImage(t.Context(), api.Image{ID: id, Name: name, Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI}))
	return id, hashes
}

func TestImageSetRefusesBrokenImage(t *testing.T) {
	ctx := t.Context()
	e, imgs := newCheckedEnv(t)
	id, hashes := importImage(t, e, imgs, "debian", imagechecktest.Block(1), imagechecktest.Block(2))
	set := api.ImageSet{Name: "base", Variants: []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: id}}}
	must(t)(e.admin.ImageSets().Create(ctx, set))

	must(t)(nil, imgs.Store.Delete(ctx, hashes[1]))
	_, err := e.admin.ImageSets().Put(ctx, "base", set)
	var p *api.Problem
	if !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("update with a chunk gone = %v, want 422", err)
	}
	if len(p.Errors) != 1 || p.Errors[0].Location != "body.variants[0].image" {
		t.Fatalf("errors = %+v, want one at body.variants[0].image", p.Errors)
	}
	for _, want := range []string{id, hashes[1].String(), "re-import"} {
		if !strings.Contains(p.Errors[0].Message, want) {
			t.Errorf("message %q does not mention %q", p.Errors[0].Message, want)
		}
	}
}

func TestImageGC(t *testing.T) {
	ctx := t.Context()
	e, imgs := newCheckedEnv(t)
	shared, onlyA, onlyB := imagechecktest.Block(1), imagechecktest.Block(2), imagechecktest.Block(3)
	idA, hashesA := importImage(t, e, imgs, "a", shared, onlyA)
	idB, _ := importImage(t, e, imgs, "b", shared, onlyB, onlyB)
	gc := func(dry bool) httpapi.ImageGCResult {
		t.Helper()
		var res httpapi.ImageGCResult
		if err := e.admin.Do(ctx, http.MethodPost, "/v1/images/gc", nil, httpapi.ImageGCRequest{DryRun: dry, Grace: "0s"}, &res); err != nil {
			t.Fatalf("gc: %v", err)
		}
		return res
	}
	if res := gc(true); res.Chunks != 0 {
		t.Fatalf("dry run with both images = %+v, want nothing to reclaim", res)
	}
	if err := e.admin.Images().Delete(ctx, idA); err != nil {
		t.Fatal(err)
	}
	size, err := imgs.Store.Stat(ctx, hashesA[1])
	if err != nil {
		t.Fatal(err)
	}
	want := httpapi.ImageGCResult{DryRun: true, Chunks: 1, Bytes: size, Kept: 2}
	if diff := cmp.Diff(want, gc(true)); diff != "" {
		t.Errorf("dry run (-want +got):\n%s", diff)
	}
	if ok, _ := imgs.Store.Has(ctx, hashesA[1]); !ok {
		t.Fatal("dry run deleted a chunk")
	}
	want.DryRun = false
	if diff := cmp.Diff(want, gc(false)); diff != "" {
		t.Errorf("gc (-want +got):\n%s", diff)
	}
	if ok, _ := imgs.Store.Has(ctx, hashesA[1]); ok {
		t.Error("gc kept image a's own chunk")
	}
	if ok, _ := imgs.Store.Has(ctx, hashesA[0]); !ok {
		t.Error("gc deleted the chunk image b shares")
	}
	deep := imagecheck.Checker{Manifests: imgs.Manifests, Chunks: imgs.Store, Key: imgs.pub(), Deep: true}
	if err := deep.Check(ctx, idB); err != nil {
		t.Errorf("image b after gc: %v", err)
	}
}

// A catalog image whose reference set was lost keeps its chunks.
func TestImageGCKeepsCatalogImages(t *testing.T) {
	ctx := t.Context()
	e, imgs := newCheckedEnv(t)
	id, hashes := importImage(t, e, imgs, "a", imagechecktest.Block(1))
	must(t)(nil, imgs.Store.Unref(ctx, id))
	var res httpapi.ImageGCResult
	if err := e.admin.Do(ctx, http.MethodPost, "/v1/images/gc", nil, httpapi.ImageGCRequest{Grace: "0s"}, &res); err != nil {
		t.Fatal(err)
	}
	if ok, _ := imgs.Store.Has(ctx, hashes[0]); !ok || res.Chunks != 0 {
		t.Fatalf("gc = %+v and deleted a catalog image's chunk", res)
	}
}

func TestImageGCAdminOnly(t *testing.T) {
	e, _ := newCheckedEnv(t)
	err := e.token("imageset:manage:base").Do(t.Context(), http.MethodPost, "/v1/images/gc", nil, httpapi.ImageGCRequest{DryRun: true}, nil)
	var p *api.Problem
	if !errors.As(err, &p) || p.Status != http.StatusForbidden {
		t.Fatalf("gc without admin = %v, want 403", err)
	}
	err = e.admin.Do(t.Context(), http.MethodPost, "/v1/images/gc", nil, httpapi.ImageGCRequest{Grace: "soon"}, nil)
	if !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("gc with a bad grace = %v, want 422", err)
	}
}
