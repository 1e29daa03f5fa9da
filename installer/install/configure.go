package install

import (
	"context"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"ingot.dev/ingot/installer/disk"
	"ingot.dev/ingot/installer/plan"
)

// configure grows the written disk to its device, writes the host config
// into the root filesystem and sets the boot entry.
func (c Config) configure(ctx context.Context, p plan.Plan, target string, con *console) error {
	f, err := os.OpenFile(target, os.O_RDWR, 0)
	if err != nil {
		return fail("grow", err, "the disk cannot be opened after writing")
	}
	defer f.Close()
	size, err := f.Seek(0, 2)
	if err != nil {
		return fail("grow", err, "the disk's size cannot be read")
	}
	grown, err := disk.GrowGPT(f, size)
	if err != nil {
		return fail("grow", fmt.Errorf("growing the partition table of %s: %w", target, err), "the image must be a GPT disk image")
	}
	if err := disk.RereadPartitions(ctx, f); err != nil {
		return fail("grow", err, "another program holds the disk; reboot the installer and retry")
	}
	linux, esp, err := disk.Partitions(f)
	if err != nil || len(linux) == 0 {
		return fail("config", fmt.Errorf("no Linux root partition on %s (%v)", target, err), "the image needs a Linux filesystem partition")
	}
	root := linux[len(linux)-1]
	if grown != 0 {
		root = grown
	}
	block := isBlock(f)
	part := disk.PartitionPath(target, root)
	fstype := "ext4"
	if block {
		if err := disk.WaitFor(ctx, part, 10*time.Second); err != nil {
			return fail("grow", err, "the kernel did not see the image's partitions")
		}
		fstype, err = growFS(ctx, part, grown != 0)
		if err != nil {
			return fail("grow", err, "the root filesystem could not be grown; check the image's filesystem")
		}
		con.phase("root filesystem %s (%s) fills the disk", part, fstype)
	}
	if err := c.writeConfig(ctx, p, part, fstype, con); err != nil {
		return err
	}
	if c.BootEntry != nil && esp != 0 {
		if err := c.BootEntry(ctx, f, size, esp, p.Host); err != nil {
			return fail("boot", err, "the UEFI boot entry could not be written; the firmware may still boot the disk's fallback loader")
		}
		con.phase("UEFI boot entry set for partition %d", esp)
	}
	return nil
}

func (c Config) writeConfig(ctx context.Context, p plan.Plan, part, fstype string, con *console) error {
	m := c.Mounter
	if m == nil {
		m = SysMounter{Dir: "/mnt/target"}
	}
	dir, unmount, err := m.Mount(ctx, part, fstype)
	if err != nil {
		return fail("config", err, "the root filesystem cannot be mounted")
	}
	if fstype == "xfs" {
		if err := disk.GrowXFS(ctx, dir); err != nil {
			unmount()
			return fail("grow", err, "the XFS root could not be grown")
		}
	}
	if err := c.writeHostConfig(dir, p.Config, con); err != nil {
		unmount()
		return fail("config", err, "the host config could not be written into the image")
	}
	if p.Reboot == "kexec" && c.Kexec != nil {
		// Not fatal: Finish reboots through the firmware when nothing is loaded.
		if err := c.Kexec(dir, c.cmdline); err != nil {
			con.phase("kexec not possible, the machine reboots through its firmware instead: %v", err)
		} else {
			con.phase("installed kernel loaded for kexec")
		}
	}
	if err := unmount(); err != nil {
		return fail("config", err, "the root filesystem could not be unmounted cleanly")
	}
	con.phase("host config of %s written: %d SSH keys from the plan, config layer %t, phone-home %t", p.Host, len(p.Config.SSHKeys), c.layer != nil, p.Config.PhoneHome != "")
	return nil
}

func growFS(ctx context.Context, part string, grown bool) (string, error) {
	f, err := os.Open(part)
	if err != nil {
		return "", err
	}
	fstype := disk.FSType(f)
	f.Close()
	if fstype == "ext4" && grown {
		return fstype, disk.GrowExt(ctx, part)
	}
	if fstype == "" {
		return "", fmt.Errorf("%s holds no ext4 or xfs filesystem", part)
	}
	return fstype, nil
}

func isBlock(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeDevice != 0
}

// Mounter mounts the installed system's root filesystem.
type Mounter interface {
	Mount(ctx context.Context, dev, fstype string) (dir string, unmount func() error, err error)
}

// SysMounter mounts with mount(2) on Dir.
type SysMounter struct{ Dir string }

// Mount mounts dev on m.Dir.
func (m SysMounter) Mount(_ context.Context, dev, fstype string) (string, func() error, error) {
	if err := os.MkdirAll(m.Dir, 0o755); err != nil {
		return "", nil, err
	}
	if err := unix.Mount(dev, m.Dir, fstype, 0, ""); err != nil {
		return "", nil, fmt.Errorf("mounting %s (%s) on %s: %w", dev, fstype, m.Dir, err)
	}
	return m.Dir, func() error {
		unix.Sync()
		if err := unix.Unmount(m.Dir, 0); err != nil {
			return fmt.Errorf("unmounting %s: %w", m.Dir, err)
		}
		return nil
	}, nil
}

// DirMounter "mounts" by handing out a directory: for tests and for
// targets that are regular files.
type DirMounter struct{ Dir string }

// Mount returns m.Dir.
func (m DirMounter) Mount(context.Context, string, string) (string, func() error, error) {
	return m.Dir, func() error { return nil }, nil
}
