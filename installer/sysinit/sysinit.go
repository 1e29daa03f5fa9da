// Package sysinit does what an init does before the installer can run, when
// the installer is the initramfs's /init: mount the kernel filesystems, load
// the bundled modules, open the consoles, and finally reboot, power off or
// hand the console to a shell.
package sysinit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"ingot.dev/ingot/image/kernel"
)

// ModuleList is the file the initramfs builder writes: module paths in
// dependency order.
const ModuleList = "/etc/ingot/modules"

type mount struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

var mounts = []mount{
	{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
	{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
	{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
	{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "ptmxmode=0666"},
}

// Mount mounts /proc, /sys, /dev, /run, /tmp and /dev/pts. Already mounted
// filesystems are fine.
func Mount() error {
	var errs []error
	for _, m := range mounts {
		if err := os.MkdirAll(m.target, 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := unix.Mount(m.source, m.target, m.fstype, m.flags, m.data); err != nil && !errors.Is(err, unix.EBUSY) {
			errs = append(errs, fmt.Errorf("mounting %s on %s: %w", m.fstype, m.target, err))
		}
	}
	os.Setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin")
	// No udev runs here: device-mapper users (cryptsetup, lvm) create their
	// /dev nodes themselves instead of waiting for udev to.
	os.Setenv("DM_DISABLE_UDEV", "1")
	return errors.Join(errs...)
}

// MountEFIVars mounts efivarfs when the machine booted through UEFI; the
// efivarfs module must be loaded.
func MountEFIVars() error {
	const dir = "/sys/firmware/efi/efivars"
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	if err := unix.Mount("efivarfs", dir, "efivarfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil && !errors.Is(err, unix.EBUSY) {
		return fmt.Errorf("mounting efivarfs: %w", err)
	}
	return nil
}

// LoadModules loads every module listed in list, in order. Modules already
// loaded count as loaded; modules refused (no such hardware, CPU feature
// missing) are logged and skipped.
func LoadModules(ctx context.Context, log *slog.Logger, list string) (int, error) {
	f, err := os.Open(list)
	if err != nil {
		return 0, fmt.Errorf("opening module list: %w", err)
	}
	defer f.Close()
	n := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		p := strings.TrimSpace(s.Text())
		if p == "" || ctx.Err() != nil {
			continue
		}
		if err := loadModule(p); err != nil {
			log.Debug("module not loaded", "module", p, "err", err)
			continue
		}
		n++
	}
	return n, s.Err()
}

func loadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	err = unix.FinitModule(int(f.Fd()), "", 0)
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	return err
}

// WaitForDevices waits until dir has at least one entry besides those in
// skip, or d passes; drivers probe asynchronously after loading.
func WaitForDevices(dir string, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if es, err := os.ReadDir(dir); err == nil && len(es) > 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Shell runs an interactive busybox shell on the console until it exits.
func Shell() error {
	cmd := exec.Command("/bin/sh")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "PS1=ingot# ")
	cmd.SysProcAttr = &unix.SysProcAttr{Setsid: true, Setctty: true}
	return cmd.Run()
}

// LoadKexec loads the newest kernel and initrd of the root tree at root for
// Finish("kexec"), with cmdline plus the installer's own console= arguments
// when cmdline names no console.
func LoadKexec(root, cmdline string) error {
	k, err := kernel.Find(root)
	if err != nil {
		return err
	}
	return KexecFiles(k.Image, k.Initrd, cmdline)
}

// KexecFiles loads the kernel file (and the initrd file, unless "") for
// Finish("kexec"), with cmdline plus the installer's own console=
// arguments when cmdline names no console.
func KexecFiles(kernelFile, initrdFile, cmdline string) error {
	if !strings.Contains(cmdline, "console=") {
		if own, err := os.ReadFile("/proc/cmdline"); err == nil {
			for _, f := range strings.Fields(string(own)) {
				if strings.HasPrefix(f, "console=") {
					cmdline += " " + f
				}
			}
		}
	}
	kf, err := os.Open(kernelFile)
	if err != nil {
		return err
	}
	defer kf.Close()
	initrd, flags := -1, unix.KEXEC_FILE_NO_INITRAMFS
	if initrdFile != "" {
		rf, err := os.Open(initrdFile)
		if err != nil {
			return err
		}
		defer rf.Close()
		initrd, flags = int(rf.Fd()), 0
	}
	if err := unix.KexecFileLoad(int(kf.Fd()), initrd, strings.TrimSpace(cmdline), flags); err != nil {
		return fmt.Errorf("kexec_file_load of %s: %w", kernelFile, err)
	}
	return nil
}

// Finish ends the machine's run: "reboot", "poweroff" or "kexec" (a kexec
// image must already be loaded; otherwise it reboots).
func Finish(action string) error {
	unix.Sync()
	cmd := unix.LINUX_REBOOT_CMD_RESTART
	switch action {
	case "poweroff":
		cmd = unix.LINUX_REBOOT_CMD_POWER_OFF
	case "kexec":
		cmd = unix.LINUX_REBOOT_CMD_KEXEC
	}
	err := unix.Reboot(cmd)
	if action == "kexec" {
		err = unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
	}
	return fmt.Errorf("%s: %w", action, err)
}
