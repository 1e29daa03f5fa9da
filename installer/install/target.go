package install

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/installer/storage"
)

// tree is the installed system's filesystems mounted under dir.
type tree struct {
	dir    string
	mounts []string // in mount order
}

// mountOrder sorts the filesystems to mount: by path, so parents come
// before their children (/ before /boot before /boot/efi, /var before
// /var/log); swap is left out.
func mountOrder(sp layout.StoragePlan) []layout.PlannedFilesystem {
	fss := slices.DeleteFunc(slices.Clone(sp.Filesystems), func(fs layout.PlannedFilesystem) bool {
		return fs.Type == layout.Swap
	})
	slices.SortStableFunc(fss, func(a, b layout.PlannedFilesystem) int { return cmp.Compare(a.Mount, b.Mount) })
	return fss
}

// mountTree mounts the stack under dir. The image keeps its kernels in the
// root filesystem's /boot: when the layout gives /boot a filesystem of its
// own, that content is copied onto it before it is mounted over it.
func mountTree(ctx context.Context, r storage.Runner, sp layout.StoragePlan, dir string) (*tree, error) {
	t := &tree{dir: dir}
	for _, fs := range mountOrder(sp) {
		at := filepath.Join(dir, fs.Mount)
		if fs.Mount == "/boot" {
			if err := seedBoot(ctx, r, fs, at); err != nil {
				return t, err
			}
		}
		if err := t.mount(fs.Device, at, string(fs.Type)); err != nil {
			return t, err
		}
	}
	return t, nil
}

func (t *tree) mount(dev, at, fstype string) error {
	if err := os.MkdirAll(at, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(dev, at, fstype, 0, ""); err != nil {
		return fmt.Errorf("mounting %s (%s) on %s: %w", dev, fstype, at, err)
	}
	t.mounts = append(t.mounts, at)
	return nil
}

// seedBoot copies the root filesystem's /boot (at) onto the /boot
// filesystem.
func seedBoot(ctx context.Context, r storage.Runner, fs layout.PlannedFilesystem, at string) error {
	tmp, err := os.MkdirTemp("", "ingot-boot-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := unix.Mount(fs.Device, tmp, string(fs.Type), 0, ""); err != nil {
		return fmt.Errorf("mounting %s on %s: %w", fs.Device, tmp, err)
	}
	_, cerr := r.Run(ctx, nil, "cp", "-a", at+"/.", tmp+"/")
	if err := errors.Join(cerr, unix.Unmount(tmp, 0)); err != nil {
		return fmt.Errorf("copying /boot onto %s: %w", fs.Device, err)
	}
	return nil
}

// bind mounts the installer's /proc, /sys, /dev and /run into the tree for
// a chroot.
func (t *tree) bind() error {
	for _, d := range []string{"proc", "sys", "dev", "run"} {
		at := filepath.Join(t.dir, d)
		if err := os.MkdirAll(at, 0o755); err != nil {
			return err
		}
		if err := unix.Mount("/"+d, at, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind-mounting /%s into the target: %w", d, err)
		}
		t.mounts = append(t.mounts, at)
	}
	return nil
}

// unmount unmounts everything in reverse order (recursively for the bind
// mounts), then syncs.
func (t *tree) unmount() error {
	var errs []error
	for i := len(t.mounts) - 1; i >= 0; i-- {
		if err := unix.Unmount(t.mounts[i], 0); err != nil {
			if err2 := unix.Unmount(t.mounts[i], unix.MNT_DETACH); err2 != nil {
				errs = append(errs, fmt.Errorf("unmounting %s: %w", t.mounts[i], err))
			}
		}
	}
	t.mounts = nil
	unix.Sync()
	return errors.Join(errs...)
}

// storageFiles writes fstab, crypttab and mdadm.conf for the stack into
// the tree, with the UUIDs the built devices got.
func storageFiles(ctx context.Context, r storage.Runner, sp layout.StoragePlan, dir string) error {
	ids, err := readUUIDs(ctx, r, sp)
	if err != nil {
		return err
	}
	files := map[string]string{"etc/fstab": storage.Fstab(sp, ids)}
	if len(sp.LUKS) > 0 {
		files["etc/crypttab"] = storage.Crypttab(sp, ids)
	}
	if len(sp.Arrays) > 0 {
		files["etc/mdadm/mdadm.conf"] = storage.MdadmConf(sp, ids)
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return fmt.Errorf("writing /%s: %w", name, err)
		}
	}
	return nil
}

// readUUIDs asks blkid, cryptsetup and mdadm for the identifiers of the
// built stack.
func readUUIDs(ctx context.Context, r storage.Runner, sp layout.StoragePlan) (storage.UUIDs, error) {
	ids := storage.UUIDs{FS: map[string]string{}, LUKS: map[string]string{}, MD: map[string]string{}}
	get := func(name string, args ...string) (string, error) {
		out, err := r.Run(ctx, nil, name, args...)
		v := strings.TrimSpace(string(out))
		if err == nil && v == "" {
			err = fmt.Errorf("%s %s printed nothing", name, strings.Join(args, " "))
		}
		return v, err
	}
	var err error
	for _, fs := range sp.Filesystems {
		if ids.FS[fs.Device], err = get("blkid", "-s", "UUID", "-o", "value", fs.Device); err != nil {
			return ids, err
		}
	}
	for _, v := range sp.LUKS {
		if ids.LUKS[v.Device], err = get("cryptsetup", "luksUUID", v.Device); err != nil {
			return ids, err
		}
	}
	for _, a := range sp.Arrays {
		out, err := get("mdadm", "--detail", "--export", a.Device)
		if err != nil {
			return ids, err
		}
		for _, l := range strings.Split(out, "\n") {
			if v, ok := strings.CutPrefix(l, "MD_UUID="); ok {
				ids.MD[a.Device] = v
			}
		}
	}
	return ids, nil
}
