package debootstrap_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/imagebuild/debootstrap"
	"ingot.dev/ingot/imagebuild/imagebuildtest"
	"ingot.dev/ingot/imagebuild/internal/testimage"
)

func TestConformance(t *testing.T) {
	testimage.Require(t)
	b, err := debootstrap.New(debootstrap.Config{Epoch: testimage.Epoch, CacheDir: filepath.Join(testimage.Dir(t), "debs")})
	if err != nil {
		t.Fatal(err)
	}
	imagebuildtest.Run(t, b, imagebuildtest.Fixture{
		Recipe: testimage.Recipe(),
		Check: func(t *testing.T, res *imagebuild.Result) {
			shadow, _ := os.ReadFile(filepath.Join(res.Tree, "etc/shadow"))
			if !strings.HasPrefix(string(shadow), "root:!*:") {
				t.Errorf("root is not locked: %.40q", shadow)
			}
			if debs, _ := filepath.Glob(filepath.Join(res.Tree, "var/cache/apt/archives/*.deb")); len(debs) > 0 {
				t.Errorf("%d .debs left in the apt cache", len(debs))
			}
			err := filepath.WalkDir(res.Tree, func(p string, d os.DirEntry, err error) error {
				if info, _ := d.Info(); err == nil && info.ModTime().After(testimage.Epoch) {
					t.Errorf("%s: mtime %v after SOURCE_DATE_EPOCH", p, info.ModTime())
					return filepath.SkipAll
				}
				return err
			})
			if err != nil {
				t.Error(err)
			}
		},
	})
}

// TestReproducible builds the test recipe twice in this run (one of them may
// come from the cache of an earlier run) and once with one more package.
func TestReproducible(t *testing.T) {
	testimage.Require(t)
	r := testimage.Recipe()
	first := testimage.Digest(t, testimage.Cached(t, r))
	start := time.Now()
	again := testimage.Build(t, r)
	t.Logf("fresh build: %v", time.Since(start).Round(time.Second))
	if d := testimage.Digest(t, again); d != first {
		t.Errorf("same recipe, same SOURCE_DATE_EPOCH: digest %s, then %s", first, d)
	}
	changed := testimage.Build(t, testimage.Recipe("less"))
	if d := testimage.Digest(t, changed); d == first {
		t.Errorf("adding package less left the digest at %s", d)
	}
}

func TestBadInput(t *testing.T) {
	testimage.Require(t)
	tests := []struct {
		name    string
		mutate  func(*imagebuild.Recipe)
		wantErr []string
	}{
		{"unreachable mirror", func(r *imagebuild.Recipe) { r.Mirror = "http://127.0.0.1:9/debian" },
			[]string{"debootstrap bookworm from http://127.0.0.1:9/debian", "Release"}},
		{"missing package", func(r *imagebuild.Recipe) { r.Packages = append(r.Packages, "ingot-no-such-package") },
			[]string{"ingot-no-such-package"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testimage.Recipe()
			tt.mutate(&r)
			work := t.TempDir()
			_, err := imagebuild.Build(context.Background(), testimage.Registry(t), r, imagebuild.Config{WorkRoot: work, Epoch: testimage.Epoch})
			if err == nil {
				t.Fatal("Build succeeded")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			assertEmpty(t, work)
		})
	}
}

// TestCancel cancels a debootstrap mid-run: the build ends with the
// context's error, its process group is gone and so is its work directory,
// mounts included.
func TestCancel(t *testing.T) {
	testimage.Require(t)
	work := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	start := time.Now()
	_, err := imagebuild.Build(ctx, testimage.Registry(t), testimage.Recipe(), imagebuild.Config{WorkRoot: work, Epoch: testimage.Epoch})
	if err == nil || ctx.Err() == nil {
		t.Fatalf("Build = %v before the deadline", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("cancelled build took %v to stop", d)
	}
	assertEmpty(t, work)
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), work) {
		t.Errorf("mounts left under %s", work)
	}
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	left, _ := os.ReadDir(dir)
	if len(left) > 0 {
		t.Errorf("work root %s still holds %v", dir, left[0].Name())
	}
}
