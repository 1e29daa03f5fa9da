// Package localboot finds the system installed on a machine's disks and
// loads its kernel for kexec, so a machine that boots a generic medium
// again after its install (BIOS has no boot order the installer can set)
// still ends up in its installed system.
//
// The kernel, initrd and command line come from the first entry of a GRUB
// configuration, looked for on the EFI system partition first
// (/grub/grub.cfg: Ingot's images keep kernel, initrd and grub.cfg there,
// and the installer keeps its root= true for md, LUKS and LVM roots, so
// an encrypted root need not be opened), then on each Linux partition
// (/boot/grub/grub.cfg of a plain root, /grub/grub.cfg of a separate
// /boot). Every filesystem is mounted read-only.
package localboot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"ingot.dev/ingot/installer/disk"
)

// Mounter mounts a partition read-only and returns where.
type Mounter interface {
	Mount(ctx context.Context, dev, fstype string) (dir string, unmount func() error, err error)
}

// Loader loads a kernel for kexec (sysinit.KexecFiles on a machine).
type Loader func(kernel, initrd, cmdline string) error

// grubConfigs are where a filesystem may hold the boot configuration.
var grubConfigs = []string{"grub/grub.cfg", "boot/grub/grub.cfg"}

// ErrNotFound means no disk holds a bootable installed system.
var ErrNotFound = errors.New("no installed system found on the disks")

// Load finds the installed system on disks (device paths, in order) and
// loads it with load. It returns the entry it loaded.
func Load(ctx context.Context, disks []string, m Mounter, load Loader) (Entry, error) {
	var tried []string
	for _, d := range disks {
		parts, err := candidates(d)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s: %v", d, err))
			continue
		}
		for _, p := range parts {
			e, err := loadFrom(ctx, p, m, load)
			if err == nil {
				return e, nil
			}
			tried = append(tried, fmt.Sprintf("%s: %v", p.dev, err))
		}
	}
	return Entry{}, fmt.Errorf("%w (%s)", ErrNotFound, strings.Join(tried, "; "))
}

type partition struct{ dev, fstype string }

// candidates are the disk's ESP, then its Linux partitions with a
// filesystem the kernel can mount.
func candidates(dev string) ([]partition, error) {
	f, err := os.Open(dev)
	if err != nil {
		return nil, err
	}
	linux, esp, err := disk.Partitions(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	var ps []partition
	if esp != 0 {
		ps = append(ps, partition{disk.PartitionPath(dev, esp), "vfat"})
	}
	for _, n := range linux {
		p := disk.PartitionPath(dev, n)
		if t := probe(p); t == "ext4" || t == "xfs" {
			ps = append(ps, partition{p, t})
		}
	}
	return ps, nil
}

func probe(dev string) string {
	f, err := os.Open(dev)
	if err != nil {
		return ""
	}
	defer f.Close()
	return disk.FSType(f)
}

// loadFrom mounts p and loads the first GRUB entry found on it; the
// kernel is loaded while the filesystem is mounted.
func loadFrom(ctx context.Context, p partition, m Mounter, load Loader) (Entry, error) {
	dir, unmount, err := m.Mount(ctx, p.dev, p.fstype)
	if err != nil {
		return Entry{}, err
	}
	defer unmount()
	for _, c := range grubConfigs {
		b, err := os.ReadFile(filepath.Join(dir, c))
		if err != nil {
			continue
		}
		e, err := ParseGRUB(b)
		if err != nil {
			return Entry{}, fmt.Errorf("%s: %w", c, err)
		}
		kernel, initrd := filepath.Join(dir, e.Kernel), ""
		if e.Initrd != "" {
			initrd = filepath.Join(dir, e.Initrd)
		}
		if err := load(kernel, initrd, e.Cmdline); err != nil {
			return Entry{}, fmt.Errorf("loading %s from %s: %w", e.Kernel, c, err)
		}
		return e, nil
	}
	return Entry{}, errors.New("no grub.cfg")
}

// ReadOnly mounts read-only with mount(2) on Dir.
type ReadOnly struct{ Dir string }

// Mount mounts dev read-only on m.Dir.
func (m ReadOnly) Mount(_ context.Context, dev, fstype string) (string, func() error, error) {
	if err := os.MkdirAll(m.Dir, 0o755); err != nil {
		return "", nil, err
	}
	if err := unix.Mount(dev, m.Dir, fstype, unix.MS_RDONLY, ""); err != nil {
		return "", nil, fmt.Errorf("mounting %s (%s) read-only: %w", dev, fstype, err)
	}
	return m.Dir, func() error { return unix.Unmount(m.Dir, 0) }, nil
}
