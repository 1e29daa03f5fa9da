package imagebuild

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"ingot.dev/ingot/image/manifest"
	"ingot.dev/ingot/imagebuild/assemble"
)

// Config tunes Build. The zero value is valid.
type Config struct {
	// WorkRoot is where each build makes its private work directory;
	// default os.TempDir().
	WorkRoot string
	// Epoch is SOURCE_DATE_EPOCH: timestamps in the image are clamped to it
	// and the manifest's created time is it. Zero: now (not reproducible).
	Epoch  time.Time
	Logger *slog.Logger
	// Phase, when set, is told when the build enters a phase: "backend",
	// then "assemble" for a backend that makes a tree.
	Phase func(name string)
}

// Validate reports a config Build cannot use.
func (c Config) Validate() error {
	if c.WorkRoot != "" && !filepath.IsAbs(c.WorkRoot) {
		return fmt.Errorf("build work root %q: want an absolute path", c.WorkRoot)
	}
	return nil
}

// Artifacts are a finished build's payload files, in a work directory that
// Remove deletes.
type Artifacts struct {
	Recipe     Recipe
	Dir        string
	Payloads   []PayloadFile
	OS         manifest.OS
	Cmdline    string
	Bootloader string
	Epoch      time.Time
}

// Remove deletes the work directory.
func (a *Artifacts) Remove() error { return removeWorkDir(a.Dir) }

// Build validates r, runs its backend in a fresh work directory under
// cfg.WorkRoot and, for a backend that makes a tree, assembles the tree into
// a bootable disk (and one payload per split filesystem). On any failure or
// cancellation the work directory is gone when Build returns.
func Build(ctx context.Context, reg *Registry, r Recipe, cfg Config) (a *Artifacts, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Phase == nil {
		cfg.Phase = func(string) {}
	}
	r = r.WithDefaults()
	if err := r.Validate(); err != nil {
		return nil, err
	}
	b, err := reg.Lookup(r.Backend)
	if err != nil {
		return nil, fmt.Errorf("recipe %s: %w", r.Name, err)
	}
	if err := b.Validate(r); err != nil {
		return nil, err
	}
	root := cfg.WorkRoot
	if root == "" {
		root = os.TempDir()
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("build work root: %w", err)
	}
	dir, err := os.MkdirTemp(root, "build-"+r.Name+"-")
	if err != nil {
		return nil, fmt.Errorf("build work directory: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, removeWorkDir(dir))
		}
	}()
	epoch := Epoch(cfg.Epoch)
	log := cfg.Logger.With("recipe", r.Name, "backend", r.Backend)
	start := time.Now()
	backendDir := filepath.Join(dir, "backend")
	if err := os.Mkdir(backendDir, 0o755); err != nil {
		return nil, fmt.Errorf("build work directory: %w", err)
	}
	cfg.Phase("backend")
	res, err := b.Build(ctx, r, backendDir)
	if err != nil {
		return nil, fmt.Errorf("building %s with %s: %w", r.Name, r.Backend, err)
	}
	log.Info("backend done", "took", time.Since(start).Round(time.Millisecond))
	a = &Artifacts{Recipe: r, Dir: dir, OS: res.OS, Payloads: res.Payloads, Epoch: epoch, Cmdline: r.Cmdline}
	if res.Tree == "" {
		if len(res.Payloads) == 0 {
			return nil, fmt.Errorf("building %s with %s: the backend returned neither a tree nor payloads", r.Name, r.Backend)
		}
		return a, nil
	}
	cfg.Phase("assemble")
	if err := assembleTree(ctx, a, res.Tree, log); err != nil {
		return nil, fmt.Errorf("assembling %s: %w", r.Name, err)
	}
	log.Info("assembled", "took", time.Since(start).Round(time.Millisecond))
	return a, nil
}

func assembleTree(ctx context.Context, a *Artifacts, tree string, log *slog.Logger) error {
	r := a.Recipe
	cfg := assemble.Config{
		Tree: tree, OutDir: filepath.Join(a.Dir, "out"), Name: r.Name, Firmware: string(r.Firmware),
		Cmdline: r.Cmdline, Seed: r.Hash(), DiskSize: int64(r.Size), Epoch: a.Epoch, Logger: log,
	}
	for _, m := range r.Layout.Split {
		cfg.Split = append(cfg.Split, assemble.Mount{Path: m.Path, Size: int64(m.Size)})
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return err
	}
	out, err := assemble.Assemble(ctx, cfg)
	if err != nil {
		return err
	}
	a.Cmdline, a.Bootloader = out.Cmdline, out.Bootloader
	for _, p := range out.Payloads {
		a.Payloads = append(a.Payloads, PayloadFile{Role: p.Role, Kind: p.Kind, FSType: p.FSType, Path: p.Path})
	}
	return nil
}
