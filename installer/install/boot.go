package install

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/storage"
)

// Where the image builder's GRUB reads the kernel, the initrd and its
// configuration: the root of the ESP (imagebuild/assemble).
const (
	espInitrd  = "initrd.img"
	espGrubCfg = "grub/grub.cfg"
)

// regenerateInitramfs runs the target's update-initramfs in a chroot, so
// that the initrd assembles the arrays, activates LVM and unlocks LUKS with
// clevis from the crypttab, mdadm.conf and fstab just written.
func regenerateInitramfs(ctx context.Context, r storage.Runner, dir string) error {
	_, err := r.Run(ctx, nil, "chroot", dir, "/usr/bin/env", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"update-initramfs", "-u", "-k", "all")
	if err != nil {
		return fmt.Errorf("regenerating the target's initramfs: %w", err)
	}
	return nil
}

// syncESPs copies the regenerated initrd and the boot configuration (with
// the root device the stack needs) to the ESP mounted in the tree, then
// the same files to every replica ESP.
func syncESPs(ctx context.Context, sp layout.StoragePlan, dir string) error {
	i := slices.IndexFunc(sp.Filesystems, func(fs layout.PlannedFilesystem) bool { return fs.Mount == "/boot/efi" })
	if i < 0 {
		return nil
	}
	initrds, _ := filepath.Glob(filepath.Join(dir, "boot", "initrd.img-*"))
	if len(initrds) == 0 {
		return fmt.Errorf("no /boot/initrd.img-* in the target after update-initramfs")
	}
	slices.Sort(initrds)
	initrd, err := os.ReadFile(initrds[len(initrds)-1])
	if err != nil {
		return err
	}
	esp := filepath.Join(dir, "boot/efi")
	cfg, err := os.ReadFile(filepath.Join(esp, espGrubCfg))
	if err != nil {
		return fmt.Errorf("reading the ESP's boot configuration: %w", err)
	}
	files := map[string][]byte{espInitrd: initrd, espGrubCfg: []byte(SetRoot(string(cfg), RootArg(sp)))}
	if err := writeFiles(esp, files); err != nil {
		return err
	}
	for _, rep := range sp.Filesystems[i].Replicas {
		if err := writeReplica(rep, files); err != nil {
			return err
		}
	}
	return nil
}

func writeFiles(dir string, files map[string][]byte) error {
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("writing %s on the ESP: %w", name, err)
		}
	}
	return nil
}

func writeReplica(dev string, files map[string][]byte) error {
	tmp, err := os.MkdirTemp("", "ingot-esp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := unix.Mount(dev, tmp, "vfat", 0, ""); err != nil {
		return fmt.Errorf("mounting the replica ESP %s: %w", dev, err)
	}
	werr := writeFiles(tmp, files)
	unix.Sync()
	if err := unix.Unmount(tmp, 0); err != nil && werr == nil {
		werr = err
	}
	if werr != nil {
		return fmt.Errorf("syncing the replica ESP %s: %w", dev, werr)
	}
	return nil
}

// RootArg is the root= kernel argument the stack needs, or "" to keep the
// image's (root=UUID=..., which holds for a root filesystem written from
// the image's payload). A root on LVM is named by its device-mapper path,
// which the initramfs' lvm2 script activates.
func RootArg(sp layout.StoragePlan) string {
	root := rootFS(sp).Device
	for _, vg := range sp.VolumeGroups {
		for _, lv := range vg.Volumes {
			if lv.Device == root {
				esc := func(s string) string { return strings.ReplaceAll(s, "-", "--") }
				return "/dev/mapper/" + esc(vg.Name) + "-" + esc(lv.Name)
			}
		}
	}
	return ""
}

var rootRE = regexp.MustCompile(`\broot=\S+`)

// SetRoot replaces every root= argument in a GRUB configuration; an empty
// root changes nothing.
func SetRoot(cfg, root string) string {
	if root == "" {
		return cfg
	}
	return rootRE.ReplaceAllLiteralString(cfg, "root="+root)
}
