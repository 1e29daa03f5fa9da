// Package e2e sets up Ingot's lab end to end: it builds the binary, the
// installer and a Debian image (cached under build/), starts a real
// `ingot serve` with netboot on a private lab network, and boots VMs that
// PXE-boot the installer. The end-to-end test (`make e2e`) and `make demo`
// both use it.
package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Recipe is the smallest Debian that boots, networks and phones home.
const Recipe = `name: debian-e2e
backend: debootstrap
suite: bookworm
firmware: both
packages: [initramfs-tools, linux-image-cloud-amd64, systemd-sysv, udev]
cmdline: console=ttyS0 systemd.show_status=1
`

// StorageRecipe is Recipe shaped by the mirror+cis layout with LUKS bound to
// Tang and the TPM: one filesystem payload per CIS mount point, and mdadm,
// lvm2, cryptsetup and clevis with their initramfs hooks in the image, and
// sshd so the storage test can run commands in the installed system. It is
// built for both firmwares: its disk payload carries GRUB's BIOS boot code,
// which the installer copies onto a layout's disks for BIOS machines. Its
// services get 5 minutes to start instead of systemd's 90 s; its devices
// get them through slowDevices.
const StorageRecipe = `name: debian-storage
backend: debootstrap
suite: bookworm
firmware: both
packages: [initramfs-tools, linux-image-cloud-amd64, systemd-sysv, udev, openssh-server]
layout: {preset: mirror+cis, encryption: tang+tpm2}
cmdline: console=ttyS0 systemd.show_status=1 systemd.default_timeout_start_sec=300
`

// epoch is the SOURCE_DATE_EPOCH of the image build (reproducible, cached).
const epoch = "1700000000"

// Artifacts are what a lab needs, built once and cached.
type Artifacts struct {
	Repo         string // the repository root
	Ingot        string // the ingot binary
	InstallerDir string // build/installer: vmlinuz, initramfs.cpio.gz
	ImageDir     string // build/e2e/image-<hash>: a local data directory holding the image
}

// Repo finds the repository root from the working directory.
func Repo() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" || strings.TrimSpace(string(out)) == os.DevNull {
		return "", fmt.Errorf("finding the repository (go env GOMOD): run inside the Ingot checkout: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// Build builds the ingot binary into work and the installer and the
// Debian image into their caches, logging what it does to log.
func Build(ctx context.Context, repo, work string, log io.Writer) (Artifacts, error) {
	a := Artifacts{Repo: repo, Ingot: filepath.Join(work, "ingot"), InstallerDir: filepath.Join(repo, "build", "installer")}
	fmt.Fprintln(log, "building ingot and the installer (kernel + initramfs, cached in build/installer)")
	if err := run(ctx, repo, []string{"CGO_ENABLED=0"}, log, "go", "build", "-o", a.Ingot, "./cmd/ingot"); err != nil {
		return a, err
	}
	if err := run(ctx, repo, nil, log, "go", "run", "./internal/mkinstaller", "-out", a.InstallerDir); err != nil {
		return a, err
	}
	var err error
	a.ImageDir, err = a.BuildImage(ctx, work, Recipe, log)
	return a, err
}

// BuildImage builds recipe with the debootstrap backend into its cache
// directory under build/e2e (once per recipe) and returns that directory.
func (a Artifacts) BuildImage(ctx context.Context, work, recipe string, log io.Writer) (string, error) {
	builder, err := builderSum(a.Repo)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(recipe + epoch + builder))
	dir := filepath.Join(a.Repo, "build", "e2e", "image-"+hex.EncodeToString(sum[:8]))
	if ids, _ := filepath.Glob(filepath.Join(dir, "manifests", "[0-9a-f]*")); len(ids) == 1 {
		return dir, nil
	}
	fmt.Fprintln(log, "building the Debian image with the debootstrap backend (once; cached in", dir+")")
	os.RemoveAll(dir)
	rf := filepath.Join(work, "recipe-"+hex.EncodeToString(sum[:4])+".yaml")
	if err := os.WriteFile(rf, []byte(recipe), 0o644); err != nil {
		return dir, err
	}
	err = run(ctx, a.Repo, []string{"SOURCE_DATE_EPOCH=" + epoch}, log, a.Ingot, "image", "build", rf,
		"--local", dir, "--cache-dir", filepath.Join(a.Repo, "build", "e2e", "debs"))
	return dir, err
}

// builderSum hashes the image builder's sources (imagebuild and image,
// tests aside), so a change to what goes into an image rebuilds the cached
// ones.
func builderSum(repo string) (string, error) {
	h := sha256.New()
	for _, top := range []string{"imagebuild", "image"} {
		err := filepath.WalkDir(filepath.Join(repo, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.go") || !(strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".sh")) {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s %d\n", strings.TrimPrefix(p, repo), len(b))
			h.Write(b)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("hashing the image builder's sources: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// SeedData copies the built image into a fresh server data directory:
// chunks as hard links, the manifest and the signing key that signed it.
func (a Artifacts) SeedData(ctx context.Context, data string) error {
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	if err := run(ctx, data, nil, io.Discard, "cp", "-al", filepath.Join(a.ImageDir, "chunks"), filepath.Join(data, "chunks")); err != nil {
		return err
	}
	return run(ctx, data, nil, io.Discard, "cp", "-a", filepath.Join(a.ImageDir, "manifests"), filepath.Join(a.ImageDir, "signing.key"), data)
}

func run(ctx context.Context, dir string, env []string, log io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}
