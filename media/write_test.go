package media

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"ingot.dev/ingot/internal/testenv"
)

// fakeSys lays out a sysfs with sda (8:0, partitions sda1 8:1 and sda2
// 8:2), sdb (8:16) and dm-0 (253:0) built on sda2.
func fakeSys(t *testing.T) string {
	sys := t.TempDir()
	devs := []struct{ dir, dev string }{
		{"devices/sda", "8:0"}, {"devices/sda/sda1", "8:1"}, {"devices/sda/sda2", "8:2"},
		{"devices/sdb", "8:16"}, {"devices/dm-0", "253:0"},
	}
	for _, d := range devs {
		mustWrite(t, filepath.Join(sys, d.dir, "dev"), d.dev)
		if strings.Count(d.dir, "/") == 2 {
			mustWrite(t, filepath.Join(sys, d.dir, "partition"), "1")
		}
		link := filepath.Join(sys, "dev/block", d.dev)
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(sys, d.dir), link); err != nil {
			t.Fatal(err)
		}
		class := filepath.Join(sys, "class/block", filepath.Base(d.dir))
		os.MkdirAll(filepath.Dir(class), 0o755)
		if err := os.Symlink(filepath.Join(sys, d.dir), class); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, filepath.Join(sys, "devices/dm-0/slaves/sda2/.keep"), "")
	return sys
}

func mustWrite(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCheckFree(t *testing.T) {
	sys := fakeSys(t)
	for _, tc := range []struct {
		name, path, dev   string
		mounts, mountinfo string
		want              string // substring of the error; "" for free
	}{
		{name: "free", path: "/dev/sda", dev: "8:0",
			mounts:    "/dev/sdb1 /mnt vfat rw 0 0\n",
			mountinfo: "30 1 8:17 / /mnt rw - vfat /dev/sdb1 rw\n"},
		{name: "similar name is not a partition", path: "/dev/sda", dev: "8:0",
			mounts: "/dev/sdab1 /mnt ext4 rw 0 0\n"},
		{name: "partition in mounts", path: "/dev/sda", dev: "8:0",
			mounts: "/dev/sda1 /media/my\\040stick vfat rw 0 0\n", want: "mounted (/dev/sda1 on /media/my stick)"},
		{name: "whole device", path: "/dev/sdb", dev: "8:16",
			mounts: "/dev/sdb /mnt iso9660 ro 0 0\n", want: "is mounted"},
		{name: "nvme partition", path: "/dev/nvme0n1", dev: "259:0",
			mounts: "/dev/nvme0n1p3 /boot ext4 rw 0 0\n", want: "is mounted"},
		{name: "root by device number", path: "/dev/sda", dev: "8:0",
			mountinfo: "22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/root rw\n", want: "running system's root"},
		{name: "root on dm over a partition", path: "/dev/sda", dev: "8:0",
			mountinfo: "22 1 253:0 / / rw shared:1 - ext4 /dev/mapper/vg-root rw\n", want: "running system's root"},
		{name: "root elsewhere", path: "/dev/sdb", dev: "8:16",
			mountinfo: "22 1 253:0 / / rw shared:1 - ext4 /dev/mapper/vg-root rw\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := Proc{Mounts: filepath.Join(dir, "mounts"), MountInfo: filepath.Join(dir, "mountinfo"), Sys: sys}
			mustWrite(t, p.Mounts, tc.mounts)
			mustWrite(t, p.MountInfo, tc.mountinfo)
			err := p.checkFree(tc.path, tc.dev)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("checkFree = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("checkFree = %v, want ErrInUse containing %q", err, tc.want)
			}
		})
	}
}

func TestWriteFileTarget(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "img")
	data := bytes.Repeat([]byte("ingot"), 2<<20) // 10 MiB: several blocks
	mustWrite(t, img, string(data))
	target := filepath.Join(dir, "target")
	mustWrite(t, target, "old")

	err := Write(context.Background(), WriteConfig{Image: img, Target: target})
	if !errors.Is(err, ErrNotDevice) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("Write to a file without Force = %v, want ErrNotDevice mentioning --force", err)
	}
	var calls int
	var last int64
	err = Write(context.Background(), WriteConfig{Image: img, Target: target, Force: true,
		Progress: func(done, total int64) { calls++; last = done }})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(target)
	if !bytes.Equal(got, data) || last != int64(len(data)) || calls < 2 {
		t.Fatalf("wrote %d bytes (equal %v), progress %d calls up to %d", len(got), bytes.Equal(got, data), calls, last)
	}
	if err := Write(context.Background(), WriteConfig{Image: img, Target: filepath.Join(dir, "missing")}); err == nil {
		t.Fatal("Write to a missing file without Force: no error")
	}
}

// TestWriteRefusesMountedLoop is the root tier: a real loop device,
// mounted, then unmounted.
func TestWriteRefusesMountedLoop(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Skip(t, "root tier: needs root for loop devices and mount")
	}
	for _, tool := range []string{"losetup", "mkfs.ext4", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Skip(t, "root tier: %s is not installed", tool)
		}
	}
	dir := t.TempDir()
	backing := filepath.Join(dir, "disk")
	if err := os.WriteFile(backing, make([]byte, 32<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "--find", "--show", backing).Output()
	if err != nil {
		testenv.Skip(t, "root tier: no loop device: %v", err)
	}
	loop := strings.TrimSpace(string(out))
	defer exec.Command("losetup", "-d", loop).Run()
	run(t, "mkfs.ext4", "-q", loop)
	mnt := filepath.Join(dir, "mnt")
	os.Mkdir(mnt, 0o755)
	run(t, "mount", loop, mnt)
	mounted := true
	defer func() {
		if mounted {
			exec.Command("umount", mnt).Run()
		}
	}()

	img := filepath.Join(dir, "img")
	data := bytes.Repeat([]byte{0xA5}, 5<<20)
	mustWrite(t, img, string(data))
	err = Write(context.Background(), WriteConfig{Image: img, Target: loop})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("Write to mounted %s = %v, want ErrInUse", loop, err)
	}
	t.Logf("refused: %v", err)

	run(t, "umount", mnt)
	mounted = false
	if err := Write(context.Background(), WriteConfig{Image: img, Target: loop}); err != nil {
		t.Fatalf("Write to unmounted %s: %v", loop, err)
	}
	got, _ := os.ReadFile(backing)
	if !bytes.Equal(got[:len(data)], data) {
		t.Fatal("the loop device's backing file does not hold the image")
	}
}
