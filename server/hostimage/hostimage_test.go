package hostimage_test

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/image/chunker"
	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/installer/hostconfig"
	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/hostimage"
	"ingot.dev/ingot/server/imagecheck"
	"ingot.dev/ingot/server/imagecheck/imagechecktest"
	"ingot.dev/ingot/server/steps"
	"ingot.dev/ingot/server/store/sqlstore"
)

type env struct {
	store *sqlstore.Store
	svc   *chunkstore.Service
	mgr   *hostimage.Manager
	base  string
	now   time.Time
}

// newEnv stores a 32 MiB base image of incompressible data, a hostgroup
// and a host with SSH keys, an address and a file.
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := t.Context()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "ingot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{store: st, svc: imagechecktest.NewService(t), now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	disk := make([]byte, 32<<20)
	rng := rand.NewChaCha8([32]byte{1})
	_, _ = rng.Read(disk)
	res, err := chunker.Chunk(ctx, bytes.NewReader(disk), chunkstore.Sink{Store: e.svc.Store}, chunker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := manifest.Manifest{Version: manifest.Version, Name: "debian", Arch: "amd64", Firmware: "uefi", Created: e.now,
		Payloads: []manifest.Payload{{Role: "disk", Kind: manifest.KindRawDisk, Size: res.Size, ChunkSize: manifest.DefaultChunkSize, Chunks: res.Chunks}}}
	if _, e.base, err = e.svc.Finalize(ctx, m); err != nil {
		t.Fatal(err)
	}
	mac, _ := api.ParseMAC("52:54:00:00:00:01")
	_, err1 := st.CreateImage(ctx, api.Image{ID: e.base, Name: "debian", Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI})
	_, err2 := st.CreateImageSet(ctx, api.ImageSet{Name: "debian", Variants: []api.Variant{{Arch: api.ArchAMD64, Firmware: api.FirmwareUEFI, Image: e.base}}})
	_, err3 := st.CreateHostgroup(ctx, api.Hostgroup{Name: "web", ImageSet: "debian", FirstBoot: api.FirstBoot{Packages: []string{"htop"}}})
	_, err4 := st.CreateHost(ctx, api.Host{Name: "web-1", Hostgroup: "web", MACs: []api.MAC{mac}, Values: api.HostValues{
		Hostname: "web-1", SSHKeys: []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9ya2luZ29ybG9yZW1pcHN1bWRvbG9yc2l0YW1ldA ops"},
		Files: []api.File{{Path: "/etc/motd", Content: "web-1\n"}}}})
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			t.Fatal(err)
		}
	}
	e.mgr = &hostimage.Manager{Store: st, Images: e.svc, TTL: time.Hour, Now: func() time.Time { return e.now }}
	return e
}

func TestMaterializeCostsOnlyTheLayer(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	res, err := e.mgr.Materialize(ctx, hostimage.Request{Host: "web-1", Base: e.base})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("host image %s: %d new chunks, %d new bytes, took %s", res.Image.ID, res.NewChunks, res.Image.NewBytes, res.Took)
	if res.NewChunks != 1 || res.Image.NewBytes <= 0 || res.Image.NewBytes >= 1<<20 {
		t.Fatalf("new chunks %d, new bytes %d: want one chunk and under 1 MiB", res.NewChunks, res.Image.NewBytes)
	}
	pub := e.svc.Key.Public().(ed25519.PublicKey)
	if err := imagecheck.Check(ctx, e.svc.Manifests, e.svc.Store, pub, res.Image.ID); err != nil {
		t.Fatalf("host image does not check: %v", err)
	}
	signed, _ := e.svc.Manifests.Get(res.Image.ID)
	m, err := manifest.Verify(signed, pub)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := e.svc.Manifests.Get(e.base)
	bm, _ := manifest.Verify(base, pub)
	if len(m.Payloads) != 2 || m.Payloads[1].Kind != manifest.KindConfigTar || len(m.Payloads[0].Chunks) != len(bm.Payloads[0].Chunks) {
		t.Fatalf("host image payloads %+v", m.Payloads)
	}
	files := layerFiles(t, e, m.Payloads[1])
	for path, want := range map[string]string{"etc/hostname": "web-1\n", "etc/motd": "web-1\n"} {
		if files[path] != want {
			t.Errorf("layer %s = %q, want %q", path, files[path], want)
		}
	}
	if _, ok := files["root/.ssh/authorized_keys"]; !ok {
		t.Errorf("layer lacks root's SSH keys: %v", slices.Collect(maps.Keys(files)))
	}

	// The same host and base make the same image: no new bytes at all.
	again, err := e.mgr.Materialize(ctx, hostimage.Request{Host: "web-1", Base: e.base})
	if err != nil || again.Image.ID != res.Image.ID || again.NewChunks != 0 {
		t.Fatalf("materialized again: %+v, %v; want the same image, nothing new", again, err)
	}
}

// TestSweepAndGC: a host image lives until its deployment ends or it
// expires; then GC reclaims its layer chunk and nothing of the base.
func TestSweepAndGC(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	res, err := e.mgr.Materialize(ctx, hostimage.Request{Host: "web-1", Base: e.base, Deployment: "dep_gone"})
	if err != nil {
		t.Fatal(err)
	}
	gc := func(dry bool) chunkstore.GCResult {
		t.Helper()
		r, err := imagecheck.Collect(ctx, e.svc.Manifests, e.svc.Store.(*chunkstore.Local), e.svc.Key.Public().(ed25519.PublicKey), []string{e.base}, 0, dry)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := gc(true); r.Deleted != 0 {
		t.Fatalf("gc dry run with the host image alive: %+v, want nothing", r)
	}
	// A deployment not recorded yet (a kit being signed) keeps it a while.
	e.mgr.Now = func() time.Time { return e.now.Add(time.Minute) }
	if n, err := e.mgr.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep a minute after, the deployment not recorded: %d, %v; want it kept", n, err)
	}
	e.mgr.Now = func() time.Time { return e.now.Add(11 * time.Minute) }
	n, err := e.mgr.Sweep(ctx)
	if err != nil || n != 1 {
		t.Fatalf("sweep with the deployment gone: %d, %v; want it removed", n, err)
	}
	if r := gc(true); r.Deleted != 1 || r.FreedBytes <= 0 || r.FreedBytes >= 1<<20 {
		t.Fatalf("gc dry run after removal: %+v, want the layer chunk", r)
	}
	gc(false)
	pub := e.svc.Key.Public().(ed25519.PublicKey)
	if err := (imagecheck.Checker{Manifests: e.svc.Manifests, Chunks: e.svc.Store, Key: pub, Deep: true}).Check(ctx, e.base); err != nil {
		t.Fatalf("base image after gc: %v", err)
	}
	if _, err := e.svc.Manifests.Get(res.Image.ID); err == nil {
		t.Fatal("the host image's manifest is still stored")
	}

	// Without a deployment it lives until it expires.
	if _, err := e.mgr.Materialize(ctx, hostimage.Request{Host: "web-1", Base: e.base}); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.mgr.Sweep(ctx); n != 0 {
		t.Fatalf("swept %d host images before expiry", n)
	}
	e.mgr.Now = func() time.Time { return e.now.Add(2 * time.Hour) }
	if n, _ := e.mgr.Sweep(ctx); n != 1 {
		t.Fatalf("swept %d host images after expiry, want 1", n)
	}
	if his, _ := e.store.ListHostImages(ctx); len(his) != 0 {
		t.Fatalf("host images left: %+v", his)
	}
}

func TestLayerIsDeterministic(t *testing.T) {
	files := []hostconfig.File{
		{Path: "/etc/motd", Mode: 0o644, Data: []byte("hi\n")},
		{Path: "/etc/hostname", Mode: 0o644, Data: []byte("a\n")},
		{Path: "/etc/systemd/system/x.service", Link: "/dev/null"},
	}
	at := time.Unix(1700000000, 0)
	a, err := hostimage.Layer(files, at)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := hostimage.Layer([]hostconfig.File{files[2], files[0], files[1]}, at)
	if !bytes.Equal(a, b) {
		t.Fatal("the same files in another order make another layer")
	}
	tr := tar.NewReader(bytes.NewReader(a))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(at) {
			t.Errorf("%s: uid %d gid %d mtime %s", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		names = append(names, h.Name)
	}
	if want := []string{"etc/hostname", "etc/motd", "etc/systemd/system/x.service"}; !slices.Equal(names, want) {
		t.Fatalf("entries %v, want %v", names, want)
	}
	if _, err := hostimage.Layer([]hostconfig.File{files[0], files[0]}, at); err == nil {
		t.Fatal("a repeated path was accepted")
	}
}

// layerFiles reads the config layer back from the chunk store.
func layerFiles(t *testing.T, e *env, p manifest.Payload) map[string]string {
	t.Helper()
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var raw bytes.Buffer
	for _, c := range p.Chunks {
		rc, err := e.svc.Store.Get(t.Context(), c.Hash)
		if err != nil {
			t.Fatal(err)
		}
		frame, _ := io.ReadAll(rc)
		rc.Close()
		data, err := dec.DecodeAll(frame, nil)
		if err != nil {
			t.Fatal(err)
		}
		raw.Write(data)
	}
	out := map[string]string{}
	tr := tar.NewReader(io.LimitReader(&raw, p.Size))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out[h.Name] = string(b)
	}
}

// TestForDeployment: a deployment's host image is made on the image its
// validate step names, once; a later call (or one after it expired) finds
// or remakes it.
func TestForDeployment(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	params, _ := json.Marshal(steps.ValidateParams{Image: e.base})
	d := api.Deployment{ID: "dep_7", Host: "web-1", Steps: []api.Step{{Name: steps.KindValidate, Params: params}}}
	hi, err := e.mgr.ForDeployment(ctx, d)
	if err != nil || hi.Base != e.base || hi.Deployment != d.ID {
		t.Fatalf("ForDeployment = %+v, %v; want a host image on %s for %s", hi, err, e.base, d.ID)
	}
	again, err := e.mgr.ForDeployment(ctx, d)
	if his, _ := e.store.ListHostImages(ctx); err != nil || again.ID != hi.ID || len(his) != 1 {
		t.Fatalf("second ForDeployment = %+v, %v, %d records; want the same one", again, err, len(his))
	}
	his, _ := e.store.ListHostImages(ctx)
	if _, ok := hostimage.For(his, d.ID, e.base, e.now.Add(2*time.Hour)); ok {
		t.Error("For returns an expired host image")
	}
	if _, ok := hostimage.For(his, "dep_other", e.base, e.now); ok {
		t.Error("For returns another deployment's host image")
	}
}
