// Package debootstrap is the image build backend that makes a Debian root
// tree with debootstrap: the minbase variant plus the recipe's packages (and
// those its layout needs), from the recipe's mirror or the one the host's apt
// sources name, cleaned and clamped to SOURCE_DATE_EPOCH by package rootfs.
package debootstrap

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
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
const Name = "debootstrap"

// Config tunes the backend. The zero value is valid.
type Config struct {
	// Sources is the apt configuration the default mirror is read from;
	// default os.DirFS("/").
	Sources fs.FS
	// CacheDir keeps downloaded .debs between builds (debootstrap
	// --cache-dir); empty: none. It changes nothing in the result.
	CacheDir string
	// Epoch is SOURCE_DATE_EPOCH: every newer timestamp in the tree is
	// clamped to it; zero means the time of each build (not reproducible).
	Epoch  time.Time
	Logger *slog.Logger
}

// Validate reports a config the builder cannot use.
func (c Config) Validate() error {
	if c.CacheDir != "" && !filepath.IsAbs(c.CacheDir) {
		return fmt.Errorf("debootstrap cache dir %q: want an absolute path", c.CacheDir)
	}
	return nil
}

// Builder is the debootstrap backend.
type Builder struct{ cfg Config }

var _ imagebuild.Builder = (*Builder)(nil)

// New returns a debootstrap builder.
func New(cfg Config) (*Builder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Sources == nil {
		cfg.Sources = os.DirFS("/")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Builder{cfg: cfg}, nil
}

// Name returns "debootstrap".
func (b *Builder) Name() string { return Name }

// Capabilities describes the backend.
func (b *Builder) Capabilities() imagebuild.Capabilities {
	return imagebuild.Capabilities{
		Output: imagebuild.OutputTree, Arches: []string{"amd64"}, Firmware: []string{"bios", "uefi", "both"},
		Layouts: true, Packages: true, Network: true, HostTools: []string{"debootstrap"},
	}
}

// Validate checks the suite, mirror and that no other backend's fields are set.
func (b *Builder) Validate(r imagebuild.Recipe) error {
	if r.Backend != Name {
		return fmt.Errorf("recipe %s: backend %q is not %s", r.Name, r.Backend, Name)
	}
	if r.Suite == "" || strings.ContainsAny(r.Suite, "/ \t") {
		return fmt.Errorf("recipe %s: suite %q: want a Debian suite such as bookworm", r.Name, r.Suite)
	}
	if r.Mirror != "" {
		u, err := url.Parse(r.Mirror)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") || (u.Host == "" && u.Scheme != "file") {
			return fmt.Errorf("recipe %s: mirror %q: want an http, https or file URL", r.Name, r.Mirror)
		}
	}
	if r.Arch != "amd64" {
		return fmt.Errorf("recipe %s: arch %s: the debootstrap backend builds amd64 only", r.Name, r.Arch)
	}
	return imagebuild.OnlyFields(r, "suite", "mirror", "packages")
}

// Build runs debootstrap into workDir/tree and normalizes the result.
func (b *Builder) Build(ctx context.Context, r imagebuild.Recipe, workDir string) (*imagebuild.Result, error) {
	mirror := r.Mirror
	if mirror == "" {
		var err error
		if mirror, err = MirrorFor(b.cfg.Sources, r.Suite); err != nil {
			return nil, err
		}
	}
	tree := filepath.Join(workDir, "tree")
	epoch := imagebuild.Epoch(b.cfg.Epoch)
	args := []string{"--variant=minbase", "--merged-usr"}
	if pkgs := r.AllPackages(); len(pkgs) > 0 {
		args = append(args, "--include="+strings.Join(pkgs, ","))
	}
	if b.cfg.CacheDir != "" {
		if err := os.MkdirAll(b.cfg.CacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("debootstrap cache: %w", err)
		}
		args = append(args, "--cache-dir="+b.cfg.CacheDir)
	}
	args = append(args, r.Suite, tree, mirror)
	b.cfg.Logger.Info("debootstrap", "suite", r.Suite, "mirror", mirror, "packages", r.AllPackages())
	cmd := hostcmd.Cmd{
		Path: "debootstrap", Args: args, PrivateNS: true, Logger: b.cfg.Logger,
		Env: []string{"SOURCE_DATE_EPOCH=" + strconv.FormatInt(epoch.Unix(), 10), "LC_ALL=C.UTF-8", "DEBIAN_FRONTEND=noninteractive"},
	}
	if _, err := cmd.Run(ctx); err != nil {
		return nil, fmt.Errorf("debootstrap %s from %s: %w", r.Suite, mirror, err)
	}
	if err := rootfs.Normalize(ctx, tree, epoch); err != nil {
		return nil, fmt.Errorf("normalizing %s tree: %w", r.Suite, err)
	}
	return &imagebuild.Result{Tree: tree, OS: manifest.OS{ID: "debian", Version: debianVersion(tree)}}, nil
}

func debianVersion(tree string) string {
	b, _ := os.ReadFile(filepath.Join(tree, "etc/os-release"))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VERSION_ID="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}
