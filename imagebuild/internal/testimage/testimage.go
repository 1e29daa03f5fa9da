// Package testimage builds the Debian test image that imagebuild's slow
// tests share (reproducibility, OCI, VM boot), once per recipe: the result
// is cached under build/imagebuild-test/<recipe hash>/ in the repository, so
// a second `go test` reuses it, and a file lock lets test packages running
// in parallel wait for one build instead of racing two debootstraps.
package testimage

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/imagebuild/debootstrap"
	"ingot.dev/ingot/internal/testenv"
)

// Epoch is the SOURCE_DATE_EPOCH of every test build.
var Epoch = time.Unix(1700000000, 0).UTC()

// Recipe is the minimal bootable Debian: minbase, the cloud kernel (virtio
// built in), systemd and udev, serial console.
func Recipe(extra ...string) imagebuild.Recipe {
	return imagebuild.Recipe{
		Name: "debian-test", Backend: debootstrap.Name, Suite: "bookworm",
		Packages: append([]string{"initramfs-tools", "linux-image-cloud-amd64", "systemd-sysv", "udev"}, extra...),
		Cmdline:  "console=ttyS0 systemd.show_status=1",
	}.WithDefaults()
}

// Require skips t unless the tools a debootstrap build needs are here.
func Require(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a Debian image: not in -short mode")
	}
	if os.Geteuid() != 0 {
		testenv.Skip(t, "debootstrap needs root")
	}
	for _, tool := range []string{"debootstrap", "mkfs.ext4", "debugfs", "mkfs.vfat", "mcopy", "grub-mkimage"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing", tool)
			}
			testenv.Skip(t, "%s is missing", tool)
		}
	}
}

// Root is the repository root (the directory holding go.mod).
func Root(t testing.TB) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// Dir is the test cache directory, build/imagebuild-test.
func Dir(t testing.TB) string { return filepath.Join(Root(t), "build", "imagebuild-test") }

// Registry holds a debootstrap builder that keeps .debs in the cache.
func Registry(t testing.TB) *imagebuild.Registry {
	b, err := debootstrap.New(debootstrap.Config{Epoch: Epoch, CacheDir: filepath.Join(Dir(t), "debs")})
	if err != nil {
		t.Fatal(err)
	}
	return imagebuild.NewRegistry(b)
}

// Build builds r fresh (not cached) under the cache's work root and removes
// the result when t ends.
func Build(t testing.TB, r imagebuild.Recipe) *imagebuild.Artifacts {
	t.Helper()
	a, err := imagebuild.Build(context.Background(), Registry(t), r, imagebuild.Config{WorkRoot: filepath.Join(Dir(t), "work"), Epoch: Epoch})
	if err != nil {
		t.Fatalf("building %s: %v", r.Name, err)
	}
	t.Cleanup(func() { a.Remove() })
	return a
}

var mu sync.Mutex

// Cached returns r's artifacts from the cache, building them first if they
// are not there. Callers must not change them.
func Cached(t testing.TB, r imagebuild.Recipe) *imagebuild.Artifacts {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	h := r.Hash()
	dir := filepath.Join(Dir(t), hex.EncodeToString(h[:8]))
	if err := os.MkdirAll(Dir(t), 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.Create(filepath.Join(Dir(t), "lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	if a, err := load(dir); err == nil {
		t.Logf("reusing cached image %s", dir)
		return a
	}
	start := time.Now()
	a, err := imagebuild.Build(context.Background(), Registry(t), r, imagebuild.Config{WorkRoot: filepath.Join(Dir(t), "work"), Epoch: Epoch})
	if err != nil {
		t.Fatalf("building %s: %v", r.Name, err)
	}
	t.Logf("built %s in %v", r.Name, time.Since(start).Round(time.Second))
	os.RemoveAll(dir)
	if err := os.Rename(a.Dir, dir); err != nil {
		t.Fatal(err)
	}
	for i, p := range a.Payloads {
		a.Payloads[i].Path = strings.Replace(p.Path, a.Dir, dir, 1)
	}
	a.Dir = dir
	b, _ := json.Marshal(a)
	if err := os.WriteFile(filepath.Join(dir, "artifacts.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return a
}

func load(dir string) (*imagebuild.Artifacts, error) {
	b, err := os.ReadFile(filepath.Join(dir, "artifacts.json"))
	if err != nil {
		return nil, err
	}
	var a imagebuild.Artifacts
	return &a, json.Unmarshal(b, &a)
}

// Tree is the root tree a cached build assembled its disk from.
func Tree(a *imagebuild.Artifacts) string { return filepath.Join(a.Dir, "backend", "tree") }

// Digest publishes a into memory and signs the manifest with a fixed key:
// the image ID the same build would get from one server.
func Digest(t testing.TB, a *imagebuild.Artifacts) string {
	t.Helper()
	m, err := imagebuild.Publish(context.Background(), a, &MemSink{}, chunkerOptions)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := manifest.Sign(m, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return manifest.Digest(signed)
}
