package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// ErrNotDevice means the target of a write is a regular file and Force was
// not given.
var ErrNotDevice = errors.New("not a block device")

// WriteConfig describes copying an image onto a USB stick or disk.
type WriteConfig struct {
	Image  string // the image file
	Target string // a block device, or a file with Force
	// Force allows a target that is not a block device (created if missing).
	Force bool
	// Progress, if set, is called after each block with the bytes written
	// and the image size.
	Progress func(written, total int64)
	Proc     Proc // where mounts are read from; zero: the real /proc and /sys
}

// Write copies c.Image onto c.Target and syncs it. It refuses a target
// that is mounted, holds the running system, or (without Force) is not a
// block device.
func Write(ctx context.Context, c WriteConfig) error {
	src, err := os.Open(c.Image)
	if err != nil {
		return fmt.Errorf("writing image: %w", err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return fmt.Errorf("writing image: %w", err)
	}
	dst, err := c.openTarget()
	if err != nil {
		return err
	}
	if err := copyImage(ctx, dst, src, st.Size(), c.Progress); err != nil {
		dst.Close()
		return fmt.Errorf("writing %s: %w", c.Target, err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return fmt.Errorf("syncing %s: %w", c.Target, err)
	}
	return dst.Close()
}

// CheckTarget reports whether c.Target may be written, without writing.
func (c WriteConfig) CheckTarget() error {
	var st unix.Stat_t
	if err := unix.Stat(c.Target, &st); err != nil {
		if errors.Is(err, unix.ENOENT) && c.Force {
			return nil
		}
		return fmt.Errorf("target %s: %w", c.Target, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		if !c.Force {
			return fmt.Errorf("target %s is %w (give --force to write a file)", c.Target, ErrNotDevice)
		}
		return nil
	}
	dev := fmt.Sprintf("%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	return c.Proc.checkFree(c.Target, dev)
}

func (c WriteConfig) openTarget() (*os.File, error) {
	if err := c.CheckTarget(); err != nil {
		return nil, err
	}
	fi, err := os.Stat(c.Target)
	if err != nil || fi.Mode().IsRegular() {
		f, err := os.OpenFile(c.Target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("writing image: %w", err)
		}
		return f, nil
	}
	// O_EXCL on a block device: the kernel refuses it while mounted or held.
	f, err := os.OpenFile(c.Target, os.O_WRONLY|os.O_EXCL, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", c.Target, err)
	}
	return f, nil
}

func copyImage(ctx context.Context, dst io.Writer, src io.Reader, total int64, progress func(int64, int64)) error {
	buf := make([]byte, 4<<20)
	var done int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := io.ReadFull(src, buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
			done += int64(n)
			if progress != nil {
				progress(done, total)
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
