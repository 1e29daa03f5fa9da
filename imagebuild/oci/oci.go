// Package oci is the image build backend that takes a container image (an
// OCI layout directory, a docker-archive tar or a registry reference),
// flattens its layers with whiteouts applied into a root tree, and, as
// bootable-container (bootc) images ship them, boots the kernel and initrd
// found in /usr/lib/modules/*/ (or Debian's /boot).
package oci

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/imagebuild/assemble"
	"ingot.dev/ingot/imagebuild/rootfs"
)

// Name is the recipe backend value.
const Name = "oci"

// Config tunes the backend. The zero value is valid.
type Config struct {
	Epoch  time.Time // SOURCE_DATE_EPOCH; zero: the build's time
	Logger *slog.Logger
}

// Builder is the OCI backend.
type Builder struct{ cfg Config }

var _ imagebuild.Builder = (*Builder)(nil)

// New returns an OCI builder.
func New(cfg Config) *Builder {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Builder{cfg: cfg}
}

// Name returns "oci".
func (*Builder) Name() string { return Name }

// Capabilities describes the backend.
func (*Builder) Capabilities() imagebuild.Capabilities {
	return imagebuild.Capabilities{Output: imagebuild.OutputTree, Arches: []string{"amd64"},
		Firmware: []string{"bios", "uefi", "both"}, Layouts: true, Network: true}
}

// Validate wants a reference and nothing of the other backends.
func (*Builder) Validate(r imagebuild.Recipe) error {
	if r.Backend != Name {
		return fmt.Errorf("recipe %s: backend %q is not %s", r.Name, r.Backend, Name)
	}
	if r.Reference == "" {
		return fmt.Errorf("recipe %s: the oci backend needs reference: an OCI layout directory, a docker-archive .tar or a registry reference", r.Name)
	}
	if !isLocal(r.Reference) {
		if _, err := name.ParseReference(r.Reference); err != nil {
			return fmt.Errorf("recipe %s: reference %q: %w", r.Name, r.Reference, err)
		}
	}
	return imagebuild.OnlyFields(r, "reference")
}

// isLocal tells paths (absolute, ./relative, oci:DIR or *.tar) from
// registry references, without touching the disk.
func isLocal(ref string) bool {
	return strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, ".") || strings.HasPrefix(ref, "oci:") || strings.HasSuffix(ref, ".tar")
}

// Build flattens the image into workDir/tree.
func (b *Builder) Build(ctx context.Context, r imagebuild.Recipe, workDir string) (*imagebuild.Result, error) {
	img, err := open(ctx, r.Reference)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", r.Reference, err)
	}
	tree := filepath.Join(workDir, "tree")
	rc := mutate.Extract(img)
	defer rc.Close()
	if err := Untar(ctx, rc, tree); err != nil {
		return nil, fmt.Errorf("flattening %s: %w", r.Reference, err)
	}
	if _, err := assemble.FindKernel(tree); err != nil {
		return nil, fmt.Errorf("image %s cannot boot: %w (a bootable container ships /usr/lib/modules/VERSION/vmlinuz and initramfs.img)", r.Reference, err)
	}
	epoch := imagebuild.Epoch(b.cfg.Epoch)
	if err := rootfs.Normalize(ctx, tree, epoch); err != nil {
		return nil, fmt.Errorf("normalizing %s: %w", r.Reference, err)
	}
	return &imagebuild.Result{Tree: tree, OS: osRelease(tree)}, nil
}

// open resolves a reference to one linux/amd64 image.
func open(ctx context.Context, ref string) (v1.Image, error) {
	if !isLocal(ref) {
		r, err := name.ParseReference(ref)
		if err != nil {
			return nil, err
		}
		return remote.Image(r, remote.WithContext(ctx), remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}))
	}
	path := strings.TrimPrefix(ref, "oci:")
	if strings.HasSuffix(path, ".tar") {
		return tarball.ImageFromPath(path, nil)
	}
	idx, err := layout.ImageIndexFromPath(path)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range im.Manifests {
		if d.Platform == nil || (d.Platform.OS == "linux" && d.Platform.Architecture == "amd64") {
			return idx.Image(d.Digest)
		}
	}
	return nil, errors.New("the OCI layout holds no linux/amd64 image")
}

func osRelease(tree string) manifest.OS {
	var o manifest.OS
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		b, err := os.ReadFile(filepath.Join(tree, p))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "ID="); ok {
				o.ID = strings.Trim(v, `"`)
			}
			if v, ok := strings.CutPrefix(l, "VERSION_ID="); ok {
				o.Version = strings.Trim(v, `"`)
			}
		}
		return o
	}
	return o
}
