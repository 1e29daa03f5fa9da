package builds_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/imagebuild/oci"
	"ingot.dev/ingot/imagebuild/rawimport"
	"ingot.dev/ingot/internal/testenv"
	"ingot.dev/ingot/server/builds"
	"ingot.dev/ingot/server/chunkstore"
	"ingot.dev/ingot/server/imagecheck"
	"ingot.dev/ingot/server/imagecheck/imagechecktest"
	"ingot.dev/ingot/server/store"
	"ingot.dev/ingot/server/store/sqlstore"
)

// env is a runner on a real SQLite store and a real chunk store, with the
// import backend and a test backend that blocks until cancelled.
type env struct {
	dir    string
	store  *sqlstore.Store
	svc    *chunkstore.Service
	runner *builds.Runner
	block  *blockingBuilder
	stop   func()
}

type images struct{ *chunkstore.Service }

func (i images) Release(ctx context.Context, id string) error { return i.Store.Unref(ctx, id) }

func newEnv(t *testing.T, mod func(*builds.Config)) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlstore.Open(t.Context(), filepath.Join(dir, "ingot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{dir: dir, store: st, block: &blockingBuilder{started: make(chan string, 1)}}
	e.svc = imagechecktest.NewService(t)
	cfg := builds.Config{
		Registry: imagebuild.NewRegistry(rawimport.New(), oci.New(oci.Config{}), e.block), Chunks: chunkstore.Sink{Store: e.svc.Store},
		WorkRoot: filepath.Join(dir, "work"), ImportRoot: filepath.Join(dir, "imports"),
		Poll: 20 * time.Millisecond, Exclusive: true, Epoch: time.Unix(1700000000, 0),
	}
	if mod != nil {
		mod(&cfg)
	}
	e.runner, err = builds.New(st, images{e.svc}, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) start(t *testing.T) { e.stop = testenv.Serve(t, e.runner.Run) }

// rawDisk writes a small raw disk image with some non-zero chunks into the
// import directory.
func (e *env) rawDisk(t *testing.T, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(e.dir, "imports"), 0o755); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 12<<20) // three chunks: data, zero, data
	for i := range 4 << 20 {
		buf[i] = byte(i * 7)
		buf[8<<20+i] = byte(i * 13)
	}
	copy(buf, name)
	if err := os.WriteFile(filepath.Join(e.dir, "imports", name), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// wait polls the build until it is terminal.
func (e *env) wait(t *testing.T, id api.BuildID) api.Build {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := e.store.GetBuild(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if b.State.Terminal() {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("build %s still %s/%s", id, b.State, b.Phase)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) logText(t *testing.T, id api.BuildID) string {
	t.Helper()
	lines, err := e.store.BuildLog(t.Context(), id, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, l := range lines {
		sb.WriteString(l.Line + "\n")
	}
	return sb.String()
}

func submit(t *testing.T, r *builds.Runner, recipe, set string) api.Build {
	t.Helper()
	b, err := r.Submit(t.Context(), api.BuildRequest{Recipe: api.RawJSON(recipe), ImageSet: set}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBuildRegistersIntoImageSet(t *testing.T) {
	e := newEnv(t, nil)
	e.rawDisk(t, "disk.raw")
	e.start(t)
	b := submit(t, e.runner, `{"name":"deb","backend":"import","file":"disk.raw","firmware":"uefi"}`, "")
	if b.State != api.BuildQueued || b.ImageSet != "deb" || b.CreatedBy != "alice" {
		t.Fatalf("submitted: %+v", b)
	}
	b = e.wait(t, b.ID)
	if b.State != api.BuildSucceeded || b.Phase != api.PhaseDone || b.Percent != 100 || b.Image == "" {
		t.Fatalf("build ended %+v", b)
	}
	// The image is signed with the server key, whole, and in the catalog.
	pub := e.svc.Key.Public().(ed25519.PublicKey)
	if err := imagecheck.Check(t.Context(), e.svc.Manifests, e.svc.Store, pub, b.Image); err != nil {
		t.Fatalf("built image does not check: %v", err)
	}
	img, err := e.store.GetImage(t.Context(), b.Image)
	if err != nil || img.Firmware != api.FirmwareUEFI || img.Size != 12<<20 {
		t.Fatalf("catalog image %+v, %v", img, err)
	}
	set, err := e.store.GetImageSet(t.Context(), "deb")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Variants) != 1 || set.Variants[0].Key() != "amd64/uefi/sb=false" || set.Variants[0].Image != b.Image {
		t.Fatalf("image set variants %+v", set.Variants)
	}
	log := e.logText(t, b.ID)
	for _, want := range []string{"phase backend", "phase publish", "phase register", "registered image " + b.Image, "succeeded"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	assertNoWorkDirs(t, e)

	// A second build for both firmwares updates the set: its bios and uefi
	// variants both point at the new image.
	e.rawDisk(t, "disk2.raw")
	b2 := e.wait(t, submit(t, e.runner, `{"name":"deb","backend":"import","file":"disk2.raw"}`, "deb").ID)
	if b2.State != api.BuildSucceeded {
		t.Fatalf("second build %+v", b2)
	}
	set, _ = e.store.GetImageSet(t.Context(), "deb")
	if len(set.Variants) != 2 || set.Variants[0].Image != b2.Image || set.Variants[1].Image != b2.Image {
		t.Fatalf("image set after the second build: %+v", set.Variants)
	}
}

func TestBuildFailureRegistersNothing(t *testing.T) {
	e := newEnv(t, nil)
	e.start(t)
	b := e.wait(t, submit(t, e.runner, `{"name":"gone","backend":"import","file":"missing.raw"}`, "").ID)
	if b.State != api.BuildFailed || !strings.Contains(b.Error, "missing.raw") {
		t.Fatalf("build of a missing file: %+v", b)
	}
	if _, err := e.store.GetImageSet(t.Context(), "gone"); err == nil {
		t.Fatal("a failed build created its image set")
	}
	if p, _ := e.store.ListImages(t.Context(), storeAll); len(p.Items) != 0 {
		t.Fatalf("a failed build registered %v", p.Items)
	}
	assertNoWorkDirs(t, e)
}

func TestCancelRunningBuild(t *testing.T) {
	e := newEnv(t, nil)
	e.start(t)
	b := submit(t, e.runner, `{"name":"slow","backend":"block"}`, "")
	var workDir string
	select {
	case workDir = <-e.block.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the blocking build never started")
	}
	if _, err := os.Stat(workDir); err != nil {
		t.Fatalf("work directory while running: %v", err)
	}
	got, err := e.runner.Cancel(t.Context(), b.ID)
	if err != nil || !got.Cancel {
		t.Fatalf("Cancel: %+v, %v", got, err)
	}
	b = e.wait(t, b.ID)
	if b.State != api.BuildCancelled || b.Image != "" {
		t.Fatalf("cancelled build %+v", b)
	}
	if _, err := os.Stat(workDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("work directory after cancel: %v", err)
	}
	if _, err := e.store.GetImageSet(t.Context(), "slow"); err == nil {
		t.Fatal("a cancelled build created its image set")
	}
	if !strings.Contains(e.logText(t, b.ID), "cancelled") {
		t.Errorf("log does not say cancelled:\n%s", e.logText(t, b.ID))
	}
}

// TestConcurrencyLimitQueues: with one slot, a second build stays queued
// while the first runs, can be cancelled while queued, and a third runs
// once the first ends.
func TestConcurrencyLimitQueues(t *testing.T) {
	e := newEnv(t, nil)
	e.rawDisk(t, "disk.raw")
	e.start(t)
	first := submit(t, e.runner, `{"name":"slow","backend":"block"}`, "")
	<-e.block.started
	second := submit(t, e.runner, `{"name":"two","backend":"import","file":"disk.raw"}`, "")
	third := submit(t, e.runner, `{"name":"three","backend":"import","file":"disk.raw"}`, "")
	time.Sleep(100 * time.Millisecond) // several polls: nothing else may start
	for _, id := range []api.BuildID{second.ID, third.ID} {
		if b, _ := e.store.GetBuild(t.Context(), id); b.State != api.BuildQueued {
			t.Fatalf("build %s is %s while the only slot is busy", id, b.State)
		}
	}
	if b, err := e.runner.Cancel(t.Context(), second.ID); err != nil || b.State != api.BuildCancelled {
		t.Fatalf("cancelling a queued build: %+v, %v", b, err)
	}
	if _, err := e.runner.Cancel(t.Context(), first.ID); err != nil {
		t.Fatal(err)
	}
	if b := e.wait(t, third.ID); b.State != api.BuildSucceeded {
		t.Fatalf("third build %+v", b)
	}
}

// TestRestartFailsInterruptedBuilds: a build left running by a server that
// died is failed with a clear reason when the next one starts.
func TestRestartFailsInterruptedBuilds(t *testing.T) {
	e := newEnv(t, nil)
	b := submit(t, e.runner, `{"name":"slow","backend":"block"}`, "")
	if _, err := e.store.ClaimBuild(t.Context(), "the-old-server", time.Now()); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(e.dir, "work", "build-slow-123")
	if err := os.MkdirAll(filepath.Join(leftover, "backend"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.start(t)
	b = e.wait(t, b.ID)
	if b.State != api.BuildFailed || !strings.Contains(b.Error, "server restarted") {
		t.Fatalf("interrupted build after restart: %+v", b)
	}
	assertNoWorkDirs(t, e)
}

// TestStopFailsRunningBuild: a server that stops fails its running build
// instead of leaving it running.
func TestStopFailsRunningBuild(t *testing.T) {
	e := newEnv(t, nil)
	e.start(t)
	b := submit(t, e.runner, `{"name":"slow","backend":"block"}`, "")
	<-e.block.started
	e.stop()
	b, _ = e.store.GetBuild(t.Context(), b.ID)
	if b.State != api.BuildFailed || !strings.Contains(b.Error, "server stopped") {
		t.Fatalf("build after stop: %+v", b)
	}
	assertNoWorkDirs(t, e)
}

func TestSubmitRefusesBadRecipes(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name, recipe, set, path, msg string
	}{
		{"unknown field", `{"name":"x","backend":"import","file":"a.raw","fiel":"b"}`, "", "recipe.fiel", "unknown field"},
		{"unknown nested field", `{"name":"x","backend":"block","layout":{"split":[{"path":"/var","sise":"1G"}]}}`, "", "recipe.layout.split[0].sise", "unknown field"},
		{"unknown backend", `{"name":"x","backend":"kiwi"}`, "", "recipe.backend", `unknown backend "kiwi"`},
		{"backend refuses", `{"name":"x","backend":"import"}`, "", "recipe", "needs file"},
		{"absolute import file", `{"name":"x","backend":"import","file":"/etc/shadow"}`, "", "recipe.file", "relative to its import directory"},
		{"escaping import file", `{"name":"x","backend":"import","file":"../ingot.db"}`, "", "recipe.file", "relative to its import directory"},
		{"absolute oci layout", `{"name":"x","backend":"oci","reference":"oci:/var/lib/secret"}`, "", "recipe.reference", "relative to its import directory"},
		{"relative oci archive escaping", `{"name":"x","backend":"oci","reference":"../x.tar"}`, "", "recipe.reference", "relative to its import directory"},
		{"bad type", `{"name":"x","backend":"block","packages":"vim"}`, "", "recipe", "cannot unmarshal"},
		{"no recipe", ``, "", "recipe", "missing"},
		{"long name as set", `{"name":"` + strings.Repeat("a", 70) + `","backend":"block"}`, "", "image_set", "not an image set name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.runner.Submit(t.Context(), api.BuildRequest{Recipe: api.RawJSON(tt.recipe), ImageSet: tt.set}, "alice")
			var fe *imagebuild.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Submit: %v, want a field error", err)
			}
			if fe.Path != tt.path || !strings.Contains(fe.Message, tt.msg) {
				t.Fatalf("field error %q: %q, want %q: ...%s...", fe.Path, fe.Message, tt.path, tt.msg)
			}
		})
	}
	if p, _ := e.store.ListBuilds(t.Context(), storeBuilds); len(p.Items) != 0 {
		t.Fatalf("refused recipes were queued: %+v", p.Items)
	}
	for _, ref := range []string{"oci:layouts/debian", "debian.tar", "debian:12"} {
		if _, err := e.runner.Submit(t.Context(), api.BuildRequest{Recipe: api.RawJSON(`{"name":"x","backend":"oci","reference":"` + ref + `"}`)}, "alice"); err != nil {
			t.Errorf("reference %s: %v", ref, err)
		}
	}
}

func assertNoWorkDirs(t *testing.T, e *env) {
	t.Helper()
	entries, _ := os.ReadDir(filepath.Join(e.dir, "work"))
	if len(entries) != 0 {
		t.Fatalf("work directories left: %v", entries)
	}
}

// blockingBuilder ("block") writes a file in its work directory, reports
// the directory and waits for its context to end.
type blockingBuilder struct{ started chan string }

func (*blockingBuilder) Name() string                       { return "block" }
func (*blockingBuilder) Validate(r imagebuild.Recipe) error { return imagebuild.OnlyFields(r) }
func (*blockingBuilder) Capabilities() imagebuild.Capabilities {
	return imagebuild.Capabilities{Output: imagebuild.OutputPayloads, Arches: []string{"amd64"}, Firmware: []string{"both"}}
}

func (b *blockingBuilder) Build(ctx context.Context, _ imagebuild.Recipe, dir string) (*imagebuild.Result, error) {
	if err := os.WriteFile(filepath.Join(dir, "partial.raw"), []byte("partial"), 0o644); err != nil {
		return nil, err
	}
	b.started <- filepath.Dir(dir) // the build's work directory
	<-ctx.Done()
	return nil, ctx.Err()
}

var (
	storeAll    = store.ListOptions{Limit: 1000}
	storeBuilds = store.BuildFilter{ListOptions: storeAll}
)
