package install

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	initrdpkg "ingot.dev/ingot/installer/initrd"
	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/storage"
)

// Where the image builder's GRUB reads the kernel, the initrd and its
// configuration: the root of the ESP (imagebuild/assemble).
const (
	espInitrd  = "initrd.img"
	espGrubCfg = "grub/grub.cfg"
)

// refreshInitramfs makes the target's initramfs assemble the arrays,
// activate LVM and unlock LUKS with clevis. When the image's initramfs was
// built with the hooks the stack needs (the recipe's layout adds them), the
// host's crypttab and mdadm.conf are appended to it as an overlay: seconds,
// where mkinitramfs takes many minutes under emulation. Otherwise the
// target's update-initramfs runs in a chroot.
func refreshInitramfs(ctx context.Context, r storage.Runner, sp layout.StoragePlan, t *tree) (string, error) {
	initrd, err := newestInitrd(t.dir)
	if err != nil {
		return "", err
	}
	if missing := missingHooks(sp, t.dir); len(missing) > 0 {
		if err := t.bind(); err != nil {
			return "", err
		}
		_, err := r.Run(ctx, nil, "chroot", t.dir, "/usr/bin/env", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
			"update-initramfs", "-u", "-k", "all")
		if err != nil {
			return "", fmt.Errorf("regenerating the target's initramfs (its image lacks %s): %w", strings.Join(missing, ", "), err)
		}
		return "update-initramfs in the target", nil
	}
	var files []initrdpkg.File
	for _, f := range []struct{ src, dst string }{{"etc/crypttab", "cryptroot/crypttab"}, {"etc/mdadm/mdadm.conf", "etc/mdadm/mdadm.conf"}} {
		if b, err := os.ReadFile(filepath.Join(t.dir, f.src)); err == nil {
			files = append(files, initrdpkg.File{Name: f.dst, Data: b})
		}
	}
	ov, err := initrdpkg.Overlay(files)
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(initrd, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return "", err
	}
	_, werr := f.Write(ov)
	if err := errors.Join(werr, f.Close()); err != nil {
		return "", fmt.Errorf("appending the storage overlay to %s: %w", initrd, err)
	}
	return "crypttab and mdadm.conf appended to the image's initramfs", nil
}

// missingHooks lists the initramfs-tools hooks the stack needs that the
// target lacks.
func missingHooks(sp layout.StoragePlan, dir string) []string {
	var need []string
	if len(sp.LUKS) > 0 {
		need = append(need, "hooks/cryptroot", "scripts/local-top/clevis")
	}
	if len(sp.Arrays) > 0 {
		need = append(need, "hooks/mdadm")
	}
	if len(sp.VolumeGroups) > 0 {
		need = append(need, "hooks/lvm2")
	}
	var missing []string
	for _, h := range need {
		if _, err := os.Stat(filepath.Join(dir, "usr/share/initramfs-tools", h)); err != nil {
			missing = append(missing, h)
		}
	}
	return missing
}

// newestInitrd is the target's newest /boot/initrd.img-*.
func newestInitrd(dir string) (string, error) {
	initrds, _ := filepath.Glob(filepath.Join(dir, "boot", "initrd.img-*"))
	if len(initrds) == 0 {
		return "", fmt.Errorf("no /boot/initrd.img-* in the target")
	}
	slices.Sort(initrds)
	return initrds[len(initrds)-1], nil
}

// syncESPs copies the regenerated initrd and the boot configuration (with
// the root device the stack needs) to the ESP mounted in the tree, then
// the same files to every replica ESP.
func syncESPs(ctx context.Context, sp layout.StoragePlan, dir string) error {
	i := slices.IndexFunc(sp.Filesystems, func(fs layout.PlannedFilesystem) bool { return fs.Mount == "/boot/efi" })
	if i < 0 {
		return nil
	}
	newest, err := newestInitrd(dir)
	if err != nil {
		return err
	}
	initrd, err := os.ReadFile(newest)
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
