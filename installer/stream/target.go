package stream

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// File is a write target: a regular file or a block device. Aligned writes
// go through a second O_DIRECT descriptor when the filesystem or device
// allows it; others go through the page cache.
type File struct {
	f      *os.File
	direct *os.File // nil when O_DIRECT is unavailable or failed
	block  bool
	char   bool // a character device such as /dev/null: written as a stream
	fresh  bool // a new or empty regular file: untouched ranges read zero
	noDir  atomic.Bool
}

var (
	_ Zeroer     = (*File)(nil)
	_ HoleFinder = (*File)(nil)
)

// OpenFile opens path as a target for size bytes. A missing regular file is
// created sparse; a shorter one is extended; a block device must hold size.
func OpenFile(path string, size int64) (*File, error) {
	fi, err := os.Stat(path)
	created := errors.Is(err, fs.ErrNotExist)
	if err != nil && !created {
		return nil, fmt.Errorf("opening target: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening target: %w", err)
	}
	t := &File{f: f}
	if !created {
		t.char = fi.Mode()&fs.ModeCharDevice != 0
		t.block = !t.char && fi.Mode()&fs.ModeDevice != 0
	}
	if t.char {
		return t, nil
	}
	if err := t.prepare(size, created || fi.Size() == 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("opening target %s: %w", path, err)
	}
	if fd, err := unix.Open(path, unix.O_RDWR|unix.O_DIRECT|unix.O_CLOEXEC, 0); err == nil {
		t.direct = os.NewFile(uintptr(fd), path)
	}
	return t, nil
}

func (t *File) prepare(size int64, empty bool) error {
	if t.block {
		var have uint64
		if err := ioctlU64(t.f.Fd(), unix.BLKGETSIZE64, &have); err != nil {
			return fmt.Errorf("reading device size: %w", err)
		}
		if int64(have) < size {
			return fmt.Errorf("device holds %d bytes, image needs %d", have, size)
		}
		return nil
	}
	t.fresh = empty
	fi, err := t.f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < size {
		return t.f.Truncate(size)
	}
	return nil
}

// Direct reports whether O_DIRECT writes are in use.
func (t *File) Direct() bool { return t.direct != nil && !t.noDir.Load() }

func aligned(p []byte, off int64) bool {
	return off%4096 == 0 && len(p)%4096 == 0 && len(p) > 0 && uintptrOf(p)%4096 == 0
}

// WriteAt writes p at off, through O_DIRECT when p and off are aligned.
func (t *File) WriteAt(p []byte, off int64) (int, error) {
	if t.Direct() && aligned(p, off) {
		n, err := t.direct.WriteAt(p, off)
		if !errors.Is(err, unix.EINVAL) {
			return n, err
		}
		t.noDir.Store(true) // the filesystem refused O_DIRECT after all
	}
	return t.f.WriteAt(p, off)
}

// ReadAt reads through O_DIRECT when aligned, so delta reads do not fill the page cache.
func (t *File) ReadAt(p []byte, off int64) (int, error) {
	if t.Direct() && aligned(p, off) {
		if n, err := t.direct.ReadAt(p, off); !errors.Is(err, unix.EINVAL) {
			return n, err
		}
	}
	return t.f.ReadAt(p, off)
}

// ZeroRange makes [off, off+n) read back zero: nothing to do in a fresh
// sparse file, a punched hole in other files, BLKZEROOUT on devices.
func (t *File) ZeroRange(off, n int64) error {
	switch {
	case t.char:
		return errors.New("no hole punching on a character device")
	case t.fresh:
		return nil
	case t.block:
		r := [2]uint64{uint64(off), uint64(n)}
		return ioctlPtr(t.f.Fd(), unix.BLKZEROOUT, &r)
	default:
		return unix.Fallocate(int(t.f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, n)
	}
}

// IsHole reports whether [off, off+n) of a regular file holds no data.
func (t *File) IsHole(off, n int64) bool {
	if t.block || t.char {
		return false
	}
	next, err := unix.Seek(int(t.f.Fd()), off, unix.SEEK_DATA)
	return errors.Is(err, unix.ENXIO) || (err == nil && next >= off+n)
}

// Close flushes the target to stable storage and closes it.
func (t *File) Close() error {
	var err error
	if !t.char {
		err = t.f.Sync()
	}
	if t.direct != nil {
		t.direct.Close()
	}
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	return err
}
