// Package mkosi is the image build backend that runs Debian's mkosi with the
// recipe's mkosi.conf passed through unchanged; mkosi writes a directory
// tree (--format directory) that Ingot assembles like any other tree.
package mkosi

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/imagebuild"
	"ingot.dev/ingot/imagebuild/internal/hostcmd"
	"ingot.dev/ingot/imagebuild/rootfs"
)

// Name is the recipe backend value.
const Name = "mkosi"

// Config tunes the backend. The zero value is valid.
type Config struct {
	Epoch  time.Time // SOURCE_DATE_EPOCH; zero: the build's time
	Logger *slog.Logger
}

// Builder is the mkosi backend.
type Builder struct{ cfg Config }

var _ imagebuild.Builder = (*Builder)(nil)

// New returns an mkosi builder.
func New(cfg Config) *Builder {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Builder{cfg: cfg}
}

// Name returns "mkosi".
func (*Builder) Name() string { return Name }

// Capabilities describes the backend.
func (*Builder) Capabilities() imagebuild.Capabilities {
	return imagebuild.Capabilities{Output: imagebuild.OutputTree, Arches: []string{"amd64"},
		Firmware: []string{"bios", "uefi", "both"}, Layouts: true, Network: true, HostTools: []string{"mkosi"}}
}

// Validate wants an mkosi.conf whose Format, if set, is directory: Ingot
// assembles the disk itself.
func (*Builder) Validate(r imagebuild.Recipe) error {
	if r.Backend != Name {
		return fmt.Errorf("recipe %s: backend %q is not %s", r.Name, r.Backend, Name)
	}
	if strings.TrimSpace(r.Config) == "" {
		return fmt.Errorf("recipe %s: the mkosi backend needs config: the mkosi.conf to build with", r.Name)
	}
	for _, l := range strings.Split(r.Config, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(l), "=")
		if ok && strings.TrimSpace(k) == "Format" && strings.TrimSpace(v) != "directory" {
			return fmt.Errorf("recipe %s: mkosi Format=%s: Ingot assembles the disk itself, use Format=directory or leave it out", r.Name, strings.TrimSpace(v))
		}
	}
	return imagebuild.OnlyFields(r, "config")
}

// initrds makes the initrd of every kernel in /boot that has none: mkosi
// 14 builds no initramfs-tools initrd for a directory output, and the ESP
// needs one. update-initramfs runs chrooted, with /proc mounted in a private
// mount namespace that dies with it.
func initrds(ctx context.Context, tree string, log *slog.Logger) error {
	kernels, _ := filepath.Glob(filepath.Join(tree, "boot", "vmlinuz-*"))
	for _, k := range kernels {
		v := strings.TrimPrefix(filepath.Base(k), "vmlinuz-")
		if _, err := os.Stat(filepath.Join(tree, "boot", "initrd.img-"+v)); err == nil {
			continue
		}
		script := `mount -t proc proc "$1/proc" && chroot "$1" update-initramfs -c -k "$2"`
		cmd := hostcmd.Cmd{Path: "sh", Args: []string{"-c", script, "sh", tree, v}, PrivateNS: true, Logger: log}
		if _, err := cmd.Run(ctx); err != nil {
			return fmt.Errorf("making the initrd of kernel %s (is initramfs-tools in Packages?): %w", v, err)
		}
	}
	return nil
}

// Build runs mkosi in workDir and normalizes its tree.
func (b *Builder) Build(ctx context.Context, r imagebuild.Recipe, workDir string) (*imagebuild.Result, error) {
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(workDir, "mkosi.conf")
	if err := os.WriteFile(conf, []byte(r.Config), 0o644); err != nil {
		return nil, err
	}
	tree := filepath.Join(workDir, "tree")
	epoch := imagebuild.Epoch(b.cfg.Epoch)
	cmd := hostcmd.Cmd{
		Path: "mkosi", Dir: workDir, PrivateNS: true, Logger: b.cfg.Logger,
		Args: []string{"--config", conf, "--format", "directory", "--output", tree, "--force", "build"},
		Env:  []string{"SOURCE_DATE_EPOCH=" + strconv.FormatInt(epoch.Unix(), 10)},
	}
	if _, err := cmd.Run(ctx); err != nil {
		return nil, fmt.Errorf("mkosi: %w", err)
	}
	if err := initrds(ctx, tree, b.cfg.Logger); err != nil {
		return nil, err
	}
	if err := rootfs.Normalize(ctx, tree, epoch); err != nil {
		return nil, fmt.Errorf("normalizing mkosi tree: %w", err)
	}
	o := manifest.OS{}
	if b, err := os.ReadFile(filepath.Join(tree, "etc/os-release")); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "ID="); ok {
				o.ID = strings.Trim(v, `"`)
			}
			if v, ok := strings.CutPrefix(l, "VERSION_ID="); ok {
				o.Version = strings.Trim(v, `"`)
			}
		}
	}
	return &imagebuild.Result{Tree: tree, OS: o}, nil
}
