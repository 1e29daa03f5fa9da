package disk

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// RereadPartitions asks the kernel to read the partition table of the block
// device f again (BLKRRPART), retrying while the device is busy. Regular
// files have no partition table to re-read.
func RereadPartitions(ctx context.Context, f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeDevice == 0 {
		return nil
	}
	for i := 0; ; i++ {
		err := unix.IoctlSetInt(int(f.Fd()), unix.BLKRRPART, 0)
		if err == nil || err != unix.EBUSY || i >= 10 {
			if err != nil {
				return fmt.Errorf("re-reading the partition table of %s: %w", f.Name(), err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// WaitFor waits until path exists: udev-less partition nodes appear in
// devtmpfs shortly after BLKRRPART.
func WaitFor(ctx context.Context, path string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not appear within %s", path, d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// FSType recognizes the filesystem at the start of r: "ext4" (any ext),
// "xfs", "vfat", or "".
func FSType(r io.ReaderAt) string {
	b := make([]byte, 2048)
	if _, err := r.ReadAt(b, 0); err != nil {
		return ""
	}
	switch {
	case binary.LittleEndian.Uint16(b[1024+56:]) == 0xef53:
		return "ext4"
	case string(b[:4]) == "XFSB":
		return "xfs"
	case string(b[82:87]) == "FAT32" || string(b[54:59]) == "FAT16" || string(b[54:59]) == "FAT12":
		return "vfat"
	}
	return ""
}

// GrowExt grows the unmounted ext filesystem on dev to fill it, checking it
// first as resize2fs requires.
func GrowExt(ctx context.Context, dev string) error {
	out, err := exec.CommandContext(ctx, "e2fsck", "-f", "-p", dev).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 1) {
		return fmt.Errorf("e2fsck %s: %w: %s", dev, err, strings.TrimSpace(string(out)))
	}
	if out, err := exec.CommandContext(ctx, "resize2fs", dev).CombinedOutput(); err != nil {
		return fmt.Errorf("resize2fs %s: %w: %s", dev, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// GrowXFS grows the XFS filesystem mounted at dir to fill its device.
func GrowXFS(ctx context.Context, dir string) error {
	if out, err := exec.CommandContext(ctx, "xfs_growfs", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("xfs_growfs %s: %w: %s", dir, err, strings.TrimSpace(string(out)))
	}
	return nil
}
