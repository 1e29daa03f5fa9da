// Package rawimport is the image build backend named "import": it takes an
// existing disk image file (raw, .raw.zst, .raw.xz, .raw.gz or qcow2) as the
// image's disk payload, read through image/importer exactly as
// `ingot image import` reads it.
package rawimport

import (
	"context"
	"fmt"
	"os"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/imagebuild"
)

// Name is the recipe backend value.
const Name = "import"

// Builder is the import backend.
type Builder struct{}

var _ imagebuild.Builder = (*Builder)(nil)

// New returns the import backend.
func New() *Builder { return &Builder{} }

// Name returns "import".
func (*Builder) Name() string { return Name }

// Capabilities describes the backend: a finished disk, no layouts.
func (*Builder) Capabilities() imagebuild.Capabilities {
	return imagebuild.Capabilities{Output: imagebuild.OutputPayloads, Arches: []string{"amd64", "arm64"},
		Firmware: []string{"bios", "uefi", "both"}, HostTools: []string{"qemu-img"}}
}

// Validate wants file and nothing of the other backends. It does not look
// at the file: that is Build's job.
func (*Builder) Validate(r imagebuild.Recipe) error {
	if r.Backend != Name {
		return fmt.Errorf("recipe %s: backend %q is not %s", r.Name, r.Backend, Name)
	}
	if r.File == "" {
		return fmt.Errorf("recipe %s: the import backend needs file: the disk image to import", r.Name)
	}
	if len(r.Layout.Split) > 0 || r.Cmdline != "" || r.Size != 0 {
		return fmt.Errorf("recipe %s: an imported disk is used as it is: layout split, cmdline and size do not apply", r.Name)
	}
	return imagebuild.OnlyFields(r, "file")
}

// Build checks the file is there and hands it on as the disk payload.
func (*Builder) Build(ctx context.Context, r imagebuild.Recipe, _ string) (*imagebuild.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	info, err := os.Stat(r.File)
	if err != nil {
		return nil, fmt.Errorf("import file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("import file %s: not a regular file", r.File)
	}
	return &imagebuild.Result{Payloads: []imagebuild.PayloadFile{{Role: "disk", Kind: manifest.KindRawDisk, Path: r.File}}}, nil
}
