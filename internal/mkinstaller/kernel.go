package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// kernel is an unpacked Debian kernel package with its modules.dep.
type kernel struct {
	Root    string // where the .deb was unpacked
	Version string // 6.1.0-56-amd64
}

func (k kernel) vmlinuz() string { return filepath.Join(k.Root, "boot", "vmlinuz-"+k.Version) }
func (k kernel) modDir() string  { return filepath.Join(k.Root, "lib", "modules", k.Version) }

// resolveKernelPackage asks apt which versioned package the meta-package
// (linux-image-amd64) currently depends on.
func resolveKernelPackage(ctx context.Context, a apt, meta string) (string, error) {
	out, err := a.command(ctx, "", "apt-cache", "depends", meta).Output()
	if err != nil {
		return "", fmt.Errorf("apt-cache depends %s: %w", meta, err)
	}
	s := bufio.NewScanner(bytes.NewReader(out))
	for s.Scan() {
		if dep, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "Depends: "); ok && strings.HasPrefix(dep, "linux-image-") {
			return dep, nil
		}
	}
	return "", fmt.Errorf("apt-cache depends %s names no linux-image package; run apt-get update", meta)
}

// fetchKernel downloads and unpacks pkg under cache once, and runs depmod on
// it (the .deb ships no modules.dep).
func fetchKernel(ctx context.Context, log *slog.Logger, a apt, cache, pkg string) (kernel, error) {
	root := filepath.Join(cache, "kernel", pkg)
	k := kernel{Root: root, Version: strings.TrimPrefix(pkg, "linux-image-")}
	if _, err := os.Stat(filepath.Join(root, ".done")); err == nil {
		return k, nil
	}
	log.Info("downloading kernel package", "package", pkg)
	dl := filepath.Join(cache, "deb")
	if err := os.MkdirAll(dl, 0o755); err != nil {
		return k, fmt.Errorf("creating %s: %w", dl, err)
	}
	if err := a.download(ctx, dl, pkg); err != nil {
		return k, err
	}
	debs, _ := filepath.Glob(filepath.Join(dl, pkg+"_*.deb"))
	if len(debs) == 0 {
		return k, fmt.Errorf("apt-get download %s left no .deb in %s", pkg, dl)
	}
	if err := os.RemoveAll(root); err != nil {
		return k, fmt.Errorf("cleaning %s: %w", root, err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return k, fmt.Errorf("creating %s: %w", root, err)
	}
	if err := runTool(ctx, "", "dpkg", "-x", debs[len(debs)-1], root); err != nil {
		return k, err
	}
	if err := runTool(ctx, "", "depmod", "-b", root, k.Version); err != nil {
		return k, fmt.Errorf("%w (depmod is in Debian's kmod package)", err)
	}
	if _, err := os.Stat(k.vmlinuz()); err != nil {
		return k, fmt.Errorf("kernel package %s has no %s: %w", pkg, k.vmlinuz(), err)
	}
	return k, os.WriteFile(filepath.Join(root, ".done"), nil, 0o644)
}

func runTool(ctx context.Context, dir, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}
