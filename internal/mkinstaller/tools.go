package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// tool is a host program copied into the initramfs with its libraries.
type tool struct {
	Host    string   // path on the build machine
	Guest   string   // path in the initramfs
	Package string   // the Debian package that provides it
	Links   []string // extra names in the initramfs pointing at Guest
}

var tools = []tool{
	{Host: "/usr/sbin/cryptsetup", Guest: "sbin/cryptsetup", Package: "cryptsetup-bin"},
	{Host: "/usr/sbin/mdadm", Guest: "sbin/mdadm", Package: "mdadm"},
	{Host: "/usr/sbin/mke2fs", Guest: "sbin/mke2fs", Package: "e2fsprogs", Links: []string{"sbin/mkfs.ext4", "sbin/mkfs.ext3"}},
	{Host: "/usr/sbin/resize2fs", Guest: "sbin/resize2fs", Package: "e2fsprogs"},
	{Host: "/usr/sbin/e2fsck", Guest: "sbin/e2fsck", Package: "e2fsprogs", Links: []string{"sbin/fsck.ext4"}},
	{Host: "/usr/sbin/mkfs.fat", Guest: "sbin/mkfs.fat", Package: "dosfstools", Links: []string{"sbin/mkfs.vfat"}},
	{Host: "/usr/sbin/mkfs.xfs", Guest: "sbin/mkfs.xfs", Package: "xfsprogs"},
	{Host: "/usr/sbin/xfs_growfs", Guest: "sbin/xfs_growfs", Package: "xfsprogs"},
	{Host: "/usr/sbin/sfdisk", Guest: "sbin/sfdisk", Package: "fdisk"},
	{Host: "/usr/sbin/sgdisk", Guest: "sbin/sgdisk", Package: "gdisk"},
	{Host: "/usr/sbin/wipefs", Guest: "sbin/wipefs", Package: "util-linux"},
	{Host: "/usr/bin/partx", Guest: "sbin/partx", Package: "util-linux"},
	{Host: "/usr/sbin/blkid", Guest: "sbin/blkid", Package: "util-linux"},
	{Host: "/usr/sbin/lvm", Guest: "sbin/lvm", Package: "lvm2", Links: []string{"sbin/pvcreate", "sbin/pvremove",
		"sbin/vgcreate", "sbin/vgremove", "sbin/vgchange", "sbin/lvcreate", "sbin/lvs"}},
	{Host: "/bin/busybox", Guest: "bin/busybox", Package: "busybox-static", Links: busyboxApplets},
}

var busyboxApplets = func() []string {
	var l []string
	for _, a := range strings.Fields(`sh ash ls cat cp mv rm ln mkdir rmdir mount umount dmesg ps kill
		vi less more grep sed awk find head tail wc sort uniq dd sync df du free top uptime ip ifconfig
		route ping wget udhcpc nslookup hexdump xxd od md5sum sha256sum lsmod insmod rmmod
		modprobe reboot poweroff halt chroot switch_root env stty tr cut date sleep true false test
		[ printf echo which tee touch chmod chown stat readlink realpath basename dirname gunzip zcat
		tar cpio losetup fdisk mknod lspci lsusb netstat`) {
		l = append(l, "bin/"+a)
	}
	return l
}()

// libraries returns the shared libraries path needs, as ldd resolves them
// (including the dynamic loader); none for static programs.
func libraries(ctx context.Context, path string) ([]string, error) {
	out, err := exec.CommandContext(ctx, "ldd", path).CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("not a dynamic executable")) {
			return nil, nil
		}
		return nil, fmt.Errorf("ldd %s: %w: %s", path, err, bytes.TrimSpace(out))
	}
	var libs []string
	s := bufio.NewScanner(bytes.NewReader(out))
	for s.Scan() {
		f := strings.Fields(s.Text())
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			libs = append(libs, f[2])
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			libs = append(libs, f[0])
		}
	}
	return libs, nil
}

// addHostTools puts every tool, its links and its libraries (as real files
// at the paths the loader looks for) from the build machine into a.
func addHostTools(ctx context.Context, a archive, t target) error {
	libs := map[string]bool{}
	for _, l := range t.Dlopened {
		libs["/"+l] = true
	}
	for _, t := range tools {
		real, err := filepath.EvalSymlinks(t.Host)
		if err != nil {
			return fmt.Errorf("%s is missing on the build machine (apt-get install %s): %w", t.Host, t.Package, err)
		}
		a.add(entry{Name: t.Guest, Mode: modeFile | 0o755, Src: real})
		for _, l := range t.Links {
			target, _ := filepath.Rel(filepath.Dir(l), t.Guest)
			a.add(entry{Name: l, Mode: modeSymlink | 0o777, Data: []byte(target)})
		}
		ls, err := libraries(ctx, real)
		if err != nil {
			return err
		}
		for _, l := range ls {
			libs[l] = true
		}
	}
	for l := range libs {
		real, err := filepath.EvalSymlinks(l)
		if err != nil {
			return fmt.Errorf("library %s: %w", l, err)
		}
		a.add(entry{Name: l, Mode: modeFile | 0o755, Src: real})
	}
	return nil
}

// toolStamp identifies the host tools' versions for the cache key.
func toolStamp() string {
	var b strings.Builder
	for _, t := range tools {
		if fi, err := os.Stat(t.Host); err == nil {
			fmt.Fprintf(&b, "%s %d %d\n", t.Host, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return b.String()
}
