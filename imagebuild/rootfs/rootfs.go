// Package rootfs makes a freshly built root filesystem tree fit to ship and
// reproducible: package caches and logs removed, host leftovers (hostname,
// resolv.conf) replaced, machine-id empty so every installed host gets its
// own, root's password locked, and every timestamp clamped to
// SOURCE_DATE_EPOCH.
package rootfs

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// removed lists paths (globs, relative to the root) that hold caches, logs
// or build-time state: they differ between builds and help no host.
var removed = []string{
	"var/cache/apt/*.bin", "var/cache/apt/archives/*.deb", "var/cache/apt/archives/partial/*",
	"var/lib/apt/lists/*_*", "var/lib/apt/lists/partial/*",
	"var/log/*.log", "var/log/apt/*", "var/log/bootstrap.log",
	"var/cache/debconf/*-old", "var/lib/dpkg/*-old", "var/cache/ldconfig/aux-cache",
	"var/lib/dbus/machine-id", "var/lib/systemd/random-seed", "var/lib/systemd/credential.secret",
	"etc/ssh/ssh_host_*", "etc/resolv.conf", "debootstrap", "etc/*-",
	"var/lib/dpkg/lock*", "var/cache/apt/archives/lock", "var/lib/apt/lists/lock",
	"root/.bash_history", "tmp/*", "var/tmp/*",
}

// written are files whose content is fixed for every image.
var written = map[string]string{
	"etc/machine-id": "",
	"etc/hostname":   "localhost\n",
	"etc/hosts":      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
}

// Normalize cleans the tree at root and clamps its timestamps to epoch.
func Normalize(ctx context.Context, root string, epoch time.Time) error {
	for _, pat := range removed {
		matches, err := filepath.Glob(filepath.Join(root, pat))
		if err != nil {
			return fmt.Errorf("cleaning %s: %w", pat, err)
		}
		for _, m := range matches {
			if err := os.RemoveAll(m); err != nil {
				return fmt.Errorf("cleaning %s: %w", m, err)
			}
		}
	}
	for name, content := range written {
		p := filepath.Join(root, name)
		os.Remove(p) // may be a symlink pointing out of the tree
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	if err := lockShadow(filepath.Join(root, "etc/shadow"), epoch); err != nil {
		return err
	}
	return Clamp(ctx, root, epoch)
}

// lockShadow locks root's password and sets every account's "last changed"
// day to the epoch's, which pwconv otherwise takes from the build's clock.
func lockShadow(path string, epoch time.Time) error {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("locking root password: %w", err)
	}
	day := strconv.FormatInt(epoch.Unix()/86400, 10)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for i, l := range lines {
		f := strings.Split(l, ":")
		if len(f) < 3 {
			continue
		}
		if f[0] == "root" {
			f[1] = "!*"
		}
		if f[2] != "" {
			f[2] = day
		}
		lines[i] = strings.Join(f, ":")
	}
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o640)
}

// Clamp makes the times of every entry under root (symlinks themselves, not
// their targets) deterministic: mtime becomes min(mtime, epoch) and atime the
// same value, since reads during the build move atimes.
func Clamp(ctx context.Context, root string, epoch time.Time) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		mtime := info.ModTime()
		if mtime.After(epoch) {
			mtime = epoch
		}
		t := unix.NsecToTimespec(mtime.UnixNano())
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{t, t}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("clamping times of %s: %w", p, err)
		}
		return nil
	})
}
