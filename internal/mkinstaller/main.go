// Command mkinstaller builds the installer's boot files: the kernel
// (build/installer/vmlinuz, Debian's generic kernel) and the initramfs
// (build/installer/initramfs.cpio.gz) with ingot-installer as /init, the
// kernel modules it loads, and the storage tools it runs.
//
// The initramfs is two concatenated gzip'd cpio archives: a base (modules,
// tools, libraries, busybox), cached under OUT/.cache by a key of the kernel
// version and the tools' versions, and a small overlay holding the freshly
// built installer. Run it from the repository root:
//
//	go run ./internal/mkinstaller -out build/installer
//
// For another architecture (-arch arm64) the kernel, the tools and their
// libraries come from that architecture's .deb files, resolved with apt from
// the host's sources into a private package list under OUT/.cache/apt (the
// host's dpkg and apt state are left alone), and ingot-installer is
// cross-compiled:
//
//	go run ./internal/mkinstaller -arch arm64 -out build/installer-arm64
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// baseFormat changes whenever the base archive's content rules change, so
// that cached bases are rebuilt.
const baseFormat = "ingot-installer-base/3"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mkinstaller:", err)
		os.Exit(1)
	}
}

type config struct {
	Out       string // output directory
	Arch      string // Debian architecture: amd64 (default) or arm64
	Meta      string // kernel meta-package; default linux-image-ARCH
	Package   string // exact kernel package; resolved from Meta when empty
	Installer string // prebuilt installer binary; built from ./cmd/ingot-installer when empty
	Update    bool   // refresh a foreign architecture's package lists first
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("mkinstaller", flag.ContinueOnError)
	fs.StringVar(&c.Out, "out", "build/installer", "output directory")
	fs.StringVar(&c.Arch, "arch", "amd64", "architecture of the installer: amd64 or arm64")
	fs.StringVar(&c.Meta, "meta", "", "Debian kernel meta-package to resolve (default linux-image-ARCH)")
	fs.StringVar(&c.Package, "kernel-package", "", "exact kernel package (default: what -meta depends on)")
	fs.StringVar(&c.Installer, "installer", "", "prebuilt static ingot-installer (default: go build ./cmd/ingot-installer)")
	fs.BoolVar(&c.Update, "update", false, "refresh the package lists of a foreign -arch first (they are fetched once, and again when a download fails)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t, err := lookupTarget(c.Arch)
	if err != nil {
		return err
	}
	if c.Meta == "" {
		c.Meta = "linux-image-" + t.Arch
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	start := time.Now()
	cache := filepath.Join(c.Out, ".cache")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", cache, err)
	}
	var a apt
	if !t.native() {
		if a, err = foreignApt(t.Arch, filepath.Join(cache, "apt")); err != nil {
			return err
		}
		ready := a.ensureLists
		if c.Update {
			ready = a.update
		}
		if err := ready(ctx); err != nil {
			return err
		}
	}
	err = build(ctx, log, c, t, a)
	if errors.Is(err, errDownload) && a.dir != "" {
		log.Info("download failed; refreshing the package lists and retrying", "arch", t.Arch, "err", err)
		if err := a.update(ctx); err != nil {
			return err
		}
		err = build(ctx, log, c, t, a)
	}
	if err != nil {
		return err
	}
	log.Info("installer ready", "dir", c.Out, "arch", t.Arch, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func build(ctx context.Context, log *slog.Logger, c config, t target, a apt) error {
	cache := filepath.Join(c.Out, ".cache")
	if c.Package == "" {
		p, err := resolveKernelPackage(ctx, a, c.Meta)
		if err != nil {
			return err
		}
		c.Package = p
	}
	k, err := fetchKernel(ctx, log, a, cache, c.Package)
	if err != nil {
		return err
	}
	if err := installFile(k.vmlinuz(), filepath.Join(c.Out, "vmlinuz")); err != nil {
		return err
	}
	base, err := baseArchive(ctx, log, cache, k, t, a)
	if err != nil {
		return err
	}
	bin := c.Installer
	if bin == "" {
		bin = filepath.Join(cache, "ingot-installer")
		if err := goBuild(ctx, bin, t.Arch); err != nil {
			return err
		}
	}
	overlay, err := gzipArchive(archive{
		"bin/ingot-installer": {Name: "bin/ingot-installer", Mode: modeFile | 0o755, Src: bin},
		"init":                {Name: "init", Mode: modeSymlink | 0o777, Data: []byte("bin/ingot-installer")},
	})
	if err != nil {
		return err
	}
	out := filepath.Join(c.Out, "initramfs.cpio.gz")
	if err := writeIfChanged(out, append(base, overlay...)); err != nil {
		return err
	}
	log.Info("initramfs", "path", out, "bytes", len(base)+len(overlay), "kernel", k.Version)
	return nil
}

// baseArchive returns the cached gzip'd base archive for k, building it when
// the kernel or the tools changed.
func baseArchive(ctx context.Context, log *slog.Logger, cache string, k kernel, t target, pkgs apt) ([]byte, error) {
	order, err := moduleOrder(k, append(wantModules[:len(wantModules):len(wantModules)], t.Modules...))
	if err != nil {
		return nil, err
	}
	addTools := func(ctx context.Context, a archive) error { return addHostTools(ctx, a, t) }
	stamp := toolStamp()
	if !t.native() {
		s, err := fetchSysroot(ctx, log, pkgs, cache)
		if err != nil {
			return nil, err
		}
		addTools = func(_ context.Context, a archive) error { return addSysrootTools(a, s, t) }
		stamp = s.Stamp
	}
	sum := sha256.Sum256([]byte(baseFormat + "\n" + k.Version + "\n" + strings.Join(order, "\n") + "\n" + stamp))
	path := filepath.Join(cache, "base-"+hex.EncodeToString(sum[:8])+".cpio.gz")
	if b, err := os.ReadFile(path); err == nil {
		return b, nil
	}
	log.Info("building initramfs base", "kernel", k.Version, "modules", len(order))
	a := archive{}
	for _, d := range []string{"dev", "proc", "sys", "run", "tmp", "mnt", "root", "etc", "var/log"} {
		a.dir(d)
	}
	a.add(entry{Name: "dev/console", Mode: modeChar | 0o600, Maj: 5, Min: 1})
	a.add(entry{Name: "dev/null", Mode: modeChar | 0o666, Maj: 1, Min: 3})
	a.add(entry{Name: "etc/passwd", Mode: modeFile | 0o644, Data: []byte("root:x:0:0:root:/root:/bin/sh\n")})
	a.add(entry{Name: "etc/group", Mode: modeFile | 0o644, Data: []byte("root:x:0:\n")})
	var list strings.Builder
	for _, m := range order {
		g := "lib/modules/" + k.Version + "/" + m
		a.add(entry{Name: g, Mode: modeFile | 0o644, Src: filepath.Join(k.modDir(), m)})
		list.WriteString("/" + g + "\n")
	}
	a.add(entry{Name: "etc/ingot/modules", Mode: modeFile | 0o644, Data: []byte(list.String())})
	if err := addTools(ctx, a); err != nil {
		return nil, err
	}
	b, err := gzipArchive(a)
	if err != nil {
		return nil, err
	}
	return b, writeIfChanged(path, b)
}

func moduleOrder(k kernel, want []string) ([]string, error) {
	f, err := os.Open(filepath.Join(k.modDir(), "modules.dep"))
	if err != nil {
		return nil, fmt.Errorf("opening modules.dep: %w", err)
	}
	defer f.Close()
	t, err := parseModulesDep(f)
	if err != nil {
		return nil, err
	}
	bf, err := os.Open(filepath.Join(k.modDir(), "modules.builtin"))
	if err != nil {
		return nil, fmt.Errorf("opening modules.builtin: %w", err)
	}
	defer bf.Close()
	builtin, err := parseBuiltin(bf)
	if err != nil {
		return nil, err
	}
	order, _ := t.resolve(want, builtin)
	return order, nil
}

func gzipArchive(a archive) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err := writeCPIO(zw, a); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing archive: %w", err)
	}
	return buf.Bytes(), nil
}

func goBuild(ctx context.Context, out, arch string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./cmd/ingot-installer")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOARCH="+arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building ingot-installer: %w: %s", err, bytes.TrimSpace(b))
	}
	return nil
}

// installFile copies src to dst unless dst already has the same content.
func installFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	return writeIfChanged(dst, b)
}

// writeIfChanged replaces path with b atomically, leaving it (and its mtime)
// alone when it already holds b.
func writeIfChanged(path string, b []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("installing %s: %w", path, err)
	}
	return nil
}
