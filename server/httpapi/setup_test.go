package httpapi_test

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/client"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/imagebuild/rawimport"
	"ingot.dev/ingot/redfish"
	"ingot.dev/ingot/server/auth"
	"ingot.dev/ingot/server/builds"
	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/hostimage"
	"ingot.dev/ingot/server/httpapi"
	"ingot.dev/ingot/server/planner"
	"ingot.dev/ingot/server/rollout"
	"ingot.dev/ingot/server/secret"
	"ingot.dev/ingot/server/setcheck"
	"ingot.dev/ingot/server/sitekit"
	"ingot.dev/ingot/server/store"
	"ingot.dev/ingot/server/store/sqlstore"
)

// fakeMedia mints a ticket for any host (hostmedia has its own tests).
type fakeMedia struct{}

func (fakeMedia) MintForHost(_ context.Context, host string) (api.MediaTicket, error) {
	return api.MediaTicket{Deployment: "dep_" + api.DeploymentID(host), Path: "/media/x/ingot.iso"}, nil
}

type nopWaker struct{}

func (nopWaker) Wake() {}

// env is an API on a real SQLite store, served on loopback.
type env struct {
	t        *testing.T
	dir      string
	store    store.Store
	builds   *builds.Runner // not running: startBuilds runs it
	url      string
	admin    *client.Client
	secret   string // the admin token's secret
	images   images
	hostImgs *fakeHostImages
}

func (e *env) adminSecret() string { return e.secret }

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "ingot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secret.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := sitekit.NewKeys(box.Derive)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	imgs := newImages(t)
	runner, err := builds.New(st, imgs, builds.Config{Registry: imagebuild.NewRegistry(rawimport.New()), Chunks: chunkstore.Sink{Store: imgs.Store},
		WorkRoot: filepath.Join(dir, "work"), ImportRoot: filepath.Join(dir, "imports"), Poll: 50 * time.Millisecond, Exclusive: true},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	hostImgs := &fakeHostImages{}
	httpapi.New(mux, httpapi.Deps{Store: st, Box: box, Planner: planner.New(st), Engine: nopWaker{}, Images: imgs,
		Rollouts: rollout.New(st, planner.New(st), rollout.Config{}, slog.New(slog.DiscardHandler)), Builds: runner,
		SetChecker: &setcheck.Scheduler{Store: st, Images: checkedImages{imgs}, Log: slog.New(slog.DiscardHandler)},
		HostImages: hostImgs, Media: fakeMedia{},
		Kits: sitekit.Service{Keys: keys, Src: sitekit.Images{Service: imgs.Service}}, SigningKey: imgs.publicKey(t),
		BMC: fakeBMCs{machines: map[string]redfish.Inventory{
			"https://bmc-1.example": machine("SER-1", "node-1.example", "52:54:00:aa:00:01"),
			"https://bmc-2.example": machine("SER 2/x", "localhost", "52:54:00:aa:00:02", "52:54:00:aa:00:03"),
			"https://bmc-3.example": machine("SER-3", "", "52:54:00:00:00:01", "52:54:00:aa:00:04"), // web-1
		}},
		InstallerSecret: testInstallerSecret, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &env{t: t, dir: dir, store: st, url: srv.URL, builds: runner, images: imgs, hostImgs: hostImgs}
	e.admin, e.secret = e.tokenSecret("admin")
	return e
}

// token creates a token with these scopes straight in the store.
func (e *env) token(scopes ...string) *client.Client {
	c, _ := e.tokenSecret(scopes...)
	return c
}

func (e *env) tokenSecret(scopes ...string) (*client.Client, string) {
	e.t.Helper()
	secret, hash := auth.NewSecret()
	if _, err := e.store.CreateToken(context.Background(), api.Token{Name: "t-" + scopes[0], Scopes: scopes}, hash); err != nil {
		e.t.Fatal(err)
	}
	return client.New(e.url, secret), secret
}

const (
	imgA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	imgC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
)

// fixtures: an image, a set "base", a hostgroup "web" with an open
// template, and a host "web-1".
func (e *env) fixtures() {
	e.t.Helper()
	ctx := context.Background()
	must(e.t)(e.store.CreateImage(ctx, api.Image{ID: imgA, Name: "debian", Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI}))
	must(e.t)(e.store.CreateImage(ctx, api.Image{ID: imgC, Name: "spare", Arch: api.ArchARM64, Firmware: api.FirmwareUEFI}))
	must(e.t)(e.admin.ImageSets().Create(ctx, api.ImageSet{Name: "base", Variants: []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: imgA}}}))
	must(e.t)(e.admin.Hostgroups().Create(ctx, api.Hostgroup{Name: "web", ImageSet: "base", Template: api.Template{
		Hostname: api.StringRule{Allowed: true, Pattern: "web-[0-9]+"},
		SSHKeys:  api.ListRule{Allowed: true, Max: 2},
	}}))
	must(e.t)(e.admin.Hosts().Create(ctx, api.Host{Name: "web-1", Hostgroup: "web", MACs: []api.MAC{mac("52:54:00:00:00:01")},
		BMC: &api.BMC{Endpoint: "https://bmc-web-1.example"}}))
}

func mac(s string) api.MAC {
	m, err := api.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// must fails the test on error: must(t)(call()).
func must(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// images is a real chunk store service in a temporary directory.
type images struct{ *chunkstore.Service }

func (i images) Release(ctx context.Context, id string) error { return i.Store.Unref(ctx, id) }

func (i images) publicKey(t testing.TB) []byte {
	pem, err := manifest.MarshalPublicKey(i.Key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return pem
}

func newImages(t testing.TB) images {
	dir := t.TempDir()
	cs, err := chunkstore.NewLocal(filepath.Join(dir, "chunks"))
	if err != nil {
		t.Fatal(err)
	}
	mans, err := chunkstore.NewManifests(filepath.Join(dir, "manifests"))
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	return images{&chunkstore.Service{Store: cs, Manifests: mans, Key: key}}
}

// zeroManifest is a valid unsigned manifest of an all-zero 4 MiB disk:
// it needs no chunk uploaded.
func zeroManifest(name string) manifest.Manifest {
	return manifest.Manifest{Version: manifest.Version, Name: name, Arch: "amd64", Firmware: "bios",
		Payloads: []manifest.Payload{{Role: "disk", Kind: manifest.KindRawDisk, Size: 4 << 20, ChunkSize: manifest.DefaultChunkSize}}}
}

const fixtureBuild = "bld_fixture"

// queuedBuild stores a queued build straight in the store.
func (e *env) queuedBuild(id api.BuildID, set string) {
	e.t.Helper()
	b := api.Build{ID: id, Name: "deb", Backend: "import", Recipe: api.RawJSON(`{"name":"deb","backend":"import","file":"deb.raw"}`),
		ImageSet: set, State: api.BuildQueued, Phase: api.PhaseQueued, Percent: -1, CreatedAt: time.Now()}
	if err := e.store.CreateBuild(context.Background(), b); err != nil {
		e.t.Fatal(err)
	}
}

// fakeHostImages materializes nothing: the fixtures' images have no
// chunks. TestHostImageOverHTTP uses the real manager.
// It records the host images it was asked to remove.
type fakeHostImages struct {
	mu      sync.Mutex
	removed []string
}

func (*fakeHostImages) Materialize(_ context.Context, req hostimage.Request) (hostimage.Result, error) {
	return hostimage.Result{Image: api.HostImage{ID: imgC, Host: req.Host, Base: req.Base}}, nil
}

func (f *fakeHostImages) Remove(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, id)
	return nil
}

func (*fakeHostImages) ForDeployment(_ context.Context, d api.Deployment) (api.HostImage, error) {
	return api.HostImage{ID: imgC, Host: d.Host, Deployment: d.ID}, nil
}
